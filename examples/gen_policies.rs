//! Writes a generated project for benchmarks: `lanes.yaml` with LANES lanes
//! (50 products of LANES/50 lanes each) and `generated.policy` with RULES
//! issue-backed, retiring rules that check clean.
//!
//! `cargo run --release --example gen_policies -- DIR [RULES] [LANES]`
//! (defaults: 1000 rules over 500 lanes).

use std::fmt::Write as _;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: gen_policies DIR [RULES] [LANES]");
        std::process::exit(2);
    };
    let rules: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let lanes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(500);
    let (inventory, policy) = lanepolicy_bench_project(rules, lanes);
    std::fs::create_dir_all(&dir).expect("create the directory");
    std::fs::write(format!("{dir}/lanes.yaml"), inventory).expect("write lanes.yaml");
    std::fs::write(format!("{dir}/generated.policy"), policy).expect("write the policy");
}

/// The inventory and the policy text.
pub fn lanepolicy_bench_project(rules: usize, lanes: usize) -> (String, String) {
    let products = 50.min(lanes.max(1));
    let per_product = lanes.div_ceil(products);
    let mut inv = String::from("issues: https://github.com/example/ops/issues/\nactions:\n");
    inv.push_str(
        "  empty_bootstrap: {operation: stable_bootstrap, data_source: empty, destructive: true}\n",
    );
    inv.push_str("  upstream_restore: {operation: target_replacement, data_source: upstream_restore, destructive: true}\n");
    inv.push_str("  deploy: {operation: deploy, destructive: false}\n");
    inv.push_str("products:\n");
    for p in 0..products {
        let _ = writeln!(
            inv,
            "  product-{p}:\n    context: ctx{p}\n    events: {{launch: pending, cutover: pending}}\n    lanes:"
        );
        for l in 0..per_product {
            let _ = writeln!(
                inv,
                "      lane{l}: {{production: false, phase: prelaunch, data_authority: resettable, allowed_sources: [empty, upstream_restore], upstream_source: upstream/t{p}-{l}, target: t{p}-{l}}}"
            );
        }
    }
    let mut pol = String::from("// Generated rules for benchmarks.\n\n");
    for r in 0..rules {
        let p = r % products;
        let l = (r / products) % per_product;
        let action = ["empty_bootstrap", "upstream_restore", "deploy"][r % 3];
        let _ = writeln!(
            pol,
            "/// Rule {r}.\nallow {action} on ctx{p}/lane{l}\n    until launch or 2099-01-{:02}\n    issue=#{}\n    confirm=\"{action} {{lane}} {r}\"\n",
            1 + r % 28,
            1000 + r
        );
    }
    (inv, pol)
}
