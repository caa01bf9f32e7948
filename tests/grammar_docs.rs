//! The docs cannot drift from the parser: every ```lanepolicy block in the
//! Markdown under `docs/` and `grammar/` (and the README) parses, the
//! grammar README maps every production of `grammar/lanepolicy.ebnf` to
//! code that exists, and the EBNF itself is well formed.

use lanepolicy::syntax::{KEYWORDS, parse_file};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("docs"), &mut out);
    walk(&root().join("grammar"), &mut out);
    let readme = root().join("README.md");
    if readme.is_file() {
        out.push(readme);
    }
    out.sort();
    out
}

/// The ```lanepolicy blocks of a Markdown text: (line of the opening fence, code).
fn lanepolicy_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String)> = None; // (line, fence, code)
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
                // A backtick fence's info string has no backtick (CommonMark).
                if ticks >= 3 && !trimmed[ticks..].contains('`') {
                    let info = trimmed[ticks..].trim();
                    let lang = info.split([' ', ',', '{']).next().unwrap_or("");
                    open = Some((n + 1, "`".repeat(ticks), String::new()));
                    if lang != "lanepolicy" {
                        open.as_mut().unwrap().0 = 0; // a block of another language
                    }
                }
            }
            Some((start, fence, code)) => {
                if trimmed.starts_with(fence.as_str())
                    && trimmed.trim_start_matches('`').trim().is_empty()
                {
                    if *start > 0 {
                        out.push((*start, std::mem::take(code)));
                    }
                    open = None;
                } else {
                    code.push_str(line);
                    code.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    out
}

#[test]
fn every_lanepolicy_block_in_the_docs_parses() {
    let mut blocks = 0;
    let mut failures = Vec::new();
    for path in markdown_files() {
        let shown = path.strip_prefix(root()).unwrap().display().to_string();
        for (line, code) in lanepolicy_blocks(&read(&path)) {
            blocks += 1;
            let file = parse_file(&code);
            for e in &file.errors {
                let at = code[..e.span.start].matches('\n').count() + 1;
                failures.push(format!(
                    "{shown}:{}: {} (block opened on line {line})",
                    line + at,
                    e.message
                ));
            }
            if file.errors.is_empty() && file.rules.is_empty() {
                failures.push(format!("{shown}:{line}: the block holds no rule"));
            }
        }
    }
    assert!(
        blocks >= 2,
        "only {blocks} ```lanepolicy blocks found: is the extraction broken?"
    );
    assert!(
        failures.is_empty(),
        "blocks marked ```lanepolicy must parse (fence examples of errors as ```text):\n{}",
        failures.join("\n")
    );
}

#[test]
fn block_extraction_finds_only_lanepolicy_blocks() {
    let md = "a\n```lanepolicy\nallow a on x/y\n```\n```text\nnot policy\n```\n````lanepolicy\ndeny b on x/y\n```\nstill inside\n````\n```` ```lanepolicy ```` is inline code\n";
    let blocks = lanepolicy_blocks(md);
    assert_eq!(
        blocks,
        vec![
            (2, "allow a on x/y\n".to_string()),
            (8, "deny b on x/y\n```\nstill inside\n".to_string())
        ]
    );
}

/// The EBNF with its comments, terminal strings and special sequences
/// blanked out, so only names and operators remain.
fn ebnf_skeleton(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == ')' {
                        break;
                    }
                    prev = d;
                }
                out.push(' ');
            }
            '"' | '\'' | '?' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                out.push_str(" T ");
            }
            c => out.push(c),
        }
    }
    out
}

/// Production name -> names used on its right-hand side.
fn ebnf_productions() -> Vec<(String, BTreeSet<String>)> {
    let text = read(&root().join("grammar/lanepolicy.ebnf"));
    let skeleton = ebnf_skeleton(&text);
    let mut out = Vec::new();
    for prod in skeleton.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, body) = prod
            .split_once('=')
            .unwrap_or_else(|| panic!("not a production: `{prod}`"));
        let name = name.trim();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "a production needs a name: `{prod}`"
        );
        let used = body
            .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        out.push((name.to_string(), used));
    }
    out
}

