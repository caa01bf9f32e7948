//! Decision latency and bundle load time.
//!
//! - `decide/real/*`: the real bundle (`tests/fixtures/bundles/real.json`):
//!   an allow with the phrase, and a deny of a lane no rule mentions.
//! - `decide/large/mixed`: a generated bundle of 10,000 rules over 2,000
//!   lanes, cycling through 4,096 requests (allows and denies of every kind).
//! - `load/large`: `Runtime::from_bytes` on that bundle (parse, verify the
//!   digest, check consistency, index).
//!
//! Run: `cargo bench --bench decide -- --warm-up-time 1 --measurement-time 3`.

use criterion::{Criterion, criterion_group, criterion_main};
use lanepolicy::bundle::{
    Action, Bundle, FORMAT, IssueLink, Lane, Product, Rule, SourcePos, SourceRef, Until, VERSION,
    digest_of, to_pretty_json,
};
use lanepolicy::model::{DataAuthority, DataSource, Effect, EventState, Phase};
use lanepolicy::runtime::{Facts, Request, Runtime};
use std::collections::BTreeMap;
use std::hint::black_box;

const ACTIONS: [(&str, &str, Option<DataSource>, bool); 5] = [
    (
        "empty_bootstrap",
        "stable_bootstrap",
        Some(DataSource::Empty),
        true,
    ),
    (
        "upstream_restore",
        "target_replacement",
        Some(DataSource::UpstreamRestore),
        true,
    ),
    ("backup_restore", "prod_backup_restore", None, true),
    ("volume_import", "retained_volume_backup_import", None, true),
    ("deploy", "deploy", None, false),
];

const INSTANCES: usize = 10;

/// A bundle of `rules` rules over `products * 10` lanes, as the compiler
/// would write it (every rule names two lanes of one product, one or two
/// actions, a retirement, an issue and per-lane phrases; one in five is a
/// deny).
fn generated(products: usize, rules: usize) -> Vec<u8> {
    let actions = ACTIONS
        .iter()
        .map(|(name, op, src, destructive)| {
            (
                name.to_string(),
                Action {
                    operation: op.to_string(),
                    data_source: *src,
                    destructive: *destructive,
                },
            )
        })
        .collect();
    let mut product_map = BTreeMap::new();
    let mut lanes = BTreeMap::new();
    for p in 0..products {
        let name = format!("odoo-tenant-p{p:04}");
        let context = format!("p{p:04}");
        product_map.insert(
            name.clone(),
            Product {
                context: context.clone(),
                events: [
                    ("cutover".to_string(), EventState::Pending),
                    ("launch".to_string(), EventState::Pending),
                ]
                .into(),
            },
        );
        for i in 0..INSTANCES {
            let instance = format!("i{i}");
            let key = format!("{context}/{instance}");
            let mut extra = BTreeMap::new();
            extra.insert("target".into(), format!("{context}-{instance}").into());
            extra.insert(
                "domains".into(),
                serde_json::json!([format!("{context}-{instance}.example.com")]),
            );
            lanes.insert(
                key,
                Lane {
                    product: name.clone(),
                    context: context.clone(),
                    instance,
                    production: i == 0,
                    phase: if p % 2 == 0 {
                        Phase::Prelaunch
                    } else {
                        Phase::Live
                    },
                    data_authority: match i % 3 {
                        0 => DataAuthority::Resettable,
                        1 => DataAuthority::Restorable,
                        _ => DataAuthority::Authoritative,
                    },
                    allowed_sources: vec![DataSource::Empty, DataSource::UpstreamRestore],
                    extra: extra.into_iter().collect(),
                },
            );
        }
    }
    let mut rule_list = Vec::with_capacity(rules);
    for k in 0..rules {
        let p = k % products;
        let context = format!("p{p:04}");
        let a = (k / products) % INSTANCES;
        let b = (a + 3) % INSTANCES;
        let mut rule_lanes = vec![format!("{context}/i{a}"), format!("{context}/i{b}")];
        rule_lanes.sort();
        let mut acts = vec![ACTIONS[k % 5].0.to_string()];
        if k % 3 == 0 {
            acts.push(ACTIONS[(k + 2) % 5].0.to_string());
        }
        let deny = k % 5 == 4;
        let confirm = (!deny).then(|| {
            rule_lanes
                .iter()
                .map(|l| (l.clone(), format!("rebuild {}", l.replace('/', " "))))
                .collect()
        });
        rule_list.push(Rule {
            id: format!("{k:012x}"),
            effect: if deny { Effect::Deny } else { Effect::Allow },
            actions: acts,
            patterns: rule_lanes.clone(),
            lanes: rule_lanes,
            until: Until {
                events: vec![if k % 2 == 0 { "launch" } else { "cutover" }.into()],
                dates: if k % 4 == 0 {
                    vec!["2099-01-31".into()]
                } else {
                    Vec::new()
                },
            },
            issue: Some(IssueLink {
                reference: format!("#{}", 1000 + k),
                url: format!("https://github.com/example/lanes/issues/{}", 1000 + k),
            }),
            confirm,
            requires: if k % 7 == 0 {
                vec!["backup_proof".into()]
            } else {
                Vec::new()
            },
            reason: deny.then(|| "frozen for an audit".to_string()),
            doc: Some(format!("Generated rule {k}.")),
            suppressions: Vec::new(),
            lowered_findings: Vec::new(),
            source: SourcePos {
                path: format!("policies/generated-{:03}.policy", k / 100),
                line: 1 + 5 * (k % 100),
                column: 1,
            },
        });
    }
    let mut bundle = Bundle {
        format: FORMAT.into(),
        version: VERSION,
        digest: String::new(),
        sources: vec![SourceRef {
            path: "policies/lanes.yaml".into(),
            sha256: "0".repeat(64),
        }],
        issues: Some("https://github.com/example/lanes/issues/".into()),
        actions,
        products: product_map,
        lanes: lanes.into_iter().collect(),
        rules: rule_list,
        lowered_checks: Vec::new(),
        excluded_policies: Vec::new(),
    };
    let value = serde_json::to_value(&bundle).unwrap();
    bundle.digest = digest_of(&value);
    to_pretty_json(&serde_json::to_value(&bundle).unwrap()).into_bytes()
}

