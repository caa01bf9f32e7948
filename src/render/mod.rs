//! Every text lanepolicy prints, in one place: the library's types hold
//! data, and this module turns them into what a person or a tool reads.
//! Nothing here decides, compiles or reads a file.
//!
//! | output | module |
//! |---|---|
//! | diagnostics: human (miette), JSON, GitHub workflow commands, the summary line, several projects' reports merged | [`diagnostics`] |
//! | diagnostics as SARIF 2.1.0 | [`sarif`] |
//! | `decide` and `explain`: decisions, explanations, "did you mean" hints | [`decision`] |
//! | `lanes`: the read model | [`mod@lanes`] |
//! | `diff`: effective and rule-level changes, as text and Markdown | [`review`] |
//! | `graph`: Graphviz DOT | [`dot`] |
//! | `test`: policy test results and suites that cannot run | [`tests`] |
//! | `fmt`: unified diffs and the closing count | [`fmt`] |
//! | `rule`: a check's documentation, or the list of checks, as text or JSON | [`rule`] |
//!
//! JSON outputs of the runtime (decisions, explanations, the read model,
//! reviews, exports) are their types' `serde` form, written by [`json`].
//! Text that comes from a policy, the inventory, a bundle or a request is
//! printed through `crate::source::one_line`, so that it cannot start a
//! line of its own.

pub mod decision;
pub mod diagnostics;
pub mod dot;
pub mod fmt;
pub mod lanes;
pub mod review;
pub mod rule;
pub mod sarif;
pub mod tests;

pub use decision::unknown_name_hint;
pub use diagnostics::{
    JsonDiagnostic, JsonSuppression, Project, render_errors, render_github, render_human,
    render_json, render_projects, summary_line,
};
pub use lanes::lanes;
pub use sarif::{SARIF_FINGERPRINT, SARIF_ROOT, render_sarif};
pub use tests::test_report;

/// The items of `items` as [`json`] prints a list of them (the same
/// bytes), serialized as they come: the list itself is never held.
pub fn json_seq<T: serde::Serialize>(items: impl Iterator<Item = T>) -> String {
    struct Seq<I>(std::cell::RefCell<Option<I>>);
    impl<I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for Seq<I> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let items = self.0.borrow_mut().take();
            s.collect_seq(items.into_iter().flatten())
        }
    }
    json(&Seq(std::cell::RefCell::new(Some(items))))
}

/// `value` as pretty-printed JSON with a final newline: the form of every
/// JSON output. A value that cannot be serialized (none of lanepolicy's
/// can: their maps have string keys) gives `null`.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod json_tests {
    #[test]
    fn a_list_serialized_as_it_comes_is_the_list_serialized_whole() {
        let rt = crate::runtime::Runtime::new(crate::bundle::real_fixture());
        let facts = crate::runtime::Facts::at("2026-12-01T12:00:00Z".parse().unwrap());
        let views = rt.lanes(&facts);
        assert!(views.len() > 1);
        assert_eq!(super::json_seq(rt.lanes_iter(&facts)), super::json(&views));
        assert_eq!(
            super::lanes(rt.bundle(), rt.lanes_iter(&facts)),
            super::lanes(rt.bundle(), &views)
        );
        let none: Vec<u32> = Vec::new();
        assert_eq!(super::json_seq(none.iter()), super::json(&none));
        assert_eq!(super::json_seq([1, 2].iter()), super::json(&[1, 2]));
    }
}
