//! E202 invalid-config: `lanepolicy.yaml` is not valid YAML or breaks its schema.
//!
//! ## What it does
//! Checks the configuration next to `lanes.yaml`: only the keys `checks`
//! (severity per check, by code or name: `error`, `warning` or `off`),
//! `expires-soon-days` (a whole number of days, 0 to 3650), `max-grants`
//! (the most (lane, action) grants the rules may open, 1 to 2^23; E110),
//! `include` and `exclude` (file globs, relative to the configuration's
//! directory: each glob valid, `include` not empty, and each list small
//! enough to match as one set; a list that cannot be used is never
//! dropped in silence).
//! The two numbers are written in decimal digits: `05000` (leading
//! zeros), `5e3` or `5000.0` (an exponent or a fraction) and `0x1388` are
//! refused, with the value to write instead when there is one.
//! Errors (E-codes) cannot be configured.
//!
//! ## Why is this bad?
//! A configuration that does not mean what it says would quietly change
//! what CI lets through.
//!
//! ## Example
//! ```yaml lanepolicy.yaml
//! checks:
//!   wildcard-touches-production: silent
//! ```
//!
//! ## Use instead
//! ```yaml lanepolicy.yaml
//! checks:
//!   wildcard-touches-production: off
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// An E202 diagnostic; the loader words each problem.
pub(super) fn diagnostic(
    file: FileId,
    span: Span,
    message: String,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::new(Code::E202, file, span, message).maybe_help(help)
}
