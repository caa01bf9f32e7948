//! E106 unknown-proof: `requires` names a proof the runtime does not know.

use crate::diagnostic::Diagnostic;
use crate::lint::registry::Code;
use crate::model::PROOFS;
use crate::source::FileId;
use crate::syntax::ast::Ident;
use crate::syntax::parser::did_you_mean;

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
