//! E108 empty-confirmation: a `confirm` phrase is empty or blank.
//!
//! ## What it does
//! Reports `confirm=""`, or a phrase with nothing visible in it (spaces,
//! combining marks or format characters alone; `model::is_blank`, the
//! runtime's and the bundle loader's own test): phrases are compared
//! trimmed, so such a phrase would be matched by typing nothing, and the
//! loader refuses a bundle that holds one.
//!
//! ## Why is this bad?
//! The phrase is the operator's proof that they mean this lane. An empty one
//! proves nothing, and the runtime refuses to match it anyway.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="  "
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::StringLit;

fn diagnostic(file: FileId, s: &StringLit) -> Diagnostic {
    Diagnostic::new(Code::E108, file, s.span, "the confirmation phrase is empty")
        .label("nothing to type")
        .help("name the lane in the phrase, e.g. `confirm=\"bootstrap {context} {instance}\"`")
}

/// Reports a blank phrase; returns true when the phrase is usable.
pub(super) fn check(file: FileId, s: &StringLit, diags: &mut Vec<Diagnostic>) -> bool {
    if crate::model::is_blank(&s.value) {
        diags.push(diagnostic(file, s));
        return false;
    }
    true
}
