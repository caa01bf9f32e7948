//! L021 clause-has-no-effect: a `deny` has a `confirm=` or `requires` clause.
//!
//! ## What it does
//! Reports the `confirm=` and `requires` clauses of a `deny` rule. A deny
//! always wins over every allow and never asks for anything: the runtime
//! denies whatever phrase or proof the caller presents, so these clauses
//! are read by nobody. `until`, `issue=` and `reason=` do mean something on
//! a deny (when it lifts, who approved it, why) and are not reported.
//!
//! ## Why is this bad?
//! `deny backup_restore on */prod requires backup_proof` reads as "no
//! restore without a backup", but it is a freeze: no restore at all. A
//! reviewer who believes the clause plans around a door that is shut; an
//! author who meant "allow only with a proof" wrote the wrong effect. The
//! deny still denies, so nothing is opened by mistake, which is why this is
//! a warning.
//!
//! ## Example
//! ```lanepolicy
//! deny backup_restore on */prod requires backup_proof reason="production restores are frozen"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! deny backup_restore on */prod reason="production restores are frozen"
//! ```
//!
//! or, if restores with a proof were meant, an `allow` with
//! `requires backup_proof`.

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::Rule;
use crate::source::Span;

/// The clauses of a deny this check reports.
#[derive(Clone, Copy)]
enum Ignored {
    Confirm,
    Requires,
}

fn diagnostic(rule: &Rule, clause: Ignored, span: Span) -> Diagnostic {
    let (what, label) = match clause {
        Ignored::Confirm => ("`confirm=`", "a deny asks for no phrase"),
        Ignored::Requires => ("`requires`", "a deny asks for no proof"),
    };
    Diagnostic::new(
        Code::L021,
        rule.file,
        span,
        format!("{what} has no effect on a `deny`: it denies whatever the caller presents"),
    )
    .label(label)
    .help("remove the clause; to let the action through with it, write an `allow` instead")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in super::denies(ctx) {
        if let Some(confirm) = &rule.confirm {
            out.push(diagnostic(rule, Ignored::Confirm, confirm.span));
        }
        if let (Some(first), Some(last)) = (rule.requires.first(), rule.requires.last()) {
            out.push(diagnostic(rule, Ignored::Requires, first.span.to(last.span)));
        }
    }
}
