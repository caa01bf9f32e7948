//! L016 duplicate-entry: a list in a rule names the same thing twice.
//!
//! ## What it does
//! Reports an action, a lane pattern, an `until` condition or a proof that
//! a rule lists more than once (`deploy, deploy`, `until launch or launch`).
//!
//! ## Why is this bad?
//! The repeat changes nothing, so it is usually a slip for another name: the
//! lane, action or condition that was meant is missing. It is an error by
//! default: a list repeated many times multiplies the work of every later
//! stage, and the runtime refuses a bundle whose rule lists a lane, action,
//! condition or proof twice (`build` writes each once, should this check be
//! configured down).
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing, cm/prod until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::lint::registry::Code;
use crate::sema::Rule;
use crate::source::Span;
use crate::syntax::ast::Retire;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

fn diagnostic(rule: &Rule, what: &str, name: &str, again: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::L016,
        rule.file,
        again,
        format!("{what} `{name}` is listed twice"),
    )
    .label("listed again")
    .note(rule.file, first, "first listed here")
    .help("remove the repeat, or name what was meant")
}

/// Reports every entry of `items` (name, span) that repeats an earlier one:
/// one pass with a map from each name to where it is first listed.
fn repeats(rule: &Rule, what: &str, items: &[(String, Span)], out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<&str, Span> = HashMap::with_capacity(items.len());
    for (name, span) in items {
        match first.entry(name) {
            Entry::Occupied(e) => out.push(diagnostic(rule, what, name, *span, *e.get())),
            Entry::Vacant(e) => {
                e.insert(*span);
            }
        }
    }
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for rule in &ctx.program.rules {
        let actions: Vec<(String, Span)> = rule
            .actions
            .iter()
            .map(|a| (a.name.clone(), a.span))
            .collect();
        let patterns: Vec<(String, Span)> = rule
            .patterns
            .iter()
            .map(|p| (p.pattern.text(), p.pattern.span))
            .collect();
        let until: Vec<(String, Span)> = rule
            .until
            .iter()
            .map(|c| match c {
                Retire::Event(e) => (e.name.clone(), e.span),
                Retire::Date { date, span } => (date.to_string(), *span),
            })
            .collect();
        let proofs: Vec<(String, Span)> = rule
            .requires
            .iter()
            .map(|p| (p.name.clone(), p.span))
            .collect();
        repeats(rule, "action", &actions, out);
        repeats(rule, "lane pattern", &patterns, out);
        repeats(rule, "condition", &until, out);
        repeats(rule, "proof", &proofs, out);
    }
}
