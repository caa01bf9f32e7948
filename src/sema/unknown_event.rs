//! E103 unknown-event: an `until` event is not an event of the product of every lane the rule matches.
//!
//! ## What it does
//! Checks that each `until` event is declared under `events:` for the product
//! of every lane the rule matches. `launch` of CM says nothing about OPW.
//! Each event written is reported once: when one product lacks it, the
//! diagnostic names the product and a lane of it; when several do, it
//! counts them and names the first few.
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
use crate::diagnostic::{Diagnostic, quoted_list};
use crate::inventory::{Inventory, Lane};
use crate::source::FileId;
use crate::syntax::ast::{Ident, Retire};
use std::collections::{BTreeSet, HashSet};

/// Products named in an E103 message; the rest are counted.
const NAMED_PRODUCTS: usize = 3;

/// The E103 diagnostic for `event`, which `missing` (the products without
/// it, in the order the rule's lanes first name them, with that first lane)
/// lack. One product is named with a lane of it; several are counted and
/// the first few named.
fn diagnostic(
    file: FileId,
    event: &Ident,
    missing: &[(&str, &Lane)],
    suggestion: Option<&str>,
) -> Diagnostic {
    let [(product, lane)] = missing else {
        let products: Vec<&str> = missing.iter().map(|(p, _)| *p).collect();
        let names = quoted_list(&products, NAMED_PRODUCTS);
        return Diagnostic::new(
            Code::E103,
            file,
            event.span,
            format!(
                "`{}` is not an event of {} products: {names}",
                event.name,
                missing.len()
            ),
        )
        .label(format!(
            "the rule's lanes belong to {} products without it",
            missing.len()
        ))
        .help(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it under the `events:` of those products in lanes.yaml, or narrow the rule's lanes to products that have it".to_string(),
        });
    };
    Diagnostic::new(
        Code::E103,
        file,
        event.span,
        format!("`{}` is not an event of product `{product}`", event.name),
    )
    .label(format!("lane `{}` belongs to `{product}`", lane.key()))
    .help(match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "declare it under `{product}`'s `events:` in lanes.yaml, or narrow the rule's lanes to products that have it"
        ),
    })
}

