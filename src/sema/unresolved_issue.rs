//! E107 unresolved-issue: `issue=#N` is used but the inventory has no
//! `issues:` base URL to resolve it against.

use super::Issue;
use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::lint::registry::Code;
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
