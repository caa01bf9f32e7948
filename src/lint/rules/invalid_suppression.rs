//! E002 invalid-suppression: a `// lanepolicy: ignore` comment is malformed, has no reason, names an error, or stands before no rule.
//!
//! ## What it does
//! Checks suppression comments. The form is
//! `// lanepolicy: ignore CODE[, CODE...] reason="why"` on the lines right
//! before a rule (in `lanes.yaml`: `# lanepolicy: ignore ...` on the line
//! before the flagged line). Codes may be written as codes (`L012`) or names
//! (`wildcard-touches-production`). Errors (E-codes) cannot be suppressed.
//!
//! ## Why is this bad?
//! A suppression is an exception to an exception: it must say why, so an
//! auditor can judge it. The reason is carried into the bundle with the
//! rule it applies to.
//!
//! ## Example
//! ```lanepolicy
//! // lanepolicy: ignore L012
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! // lanepolicy: ignore L012 reason="cm has only the two lanes of #573"
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// An E002 diagnostic at the suppression comment.
pub(crate) fn diagnostic(file: FileId, span: Span, problem: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E002,
        file,
        span,
        format!("invalid suppression: {problem}"),
    )
    .label("suppression")
    .help(help.to_string())
}
