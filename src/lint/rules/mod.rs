//! One check per file. Each file starts with its documentation (the `//!`
//! comment that `lanepolicy rule` prints), then the function that words its
//! diagnostic, then `run`.

pub mod competing_grants;
pub mod deny_matches_nothing;
pub mod duplicate_entry;
pub mod duplicate_rule;
pub mod excluded_deny;
pub mod expires_soon;
pub mod invalid_suppression;
pub mod issue_closed;
pub mod missing_confirmation;
pub mod missing_issue;
pub mod name_suggests_production;
pub mod no_policies;
pub mod no_retirement;
pub mod pattern_matches_nothing;
pub mod production_lane;
pub mod retired_rule;
pub mod shadowed_by_deny;
pub mod shared_confirmation;
pub mod source_not_allowed;
pub mod unused_suppression;
pub mod wildcard_touches_production;

use super::LintContext;
use crate::model::{Effect, normalize_phrase};
use crate::sema::Rule;
use crate::syntax::ast::Retire;

/// The `allow` rules of the program.
pub(crate) fn allows<'a>(ctx: &'a LintContext) -> impl Iterator<Item = &'a Rule> {
    ctx.program
        .rules
        .iter()
        .filter(|r| r.effect == Effect::Allow)
}

/// The destructive actions (declared in the inventory) a rule names.
pub(crate) fn destructive_actions<'a>(
    ctx: &'a LintContext,
    rule: &'a Rule,
) -> impl Iterator<Item = &'a crate::syntax::ast::Ident> {
    rule.actions.iter().filter(|a| {
        ctx.inventory
            .actions
            .get(&a.name)
            .is_some_and(|d| d.destructive)
    })
}

/// True when two `until` conditions are the same event or the same date.
fn same_condition(a: &Retire, b: &Retire) -> bool {
    match (a, b) {
        (Retire::Event(x), Retire::Event(y)) => x.name == y.name,
        (Retire::Date { date: x, .. }, Retire::Date { date: y, .. }) => x == y,
        _ => false,
    }
}

/// True when `outer` is active whenever `inner` is: each of `outer`'s
/// `until` conditions is also one of `inner`'s (no conditions: never retires).
pub(crate) fn retires_no_earlier(outer: &Rule, inner: &Rule) -> bool {
    outer
        .until
        .iter()
        .all(|c| inner.until.iter().any(|d| same_condition(c, d)))
}

/// True when every request `inner` allows, `outer` allows too: the same or
/// more actions and lanes, the same phrase (or none), no extra proofs, and
/// retiring no earlier.
pub(crate) fn covers(outer: &Rule, inner: &Rule) -> bool {
    let same_phrase = |l: &String| match (outer.phrases.get(l), inner.phrases.get(l)) {
        (Some(a), Some(b)) => normalize_phrase(a) == normalize_phrase(b),
        _ => false,
    };
    inner
        .actions
        .iter()
        .all(|a| outer.actions.iter().any(|b| b.name == a.name))
        && inner
            .lanes
            .iter()
            .all(|l| outer.lanes.binary_search(l).is_ok())
        && outer.requires.iter().all(|p| inner.requires(&p.name))
        && retires_no_earlier(outer, inner)
        && (outer.confirm.is_none() || inner.lanes.iter().all(same_phrase))
}
