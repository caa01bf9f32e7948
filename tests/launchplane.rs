//! Launchplane takes what lanepolicy exports: `export launchplane` and
//! `lanes --format launchplane` on the real policies, checked against
//! `docs/launchplane.schema.json` (Launchplane's models, field for field:
//! no extra key, no missing key, no `null`, no wrong type, nothing outside
//! an enum) and against Launchplane's write-path rules
//! (`lanepolicy::export::check_apply_request`), before and after launch and
//! cutover; and the export's snapshots.

mod common;

use lanepolicy::export::{self, LaunchplaneExport};
use lanepolicy::runtime::{Facts, Runtime};
use serde_json::{Value, json};
use std::path::Path;

const NOW: &str = "--now=2030-01-01T00:00:00Z";
/// The first lane of the export: cm/prod.
const LANE0: &str = "/products/0/lanes/0";
const REAL: &str = "tests/fixtures/bundles/real.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// The schema's root (the export), or one of its `$defs` as the root.
fn validator(def: Option<&str>) -> jsonschema::Validator {
    let mut schema = read("docs/launchplane.schema.json");
    if let Some(def) = def {
        schema = json!({
            "$schema": schema["$schema"],
            "$defs": schema["$defs"],
            "$ref": format!("#/$defs/{def}"),
        });
    }
    jsonschema::validator_for(&schema).expect("the schema is valid")
}

fn errors(v: &jsonschema::Validator, value: &Value) -> Vec<String> {
    v.iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Runs the binary in the repository; asserts exit 0 and an empty stderr.
fn run_ok(args: &[&str]) -> String {
    let r = common::run_in(root(), args);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{args:?}");
    r.stdout
}

fn export_json(occurred: &[&str]) -> Value {
    let mut args = vec!["export", "launchplane", "--bundle", REAL, NOW];
    for o in occurred {
        args.extend(["--occurred", o]);
    }
    serde_json::from_str(&run_ok(&args)).unwrap()
}

fn read_model_json(occurred: &[&str]) -> Value {
    let mut args = vec!["lanes", "--bundle", REAL, "--format", "launchplane", NOW];
    for o in occurred {
        args.extend(["--occurred", o]);
    }
    serde_json::from_str(&run_ok(&args)).unwrap()
}

/// The facts of the scenarios: before anything, after CM's launch, after
/// OPW's cutover, after both.
const SCENARIOS: [&[&str]; 4] = [
    &[],
    &["odoo-tenant-cm:launch"],
    &["odoo-tenant-opw:cutover"],
    &["odoo-tenant-cm:launch", "odoo-tenant-opw:cutover"],
];

/// `out` with bundle digests replaced, so that snapshots do not change with
/// every edit of the real inventory.
fn redact_digest(out: &str) -> String {
    let mut s = out.to_string();
    while let Some(at) = s.find("sha256:") {
        let end = (at + 7 + 64).min(s.len());
        s.replace_range(at..end, "sha-256:[digest]");
    }
    s
}

fn no_nulls(path: &str, v: &Value) {
    match v {
        Value::Null => panic!("null at {path}"),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                no_nulls(&format!("{path}/{i}"), x);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                no_nulls(&format!("{path}/{k}"), x);
            }
        }
        _ => {}
    }
}

#[test]
fn the_export_of_the_real_policies_is_launchplanes_contract_in_every_scenario() {
    let export = validator(None);
    let read_model = validator(Some("read_model"));
    for occurred in SCENARIOS {
        let e = export_json(occurred);
        assert_eq!(errors(&export, &e), Vec::<String>::new(), "{occurred:?}");
        no_nulls("", &e);
        let r = read_model_json(occurred);
        assert_eq!(
            errors(&read_model, &r),
            Vec::<String>::new(),
            "{occurred:?}"
        );
        no_nulls("", &r);
        assert_eq!(r.as_array().unwrap().len(), 6, "one environment per lane");
    }
}

/// The export, in process, for the write-path checks.
fn export_in_process(facts: &Facts) -> LaunchplaneExport {
    let rt = Runtime::from_bytes(&std::fs::read(root().join(REAL)).unwrap()).unwrap();
    export::launchplane(&rt, facts).unwrap()
}

