//! E107 unresolved-issue: `issue=#N` is used but the inventory has no `issues:` base URL.
//!
//! ## What it does
//! Resolves issue references to URLs: `#573` against the inventory's `issues:`
//! base, `owner/repo#573` to GitHub, a quoted `https://` URL as written. It
//! reports a `#N` that has no base to resolve against.
//!
//! ## Why is this bad?
//! The issue URL is the approval signal shown in the read model and in every
//! decision; a reference nobody can follow is no audit trail.
//!
//! ## Example
//! ```yaml
//! actions:
//!   deploy: {operation: deploy, destructive: false}
//! products:
//!   odoo-tenant-cm:
//!     context: cm
//!     events: {launch: pending}
//!     lanes:
//!       testing: {production: false, phase: prelaunch}
//! ```
//! ```lanepolicy
//! allow deploy on cm/testing until launch issue=#573
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on cm/testing until launch issue=cbusillo/launchplane#573
//! ```

use super::Issue;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::source::{FileId, Span};
use crate::syntax::ast::IssueRef;

fn diagnostic(file: FileId, span: Span, number: u64) -> Diagnostic {
    Diagnostic::new(Code::E107, file, span, format!("`#{number}` cannot be resolved to a URL"))
        .label("no `issues:` base URL in the inventory")
        .help(format!(
            "add `issues: https://github.com/OWNER/REPO/issues/` to lanes.yaml, or write `OWNER/REPO#{number}`"
        ))
}

/// Resolves a reference to its URL (GitHub form: `https://github.com/owner/repo/issues/N`).
pub(super) fn resolve(
    file: FileId,
    reference: &IssueRef,
    span: Span,
    inv: &Inventory,
    diags: &mut Vec<Diagnostic>,
) -> Option<Issue> {
    let (text, url) = match reference {
        IssueRef::Local(n) => match &inv.issues {
            Some(base) => (format!("#{n}"), format!("{base}{n}")),
            None => {
                diags.push(diagnostic(file, span, *n));
                return None;
            }
        },
        IssueRef::GitHub {
            owner,
            repo,
            number,
        } => (
            format!("{owner}/{repo}#{number}"),
            format!("https://github.com/{owner}/{repo}/issues/{number}"),
        ),
        IssueRef::Url(u) => (u.clone(), u.clone()),
    };
    Some(Issue {
        reference: text,
        url,
        span,
    })
}
