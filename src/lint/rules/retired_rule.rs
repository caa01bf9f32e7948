//! L008 retired-rule: the rule has retired on every lane it matches, per the inventory's event states and today's date: delete it.
//!
//! ## What it does
//! Reports rules that can no longer apply anywhere: on each lane they match,
//! an `until` event of the lane's product is `occurred` in the inventory, or
//! an `until` date has passed (dates are checked against today, UTC; `check
//! --today` sets another day).
//!
//! ## Why is this bad?
//! A retired rule grants nothing, but it still reads like a permission.
//! Deleting it keeps the policy files a true picture of what is allowed,
//! and keeps the issue's trail short.
//!
//! ## Example
//! ```lanepolicy
//! allow deploy on hq/staging until 2026-01-31 issue=#573
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::model::EventState;
use crate::sema::Rule;
use crate::syntax::ast::Retire;

fn diagnostic(rule: &Rule, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::L008,
        rule.file,
        rule.until_span.unwrap_or(rule.keyword_span),
        format!("this `{}` has retired: {why}", rule.effect.as_str()),
    )
    .label("retired")
    .help("delete the rule; the issue keeps the history")
}

/// Why `rule` no longer applies to `lane`, if it does not.
fn retired_on(ctx: &LintContext, rule: &Rule, lane: Option<&str>) -> Option<String> {
    for cond in &rule.until {
        match cond {
            Retire::Date { date, .. } if *date < ctx.today => {
                return Some(format!("{date} has passed"));
            }
            Retire::Event(e) => {
                let product = lane.and_then(|l| ctx.inventory.lanes.get(l)).and_then(|l| {
                    ctx.inventory
                        .products
                        .get(&l.product)
                        .map(|p| (&l.product, p))
                });
                if let Some((name, p)) = product
                    && p.events.get(&e.name) == Some(&EventState::Occurred)
                {
                    return Some(format!("`{}` of `{name}` has occurred", e.name));
                }
            }
            Retire::Date { .. } => {}
        }
    }
    None
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in ctx.program.rules.iter().filter(|r| !r.until.is_empty()) {
        let whys: Vec<Option<String>> = if rule.lanes.is_empty() {
            vec![retired_on(ctx, rule, None)]
        } else {
            rule.lanes
                .iter()
                .map(|l| retired_on(ctx, rule, Some(l)))
                .collect()
        };
        if whys.iter().all(Option::is_some) {
            let mut whys: Vec<String> = whys.into_iter().flatten().collect();
            whys.sort();
            whys.dedup();
            out.push(diagnostic(rule, &whys.join(", ")));
        }
    }
}
