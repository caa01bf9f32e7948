//! One check per file. Each file starts with its documentation (the `//!`
//! comment that `lanepolicy rule` prints), then the function that words its
//! diagnostic, then `run`.

pub mod clause_has_no_effect;
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

/// The `deny` rules of the program.
pub(crate) fn denies<'a>(ctx: &'a LintContext) -> impl Iterator<Item = &'a Rule> {
    ctx.program
        .rules
        .iter()
        .filter(|r| r.effect == Effect::Deny)
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

/// An `until` condition as a key: two conditions are the same event or
/// the same date when their keys are equal.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Condition<'a> {
    Event(&'a str),
    Date(jiff::civil::Date),
}

fn condition(c: &Retire) -> Condition<'_> {
    match c {
        Retire::Event(e) => Condition::Event(&e.name),
        Retire::Date { date, .. } => Condition::Date(*date),
    }
}

/// True when every key of `part` is one of `whole`'s. Short lists are
/// compared pairwise; past that both are sorted, so that two rules of a
/// thousand entries each cost O(n log n), not a million comparisons.
fn all_in<T: Ord>(part: impl Iterator<Item = T>, whole: impl Iterator<Item = T>) -> bool {
    let mut part: Vec<T> = part.collect();
    let mut whole: Vec<T> = whole.collect();
    if part.len().saturating_mul(whole.len()) <= 64 {
        return part.iter().all(|x| whole.contains(x));
    }
    whole.sort_unstable();
    part.sort_unstable();
    part.dedup();
    part.iter().all(|x| whole.binary_search(x).is_ok())
}

/// True when `outer` is active whenever `inner` is: each of `outer`'s
/// `until` conditions is also one of `inner`'s (no conditions: never retires).
pub(crate) fn retires_no_earlier(outer: &Rule, inner: &Rule) -> bool {
    all_in(
        outer.until.iter().map(condition),
        inner.until.iter().map(condition),
    )
}

/// True when every request `inner` allows, `outer` allows too: the same or
/// more actions and lanes, the same phrase (or none), no extra proofs, and
/// retiring no earlier.
pub(crate) fn covers(outer: &Rule, inner: &Rule) -> bool {
    let same_phrase = |l: &String| match (outer.phrases.get(l), inner.phrases.get(l)) {
        (Some(a), Some(b)) => normalize_phrase(a) == normalize_phrase(b),
        _ => false,
    };
    all_in(
        inner.actions.iter().map(|a| a.name.as_str()),
        outer.actions.iter().map(|a| a.name.as_str()),
    ) && inner
            .lanes
            .iter()
            .all(|l| outer.lanes.binary_search(l).is_ok())
        && all_in(
            outer.requires.iter().map(|p| p.name.as_str()),
            inner.requires.iter().map(|p| p.name.as_str()),
        )
        && retires_no_earlier(outer, inner)
        && (outer.confirm.is_none() || inner.lanes.iter().all(same_phrase))
}

/// The rules of `policy` resolved against `inventory` (YAML text), for
/// the checks' unit tests.
#[cfg(test)]
pub(crate) fn resolved(inventory: &str, policy: &str) -> Vec<Rule> {
    let src = crate::source::SourceFile::new("lanes.yaml", inventory.into(), String::new());
    let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
    let parsed = crate::syntax::parse_file(policy);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    crate::sema::resolve_indexed(
        1,
        parsed,
        &inv,
        &crate::sema::LaneIndex::new(&inv),
        &mut crate::sema::GrantCount::new(crate::config::MAX_GRANTS),
        &mut Vec::new(),
    )
}

#[cfg(test)]
mod subset_tests {
    use super::all_in;

    /// The sorted path and the pairwise path give the same answers, with
    /// repeats, on lists on both sides of the cut.
    #[test]
    fn all_in_is_the_subset_test_on_short_and_long_lists() {
        for n in [0usize, 1, 3, 8, 9, 40, 300] {
            let whole: Vec<usize> = (0..n).map(|k| (k * 7) % (n + 3)).collect();
            for part in [
                whole.clone(),
                whole.iter().rev().copied().chain(whole.iter().copied()).collect(),
                vec![n + 5],
                whole.iter().copied().chain([n + 5]).collect(),
                Vec::new(),
            ] {
                let naive = part.iter().all(|x| whole.contains(x));
                assert_eq!(
                    all_in(part.iter(), whole.iter()),
                    naive,
                    "n={n} part={part:?}"
                );
            }
        }
    }
}
