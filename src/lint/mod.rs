//! Lints: checks over a resolved [`Program`] and the inventory. Each lint is
//! one file in `rules/`, listed once in [`crate::checks::CHECKS`] and
//! dispatched by [`registry::LINTS`].

pub mod registry;
pub mod rules;
pub mod suppression;

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::sema::Program;

/// What a lint sees.
pub struct LintContext<'a> {
    /// Every resolved rule.
    pub program: &'a Program,
    /// The inventory.
    pub inventory: &'a Inventory,
    /// Today's date (UTC), for retirement lints.
    pub today: jiff::civil::Date,
    /// The `expires-soon` window, in days.
    pub expires_soon_days: i64,
    /// URLs of closed approval issues (from `check --issues FILE`).
    pub closed_issues: std::collections::BTreeSet<String>,
}

/// Runs every lint, in code order.
pub fn run(ctx: &LintContext) -> Vec<Diagnostic> {
    run_enabled(ctx, |_| true)
}

/// Runs the lints for which `enabled` is true, in code order.
pub fn run_enabled(ctx: &LintContext, enabled: impl Fn(Code) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (code, run) in registry::LINTS {
        if enabled(*code) {
            run(ctx, &mut out);
        }
    }
    out
}
