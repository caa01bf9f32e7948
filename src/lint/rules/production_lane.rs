//! L003 production-lane: an `allow` of a destructive action matches a production lane, unless the rule requires `backup_proof`, or the lane is prelaunch and the rule retires at an event.
//!
//! ## What it does
//! Reports each production lane (`production: true` in the inventory) that a
//! destructive allow reaches without a backup proof. A prelaunch production
//! lane (CM prod before launch) is accepted while the rule retires at an
//! event, such as `launch`.
//!
//! ## Why is this bad?
//! Real production must never be wiped on the strength of a policy alone:
//! its data needs a verified backup first. The runtime asks for the proof on
//! protected lanes anyway; this lint says so before the rule ships.
//!
//! ## Example
//! ```lanepolicy
//! allow backup_restore on hq/prod until 2027-01-31 issue=#600 confirm="restore {lane}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow backup_restore on hq/prod until 2027-01-31 issue=#600 confirm="restore {lane}" requires backup_proof, restore_proof
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Lane;
use crate::lint::LintContext;
use crate::model::Phase;
use crate::sema::Rule;
use crate::syntax::ast::Ident;

fn diagnostic(rule: &Rule, action: &Ident, lane: &Lane) -> Diagnostic {
    let span = rule
        .pattern_for(&lane.key())
        .map_or(rule.keyword_span, |p| p.pattern.span);
    let why = if lane.phase == Phase::Live {
        "it is live"
    } else {
        "the rule does not retire at an event"
    };
    Diagnostic::new(
        Code::L003,
        rule.file,
        span,
        format!(
            "destructive action `{}` is allowed on production lane `{}`",
            action.name,
            lane.key()
        ),
    )
    .label(format!(
        "matches `{}`, which is `production: true` and {why}",
        lane.key()
    ))
    .note(rule.file, action.span, "destructive")
    .help("add `requires backup_proof`, or narrow the lanes to exclude it")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::allows(ctx).filter(|r| !r.requires("backup_proof")) {
        for action in super::destructive_actions(ctx, rule) {
            for lane in rule.lanes.iter().filter_map(|l| ctx.inventory.lanes.get(l)) {
                let exempt = lane.phase == Phase::Prelaunch && rule.retires_at_event();
                if lane.production && !exempt {
                    out.push(diagnostic(rule, action, lane));
                }
            }
        }
    }
}
