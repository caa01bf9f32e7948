//! One lint per file. Each file starts with the function that words its
//! diagnostic, then `run`, then its tests.

pub mod missing_confirmation;
pub mod missing_issue;
pub mod name_suggests_production;
pub mod no_retirement;
pub mod production_lane;
pub mod source_not_allowed;

use super::LintContext;
use crate::model::Effect;
use crate::sema::Rule;

/// The `allow` rules of the program.
pub(crate) fn allows<'a>(ctx: &'a LintContext) -> impl Iterator<Item = &'a Rule> {
    ctx.program
        .rules
        .iter()
        .filter(|r| r.effect == Effect::Allow)
}

/// The destructive actions (declared in the inventory) a rule names.
pub(crate) fn destructive_actions<'a>(
    ctx: &'a LintContext,
    rule: &'a Rule,
) -> impl Iterator<Item = &'a crate::syntax::ast::Ident> {
    rule.actions.iter().filter(|a| {
        ctx.inventory
            .actions
            .get(&a.name)
            .is_some_and(|d| d.destructive)
    })
}
