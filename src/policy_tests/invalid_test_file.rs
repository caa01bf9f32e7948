//! E203 invalid-test-file: a policy test file (`*.test.yaml`) cannot run.
//!
//! ## What it does
//! Reports a policy test file that `lanepolicy test` cannot run, at the
//! line and column of the problem: YAML that does not read, an unknown or
//! missing key, a value of the wrong type, a reason code or phase that
//! does not exist, a malformed time or fact, two cases with one name, or
//! a request or fact that names a lane, action, product, event or proof
//! the compiled bundle does not have (unless the case expects exactly
//! that reason). No case runs while any test file has one: a test that
//! cannot be read never passes by accident.
//!
//! ## Why is this bad?
//! A misspelt key or reason code would otherwise make a case test
//! something else than written, or nothing at all, and pass.
//!
//! ## Example
//! ```yaml example.test.yaml
//! cases:
//!   - name: cm testing bootstrap
//!     request: {lane: cm/testing, action: empty_bootstrap}
//!     expect: {decision: deny, reason: confirmation-missing}
//! ```
//!
//! ## Use instead
//! ```yaml example.test.yaml
//! cases:
//!   - name: cm testing bootstrap
//!     request: {lane: cm/testing, action: empty_bootstrap}
//!     expect: {decision: deny, reason: confirmation-required}
//! ```

use super::cases::CaseError;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

/// The finding for `e` in test file `file` (whose text is `src`): at the
/// value the message first names in backticks when it is written on the line
/// the reader points at, from its column on (the reader gives the place
/// of the enclosing mapping for a value inside one) or else anywhere on
/// that line (it gives a value's place for a key at fault); else at the
/// word there.
pub(crate) fn diagnostic(file: FileId, src: &SourceFile, e: &CaseError) -> Diagnostic {
    let at = src.offset_of(e.line.max(1), e.column.max(1));
    let line_start = src.text[..at].rfind('\n').map_or(0, |k| k + 1);
    let line_end = src.text[at..].find('\n').map_or(src.text.len(), |k| at + k);
    let named = e
        .message
        .split_once('`')
        .and_then(|(_, m)| m.split_once('`'))
        .map(|(value, _)| value)
        .filter(|v| !v.is_empty())
        .and_then(|v| {
            // From the column on, else anywhere on the line (the reader
            // points at a value when the name at fault is its key).
            src.text[at..line_end]
                .find(v)
                .map(|k| at + k)
                .or_else(|| {
                    src.text[line_start..line_end]
                        .find(v)
                        .map(|k| line_start + k)
                })
                .map(|k| Span::new(k, k + v.len()))
        });
    let span = named.unwrap_or_else(|| src.word_at(at));
    let d = Diagnostic::new(Code::E203, file, span, e.message.clone());
    match &e.help {
        Some(h) => d.help(h.clone()),
        None => d,
    }
}
