//! E002 invalid-suppression: a `// lanepolicy: ignore` comment is malformed, has no reason, names an error, or is not right before a rule.
//!
//! ## What it does
//! Checks suppression comments. The form is
//! `// lanepolicy: ignore CODE[, CODE...] reason="why"` on a line of its
//! own right before a rule, or before more comment lines that are (in
//! `lanes.yaml`: `# lanepolicy: ignore ...` on the line before the flagged
//! line). A blank line between it and the rule, or text before it on its
//! line (the end of another rule), detaches it: a suppression left behind
//! when its rule was deleted would otherwise silence the next rule down.
//! A comment written almost as one that names a check to ignore (`///
//! lanepolicy: ignore L012 ...`, `// LanePolicy: ignore L012 ...`) is
//! reported too, rather than read as a plain comment that silences
//! nothing; prose that merely starts with `lanepolicy:` is left alone. Codes may be written as codes (`L012`) or names
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

/// The E002s of one file, in text order: the first
/// [`crate::syntax::parser::MAX_SYNTAX_ERRORS`] are reported, and the rest
/// counted in one more at the first of them (as syntax errors are), so a
/// file of a million malformed comments is not a million diagnostics.
pub(crate) struct Reports {
    file: FileId,
    kept: usize,
    more: usize,
    first_more: Option<Span>,
}

impl Reports {
    /// No E002 yet, for `file`.
    pub(crate) fn new(file: FileId) -> Self {
        Reports {
            file,
            kept: 0,
            more: 0,
            first_more: None,
        }
    }

    /// Reports a malformed suppression at `span`, or counts it past the cap.
    pub(crate) fn push(&mut self, diags: &mut Vec<Diagnostic>, span: Span, problem: &str, help: &str) {
        if self.kept < crate::syntax::parser::MAX_SYNTAX_ERRORS {
            self.kept += 1;
            diags.push(diagnostic(self.file, span, problem, help));
        } else {
            self.first_more.get_or_insert(span);
            self.more += 1;
        }
    }

    /// Adds the count of those past the cap, if any.
    pub(crate) fn finish(self, diags: &mut Vec<Diagnostic>) {
        if let Some(span) = self.first_more {
            let more = self.more;
            let mut summary = Diagnostic::new(
                    Code::E002,
                    self.file,
                    span,
                    format!(
                        "{more} more invalid suppression{} from here on {} not shown",
                        if more == 1 { "" } else { "s" },
                        if more == 1 { "is" } else { "are" }
                    ),
                )
                .label("the first of them")
                .help(format!(
                    "fix the first {}: a suppression is `lanepolicy: ignore CODE reason=\"...\"` on the line before what it is about",
                    crate::syntax::parser::MAX_SYNTAX_ERRORS
                ));
            summary.hidden = more.saturating_sub(1);
            diags.push(summary);
        }
    }
}
