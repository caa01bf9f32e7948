//! L011 shadowed-by-deny: an allow can never take effect because a deny covers it.
//!
//! ## What it does
//! Reports an `allow` when, for every lane and action it opens, a `deny`
//! that lives at least as long closes it again (deny always wins).
//!
//! ## Why is this bad?
//! The allow reads like a permission but grants nothing: either the deny is
//! too wide or the allow is dead and should go.
//!
//! ## Example
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! deny deploy on hq/* reason="hq is frozen"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! deny deploy on hq/prod reason="hq production is frozen"
//! ```

use super::retires_no_earlier;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::model::Effect;
use crate::sema::Rule;
use std::collections::HashMap;

fn diagnostic(rule: &Rule, by: &Rule) -> Diagnostic {
    Diagnostic::new(
        Code::L011,
        rule.file,
        rule.keyword_span,
        "this `allow` never takes effect: a `deny` covers it",
    )
    .label("always overridden")
    .note(by.file, by.keyword_span, "this deny wins")
    .help("narrow the deny, or delete the allow")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    // Denies by (lane, action), each list in rule order: an allow looks
    // only at the denies of its own pairs.
    let mut denies: HashMap<(&str, &str), Vec<&Rule>> = HashMap::new();
    for d in ctx
        .program
        .rules
        .iter()
        .filter(|r| r.effect == Effect::Deny)
    {
        let mut actions: Vec<&str> = d.actions.iter().map(|a| a.name.as_str()).collect();
        actions.sort_unstable();
        actions.dedup();
        for lane in &d.lanes {
            for action in &actions {
                denies.entry((lane.as_str(), action)).or_default().push(d);
            }
        }
    }
    if denies.is_empty() {
        return;
    }
    for allow in super::allows(ctx).filter(|r| !r.lanes.is_empty()) {
        let mut first: Option<&Rule> = None;
        let all_denied = allow.lanes.iter().all(|lane| {
            allow.actions.iter().all(|action| {
                let by = denies
                    .get(&(lane.as_str(), action.name.as_str()))
                    .into_iter()
                    .flatten()
                    .find(|d| retires_no_earlier(d, allow));
                first = first.or(by.copied());
                by.is_some()
            })
        });
        if let (true, Some(by)) = (all_denied, first) {
            out.push(diagnostic(allow, by));
        }
    }
}
