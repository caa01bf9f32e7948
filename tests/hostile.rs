//! Hostile inputs found by trying to break lanepolicy: each case once
//! failed (a panic, an allow, a bundle the runtime refused, a replaced file)
//! and must not again.

mod common;
use common::run_in;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A project with the real inventory and one policy file `p.policy`.
fn project(policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/lanes.yaml"),
        dir.path().join("lanes.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("p.policy"), policy).unwrap();
    dir
}

fn check_json(dir: &Path) -> (i32, Vec<Value>) {
    let r = run_in(dir, &["check", "p.policy", "--format", "json"]);
    (
        r.code,
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr)),
    )
}

#[test]
fn a_very_long_line_is_reported_without_a_snippet_instead_of_a_panic() {
    let d = project(&format!(
        "allow deploy on hq/staging until launch issue=#1{}bogus\n",
        " ".repeat(70_000)
    ));
    let r = run_in(d.path(), &["check", "p.policy"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("(at p.policy:1:"), "{}", r.stdout);
}

#[test]
fn human_columns_count_characters_like_json() {
    let d = project(
        "allow empty_bootstrap on cm/testing until launch issue=#1 confirm=\"🚀🚀é {lane}\" bogus\n",
    );
    let r = run_in(d.path(), &["check", "p.policy"]);
    assert!(r.stdout.contains("p.policy:1:80]"), "{}", r.stdout);
    let (_, diags) = check_json(d.path());
    assert_eq!(diags[0]["column"], 80);
}

#[test]
fn an_empty_phrase_is_an_error_and_never_matches() {
    // Spaces, and what draws nothing on its own (combining marks, format
    // characters): blank as the runtime and the bundle loader count it.
    for phrase in ["  ", "\u{301}", "\u{20dd} ", "\u{fff9}"] {
        let d = project(&format!(
            "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"{phrase}\"\n"
        ));
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{phrase:?}");
        assert_eq!(diags[0]["code"], "E108", "{phrase:?}: {diags:?}");
    }
}

#[test]
fn invisible_characters_in_strings_are_refused() {
    for s in [
        "\u{1b}[31mred",
        "a\u{202e}b",
        "tab\there",
        "bell\u{7}",
        "line\u{2028}break",
        "zero\u{200b}width",
        "b\u{feff}om",
    ] {
        let d = project(&format!(
            "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"{s} {{lane}}\"\n"
        ));
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{s:?}");
        assert_eq!(diags[0]["code"], "E001", "{s:?}");
        assert!(
            diags[0]["message"]
                .as_str()
                .unwrap()
                .contains("invisible character"),
            "{s:?}"
        );
    }
}

#[test]
fn comments_and_doc_comments_behave() {
    // A lone CR inside a comment is refused: some editors break the line
    // there, and the rest of the comment would read as code.
    let d = project("// a\rb\nallow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let (code, diags) = check_json(d.path());
    assert_eq!((code, diags[0]["code"].as_str()), (1, Some("E001")));
    // So are line separators and bidi controls: the `deny` below is inside the comment.
    let d = project(
        "allow deploy on hq/staging until 2099-06-30 issue=#1 // x\u{2028}deny deploy on hq/staging\n",
    );
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("invisible character")
    );
    // CRLF line ends are fine.
    let d = project("// a comment\r\nallow deploy on hq/staging until 2099-06-30 issue=#1\r\n");
    assert_eq!(check_json(d.path()).0, 0);
    // Four slashes are a plain comment; a plain comment ends a doc block.
    let d = project(
        "/// dropped\n// plain\n//// plain too\n/// kept\nallow deploy on hq/staging until 2099-06-30 issue=#1\n",
    );
    let out = d.path().join("b.json");
    assert_eq!(
        run_in(
            d.path(),
            &["build", "p.policy", "-o", out.to_str().unwrap()]
        )
        .code,
        0
    );
    let b: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(b["rules"][0]["doc"], "kept");
}

#[test]
fn yaml_booleans_are_only_true_and_false() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
    std::fs::write(
        d.path().join("lanes.yaml"),
        inv.replacen("production: false", "production: no", 1),
    )
    .unwrap();
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert_eq!(diags[0]["code"], "E201");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("`true` or `false`"),
        "{}",
        diags[0]["message"]
    );
}

#[test]
fn a_lane_cannot_set_its_own_context() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
    std::fs::write(
        d.path().join("lanes.yaml"),
        inv.replacen("target: cm-testing", "context: zz", 1),
    )
    .unwrap();
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot set `context`")
    );
}

#[test]
fn the_same_file_named_twice_is_read_once() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let r = run_in(
        d.path(),
        &[
            "check",
            "p.policy",
            "./p.policy",
            "--format",
            "json",
            "--deny-warnings",
        ],
    );
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "[]"),
        "no duplicate-rule from reading it twice"
    );
}

