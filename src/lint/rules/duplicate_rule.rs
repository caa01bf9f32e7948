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
    for (i, a) in allows.iter().enumerate() {
        if a.lanes.is_empty() {
            continue;
        }
        // Another rule covers `a`; when they cover each other, only the later one is reported.
        let by = allows
            .iter()
            .enumerate()
            .find(|&(j, b)| j != i && covers(b, a) && (j < i || !covers(a, b)));
        if let Some((_, b)) = by {
            out.push(diagnostic(a, b));
        }
    }
}
