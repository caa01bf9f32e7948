//! L005 source-not-allowed: an action's data source is not allowed by a matched lane's data policy.
//!
//! ## What it does
//! Compares the data source of each rebuild action (`empty`,
//! `upstream_restore`) with each matched lane's `allowed_sources`. A lane
//! whose `data_authority` is `unknown` allows no source at all, and an
//! `upstream_restore` also needs the lane's `upstream_source` (Launchplane
//! refuses one without it).
//!
//! ## Why is this bad?
//! Launchplane's per-lane data policy decides where a lane's data may come
//! from; a rule cannot widen it, and the runtime would deny the action
//! anyway. The rule promises something it cannot give.
//!
//! ## Example
//! ```lanepolicy
//! allow upstream_restore on cm/testing until launch issue=#573 confirm="restore {lane}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {lane}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Lane;
use crate::lint::LintContext;
use crate::model::{DataAuthority, DataSource, source_allowed, upstream_source};
use crate::sema::Rule;
use crate::syntax::ast::Ident;

fn diagnostic(rule: &Rule, action: &Ident, source: DataSource, lane: &Lane) -> Diagnostic {
    let span = rule
        .pattern_for(&lane.key())
        .map_or(rule.keyword_span, |p| p.pattern.span);
    let policy = if lane.data_authority == DataAuthority::Unknown {
        "its `data_authority` is `unknown`, which allows no rebuild".to_string()
    } else if lane.allowed_sources.contains(&source) {
        "it names no `upstream_source` to restore from".to_string()
    } else {
        let allowed: Vec<String> = lane
            .allowed_sources
            .iter()
            .map(|s| format!("`{}`", s.as_str()))
            .collect();
        if allowed.is_empty() {
            "it allows no rebuild source".to_string()
        } else {
            format!("it allows {}", allowed.join(", "))
        }
    };
    Diagnostic::new(
        Code::L005,
        rule.file,
        span,
        format!(
            "`{}` rebuilds from `{}`, which lane `{}` does not allow",
            action.name,
            source.as_str(),
            lane.key()
        ),
    )
    .label(format!("matches `{}`: {policy}", lane.key()))
    .note(rule.file, action.span, format!("data source `{}`", source.as_str()))
    .help(if lane.data_authority != DataAuthority::Unknown && lane.allowed_sources.contains(&source) {
        "name where the lane restores from: its `upstream_source` in lanes.yaml".to_string()
    } else {
        format!(
            "narrow the lanes, or add `{}` to the lane's `allowed_sources` in lanes.yaml if its data policy really permits it",
            source.as_str()
        )
    })
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::allows(ctx) {
        for action in &rule.actions {
            let Some(source) = ctx
                .inventory
                .actions
                .get(&action.name)
                .and_then(|a| a.data_source)
            else {
                continue;
            };
            for lane in rule.lanes.iter().filter_map(|l| ctx.inventory.lanes.get(l)) {
                if !source_allowed(
                    lane.data_authority,
                    &lane.allowed_sources,
                    source,
                    upstream_source(&lane.extra),
                ) {
                    out.push(diagnostic(rule, action, source, lane));
                }
            }
        }
    }
}
