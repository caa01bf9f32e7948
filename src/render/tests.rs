//! Policy test results for a person (`test`): one line per case, what was
//! expected and what came for each failure, and a closing count; and why
//! a suite could not run, with the snippets of its diagnostics.

use crate::policy_tests::{FileReport, SuiteError};
use crate::render::diagnostics::{render_errors, render_human};
use crate::source::one_line;

impl SuiteError {
    /// The problem for a person; `color` for terminal colors.
    pub fn render(&self, color: bool) -> String {
        match self {
            SuiteError::Io(f) => format!("error: {f}\n"),
            SuiteError::TestFile { .. } => match self.diagnostics() {
                Some((sources, diags)) => render_human(&diags, &sources, color),
                None => String::new(),
            },
            SuiteError::Policies { dir, outcome } => {
                format!(
                    "{}error: the policies in {dir} have errors; their tests cannot run\n",
                    render_errors(&outcome.diagnostics, &outcome.sources, color)
                )
            }
        }
    }
}

/// The results for a person: one line per case, what was expected and what
/// came for each failure, and a closing `N passed, N failed` line.
pub fn test_report(reports: &[FileReport]) -> String {
    let mut s = String::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for r in reports {
        s.push_str(&format!(
            "{}: {} case{} against {} ({})\n",
            r.path,
            r.results.len(),
            if r.results.len() == 1 { "" } else { "s" },
            r.policies,
            r.bundle
        ));
        for c in &r.results {
            if c.passed() {
                passed += 1;
                s.push_str(&format!("  ok   {}\n", one_line(&c.name)));
                continue;
            }
            failed += 1;
            let d = &c.decision;
            s.push_str(&format!("  FAIL {}\n", one_line(&c.name)));
            s.push_str(&format!("         at:       {}:{}\n", r.path, c.line));
            s.push_str(&format!("         expected: {}\n", c.expect));
            let codes: Vec<&str> = d.reasons.iter().map(|x| x.code.as_str()).collect();
            let mut came = if d.is_allow() {
                "allow".to_string()
            } else {
                format!("deny ({})", codes.join(", "))
            };
            match &d.rule {
                Some(rule) => came.push_str(&format!(
                    " by rule {} ({}:{}:{})",
                    rule.id, rule.source.path, rule.source.line, rule.source.column
                )),
                None => came.push_str(", no rule concerned"),
            }
            s.push_str(&format!("         came:     {came}\n"));
            for reason in &d.reasons {
                s.push_str(&format!(
                    "                   {}: {}\n",
                    reason.code.as_str(),
                    one_line(&reason.message)
                ));
            }
        }
    }
    s.push_str(&format!("\n{passed} passed, {failed} failed\n"));
    s
}
