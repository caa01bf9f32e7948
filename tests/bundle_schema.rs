//! `docs/bundle.schema.json` describes the bundle: the real bundle and the
//! fixture bundles validate against it, it refuses what the format forbids,
//! and it names every field the bundle types write.

use serde_json::{Value, json};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&read("docs/bundle.schema.json")).expect("the schema is valid")
}

fn errors(v: &jsonschema::Validator, bundle: &Value) -> Vec<String> {
    v.iter_errors(bundle)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

const BUNDLES: [&str; 3] = [
    "tests/fixtures/bundles/real.json",
    "tests/fixtures/bundles/cm-only.json",
    "tests/fixtures/bundles/wide.json",
];

#[test]
fn the_real_and_fixture_bundles_validate() {
    let v = validator();
    for path in BUNDLES {
        let bundle = read(path);
        assert_eq!(errors(&v, &bundle), Vec::<String>::new(), "{path}");
    }
}

#[test]
fn a_freshly_built_bundle_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.json");
    assert_cmd::Command::cargo_bin("lanepolicy")
        .unwrap()
        .current_dir(root())
        .args(["build", "-o"])
        .arg(&out)
        .assert()
        .success();
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(errors(&validator(), &bundle), Vec::<String>::new());
}

/// A change that makes a bundle invalid.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn the_schema_refuses_what_the_format_forbids() {
    let v = validator();
    let base = read("tests/fixtures/bundles/wide.json");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "no digest",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("digest");
            }),
        ),
        ("version 2", Box::new(|b| b["version"] = json!(2))),
        ("another format", Box::new(|b| b["format"] = json!("opa"))),
        (
            "a short digest",
            Box::new(|b| b["digest"] = json!("sha256:abc")),
        ),
        (
            "a lane key without a slash",
            Box::new(|b| {
                let lane = b["lanes"]["cm/prod"].clone();
                b["lanes"]["cmprod"] = lane;
            }),
        ),
        (
            "production as a string",
            Box::new(|b| b["lanes"]["cm/prod"]["production"] = json!("yes")),
        ),
        (
            "an unknown phase",
            Box::new(|b| b["lanes"]["cm/prod"]["phase"] = json!("beta")),
        ),
        (
            "an unknown effect",
            Box::new(|b| b["rules"][0]["effect"] = json!("maybe")),
        ),
        (
            "an unknown proof",
            Box::new(|b| b["rules"][0]["requires"] = json!(["signature"])),
        ),
        (
            "a rule without actions",
            Box::new(|b| b["rules"][0]["actions"] = json!([])),
        ),
        (
            "an empty phrase",
            Box::new(|b| b["rules"][0]["confirm"]["opw/prod"] = json!("")),
        ),
        (
            "a date that is not one",
            Box::new(|b| b["rules"][1]["until"]["dates"] = json!(["soon"])),
        ),
        (
            "line 0",
            Box::new(|b| b["rules"][0]["source"]["line"] = json!(0)),
        ),
        (
            "an event state",
            Box::new(|b| b["products"]["odoo-tenant-cm"]["events"]["launch"] = json!("done")),
        ),
        (
            "a missing rule field",
            Box::new(|b| {
                b["rules"][0].as_object_mut().unwrap().remove("until");
            }),
        ),
    ];
    for (what, change) in cases {
        let mut b = base.clone();
        change(&mut b);
        assert!(!errors(&v, &b).is_empty(), "{what}: accepted");
    }
    // Fields may be added within version 1.
    let mut b = base.clone();
    b["signed_by"] = json!("release bot");
    b["rules"][0]["x_owner"] = json!("platform");
    assert_eq!(errors(&v, &b), Vec::<String>::new());
}

#[test]
fn the_schema_names_every_field_the_bundle_writes() {
    let schema = read("docs/bundle.schema.json");
    let bundle = read("tests/fixtures/bundles/wide.json");
    let props = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{pointer}"))
            .keys()
            .cloned()
            .collect()
    };
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let check = |pointer: &str, written: Vec<String>| {
        let named = props(pointer);
        for k in written {
            assert!(named.contains(&k), "{pointer} does not describe `{k}`");
        }
    };
    check("/properties", keys(&bundle));
    for r in bundle["rules"].as_array().unwrap() {
        check("/$defs/rule/properties", keys(r));
    }
    for l in bundle["lanes"].as_object().unwrap().values() {
        check("/$defs/lane/properties", keys(l));
    }
    for a in bundle["actions"].as_object().unwrap().values() {
        check("/$defs/action/properties", keys(a));
    }
}
