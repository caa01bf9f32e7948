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
use crate::sema::Rule;
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

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    let allows: Vec<&Rule> = super::allows(ctx).collect();
    // A rule that covers `a` matches `a`'s first (lane, action): index by it.
    let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (j, b) in allows.iter().enumerate() {
        for lane in &b.lanes {
            for action in &b.actions {
                by_pair
                    .entry((lane.as_str(), action.name.as_str()))
                    .or_default()
                    .push(j);
            }
        }
    }
    for (i, a) in allows.iter().enumerate() {
        let (Some(lane), Some(action)) = (a.lanes.first(), a.actions.first()) else {
            continue;
        };
        let candidates = by_pair
            .get(&(lane.as_str(), action.name.as_str()))
            .map_or(&[][..], Vec::as_slice);
        // Another rule covers `a`; when they cover each other, only the later one is reported.
        let by = candidates
            .iter()
            .map(|&j| (j, allows[j]))
            .find(|&(j, b)| j != i && covers(b, a) && (j < i || !covers(a, b)));
        if let Some((_, b)) = by {
            out.push(diagnostic(a, b));
        }
    }
}
