//! Every check's documentation is tested: its Example fires the check
//! exactly once and its "Use instead" does not fire it. The pages in
//! `docs/rules/` are generated from the same docs and must not be stale
//! (regenerate with `LANEPOLICY_UPDATE_DOCS=1 cargo test --test rule_docs`).

use lanepolicy::checks::{CHECKS, Check};
use lanepolicy::project::{self, Options};
use std::path::{Path, PathBuf};

/// The fenced blocks of one `## Section` of a doc: (info string, body).
fn blocks(doc: &str, section: &str) -> Vec<(String, String)> {
    let Some(start) = doc.find(&format!("## {section}\n")) else {
        return Vec::new();
    };
    let rest = &doc[start + section.len() + 4..];
    let rest = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut out = Vec::new();
    let mut lines = rest.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push((info.to_string(), body.join("\n") + "\n"));
        }
    }
    out
}

/// The files of an example: the inventory, the configuration and the policy.
#[derive(Clone, Default)]
struct Example {
    inventory: Option<String>,
    config: Option<String>,
    policy: Option<String>,
    /// Other policy files, by path (a block fenced `lanepolicy PATH`): the
    /// example's directory is then checked as a whole.
    others: Vec<(String, String)>,
    /// A policy test file (a block fenced `yaml example.test.yaml`): the
    /// example is then run by `lanepolicy test`, not `check`.
    test_file: Option<String>,
}

impl Example {
    fn from(blocks: &[(String, String)], base: &Example) -> Example {
        let mut e = base.clone();
        e.policy = None;
        for (info, body) in blocks {
            match info.as_str() {
                // Policies that do not parse are fenced as text, so that only
                // valid policy text is marked as the language.
                "lanepolicy" | "text" => e.policy = Some(body.clone()),
                "yaml lanepolicy.yaml" => e.config = Some(body.clone()),
                "yaml" => e.inventory = Some(body.clone()),
                "yaml example.test.yaml" => e.test_file = Some(body.clone()),
                other => match other.strip_prefix("lanepolicy ") {
                    Some(path) => {
                        e.others.retain(|(p, _)| p != path);
                        e.others.push((path.to_string(), body.clone()));
                    }
                    None => panic!("unknown block `{other}`"),
                },
            }
        }
        e
    }

    /// How often `check` fires (suppressed findings included) on this example.
    fn fires(&self, check: &Check) -> usize {
        self.run(check).0
    }

    /// How often `check` fires on this example, and the human rendering of
    /// its findings (the example's directory written `<dir>`).
    fn run(&self, check: &Check) -> (usize, String) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inventory = match &self.inventory {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(root.join("tests/fixtures/check/lanes.yaml")).unwrap(),
        };
        std::fs::write(d.join("lanes.yaml"), inventory).unwrap();
        if let Some(c) = &self.config {
            std::fs::write(d.join("lanepolicy.yaml"), c).unwrap();
        }
        std::fs::write(
            d.join("example.policy"),
            self.policy.clone().unwrap_or_default(),
        )
        .unwrap();
        for (path, text) in &self.others {
            let path = d.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::write(
            d.join("issues.json"),
            r#"[{"number": 561, "state": "CLOSED"}, {"number": 573, "state": "OPEN"}]"#,
        )
        .unwrap();
        let paths = if self.others.is_empty() {
            vec![d.join("example.policy")]
        } else {
            vec![d.to_path_buf()]
        };
        if let Some(t) = &self.test_file {
            std::fs::write(d.join("example.test.yaml"), t).unwrap();
            let run = lanepolicy::policy_tests::run(&lanepolicy::policy_tests::Options {
                paths: vec![d.join("example.test.yaml")],
                inventory: None,
                root: d.to_path_buf(),
                today: jiff::civil::date(2026, 11, 29),
                now: "2026-11-29T00:00:00Z".parse().unwrap(),
            });
            let (mut n, mut rendered) = (0, String::new());
            for e in run.err().unwrap_or_default() {
                if let Some((sources, diags)) = e.diagnostics() {
                    let mine: Vec<_> = diags
                        .into_iter()
                        .filter(|x| x.check().code == check.code)
                        .collect();
                    n += mine.len();
                    rendered += &lanepolicy::render::render_human(&mine, &sources, false);
                }
            }
            return (n, rendered.replace(&d.display().to_string(), "<dir>"));
        }
        let mut opts = Options::new(paths, d.to_path_buf(), jiff::civil::date(2026, 11, 29));
        opts.issues = Some(d.join("issues.json"));
        let outcome = project::compile(&opts).expect("example files are readable");
        let mine: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|x| x.check().code == check.code)
            .cloned()
            .collect();
        let rendered = lanepolicy::render::render_human(&mine, &outcome.sources, false);
        let shown = d.display().to_string();
        (mine.len(), rendered.replace(&shown, "<dir>"))
    }
}

