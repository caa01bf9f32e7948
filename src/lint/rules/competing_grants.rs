//! L017 competing-grants: two allows open the same action on the same lane behind different gates.
//!
//! ## What it does
//! Groups the `allow` rules by (lane, action) and reports a rule that opens
//! an action on a lane that an earlier `allow` also opens, when the two ask
//! for something different there: another confirmation phrase (compared
//! as Launchplane compares them: trimmed, lower-cased), a phrase against
//! none, or other `requires=` proofs. Rules whose `until` date has passed
//! are left out (`retired-rule` reports them). Two allows with the same
//! gate are `duplicate-rule`'s business, not this check's.
//!
//! ## Why is this bad?
//! An action is allowed when *any* active allow's conditions are met, so
//! each extra allow is another way in. A second phrase means either phrase
//! opens the lane, and a grant without a phrase, or without a proof, makes
//! the other grant's phrase or proof optional: the strict rule still reads
//! as the gate while the loose one silently replaces it. The Launchplane
//! export carries one phrase per lane and cannot say "either", so the
//! record would be disabled. This is an error by default because it
//! silently weakens a gate someone wrote on purpose; merge the grants into
//! one rule, or retire the old one.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {lane}"
//! allow empty_bootstrap on cm/testing until launch issue=#580 confirm="reset testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {lane}"
//! ```

use crate::checks::Code;
use crate::diagnostic::{Diagnostic, NAMED_IN_MESSAGE, quoted_list};
use crate::lint::LintContext;
use crate::model::{implied_proofs, normalized_phrase};
use crate::sema::Rule;
use crate::syntax::ast::Retire;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// What an allow asks for on one lane: the phrase (normalised, if any) and
/// the proofs needed, sorted: those it names and those the lane implies for
/// the action as the inventory declares it (`model::implied_proofs`), so
/// that naming an implied proof in one rule and not the other differs in
/// nothing.
type Gate<'a> = (Option<Cow<'a, str>>, Vec<&'a str>);

/// The gate of `rule` on a lane where it asks `phrase` (its phrase there,
/// if it asks one) and the lane implies `implied` for the action.
fn gate<'a>(rule: &'a Rule, phrase: Option<&'a str>, implied: &[&'a str]) -> Gate<'a> {
    let phrase = rule
        .confirm
        .as_ref()
        .map(|_| normalized_phrase(phrase.unwrap_or("")));
    let mut proofs: Vec<&str> = rule.requires.iter().map(|p| p.name.as_str()).collect();
    proofs.extend_from_slice(implied);
    proofs.sort_unstable();
    proofs.dedup();
    (phrase, proofs)
}

/// The proofs that `lane` implies for `action`, as the inventory declares
/// them: the same for every rule opening that (lane, action).
fn implied<'a>(ctx: &'a LintContext, lane: &str, action: &str) -> Vec<&'a str> {
    match (
        ctx.inventory.lanes.get(lane),
        ctx.inventory.actions.get(action),
    ) {
        (Some(l), Some(a)) => {
            implied_proofs(a.destructive, l.production, l.phase, l.data_authority)
        }
        _ => Vec::new(),
    }
}

/// How two gates differ, as the end of a sentence.
fn difference(this: &Gate, first: &Gate) -> String {
    match (&this.0, &first.0) {
        (Some(a), Some(b)) if a != b => format!("with the phrase `{a}` beside `{b}`"),
        (None, Some(b)) => format!("with no phrase, which makes `{b}` optional"),
        (Some(a), None) => {
            format!("with the phrase `{a}`, which the earlier grant does not ask for")
        }
        _ => {
            let show = |p: &[&str]| {
                if p.is_empty() {
                    "no proof".to_string()
                } else {
                    p.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            format!(
                "asking for {} where the earlier grant asks for {}",
                show(&this.1),
                show(&first.1)
            )
        }
    }
}

fn diagnostic(
    rule: &Rule,
    first: &Rule,
    what: &str,
    lanes: &[&str],
    actions: &[&str],
) -> Diagnostic {
    let list = |xs: &[&str]| quoted_list(xs, NAMED_IN_MESSAGE);
    let span = rule.confirm.as_ref().map_or(rule.keyword_span, |c| c.span);
    Diagnostic::new(
        Code::L017,
        rule.file,
        span,
        format!(
            "a second grant of {} on {}, {what}",
            list(actions),
            list(lanes)
        ),
    )
    .label("either grant opens the lane")
    .note(first.file, first.keyword_span, "the earlier grant")
    .help("one (lane, action) is opened by one allow: merge the two rules, or delete the one that should no longer apply")
}

/// True when an `until` date of `rule` has passed: it allows nothing any more.
fn retired_by_date(ctx: &LintContext, rule: &Rule) -> bool {
    rule.until
        .iter()
        .any(|c| matches!(c, Retire::Date { date, .. } if *date < ctx.today))
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    // One entry per (lane, action, rule) an allow opens; sorted, so that
    // each (lane, action) is a run of entries in rule order: O(n log n) in
    // the number of entries, never pairwise over the rules.
    let rules: Vec<(usize, &Rule)> = ctx
        .program
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effect == crate::model::Effect::Allow && !retired_by_date(ctx, r))
        // A rule whose phrase template was refused (E104, E108, E109) has
        // no phrase to compare: its error says what is wrong, and a
        // comparison would show its phrase as empty.
        .filter(|(_, r)| r.confirm.is_none() || r.lanes.is_empty() || !r.phrases.is_empty())
        .collect();
    // (lane, action, rule, its phrase there).
    let mut entries: Vec<(&str, &str, usize, Option<&str>)> = Vec::new();
    for &(k, rule) in &rules {
        let mut actions: Vec<&str> = rule.actions.iter().map(|a| a.name.as_str()).collect();
        actions.sort_unstable();
        actions.dedup();
        for (lane, phrase) in rule.lanes.iter().zip(rule.phrases.along(&rule.lanes)) {
            for &action in &actions {
                entries.push((lane.as_str(), action, k, phrase.map(String::as_str)));
            }
        }
    }
    entries.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let all = &ctx.program.rules;
    // (later rule, earlier rule) -> (how they differ on the first lane
    // found, lanes, actions): one finding per pair of rules, however many
    // lanes a pattern matches. Entries come in lane order, so a pair's
    // lanes are pushed sorted, a lane again only for another action.
    type Found<'a> = BTreeMap<(usize, usize), (String, Vec<&'a str>, BTreeSet<&'a str>)>;
    let mut found: Found = BTreeMap::new();
    for group in entries.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
        let [(lane, action, first, phrase), rest @ ..] = group else {
            continue;
        };
        if rest.iter().all(|e| e.2 == *first) {
            continue;
        }
        let implied = implied(ctx, lane, action);
        let first_gate = gate(&all[*first], *phrase, &implied);
        for &(_, _, k, phrase) in rest {
            if k == *first {
                continue;
            }
            let g = gate(&all[k], phrase, &implied);
            if g != first_gate {
                let e = found.entry((k, *first)).or_insert_with(|| {
                    (
                        difference(&g, &first_gate),
                        Vec::new(),
                        BTreeSet::new(),
                    )
                });
                if e.1.last() != Some(lane) {
                    e.1.push(lane);
                }
                e.2.insert(action);
            }
        }
    }
    for ((k, first), (what, lanes, actions)) in found {
        let actions: Vec<&str> = actions.into_iter().collect();
        out.push(diagnostic(&all[k], &all[first], &what, &lanes, &actions));
    }
}
