//! The formatter: its layout on the fixtures of `tests/fixtures/fmt/`
//! (insta snapshots: the source, then what `fmt` makes of it), its
//! properties on generated policies and on every policy file in the
//! repository (formatting twice is formatting once; the formatted text
//! parses to the same rules and keeps every comment in its place), and the
//! `lanepolicy fmt` command itself, run as a binary.

mod common;
use common::run_in;
use lanepolicy::fmt::{FormatError, format_source};
use lanepolicy::syntax::ast::{File, Rule};
use lanepolicy::syntax::{KEYWORDS, parse_file};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------
// The properties, checked on any text that parses.
// ---------------------------------------------------------------------------

fn rules(file: &File) -> Vec<Rule> {
    file.rules.iter().map(Rule::without_spans).collect()
}

fn comment_texts(file: &File) -> Vec<String> {
    file.comments.iter().map(|c| c.text.clone()).collect()
}

/// For each comment: how many rules start before it, and whether it is
/// inside one (what a suppression comment applies to depends on this).
fn comment_places(file: &File) -> Vec<(usize, bool)> {
    file.comments
        .iter()
        .map(|c| {
            let before: Vec<_> = file
                .rules
                .iter()
                .filter(|r| r.span.start < c.span.start)
                .collect();
            let inside = before.last().is_some_and(|r| c.span.start < r.span.end);
            (before.len(), inside)
        })
        .collect()
}

/// Formats `src` (which must parse) and checks every property of the
/// output; returns it.
fn check_properties(src: &str) -> Result<String, TestCaseError> {
    let before = parse_file(src);
    prop_assert!(
        before.errors.is_empty(),
        "the input must parse: {:?}",
        before.errors
    );
    let out = format_source(src).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
    let after = parse_file(&out);
    prop_assert!(after.errors.is_empty(), "{:?}\n{out}", after.errors);
    prop_assert_eq!(
        rules(&before),
        rules(&after),
        "the rules changed:\n{}\n=>\n{}",
        src,
        out
    );
    prop_assert_eq!(
        comment_texts(&before),
        comment_texts(&after),
        "comments: {}",
        out
    );
    prop_assert_eq!(
        comment_places(&before),
        comment_places(&after),
        "comment places: {}",
        out
    );
    let again = format_source(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&again, &out, "formatting twice differs from once");
    check_layout(&out, &after)?;
    Ok(out)
}

/// The canonical layout, as far as it can be checked line by line.
fn check_layout(out: &str, parsed: &File) -> Result<(), TestCaseError> {
    let text = out.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    if text.is_empty() {
        return Ok(());
    }
    prop_assert!(
        text.ends_with('\n') && !text.ends_with("\n\n"),
        "one final line end: {:?}",
        text
    );
    prop_assert!(!text.starts_with('\n'), "no blank line at the top");
    prop_assert!(
        !text.contains("\n\n\n"),
        "at most one blank line in a row:\n{}",
        text
    );
    for line in text.lines() {
        prop_assert_eq!(line, line.trim_end(), "trailing blanks");
        let indent = line.len() - line.trim_start_matches(' ').len();
        prop_assert!(
            indent % 4 == 0 && !line.starts_with('\t'),
            "indent: {:?}",
            line
        );
    }
    let src = out.trim_start_matches('\u{feff}');
    let bom = out.len() - src.len();
    for (k, r) in parsed.rules.iter().enumerate() {
        let at = r.keyword_span.start;
        prop_assert!(
            at == bom || out[..at].ends_with('\n'),
            "rule {} does not start a line",
            k + 1
        );
        if k > 0 {
            let between = out[parsed.rules[k - 1].span.end..at].replace("\r\n", "\n");
            prop_assert!(
                between.contains("\n\n"),
                "no blank line between rule {} and rule {}",
                k,
                k + 1
            );
        }
        let clauses = r.clauses.len();
        let lines = out[r.span.start..r.span.end].lines().count();
        let has_comments = parsed
            .comments
            .iter()
            .any(|c| r.span.start < c.span.start && c.span.start < r.span.end);
        if !has_comments {
            let expected = if clauses > 1 { clauses + 1 } else { 1 };
            prop_assert_eq!(lines, expected, "{}", out);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Fixtures and the policy files of the repository.
// ---------------------------------------------------------------------------

fn policy_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            policy_files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "policy") {
            out.push(p);
        }
    }
}

