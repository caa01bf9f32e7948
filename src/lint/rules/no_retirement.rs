//! L002 no-retirement: an `allow` has no `until`.
//!
//! ## What it does
//! Reports `allow` rules that never retire.
//!
//! ## Why is this bad?
//! Exceptions must end by themselves, at a product event (`launch`,
//! `cutover`) or a date. Launchplane has no expiry field, so a permission
//! without `until` lives until someone remembers to remove it.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing issue=#573 confirm="bootstrap {context} {instance}"
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

fn diagnostic(rule: &Rule) -> Diagnostic {
    Diagnostic::new(
        Code::L002,
        rule.file,
        rule.keyword_span,
        "`allow` never retires",
    )
    .label("no `until` on this rule")
    .help("add `until EVENT` (e.g. `until launch`) or `until YYYY-MM-DD`")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    out.extend(
        super::allows(ctx)
            .filter(|r| r.until_span.is_none())
            .map(diagnostic),
    );
}
