//! L018 no-policies: the policy set has no rules, so every action is denied.
//!
//! ## What it does
//! Reports, at the inventory, a policy set without a single rule: the
//! directory holds no `.policy` file (the last one was deleted), or the
//! files hold only comments. The set still checks and builds: its bundle
//! is valid and denies every action on every lane (`no-matching-rule`),
//! so deleting the last policy file retires every grant once the new
//! bundle ships.
//!
//! ## Why is this bad?
//! It may be what is meant (every exception retired), or a mistake (the
//! wrong directory, files moved away). Either way nothing is allowed, and
//! the warning makes sure it is seen before it ships.
//!
//! ## Example
//! ```text
//! // The last exception was removed; nothing is left but this comment.
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! // No exception is approved: every action stays denied, by intent.
//! deny volume_import on */prod reason="retained volumes are never imported into production"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The finding, at the start of the inventory (`inventory`), for a set of
/// `files` policy files without rules.
pub(crate) fn diagnostic(inventory: FileId, files: usize) -> Diagnostic {
    let found = match files {
        0 => "no `.policy` file was found".to_string(),
        1 => "the one `.policy` file has no rule".to_string(),
        n => format!("the {n} `.policy` files have no rule"),
    };
    Diagnostic::new(
        Code::L018,
        inventory,
        Span::new(0, 0),
        format!("{found}: the bundle denies every action on every lane"),
    )
    .help("if every grant is meant to end, ship it; otherwise restore the policy files")
}