#[test]
fn build_refuses_to_overwrite_inputs_links_and_devices() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let before = std::fs::read_to_string(d.path().join("p.policy")).unwrap();
    for target in ["p.policy", "lanes.yaml", "/dev/null", "."] {
        let r = run_in(d.path(), &["build", "p.policy", "-o", target]);
        assert_eq!(r.code, 2, "{target}: {}", r.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(d.path().join("p.policy")).unwrap(),
        before
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.path().join("target.json"), d.path().join("link.json"))
            .unwrap();
        let r = run_in(d.path(), &["build", "p.policy", "-o", "link.json"]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
        assert!(!d.path().join("target.json").exists());
    }
}

#[test]
fn non_regular_files_are_refused_not_read_forever() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let r = run_in(d.path(), &["check", "p.policy", "--inventory", "/dev/zero"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    let r = run_in(
        d.path(),
        &[
            "decide",
            "--bundle",
            "/dev/zero",
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

fn real_bundle() -> (tempfile::TempDir, PathBuf, String) {
    let d = tempfile::tempdir().unwrap();
    let b = d.path().join("b.json");
    let r = run_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["build", "-o", b.to_str().unwrap()],
    );
    assert_eq!(r.code, 0);
    let text = std::fs::read_to_string(&b).unwrap();
    (d, b, text)
}

#[test]
fn duplicate_json_keys_in_a_bundle_are_refused() {
    let (_d, b, text) = real_bundle();
    // A second `version` before the real one: the digest alone would not see it.
    std::fs::write(
        &b,
        text.replacen("\"version\": 1", "\"version\": 2, \"version\": 1", 1),
    )
    .unwrap();
    let r = run_in(
        Path::new("."),
        &[
            "decide",
            "--bundle",
            b.to_str().unwrap(),
            "--lane",
            "cm/testing",
            "--action",
            "empty_bootstrap",
            "--confirm",
            "bootstrap cm testing",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("duplicate key `version`"), "{}", r.stderr);
}

#[test]
fn facts_may_not_contradict_each_other_or_undo_a_launch() {
    let (_d, b, _) = real_bundle();
    let b = b.to_str().unwrap();
    let base = [
        "decide",
        "--bundle",
        b,
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "bootstrap cm prod",
        "--json",
    ];
    let mut both = base.to_vec();
    both.extend(["--phase", "cm/prod=live", "--phase", "cm/prod=prelaunch"]);
    let r = run_in(Path::new("."), &both);
    assert_eq!(r.code, 2);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["decision"].as_str(), v["reasons"][0]["code"].as_str()),
        (Some("deny"), Some("invalid-request"))
    );
    let undo = [
        "decide",
        "--bundle",
        b,
        "--lane",
        "hq/prod",
        "--action",
        "deploy",
        "--phase",
        "hq/prod=prelaunch",
    ];
    let r = run_in(Path::new("."), &undo);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot make it prelaunch again"),
        "{}",
        r.stderr
    );
    let typo = [
        "decide",
        "--bundle",
        b,
        "--lane",
        "cm/prod",
        "--action",
        "deploy",
        "--occurred",
        "odoo-tenant-cm:lanch",
        "--json",
    ];
    let r = run_in(Path::new("."), &typo);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `launch`?"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["reasons"][0]["code"], "invalid-request");
}

#[test]
fn build_refuses_to_overwrite_its_issue_snapshot() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    std::fs::write(d.path().join("issues.json"), "[]").unwrap();
    let r = run_in(
        d.path(),
        &[
            "build",
            "p.policy",
            "--issues",
            "issues.json",
            "-o",
            "issues.json",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.path().join("issues.json")).unwrap(),
        "[]"
    );
}

