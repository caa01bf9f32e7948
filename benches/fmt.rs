//! How long `format_source` takes on a file of 1,000 rules, written
//! carelessly (the work of a first run) and already canonical (the work of
//! `fmt --check` in CI). The target is well under 100 ms for either.
//!
//! `cargo bench --bench fmt -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lanepolicy::fmt::format_source;
use std::hint::black_box;

#[path = "support/rules.rs"]
mod rules;
use rules::messy_rules;

fn bench(c: &mut Criterion) {
    let messy = messy_rules(1000);
    let canonical = format_source(&messy).expect("the benchmark input parses");
    let mut group = c.benchmark_group("format_source");
    group.throughput(Throughput::Bytes(messy.len() as u64));
    group.bench_function("1000 rules, messy", |b| {
        b.iter(|| format_source(black_box(&messy)))
    });
    group.throughput(Throughput::Bytes(canonical.len() as u64));
    group.bench_function("1000 rules, canonical", |b| {
        b.iter(|| format_source(black_box(&canonical)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
