//! L013 shared-confirmation: one confirmation phrase serves several lanes.
//!
//! ## What it does
//! Expands every `confirm=` template per lane and reports phrases (compared
//! as Launchplane compares them: trimmed, lower-cased) that open more than
//! one lane, within one rule or across rules.
//!
//! ## Why is this bad?
//! The phrase exists so that the operator names the lane they mean. If
//! `restore opw upstream` opens both `opw/testing` and `opw/prod`, typing it
//! proves nothing about which one they had in mind. Use `{context}` and
//! `{instance}` (or `{lane}`) in the template.
//!
//! ## Example
//! ```lanepolicy
//! allow upstream_restore on opw/testing, opw/prod until cutover issue=#573 confirm="restore opw upstream"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow upstream_restore on opw/testing, opw/prod until cutover issue=#573 confirm="restore {context} {instance} from upstream"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::model::normalize_phrase;
use crate::sema::Rule;
use std::collections::{BTreeMap, BTreeSet};

fn diagnostic(rule: &Rule, phrase: &str, lanes: &[&str]) -> Diagnostic {
    let span = rule.confirm.as_ref().map_or(rule.keyword_span, |c| c.span);
    let list = lanes
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::new(Code::L013, rule.file, span, format!("the phrase `{phrase}` opens several lanes: {list}"))
        .label("the same phrase for several lanes")
        .help("put `{context}` and `{instance}` (or `{lane}`) in the template so each lane has its own phrase")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    // phrase -> (lanes, rules using it); the rules come in program order,
    // so a rule already listed is the last one.
    let mut by_phrase: BTreeMap<String, (BTreeSet<&str>, Vec<&Rule>)> = BTreeMap::new();
    for rule in super::allows(ctx) {
        for (lane, phrase) in &rule.phrases {
            let e = by_phrase.entry(normalize_phrase(phrase)).or_default();
            e.0.insert(lane);
            if !e.1.last().is_some_and(|r| std::ptr::eq(*r, rule)) {
                e.1.push(rule);
            }
        }
    }
    for (phrase, (lanes, rules)) in by_phrase {
        if lanes.len() > 1 {
            let lanes: Vec<&str> = lanes.into_iter().collect();
            for rule in rules {
                out.push(diagnostic(rule, &phrase, &lanes));
            }
        }
    }
}
