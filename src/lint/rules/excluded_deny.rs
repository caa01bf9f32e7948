//! L019 excluded-deny: a `deny` in a policy file the configuration leaves out.
//!
//! ## What it does
//! Reports each `deny` rule in a `.policy` file that `include` or `exclude`
//! in `lanepolicy.yaml` leaves out of the policy set. The file is not
//! compiled, so the deny does not apply: what it closes may be allowed.
//! A `deny` that does not parse is reported too (the left-out file is
//! not checked, so its syntax error would otherwise say nothing), and in
//! a left-out file that does not parse, so is every line that starts with
//! a word that reads as `deny` (`DENY`, `Deny`, fullwidth letters, a line
//! ended by a lone carriage return).
//! The bundle lists every policy file left out (`excluded_policies`), so
//! its reader sees them too.
//!
//! ## Why is this bad?
//! A deny is the last word on a lane: it closes what every grant opens.
//! Excluding a directory of drafts is ordinary; excluding the file that
//! keeps production closed is a widening nobody reviews, because the
//! policy text still reads as if the deny were in force.
//!
//! ## Example
//! ```yaml lanepolicy.yaml
//! exclude: ["shared/**"]
//! ```
//! ```lanepolicy shared/guard.policy
//! deny empty_bootstrap on */prod reason="production is never rebuilt"
//! ```
//!
//! ## Use instead
//! ```yaml lanepolicy.yaml
//! exclude: ["drafts/**"]
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The finding at the deny rule at `span` of left-out policy file `file`;
/// `by` names the configuration key that leaves it out (`exclude` or
/// `include`) and `config` the configuration's file name.
pub(crate) fn diagnostic(file: FileId, span: Span, by: &str, config: &str) -> Diagnostic {
    Diagnostic::new(
        Code::L019,
        file,
        span,
        format!(
            "this `deny` does not apply: `{by}` in {config} leaves its file out of the policy set"
        ),
    )
    .label("not compiled: what it denies may be allowed")
    .help(format!(
        "compile the file (change `{by}` in {config}), or delete the deny if it is meant to end"
    ))
}
