//! `check` in process: the real policies, and a generated set of 1,000
//! rules over 500 lanes (the project `examples/gen_policies.rs` writes).
//!
//! `cargo bench --bench check`

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
