//! L001 missing-issue: an `allow` has no `issue=`.
//!
//! ## What it does
//! Reports `allow` rules that do not name the issue that approved them.
//!
//! ## Why is this bad?
//! Every permission must be auditable: the issue says who approved it and
//! why, and the read model shows it as the approval signal. A grant without
//! one is a permission nobody can trace.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch confirm="bootstrap {context} {instance}"
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
        Code::L001,
        rule.file,
        rule.keyword_span,
        "`allow` has no approval issue",
    )
    .label("no `issue=` on this rule")
    .help("name the issue that approved it, e.g. `issue=#573`")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    out.extend(
        super::allows(ctx)
            .filter(|r| !r.issue_written)
            .map(diagnostic),
    );
}
