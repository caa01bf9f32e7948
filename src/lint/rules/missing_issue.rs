//! L001 missing-issue: an `allow` has no `issue=`.
//!
//! Every permission must name the issue that approved it, so an auditor can
//! read why it exists and the read model can show it as the approval signal.

use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::lint::registry::Code;
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
