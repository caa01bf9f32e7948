//! L012 wildcard-touches-production: a pattern with `*` in an `allow` matches a production lane.
//!
//! ## What it does
//! Reports glob patterns of `allow` rules (`cm/*`, `*/prod`) that match a
//! lane declared `production: true`. Globs in `deny` rules are the safe
//! direction and are not reported.
//!
//! ## Why is this bad?
//! A glob opens whatever lane comes to match it: the production lane today,
//! and any production lane added to the context tomorrow. Production lanes
//! deserve to be named one by one in a permission.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/prod until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::{Diagnostic, NAMED_IN_MESSAGE, quoted_list};
use crate::lint::LintContext;
use crate::sema::{Pattern, Rule};

fn diagnostic(rule: &Rule, pattern: &Pattern, lanes: &[&str]) -> Diagnostic {
    let list = quoted_list(lanes, NAMED_IN_MESSAGE);
    let mut named: Vec<&str> = pattern.lanes.iter().map(String::as_str).collect();
    named.sort_unstable();
    let more = named.len().saturating_sub(NAMED_IN_MESSAGE);
    named.truncate(NAMED_IN_MESSAGE);
    let named = match more {
        0 => format!("`{}`", named.join(", ")),
        n => format!("`{}` and {n} more", named.join(", ")),
    };
    Diagnostic::new(
        Code::L012,
        rule.file,
        pattern.pattern.span,
        format!(
            "`{}` matches production lane{} {list}",
            pattern.pattern.text(),
            if lanes.len() == 1 { "" } else { "s" }
        ),
    )
    .label("a wildcard that reaches production")
    .help(format!("name the lanes: {named}"))
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::allows(ctx) {
        for p in rule.patterns.iter().filter(|p| p.pattern.is_glob()) {
            let prod: Vec<&str> = p
                .lanes
                .iter()
                .filter(|l| ctx.inventory.lanes.get(*l).is_some_and(|l| l.production))
                .map(String::as_str)
                .collect();
            if !prod.is_empty() {
                out.push(diagnostic(rule, p, &prod));
            }
        }
    }
}
