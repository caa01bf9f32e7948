//! The layers run one way (docs/architecture.md, "Layers"): a module may
//! use modules of its own layer or below, never above. This reads every
//! source file under `src/` as text, as rust-analyzer's tidy tests do, and
//! fails on the first path (`crate::x`) that points up. Comments are
//! skipped, so a doc link to a higher layer is fine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bottom to top. A module not listed fails the test, so a new module must
/// be given its place.
const LAYERS: &[&[&str]] = &[
    &["model", "sorted_map", "strict_value"],
    &["source", "suggest"],
    &["checks", "yaml"],
    &["diagnostic"],
    &["syntax", "config"],
    &["inventory"],
    &["sema"],
    &["lint"],
    &["bundle"],
    &["runtime"],
    &["project", "graph", "export"],
    &["policy_tests", "fmt", "lsp"],
    &["render"],
    &["commands"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/lint/rules/x.rs` -> `lint`),
/// or `None` for the crate root and the binary.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Every `crate::name` in the code of `text` (comments left out).
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + 7..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_uses_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    let mut up: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &all {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(mine) = layer(&module) else {
            panic!("module `{module}` has no layer in tests/layers.rs");
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            if used == module {
                continue;
            }
            let theirs = layer(&used)
                .unwrap_or_else(|| panic!("`crate::{used}` in {} has no layer", file.display()));
            if theirs > mine {
                up.entry(format!("{} ({module})", file.display()))
                    .or_default()
                    .push(used);
            }
        }
    }
    assert!(
        up.is_empty(),
        "lower layers use higher ones (see docs/architecture.md, Layers): {up:#?}"
    );
}

#[test]
fn the_scan_sees_an_upward_use() {
    // The test can fail: a use of `crate::project` from `model` is found.
    assert_eq!(
        uses("use crate::project::compile; // crate::lint"),
        ["project"]
    );
    assert!(layer("model") < layer("project"));
}
