//! L004 missing-confirmation: an `allow` of a destructive action has no `confirm=`.
//!
//! ## What it does
//! Reports destructive actions (`destructive: true` in the inventory) that
//! an `allow` opens without asking for a confirmation phrase.
//!
//! ## Why is this bad?
//! A typed phrase that names the lane is what stops an operator from wiping
//! `cm/prod` while thinking of `cm/testing`. Launchplane asks for one on every
//! rebuild policy.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::Rule;
use crate::syntax::ast::Ident;

fn diagnostic(rule: &Rule, action: &Ident) -> Diagnostic {
    Diagnostic::new(
        Code::L004,
        rule.file,
        action.span,
        format!("destructive action `{}` is allowed without a confirmation phrase", action.name),
    )
    .label("destructive")
    .help("add e.g. `confirm=\"bootstrap {context} {instance}\"`; the caller must type the lane's phrase")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::allows(ctx).filter(|r| r.confirm.is_none()) {
        out.extend(super::destructive_actions(ctx, rule).map(|a| diagnostic(rule, a)));
    }
}
