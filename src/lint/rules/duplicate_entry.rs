//! L016 duplicate-entry: a list in a rule names the same thing twice.
//!
//! ## What it does
//! Reports an action, a lane pattern, an `until` condition or a proof that
//! a rule lists more than once (`deploy, deploy`, `until launch or launch`).
//! One finding per repeated entry, at its first repeat, with how many
//! times it is listed.
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

/// The finding for the repeats of one entry: at the first repeat, the
/// first writing as a note, and how many more repeats follow.
fn diagnostic(rule: &Rule, r: &Repeat, more: usize) -> Diagnostic {
    let times = match more {
        0 => "twice".to_string(),
        n => format!("{} times", n + 2),
    };
    let label = match more {
        0 => "listed again".to_string(),
        1 => "listed again here, and once more after".to_string(),
        n => format!("listed again here, and {n} more times after"),
    };
    Diagnostic::new(
        Code::L016,
        rule.file,
        r.again,
        format!("{} `{}` is listed {times}", r.what, r.name),
    )
    .label(label)
    .note(rule.file, r.first, "first listed here")
    .help(if more == 0 {
        "remove the repeat, or name what was meant"
    } else {
        "remove the repeats, or name what was meant"
    })
}

/// The repeats are found while names are resolved (`sema`), in one pass
/// with a map per list, and the rule keeps each entry once, and each
/// repeated entry once with its count. One finding per repeated entry (not
/// per repeat): a list that names one thing 100,000 times is one finding,
/// so the report stays as small as the mistake.
pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in &ctx.program.rules {
        out.extend(rule.repeats.iter().map(|r| diagnostic(rule, r, r.more)));
    }
}
