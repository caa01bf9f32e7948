//! L004 missing-confirmation: an `allow` of a destructive action has no
//! `confirm=`.
//!
//! A destructive action should need a typed phrase naming the lane, so that
//! nobody wipes `cm/prod` while thinking of `cm/testing`.

use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::lint::registry::Code;
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
