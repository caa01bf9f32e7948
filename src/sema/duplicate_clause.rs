//! E105 duplicate-clause: a clause appears twice in one rule.
//!
//! ## What it does
//! Reports a second `until`, `issue`, `confirm`, `requires` or `reason` in the
//! same rule.
//!
//! ## Why is this bad?
//! Two `issue=` or two `until` clauses leave a reader guessing which one
//! counts. A rule says each thing once; `until` takes several conditions with
//! `or`.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch until 2027-01-31 issue=#573 confirm="bootstrap cm testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch or 2027-01-31 issue=#573 confirm="bootstrap cm testing"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast;

fn diagnostic(file: FileId, keyword: &str, second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E105,
        file,
        second,
        format!("`{keyword}` appears twice in one rule"),
    )
    .label("written again here")
    .note(file, first, "first written here")
    .help(format!(
        "keep one `{keyword}` clause; a rule says each thing once"
    ))
}

pub(super) fn check(file: FileId, rule: &ast::Rule, diags: &mut Vec<Diagnostic>) {
    for (k, c) in rule.clauses.iter().enumerate() {
        if let Some(first) = rule.clauses[..k]
            .iter()
            .find(|p| p.kind.keyword() == c.kind.keyword())
        {
            diags.push(diagnostic(
                file,
                c.kind.keyword(),
                c.keyword_span,
                first.keyword_span,
            ));
        }
    }
}
