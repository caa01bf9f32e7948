//! The library API a control plane embeds: loading (typed errors, the
//! keep-last-good pattern), deciding against facts, and the read model.

use lanepolicy::bundle::{self, BundleError};
use lanepolicy::model::Phase;
use lanepolicy::runtime::{FactError, Facts, ReasonCode, Request, Runtime};
use serde_json::Value;

fn real_bytes() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bundles/real.json"
    ))
    .unwrap()
}

fn real_value() -> Value {
    serde_json::from_slice(&real_bytes()).unwrap()
}

/// Serializes `value` after recomputing its digest, as a valid writer would.
fn resealed(mut value: Value) -> Vec<u8> {
    let digest = bundle::digest_of(&value);
    value["digest"] = Value::from(digest);
    serde_json::to_vec(&value).unwrap()
}

fn facts() -> Facts {
    Facts::at("2026-12-01T00:00:00Z".parse().unwrap())
}

#[test]
fn the_real_bundle_loads_and_decides() {
    let rt = Runtime::from_bytes(&real_bytes()).unwrap();
    assert!(rt.digest().starts_with("sha256:"));
    let req =
        Request::new("opw/prod", "upstream_restore").confirm("  Restore OPW prod from upstream ");
    let d = rt.decide(&req, &facts());
    assert!(d.is_allow(), "{d:?}");
    assert_eq!(d.issue.unwrap().reference, "#573");
    assert_eq!(d.until, ["cutover"]);
}

/// What a load failure must look like.
type Expect = fn(&BundleError) -> bool;

