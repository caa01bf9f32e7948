//! E104 unknown-placeholder: a `confirm` template uses a placeholder other than `{product}`, `{context}`, `{instance}` and `{lane}`.
//!
//! ## What it does
//! Checks the placeholders of confirmation templates, which the compiler
//! expands per lane, and reports unknown or unclosed ones.
//!
//! ## Why is this bad?
//! An unknown placeholder would end up literally in the phrase an operator
//! must type, and one template could no longer give each lane its own phrase.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {contxt} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use super::PLACEHOLDERS;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::suggest::did_you_mean;
use crate::syntax::ast::StringLit;

fn diagnostic(
    file: FileId,
    span: Span,
    found: Option<&str>,
    suggestion: Option<&str>,
) -> Diagnostic {
    let message = match found {
        None => "unclosed `{` in a confirmation template".to_string(),
        Some(name) => format!("unknown placeholder `{{{name}}}`"),
    };
    Diagnostic::new(Code::E104, file, span, message)
        .label("not a placeholder")
        .help(match suggestion {
            Some(s) => format!("did you mean `{{{s}}}`?"),
            None => {
                "the placeholders are `{product}`, `{context}`, `{instance}` and `{lane}`".into()
            }
        })
}

/// Reports bad placeholders; returns true when the template is usable.
pub(super) fn check(file: FileId, s: &StringLit, diags: &mut Vec<Diagnostic>) -> bool {
    let v = &s.value;
    let mut ok = true;
    let mut rest = v.as_str();
    let mut base = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let (name, len) = match after.find('}') {
            Some(close) => (Some(&after[..close]), close + 2),
            None => (None, after.len() + 1),
        };
        if !name.is_some_and(|n| PLACEHOLDERS.contains(&n)) {
            ok = false;
            // The string's span includes its quotes; escapes make inner
            // offsets approximate, so point at the whole string when unsure.
            let raw_len = s.span.len().saturating_sub(2);
            let span = if raw_len == v.len() {
                let start = s.span.start + 1 + base + open;
                Span::new(start, start + len)
            } else {
                s.span
            };
            let sug = name.and_then(|n| did_you_mean(n, PLACEHOLDERS));
            diags.push(diagnostic(file, span, name, sug));
        }
        base += open + len;
        rest = &rest[(open + len).min(rest.len())..];
    }
    ok
}
