//! Inputs that once talked a gate into an allow, or lost its report: files
//! in linked directories left out, guards switched off without a trace, an
//! empty policy set that could not be built, files of several projects
//! checked against one inventory, policy tests passing on typos, and a
//! closed or full standard output. Each test runs the real binary.

mod common;
use common::run_in;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lanepolicy");

/// A clean grant: issue, retirement and phrase.
const GRANT: &str = "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"bootstrap {context} {instance}\"\n";

/// A project (a git root) with the real inventory and `policies/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make_project(dir.path());
    dir
}

fn make_project(d: &Path) {
    std::fs::create_dir_all(d.join("policies")).unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/lanes.yaml"),
        d.join("lanes.yaml"),
    )
    .unwrap();
}

fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn decide(dir: &Path, bundle: &str, lane: &str, action: &str, confirm: &str) -> (i32, Value) {
    let r = run_in(
        dir,
        &[
            "decide",
            "--bundle",
            bundle,
            "--lane",
            lane,
            "--action",
            action,
            "--confirm",
            confirm,
            "--json",
        ],
    );
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    (r.code, v)
}

fn bundle(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

// ---- item 1: links under the policy path --------------------------------

#[cfg(unix)]
#[test]
fn a_deny_in_a_linked_directory_is_compiled_and_closes_the_lane() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("shared/freeze.policy"),
        "deny empty_bootstrap on cm/testing reason=\"frozen\"\n",
    );
    std::os::unix::fs::symlink("../shared", p.join("policies/shared")).unwrap();
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("in 3 files"), "{}", r.stdout);
    let (code, v) = decide(
        p,
        "b.json",
        "cm/testing",
        "empty_bootstrap",
        "bootstrap cm testing",
    );
    assert_eq!((code, v["decision"].as_str()), (1, Some("deny")));
    assert_eq!(v["reasons"][0]["code"], "denied-by-rule");

    // `fmt` sees the linked file too.
    write(
        &p.join("shared/freeze.policy"),
        "deny   empty_bootstrap on cm/testing reason=\"frozen\"\n",
    );
    let r = run_in(p, &["fmt", "--check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("would reformat shared/freeze.policy\n"),
        "{}",
        r.stdout
    );
}

#[cfg(unix)]
#[test]
fn link_loops_and_broken_links_are_refused_not_skipped() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    std::os::unix::fs::symlink("..", p.join("policies/up")).unwrap();
    for args in [
        &["check"][..],
        &["build", "-o", "b.json"],
        &["fmt", "--check"],
        &["graph"],
    ] {
        let r = run_in(p, args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("a symbolic link loop"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!p.join("b.json").exists());
    std::fs::remove_file(p.join("policies/up")).unwrap();

    std::os::unix::fs::symlink("../gone", p.join("policies/shared")).unwrap();
    let r = run_in(p, &["check"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: policies/shared: a symbolic link that cannot be followed (no such file or directory); fix or remove it\n"
    );
    let r = run_in(p, &["test"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("policies/shared: a symbolic link that cannot be followed")
    );
}

/// A policy file whose name is not UTF-8, or holds a control or invisible
/// character, is refused by name: never skipped (its deny would be lost),
/// and never written into a bundle every reader would refuse. The name is
/// shown escaped.
#[cfg(unix)]
#[test]
fn policy_files_with_names_a_bundle_cannot_record_are_refused_not_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let names: [&[u8]; 3] = [
        b"freeze\xff.policy",
        b"a\x1b[2Jb.policy",
        "rl\u{202e}o.policy".as_bytes(),
    ];
    for name in names {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        let bad = p.join("policies").join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(
            &bad,
            "deny empty_bootstrap on cm/testing reason=\"frozen\"\n",
        )
        .unwrap();
        for args in [&["check"][..], &["build", "-o", "b.json"]] {
            let r = run_in(p, args);
            assert_eq!(r.code, 2, "{args:?} {name:?}: {}{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains("not valid UTF-8")
                    || r.stderr.contains("holds a control or invisible character"),
                "{args:?} {name:?}: {}",
                r.stderr
            );
            assert!(
                !r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{202e}'),
                "{:?}",
                r.stderr
            );
        }
        assert!(!p.join("b.json").exists());
    }
}

/// A file a directory listing shows as `freeze.policy` is a policy file to
/// whoever reads the listing. White space, an invisible character or a
/// combining mark after the extension, an extension in look-alike
/// letters, a dot that is not `.`, or bidi controls that draw
/// `ycilop` backwards, used to make the walk skip it in silence, and its
/// freeze with it (`decide` allowed). Now the walk refuses, by name, any
/// name that may be drawn so: a plain ASCII one that ends in `.policy`
/// once blanks and trailing dots go, and any other that does not end in
/// a plain ASCII extension. Other files are still not policies.
#[test]
fn a_name_that_reads_as_a_policy_file_is_refused_not_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let names: Vec<Vec<u8>> = [
        "freeze.policy\u{200b}",
        "freeze.policy ",
        "freeze.policy\u{a0}",
        "freeze.policy\u{3000}",
        "freeze.poli\u{441}y",
        "freeze\u{ff0e}policy",
        "freeze.pol\u{200b}icy",
        "freeze.\u{202e}ycilop",
        "freeze\u{202e}ycilop.",
        "freeze.policy\u{301}",
        "freeze.poli\u{307}cy",
        "freeze.policy\u{20dd}",
        "freeze.policy\u{2800}",
        "freeze\u{b7}policy",
        "freeze\u{3002}policy",
        "freeze\u{6d4}policy",
        "freeze.pol\u{26a}cy",
        "freeze.\u{1d18}\u{1d0f}\u{29f}\u{26a}\u{1d04}\u{28f}",
        "freeze.\u{13e2}OLICY",
        "freeze.policy.",
        "freeze. policy",
        "freeze.policy\t",
        "freeze.policy\u{fffd}",
    ]
    .iter()
    .map(|n| n.as_bytes().to_vec())
    .chain([b"freeze.policy\xa0".to_vec()])
    .collect();
    for name in &names {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join("policies/sub")
                .join(std::ffi::OsStr::from_bytes(name)),
            "deny empty_bootstrap on cm/testing reason=\"frozen\"\n",
        );
        for args in [&["check"][..], &["build", "-o", "b.json"]] {
            let r = run_in(p, args);
            assert_eq!(r.code, 2, "{args:?} {name:?}: {}{}", r.stdout, r.stderr);
            assert!(
                r.stderr
                    .contains("may be shown as a policy file's but does not end in `.policy`"),
                "{args:?} {name:?}: {}",
                r.stderr
            );
            // The path is escaped as the name is: nothing on the line
            // draws as something else.
            assert!(
                r.stderr
                    .trim_end()
                    .chars()
                    .all(|c| c == ' ' || c.is_ascii_graphic()),
                "{args:?} {name:?}: {}",
                r.stderr
            );
            assert_eq!(r.stdout, "", "{args:?} {name:?}");
        }
        assert!(!p.join("b.json").exists(), "{name:?}");
    }
    // Names that are not a policy file's stay out, as before, editors'
    // leftovers and names in other scripts with a plain extension among
    // them.
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    for other in [
        "notes.txt",
        "policy.md",
        "old_policy",
        "grant.policy.bak",
        "README",
        "grant.policy~",
        "#grant.policy#",
        ".grant.policy.swp",
        "grant.policy.orig",
        "\u{dc}bersicht.md",
        "\u{65e5}\u{672c}.txt",
        "gr\u{430}nt.policy.bak",
    ] {
        write(&p.join("policies").join(other), "not a policy\n");
    }
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // In a directory `exclude` leaves out, such a name is left out as an
    // excluded policy file is: an allow there is nothing, a deny there is
    // L019, as it would be in `freeze.policy`.
    for (rule, code) in [
        (GRANT, 0),
        ("deny empty_bootstrap on cm/testing reason=\"frozen\"\n", 1),
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join("lanepolicy.yaml"),
            "exclude: [\"policies/drafts/**\"]\n",
        );
        write(&p.join("policies/drafts/freeze.poli\u{441}y"), rule);
        let r = run_in(p, &["build", "-o", "b.json"]);
        assert_eq!(r.code, code, "{rule}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout.contains("L019"), code == 1, "{}", r.stdout);
    }
}

