//! L009 expires-soon: a date condition fires within 14 days.
//!
//! ## What it does
//! Reports `until` dates that fire soon: a rule stays active through the
//! end of its date (UTC), and this lint warns when that end is at most 14
//! days away (`expires-soon-days` in `lanepolicy.yaml` sets the window;
//! `check --today` sets the day it counts from).
//!
//! ## Why is this bad?
//! Retiring is the point, but a rebuild planned for next week should not
//! be refused by surprise. The warning is the moment to extend the date on
//! the issue, or to let the rule go.
//!
//! ## Example
//! ```lanepolicy
//! allow deploy on hq/staging until 2026-12-05 issue=#573
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-03-31 issue=#573
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::sema::Rule;
use crate::source::Span;
use crate::syntax::ast::Retire;

fn diagnostic(rule: &Rule, span: Span, date: jiff::civil::Date, days: i64) -> Diagnostic {
    let when = match days {
        1 => "at the end of today".to_string(),
        2 => "at the end of tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    Diagnostic::new(
        Code::L009,
        rule.file,
        span,
        format!(
            "this `{}` retires {when} (after {date})",
            rule.effect.as_str()
        ),
    )
    .label("expires soon")
    .help("extend the date on the approval issue if the work is not done, or let it retire")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in &ctx.program.rules {
        for cond in &rule.until {
            let Retire::Date { date, span } = cond else {
                continue;
            };
            if *date < ctx.today {
                continue;
            }
            // Active through the end of `date`: it fires at the start of the next day.
            let days = ctx
                .today
                .until(*date)
                .map_or(i64::MAX, |s| i64::from(s.get_days()))
                + 1;
            if days <= ctx.expires_soon_days {
                out.push(diagnostic(rule, *span, *date, days));
            }
        }
    }
}