fn fmt_fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    policy_files_under(&root().join("tests/fixtures/fmt"), &mut out);
    out.sort();
    out
}

/// Shows the characters a snapshot would hide.
fn visible(s: &str) -> String {
    s.replace('\u{feff}', "⟨BOM⟩")
        .replace('\r', "␍")
        .replace('\t', "␉")
}

#[test]
fn fmt_fixtures_match_their_snapshots() {
    let fixtures = fmt_fixtures();
    assert!(fixtures.len() >= 8, "fixtures are found");
    for path in fixtures {
        let bytes = std::fs::read(&path).unwrap();
        let source = String::from_utf8(bytes).expect("fixtures are UTF-8");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let result = match format_source(&source) {
            Ok(out) => {
                check_properties(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
                format!("----- formatted -----\n{}", visible(&out))
            }
            Err(FormatError::Syntax(errors)) => {
                let list: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        let under = visible(&source[e.span.start..e.span.end]);
                        format!("{} (under `{under}`)", e.message)
                    })
                    .collect();
                format!("----- refused: syntax errors -----\n{}\n", list.join("\n"))
            }
            Err(e) => panic!("{name}: {e}"),
        };
        insta::with_settings!({ snapshot_path => "snapshots/fmt", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, format!("{}\n{result}", visible(&source)));
        });
    }
}

#[test]
fn every_policy_file_in_the_repository_keeps_its_meaning() {
    let mut files = Vec::new();
    policy_files_under(&root().join("policies"), &mut files);
    policy_files_under(&root().join("tests/fixtures"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "policy files are found");
    let mut formatted = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let shown = path.strip_prefix(root()).unwrap().display();
        if parse_file(&text).errors.is_empty() {
            check_properties(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
            formatted += 1;
        } else {
            assert!(
                matches!(format_source(&text), Err(FormatError::Syntax(_))),
                "{shown}: a file that does not parse must be refused"
            );
        }
    }
    assert!(formatted >= 5, "only {formatted} files formatted");
}

#[test]
fn the_real_policies_are_already_formatted() {
    let r = run_in(&root(), &["fmt", "--check", "policies/"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
}

// ---------------------------------------------------------------------------
// Generated policies: every token of the language, spaced and commented in
// every way the grammar allows.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum ClauseSpec {
    Until(Vec<String>),
    Issue(String),
    Confirm(String),
    Requires(Vec<String>),
    Reason(String),
}

#[derive(Debug, Clone)]
struct RuleSpec {
    doc: Vec<String>,
    allow: bool,
    actions: Vec<String>,
    patterns: Vec<String>,
    clauses: Vec<ClauseSpec>,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "empty_bootstrap",
            "upstream_restore",
            "deploy",
            "launch",
            "cutover",
            "backup_proof",
            "allowed",
            "deny-x",
            "on_call",
            "or2",
        ])
        .prop_map(str::to_string),
        "[a-z][a-z0-9_-]{0,6}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str())),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["cm", "opw", "*", "prod", "testing", "c*", "*-x"])
            .prop_map(str::to_string),
        "[a-z*][a-z0-9_*-]{0,5}".prop_filter("not a keyword", |s| !KEYWORDS.contains(&s.as_str())),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Printable text with the characters strings escape, and some beyond ASCII.
    "([ -~]|[\"\\\\\n\t]|é|→|\\{lane\\}){0,12}"
}

