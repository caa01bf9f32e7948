//! L010 duplicate-rule: an allow is fully covered by another allow.
//!
//! ## What it does
//! Reports an `allow` when another `allow`, in any policy file, already
//! allows every request it allows: the same or more actions on the same or
//! more lanes, asking no other phrase, no more proofs, and retiring no
//! earlier. Of two identical rules, the second is reported.
//!
//! ## Why is this bad?
//! The covered rule can be deleted without changing any decision, but it
//! will not be retired when someone edits the other one, and a reviewer has
//! to read both to know what is allowed.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use super::covers;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::lint::registry::Code;
use crate::model::normalize_phrase;
use crate::sema::Rule;
use crate::syntax::ast::Retire;
use std::collections::HashMap;

fn diagnostic(rule: &Rule, by: &Rule) -> Diagnostic {
    Diagnostic::new(
        Code::L010,
        rule.file,
        rule.keyword_span,
        "this `allow` is covered by another `allow`",
    )
    .label("allows nothing the other rule does not")
    .note(by.file, by.keyword_span, "covered by this rule")
    .help("delete one of the two rules, or make them differ in what they allow")
}

/// An `until` condition as text, for the index.
fn condition(c: &Retire) -> String {
    match c {
        Retire::Event(e) => e.name.clone(),
        Retire::Date { date, .. } => date.to_string(),
    }
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    let allows: Vec<&Rule> = super::allows(ctx).collect();
    // A rule `b` that covers `a` matches `a`'s first (lane, action), asks
    // either no phrase or `a`'s phrase there, and retires at no condition
    // `a` lacks (so its first condition, if any, is one of `a`'s). Index by
    // all four, so that only real candidates are compared.
    type Key<'a> = (&'a str, &'a str, Option<String>, Option<String>);
    let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
    for (j, b) in allows.iter().enumerate() {
        let first = b.until.first().map(condition);
        for lane in &b.lanes {
            let phrase = b.confirm.as_ref().map(|_| {
                b.phrases
                    .get(lane)
                    .map(|p| normalize_phrase(p))
                    .unwrap_or_default()
            });
            for action in &b.actions {
                index
                    .entry((
                        lane.as_str(),
                        action.name.as_str(),
                        phrase.clone(),
                        first.clone(),
                    ))
                    .or_default()
                    .push(j);
            }
        }
    }
    for (i, a) in allows.iter().enumerate() {
        let (Some(lane), Some(action)) = (a.lanes.first(), a.actions.first()) else {
            continue;
        };
        let phrases = [None, a.phrases.get(lane).map(|p| normalize_phrase(p))];
        let conditions: Vec<Option<String>> = std::iter::once(None)
            .chain(a.until.iter().map(|c| Some(condition(c))))
            .collect();
        let mut candidates: Vec<usize> = Vec::new();
        for phrase in phrases
            .iter()
            .filter(|p| p.is_none() || a.confirm.is_some())
        {
            for cond in &conditions {
                let key = (
                    lane.as_str(),
                    action.name.as_str(),
                    phrase.clone(),
                    cond.clone(),
                );
                candidates.extend(index.get(&key).into_iter().flatten());
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        // Another rule covers `a`; when they cover each other, only the later one is reported.
        let by = candidates
            .into_iter()
            .map(|j| (j, allows[j]))
            .find(|&(j, b)| j != i && covers(b, a) && (j < i || !covers(a, b)));
        if let Some((_, b)) = by {
            out.push(diagnostic(a, b));
        }
    }
}
