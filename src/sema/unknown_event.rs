//! E103 unknown-event: an `until` event is not an event of the product of every lane the rule matches.
//!
//! ## What it does
//! Checks that each `until` event is declared under `events:` for the product
//! of every lane the rule matches. `launch` of CM says nothing about OPW.
//!
//! ## Why is this bad?
//! An event that a lane's product does not have can never occur for that
//! lane, so the rule would never retire there: a permission meant to be
//! temporary becomes permanent.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until cutover issue=#573 confirm="bootstrap cm testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap cm testing"
//! ```

use super::Rule;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::source::FileId;
use crate::suggest::did_you_mean;
use crate::syntax::ast::{Ident, Retire};

fn diagnostic(
    file: FileId,
    event: &Ident,
    product: &str,
    lane: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    Diagnostic::new(
        Code::E103,
        file,
        event.span,
        format!("`{}` is not an event of product `{product}`", event.name),
    )
    .label(format!("lane `{lane}` belongs to `{product}`"))
    .help(match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "declare it under `{product}`'s `events:` in lanes.yaml, or narrow the rule's lanes to products that have it"
        ),
    })
}

pub(super) fn check(file: FileId, rule: &Rule, inv: &Inventory, diags: &mut Vec<Diagnostic>) {
    for cond in &rule.until {
        let Retire::Event(event) = cond else { continue };
        // One diagnostic per (event, product), not per lane.
        let mut seen = Vec::new();
        for lane in rule.lanes.iter().filter_map(|l| inv.lanes.get(l)) {
            let Some(product) = inv.products.get(&lane.product) else {
                continue;
            };
            if product.events.contains_key(&event.name) || seen.contains(&lane.product) {
                continue;
            }
            seen.push(lane.product.clone());
            let s = did_you_mean(&event.name, product.events.keys().map(String::as_str));
            diags.push(diagnostic(file, event, &lane.product, &lane.key(), s));
        }
    }
}
