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

use std::collections::HashSet;
use crate::checks::Code;
use crate::diagnostic::{Diagnostic, NAMED_IN_MESSAGE};
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

/// Why `rule` no longer applies to `lane`, if it does not. The lane and
/// its product are looked up once, whatever the number of conditions.
fn retired_on(ctx: &LintContext, rule: &Rule, lane: Option<&str>) -> Option<String> {
    #[cfg(test)]
    tests::LOOKS.with(|n| n.set(n.get() + rule.until.len()));
    let product = lane.and_then(|l| ctx.inventory.lanes.get(l)).and_then(|l| {
        ctx.inventory
            .products
            .get(&l.product)
            .map(|p| (&l.product, p))
    });
    for cond in &rule.until {
        match cond {
            Retire::Date { date, .. } if *date < ctx.today => {
                return Some(format!("{date} has passed"));
            }
            Retire::Event(e) => {
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

/// Why `rule` no longer applies to any of its lanes, or `None` when one
/// lane is still in force. A lane's retirement depends on its product
/// alone, so each product is looked at once (for its first lane), and the
/// first lane in force ends the search: O(lanes + products x conditions),
/// not lanes x conditions.
fn retired_everywhere(ctx: &LintContext, rule: &Rule) -> Option<Vec<String>> {
    if rule.lanes.is_empty() {
        return retired_on(ctx, rule, None).map(|why| vec![why]);
    }
    let mut whys = Vec::new();
    let mut products: HashSet<&str> = HashSet::new();
    for lane in &rule.lanes {
        let product = ctx.inventory.lanes.get(lane).map(|l| l.product.as_str());
        if product.is_some_and(|p| !products.insert(p)) {
            continue;
        }
        whys.push(retired_on(ctx, rule, Some(lane))?);
    }
    Some(whys)
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in ctx.program.rules.iter().filter(|r| !r.until.is_empty()) {
        if let Some(mut whys) = retired_everywhere(ctx, rule) {
            whys.sort();
            whys.dedup();
            let more = whys.len().saturating_sub(NAMED_IN_MESSAGE);
            whys.truncate(NAMED_IN_MESSAGE);
            let why = match more {
                0 => whys.join(", "),
                n => format!("{} and {n} more", whys.join(", ")),
            };
            out.push(diagnostic(rule, &why));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::LintContext;
    use crate::sema::Program;
    use crate::source::SourceFile;

    thread_local! {
        /// Conditions looked at by `retired_on`, for the tests.
        pub(super) static LOOKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Conditions looked at and diagnostics for one rule `until` the
    /// given conditions over `*/*`, on `products` products of `lanes`
    /// lanes each, whose `launch` is `launch`.
    fn looks(products: usize, lanes: usize, until: &str, launch: &str) -> (usize, usize) {
        let mut inv = String::from(
            "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for p in 0..products {
            inv.push_str(&format!(
                "  p{p}:\n    context: c{p}\n    events: {{launch: {launch}}}\n    lanes:\n"
            ));
            for l in 0..lanes {
                inv.push_str(&format!("      l{l}: {{production: false}}\n"));
            }
        }
        let src = SourceFile::new("lanes.yaml", inv, String::new());
        let inventory = crate::inventory::load(&src, 0).expect("the inventory loads");
        let parsed = crate::syntax::parse_file(&format!("allow deploy on */* until {until} issue=#1\n"));
        let program = Program {
            rules: crate::sema::resolve_indexed(
                1,
                parsed,
                &inventory,
                &crate::sema::LaneIndex::new(&inventory),
                &mut crate::sema::GrantCount::new(crate::config::MAX_GRANTS),
                &mut Vec::new(),
            ),
        };
        let ctx = LintContext {
            program: &program,
            inventory: &inventory,
            today: jiff::civil::date(2026, 12, 1),
            expires_soon_days: 30,
            closed_issues: Default::default(),
        };
        LOOKS.with(|n| n.set(0));
        let mut out = Vec::new();
        super::run(&ctx, &mut out);
        (LOOKS.with(|n| n.get()), out.len())
    }

    /// A rule in force stops at its first lane; a retired one looks at
    /// each product once, however many lanes each has: never lanes x
    /// conditions.
    #[test]
    fn retirement_is_looked_at_once_per_product_not_per_lane() {
        let conditions = |n: usize| {
            (0..n)
                .map(|k| format!("e{k}"))
                .chain(["launch".to_string()])
                .collect::<Vec<_>>()
                .join(" or ")
        };
        // In force: one lane's conditions, whatever the size.
        assert_eq!(looks(50, 40, &conditions(99), "pending"), (100, 0));
        // Retired everywhere (launch occurred): each product once.
        assert_eq!(looks(50, 40, &conditions(99), "occurred"), (50 * 100, 1));
        assert_eq!(looks(5, 400, &conditions(9), "occurred"), (5 * 10, 1));
    }
}
