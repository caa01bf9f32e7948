//! L014 unused-suppression: a suppression silences nothing.
//!
//! ## What it does
//! Reports each code of a `lanepolicy: ignore` comment that matched no
//! diagnostic of the rule (or line) it stands before, and each check the
//! comment lists more than once (`ignore L012, L012`, or by its code and its
//! name), whose repeat silences nothing. Codes of checks that the
//! configuration turns `off` are not reported.
//!
//! ## Why is this bad?
//! A stale suppression hides the next real finding of that check on the
//! rule, and misleads a reader into thinking the rule needs an exception.
//!
//! ## Example
//! ```lanepolicy
//! // lanepolicy: ignore L012 reason="named lanes only"
//! allow empty_bootstrap on cm/testing, cm/prod until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/prod until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// An L014 diagnostic for `code` in the suppression at `span`.
pub(crate) fn diagnostic(file: FileId, span: Span, code: Code) -> Diagnostic {
    finding(file, span, code, "is suppressed here but does not fire")
        .label("unused suppression")
        .help("remove the code from the suppression, or the whole comment")
}

/// A check listed twice in one suppression (`ignore L012, L012` or by its
/// code and its name): the second silences nothing.
pub(crate) fn repeated(file: FileId, span: Span, code: Code) -> Diagnostic {
    finding(file, span, code, "is listed more than once in this suppression")
        .label("repeated in the suppression")
        .help("list each check once")
}

/// An L014 at the suppression at `span` about `code`: its code and name,
/// then `what`.
fn finding(file: FileId, span: Span, code: Code, what: &str) -> Diagnostic {
    let check = code.check();
    Diagnostic::new(
        Code::L014,
        file,
        span,
        format!("`{}` ({}) {what}", check.code, check.name),
    )
}
