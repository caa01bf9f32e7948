//! E106 unknown-proof: `requires` names a proof other than `backup_proof` and `restore_proof`.
//!
//! ## What it does
//! Checks proof names against the proofs the runtime knows: `backup_proof`
//! (Launchplane's backup-gate record) and `restore_proof` (a restore
//! verification record).
//!
//! ## Why is this bad?
//! A misspelt proof would be demanded at run time under a name no caller
//! presents, so the action could never be allowed, or a caller would learn to
//! pass anything under that name.
//!
//! ## Example
//! ```lanepolicy
//! allow backup_restore on hq/prod until 2027-01-31 issue=#600 confirm="restore {lane}" requires backup_prof, restore_proof
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow backup_restore on hq/prod until 2027-01-31 issue=#600 confirm="restore {lane}" requires backup_proof, restore_proof
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::model::PROOFS;
use crate::source::FileId;
use crate::suggest::did_you_mean;
use crate::syntax::ast::Ident;

fn diagnostic(file: FileId, proof: &Ident, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::E106,
        file,
        proof.span,
        format!("unknown proof `{}`", proof.name),
    )
    .label("no such proof")
    .help(match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => "the proofs are `backup_proof` and `restore_proof`".into(),
    })
}

pub(super) fn check(file: FileId, proof: &Ident, diags: &mut Vec<Diagnostic>) {
    if !PROOFS.contains(&proof.name.as_str()) {
        diags.push(diagnostic(file, proof, did_you_mean(&proof.name, PROOFS)));
    }
}
