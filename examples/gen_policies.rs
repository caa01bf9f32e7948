//! Writes a generated project for benchmarks, and the equivalent Cedar
//! inputs, so that `lanepolicy` can be timed beside `cedar` on the same
//! work.
//!
//! ```text
//! cargo run --release --example gen_policies -- DIR [RULES] [LANES]
//! cargo run --release --example gen_policies -- DIR --shape SHAPE --rules N [--lanes-per-context L] [--width W]
//! ```
//!
//! The first form (defaults: 1000 rules over 500 lanes) writes the classic
//! benchmark: 50 products, one rule per (lane, action), each with a phrase,
//! an issue and a retirement. The second writes one of the shapes of a
//! fleet:
//!
//! - `per-context`: one rule per context, `allow deploy on ctxN/*`, with L
//!   lanes per context (default 2): N rules, N contexts, N x L lanes.
//! - `one-lane`: N rules on one lane, `ctx0/lane0`, each with its own
//!   phrase (many rules per lane, as a lint that compares rules sees them).
//! - `wide`: groups of W contexts (default 10) named `gG-cK`; one rule per
//!   group and instance, `allow deploy on gG-*/laneI`: each rule matches W
//!   lanes through a glob on the context.
//!
//! Every rule is `until launch or 2099-01-DD issue=#N confirm=PHRASE`, and
//! every lane is a prelaunch, non-production lane of its context's product.
//!
//! Beside `lanes.yaml` and `generated.policy`, the second form writes
//! `cedar/`: `schema.cedarschema`, `policies.cedar` (one `permit` per rule,
//! with the same conditions: the action, the lanes, the phrase, the date
//! and the product's launch), `entities.json` (every lane and product) and
//! `request.json` (the request that `request.txt` gives to `lanepolicy
//! decide`: the first lane, `deploy`, its phrase; both allow).

use std::fmt::Write as _;
use std::path::Path;

/// The shape of a generated fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One rule per context, over `ctxN/*`.
    PerContext,
    /// Every rule on one lane, each with its own phrase.
    OneLane,
    /// One rule per group of contexts and instance, over `gG-*/laneI`.
    Wide,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// The shape.
    pub shape: Shape,
    /// How many rules.
    pub rules: usize,
    /// Lanes per context.
    pub lanes_per_context: usize,
    /// Contexts per group (`wide` only).
    pub width: usize,
}

/// A generated project: the lanepolicy inputs and the Cedar ones.
pub struct Generated {
    /// `lanes.yaml`.
    pub inventory: String,
    /// `generated.policy`.
    pub policy: String,
    /// `cedar/schema.cedarschema`.
    pub cedar_schema: String,
    /// `cedar/policies.cedar`.
    pub cedar_policies: String,
    /// `cedar/entities.json`.
    pub cedar_entities: String,
    /// `cedar/request.json`: principal, action, resource, context.
    pub cedar_request: String,
    /// `request.txt`: `LANE ACTION PHRASE` for `lanepolicy decide`.
    pub request: (String, String, String),
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!(
            "usage: gen_policies DIR [RULES] [LANES]\n       gen_policies DIR --shape per-context|one-lane|wide --rules N [--lanes-per-context L] [--width W]"
        );
        std::process::exit(2);
    };
    // A first argument that looks like a flag (`--help`) is not a
    // directory to write into.
    let Some(dir) = args.first().filter(|d| !d.starts_with('-')) else {
        usage()
    };
    let dir = Path::new(dir);
    if args.len() < 2 || !args[1].starts_with("--") {
        let count = |k: usize, default: usize| match args.get(k) {
            None => default,
            Some(s) => s.parse().unwrap_or_else(|_| usage()),
        };
        if args.len() > 3 {
            usage();
        }
        let (rules, lanes) = (count(1, 1000), count(2, 500));
        std::fs::create_dir_all(dir).expect("create the directory");
        let (inventory, policy) = lanepolicy_bench_project(rules, lanes);
        std::fs::write(dir.join("lanes.yaml"), inventory).expect("write lanes.yaml");
        std::fs::write(dir.join("generated.policy"), policy).expect("write the policy");
        return;
    }
    let mut w = Workload {
        shape: Shape::PerContext,
        rules: 1000,
        lanes_per_context: 2,
        width: 10,
    };
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let number = || value.parse::<usize>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--shape" => {
                w.shape = match value.as_str() {
                    "per-context" => Shape::PerContext,
                    "one-lane" => Shape::OneLane,
                    "wide" => Shape::Wide,
                    _ => usage(),
                }
            }
            "--rules" => w.rules = number().max(1),
            "--lanes-per-context" => w.lanes_per_context = number().max(1),
            "--width" => w.width = number().max(1),
            _ => usage(),
        }
    }
    let g = generate(w);
    std::fs::create_dir_all(dir).expect("create the directory");
    std::fs::write(dir.join("lanes.yaml"), &g.inventory).expect("write lanes.yaml");
    std::fs::write(dir.join("generated.policy"), &g.policy).expect("write the policy");
    let (lane, action, phrase) = &g.request;
    std::fs::write(
        dir.join("request.txt"),
        format!("{lane}\n{action}\n{phrase}\n"),
    )
    .expect("write request.txt");
    let cedar = dir.join("cedar");
    std::fs::create_dir_all(&cedar).expect("create cedar/");
    std::fs::write(cedar.join("schema.cedarschema"), &g.cedar_schema).expect("write the schema");
    std::fs::write(cedar.join("policies.cedar"), &g.cedar_policies).expect("write the policies");
    std::fs::write(cedar.join("entities.json"), &g.cedar_entities).expect("write the entities");
    std::fs::write(cedar.join("request.json"), &g.cedar_request).expect("write the request");
}