/// A configuration whose `include` or `exclude` cannot be used is an
/// error, never a list dropped in silence: an `exclude` too large to match
/// as one set used to leave every file in (an excluded draft's grant went
/// live), and `include: []` used to mean "every file".
#[test]
fn include_and_exclude_lists_that_cannot_be_used_are_errors() {
    let huge = format!(
        "exclude:\n  - \"drafts/**\"\n  - \"{}\"\n",
        "**/*a".repeat(30_000)
    );
    // Over the limits, refused before a matcher is built (a 2 MB glob
    // took 1.1 GB): by bytes, and by count.
    let many = format!(
        "exclude:\n{}",
        (0..5000)
            .map(|i| format!("  - \"d{i}/*\"\n"))
            .collect::<String>()
    );
    for (config, message) in [
        (
            huge.as_str(),
            "`exclude` lists 2 globs of 150009 bytes in all, over the limit of 4096 globs and 65536 bytes",
        ),
        (
            many.as_str(),
            "`exclude` lists 5000 globs of 33890 bytes in all, over the limit",
        ),
        ("include: []\n", "`include` lists no glob"),
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join("policies/drafts/open.policy"),
            "allow deploy on cm/testing until launch issue=#1 confirm=\"deploy {lane}\"\n",
        );
        write(&p.join("lanepolicy.yaml"), config);
        let r = run_in(p, &["build", "-o", "b.json"]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("E202") && r.stdout.contains(message),
            "{}",
            r.stdout
        );
        assert!(!p.join("b.json").exists());
    }
    // An invalid glob is the one finding: the list does not also leave
    // every file out (L019 on each deny).
    let d = project();
    let p = d.path();
    write(
        &p.join("policies/freeze.policy"),
        "deny empty_bootstrap on cm/testing reason=\"frozen\"\n",
    );
    write(&p.join("lanepolicy.yaml"), "include: [\"{a,b\"]\n");
    let r = run_in(p, &["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let codes: Vec<String> = serde_json::from_str::<Value>(&r.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["E202"], "{}", r.stdout);
}

/// A freeze in a left-out file is reported however it is broken: written
/// in capitals, in fullwidth letters, or on a line ended by a lone
/// carriage return, it is a syntax error the file is not checked for.
#[test]
fn a_left_out_freeze_is_reported_however_it_is_broken() {
    for text in [
        "DENY empty_bootstrap on */prod reason=\"x\"\n",
        "Deny empty_bootstrap on */prod reason=\"x\"\n",
        "\u{ff44}eny empty_bootstrap on */prod reason=\"x\"\n",
        "// c\rdeny empty_bootstrap on */prod reason=\"x\"\r",
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(&p.join("policies/drafts/guard.policy"), text);
        write(
            &p.join("lanepolicy.yaml"),
            "exclude: [\"policies/drafts/**\"]\n",
        );
        let r = run_in(p, &["check", "--format", "json"]);
        assert_eq!(r.code, 1, "{text:?}: {}{}", r.stdout, r.stderr);
        let diags: Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(
            diags
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["code"] == "L019"),
            "{text:?}: {diags}"
        );
    }
}