#[test]
fn each_load_failure_has_its_own_error() {
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", Vec::new(), |e| {
            matches!(e, BundleError::Json { line: 1, .. })
        }),
        (
            "truncated",
            real_bytes()[..200].to_vec(),
            |e| matches!(e, BundleError::Json { line, .. } if *line > 1),
        ),
        ("not utf-8", b"{\"format\": \"\xff\"}".to_vec(), |e| {
            matches!(e, BundleError::Json { .. })
        }),
        ("an array", b"[1, 2]".to_vec(), |e| {
            matches!(e, BundleError::Format { found: None })
        }),
        (
            "another format",
            resealed({
                let mut v = real_value();
                v["format"] = "opa-bundle".into();
                v
            }),
            |e| matches!(e, BundleError::Format { found: Some(f) } if f == "opa-bundle"),
        ),
        (
            "a newer version",
            resealed({
                let mut v = real_value();
                v["version"] = 2.into();
                v
            }),
            |e| matches!(e, BundleError::Version { found } if found == "2"),
        ),
        (
            "no digest",
            {
                let mut v = real_value();
                v.as_object_mut().unwrap().remove("digest");
                serde_json::to_vec(&v).unwrap()
            },
            |e| matches!(e, BundleError::Invalid { .. }),
        ),
        (
            "a tampered phrase",
            String::from_utf8(real_bytes())
                .unwrap()
                .replace("bootstrap cm prod", "ok")
                .into_bytes(),
            |e| matches!(e, BundleError::Digest { .. }),
        ),
        (
            "a missing field, resealed",
            resealed({
                let mut v = real_value();
                v.as_object_mut().unwrap().remove("rules");
                v
            }),
            |e| matches!(e, BundleError::Invalid { message } if message.contains("rules")),
        ),
        (
            "a rule on an unknown lane, resealed",
            resealed({
                let mut v = real_value();
                v["rules"][0]["lanes"][0] = "zz/prod".into();
                v
            }),
            |e| matches!(e, BundleError::Invalid { message } if message.contains("zz/prod")),
        ),
        (
            "a date the runtime cannot decide on, resealed",
            resealed({
                let mut v = real_value();
                v["rules"][0]["until"]["dates"] = serde_json::json!(["9999-06-30"]);
                v
            }),
            |e| {
                matches!(e, BundleError::Invalid { message }
                    if message.contains("9999-06-30") && message.contains("2000-01-01 to 9998-12-31"))
            },
        ),
    ];
    for (what, bytes, expected) in cases {
        match Runtime::from_bytes(&bytes) {
            Ok(_) => panic!("{what}: loaded"),
            Err(e) => {
                assert!(expected(&e), "{what}: {e:?}");
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

#[test]
fn a_bundle_with_keys_out_of_order_or_extra_fields_still_verifies() {
    // Keys in reverse order, as a foreign writer might emit them: the digest
    // is over the canonical form, so it still matches.
    let text = String::from_utf8(real_bytes()).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let obj = value.as_object().unwrap();
    let mut reversed = String::from("{");
    for (n, (k, v)) in obj.iter().rev().enumerate() {
        if n > 0 {
            reversed.push(',');
        }
        reversed.push_str(&format!("{}:{}", serde_json::to_string(k).unwrap(), v));
    }
    reversed.push('}');
    let rt = Runtime::from_bytes(reversed.as_bytes()).unwrap();
    assert_eq!(rt.digest(), value["digest"].as_str().unwrap());

    // A field this version does not know is covered by the digest and ignored.
    let mut extended = real_value();
    extended["rules"][0]["x_owner"] = "platform team".into();
    assert!(Runtime::from_bytes(&resealed(extended.clone())).is_ok());
    // ...and cannot be changed after the fact.
    let mut changed = extended.clone();
    changed["digest"] = Value::from(bundle::digest_of(&extended));
    changed["rules"][0]["x_owner"] = "someone else".into();
    assert!(matches!(
        Runtime::from_bytes(&serde_json::to_vec(&changed).unwrap()),
        Err(BundleError::Digest { .. })
    ));
}

#[test]
fn a_failed_reload_keeps_the_last_good_bundle() {
    let mut rt = Runtime::from_bytes(&real_bytes()).unwrap();
    let before = rt.digest().to_string();
    let req = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
    for bad in [
        &b""[..],
        &b"{\"format\": \"lanepolicy-bundle\", \"version\": 1"[..],
        &b"{\"format\": \"lanepolicy-bundle\", \"version\": 1, \"digest\": \"sha256:00\"}"[..],
    ] {
        assert!(rt.reload(bad).is_err());
        assert_eq!(rt.digest(), before);
        assert!(rt.decide(&req, &facts()).is_allow());
    }
    // A good new bundle replaces it.
    let mut v = real_value();
    v["rules"].as_array_mut().unwrap().remove(0);
    rt.reload(&resealed(v)).unwrap();
    assert_ne!(rt.digest(), before);
    let d = rt.decide(&req, &facts());
    assert_eq!(d.reasons[0].code, ReasonCode::NoMatchingRule);
}

#[test]
fn facts_change_decisions_and_typos_in_facts_are_refused() {
    let rt = Runtime::from_bytes(&real_bytes()).unwrap();
    let req = Request::new("cm/prod", "empty_bootstrap").confirm("bootstrap cm prod");
    assert!(rt.decide(&req, &facts()).is_allow());

    // CM prod goes live before the launch event is recorded: a destructive
    // action on live production now needs a backup proof.
    let live = facts().with_phase("cm/prod", Phase::Live);
    rt.check_facts(&live).unwrap();
    let d = rt.decide(&req, &live);
    assert_eq!(d.reasons[0].code, ReasonCode::ProofRequired);
    assert!(
        rt.decide(&req.clone().proof("backup_proof", "bg-1"), &live)
            .is_allow()
    );

    assert_eq!(
        rt.check_facts(&facts().with_occurred("odoo-tenant-xx", "launch")),
        Err(FactError::UnknownProduct {
            product: "odoo-tenant-xx".into(),
            event: "launch".into(),
            suggestion: Some("odoo-tenant-cm".into()),
        })
    );
    assert!(matches!(
        rt.check_facts(&facts().with_occurred("odoo-tenant-cm", "lunch")),
        Err(FactError::UnknownEvent { known, .. }) if known == ["launch"]
    ));
    assert!(matches!(
        rt.check_facts(&facts().with_phase("cm/staging", Phase::Live)),
        Err(FactError::UnknownLane { .. })
    ));
    // A launch is one way: a fact cannot make a live lane prelaunch again.
    assert_eq!(
        rt.check_facts(&facts().with_phase("hq/prod", Phase::Prelaunch)),
        Err(FactError::LaunchUndone {
            lane: "hq/prod".into()
        })
    );
}

#[test]
fn the_read_model_lists_every_lane_in_order() {
    let rt = Runtime::from_bytes(&real_bytes()).unwrap();
    let lanes = rt.lanes(&facts());
    let keys: Vec<&str> = lanes.iter().map(|v| v.lane.as_str()).collect();
    assert_eq!(
        keys,
        [
            "cm/prod",
            "cm/testing",
            "hq/prod",
            "hq/staging",
            "opw/prod",
            "opw/testing"
        ]
    );
    let hq = &lanes[2];
    assert!(hq.protected && !hq.provisional && hq.grants.is_empty());
    let launched = rt.lanes(&facts().with_occurred("odoo-tenant-cm", "launch"));
    assert!(launched[0].grants.is_empty());
    assert_eq!(launched[0].retired.len(), 1);
    assert!(!launched[0].provisional);
}

#[test]
fn runtime_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Runtime>();
}

#[test]
fn a_time_given_in_the_future_retires_grants_but_lifts_no_freeze() {
    let mut v = real_value();
    let mut freeze = v["rules"][0].clone();
    freeze["id"] = Value::from("f0f0f0f0f0f0");
    freeze["effect"] = Value::from("deny");
    freeze["confirm"] = Value::Null;
    freeze["issue"] = Value::Null;
    freeze["reason"] = Value::from("frozen until June");
    freeze["until"] = serde_json::json!({"events": [], "dates": ["2027-06-01"]});
    v["rules"].as_array_mut().unwrap().push(freeze);
    let rt = Runtime::from_bytes(&resealed(v)).unwrap();
    let req = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
    let clock: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let later: jiff::Timestamp = "2027-06-02T00:00:00Z".parse().unwrap();
    // By the machine's clock the freeze stands; a time given past its date
    // does not lift it.
    for facts in [
        Facts::at_given(clock, clock).unwrap(),
        Facts::at_given(later, clock).unwrap(),
    ] {
        let d = rt.decide(&req, &facts);
        assert_eq!(d.reasons[0].code, ReasonCode::DeniedByRule, "{d:?}");
    }
    // Once the machine's clock passes it, the freeze has ended.
    let d = rt.decide(&req, &Facts::at_given(later, later).unwrap());
    assert!(d.is_allow(), "{d:?}");
    // A later time still retires grants: past the grant's own date nothing
    // is allowed, whatever the clock.
    let mut v = real_value();
    v["rules"][0]["until"] = serde_json::json!({"events": ["launch"], "dates": ["2027-01-31"]});
    let rt = Runtime::from_bytes(&resealed(v)).unwrap();
    let d = rt.decide(&req, &Facts::at_given(later, clock).unwrap());
    assert_eq!(d.reasons[0].code, ReasonCode::RuleRetired, "{d:?}");
}

#[test]
fn check_records_and_lane_field_names_the_compiler_could_not_write_are_refused() {
    use serde_json::json;
    let lowered = |code: &str, name: &str, severity: &str| json!([{"code": code, "name": name, "default": "error", "severity": severity}]);
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut v = real_value();
    v["lowered_checks"] = lowered("L001\u{1b}[2J", "missing-issue", "off");
    cases.push(("an escape in a lowered check's code", v));
    let mut v = real_value();
    v["lowered_checks"] = lowered("L999", "y", "off");
    cases.push(("a check that does not exist", v));
    let mut v = real_value();
    v["lowered_checks"] = lowered("L001", "missing-issue", "z");
    cases.push(("a severity that does not exist", v));
    let mut v = real_value();
    v["rules"][0]["suppressions"] =
        json!([{"code": "L001", "name": "missing-issue", "reason": "ok\u{1b}]0;t\u{7}"}]);
    cases.push(("an escape in a suppression's reason", v));
    let mut v = real_value();
    v["rules"][0]["lowered_findings"] = json!([{
        "code": "L001", "name": "production-lane", "severity": "warning", "message": "m"
    }]);
    cases.push(("a finding whose name is another check's", v));
    let mut v = real_value();
    v["lanes"]["cm/testing"]["t\u{1b}x"] = json!("a");
    cases.push(("an escape in a lane field's name", v));
    let mut v = real_value();
    let rule = v["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["confirm"].is_object())
        .expect("a rule with phrases");
    let lane = rule["lanes"][0].as_str().unwrap().to_string();
    rule["confirm"][lane.as_str()] = json!("x".repeat(201));
    cases.push(("a phrase longer than the compiler writes (E109)", v));
    let mut v = real_value();
    let pattern = v["rules"][0]["patterns"][0].clone();
    v["rules"][0]["patterns"]
        .as_array_mut()
        .unwrap()
        .push(pattern);
    cases.push(("a pattern listed twice, which build writes once", v));
    for (what, v) in cases {
        match Runtime::from_bytes(&resealed(v)) {
            Err(BundleError::Invalid { .. }) => {}
            other => panic!("{what}: {:?}", other.map(|r| r.digest().to_string())),
        }
    }
    // What `build` writes for a lowered check still loads.
    let mut v = real_value();
    v["lowered_checks"] = lowered("L001", "missing-issue", "off");
    assert!(Runtime::from_bytes(&resealed(v)).is_ok());
}