fn comment_text() -> impl Strategy<Value = String> {
    "([ -~]|é|//|///|\t){0,14}"
}

fn date() -> impl Strategy<Value = String> {
    (2000u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn clause() -> impl Strategy<Value = ClauseSpec> {
    prop_oneof![
        prop::collection::vec(prop_oneof![name(), date()], 1..4).prop_map(ClauseSpec::Until),
        prop_oneof![
            (1u64..100_000, 0usize..3).prop_map(|(n, z)| format!("#{}{n}", "0".repeat(z))),
            (
                "[a-zA-Z0-9][a-zA-Z0-9-]{0,5}",
                "[a-zA-Z0-9._-]{1,6}",
                1u64..1000
            )
                .prop_map(|(o, r, n)| format!("{o}/{r}#{n}")),
            "[a-z/.]{1,12}".prop_map(|p| format!("\"https://github.com/{p}\"")),
        ]
        .prop_map(ClauseSpec::Issue),
        text().prop_map(ClauseSpec::Confirm),
        prop::collection::vec(name(), 1..3).prop_map(ClauseSpec::Requires),
        text().prop_map(ClauseSpec::Reason),
    ]
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (
        prop::collection::vec(comment_text(), 0..3),
        any::<bool>(),
        prop::collection::vec(name(), 1..4),
        prop::collection::vec((segment(), segment()), 1..4),
        prop::collection::vec(clause(), 0..6),
    )
        .prop_map(|(doc, allow, actions, patterns, clauses)| RuleSpec {
            doc,
            allow,
            actions,
            patterns: patterns
                .into_iter()
                .map(|(c, i)| format!("{c}/{i}"))
                .collect(),
            clauses,
        })
}

/// Writes the specs as policy text, choosing spacing, comments and escapes
/// from `noise` (used round-robin), so one spec gives many layouts.
struct Writer<'a> {
    noise: &'a [u8],
    comments: &'a [String],
    at: usize,
    out: String,
}

impl Writer<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let v = self
            .noise
            .get(self.at % self.noise.len().max(1))
            .copied()
            .unwrap_or(0);
        self.at += 1;
        usize::from(v) % n
    }

    fn comment(&mut self) -> String {
        let k = self.pick(self.comments.len().max(1));
        let c = self.comments.get(k).cloned().unwrap_or_default();
        let slashes = ["//", "// ", "///", "//// "][self.pick(4)];
        format!("{slashes}{c}")
    }

    /// Trivia between two tokens; `optional` when no space is needed.
    fn gap(&mut self, optional: bool) {
        let choice = self.pick(if optional { 11 } else { 10 });
        let s = match choice {
            0..=3 => " ".to_string(),
            4 => "  ".to_string(),
            5 => "\n    ".to_string(),
            6 => "\t".to_string(),
            7 => format!(" {}\n  ", self.comment()),
            8 => format!("\n{}\n", self.comment()),
            9 => "\r\n".to_string(),
            _ => String::new(),
        };
        self.out.push_str(&s);
    }

    fn string(&mut self, value: &str) -> String {
        let mut s = String::from("\"");
        for c in value.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                c => s.push(c),
            }
        }
        s.push('"');
        s
    }

    fn list(&mut self, items: &[String]) {
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                self.gap(true);
                self.out.push(',');
                self.gap(true);
            }
            self.out.push_str(item);
        }
    }

    fn assign(&mut self, kw: &str, value: &str) {
        self.out.push_str(kw);
        self.gap(true);
        self.out.push('=');
        self.gap(true);
        self.out.push_str(value);
    }

    fn rule(&mut self, r: &RuleSpec) {
        for d in &r.doc {
            let indent = ["", "  ", "\t"][self.pick(3)];
            self.out.push_str(&format!("{indent}/// {d}\n"));
        }
        self.out.push_str(if r.allow { "allow" } else { "deny" });
        self.gap(false);
        self.list(&r.actions);
        self.gap(false);
        self.out.push_str("on");
        self.gap(false);
        self.list(&r.patterns);
        let mut after_string = false;
        for c in &r.clauses {
            self.gap(after_string);
            after_string = false;
            match c {
                ClauseSpec::Until(conds) => {
                    self.out.push_str("until");
                    for (k, cond) in conds.iter().enumerate() {
                        if k > 0 {
                            self.gap(false);
                            self.out.push_str("or");
                        }
                        self.gap(false);
                        self.out.push_str(cond);
                    }
                }
                ClauseSpec::Issue(value) => {
                    self.assign("issue", value);
                    after_string = value.ends_with('"');
                }
                ClauseSpec::Confirm(v) => {
                    let s = self.string(v);
                    self.assign("confirm", &s);
                    after_string = true;
                }
                ClauseSpec::Reason(v) => {
                    let s = self.string(v);
                    self.assign("reason", &s);
                    after_string = true;
                }
                ClauseSpec::Requires(proofs) => {
                    self.out.push_str("requires");
                    self.gap(false);
                    self.list(proofs);
                }
            }
        }
    }

    fn between_rules(&mut self) {
        let s = match self.pick(9) {
            0 => " ".to_string(),
            1 | 2 => "\n".to_string(),
            3 => "\n\n\n".to_string(),
            4 => format!("\n{}\n", self.comment()),
            5 => format!("\n    {}\n", self.comment()),
            6 => format!(" {}\n\n{}\n", self.comment(), self.comment()),
            7 => format!("\n/// {}\n\n", self.comment()),
            _ => "\n\n".to_string(),
        };
        self.out.push_str(&s);
    }
}

