//! E105 duplicate-clause: a clause appears twice in one rule.
//!
//! ## What it does
//! Reports a second `until`, `issue`, `confirm`, `requires` or `reason` in the
//! same rule.
//!
//! ## Why is this bad?
//! Two `issue=` or two `until` clauses leave a reader guessing which one
//! counts. A rule says each thing once; `until` takes several conditions with
//! `or`.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch until 2027-01-31 issue=#573 confirm="bootstrap cm testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch or 2027-01-31 issue=#573 confirm="bootstrap cm testing"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast;

fn diagnostic(file: FileId, keyword: &str, second: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E105,
        file,
        second,
        format!("`{keyword}` appears twice in one rule"),
    )
    .label("written again here")
    .note(file, first, "first written here")
    .help(format!(
        "keep one `{keyword}` clause; a rule says each thing once"
    ))
}

/// Reports every clause whose keyword an earlier clause of the rule has,
/// pointing at the first. The first clause of each keyword is kept as it is
/// met (five keywords at most), so a rule of n clauses costs O(n), not a
/// scan of the clauses before each one (30,000 `until` then 30,000 `reason`
/// clauses were 900 million comparisons).
pub(super) fn check(file: FileId, rule: &ast::Rule, diags: &mut Vec<Diagnostic>) {
    let mut first: Vec<(&'static str, Span)> = Vec::new();
    for c in &rule.clauses {
        let keyword = c.kind.keyword();
        let seen = first.iter().find(|(k, _)| {
            #[cfg(test)]
            COMPARISONS.with(|n| n.set(n.get() + 1));
            *k == keyword
        });
        match seen {
            Some(&(_, span)) => diags.push(diagnostic(file, keyword, c.keyword_span, span)),
            None => first.push((keyword, c.keyword_span)),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Keyword comparisons made looking for a clause's first occurrence.
    static COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::{COMPARISONS, check};

    #[test]
    fn each_clause_is_compared_with_the_first_of_each_keyword_only() {
        for n in [10, 1000, 20_000] {
            let text = format!(
                "allow deploy on c/l{}{} issue=#1\n",
                " until launch".repeat(n),
                " reason=\"x\"".repeat(n)
            );
            let parsed = crate::syntax::parse_file(&text);
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            let rule = &parsed.rules[0];
            COMPARISONS.with(|c| c.set(0));
            let mut diags = Vec::new();
            check(0, rule, &mut diags);
            assert_eq!(diags.len(), 2 * n - 2);
            // Every repeat points at the first clause of its keyword.
            let first_reason = rule.clauses[n].keyword_span;
            assert!(diags[n - 1..].iter().all(|d| d.notes[0].span == first_reason));
            let comparisons = COMPARISONS.with(std::cell::Cell::get);
            assert!(comparisons <= 5 * 2 * n, "n={n}: {comparisons} comparisons");
        }
    }
}
