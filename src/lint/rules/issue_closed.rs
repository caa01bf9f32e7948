//! L015 issue-closed: an `allow`'s approval issue is closed (given `--issues FILE`).
//!
//! ## What it does
//! With `check --issues FILE`, a JSON snapshot of issue states such as
//! `gh issue list --state all --json number,state,url` writes, reports
//! `allow` rules whose approval issue is closed. Entries are matched by
//! `url`, or by `number` against the inventory's `issues:` base.
//!
//! ## Why is this bad?
//! A closed issue usually means the work it approved is done, so the
//! permission it backs should have retired too. A grant whose approval is
//! closed is an exception nobody is watching.
//!
//! ## Example
//! With issue #561 closed:
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#561
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::{Issue, Rule};

fn diagnostic(rule: &Rule, issue: &Issue) -> Diagnostic {
    Diagnostic::new(
        Code::L015,
        rule.file,
        issue.span,
        format!("approval issue `{}` is closed", issue.reference),
    )
    .label("closed")
    .help("delete the rule if the work is done, or reopen the issue if it is not")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    if ctx.closed_issues.is_empty() {
        return;
    }
    for rule in super::allows(ctx) {
        if let Some(issue) = &rule.issue
            && ctx
                .closed_issues
                .contains(&crate::model::issue_key(&issue.url))
        {
            out.push(diagnostic(rule, issue));
        }
    }
}