#[cfg(unix)]
#[test]
fn a_test_file_that_is_a_pipe_is_refused_not_waited_on() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let fifo = d.path().join("x.test.yaml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        return; // no mkfifo on this system: nothing to test
    }
    let r = run_in(d.path(), &["test", "x.test.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

#[test]
fn fmt_refuses_to_run_under_a_broken_configuration() {
    let d = project("allow deploy on hq/staging   until 2099-06-30 issue=#1\n");
    std::fs::create_dir(d.path().join("drafts")).unwrap();
    std::fs::write(
        d.path().join("drafts/x.policy"),
        "allow   deploy on hq/staging until 2099-06-30 issue=#2\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("lanepolicy.yaml"),
        "exclude: [\"drafts/**\"]\nbogus: 1\n",
    )
    .unwrap();
    let r = run_in(d.path(), &["fmt", "."]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("configuration has errors"),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_to_string(d.path().join("drafts/x.policy"))
            .unwrap()
            .contains("allow   deploy")
    );
}

#[test]
fn the_read_model_does_not_offer_what_the_data_policy_refuses() {
    // hq/staging's data authority is unknown: no rebuild, even with L005 off.
    let d = project(
        "allow empty_bootstrap on hq/staging until 2099-02-01 issue=#601 confirm=\"boot {lane}\"\n",
    );
    std::fs::write(
        d.path().join("lanepolicy.yaml"),
        "checks:\n  source-not-allowed: off\n",
    )
    .unwrap();
    let b = d.path().join("b.json");
    let r = run_in(d.path(), &["build", "p.policy", "-o", b.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run_in(
        d.path(),
        &[
            "lanes",
            "--bundle",
            "b.json",
            "--json",
            "--now",
            "2030-01-01T00:00:00Z",
        ],
    );
    let model: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let lane = model.iter().find(|l| l["lane"] == "hq/staging").unwrap();
    assert!(lane["grants"].as_array().unwrap().is_empty(), "{lane}");
    assert_eq!(lane["provisional"], false);
    assert!(
        lane["denies"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("does not allow rebuilding")
    );
    let r = run_in(
        d.path(),
        &[
            "decide",
            "--bundle",
            "b.json",
            "--lane",
            "hq/staging",
            "--action",
            "empty_bootstrap",
            "--confirm",
            "boot hq/staging",
            "--now",
            "2030-01-01T00:00:00Z",
        ],
    );
    assert_eq!(r.code, 1);
}

/// Characters a reader cannot see: `Bidi_Control` and
/// `Default_Ignorable_Code_Point` samples, from each block that has them.
const INVISIBLE: [char; 14] = [
    '\u{E0001}', // language tag
    '\u{E0041}', // tag latin capital letter a
    '\u{200B}',  // zero-width space
    '\u{2060}',  // word joiner
    '\u{FEFF}',  // zero-width no-break space, mid-text
    '\u{061C}',  // Arabic letter mark
    '\u{202E}',  // right-to-left override
    '\u{2066}',  // left-to-right isolate
    '\u{115F}',  // Hangul choseong filler
    '\u{3164}',  // Hangul filler
    '\u{FE0F}',  // variation selector 16
    '\u{E0100}', // variation selector 17
    '\u{180E}',  // Mongolian vowel separator
    '\u{00AD}',  // soft hyphen
];

#[test]
fn invisible_characters_are_refused_anywhere_in_policy_text() {
    for c in INVISIBLE {
        let u = c.escape_unicode().to_string();
        for text in [
            format!("allow deploy on hq/staging until 2099-06-30 issue=#1 reason=\"a{c}b\"\n"),
            format!("// a comment {c}\nallow deploy on hq/staging until 2099-06-30 issue=#1\n"),
            format!("/// a doc {c}comment\nallow deploy on hq/staging until 2099-06-30 issue=#1\n"),
            format!("allow deploy on hq/staging{c} until 2099-06-30 issue=#1\n"),
            format!("allow{c} deploy on hq/staging until 2099-06-30 issue=#1\n"),
        ] {
            let d = project(&text);
            let (code, diags) = check_json(d.path());
            assert_eq!(code, 1, "{u}: {text:?}");
            assert_eq!(diags[0]["code"], "E001", "{u}: {text:?}");
            let message = diags[0]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("invisible character `{u}`")),
                "{u}: {text:?}: {message}"
            );
        }
    }
}

#[test]
fn invisible_characters_are_refused_in_the_inventory() {
    for c in INVISIBLE {
        let u = c.escape_unicode().to_string();
        let yaml_escape = format!("\\U{:08X}", c as u32);
        for (from, to) in [
            ("target: cm-testing", format!("target: cm-{c}testing")),
            (
                "target: cm-testing",
                format!("target: \"cm-{yaml_escape}testing\""),
            ),
            (
                "domains: [cm-testing.example.com]",
                format!("domains: [\"cm-testing.example.com{yaml_escape}\"]"),
            ),
            ("  testing:", format!("  \"test{yaml_escape}ing\":")),
            ("context: cm", format!("context: \"c{yaml_escape}m\"")),
            (
                "{operation: deploy,",
                format!("{{operation: \"de{yaml_escape}ploy\","),
            ),
            ("# A lane's name", format!("# A lane's{c} name")),
        ] {
            let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
            let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
            assert!(inv.contains(from), "{from}");
            std::fs::write(d.path().join("lanes.yaml"), inv.replacen(from, &to, 1)).unwrap();
            let (code, diags) = check_json(d.path());
            assert_eq!(code, 1, "{u}: {to}");
            assert_eq!(diags[0]["code"], "E201", "{u}: {to}");
            let message = diags[0]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("invisible character `{u}`")),
                "{u}: {to}: {message}"
            );
        }
    }
}

#[test]
fn until_dates_are_refused_outside_what_the_runtime_can_decide() {
    for (date, ok) in [
        ("1999-12-31", false),
        ("2000-01-01", true),
        ("9998-12-31", true),
        ("9999-01-01", false),
        ("9999-12-31", false),
    ] {
        let d = project(&format!(
            "allow deploy on hq/staging until {date} issue=#1\n"
        ));
        let (code, diags) = check_json(d.path());
        if ok {
            assert!(
                diags.iter().all(|d| d["severity"] != "error"),
                "{date}: {diags:?}"
            );
        } else {
            assert_eq!(code, 1, "{date}");
            assert_eq!(diags[0]["code"], "E001", "{date}");
            assert_eq!(diags[0]["column"], 34, "{date}: at the date");
            assert!(
                diags[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("2000-01-01 to 9998-12-31"),
                "{date}"
            );
        }
    }
    // The last date builds and is decided to its last instant.
    let d = project("allow deploy on hq/staging until 9998-12-31 issue=#1\n");
    let out = d.path().join("b.json");
    let out = out.to_str().unwrap();
    assert_eq!(run_in(d.path(), &["build", "p.policy", "-o", out]).code, 0);
    for (now, code) in [("9998-12-31T23:59:59Z", 0), ("9999-01-01T00:00:00Z", 1)] {
        let r = run_in(
            d.path(),
            &[
                "decide",
                "--bundle",
                out,
                "--lane",
                "hq/staging",
                "--action",
                "deploy",
                "--now",
                now,
            ],
        );
        assert_eq!(r.code, code, "{now}: {}{}", r.stdout, r.stderr);
    }
}

#[test]
fn a_destructive_operation_cannot_be_declared_harmless() {
    for (line, ok) in [
        (
            "  quick_reset: {operation: stable_bootstrap, data_source: empty, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: target_replacement, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: prod_backup_restore, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: retained_volume_backup_import, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: deploy, data_source: empty, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: anything, data_source: upstream_restore, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: quick_reset, destructive: false}",
            false,
        ),
        (
            "  quick_reset: {operation: Database-Restore, destructive: false}",
            false,
        ),
        // The action's own name says it resets: a deploy by that name is
        // declared destructive, or renamed.
        (
            "  quick_reset: {operation: deploy, destructive: false}",
            false,
        ),
        (
            "  warm_cache: {operation: deploy, destructive: false}",
            true,
        ),
        (
            "  warm_cache: {operation: restart_workers, destructive: false}",
            true,
        ),
        (
            "  quick_reset: {operation: stable_bootstrap, data_source: empty, destructive: true}",
            true,
        ),
    ] {
        let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
        let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
        let inv = inv.replacen("actions:\n", &format!("actions:\n{line}\n"), 1);
        std::fs::write(d.path().join("lanes.yaml"), inv).unwrap();
        let (code, diags) = check_json(d.path());
        if ok {
            assert_eq!(code, 0, "{line}: {diags:?}");
            continue;
        }
        assert_eq!(code, 1, "{line}");
        assert_eq!(diags[0]["code"], "E201", "{line}");
        // At the `destructive` key of the action's line.
        assert_eq!(diags[0]["line"], 7, "{line}");
        assert_eq!(
            diags[0]["column"].as_u64().unwrap() as usize,
            line.find("destructive").unwrap() + 1,
            "{line}"
        );
        assert!(
            diags[0]["message"]
                .as_str()
                .unwrap()
                .contains("cannot be declared `destructive: false`"),
            "{line}"
        );
    }
}

#[test]
fn merge_keys_never_let_a_key_silently_lose() {
    let base = "issues: https://github.com/o/r/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  hq:\n    context: hq\n    lanes:\n      staging: &s {production: false, phase: prelaunch}\n      live: &l {production: true, phase: live}\n";
    for (lane, refused_at) in [
        (
            "      prod:\n        <<: *s\n        <<: *l\n",
            Some((12, 9)),
        ),
        ("      prod: {<<: *l, <<: *s}\n", Some((10, 22))),
        (
            "      prod:\n        production: true\n        <<: *s\n",
            Some((12, 9)),
        ),
        ("      prod:\n        <<: [*l, *s]\n", Some((11, 9))),
        (
            "      prod:\n        <<: *s\n        production: true\n",
            None,
        ),
    ] {
        let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
        std::fs::write(d.path().join("lanes.yaml"), format!("{base}{lane}")).unwrap();
        let (code, diags) = check_json(d.path());
        match refused_at {
            Some((line, column)) => {
                assert_eq!(code, 1, "{lane}");
                assert_eq!(diags[0]["code"], "E201", "{lane}");
                assert_eq!(
                    (diags[0]["line"].clone(), diags[0]["column"].clone()),
                    (line.into(), column.into()),
                    "{lane}"
                );
            }
            None => {
                assert_eq!(code, 0, "{lane}: {diags:?}");
                // The key written after the merge wins, as it reads.
                let out = d.path().join("b.json");
                let out = out.to_str().unwrap();
                assert_eq!(run_in(d.path(), &["build", "p.policy", "-o", out]).code, 0);
                let b: Value =
                    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
                assert_eq!(b["lanes"]["hq/prod"]["production"], true, "{b}");
                assert_eq!(b["lanes"]["hq/prod"]["phase"], "prelaunch", "{b}");
            }
        }
    }
    // A quoted key with escapes is reported at the key, not the next line.
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    std::fs::write(
        d.path().join("lanes.yaml"),
        format!("{base}      \"P\\x72od\":\n        production: true\n"),
    )
    .unwrap();
    let (_, diags) = check_json(d.path());
    assert_eq!(
        (diags[0]["line"].clone(), diags[0]["column"].clone()),
        (10.into(), 7.into())
    );
}

#[test]
fn one_byte_order_mark_opens_a_file_and_a_second_is_refused_as_fmt_refuses_it() {
    let rule = "allow deploy on hq/staging until 2099-06-30 issue=#1\n";
    let d = project(&format!("\u{feff}{rule}"));
    assert_eq!(check_json(d.path()).0, 0);
    for text in [
        format!("\u{feff}\u{feff}{rule}"),
        format!("\u{feff}\n\u{feff}{rule}"),
    ] {
        let d = project(&text);
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{text:?}");
        assert_eq!(diags[0]["code"], "E001");
        assert!(
            diags[0]["message"]
                .as_str()
                .unwrap()
                .contains("invisible character `\\u{feff}`")
        );
        // check and fmt agree: the file does not parse for either.
        let f = run_in(d.path(), &["fmt", "--check", "p.policy"]);
        assert_eq!(f.code, 1, "{}", f.stderr);
    }
}

#[test]
fn launchplane_lane_fields_have_launchplane_types() {
    for (to, message) in [
        (
            "target: 5",
            "`target` must be a non-empty string, found `5`",
        ),
        (
            "target: ''",
            "`target` must be a non-empty string, found an empty string",
        ),
        (
            "target: ~",
            "`target` must be a non-empty string, found nothing",
        ),
        (
            "target: [cm-testing]",
            "`target` must be a non-empty string",
        ),
        (
            "domains: cm-testing.example.com",
            "`domains` must be a list of non-empty strings",
        ),
        ("domains: [1]", "`domains` has `1`, which is not a domain"),
        (
            "domains: [' ']",
            "`domains` has a blank string, which is not a domain",
        ),
        (
            "upstream_source: {a: b}",
            "`upstream_source` must be a non-empty string",
        ),
        (
            "requires_restore_proof: 'yes'",
            "`requires_restore_proof` must be `true` or `false`, found `yes`",
        ),
        (
            "requires_backup_before_destroy: 1",
            "`requires_backup_before_destroy` must be `true` or `false`",
        ),
        (
            "requires_runtime_identity: ~",
            "`requires_runtime_identity` must be `true` or `false`, found nothing",
        ),
    ] {
        let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
        let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
        let from = if to.starts_with("domains") {
            "domains: [cm-testing.example.com]"
        } else {
            "target: cm-testing"
        };
        let key = to.split(':').next().unwrap();
        let to = if key == "target" || key == "domains" {
            to.to_string()
        } else {
            format!("{from}\n        {to}")
        };
        std::fs::write(d.path().join("lanes.yaml"), inv.replacen(from, &to, 1)).unwrap();
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{to}");
        assert_eq!(diags[0]["code"], "E201", "{to}");
        let got = diags[0]["message"].as_str().unwrap();
        assert!(got.starts_with(message), "{to}: {got}");
    }
}

#[test]
fn a_deny_left_out_by_the_configuration_is_reported_and_the_bundle_says_what_was_left_out() {
    let d = project(
        "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"bootstrap {lane}\"\n",
    );
    let p = d.path();
    std::fs::create_dir_all(p.join("shared")).unwrap();
    std::fs::create_dir_all(p.join("drafts")).unwrap();
    std::fs::write(
        p.join("shared/guard.policy"),
        "deny empty_bootstrap on cm/testing reason=\"frozen\"\ndeny deploy on */prod\n",
    )
    .unwrap();
    // A deny that does not parse is left out all the same, and reported.
    std::fs::write(
        p.join("shared/broken.policy"),
        "deny upstream_restore on opw/prod reason=\"frozen\"\nthis is garbage !!\n",
    )
    .unwrap();
    std::fs::write(
        p.join("drafts/idea.policy"),
        "allow deploy on hq/staging until 2099-06-30 issue=#1\n",
    )
    .unwrap();
    for (config, by) in [
        ("exclude: [\"shared/**\", \"drafts/**\"]\n", "exclude"),
        ("include: [\"p.policy\"]\n", "include"),
    ] {
        std::fs::write(p.join("lanepolicy.yaml"), config).unwrap();
        let r = run_in(p, &["check", ".", "--format", "json"]);
        assert_eq!(r.code, 1, "{config}: {}", r.stdout);
        let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
        let l019: Vec<&Value> = diags.iter().filter(|d| d["code"] == "L019").collect();
        assert_eq!(l019.len(), 3, "{config}: one per deny: {diags:?}");
        assert_eq!(
            (
                &l019[0]["file"],
                l019[0]["line"].as_u64(),
                l019[0]["column"].as_u64()
            ),
            (&serde_json::json!("shared/broken.policy"), Some(1), Some(1)),
            "{l019:?}"
        );
        assert!(
            l019[1..].iter().all(|d| d["file"] == "shared/guard.policy"),
            "{l019:?}"
        );
        assert_eq!(
            (l019[1]["line"].as_u64(), l019[2]["line"].as_u64()),
            (Some(1), Some(2))
        );
        assert!(
            l019[0]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{by}` in lanepolicy.yaml"))
        );
    }
    // Lowered on purpose, it builds; the bundle lists the files left out,
    // and `lanes` says so.
    std::fs::write(
        p.join("lanepolicy.yaml"),
        "exclude: [\"shared/**\", \"drafts/**\"]\nchecks: {excluded-deny: warning}\n",
    )
    .unwrap();
    let r = run_in(p, &["build", ".", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b: Value = serde_json::from_slice(&std::fs::read(p.join("b.json")).unwrap()).unwrap();
    assert_eq!(
        b["excluded_policies"],
        serde_json::json!([
            "drafts/idea.policy",
            "shared/broken.policy",
            "shared/guard.policy"
        ])
    );
    assert_eq!(b["lowered_checks"][0]["code"], "L019");
    let r = run_in(p, &["lanes", "--bundle", "b.json"]);
    assert!(
        r.stdout.contains("policy files left out by the configuration (their rules do not apply): drafts/idea.policy, shared/broken.policy, shared/guard.policy"),
        "{}",
        r.stdout
    );
    // The Launchplane export says so too.
    let r = run_in(p, &["export", "launchplane", "--bundle", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let export: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        export["excluded_policies"],
        serde_json::json!([
            "drafts/idea.policy",
            "shared/broken.policy",
            "shared/guard.policy"
        ])
    );
    // Nothing left out: the field is absent, so bundles without it are unchanged.
    std::fs::remove_file(p.join("lanepolicy.yaml")).unwrap();
    std::fs::remove_dir_all(p.join("shared")).unwrap();
    std::fs::remove_dir_all(p.join("drafts")).unwrap();
    let r = run_in(p, &["build", ".", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !std::fs::read_to_string(p.join("b.json"))
            .unwrap()
            .contains("excluded_policies")
    );
}

#[test]
fn repeats_are_one_finding_per_entry_however_many_times_it_is_listed() {
    // 10,000 writings of one proof and of one lane, and 500 pairs of
    // distinct actions: one finding per repeated entry.
    let actions: Vec<String> = (0..500)
        .flat_map(|_| ["deploy", "deploy"])
        .map(String::from)
        .collect();
    let text = format!(
        "allow deploy on hq/staging, {} until 2099-06-30 issue=#1 requires {}\n",
        vec!["hq/staging"; 10_000].join(", "),
        vec!["backup_proof"; 10_000].join(", ")
    );
    let d = project(&text);
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    let l016: Vec<&str> = diags
        .iter()
        .filter(|d| d["code"] == "L016")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        l016,
        [
            "lane pattern `hq/staging` is listed 10001 times",
            "proof `backup_proof` is listed 10000 times"
        ]
    );
    let d = project(&format!(
        "allow deploy, {} on hq/staging until 2099-06-30 issue=#1\n",
        actions.join(", ")
    ));
    let (_, diags) = check_json(d.path());
    let l016: Vec<&Value> = diags.iter().filter(|d| d["code"] == "L016").collect();
    assert_eq!(l016.len(), 1);
    assert_eq!(l016[0]["message"], "action `deploy` is listed 1001 times");
}

#[test]
fn a_second_yaml_document_is_named_in_the_files_terms() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
    std::fs::write(
        d.path().join("lanes.yaml"),
        format!("{inv}---\nproducts: {{}}\n"),
    )
    .unwrap();
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert_eq!(diags[0]["code"], "E201");
    let m = diags[0]["message"].as_str().unwrap();
    assert!(m.contains("more than one YAML document"), "{m}");
    assert!(!m.contains("from_str_multiple"), "{m}");
}

#[test]
fn two_lanes_never_share_a_target_or_a_domain() {
    for (from, to, says) in [
        (
            "target: cm-testing",
            "target: hq-prod",
            "has the target `hq-prod` of lane",
        ),
        (
            "domains: [cm-testing.example.com]",
            "domains: [HQ.example.com ]",
            "has the domain `hq.example.com` of lane",
        ),
        (
            "domains: [cm-testing.example.com]",
            "domains: ['https://HQ.Example.com./']",
            "has the domain `hq.example.com` of lane",
        ),
        (
            "target: cm-testing",
            "target: ' hq-prod'",
            "has the target `hq-prod` of lane",
        ),
    ] {
        let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
        let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
        assert!(inv.contains(from));
        std::fs::write(d.path().join("lanes.yaml"), inv.replacen(from, to, 1)).unwrap();
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{to}");
        assert_eq!(diags[0]["code"], "E201");
        let m = diags[0]["message"].as_str().unwrap();
        assert!(
            m.contains(says) && m.contains("cm/testing") && m.contains("hq/prod"),
            "{m}"
        );
    }
}

#[test]
fn every_escape_the_language_allows_builds_a_bundle_the_runtime_loads() {
    let d = project(
        "deny backup_restore on hq/prod reason=\"frozen\\nallow: nothing\\tat all\"\nallow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"boot\\t{lane}\\n\\\"now\\\"\"\n",
    );
    let r = run_in(d.path(), &["build", "p.policy", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run_in(d.path(), &["lanes", "--bundle", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Shown escaped, never raw.
    assert!(
        r.stdout
            .contains("denied backup_restore: frozen\\nallow: nothing\\tat all"),
        "{}",
        r.stdout
    );
    let r = run_in(
        d.path(),
        &[
            "decide",
            "--bundle",
            "b.json",
            "--lane",
            "cm/testing",
            "--action",
            "empty_bootstrap",
            "--confirm",
            "boot\tcm/testing\n\"now\"",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn an_issue_url_is_a_url_with_a_host() {
    for url in [
        "https:// x",
        "https://",
        "https://a b/1",
        "http://example.com/1",
        "https:/x",
        "https://ex\\tample.com/",
    ] {
        let d = project(&format!(
            "allow deploy on hq/staging until 2099-06-30 issue=\"{url}\"\n"
        ));
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1, "{url}");
        assert_eq!(diags[0]["code"], "E001", "{url}");
        // An https URL that does not parse is not called "not https".
        let expected = if url.starts_with("https://") {
            "is not a valid URL"
        } else {
            "is not an https URL"
        };
        let message = diags[0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{url}: {message}");
    }
    let d = project(
        "allow deploy on hq/staging until 2099-06-30 issue=\"https://github.com/o/r/issues/1\"\n",
    );
    assert_eq!(check_json(d.path()).0, 0);
}

#[test]
fn a_grant_whose_guards_are_suppressed_says_so_in_the_read_model_and_the_diff() {
    let d = project(
        "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"boot {lane}\"\n",
    );
    let p = d.path();
    let r = run_in(p, &["build", "p.policy", "-o", "old.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(
        p.join("p.policy"),
        "// lanepolicy: ignore L001 reason=\"approved in the meeting\"\nallow empty_bootstrap on cm/testing until launch confirm=\"boot {lane}\"\n",
    )
    .unwrap();
    let r = run_in(p, &["build", "p.policy", "-o", "new.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run_in(p, &["lanes", "--bundle", "new.json"]);
    assert!(
        r.stdout.contains(
            "unguarded: L001 missing-issue is suppressed on the rule: approved in the meeting"
        ),
        "{}",
        r.stdout
    );
    let r = run_in(p, &["lanes", "--bundle", "new.json", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let grants = v
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lane"] == "cm/testing")
        .unwrap()["grants"]
        .clone();
    assert_eq!(grants[0]["suppressed"][0]["code"], "L001", "{grants}");
    // Dropping the issue behind a suppression widens review: the gate stops it.
    let r = run_in(p, &["diff", "old.json", "new.json", "--fail-on-widening"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("without the guard of L001 missing-issue"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_policy_file_in_capitals_is_a_policy_file() {
    let d = project("allow deploy on hq/staging until 2099-06-30 issue=#1\n");
    std::fs::write(
        d.path().join("FREEZE.POLICY"),
        "deny deploy on hq/staging reason=\"frozen\"\n",
    )
    .unwrap();
    let r = run_in(d.path(), &["build", ".", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("in 3 files"), "{}", r.stdout);
    let r = run_in(
        d.path(),
        &[
            "decide",
            "--bundle",
            "b.json",
            "--lane",
            "hq/staging",
            "--action",
            "deploy",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("denied-by-rule"), "{}", r.stdout);
}

#[test]
fn a_block_comment_gets_the_comment_syntax_not_a_lane() {
    let d = project("allow deploy /* x */ on hq/staging until 2099-06-30 issue=#1\n");
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert_eq!(
        diags[0]["help"],
        "comments are `// ...`, to the end of the line; there is no `/* ... */`"
    );
}

/// Names in the inventory are at most 64 characters: a lane, context,
/// action or event name an operator types, against which every glob
/// pattern is matched (a pattern's cost per lane is at most the name's
/// length times the pattern's). 64 is accepted, 65 is an E201 at the name.
#[test]
fn inventory_names_are_at_most_64_characters() {
    for (len, ok) in [(64, true), (65, false)] {
        let name = format!("t{}", "x".repeat(len - 1));
        let d = project(&format!(
            "allow deploy on cm/{name} until 2099-06-30 issue=#1\n"
        ));
        let inv = std::fs::read_to_string(d.path().join("lanes.yaml")).unwrap();
        let inv = inv.replacen(
            "      testing:\n",
            &format!("      {name}:\n        production: false\n        phase: prelaunch\n      testing:\n"),
            1,
        );
        std::fs::write(d.path().join("lanes.yaml"), inv).unwrap();
        let (_, diags) = check_json(d.path());
        let e201: Vec<&Value> = diags.iter().filter(|d| d["code"] == "E201").collect();
        if ok {
            assert!(e201.is_empty(), "{len}: {diags:?}");
            assert!(
                diags.iter().all(|d| d["code"] != "E102"),
                "{len}: {diags:?}"
            );
        } else {
            assert_eq!(e201.len(), 1, "{len}: {diags:?}");
            let help = e201[0]["help"].as_str().unwrap_or_default();
            assert!(help.contains("at most 64 characters"), "{help}");
            assert_eq!(e201[0]["line"], 18, "{:?}", e201[0]);
        }
    }
}

/// A file of many broken lines is a hundred syntax errors and a count of
/// the rest, at the first of them: not one diagnostic per line.
#[test]
fn syntax_errors_past_a_hundred_are_counted_in_one() {
    let d = project(&"allow\n".repeat(1000));
    let (code, diags) = check_json(d.path());
    assert_eq!(code, 1);
    assert_eq!(diags.len(), 101, "{}", diags.len());
    assert!(diags.iter().all(|d| d["code"] == "E001"));
    let last = &diags[100];
    assert_eq!(
        last["message"],
        "900 more syntax errors from here on are not shown"
    );
    // `allow` on line 1 reads the next line's `allow` as its action: the
    // errors start on line 2.
    assert_eq!(last["line"], 102);
    assert_eq!(diags[99]["line"], 101);
}

/// Control characters are an error each, capped like any syntax error and
/// never built twice (once as "expected `allow`", once as invisible); the
/// count past the cap is exact, and one more reads as one.
#[test]
fn control_characters_past_the_cap_are_counted_exactly() {
    for (n, last) in [
        (1000, "900 more syntax errors from here on are not shown"),
        (101, "1 more syntax error from here on is not shown"),
    ] {
        let d = project(&"\u{1}".repeat(n));
        let (code, diags) = check_json(d.path());
        assert_eq!(code, 1);
        assert_eq!(diags.len(), 101, "{n}");
        assert!(
            diags[..100]
                .iter()
                .all(|d| d["message"] == "invisible character `\\u{1}` in the policy"),
            "{n}: {:?}",
            diags[0]
        );
        assert_eq!(diags[100]["message"], last);
        assert_eq!(diags[100]["column"], 101);
    }
}

/// A lane pattern segment is at most 128 characters (twice the longest
/// name, room for `*`): past that it is a syntax error, shown shortened,
/// not a pattern matched against every lane.
#[test]
fn lane_segments_are_at_most_128_characters() {
    let at = |n: usize| {
        format!(
            "allow deploy on *{}/testing until 2099-06-30 issue=#1\n",
            "a".repeat(n - 1)
        )
    };
    let (_, diags) = check_json(project(&at(128)).path());
    assert!(diags.iter().all(|d| d["code"] != "E001"), "{diags:?}");
    let (code, diags) = check_json(project(&at(500_000)).path());
    assert_eq!(code, 1);
    assert_eq!(diags.len(), 1, "{}", diags.len());
    let message = diags[0]["message"].as_str().unwrap();
    assert!(
        message.ends_with("is 500000 characters long, over the limit of 128"),
        "{message}"
    );
    assert!(message.len() < 120, "{message}");
}

/// Malformed suppressions are capped like syntax errors: a hundred E002s
/// and one more that counts the rest, not one diagnostic per comment.
#[test]
fn invalid_suppressions_past_a_hundred_are_counted_in_one() {
    let policy = "// lanepolicy: ignore\n".repeat(1000);
    let (code, diags) = check_json(project(&policy).path());
    assert_eq!(code, 1);
    let e002: Vec<&Value> = diags.iter().filter(|d| d["code"] == "E002").collect();
    assert_eq!(e002.len(), 101, "{}", e002.len());
    assert_eq!(
        e002[100]["message"],
        "900 more invalid suppressions from here on are not shown"
    );
    assert_eq!(e002[100]["line"], 101);
}
