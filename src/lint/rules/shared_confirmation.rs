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
use crate::diagnostic::{Diagnostic, NAMED_IN_MESSAGE, quoted_list};
use crate::lint::LintContext;
use crate::model::normalized_phrase;
use crate::sema::Rule;
use std::borrow::Cow;

fn diagnostic(rule: &Rule, phrase: &str, lanes: &[&str]) -> Diagnostic {
    let span = rule.confirm.as_ref().map_or(rule.keyword_span, |c| c.span);
    let list = quoted_list(lanes, NAMED_IN_MESSAGE);
    Diagnostic::new(Code::L013, rule.file, span, format!("the phrase `{phrase}` opens several lanes: {list}"))
        .label("the same phrase for several lanes")
        .help("put `{context}` and `{instance}` (or `{lane}`) in the template so each lane has its own phrase")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    // One entry per (phrase, lane, rule), sorted: each phrase is a run of
    // entries with its lanes in order. O(n log n) in the rules' phrases,
    // and no allocation for a phrase already in compared form.
    let rules: Vec<&Rule> = super::allows(ctx).collect();
    let mut entries: Vec<(Cow<'_, str>, &str, usize)> = Vec::new();
    for (k, rule) in rules.iter().enumerate() {
        for (lane, phrase) in &rule.phrases {
            entries.push((normalized_phrase(phrase), lane, k));
        }
    }
    entries.sort_unstable();
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        let mut lanes: Vec<&str> = group.iter().map(|e| e.1).collect();
        lanes.dedup();
        if lanes.len() > 1 {
            let mut users: Vec<usize> = group.iter().map(|e| e.2).collect();
            users.sort_unstable();
            users.dedup();
            for k in users {
                out.push(diagnostic(rules[k], &group[0].0, &lanes));
            }
        }
    }
}