fn facts(occurred: &[&str]) -> Facts {
    let mut f = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    for o in occurred {
        let (p, e) = o.split_once(':').unwrap();
        f = f.with_occurred(p, e);
    }
    f
}

#[test]
fn every_apply_request_passes_launchplanes_write_path_against_its_lane() {
    for occurred in SCENARIOS {
        let e = export_in_process(&facts(occurred));
        assert!(!e.apply_requests.is_empty(), "{occurred:?}");
        for r in &e.apply_requests {
            let product = e.products.iter().find(|p| p.product == r.product).unwrap();
            let lane = product
                .lanes
                .iter()
                .find(|l| l.context == r.context && l.instance == r.instance)
                .unwrap();
            assert_eq!(export::check_apply_request(r, lane), Ok(()), "{r:?}");
            // The request carries the record the profile holds.
            assert_eq!(r.record, lane.odoo_prelaunch_rebuild);
            assert!(r.reason.contains(&e.bundle), "{}", r.reason);
            assert!(r.reason.contains("#573"), "{}", r.reason);
            assert!(r.reason.contains("rule "), "{}", r.reason);
        }
        for p in &e.products {
            for l in &p.lanes {
                assert_eq!(export::check_lane_profile(l), Ok(()), "{}", l.context);
            }
        }
    }
}

/// (lane, record) pairs that are enabled, and the apply requests as
/// (lane, enabled).
fn summary(e: &Value) -> (Vec<String>, Vec<(String, bool)>) {
    let mut enabled = Vec::new();
    for p in e["products"].as_array().unwrap() {
        for l in p["lanes"].as_array().unwrap() {
            for k in ["odoo_stable_bootstrap", "odoo_prelaunch_rebuild"] {
                if l[k]["enabled"] == true {
                    enabled
                        .push(format!("{}/{} {k}", l["context"], l["instance"]).replace('"', ""));
                }
            }
        }
    }
    let requests = e["apply_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!("{}/{}", r["context"], r["instance"]).replace('"', ""),
                r["enabled"] == true,
            )
        })
        .collect();
    (enabled, requests)
}

#[test]
fn retirement_reaches_launchplane_as_a_disabled_record_and_a_disabling_request() {
    let (enabled, requests) = summary(&export_json(&[]));
    assert_eq!(
        enabled,
        [
            "cm/prod odoo_stable_bootstrap",
            "cm/testing odoo_stable_bootstrap",
            "opw/prod odoo_prelaunch_rebuild",
            "opw/testing odoo_prelaunch_rebuild",
        ]
    );
    assert_eq!(
        requests,
        [("opw/prod".into(), true), ("opw/testing".into(), true)]
    );

    // CM launches: its stable bootstrap records are the defaults, and the
    // notes say that Launchplane has no write path for them.
    let e = export_json(&["odoo-tenant-cm:launch"]);
    let (enabled, _) = summary(&e);
    assert_eq!(
        enabled,
        [
            "opw/prod odoo_prelaunch_rebuild",
            "opw/testing odoo_prelaunch_rebuild"
        ]
    );
    let cm_notes: Vec<&Value> = e["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["product"] == "odoo-tenant-cm")
        .collect();
    assert_eq!(cm_notes.len(), 2);
    for n in cm_notes {
        assert_eq!(n["state"], "disabled");
        let m = n["message"].as_str().unwrap();
        assert!(
            m.contains("retired: `launch` of `odoo-tenant-cm` has occurred"),
            "{m}"
        );
        assert!(m.contains("no write path"), "{m}");
    }

    // OPW cuts over: both records are the defaults, and each lane gets a
    // dry-run request that disables it, naming the bundle, rule and issue.
    let e = export_json(&["odoo-tenant-opw:cutover"]);
    let (enabled, requests) = summary(&e);
    assert_eq!(
        enabled,
        [
            "cm/prod odoo_stable_bootstrap",
            "cm/testing odoo_stable_bootstrap"
        ]
    );
    assert_eq!(
        requests,
        [("opw/prod".into(), false), ("opw/testing".into(), false)]
    );
    for r in e["apply_requests"].as_array().unwrap() {
        assert_eq!(r["mode"], "dry-run");
        assert_eq!(r["reviewed_plan_sha256"], "");
        assert_eq!(r["approval_issue_url"], "");
        assert_eq!(r["expected_domains"], json!([]));
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("disable odoo_prelaunch_rebuild"),
            "{reason}"
        );
        assert!(
            reason.contains("`cutover` of `odoo-tenant-opw` has occurred"),
            "{reason}"
        );
    }
}