/// 4,096 requests over the generated lanes: with and without phrases and
/// proofs, known and unknown lanes and actions.
fn requests(products: usize) -> Vec<Request> {
    (0..4096usize)
        .map(|n| {
            let p = (n * 7919) % products;
            let i = (n * 31) % INSTANCES;
            let lane = if n % 50 == 0 {
                "nowhere/i0".to_string()
            } else {
                format!("p{p:04}/i{i}")
            };
            let mut req = Request::new(lane.clone(), ACTIONS[n % 5].0);
            if n % 4 != 0 {
                req = req.confirm(format!("rebuild {}", lane.replace('/', " ")));
            }
            if n % 3 == 0 {
                req = req
                    .proof("backup_proof", "bg-1")
                    .proof("restore_proof", "rv-1");
            }
            req
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());

    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bundles/real.json"
    ))
    .unwrap();
    let rt = Runtime::from_bytes(&real).unwrap();
    let allow = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
    assert!(rt.decide(&allow, &facts).is_allow());
    let deny = Request::new("hq/prod", "backup_restore");
    assert!(!rt.decide(&deny, &facts).is_allow());
    let mut g = c.benchmark_group("decide/real");
    g.bench_function("allow", |b| b.iter(|| rt.decide(black_box(&allow), &facts)));
    g.bench_function("deny", |b| b.iter(|| rt.decide(black_box(&deny), &facts)));
    g.finish();

    let products = 200;
    let large = generated(products, 10_000);
    let rt = Runtime::from_bytes(&large).unwrap();
    assert_eq!(rt.bundle().lanes.len(), 2_000);
    assert_eq!(rt.bundle().rules.len(), 10_000);
    let reqs = requests(products);
    let allows = reqs
        .iter()
        .filter(|r| rt.decide(r, &facts).is_allow())
        .count();
    assert!(allows > 100 && allows < reqs.len() - 100, "a mix: {allows}");
    let mut g = c.benchmark_group("decide/large");
    let mut n = 0usize;
    g.bench_function("mixed", |b| {
        b.iter(|| {
            n = (n + 1) & 4095;
            rt.decide(black_box(&reqs[n]), &facts)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("large", |b| {
        b.iter_with_large_drop(|| Runtime::from_bytes(black_box(&large)).unwrap())
    });
    g.finish();
    eprintln!(
        "large bundle: {} bytes, {} lanes, {} rules",
        large.len(),
        rt.bundle().lanes.len(),
        rt.bundle().rules.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
