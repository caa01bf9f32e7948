//! How long `format_source` takes on a file of 1,000 rules, written
//! carelessly (the work of a first run) and already canonical (the work of
//! `fmt --check` in CI). The target is well under 100 ms for either.
//!
//! `cargo bench --bench fmt -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lanepolicy::fmt::format_source;
use std::hint::black_box;

/// 1,000 rules of every shape: one line or many, comments in and around
/// them, lists, escapes, every clause.
fn messy_rules(n: usize) -> String {
    let mut src = String::from("// Generated rules for the formatter benchmark.\n\n");
    for k in 0..n {
        match k % 4 {
            0 => src.push_str(&format!(
                "/// Rule {k}: bootstrap from empty.\nallow   empty_bootstrap,deploy on cm/t{k} ,cm/p{k} until launch or 2027-01-31   issue = #0{} // why\n   confirm = \"bootstrap {{context}} {{instance}}\"\n",
                k + 1
            )),
            1 => src.push_str(&format!(
                "allow upstream_restore on opw/*\n        until   cutover\n  issue=cbusillo/launchplane#{k}\n     confirm=\"restore \\\"{{lane}}\\\"\tfrom upstream\"\n  // a note between rules\n"
            )),
            2 => src.push_str(&format!(
                "deny backup_restore on */prod{k} reason=\"frozen\"   allow deploy on c*/x{k} until e{k}\n"
            )),
            _ => src.push_str(&format!(
                "allow backup_restore on */prod // the lane\n    // proofs first\n    requires backup_proof,restore_proof issue=\"https://example.com/{k}\" until 2027-02-{:02}\n\n\n",
                k % 28 + 1
            )),
        }
    }
    src
}

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
