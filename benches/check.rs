//! `check` in process: the real policies, a generated set of 1,000 rules
//! over 500 lanes (the project `examples/gen_policies.rs` writes), and a
//! scaling series: the `per-context` and `one-lane` shapes at 1,000, 3,000
//! and 10,000 rules (each 10x more rules should cost about 10x more time;
//! see docs/performance.md).
//!
//! `cargo bench --bench check` (`-- scaling` for the series alone)

use criterion::{Criterion, criterion_group, criterion_main};
use lanepolicy::project::{self, Options};
use std::hint::black_box;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "../examples/gen_policies.rs"]
mod gen_policies;

fn options(paths: Vec<PathBuf>, root: PathBuf) -> Options {
    let mut o = Options::new(paths, root, jiff::civil::date(2026, 11, 29));
    o.build = false;
    o
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let real = options(vec![root.join("policies")], root.clone());
    assert!(!project::compile(&real).unwrap().has_errors());
    c.bench_function("check real policies", |b| {
        b.iter(|| black_box(project::compile(&real).unwrap()))
    });

    let dir = tempfile::tempdir().unwrap();
    let (inventory, policy) = gen_policies::lanepolicy_bench_project(1000, 500);
    std::fs::write(dir.path().join("lanes.yaml"), inventory).unwrap();
    std::fs::write(dir.path().join("generated.policy"), policy).unwrap();
    let generated = options(vec![dir.path().to_path_buf()], dir.path().to_path_buf());
    let outcome = project::compile(&generated).unwrap();
    assert!(!outcome.has_errors());
    assert_eq!(outcome.program.rules.len(), 1000);
    c.bench_function("check 1000 rules over 500 lanes", |b| {
        b.iter(|| black_box(project::compile(&generated).unwrap()))
    });

    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    for (name, shape) in [
        ("per-context", gen_policies::Shape::PerContext),
        ("one-lane", gen_policies::Shape::OneLane),
    ] {
        for rules in [1_000, 3_000, 10_000] {
            let dir = tempfile::tempdir().unwrap();
            let g = gen_policies::generate(gen_policies::Workload {
                shape,
                rules,
                lanes_per_context: 2,
                width: 10,
            });
            std::fs::write(dir.path().join("lanes.yaml"), &g.inventory).unwrap();
            std::fs::write(dir.path().join("generated.policy"), &g.policy).unwrap();
            let opts = options(vec![dir.path().to_path_buf()], dir.path().to_path_buf());
            let outcome = project::compile(&opts).unwrap();
            // One lane granted by every rule is the stress case of the
            // rule-comparing lints: each grant competes (L017, an error).
            assert_eq!(outcome.has_errors(), shape == gen_policies::Shape::OneLane);
            assert_eq!(outcome.program.rules.len(), rules);
            group.throughput(criterion::Throughput::Elements(rules as u64));
            group.bench_function(format!("check {name} {rules} rules"), |b| {
                b.iter(|| black_box(project::compile(&opts).unwrap()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