/// The inventory's header: the issue base and the three actions.
const INVENTORY_HEAD: &str = "issues: https://github.com/example/ops/issues/\nactions:\n  empty_bootstrap: {operation: stable_bootstrap, data_source: empty, destructive: true}\n  upstream_restore: {operation: target_replacement, data_source: upstream_restore, destructive: true}\n  deploy: {operation: deploy, destructive: false}\nproducts:\n";

/// 2099-01-DD as seconds since the Unix epoch (the end of that day, UTC):
/// `until 2099-01-DD` allows through that day.
fn day_end(day: usize) -> u64 {
    4_070_908_800 + day as u64 * 86_400
}

/// The workload: contexts (name, product) with their instances, and rules
/// (pattern, the lanes it matches, phrase template, Cedar phrase test).
pub fn generate(w: Workload) -> Generated {
    // (context, instances)
    let contexts: Vec<(String, usize)> = match w.shape {
        Shape::PerContext => (0..w.rules)
            .map(|c| (format!("ctx{c}"), w.lanes_per_context))
            .collect(),
        Shape::OneLane => vec![("ctx0".to_string(), w.lanes_per_context)],
        Shape::Wide => {
            let groups = w.rules.div_ceil(w.lanes_per_context);
            (0..groups)
                .flat_map(|g| {
                    (0..w.width).map(move |k| (format!("g{g}-c{k}"), w.lanes_per_context))
                })
                .collect()
        }
    };
    let mut inventory = String::from(INVENTORY_HEAD);
    let mut entities = String::from("[\n");
    for (context, instances) in &contexts {
        let _ = writeln!(
            inventory,
            "  product-{context}:\n    context: {context}\n    events: {{launch: pending}}\n    lanes:"
        );
        let _ = writeln!(
            entities,
            "{{\"uid\":{{\"type\":\"Product\",\"id\":\"product-{context}\"}},\"attrs\":{{\"launched\":false}},\"parents\":[]}},"
        );
        for i in 0..*instances {
            let _ = writeln!(
                inventory,
                "      lane{i}: {{production: false, phase: prelaunch, data_authority: resettable}}"
            );
            let _ = writeln!(
                entities,
                "{{\"uid\":{{\"type\":\"Lane\",\"id\":\"{context}/lane{i}\"}},\"attrs\":{{\"product\":{{\"__entity\":{{\"type\":\"Product\",\"id\":\"product-{context}\"}}}},\"production\":false,\"phase\":\"prelaunch\",\"phrase\":\"deploy {context}/lane{i}\"}},\"parents\":[{{\"type\":\"Product\",\"id\":\"product-{context}\"}}]}},"
            );
        }
    }
    entities.push_str(
        "{\"uid\":{\"type\":\"Operator\",\"id\":\"ops\"},\"attrs\":{},\"parents\":[]}\n]\n",
    );

    let mut policy = String::from("// Generated rules for benchmarks.\n\n");
    let mut cedar = String::new();
    for r in 0..w.rules {
        // (lanepolicy pattern, phrase template, Cedar scope, Cedar phrase test)
        let (pattern, template, scope, phrase_test) = match w.shape {
            Shape::PerContext => (
                format!("ctx{r}/*"),
                "deploy {lane}".to_string(),
                format!("resource in Product::\"product-ctx{r}\""),
                "context.confirm == resource.phrase".to_string(),
            ),
            Shape::OneLane => (
                "ctx0/lane0".to_string(),
                format!("deploy {{lane}} {r}"),
                "resource == Lane::\"ctx0/lane0\"".to_string(),
                format!("context.confirm == \"deploy ctx0/lane0 {r}\""),
            ),
            Shape::Wide => {
                let (g, i) = (r / w.lanes_per_context, r % w.lanes_per_context);
                let members = (0..w.width)
                    .map(|k| format!("Lane::\"g{g}-c{k}/lane{i}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    format!("g{g}-*/lane{i}"),
                    "deploy {lane}".to_string(),
                    format!("resource in [{members}]"),
                    "context.confirm == resource.phrase".to_string(),
                )
            }
        };
        let day = 1 + r % 28;
        let _ = writeln!(
            policy,
            "/// Rule {r}.\nallow deploy on {pattern}\n    until launch or 2099-01-{day:02}\n    issue=#{}\n    confirm=\"{template}\"\n",
            1000 + r
        );
        let (scope, extra) = if scope.starts_with("resource in [") {
            ("resource".to_string(), format!(" &&\n  {scope}"))
        } else {
            (scope, String::new())
        };
        let _ = writeln!(
            cedar,
            "// Rule {r}, issue #{}.\n@id(\"rule-{r}\")\npermit (principal, action == Action::\"deploy\", {scope})\nwhen {{\n  {phrase_test} &&\n  context.now < {} &&\n  !resource.product.launched &&\n  !resource.production{extra}\n}};\n",
            1000 + r,
            day_end(day),
        );
    }
    let schema = "entity Operator;\nentity Product = { launched: Bool };\nentity Lane in [Product] = { product: Product, production: Bool, phase: String, phrase: String };\naction deploy, empty_bootstrap, upstream_restore appliesTo {\n  principal: Operator,\n  resource: Lane,\n  context: { confirm: String, now: Long }\n};\n".to_string();
    let (lane, phrase) = match w.shape {
        Shape::PerContext => ("ctx0/lane0".to_string(), "deploy ctx0/lane0".to_string()),
        Shape::OneLane => (
            "ctx0/lane0".to_string(),
            format!("deploy ctx0/lane0 {}", w.rules - 1),
        ),
        Shape::Wide => ("g0-c0/lane0".to_string(), "deploy g0-c0/lane0".to_string()),
    };
    let request = format!(
        "{{\n  \"principal\": \"Operator::\\\"ops\\\"\",\n  \"action\": \"Action::\\\"deploy\\\"\",\n  \"resource\": \"Lane::\\\"{lane}\\\"\",\n  \"context\": {{ \"confirm\": \"{phrase}\", \"now\": 1796083200 }}\n}}\n"
    );
    Generated {
        inventory,
        policy,
        cedar_schema: schema,
        cedar_policies: cedar,
        cedar_entities: entities,
        cedar_request: request,
        request: (lane, "deploy".to_string(), phrase),
    }
}

/// The classic benchmark: the inventory and the policy text of RULES rules
/// over LANES lanes in 50 products.
pub fn lanepolicy_bench_project(rules: usize, lanes: usize) -> (String, String) {
    let products = 50.min(lanes.max(1));
    let per_product = lanes.div_ceil(products);
    let mut inv = String::from(INVENTORY_HEAD);
    // The classic project has a second event.
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
