//! E102 unknown-lane: a pattern without `*` names a lane the inventory lacks.

use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::lint::registry::Code;
use crate::source::FileId;
use crate::syntax::ast::Pattern;
use crate::syntax::parser::did_you_mean;

fn diagnostic(file: FileId, pattern: &Pattern, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::E102,
        file,
        pattern.span,
        format!("unknown lane `{}`", pattern.text()),
    )
    .label("not in the inventory")
    .help(match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => "declare the lane under its product's `lanes:` in lanes.yaml".into(),
    })
}

pub(super) fn check(file: FileId, pattern: &Pattern, inv: &Inventory, diags: &mut Vec<Diagnostic>) {
    let keys: Vec<String> = inv.lanes.keys().cloned().collect();
    let s = did_you_mean(&pattern.text(), keys.iter().map(String::as_str));
    diags.push(diagnostic(file, pattern, s));
}