#[test]
fn the_grammar_defines_every_name_it_uses_and_uses_every_name_but_file() {
    let prods = ebnf_productions();
    let mut defined = BTreeSet::new();
    for (name, _) in &prods {
        assert!(defined.insert(name.clone()), "`{name}` is defined twice");
    }
    let used: BTreeSet<String> = prods.iter().flat_map(|(_, u)| u.iter().cloned()).collect();
    let undefined: Vec<_> = used.difference(&defined).collect();
    assert!(undefined.is_empty(), "used but not defined: {undefined:?}");
    let unused: Vec<_> = defined
        .difference(&used)
        .filter(|n| n.as_str() != "file")
        .collect();
    assert!(unused.is_empty(), "defined but never used: {unused:?}");
    assert!(
        defined.len() > 30,
        "only {} productions read",
        defined.len()
    );
}

#[test]
fn the_grammars_reserved_words_are_the_parsers() {
    let text = read(&root().join("grammar/lanepolicy.ebnf"));
    let start = text
        .find("reserved_word   =")
        .expect("a reserved_word production");
    let body = &text[start..start + text[start..].find(';').unwrap()];
    let words: BTreeSet<&str> = body.split('"').skip(1).step_by(2).collect();
    assert_eq!(words, KEYWORDS.iter().copied().collect::<BTreeSet<_>>());
}

#[test]
fn the_grammar_readme_maps_every_production_to_code_that_exists() {
    let readme = read(&root().join("grammar/README.md"));
    let parser = read(&root().join("src/syntax/parser.rs"));
    let section = readme
        .split("## Productions and the parser")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a `Productions and the parser` section");
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let production = cells[0].trim_matches('`').to_string();
        let code: Vec<String> = cells[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        assert!(!code.is_empty(), "`{production}` names no code");
        assert!(
            table.insert(production.clone(), code).is_none(),
            "`{production}` is listed twice"
        );
    }
    let productions: BTreeSet<String> = ebnf_productions().into_iter().map(|(n, _)| n).collect();
    let listed: BTreeSet<String> = table.keys().cloned().collect();
    assert_eq!(
        listed, productions,
        "the table must list exactly the grammar's productions"
    );
    for (production, code) in &table {
        for name in code {
            let defined = [
                format!("fn {name}("),
                format!("fn {name}<"),
                format!("const {name}:"),
            ]
            .iter()
            .any(|d| parser.contains(d.as_str()));
            assert!(
                defined,
                "`{production}` maps to `{name}`, which src/syntax/parser.rs does not define"
            );
        }
    }
}

// The corners where the grammar and the parser were made to agree (the
// table in grammar/README.md), one test each.

fn docs(src: &str) -> Vec<Vec<String>> {
    let file = parse_file(src);
    assert!(file.errors.is_empty(), "{src:?}: {:?}", file.errors);
    file.rules.into_iter().map(|r| r.doc).collect()
}

fn first_error(src: &str) -> String {
    let file = parse_file(src);
    file.errors
        .first()
        .unwrap_or_else(|| panic!("{src:?} parsed"))
        .message
        .clone()
}