fn policy_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(rule_spec(), 0..6),
        prop::collection::vec(any::<u8>(), 1..64),
        prop::collection::vec(comment_text(), 1..4),
        0u8..8,
    )
        .prop_map(|(rules, noise, comments, frame)| {
            let mut w = Writer {
                noise: &noise,
                comments: &comments,
                at: 0,
                out: String::new(),
            };
            if frame & 1 == 1 {
                w.out.push('\u{feff}');
            }
            if frame & 2 == 2 {
                let c = w.comment();
                w.out.push_str(&format!("\n  {c}\n\n"));
            }
            for (k, r) in rules.iter().enumerate() {
                if k > 0 {
                    w.between_rules();
                }
                w.rule(r);
            }
            if frame & 4 == 4 {
                let c = w.comment();
                w.out.push_str(&format!(" {c}\n\n"));
            }
            w.out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn formatting_generated_policies_keeps_meaning_and_comments_and_is_stable(src in policy_text()) {
        check_properties(&src)?;
    }

    #[test]
    fn crlf_files_format_like_lf_files(src in policy_text()) {
        let lf = src.replace("\r\n", "\n");
        prop_assume!(lf.contains('\n'));
        let crlf = lf.replace('\n', "\r\n");
        let a = check_properties(&lf)?;
        let b = check_properties(&crlf)?;
        prop_assert_eq!(a.replace('\n', "\r\n"), b);
    }

    #[test]
    fn broken_text_is_refused_or_formatted_but_never_panics(
        src in policy_text(),
        at in any::<prop::sample::Index>(),
        insert in prop::sample::select(vec!["", "\"", "=", ",", "allow", "\r", "#", "/", "\\", "é", "on"]),
        delete in 0usize..3,
    ) {
        let mut k = at.index(src.len() + 1);
        while !src.is_char_boundary(k) {
            k -= 1;
        }
        let mut end = k;
        for _ in 0..delete {
            if let Some(c) = src[end..].chars().next() {
                end += c.len_utf8();
            }
        }
        let broken = format!("{}{insert}{}", &src[..k], &src[end..]);
        match format_source(&broken) {
            Ok(_) => { check_properties(&broken)?; }
            Err(FormatError::Syntax(errors)) => prop_assert!(!errors.is_empty()),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    #[test]
    fn any_text_is_refused_or_formatted_but_never_panics(src in "\\PC{0,200}") {
        if let Ok(out) = format_source(&src) {
            prop_assert_eq!(format_source(&out).ok(), Some(out.clone()));
        }
    }
}

// ---------------------------------------------------------------------------
// The command.
// ---------------------------------------------------------------------------

const MESSY: &str = "allow  a,b on x/y   until launch issue = #573\n";
const TIDY: &str = "allow a, b on x/y\n    until launch\n    issue=#573\n";
const BROKEN: &str = "// does not parse\nallow   a x/y\n";

/// A project directory with `policies/` holding `files`.
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join("policies").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join("policies").join(name)).unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn fmt_rewrites_the_files_under_policies_by_default() {
    let dir = project(&[
        ("a.policy", MESSY.as_bytes()),
        ("nested/b.policy", TIDY.as_bytes()),
        ("notes.txt", MESSY.as_bytes()),
    ]);
    let r = run_in(dir.path(), &["fmt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "1 file reformatted, 1 file already formatted\n");
    assert_eq!(read(dir.path(), "a.policy"), TIDY.as_bytes());
    assert_eq!(read(dir.path(), "nested/b.policy"), TIDY.as_bytes());
    assert_eq!(
        read(dir.path(), "notes.txt"),
        MESSY.as_bytes(),
        "only *.policy files"
    );
    assert_eq!(
        entries(&dir.path().join("policies")),
        ["a.policy", "nested", "notes.txt"],
        "no temporary file is left behind"
    );
    let again = run_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
}

#[cfg(unix)]
#[test]
fn fmt_keeps_the_permissions_of_a_file_and_writes_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("a.policy", MESSY.as_bytes())]);
    let file = dir.path().join("policies/a.policy");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&file, dir.path().join("link.policy")).unwrap();
    let r = run_in(dir.path(), &["fmt", "link.policy"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        dir.path().join("link.policy").is_symlink(),
        "the link stays a link"
    );
    assert_eq!(std::fs::read(&file).unwrap(), TIDY.as_bytes());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn check_names_the_files_that_would_change_and_writes_nothing() {
    let dir = project(&[
        ("a.policy", MESSY.as_bytes()),
        ("b.policy", TIDY.as_bytes()),
    ]);
    let r = run_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "would reformat policies/a.policy\n");
    assert_eq!(
        r.stderr,
        "1 file would be reformatted, 1 file already formatted\n"
    );
    assert_eq!(read(dir.path(), "a.policy"), MESSY.as_bytes());
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let dir = project(&[
        ("a.policy", MESSY.as_bytes()),
        ("b.policy", TIDY.as_bytes()),
    ]);
    let r = run_in(dir.path(), &["fmt", "--diff"]);
    assert_eq!(r.code, 0, "--diff alone reports, it does not fail");
    insta::with_settings!({ snapshot_path => "snapshots/fmt", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_diff", r.stdout);
    });
    assert_eq!(read(dir.path(), "a.policy"), MESSY.as_bytes());
    let r = run_in(dir.path(), &["fmt", "--check", "--diff"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("--- policies/a.policy\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_file_that_does_not_parse_is_refused_and_left_byte_for_byte() {
    let crlf_bom = b"\xef\xbb\xbf// broken\r\nallow   a x/y  \r\n";
    let dir = project(&[
        ("bad.policy", BROKEN.as_bytes()),
        ("crlf.policy", crlf_bom),
        ("good.policy", MESSY.as_bytes()),
    ]);
    for args in [&["fmt"][..], &["fmt", "--check"], &["fmt", "--diff"]] {
        let r = run_in(dir.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(read(dir.path(), "bad.policy"), BROKEN.as_bytes());
        assert_eq!(read(dir.path(), "crlf.policy"), crlf_bom);
        assert!(r.stderr.contains("E001"), "{}", r.stderr);
    }
    // The other files are formatted all the same.
    assert_eq!(read(dir.path(), "good.policy"), TIDY.as_bytes());
    let r = run_in(dir.path(), &["fmt", "policies/bad.policy"]);
    insta::with_settings!({ snapshot_path => "snapshots/fmt", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_syntax_error", r.stderr);
    });
}

#[test]
fn a_file_that_is_not_utf8_is_refused_like_check_refuses_it() {
    let bytes = b"allow a on x/y reason=\"caf\xe9\"\n";
    let dir = project(&[("latin1.policy", bytes)]);
    let r = run_in(dir.path(), &["fmt"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("E001"), "{}", r.stderr);
    assert!(
        r.stderr.contains("file is not valid UTF-8 at byte 26"),
        "{}",
        r.stderr
    );
    assert_eq!(read(dir.path(), "latin1.policy"), bytes);
}

#[test]
fn usage_and_missing_files_exit_2() {
    let dir = project(&[("a.policy", MESSY.as_bytes())]);
    let r = run_in(dir.path(), &["fmt", "nowhere.policy"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("nowhere.policy: no such file or directory"),
        "{}",
        r.stderr
    );
    let r = run_in(dir.path(), &["fmt", "--frobnicate"]);
    assert_eq!(r.code, 2);
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join("policies")).unwrap();
    let r = run_in(empty.path(), &["fmt"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no `.policy` files found"),
        "{}",
        r.stderr
    );
    assert_eq!(read(dir.path(), "a.policy"), MESSY.as_bytes());
}

#[test]
fn files_excluded_by_the_configuration_are_not_formatted() {
    let dir = project(&[
        ("a.policy", MESSY.as_bytes()),
        ("drafts/b.policy", BROKEN.as_bytes()),
        ("lanes.yaml", b"actions: {}\nproducts: {}\n"),
        ("lanepolicy.yaml", b"exclude: [\"drafts/**\"]\n"),
    ]);
    let r = run_in(dir.path(), &["fmt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read(dir.path(), "a.policy"), TIDY.as_bytes());
    assert_eq!(read(dir.path(), "drafts/b.policy"), BROKEN.as_bytes());
}

#[path = "../benches/support/rules.rs"]
mod bench_rules;

#[test]
fn the_benchmark_input_formats_and_a_thousand_rules_are_fast() {
    // The benchmark (`cargo bench --bench fmt`) measures this properly; here
    // its input is checked, and a generous bound on an unoptimised build
    // catches an accidental blow-up.
    let src = bench_rules::messy_rules(1000);
    let out = check_properties(&src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parse_file(&out).rules.len(), 1000);
    assert_eq!(parse_file(&bench_rules::messy_rules(7)).rules.len(), 7);
    let start = std::time::Instant::now();
    format_source(&src).unwrap();
    let took = start.elapsed();
    assert!(
        took.as_secs_f64() < 2.0,
        "formatting 1000 rules took {took:?}"
    );
}

#[test]
fn the_example_in_the_docs_is_what_fmt_does() {
    let doc = std::fs::read_to_string(root().join("docs/fmt.md")).unwrap();
    let block = |label: &str| {
        let start = doc
            .find(&format!("{label}:\n\n```lanepolicy\n"))
            .expect(label)
            + label.len()
            + 17;
        doc[start..start + doc[start..].find("```").unwrap()].to_string()
    };
    let (before, after) = (block("Before"), block("After"));
    assert_eq!(format_source(&before).unwrap(), after);
    assert_eq!(format_source(&after).unwrap(), after);
    let broken = "allow deploy, // the everyday action\n    rebuild on cm/testing until launch\n";
    assert!(doc.contains(broken));
    assert_eq!(format_source(broken).unwrap(), broken);
}