/// One E103 per written event that some product of the rule's lanes lacks,
/// however many products lack it.
///
/// Products that declare the same events answer for each other
/// ([`super::LaneIndex::event_set`]): a rule costs its lanes plus its
/// events times the distinct sets of events among its products (one, when
/// every product declares the same events), and an event some product
/// lacks the rule's products once more to name them.
pub(super) fn check(
    file: FileId,
    rule: &Rule,
    inv: &Inventory,
    index: &super::LaneIndex,
    diags: &mut Vec<Diagnostic>,
) {
    if !rule.until.iter().any(|c| matches!(c, Retire::Event(_))) {
        return;
    }
    // The rule's products, each once, with the first lane that names it
    // and the number of its set of events.
    let mut seen = HashSet::new();
    let mut products: Vec<(&str, &Lane)> = Vec::new();
    let mut sets: Vec<u32> = Vec::new();
    for lane in rule.lanes.iter().filter_map(|l| inv.lanes.get(l)) {
        if !seen.insert(lane.product.as_str()) {
            continue;
        }
        if let Some(set) = index.event_set(&lane.product) {
            products.push((lane.product.as_str(), lane));
            sets.push(set);
        }
    }
    let mut distinct = sets.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // Only the sets not yet found to declare all of this list of events
    // are asked (see `LaneIndex::event_list`).
    // As a set: rules that write the same events in another order (or
    // one twice) share their list, and so their checks: 1,500 rules
    // each naming the same 300 events in an order of its own, over 300
    // products with sets of their own, took 42 s.
    let mut names: Vec<String> = rule
        .until
        .iter()
        .filter_map(|c| match c {
            Retire::Event(e) => Some(e.name.clone()),
            Retire::Date { .. } => None,
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let list = index.event_list(names);
    let open: Vec<u32> = distinct
        .iter()
        .copied()
        .filter(|&set| !index.is_complete(list, set))
        .collect();
    let mut lacked: Vec<u32> = Vec::new();
    for cond in &rule.until {
        let Retire::Event(event) = cond else { continue };
        let lacking: Vec<u32> = open
            .iter()
            .copied()
            .filter(|&set| !index.has_event(set, &event.name))
            .collect();
        if lacking.is_empty() {
            continue;
        }
        lacked.extend(&lacking);
        let missing: Vec<(&str, &Lane)> = if lacking.len() == distinct.len() {
            products.clone()
        } else {
            products
                .iter()
                .zip(&sets)
                .filter(|(_, set)| lacking.binary_search(set).is_ok())
                .map(|(p, _)| *p)
                .collect()
        };
        // A suggestion among the events of the products without it, offered
        // only when every one of them has it; gathering them and the
        // search share the compilation's budget of suggestions.
        let suggestion = if index.suggestions_left() {
            let candidates: BTreeSet<&str> = lacking
                .iter()
                .flat_map(|&set| index.events_of(set))
                .collect();
            index.charge_suggestions(lacking.len());
            index
                .suggest(&event.name, candidates.iter().copied())
                .filter(|s| lacking.iter().all(|&set| index.has_event(set, s)))
        } else {
            None
        };
        diags.push(diagnostic(file, event, &missing, suggestion));
    }
    lacked.sort_unstable();
    for set in open {
        if lacked.binary_search(&set).is_err() {
            index.mark_complete(list, set);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostic;
    use crate::source::SourceFile;

    /// The diagnostics of `policy` against an inventory of `products`
    /// products, each with one lane `ctxK/lane0` and the event `launch`.
    fn check(products: usize, policy: &str) -> Vec<Diagnostic> {
        check_sets(products, false, policy)
    }

    /// [`check`], each product also declaring an event of its own
    /// (`ownK`) when `own`: each then has a set of events of its own.
    fn check_sets(products: usize, own: bool, policy: &str) -> Vec<Diagnostic> {
        check_events(products, own, "", policy)
    }

    /// [`check_sets`], each product also declaring `extra` (`, land:
    /// pending`).
    fn check_events(products: usize, own: bool, extra: &str, policy: &str) -> Vec<Diagnostic> {
        let mut inv = String::from(
            "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for k in 0..products {
            let own = if own { format!(", own{k}: pending") } else { String::new() };
            inv.push_str(&format!(
                "  p{k}:\n    context: ctx{k}\n    events: {{launch: pending{extra}{own}}}\n    lanes:\n      lane0: {{production: false, phase: prelaunch}}\n"
            ));
        }
        let src = SourceFile::new("lanes.yaml", inv, String::new());
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let parsed = crate::syntax::parse_file(policy);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let mut diags = Vec::new();
        let index = crate::sema::LaneIndex::new(&inv);
        crate::sema::resolve_indexed(
            1,
            parsed,
            &inv,
            &index,
            &mut crate::sema::GrantCount::new(crate::config::MAX_GRANTS),
            &mut diags,
        );
        diags.retain(|d| d.code == crate::checks::Code::E103);
        diags
    }

    #[test]
    fn one_diagnostic_per_written_event_however_many_products_lack_it() {
        let events = 5;
        let until: Vec<String> = (0..events).map(|k| format!("lunch{k}")).collect();
        let policy = format!(
            "allow deploy on */* until launch or {} issue=#1 confirm=\"deploy {{lane}}\"\n",
            until.join(" or ")
        );
        for products in [1, 10, 1000] {
            let diags = check(products, &policy);
            assert_eq!(diags.len(), events, "{products} products");
            for (d, event) in diags.iter().zip(&until) {
                assert_eq!(&policy[d.span.start..d.span.end], event);
            }
        }
        let diags = check(1000, &policy);
        assert_eq!(
            diags[0].message,
            "`lunch0` is not an event of 1000 products: `p0`, `p1`, `p10` and 997 more"
        );
        let one = check(1, &policy);
        assert_eq!(one[0].message, "`lunch0` is not an event of product `p0`");
        assert_eq!(
            one[0].label.as_deref(),
            Some("lane `ctx0/lane0` belongs to `p0`")
        );
    }

    #[test]
    fn a_suggestion_is_offered_when_every_product_without_the_event_has_it() {
        let policy = "allow deploy on */* until lunch issue=#1 confirm=\"deploy {lane}\"\n";
        let diags = check(3, policy);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `launch`?"));
    }

    /// Rules that share their events, over products whose sets of events
    /// all differ, ask each set once for the compilation: 400 such rules
    /// over 400 products took 13.7 s to build (rules x sets x events).
    #[test]
    fn rules_sharing_their_events_ask_each_set_once() {
        let rule = "allow deploy on ctx*/lane0 until launch issue=#1 confirm=\"deploy {lane}\"\n";
        let policy = rule.repeat(200);
        super::super::EVENT_LOOKUPS.with(|c| c.set(0));
        let diags = check_sets(200, true, &policy);
        assert!(diags.is_empty(), "{diags:?}");
        // One per set; it was one per rule and set, 40,000.
        assert_eq!(super::super::EVENT_LOOKUPS.with(|c| c.get()), 200);
        // A set that lacks an event is asked again by each rule, which
        // reports it.
        let lacking = "allow deploy on ctx*/lane0 until own0 issue=#1 confirm=\"deploy {lane}\"\n";
        let diags = check_sets(3, true, &lacking.repeat(2));
        assert_eq!(diags.len(), 2);
    }

    /// A rule's events are a set: rules that write the same events in
    /// orders of their own (or one twice) share their checks. 1,500 rules
    /// each naming the same 300 events in its own order, over 300
    /// products with sets of their own, took 42 s.
    #[test]
    fn rules_writing_their_events_in_other_orders_ask_each_set_once() {
        let orders = [
            "launch or land or lift",
            "lift or land or launch",
            "land or launch or lift",
            "launch or lift or land or launch",
        ];
        let policy: String = (0..200)
            .map(|k| {
                format!(
                    "allow deploy on ctx*/lane0 until {} issue=#1 confirm=\"deploy {{lane}}\"\n",
                    orders[k % orders.len()]
                )
            })
            .collect();
        super::super::EVENT_LOOKUPS.with(|c| c.set(0));
        let diags = check_events(200, true, ", land: pending, lift: pending", &policy);
        assert!(diags.is_empty(), "{diags:?}");
        // The first rule asks each of the 200 sets for each of its 3
        // events; the others ask nothing. In written order it was 4 x 600.
        assert_eq!(super::super::EVENT_LOOKUPS.with(|c| c.get()), 600);
    }

    #[test]
    fn products_with_the_same_events_are_asked_once_per_rule() {
        // 2,000 products that all declare `launch`, and a rule over all of
        // them retiring at `launch` or at `lunch`, which none declares:
        // each event asks the one set of events, not each product.
        let policy = "allow deploy on */* until launch or lunch issue=#1 confirm=\"deploy {lane}\"\n";
        super::super::EVENT_LOOKUPS.with(|c| c.set(0));
        let diags = check(2000, policy);
        let lookups = super::super::EVENT_LOOKUPS.with(|c| c.get());
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            "`lunch` is not an event of 2000 products: `p0`, `p1`, `p10` and 1997 more"
        );
        // `launch` and `lunch` against the one set, and the suggestion
        // `launch` checked against it.
        assert!(lookups <= 4, "{lookups} lookups of events");
    }
}