/// `exclude` leaves a file out whatever the case of its path, as the
/// `.policy` extension is matched: `drafts/X.POLICY` is a policy file, and
/// `drafts/*.policy` used to let its grant go live.
#[test]
fn exclude_leaves_out_a_policy_file_whatever_its_case() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("policies/Drafts/X.POLICY"),
        "allow deploy on cm/testing until launch issue=#1\n",
    );
    write(
        &p.join("lanepolicy.yaml"),
        "exclude: [\"policies/drafts/*.policy\"]\n",
    );
    builds_leaving_out(p, "policies/Drafts/X.POLICY", "");
}

/// Builds the project at `p` and checks that the bundle lists `left_out`
/// as left out and that its grant of `deploy` on `cm/testing` is not in
/// force (`what` names the case in a failure).
fn builds_leaving_out(p: &Path, left_out: &str, what: &str) {
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{what}: {}{}", r.stdout, r.stderr);
    let bundle: Value = serde_json::from_slice(&std::fs::read(p.join("b.json")).unwrap()).unwrap();
    assert_eq!(
        bundle["excluded_policies"],
        serde_json::json!([left_out]),
        "{what}: {bundle}"
    );
    let args = [
        "decide",
        "--bundle",
        "b.json",
        "--lane",
        "cm/testing",
        "--action",
        "deploy",
    ];
    let r = run_in(p, &args);
    assert_eq!(
        r.code, 1,
        "{what}: the draft's grant is left out: {}",
        r.stdout
    );
}

/// A glob written as a directory, or from the configuration's directory
/// (`./`, `/`), leaves out what is under it, as `.gitignore` and Ruff read
/// it: each of these once matched nothing, and the draft's grant shipped.
#[test]
fn exclude_written_as_a_directory_leaves_out_what_is_under_it() {
    // In `exclude` a bare name is also a name at any depth, as in
    // `.gitignore` (the last two).
    for (glob, draft) in [
        ("policies/drafts", "policies/drafts/wip.policy"),
        ("policies/drafts/", "policies/drafts/wip.policy"),
        ("./policies/drafts/**", "policies/drafts/wip.policy"),
        ("/policies/drafts/**", "policies/drafts/wip.policy"),
        ("././policies/drafts/*.policy", "policies/drafts/wip.policy"),
        ("policies/drafts/**", "policies/drafts/wip.policy"),
        ("drafts", "policies/team/drafts/wip.policy"),
        ("drafts/", "policies/team/drafts/wip.policy"),
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join(draft),
            "allow deploy on cm/testing until launch issue=#1\n",
        );
        write(
            &p.join("lanepolicy.yaml"),
            &format!("exclude: [\"{glob}\"]\n"),
        );
        builds_leaving_out(p, draft, glob);
    }
    // In `include` a `*` stays within a name: `/policies/*.policy` is the
    // files of `policies/`, and a draft below is left out (it was let in).
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("policies/drafts/wip.policy"),
        "allow deploy on cm/testing until launch issue=#1\n",
    );
    write(
        &p.join("lanepolicy.yaml"),
        "include: [\"/policies/*.policy\"]\n",
    );
    builds_leaving_out(p, "policies/drafts/wip.policy", "/policies/*.policy");
    // A bare name in `include` is a name at any depth too: `*.policy`
    // takes the policy files of every directory.
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("policies/team/more.policy"),
        "allow deploy on cm/testing until launch issue=#1\n",
    );
    write(&p.join("lanepolicy.yaml"), "include: [\"*.policy\"]\n");
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let bundle: Value = serde_json::from_slice(&std::fs::read(p.join("b.json")).unwrap()).unwrap();
    assert_eq!(
        bundle["rules"].as_array().map(Vec::len),
        Some(2),
        "{bundle}"
    );
    // `include` reads a directory the same way: its policy files, and only
    // those, are checked.
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("other/wip.policy"),
        "allow deploy on cm/testing until launch issue=#1\n",
    );
    write(&p.join("lanepolicy.yaml"), "include: [\"./policies\"]\n");
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let bundle: Value = serde_json::from_slice(&std::fs::read(p.join("b.json")).unwrap()).unwrap();
    let paths: Vec<&str> = bundle["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["policies/grant.policy"], "{bundle}");
}