#[test]
fn a_passed_date_retires_a_grant_by_the_clock() {
    // The OPW rule also retires on 2026-12-31: on 2027-01-01 it has, with
    // no event given.
    let mut v = read(REAL);
    for rule in v["rules"].as_array_mut().unwrap() {
        if rule["actions"] == json!(["upstream_restore"]) {
            rule["until"]["dates"] = json!(["2026-12-31"]);
        }
    }
    let rt = Runtime::from_bytes(&resealed(v)).unwrap();
    let before = export::launchplane(&rt, &facts(&[])).unwrap();
    assert!(before.apply_requests.iter().all(|r| r.record.enabled));
    let after =
        export::launchplane(&rt, &Facts::at("2027-01-01T00:00:00Z".parse().unwrap())).unwrap();
    assert_eq!(after.as_of, "2027-01-01T00:00:00Z");
    assert_eq!(after.apply_requests.len(), 2);
    for r in &after.apply_requests {
        assert!(!r.record.enabled);
        assert!(r.reason.contains("2026-12-31"), "{}", r.reason);
    }
}

/// Serializes `value` after recomputing its digest, as a valid writer would.
fn resealed(mut value: Value) -> Vec<u8> {
    let digest = lanepolicy::bundle::digest_of(&value);
    value["digest"] = Value::from(digest);
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn the_export_fails_closed_with_a_note() {
    let mut v = read(REAL);
    // cm/prod loses its target; opw/testing gets two competing rebuild grants.
    v["lanes"]["cm/prod"]
        .as_object_mut()
        .unwrap()
        .remove("target");
    v["actions"]["empty_rebuild"] = json!({
        "operation": "target_replacement", "data_source": "empty", "destructive": true
    });
    v["lanes"]["opw/testing"]["allowed_sources"] = json!(["empty", "upstream_restore"]);
    let mut extra = v["rules"][1].clone();
    extra["id"] = "5ec0bd000000".into();
    extra["actions"] = json!(["empty_rebuild"]);
    extra["lanes"] = json!(["opw/testing"]);
    extra["confirm"] = json!({"opw/testing": "rebuild opw testing"});
    v["rules"].as_array_mut().unwrap().push(extra);
    let rt = Runtime::from_bytes(&resealed(v)).unwrap();
    let out = export::launchplane(&rt, &facts(&[])).unwrap();
    let note = |lane: &str, record: &str| {
        out.notes
            .iter()
            .find(|n| n.lane == lane && n.record == record)
            .map(|n| (n.state, n.message.clone()))
            .unwrap()
    };
    let lane = |p: &str, i: &str| {
        out.products
            .iter()
            .find(|x| x.product == p)
            .unwrap()
            .lanes
            .iter()
            .find(|l| l.instance == i)
            .unwrap()
            .clone()
    };
    assert!(
        !lane("odoo-tenant-cm", "prod")
            .odoo_stable_bootstrap
            .record
            .enabled
    );
    assert_eq!(
        note("cm/prod", "odoo_stable_bootstrap"),
        (
            "disabled",
            "lane `cm/prod` has no `target` in the inventory; Launchplane has no write path for this record: disable it in the product profile".into()
        )
    );
    assert!(
        lane("odoo-tenant-cm", "testing")
            .odoo_stable_bootstrap
            .record
            .enabled
    );
    let opw = lane("odoo-tenant-opw", "testing");
    assert_eq!(
        opw.odoo_prelaunch_rebuild,
        export::RebuildRecord::disabled()
    );
    let (state, message) = note("opw/testing", "odoo_prelaunch_rebuild");
    assert_eq!(state, "disabled");
    assert!(
        message.contains(
            "2 grants compete for it (`empty_rebuild` by rule 5ec0bd000000, `upstream_restore` by rule"
        ),
        "{message}"
    );
    // The record Launchplane may hold enabled is disabled by the request.
    let r = out
        .apply_requests
        .iter()
        .find(|r| r.context == "opw" && r.instance == "testing")
        .unwrap();
    assert!(!r.record.enabled);
    assert!(
        lane("odoo-tenant-opw", "prod")
            .odoo_prelaunch_rebuild
            .enabled
    );

    // A grant that needs proof (a production lane gone live) is not
    // exported as enabled, and the live lane is not monitored as prelaunch.
    let rt = Runtime::from_bytes(&std::fs::read(root().join(REAL)).unwrap()).unwrap();
    let live = facts(&[]).with_phase("opw/prod", lanepolicy::model::Phase::Live);
    let out = export::launchplane(&rt, &live).unwrap();
    let opw = out
        .profiles()
        .find(|(p, l)| *p == "odoo-tenant-opw" && l.instance == "prod")
        .unwrap()
        .1;
    // A live lane's profile is left out: Launchplane would refuse it
    // without a health check, which is its own data.
    assert!(out.products[2].lanes.iter().all(|l| l.instance != "prod"));
    assert!(!opw.odoo_prelaunch_rebuild.enabled);
    assert_eq!(
        opw.health_monitoring.monitoring_intent,
        lanepolicy::model::MonitoringIntent::Public
    );
    assert!(opw.odoo_data_policy.requires_backup_before_destroy);
    let n = out
        .notes
        .iter()
        .find(|n| n.lane == "opw/prod" && n.record == "odoo_prelaunch_rebuild")
        .unwrap();
    assert!(n.message.contains("needs `backup_proof`"), "{}", n.message);
}

#[test]
fn the_data_policy_allows_less_never_more_than_launchplane_accepts() {
    let mut v = read(REAL);
    // hq/staging: unknown authority listing a source; opw/testing: no
    // upstream source; hq/prod: authoritative, saying it needs no proofs;
    // cm/testing: a stated monitoring intent and stated flags.
    v["lanes"]["hq/staging"]["allowed_sources"] = json!(["empty"]);
    v["lanes"]["opw/testing"]
        .as_object_mut()
        .unwrap()
        .remove("upstream_source");
    v["lanes"]["hq/prod"]["requires_backup_before_destroy"] = json!(false);
    v["lanes"]["hq/prod"]["requires_restore_proof"] = json!(false);
    v["lanes"]["hq/staging"]["monitoring_intent"] = json!("private");
    v["lanes"]["cm/testing"]["requires_runtime_identity"] = json!(false);
    v["lanes"]["cm/testing"]["domains"] =
        json!(["HTTPS://CM-Testing.example.com/", "cm-testing.example.com"]);
    let rt = Runtime::from_bytes(&resealed(v)).unwrap();
    let out = export::launchplane(&rt, &facts(&[])).unwrap();
    let value = serde_json::to_value(&out).unwrap();
    assert_eq!(errors(&validator(None), &value), Vec::<String>::new());
    let lane = |p: usize, i: &str| {
        out.profiles()
            .find(|(name, l)| *name == out.products[p].product && l.instance == i)
            .unwrap()
            .1
    };
    let (cm, hq, opw) = (0, 1, 2);
    assert!(
        lane(hq, "staging")
            .odoo_data_policy
            .allowed_rebuild_sources
            .is_empty()
    );
    assert_eq!(
        lane(hq, "staging").health_monitoring.monitoring_intent,
        lanepolicy::model::MonitoringIntent::Private
    );
    let hq_prod = &lane(hq, "prod").odoo_data_policy;
    assert!(hq_prod.requires_backup_before_destroy && hq_prod.requires_restore_proof);
    let opw_testing = lane(opw, "testing");
    assert!(
        opw_testing
            .odoo_data_policy
            .allowed_rebuild_sources
            .is_empty()
    );
    assert!(!opw_testing.odoo_prelaunch_rebuild.enabled);
    let cm_testing = lane(cm, "testing");
    assert!(!cm_testing.odoo_data_policy.requires_runtime_identity);
    assert_eq!(
        cm_testing.odoo_stable_bootstrap.record.expected_domains,
        ["cm-testing.example.com"]
    );
    let adjusted: Vec<(&str, &str)> = out
        .notes
        .iter()
        .filter(|n| n.state == "adjusted")
        .map(|n| (n.lane.as_str(), n.record))
        .collect();
    assert_eq!(
        adjusted,
        [
            ("hq/prod", "odoo_data_policy"),
            ("hq/prod", "odoo_data_policy"),
            ("hq/staging", "odoo_data_policy"),
            ("opw/testing", "odoo_data_policy"),
        ]
    );
    // The read model follows the profile.
    let rm = export::read_model(&out);
    let opw_rm = rm
        .iter()
        .find(|e| e.context == "opw" && e.instance == "testing")
        .unwrap();
    assert!(!opw_rm.driver_extensions.odoo.prelaunch_rebuild_allowed);
    assert_eq!(
        opw_rm
            .driver_extensions
            .odoo
            .prelaunch_rebuild_data_source_mode,
        ""
    );
}

#[test]
fn a_bad_monitoring_intent_in_a_bundle_is_refused_with_nothing_printed() {
    let mut v = read(REAL);
    v["lanes"]["hq/prod"]["monitoring_intent"] = json!("loud");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    std::fs::write(&path, resealed(v)).unwrap();
    for args in [
        vec!["export", "launchplane"],
        vec!["lanes", "--format", "launchplane"],
    ] {
        let mut args = args;
        args.extend(["--bundle", path.to_str().unwrap(), NOW]);
        let r = common::run_in(root(), &args);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{args:?}");
        assert!(
            r.stderr
                .contains("lane `hq/prod`: `monitoring_intent` is `\"loud\"`"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn the_export_refuses_an_unreadable_bundle_and_bad_facts() {
    let r = common::run_in(
        root(),
        &["export", "launchplane", "--bundle", "missing.json"],
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.contains("cannot read bundle"), "{}", r.stderr);
    let r = common::run_in(
        root(),
        &[
            "export",
            "launchplane",
            "--bundle",
            REAL,
            "--occurred",
            "odoo-tenant-cm:lunch",
        ],
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.contains("did you mean `launch`?"), "{}", r.stderr);
    let r = common::run_in(root(), &["export", "opa", "--bundle", REAL]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("opa"), "{}", r.stderr);
}

/// The value at a JSON pointer.
fn ptr<'a>(b: &'a mut Value, pointer: &str) -> &'a mut Value {
    b.pointer_mut(pointer).unwrap()
}

/// A change that the contract refuses.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn the_schema_refuses_extra_missing_null_mistyped_and_out_of_enum_values() {
    let base = export_json(&[]);
    let v = validator(None);
    let cases: Vec<(&str, Edit)> = vec![
        (
            "an extra lane key",
            Box::new(|b| {
                ptr(b, LANE0)["lane"] = json!("cm/prod");
            }),
        ),
        (
            "an extra record key",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_prelaunch_rebuild"))["policy"] = json!({});
            }),
        ),
        (
            "an extra data policy key",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_data_policy"))["phase"] = json!("prelaunch");
            }),
        ),
        (
            "an extra monitoring key",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/health_monitoring"))["provisional"] = json!(true);
            }),
        ),
        (
            "an extra request key",
            Box::new(|b| {
                b["apply_requests"][0]["rule"] = json!("c374b2585201");
            }),
        ),
        (
            "an extra top-level key",
            Box::new(|b| b["lanes"] = json!([])),
        ),
        (
            "a missing record",
            Box::new(|b| {
                ptr(b, LANE0)
                    .as_object_mut()
                    .unwrap()
                    .remove("odoo_stable_bootstrap");
            }),
        ),
        (
            "a missing record field",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_prelaunch_rebuild"))
                    .as_object_mut()
                    .unwrap()
                    .remove("confirmation");
            }),
        ),
        (
            "a missing request field",
            Box::new(|b| {
                b["apply_requests"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("enabled");
            }),
        ),
        (
            "a null in a disabled record",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_prelaunch_rebuild"))["approval_issue_url"] =
                    Value::Null;
            }),
        ),
        (
            "a null target",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_stable_bootstrap"))["expected_target_name"] =
                    Value::Null;
            }),
        ),
        (
            "a string for a boolean",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_data_policy"))["requires_restore_proof"] =
                    json!("true");
            }),
        ),
        (
            "a string for the domains",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_stable_bootstrap"))["expected_domains"] =
                    json!("cm.example.com");
            }),
        ),
        (
            "an unknown authority value",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_data_policy"))["data_authority"] =
                    json!("provisional");
            }),
        ),
        (
            "an unknown source",
            Box::new(|b| {
                b["apply_requests"][0]["data_source_mode"] = json!("existing");
            }),
        ),
        (
            "a stable bootstrap from upstream",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_stable_bootstrap"))["data_source_mode"] =
                    json!("upstream_restore");
            }),
        ),
        (
            "an unknown monitoring intent",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/health_monitoring"))["monitoring_intent"] = json!("live");
            }),
        ),
        (
            "an unknown mode",
            Box::new(|b| b["apply_requests"][0]["mode"] = json!("plan")),
        ),
        (
            "schema version 2",
            Box::new(|b| b["apply_requests"][0]["schema_version"] = json!(2)),
        ),
        (
            "an enabled record without a phrase",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_stable_bootstrap"))["confirmation"] = json!("");
            }),
        ),
        (
            "an enabled request without domains",
            Box::new(|b| {
                b["apply_requests"][0]["expected_domains"] = json!([]);
            }),
        ),
        (
            "an upper-case phrase",
            Box::new(|b| {
                b["apply_requests"][0]["confirmation"] = json!("Restore OPW prod from upstream");
            }),
        ),
        (
            "a domain with its scheme",
            Box::new(|b| {
                b["apply_requests"][0]["expected_domains"] =
                    json!(["https://opw-prod.example.com"]);
            }),
        ),
        (
            "a dry run with a plan hash",
            Box::new(|b| {
                b["apply_requests"][0]["reviewed_plan_sha256"] = json!("a".repeat(64));
            }),
        ),
        (
            "an apply without a plan hash",
            Box::new(|b| {
                b["apply_requests"][0]["mode"] = json!("apply");
            }),
        ),
        (
            "a blank reason",
            Box::new(|b| b["apply_requests"][0]["reason"] = json!(" ")),
        ),
        (
            "unknown authority allowing a source",
            Box::new(|b| {
                ptr(b, &format!("{LANE0}/odoo_data_policy"))["data_authority"] = json!("unknown");
            }),
        ),
        (
            "upstream restore without a source",
            Box::new(|b| {
                b["products"][2]["lanes"][0]["odoo_data_policy"]["upstream_source"] = json!("");
            }),
        ),
        (
            "authoritative without restore proof",
            Box::new(|b| {
                let policy = ptr(b, &format!("{LANE0}/odoo_data_policy"));
                policy["data_authority"] = json!("authoritative");
                policy["requires_backup_before_destroy"] = json!(true);
                policy["requires_restore_proof"] = json!(false);
            }),
        ),
        (
            "a blank instance",
            Box::new(|b| {
                ptr(b, LANE0)["instance"] = json!("");
            }),
        ),
    ];
    for (what, edit) in cases {
        let mut b = base.clone();
        edit(&mut b);
        assert!(!errors(&v, &b).is_empty(), "the schema accepts {what}");
    }

    let rm = validator(Some("read_model"));
    let base = read_model_json(&[]);
    let cases: Vec<(&str, Edit)> = vec![
        (
            "a tenth field",
            Box::new(|b| b[0]["driver_extensions"]["odoo"]["provisional"] = json!(true)),
        ),
        (
            "a missing field",
            Box::new(|b| {
                b[0]["driver_extensions"]["odoo"]
                    .as_object_mut()
                    .unwrap()
                    .remove("upstream_source");
            }),
        ),
        (
            "a null",
            Box::new(|b| b[0]["driver_extensions"]["odoo"]["upstream_source"] = Value::Null),
        ),
        (
            "a wrong type",
            Box::new(|b| b[0]["driver_extensions"]["odoo"]["prelaunch_rebuild_allowed"] = json!(1)),
        ),
        (
            "another driver",
            Box::new(|b| b[0]["driver_extensions"]["web"] = json!({})),
        ),
        (
            "an extra environment key",
            Box::new(|b| b[0]["lane"] = json!("cm/prod")),
        ),
    ];
    for (what, edit) in cases {
        let mut b = base.clone();
        edit(&mut b);
        assert!(
            !errors(&rm, &b).is_empty(),
            "the read-model schema accepts {what}"
        );
    }
}

