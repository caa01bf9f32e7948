//! L016 duplicate-entry: a list in a rule names the same thing twice.
//!
//! ## What it does
//! Reports an action, a lane pattern, an `until` condition or a proof that
//! a rule lists more than once (`deploy, deploy`, `until launch or launch`).
//!
//! ## Why is this bad?
//! The repeat changes nothing, so it is usually a slip for another name: the
//! lane, action or condition that was meant is missing. It is an error by
//! default: a list repeated many times multiplies the work of every later
//! stage, and the runtime refuses a bundle whose rule lists a lane, action,
//! condition or proof twice (`build` writes each once, should this check be
//! configured down).
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/prod until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::{Repeat, Rule};

fn diagnostic(rule: &Rule, r: &Repeat) -> Diagnostic {
    Diagnostic::new(
        Code::L016,
        rule.file,
        r.again,
        format!("{} `{}` is listed twice", r.what, r.name),
    )
    .label("listed again")
    .note(rule.file, r.first, "first listed here")
    .help("remove the repeat, or name what was meant")
}

/// The repeats are found while names are resolved (`sema`), in one pass
/// with a map per list, and the rule keeps each entry once.
pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in &ctx.program.rules {
        out.extend(rule.repeats.iter().map(|r| diagnostic(rule, r)));
    }
}
