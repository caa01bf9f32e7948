//! E102 unknown-lane: a pattern without `*` names a lane the inventory lacks.
//!
//! ## What it does
//! Checks that every lane written out in full (`cm/testing`) exists in the
//! inventory, and suggests the nearest lane. Patterns with `*` that match
//! nothing are the warning `pattern-matches-nothing` (L007) instead. The
//! search for suggestions has a budget per compilation (about a second of
//! work, [`LaneIndex`]'s): past it, unknown lanes are reported without one.
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
    // A near lane of the same context first, then any lane; both searches
    // are charged to the compilation's budget (`LaneIndex::suggest`).
    let text = pattern.text();
    let s = index
        .suggest(&text, index.lanes_of(&pattern.context))
        .or_else(|| index.suggest(&text, inv.lanes.keys().map(String::as_str)));
    diags.push(diagnostic(file, pattern, s));
}

#[cfg(test)]
mod tests {
    use crate::checks::Code;
    use crate::source::SourceFile;

    /// The searches for suggestions stop when the compilation's budget is
    /// spent: the first unknown lanes get one, the rest none, and the work
    /// charged passes the budget by one search at most.
    #[test]
    fn suggestions_stop_when_the_budget_is_spent() {
        let mut yaml = String::from(
            "actions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for c in 0..500 {
            yaml.push_str(&format!(
                "  p{c}:\n    context: c{c}\n    lanes:\n      testing: {{production: false}}\n      staging: {{production: false}}\n"
            ));
        }
        let src = SourceFile::new("lanes.yaml", yaml, String::new());
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let index = crate::sema::LaneIndex::new(&inv);
        let budget = 200_000;
        index.suggestion_work.set(budget);
        let policy: String = (0..300)
            .map(|c| format!("allow deploy on c{c}x/testing until 2099-01-01 issue=#1\n"))
            .collect();
        let parsed = crate::syntax::parser::parse_decoded(&policy);
        let mut diags = Vec::new();
        let mut grants = crate::sema::GrantCount::new(crate::config::MAX_GRANTS);
        crate::sema::resolve_indexed(1, parsed, &inv, &index, &mut grants, &mut diags);
        let e102: Vec<_> = diags.iter().filter(|d| d.code == Code::E102).collect();
        assert_eq!(e102.len(), 300);
        let suggested = e102
            .iter()
            .filter(|d| d.help.as_deref().is_some_and(|h| h.contains("did you mean")))
            .count();
        // A search over 1,000 lanes costs at least 1,000 of the budget.
        assert!(suggested >= 1, "{suggested}");
        assert!(suggested <= budget / 1000, "{suggested}");
        assert!(!index.suggestions_left());
    }
}
