//! E101 unknown-action: an action is not declared in the inventory.
//!
//! ## What it does
//! Checks that every action a rule names is declared under `actions:` in
//! `lanes.yaml`, and suggests the nearest declared name.
//!
//! ## Why is this bad?
//! The runtime only knows declared actions; a misspelt action grants or
//! denies nothing, so the rule silently does not do what it says.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstap on cm/testing until launch issue=#573 confirm="bootstrap cm testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap cm testing"
//! ```

use super::LaneIndex;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::source::FileId;
use crate::syntax::ast::Ident;

fn diagnostic(file: FileId, action: &Ident, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(Code::E101, file, action.span, format!("unknown action `{}`", action.name))
        .label("not declared in the inventory")
        .help(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it under `actions:` in lanes.yaml, with its `operation` and whether it is `destructive`".into(),
        })
}

pub(super) fn check(
    file: FileId,
    action: &Ident,
    inv: &Inventory,
    index: &LaneIndex,
    diags: &mut Vec<Diagnostic>,
) {
    if !inv.actions.contains_key(&action.name) {
        // The search shares the compilation's budget of suggestions.
        let s = index.suggest(&action.name, inv.actions.keys().map(String::as_str));
        diags.push(diagnostic(file, action, s));
    }
}
