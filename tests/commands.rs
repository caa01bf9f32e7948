//! The commands as library functions, through a console that keeps what
//! is written: exit codes and errors are typed, and a report that cannot
//! be written stops `build` before anything is written.

use lanepolicy::commands::{
    self, BufferConsole, Build, BundleReader, CheckRequest, Error, Exit, FactFlags,
};
use lanepolicy::project::Options;
use lanepolicy::render::diagnostics::DiagnosticFormat;
use lanepolicy::runtime::Request;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn request(output: Option<PathBuf>) -> CheckRequest {
    let r = root();
    CheckRequest {
        options: Options::new(
            vec![r.join("policies")],
            r.clone(),
            jiff::civil::date(2026, 11, 29),
        ),
        format: DiagnosticFormat::Json,
        deny_warnings: false,
        build: output.map(|output| Build {
            output,
            sign_key: None,
            max_bytes: lanepolicy::bundle::load::MAX_BUNDLE_BYTES,
        }),
    }
}

#[test]
fn build_writes_the_bundle_after_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    let mut console = BufferConsole::default();
    let exit = commands::check(&request(Some(out.clone())), &mut console).unwrap();
    assert_eq!(exit, Exit::Ok);
    assert_eq!(console.out, "[]\n", "the JSON report of clean policies");
    assert!(out.is_file());

    // The bundle decides as the runtime does.
    let reader = BundleReader::new(&[]).unwrap();
    let mut console = BufferConsole::default();
    let req = Request::new("cm/prod", "empty_bootstrap");
    let exit = commands::decide(
        &reader,
        &out,
        &req,
        &FactFlags::default(),
        true,
        &mut console,
    )
    .unwrap();
    assert_eq!(exit, Exit::Findings, "{}", console.out);
    assert!(
        console.out.contains("\"decision\": \"deny\""),
        "{}",
        console.out
    );
}

#[test]
fn a_report_that_cannot_be_written_leaves_no_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    let mut console = BufferConsole {
        fail_out: true,
        ..BufferConsole::default()
    };
    let err = commands::check(&request(Some(out.clone())), &mut console).unwrap_err();
    assert!(err.is_reported(), "{err}");
    assert_eq!(err.exit(), Exit::Failure);
    assert!(!out.exists(), "no bundle without its report");
}

#[test]
fn an_unreadable_bundle_denies_with_a_typed_error() {
    let reader = BundleReader::new(&[]).unwrap();
    let mut console = BufferConsole::default();
    let req = Request::new("cm/testing", "deploy");
    let missing = root().join("no-such-bundle.json");
    let err = commands::decide(
        &reader,
        &missing,
        &req,
        &FactFlags::default(),
        true,
        &mut console,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Denied(inner) if matches!(**inner, Error::Load(_))),
        "{err:?}"
    );
    assert_eq!(err.exit(), Exit::Failure);
    assert!(err.to_string().ends_with("; the decision is deny"), "{err}");
    // With JSON, the deny is printed before the error is told.
    assert!(console.out.contains("bundle-invalid"), "{}", console.out);
}

#[test]
fn graph_of_policies_with_errors_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lanes.yaml"), "lanes: {}\n").unwrap();
    std::fs::write(dir.path().join("a.policy"), "allow on\n").unwrap();
    let options = Options::new(
        vec![dir.path().to_path_buf()],
        dir.path().to_path_buf(),
        jiff::civil::date(2026, 11, 29),
    );
    let reader = BundleReader::new(&[]).unwrap();
    let mut console = BufferConsole::default();
    let err = commands::graph(&reader, None, &options, None, &mut console).unwrap_err();
    assert!(matches!(err, Error::PolicyErrors));
    assert_eq!(err.exit(), Exit::Findings);
    assert!(console.out.is_empty(), "no graph: {}", console.out);
    assert!(
        console.err.contains("E001"),
        "the errors are told: {}",
        console.err
    );
}

#[test]
fn refused_facts_deny_and_json_names_the_bundle_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    commands::check(&request(Some(out.clone())), &mut BufferConsole::default()).unwrap();
    let reader = BundleReader::new(&[]).unwrap();
    let req = Request::new("cm/testing", "empty_bootstrap");
    let flags = FactFlags {
        occurred: vec![("no-such-product".into(), "launch".into())],
        ..FactFlags::default()
    };
    for explain in [false, true] {
        let mut console = BufferConsole::default();
        let run = if explain {
            commands::explain
        } else {
            commands::decide
        };
        let err = run(&reader, &out, &req, &flags, true, &mut console).unwrap_err();
        assert!(
            matches!(&err, Error::Denied(inner) if matches!(**inner, Error::Facts(_))),
            "{err:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&console.out).unwrap();
        let decision = if explain { &v["decision"] } else { &v };
        assert_eq!(decision["decision"], "deny");
        assert_eq!(decision["reasons"][0]["code"], "invalid-request");
        assert!(
            decision["bundle"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:")),
            "the digest of the bundle read: {v}"
        );
        if explain {
            assert_eq!(v["steps"].as_array().map(Vec::len), Some(2), "{v}");
        }
    }
}