#[cfg(unix)]
#[test]
fn test_files_in_linked_directories_run() {
    let d = project();
    let p = d.path();
    write(&p.join("cases/grant.policy"), GRANT);
    write(
        &p.join("cases/a.test.yaml"),
        "cases:\n  - name: grant\n    request: {lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}\n    expect: deny\n",
    );
    std::os::unix::fs::symlink("../cases", p.join("policies/cases")).unwrap();
    let r = run_in(p, &["test"]);
    // The linked case runs against the linked policies (and fails: the
    // grant allows).
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 passed, 1 failed"), "{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn a_broken_inventory_or_configuration_link_is_an_error_not_a_farther_file() {
    let d = project();
    let p = d.path();
    // An inner project whose inventory link is broken: the outer
    // inventory must not be taken in its place.
    write(&p.join("inner/policies/grant.policy"), GRANT);
    std::os::unix::fs::symlink("nowhere.yaml", p.join("inner/lanes.yaml")).unwrap();
    let r = run_in(p, &["check", "inner/policies"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("inner/lanes.yaml"), "{}", r.stderr);

    // A broken configuration link is not a missing configuration.
    write(&p.join("policies/grant.policy"), GRANT);
    std::os::unix::fs::symlink("nowhere.yaml", p.join("lanepolicy.yaml")).unwrap();
    let r = run_in(p, &["check"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("lanepolicy.yaml"), "{}", r.stderr);
}

// ---- item 3: lowered guards are in the bundle -----------------------------

#[test]
fn lowered_checks_and_what_they_hid_are_in_the_bundle_lanes_export_and_diff() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    let r = run_in(p, &["build", "-o", "old.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let old = bundle(p, "old.json");
    assert_eq!(old["lowered_checks"], serde_json::json!([]));
    assert!(
        !old["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"] == "lanepolicy.yaml")
    );

    // The same grant with no issue and no retirement, its checks off.
    write(
        &p.join("lanepolicy.yaml"),
        "checks:\n  L001: off\n  no-retirement: warning\n  L012: off\n",
    );
    write(
        &p.join("policies/grant.policy"),
        "allow empty_bootstrap on cm/testing confirm=\"bootstrap {context} {instance}\"\n",
    );
    let r = run_in(p, &["build", "-o", "new.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let new = bundle(p, "new.json");
    let config_sha = {
        use sha2::Digest as _;
        let bytes = std::fs::read(p.join("lanepolicy.yaml")).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let source = new["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "lanepolicy.yaml")
        .expect("the configuration is a source");
    assert_eq!(source["sha256"], config_sha.as_str());
    assert_eq!(
        new["lowered_checks"],
        serde_json::json!([
            {"code": "L001", "name": "missing-issue", "default": "error", "severity": "off"},
            {"code": "L002", "name": "no-retirement", "default": "error", "severity": "warning"},
            {"code": "L012", "name": "wildcard-touches-production", "default": "warning", "severity": "off"},
        ])
    );
    assert_eq!(
        new["rules"][0]["lowered_findings"],
        serde_json::json!([
            {"code": "L001", "name": "missing-issue", "severity": "off", "message": "`allow` has no approval issue"},
            {"code": "L002", "name": "no-retirement", "severity": "warning", "message": "`allow` never retires"},
        ])
    );

    // The configuration is under the digest: changing it changes the bundle.
    write(
        &p.join("lanepolicy.yaml"),
        "checks:\n  L001: off\n  no-retirement: warning\n  L012: off\n# edited\n",
    );
    let r = run_in(p, &["build", "-o", "edited.json"]);
    assert_eq!(r.code, 0);
    assert_ne!(bundle(p, "edited.json")["digest"], new["digest"]);

    // `lanes` shows it on the grant, JSON and text.
    let r = run_in(p, &["lanes", "--bundle", "new.json", "--json"]);
    let views: Value = serde_json::from_str(&r.stdout).unwrap();
    let lane = views
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["lane"] == "cm/testing")
        .unwrap();
    assert_eq!(lane["grants"][0]["lowered"][0]["code"], "L001");
    let r = run_in(p, &["lanes", "--bundle", "new.json"]);
    assert!(
        r.stdout.starts_with(
            "checks lowered by the configuration: L001 missing-issue (error -> off), L002 no-retirement (error -> warning), L012 wildcard-touches-production (warning -> off)\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "    unguarded: L001 missing-issue is off by the configuration: `allow` has no approval issue\n"
        ),
        "{}",
        r.stdout
    );

    // `diff` reports the change of guards, per grant and per check.
    let r = run_in(p, &["diff", "old.json", "new.json", "--format", "json"]);
    assert_eq!(r.code, 0);
    let d: Value = serde_json::from_str(&r.stdout).unwrap();
    let grant = &d["grants"][0];
    assert_eq!(
        (grant["lane"].as_str(), grant["action"].as_str()),
        (Some("cm/testing"), Some("empty_bootstrap"))
    );
    assert!(
        grant["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "unguarded"
                && f["new"]
                    == serde_json::json!([
                        "L001 missing-issue (off)",
                        "L002 no-retirement (warning)"
                    ])),
        "{grant}"
    );
    assert_eq!(d["guards"].as_array().unwrap().len(), 3);
    assert_eq!(d["guards"][0]["change"], "added");
    assert_eq!(d["guards"][0]["name"], "L001 missing-issue");
    assert_eq!(d["guards"][0]["fields"][0]["old"], "error");
    assert_eq!(d["guards"][0]["fields"][0]["new"], "off");
    let r = run_in(p, &["diff", "old.json", "new.json"]);
    assert!(
        r.stdout.contains(
            "guards:\n  added    check L001 missing-issue\n           severity: error -> off\n"
        ),
        "{}",
        r.stdout
    );

    // Only the configuration changes: the guard change alone is a change.
    write(&p.join("policies/grant.policy"), GRANT);
    let r = run_in(p, &["build", "-o", "same.json"]);
    assert_eq!(r.code, 0);
    let r = run_in(p, &["diff", "old.json", "same.json", "--format", "json"]);
    let d: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["grants"], serde_json::json!([]));
    assert_eq!(d["guards"].as_array().unwrap().len(), 3);
}

#[test]
fn the_export_names_the_guards_a_record_shipped_without() {
    let d = project();
    let p = d.path();
    write(&p.join("lanepolicy.yaml"), "checks:\n  L002: off\n");
    write(
        &p.join("policies/grant.policy"),
        "allow empty_bootstrap on cm/testing issue=#573 confirm=\"bootstrap {context} {instance}\"\n",
    );
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run_in(p, &["export", "launchplane", "--bundle", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["lowered_checks"][0]["code"], "L002");
    let note = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["lane"] == "cm/testing"
                && n["record"] == "odoo_stable_bootstrap"
                && n["state"] == "enabled"
        })
        .unwrap();
    assert_eq!(
        note["unguarded"],
        serde_json::json!(["L002 no-retirement (off)"])
    );
}

// ---- item 4: an empty policy set ------------------------------------------

#[test]
fn deleting_the_last_policy_file_builds_a_bundle_that_denies_everything() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    assert_eq!(run_in(p, &["build", "-o", "b.json"]).code, 0);
    let (code, _) = decide(
        p,
        "b.json",
        "cm/testing",
        "empty_bootstrap",
        "bootstrap cm testing",
    );
    assert_eq!(code, 0);

    std::fs::remove_file(p.join("policies/grant.policy")).unwrap();
    let r = run_in(p, &["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["code"], "L018");
    assert_eq!(diags[0]["severity"], "warning");
    assert_eq!(
        diags[0]["message"],
        "no `.policy` file was found: the bundle denies every action on every lane"
    );
    assert_eq!(diags[0]["file"], "lanes.yaml");
    let r = run_in(p, &["check", "--deny-warnings"]);
    assert_eq!(r.code, 1);

    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let b = bundle(p, "b.json");
    assert_eq!(b["rules"], serde_json::json!([]));
    let (code, v) = decide(
        p,
        "b.json",
        "cm/testing",
        "empty_bootstrap",
        "bootstrap cm testing",
    );
    assert_eq!(
        (code, v["reasons"][0]["code"].as_str()),
        (1, Some("no-matching-rule"))
    );

    // A checkout keeps no empty directory: without `policies/` beside the
    // inventory, the default set is empty too.
    std::fs::remove_dir(p.join("policies")).unwrap();
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("L018"), "{}", r.stdout);
    assert_eq!(bundle(p, "b.json")["rules"], serde_json::json!([]));
    // A directory named on the command line must exist.
    let r = run_in(p, &["check", "policies"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "error: policies: no such file or directory\n")
    );
    std::fs::create_dir(p.join("policies")).unwrap();

    // A file with comments only is the same: no rule, the warning.
    write(&p.join("policies/empty.policy"), "// nothing approved\n");
    let r = run_in(p, &["check", "--format", "json"]);
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        diags[0]["message"],
        "the one `.policy` file has no rule: the bundle denies every action on every lane"
    );
}

// ---- item 5: several projects in one call ---------------------------------

/// Two projects in one repository: `a` declares hq/prod not production,
/// `b` as the real inventory does.
fn two_projects() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join(".git")).unwrap();
    for name in ["a", "b"] {
        make_project(&p.join(name));
        std::fs::remove_dir(p.join(name).join(".git")).unwrap();
    }
    let inv = std::fs::read_to_string(p.join("a/lanes.yaml")).unwrap();
    std::fs::write(
        p.join("a/lanes.yaml"),
        inv.replace("production: true", "production: false"),
    )
    .unwrap();
    let wipe = "allow backup_restore on hq/prod until 2099-01-01 issue=#1 confirm=\"restore {context} {instance}\"\n";
    write(&p.join("a/policies/x.policy"), wipe);
    write(&p.join("b/policies/y.policy"), wipe);
    dir
}

#[test]
fn each_file_is_checked_against_its_own_inventory_whatever_the_order() {
    let d = two_projects();
    let p = d.path();
    for args in [
        ["check", "a/policies/x.policy", "b/policies/y.policy"],
        ["check", "b/policies/y.policy", "a/policies/x.policy"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let r = run_in(p, &args);
        assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
        let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
        let l003: Vec<&str> = diags
            .iter()
            .filter(|d| d["code"] == "L003")
            .map(|d| d["file"].as_str().unwrap())
            .collect();
        assert_eq!(l003, ["b/policies/y.policy"], "{args:?}");
    }
    let r = run_in(p, &["check", "a/policies/x.policy", "b/policies/y.policy"]);
    assert!(
        r.stdout.contains("(inventory a/lanes.yaml)\n")
            && r.stdout.contains("(inventory b/lanes.yaml)\n"),
        "{}",
        r.stdout
    );
    // SARIF: one run per project.
    let r = run_in(
        p,
        &[
            "check",
            "a/policies/x.policy",
            "b/policies/y.policy",
            "--format",
            "sarif",
        ],
    );
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn each_file_gets_its_own_configuration() {
    let d = two_projects();
    let p = d.path();
    // `a` turns L003 off; that must not silence it in `b`.
    std::fs::write(
        p.join("a/lanes.yaml"),
        std::fs::read_to_string(p.join("b/lanes.yaml")).unwrap(),
    )
    .unwrap();
    write(&p.join("a/lanepolicy.yaml"), "checks:\n  L003: off\n");
    let r = run_in(
        p,
        &[
            "check",
            "a/policies/x.policy",
            "b/policies/y.policy",
            "--format",
            "json",
        ],
    );
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let l003: Vec<&str> = diags
        .iter()
        .filter(|d| d["code"] == "L003")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(l003, ["b/policies/y.policy"]);
}

#[test]
fn a_directory_holding_another_project_is_not_checked_against_the_outer_inventory() {
    let d = two_projects();
    let p = d.path();
    // An inventory at the root too: `check .` must not check `a` and `b`
    // against it.
    std::fs::copy(p.join("a/lanes.yaml"), p.join("lanes.yaml")).unwrap();
    let r = run_in(p, &["check", "."]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: a/policies/x.policy: belongs to the project of a/lanes.yaml, not of lanes.yaml; check each project on its own (name its directory or files)\n"
    );
    // Named one by one, each project is checked on its own.
    let r = run_in(p, &["check", "a", "b", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let l003: Vec<&str> = diags
        .iter()
        .filter(|d| d["code"] == "L003")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(l003, ["b/policies/y.policy"]);
}

#[test]
fn build_refuses_files_of_several_projects_unless_an_inventory_is_given() {
    let d = two_projects();
    let p = d.path();
    let r = run_in(
        p,
        &[
            "build",
            "a/policies/x.policy",
            "b/policies/y.policy",
            "-o",
            "out.json",
        ],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: the files belong to 2 projects (a/lanes.yaml, b/lanes.yaml); a bundle has one inventory: build each project on its own, or pass `--inventory FILE`\n"
    );
    assert!(!p.join("out.json").exists());
    let r = run_in(p, &["graph", "a/policies/x.policy", "b/policies/y.policy"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(
        r.stderr.contains("a graph has one inventory"),
        "{}",
        r.stderr
    );
    // With `--inventory`, one bundle against that inventory.
    let r = run_in(
        p,
        &[
            "check",
            "a/policies/x.policy",
            "b/policies/y.policy",
            "--inventory",
            "b/lanes.yaml",
            "--format",
            "json",
        ],
    );
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(diags.iter().filter(|d| d["code"] == "L003").count(), 2);
}

// ---- item 6: policy tests that pass on typos ------------------------------

fn run_tests(case: &str) -> common::Run {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(&p.join("policies/a.test.yaml"), &format!("cases:\n{case}"));
    run_in(p, &["test"])
}

/// Asserts that `stderr` reports E203 invalid-test-file in `path` at
/// `line_col` with `message` (and `help`), as rendered with its snippet.
fn assert_test_file_error(
    stderr: &str,
    path: &str,
    line_col: &str,
    message: &str,
    help: Option<&str>,
) {
    assert!(stderr.contains("E203(invalid-test-file)"), "{stderr}");
    assert!(stderr.contains(&format!("× {message}")), "{stderr}");
    assert!(
        stderr.contains(&format!("╭─[{path}:{line_col}]")),
        "{stderr}"
    );
    if let Some(h) = help {
        assert!(stderr.contains(&format!("help: {h}")), "{stderr}");
    }
}

#[test]
fn a_case_naming_what_the_bundle_lacks_is_an_error() {
    let r = run_tests(
        "  - name: typo lane\n    request: {lane: hq/prdo, action: empty_bootstrap}\n    expect: deny\n",
    );
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_test_file_error(
        &r.stderr,
        "policies/a.test.yaml",
        "3:21",
        "unknown lane `hq/prdo` in the request",
        Some("did you mean `hq/prod`?"),
    );
    let r = run_tests(
        "  - name: typo action\n    request: {lane: hq/prod, action: empty_bootstrp}\n    expect: deny\n",
    );
    assert_eq!(r.code, 2);
    assert_test_file_error(
        &r.stderr,
        "policies/a.test.yaml",
        "3:38",
        "unknown action `empty_bootstrp` in the request",
        Some("did you mean `empty_bootstrap`?"),
    );
    let r = run_tests(
        "  - name: typo proof\n    request: {lane: hq/prod, action: deploy, proofs: {backup_prof: bg-1}}\n    expect: deny\n",
    );
    assert_eq!(r.code, 2);
    assert_test_file_error(
        &r.stderr,
        "policies/a.test.yaml",
        "3:55",
        "unknown proof `backup_prof` in the request",
        Some("did you mean `backup_proof`?"),
    );
    let r = run_tests(
        "  - name: typo event\n    facts: {occurred: [\"odoo-tenant-cm:lunch\"]}\n    request: {lane: cm/testing, action: empty_bootstrap}\n    expect: deny\n",
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("has no event `lunch`"), "{}", r.stderr);
}

#[test]
fn a_case_may_name_an_unknown_lane_or_action_when_it_expects_that_reason() {
    let r = run_tests(
        "  - name: unknown lane\n    request: {lane: hq/nowhere, action: deploy}\n    expect: {decision: deny, reason: unknown-lane}\n  - name: unknown action\n    request: {lane: hq/prod, action: nuke}\n    expect: {decision: deny, reason: unknown-action}\n",
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("2 passed, 0 failed"), "{}", r.stdout);
    // The other reason does not excuse it.
    let r = run_tests(
        "  - name: unknown lane\n    request: {lane: hq/nowhere, action: deploy}\n    expect: {decision: deny, reason: unknown-action}\n",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown lane `hq/nowhere`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_test_file_beside_no_policy_file_does_not_pass_on_an_empty_set() {
    let d = project();
    let p = d.path();
    write(
        &p.join("policies/cases/a.test.yaml"),
        "cases:\n  - name: deny\n    request: {lane: cm/testing, action: empty_bootstrap}\n    expect: deny\n",
    );
    let r = run_in(p, &["test"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: .: no `.policy` files found; a test file tests the policies of its project (the directory of its `lanes.yaml`)\n"
    );
}

#[test]
fn a_test_file_in_a_subdirectory_tests_the_whole_set_that_ships() {
    // A grant beside the inventory, a freeze and a test in a subdirectory:
    // the test runs against the whole project, as `build` ships it.
    let d = project();
    let p = d.path();
    write(
        &p.join("policies/open.policy"),
        "allow deploy on hq/staging until 2099-01-01 issue=#9\n",
    );
    write(
        &p.join("policies/hq/freeze.policy"),
        "deny backup_restore on hq/prod reason=\"frozen\"\n",
    );
    write(
        &p.join("policies/hq/hq.test.yaml"),
        "cases:\n  - name: staging is closed\n    request: {lane: hq/staging, action: deploy}\n    expect: deny\n",
    );
    let r = run_in(p, &["test"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 case against ."), "{}", r.stdout);
    assert!(r.stdout.contains("FAIL staging is closed"), "{}", r.stdout);
}

#[test]
fn values_in_test_files_have_the_type_they_mean() {
    for (value, line_col) in [
        (
            "{lane: cm/testing, action: empty_bootstrap, proofs: {backup_proof: false}}",
            "3:81",
        ),
        ("{lane: 123, action: empty_bootstrap}", "3:21"),
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: 1e3}",
            "3:67",
        ),
    ] {
        let r = run_tests(&format!(
            "  - name: typed\n    request: {value}\n    expect: deny\n"
        ));
        assert_eq!(r.code, 2, "{value}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr
                .contains(&format!("╭─[policies/a.test.yaml:{line_col}]"))
                && r.stderr.contains("× invalid test file: `"),
            "{value}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("not as text; quote it"), "{}", r.stderr);
    }
    // Quoted, the same text is text.
    let r = run_tests(
        "  - name: typed\n    request: {lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\", proofs: {backup_proof: \"false\"}}\n    expect: allow\n",
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

// ---- item 13: lost output -------------------------------------------------

/// Runs `lanepolicy ARGS` through `sh` with stdout redirected by `redirect`
/// (`>&-` or `>/dev/full`): (code, stderr).
fn run_redirected(dir: &Path, args: &str, redirect: &str) -> (i32, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("\"$0\" {args} {redirect}"))
        .arg(BIN)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().expect("exited"), stderr)
}

#[cfg(unix)]
#[test]
fn with_stdout_closed_or_full_every_command_exits_2_and_writes_nothing() {
    let d = project();
    let p = d.path();
    write(&p.join("policies/grant.policy"), GRANT);
    write(
        &p.join("policies/a.test.yaml"),
        "cases:\n  - name: a\n    request: {lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}\n    expect: allow\n",
    );
    assert_eq!(run_in(p, &["build", "-o", "b.json"]).code, 0);
    let before = std::fs::read(p.join("b.json")).unwrap();
    let commands = [
        "check",
        "check --format json",
        "build -o out.json",
        "build -o b.json policies",
        "decide --bundle b.json --lane cm/testing --action empty_bootstrap --confirm 'bootstrap cm testing'",
        "decide --bundle b.json --lane cm/testing --action deploy --json",
        "explain --bundle b.json --lane cm/testing --action empty_bootstrap",
        "lanes --bundle b.json",
        "lanes --bundle b.json --json",
        "diff b.json b.json",
        "graph",
        "graph --bundle b.json",
        "export launchplane --bundle b.json",
        "test",
        "rule L003",
        "rule --all",
        "--help",
        "--version",
    ];
    let full = Path::new("/dev/full").exists();
    for cmd in commands {
        for redirect in [">&-", ">/dev/full"] {
            if redirect == ">/dev/full" && !full {
                continue;
            }
            let (code, stderr) = run_redirected(p, cmd, redirect);
            assert_eq!(code, 2, "`{cmd} {redirect}`: {stderr}");
            if redirect == ">/dev/full" {
                assert!(
                    stderr.contains("cannot write to standard output"),
                    "`{cmd} {redirect}` said nothing: {stderr:?}"
                );
            }
            assert!(!p.join("out.json").exists(), "`{cmd} {redirect}` wrote");
            assert_eq!(
                std::fs::read(p.join("b.json")).unwrap(),
                before,
                "`{cmd} {redirect}` rewrote the bundle"
            );
        }
    }
    let (_, stderr) = run_redirected(p, "check", ">&-");
    assert_eq!(
        stderr,
        "error: standard output is not usable (it is closed); nothing is done, so that no report is lost\n"
    );
    // `fmt` prints nothing to change when stdout is closed: it refuses too.
    write(
        &p.join("policies/grant.policy"),
        "allow   empty_bootstrap on cm/testing until launch issue=#573 confirm=\"bootstrap {context} {instance}\"\n",
    );
    let before = std::fs::read(p.join("policies/grant.policy")).unwrap();
    for cmd in ["fmt", "fmt --check", "fmt --diff"] {
        let (code, stderr) = run_redirected(p, cmd, ">&-");
        assert_eq!(code, 2, "`{cmd}`: {stderr}");
        assert_eq!(
            std::fs::read(p.join("policies/grant.policy")).unwrap(),
            before
        );
    }
    if full {
        for cmd in ["fmt --check", "fmt --diff"] {
            let (code, stderr) = run_redirected(p, cmd, ">/dev/full");
            assert_eq!(code, 2, "`{cmd}`: {stderr}");
            assert_eq!(
                stderr.matches("cannot write to standard output").count(),
                1,
                "`{cmd}` says it once: {stderr:?}"
            );
        }
        // A full standard error loses the messages, never the exit code.
        for (cmd, code) in [
            ("check", 0),
            ("check nope.policy", 2),
            ("decide --bundle nope.json --lane a/b --action x", 2),
            ("fmt --check", 1),
        ] {
            let (got, _) = run_redirected(p, cmd, "2>/dev/full >/dev/null");
            assert_eq!(got, code, "`{cmd} 2>/dev/full`");
        }
    }
    // `>/dev/null` is a place to write, not a closed output.
    let (code, stderr) = run_redirected(p, "check", ">/dev/null");
    assert_eq!(code, 0, "{stderr}");
}

/// A suppression whose reason only looks written (U+2800, private use,
/// unassigned) is E002, as the bundle loader counts it blank: `build`
/// wrote such a bundle, and every runtime command then refused it.
#[test]
fn a_suppression_reason_that_draws_nothing_is_empty() {
    for blank in [
        "\u{2800}", "\u{e000}", "\u{378}", "\u{301}", "\u{fff9}", "\u{600}",
    ] {
        let d = project();
        let p = d.path();
        write(
            &p.join("policies/p.policy"),
            &format!(
                "// lanepolicy: ignore L001 reason=\"{blank}\"\nallow deploy on cm/testing until launch confirm=\"deploy {{lane}}\"\n"
            ),
        );
        let r = run_in(p, &["build", "-o", "b.json"]);
        assert_eq!(r.code, 1, "{blank:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("E002") && r.stdout.contains("the reason is empty"),
            "{}",
            r.stdout
        );
        assert!(!p.join("b.json").exists());
    }
    // A reason with something visible in it builds, and the bundle loads.
    let d = project();
    let p = d.path();
    write(
        &p.join("policies/p.policy"),
        "// lanepolicy: ignore L001 reason=\"\u{2800}x\"\nallow deploy on cm/testing until launch confirm=\"deploy {lane}\"\n",
    );
    let r = run_in(p, &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (code, v) = decide(p, "b.json", "cm/testing", "deploy", "deploy cm/testing");
    assert_eq!((code, v["decision"].as_str()), (0, Some("allow")), "{v}");
}

/// A YAML tag never changes what a person reads: `!!binary` is its text
/// as written (`phase: !!binary bGl2ZQ==` was read as `live`, and a test
/// case's `expect: !!binary YWxsb3c=` as `allow`), and a tag the reader
/// does not know is an error, not dropped.
#[test]
fn yaml_tags_do_not_hide_what_a_value_says() {
    let lanes = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/lanes.yaml"),
    )
    .unwrap();
    for (value, says) in [
        ("!!binary bGl2ZQ==", "found `bGl2ZQ==`"),
        ("!prod prelaunch", "unsupported tag `!prod`"),
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join("lanes.yaml"),
            &lanes.replacen("phase: prelaunch", &format!("phase: {value}"), 1),
        );
        let r = run_in(p, &["check"]);
        assert_eq!(r.code, 1, "{value}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains(says), "{value}: {}", r.stdout);
    }
    for (value, says) in [
        (
            "!!binary YWxsb3c=",
            "`YWxsb3c=` is neither `allow` nor `deny`",
        ),
        ("!local allow", "unsupported tag `!local`"),
    ] {
        let d = project();
        let p = d.path();
        write(&p.join("policies/grant.policy"), GRANT);
        write(
            &p.join("policies/grant.test.yaml"),
            &format!(
                "cases:\n  - name: grant\n    request: {{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}}\n    expect: {value}\n"
            ),
        );
        let r = run_in(p, &["test"]);
        assert_eq!(r.code, 2, "{value}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(says) || r.stderr.contains(says),
            "{value}: {}{}",
            r.stdout,
            r.stderr
        );
    }
}