#[test]
fn a_carriage_return_without_a_line_feed_is_a_syntax_error() {
    assert!(
        parse_file("allow a on x/y\r\ndeny b on x/y\r\n")
            .errors
            .is_empty()
    );
    // Inside a comment too: an editor may break the line there and show
    // the rest as code. The comment still runs to the line feed.
    let file = parse_file("// note\r more \r\nallow a on x/y\n");
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert!(file.errors[0].message.contains("invisible character"));
    assert_eq!(file.comments[0].text, "note\r more");
    assert_eq!(file.rules.len(), 1);
    for src in [
        "allow a on x/y\rdeny b on x/y\n",
        "allow a\ron x/y\n",
        "// note\n\rallow a on x/y\n",
        "\rallow a on x/y\n",
    ] {
        let file = parse_file(src);
        let e = file
            .errors
            .first()
            .unwrap_or_else(|| panic!("{src:?} parsed"));
        assert_eq!(e.message, "carriage return without a line feed", "{src:?}");
        assert_eq!(&src[e.span.start..e.span.end], "\r", "{src:?}");
    }
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let file = parse_file("\u{feff}/// doc\nallow a on x/y\n");
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.rules[0].doc, ["doc"]);
    assert_eq!(file.comments.len(), 1);
    assert!(!parse_file("allow a on x/y\n\u{feff}").errors.is_empty());
}

#[test]
fn doc_lines_describe_the_rule_only_right_above_it() {
    assert_eq!(docs("/// a\n/// b\nallow x on y/z"), [["a", "b"]]);
    assert_eq!(docs("  /// a\n\t/// b  \nallow x on y/z"), [["a", "b"]]);
    // A blank line, an ordinary comment, or `////` in between drops what is above it.
    assert_eq!(docs("/// a\n\n/// b\nallow x on y/z"), [["b"]]);
    assert_eq!(docs("/// a\n\nallow x on y/z"), [Vec::<String>::new()]);
    assert_eq!(docs("/// a\n// b\nallow x on y/z"), [Vec::<String>::new()]);
    assert_eq!(
        docs("/// a\n//// b\nallow x on y/z"),
        [Vec::<String>::new()]
    );
    // A suppression directive may stand between the description and its rule.
    assert_eq!(
        docs("/// a\n// lanepolicy: ignore L012 reason=\"r\"\n/// b\nallow x on y/z"),
        [["a", "b"]]
    );
    // A `///` after code on its line is an ordinary comment.
    assert_eq!(
        docs("allow x on y/z /// not a doc\nallow w on y/z"),
        [Vec::<String>::new(), Vec::new()]
    );
    assert_eq!(
        docs("allow x on y/z /// not a doc\n/// doc\nallow w on y/z"),
        [Vec::<String>::new(), vec!["doc".to_string()]]
    );
}

#[test]
fn comment_texts_drop_the_slashes_one_space_and_trailing_blanks() {
    let file = parse_file("//  two \r\n/// doc\t\n//// four\n///\nallow a on x/y // end");
    let got: Vec<(&str, bool)> = file
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.doc))
        .collect();
    assert_eq!(
        got,
        [
            (" two", false),
            ("doc", true),
            ("four", false),
            ("", true),
            ("end", false)
        ]
    );
}

#[test]
fn reserved_words_are_not_lane_segments() {
    assert!(first_error("allow a on deny/prod").contains("keyword `deny`"));
    assert!(first_error("allow a on cm/on").contains("keyword `on`"));
}

#[test]
fn a_github_owner_starts_with_a_letter_or_digit() {
    assert!(
        parse_file("allow a on x/y issue=o-k/re.po_1#5")
            .errors
            .is_empty()
    );
    assert!(
        first_error("allow a on x/y issue=-ok/repo#5").starts_with("expected an issue reference")
    );
}

#[test]
fn issue_numbers_and_dates_are_checked_beyond_their_shape() {
    assert!(
        parse_file("allow a on x/y issue=#0573 until 2028-02-29")
            .errors
            .is_empty()
    );
    assert!(first_error("allow a on x/y issue=#0").contains("not an issue number"));
    assert!(
        first_error("allow a on x/y issue=#18446744073709551616").contains("not an issue number")
    );
    assert!(first_error("allow a on x/y until 2027-02-29").contains("not a calendar date"));
    assert!(first_error("allow a on x/y until 2027-01-31x").contains("not a date"));
}