#[test]
fn the_schema_names_every_field_the_export_writes() {
    // Every object of a full export (with notes of every optional field and
    // both kinds of request) has exactly the schema's properties: a field
    // added to the types but not to the schema fails here and in validation.
    let e = export_json(&["odoo-tenant-cm:launch"]);
    let schema = read("docs/launchplane.schema.json");
    let props = |def: &str| -> Vec<String> {
        let s = if def.is_empty() {
            &schema
        } else {
            &schema["$defs"][def]
        };
        let mut v: Vec<String> = s["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    };
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    // `lowered_checks` (top) and `unguarded` (a note) are written only when
    // the configuration lowered a check: tests/fail_closed_inputs.rs;
    // `excluded_policies` only when it left policy files out:
    // tests/hostile.rs.
    let without = |mut v: Vec<String>, k: &str| {
        v.retain(|x| x != k);
        v
    };
    assert_eq!(
        keys(&e),
        without(without(props(""), "lowered_checks"), "excluded_policies")
    );
    let lane = &e["products"][0]["lanes"][0];
    assert_eq!(keys(lane), props("lane_profile"));
    assert_eq!(
        keys(&lane["odoo_stable_bootstrap"]),
        props("stable_bootstrap")
    );
    assert_eq!(
        keys(&lane["odoo_prelaunch_rebuild"]),
        props("prelaunch_rebuild")
    );
    assert_eq!(keys(&lane["odoo_data_policy"]), props("data_policy"));
    assert_eq!(keys(&lane["health_monitoring"]), props("health_monitoring"));
    assert_eq!(keys(&e["apply_requests"][0]), props("apply_request"));
    let enabled_note = e["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["state"] == "enabled")
        .unwrap();
    assert_eq!(keys(enabled_note), without(props("note"), "unguarded"));
    let rm = read_model_json(&[]);
    assert_eq!(keys(&rm[0]), props("environment"));
    assert_eq!(
        keys(&rm[0]["driver_extensions"]["odoo"]),
        props("odoo_extension")
    );
}

#[test]
fn snapshots_of_the_export_and_the_read_model() {
    for (name, occurred) in [
        ("before", None),
        ("after_cm_launch", Some("--occurred=odoo-tenant-cm:launch")),
        (
            "after_opw_cutover",
            Some("--occurred=odoo-tenant-opw:cutover"),
        ),
    ] {
        let mut args = vec!["export", "launchplane", "--bundle", REAL, NOW];
        args.extend(occurred);
        insta::assert_snapshot!(format!("export_{name}"), redact_digest(&run_ok(&args)));
        let mut args = vec!["lanes", "--bundle", REAL, "--format", "launchplane", NOW];
        args.extend(occurred);
        insta::assert_snapshot!(format!("read_model_{name}"), run_ok(&args));
    }
}

#[test]
fn lanes_shows_the_upstream_source_in_human_and_json_output() {
    let human = run_ok(&["lanes", "--bundle", REAL, NOW]);
    assert!(
        human.contains(
            "opw/testing (odoo-tenant-opw): not production, prelaunch, data restorable, provisional\n  upstream source odoo-tenant-opw/opw/testing-upstream\n"
        ),
        "{human}"
    );
    let json: Value =
        serde_json::from_str(&run_ok(&["lanes", "--bundle", REAL, NOW, "--json"])).unwrap();
    let same: Value = serde_json::from_str(&run_ok(&[
        "lanes", "--bundle", REAL, NOW, "--format", "json",
    ]))
    .unwrap();
    assert_eq!(json, same);
    let upstream: Vec<(&str, Option<&str>)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["lane"].as_str().unwrap(), l["upstream_source"].as_str()))
        .collect();
    assert_eq!(
        upstream,
        [
            ("cm/prod", None),
            ("cm/testing", None),
            ("hq/prod", None),
            ("hq/staging", None),
            ("opw/prod", Some("odoo-tenant-opw/opw/prod-upstream")),
            ("opw/testing", Some("odoo-tenant-opw/opw/testing-upstream")),
        ]
    );
    let r = common::run_in(
        root(),
        &[
            "lanes",
            "--bundle",
            REAL,
            "--json",
            "--format",
            "launchplane",
        ],
    );
    assert_eq!(r.code, 2, "--json and --format conflict");
}

mod any_facts {
    use super::*;
    use proptest::prelude::*;

    const LANES: [&str; 6] = [
        "cm/prod",
        "cm/testing",
        "hq/prod",
        "hq/staging",
        "opw/prod",
        "opw/testing",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever has occurred, whichever lanes have gone live and
        /// whatever the day, the export is Launchplane's contract and each
        /// request passes the write path against its lane.
        #[test]
        fn the_export_is_always_launchplanes_contract(
            cm_launched in any::<bool>(),
            opw_cut_over in any::<bool>(),
            live in proptest::collection::vec(any::<bool>(), 6),
            day in 0i64..1100,
        ) {
            let now = jiff::Timestamp::from_second(1_764_547_200 + day * 86_400).unwrap();
            let mut f = Facts::at(now);
            if cm_launched {
                f = f.with_occurred("odoo-tenant-cm", "launch");
            }
            if opw_cut_over {
                f = f.with_occurred("odoo-tenant-opw", "cutover");
            }
            for (lane, live) in LANES.iter().zip(&live) {
                if *live {
                    f = f.with_phase(*lane, lanepolicy::model::Phase::Live);
                }
            }
            let e = export_in_process(&f);
            let value = serde_json::to_value(&e).unwrap();
            prop_assert_eq!(errors(&validator(None), &value), Vec::<String>::new());
            let rm = serde_json::to_value(export::read_model(&e)).unwrap();
            prop_assert_eq!(errors(&validator(Some("read_model")), &rm), Vec::<String>::new());
            for r in &e.apply_requests {
                let lane = e
                    .profiles()
                    .map(|(_, l)| l)
                    .find(|l| l.context == r.context && l.instance == r.instance)
                    .unwrap();
                prop_assert_eq!(export::check_apply_request(r, lane), Ok(()));
                prop_assert_eq!(&r.record, &lane.odoo_prelaunch_rebuild);
            }
            // A live lane is never monitored as prelaunch, and never enabled.
            for (lane, live) in LANES.iter().zip(&live) {
                let (context, instance) = lane.split_once('/').unwrap();
                let l = e
                    .profiles()
                    .map(|(_, l)| l)
                    .find(|l| l.context == context && l.instance == instance)
                    .unwrap();
                // Only prelaunch lanes are in `products`.
                let listed = e.products.iter().flat_map(|p| &p.lanes).any(|x| x == l);
                prop_assert_eq!(listed, l.health_monitoring.monitoring_intent
                    == lanepolicy::model::MonitoringIntent::Prelaunch);
                if *live {
                    prop_assert_ne!(
                        l.health_monitoring.monitoring_intent,
                        lanepolicy::model::MonitoringIntent::Prelaunch
                    );
                    prop_assert!(!l.odoo_prelaunch_rebuild.enabled);
                    prop_assert!(!l.odoo_stable_bootstrap.record.enabled);
                }
            }
        }
    }
}