#[test]
fn every_example_fires_its_check_once_and_every_fix_does_not() {
    for check in CHECKS {
        let doc = check.doc();
        let example = blocks(&doc, "Example");
        let fixed = blocks(&doc, "Use instead");
        assert!(!example.is_empty(), "{}: no example", check.code);
        let bad = Example::from(&example, &Example::default());
        assert_eq!(
            bad.fires(check),
            1,
            "{}: the example fires it once",
            check.code
        );
        let good = Example::from(&fixed, &bad);
        assert_eq!(
            good.fires(check),
            0,
            "{}: the fix does not fire it",
            check.code
        );
    }
}

/// Every check's wording is pinned: its documented Example, then what
/// lanepolicy says about it, one snapshot per check
/// (`tests/snapshots/rule_docs__example_CODE.snap`). A new check without a
/// snapshot fails here (in CI, insta writes no new snapshot).
#[test]
fn every_checks_example_is_a_snapshot_of_its_wording() {
    for check in CHECKS {
        let doc = check.doc();
        let example = Example::from(&blocks(&doc, "Example"), &Example::default());
        let (n, rendered) = example.run(check);
        assert_eq!(n, 1, "{}", check.code);
        let mut shown = String::new();
        if let Some(inv) = &example.inventory {
            shown.push_str(&format!("--- lanes.yaml\n{inv}"));
        }
        if let Some(c) = &example.config {
            shown.push_str(&format!("--- lanepolicy.yaml\n{c}"));
        }
        for (path, text) in &example.others {
            shown.push_str(&format!("--- {path}\n{text}"));
        }
        if let Some(t) = &example.test_file {
            shown.push_str(&format!("--- example.test.yaml\n{t}"));
        }
        let command = if example.test_file.is_some() {
            "test"
        } else {
            "check"
        };
        shown.push_str(&format!(
            "--- example.policy\n{}--- lanepolicy {command}\n{rendered}",
            example.policy.clone().unwrap_or_default()
        ));
        insta::assert_snapshot!(format!("example_{}", check.code), shown);
    }
}

fn page(check: &Check) -> String {
    let doc = check.doc();
    let (title, body) = doc.split_once('\n').unwrap_or((&doc, ""));
    let configurable = if check.is_error_code() {
        "no: errors always fail the check"
    } else {
        "yes, in `lanepolicy.yaml` under `checks:`"
    };
    format!(
        "# {} {}\n\n<!-- generated from the check's source; edit the `//!` comment there -->\n\n{}\n\n| | |\n|---|---|\n| default severity | {} |\n| configurable | {} |\n{}",
        check.code,
        check.name,
        title.split_once(": ").map_or(title, |(_, s)| s),
        check.default_severity.as_str(),
        configurable,
        body
    )
}

fn index() -> String {
    let mut s = String::from(
        "# Checks\n\n<!-- generated: `LANEPOLICY_UPDATE_DOCS=1 cargo test --test rule_docs` -->\n\n`lanepolicy rule CODE` prints a page; `lanepolicy rule --all --format json` lists them.\n\n| code | name | default | fires when |\n|---|---|---|---|\n",
    );
    for c in CHECKS {
        s.push_str(&format!(
            "| [{}]({}-{}.md) | {} | {} | {} |\n",
            c.code,
            c.code,
            c.name,
            c.name,
            c.default_severity.as_str(),
            c.summary().replace('|', "\\|")
        ));
    }
    s
}

#[test]
fn the_rule_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let mut expected: Vec<(PathBuf, String)> = CHECKS
        .iter()
        .map(|c| (dir.join(format!("{}-{}.md", c.code, c.name)), page(c)))
        .collect();
    expected.push((dir.join("README.md"), index()));
    if std::env::var_os("LANEPOLICY_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (path, text) in &expected {
            std::fs::write(path, text).unwrap();
        }
    }
    for (path, text) in &expected {
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == *text,
            "{} is stale: run `LANEPOLICY_UPDATE_DOCS=1 cargo test --test rule_docs`",
            path.display()
        );
    }
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        pages,
        expected.len(),
        "docs/rules has a page for a check that no longer exists"
    );
}
