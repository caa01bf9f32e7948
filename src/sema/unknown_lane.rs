//! E102 unknown-lane: a pattern without `*` names a lane the inventory lacks.
//!
//! ## What it does
//! Checks that every lane written out in full (`cm/testing`) exists in the
//! inventory, and suggests the nearest lane. Patterns with `*` that match
//! nothing are the warning `pattern-matches-nothing` (L007) instead.
//!
//! ## Why is this bad?
//! A rule about a lane that does not exist protects or opens nothing; usually
//! it is a typo, and the lane that was meant stays closed (or open).
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/tesing until launch issue=#573 confirm="bootstrap cm testing"
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
use crate::suggest::did_you_mean;
use crate::syntax::ast::Pattern;

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

pub(super) fn check(
    file: FileId,
    pattern: &Pattern,
    inv: &Inventory,
    index: &LaneIndex,
    diags: &mut Vec<Diagnostic>,
) {
    // A near lane of the same context first, then any lane (the search is
    // bounded: see `suggest`).
    let text = pattern.text();
    let s = did_you_mean(&text, index.lanes_of(&pattern.context))
        .or_else(|| did_you_mean(&text, inv.lanes.keys().map(String::as_str)));
    diags.push(diagnostic(file, pattern, s));
}
