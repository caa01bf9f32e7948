//! L007 pattern-matches-nothing: a pattern with `*` matches no lane.
//!
//! ## What it does
//! Reports glob patterns (`opw/*`, `*/prod`) of an `allow` that match no
//! lane of the inventory (in a `deny`, the error L020
//! deny-matches-nothing). Patterns without `*` that match nothing are the error
//! `unknown-lane` (E102).
//!
//! ## Why is this bad?
//! A pattern that matches nothing does nothing today, and will silently
//! start matching the first lane someone adds under that name. Usually it is
//! a typo in the context.
//!
//! ## Example
//! ```lanepolicy
//! allow upstream_restore on opx/* until cutover issue=#573 confirm="restore {lane}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow upstream_restore on opw/* until cutover issue=#573 confirm="restore {lane}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::{Pattern, Rule};

fn diagnostic(rule: &Rule, pattern: &Pattern) -> Diagnostic {
    Diagnostic::new(
        Code::L007,
        rule.file,
        pattern.pattern.span,
        format!("`{}` matches no lane", pattern.pattern.text()),
    )
    .label("no lane in the inventory matches")
    .help("check the context and instance against lanes.yaml, or remove the pattern")
}

/// Allows only: a deny's pattern that matches nothing is L020.
pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in ctx
        .program
        .rules
        .iter()
        .filter(|r| r.effect == crate::model::Effect::Allow)
    {
        for p in rule
            .patterns
            .iter()
            .filter(|p| p.pattern.is_glob() && p.lanes.is_empty())
        {
            out.push(diagnostic(rule, p));
        }
    }
}
