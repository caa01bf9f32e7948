//! Compiles a checked program and its inventory into a [`Bundle`].

use super::canonical::{bundle_digest, hex};
use super::*;
use crate::inventory::Inventory;
use crate::sema::Program;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Retire;
use foldhash::HashMap;
use sha2::{Digest, Sha256};

/// Builds the bundle from the program and the inventory; `inputs` are the
/// files recorded in `sources` (policies, the inventory and the
/// configuration); `lowered` the checks the configuration lowered;
/// `excluded` the policy files it left out (project-relative). The
/// caller has checked that there are no errors.
/// Returns the bundle with its `digest` filled in.
///
/// The program and the inventory are taken, not borrowed: each lane and
/// rule gives its names and phrases to the bundle and is freed as it is
/// converted, so the two are never held whole beside the bundle (`build`
/// of 100,000 rules peaked at 497 MB when they were copied).
pub fn build(
    program: Program,
    inv: Inventory,
    sources: &SourceMap,
    inputs: &[FileId],
    lowered: Vec<LoweredCheck>,
    mut excluded: Vec<String>,
) -> Bundle {
    excluded.sort();
    excluded.dedup();
    let mut srcs: Vec<SourceRef> = inputs
        .iter()
        .map(|&id| sources.get(id))
        .map(|f| SourceRef {
            path: f.bundle_path.clone(),
            sha256: f.sha256.clone(),
        })
        .collect();
    srcs.sort_by(|a, b| a.path.cmp(&b.path));
    srcs.dedup();

    let actions = inv
        .actions
        .into_iter()
        .map(|(name, a)| {
            (
                name,
                Action {
                    operation: a.operation,
                    data_source: a.data_source,
                    destructive: a.destructive,
                },
            )
        })
        .collect();
    let products = inv
        .products
        .into_iter()
        .map(|(name, p)| {
            (
                name,
                Product {
                    context: p.context,
                    events: p.events,
                },
            )
        })
        .collect();
    let lanes = inv
        .lanes
        .into_iter()
        .map(|(key, l)| {
            (
                key,
                Lane {
                    product: l.product,
                    context: l.context,
                    instance: l.instance,
                    production: l.production,
                    phase: l.phase,
                    data_authority: l.data_authority,
                    allowed_sources: l.allowed_sources,
                    extra: l.extra,
                },
            )
        })
        .collect();

    let mut rules: Vec<(usize, String, Rule)> = program
        .rules
        .into_iter()
        .map(|r| {
            let file = sources.get(r.file);
            let (line, column) = file.line_col(r.keyword_span.start);
            // Before the rule gives its parts to the bundle's.
            let (base, start) = (rule_id(&r), r.span.start);
            // A list written with a repeat (L016) is written once each, in
            // the order first written: the loader refuses repeats.
            let mut until = Until::default();
            for c in &r.until {
                match c {
                    Retire::Event(e) => until.events.push(e.name.clone()),
                    Retire::Date { date, .. } => until.dates.push(date.to_string()),
                }
            }
            until.events = once_each(until.events);
            until.dates = once_each(until.dates);
            let rule = Rule {
                id: String::new(),
                effect: r.effect,
                actions: once_each(r.actions.iter().map(|a| a.name.clone()).collect()),
                patterns: r.patterns.iter().map(|p| p.pattern.text()).collect(),
                lanes: r.lanes,
                until,
                issue: r.issue.as_ref().map(|i| IssueLink {
                    reference: i.reference.clone(),
                    url: i.url.clone(),
                }),
                confirm: r.confirm.as_ref().map(|_| r.phrases),
                requires: once_each(r.requires.iter().map(|p| p.name.clone()).collect()),
                reason: r.reason.as_ref().map(|s| s.value.clone()),
                doc: (!r.doc.is_empty()).then(|| r.doc.join("\n")),
                suppressions: r
                    .suppressions
                    .into_iter()
                    .map(|(code, reason)| SuppressionRecord {
                        code: code.check().code.to_string(),
                        name: code.check().name.to_string(),
                        reason,
                    })
                    .collect(),
                lowered_findings: r
                    .lowered
                    .into_iter()
                    .map(|(code, severity, message)| LoweredFinding {
                        code: code.check().code.to_string(),
                        name: code.check().name.to_string(),
                        severity: severity.map_or("off", |s| s.as_str()).to_string(),
                        message,
                    })
                    .collect(),
                source: SourcePos {
                    path: file.bundle_path.clone(),
                    line,
                    column,
                },
            };
            (start, base, rule)
        })
        .collect();
    // In (path, start) order, the path being the rule's own. No two rules
    // start at one place of one file, so an unstable sort gives the one
    // order, without a stable sort's buffer of half the rules.
    rules.sort_unstable_by(|a, b| (&a.2.source.path, a.0).cmp(&(&b.2.source.path, b.0)));
    // The nth rule (from 1) with a given base id gets `-n` after it, n > 1;
    // counted over borrowed ids, then given.
    let nth: Vec<usize> = {
        let mut seen: HashMap<&str, usize> =
            HashMap::with_capacity_and_hasher(rules.len(), Default::default());
        rules
            .iter()
            .map(|(_, base, _)| {
                let n = seen.entry(base.as_str()).or_insert(0);
                *n += 1;
                *n
            })
            .collect()
    };
    let rules: Vec<Rule> = rules
        .into_iter()
        .zip(nth)
        .map(|((_, base, mut r), n)| {
            r.id = if n == 1 { base } else { format!("{base}-{n}") };
            r
        })
        .collect();

    let mut bundle = Bundle {
        format: FORMAT.into(),
        version: VERSION,
        digest: String::new(),
        sources: srcs,
        issues: inv.issues.clone(),
        actions,
        products,
        lanes,
        rules,
        lowered_checks: lowered,
        excluded_policies: excluded,
    };
    bundle.digest = bundle_digest(&bundle);
    bundle
}

/// `list` without its repeats, in the order first listed.
fn once_each(list: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.into_iter()
        .filter(|x| seen.insert(x.clone()))
        .collect()
}

/// The rule's stable id: the first 12 hex digits of the SHA-256 of its
/// canonical form as written (effect, actions, patterns, retirement, issue
/// reference, phrase template, proofs, reason), so it survives moves,
/// reformatting and inventory changes.
fn rule_id(r: &crate::sema::Rule) -> String {
    let until: Vec<String> = r
        .until
        .iter()
        .map(|c| match c {
            Retire::Event(e) => e.name.clone(),
            Retire::Date { date, .. } => date.to_string(),
        })
        .collect();
    let canonical = serde_json::json!({
        "effect": r.effect,
        "actions": r.actions.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "patterns": r.patterns.iter().map(|p| p.pattern.text()).collect::<Vec<_>>(),
        "until": until,
        "issue": r.issue.as_ref().map(|i| &i.reference),
        "confirm": r.confirm.as_ref().map(|c| &c.value),
        "requires": r.requires.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "reason": r.reason.as_ref().map(|s| &s.value),
    });
    let hash = Sha256::digest(super::canonical_json(&canonical).as_bytes());
    hex(&hash)[..12].to_string()
}
