//! L020 deny-matches-nothing: a `deny` pattern with `*` matches no lane.
//!
//! ## What it does
//! Reports a glob pattern of a `deny` (`opw/*`, `h*/prdo`) that matches no
//! lane of the inventory. The same pattern in an `allow` is the warning
//! L007 pattern-matches-nothing; in a deny it is an error, because the deny
//! then protects nothing. Patterns without `*` that match nothing are the
//! error `unknown-lane` (E102).
//!
//! ## Why is this bad?
//! A deny is a freeze someone wrote on purpose. A typo in its pattern
//! leaves every lane it meant open while the policy text still reads as if
//! they were closed, and nothing else reports it: the grants it was meant
//! to stop still pass every check.
//!
//! ## Example
//! ```lanepolicy
//! deny upstream_restore on opx/* reason="frozen for the audit"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! deny upstream_restore on opw/* reason="frozen for the audit"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::{Pattern, Rule};

fn diagnostic(rule: &Rule, pattern: &Pattern) -> Diagnostic {
    Diagnostic::new(
        Code::L020,
        rule.file,
        pattern.pattern.span,
        format!(
            "`{}` matches no lane: this deny protects nothing",
            pattern.pattern.text()
        ),
    )
    .label("no lane in the inventory matches")
    .help("check the context and instance against lanes.yaml: the lanes this deny means to close are open")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::denies(ctx) {
        for p in rule
            .patterns
            .iter()
            .filter(|p| p.pattern.is_glob() && p.lanes.is_empty())
        {
            out.push(diagnostic(rule, p));
        }
    }
}
