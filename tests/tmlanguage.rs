//! The TextMate grammar for editors (`grammar/lanepolicy.tmLanguage.json`):
//! it is valid JSON, its reserved words are exactly the parser's, and it
//! highlights what it claims to, checked by running its rules over lines
//! of policy with a small TextMate-style tokenizer.

use fancy_regex::{Regex, RegexBuilder};
use lanepolicy::syntax::KEYWORDS;
use serde_json::Value;
use std::collections::BTreeSet;

fn grammar() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/grammar/lanepolicy.tmLanguage.json"
    );
    let text = std::fs::read_to_string(path).expect("the TextMate grammar is readable");
    serde_json::from_str(&text).expect("the TextMate grammar is valid JSON")
}

fn regex(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .oniguruma_mode(true)
        .build()
        .unwrap_or_else(|e| panic!("`{pattern}` is not a valid regex: {e}"))
}

#[test]
fn the_grammar_names_its_language_and_files() {
    let g = grammar();
    assert_eq!(g["scopeName"], "source.lanepolicy");
    assert_eq!(g["name"], "lanepolicy");
    assert_eq!(g["fileTypes"], serde_json::json!(["policy"]));
}

#[test]
fn the_keywords_are_exactly_the_parsers_reserved_words() {
    let g = grammar();
    let group = regex(r"\(\?:([a-z|]+)\)");
    let mut words = Vec::new();
    for p in g["repository"]["keywords"]["patterns"]
        .as_array()
        .expect("keyword patterns")
    {
        let m = p["match"].as_str().expect("a keyword pattern is a match");
        let caps = group
            .captures(m)
            .unwrap()
            .unwrap_or_else(|| panic!("no `(?:a|b)` word list in `{m}`"));
        words.extend(caps[1].split('|').map(str::to_string));
    }
    let unique: BTreeSet<&str> = words.iter().map(String::as_str).collect();
    assert_eq!(
        unique.len(),
        words.len(),
        "a keyword is listed twice: {words:?}"
    );
    let reserved: BTreeSet<&str> = KEYWORDS.iter().copied().collect();
    assert_eq!(unique, reserved);
}

#[test]
fn every_regex_in_the_grammar_compiles() {
    fn walk(v: &Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if matches!(k.as_str(), "match" | "begin" | "end") {
                        regex(v.as_str().expect("a regex is a string"));
                        *n += 1;
                    } else {
                        walk(v, n);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, n)),
            _ => {}
        }
    }
    let mut n = 0;
    walk(&grammar(), &mut n);
    assert!(n > 10, "only {n} regexes found");
}

/// A capture group's number, scope name, and the rules run inside it.
type Capture = (usize, Option<String>, Vec<Rule>);

/// A rule of the grammar, with its regexes compiled.
enum Rule {
    Match {
        re: Regex,
        name: Option<String>,
        captures: Vec<Capture>,
    },
    Region {
        begin: Regex,
        end: Regex,
        name: Option<String>,
        end_captures: Vec<Capture>,
        patterns: Vec<Rule>,
    },
}

fn compile(v: &Value, repo: &Value) -> Vec<Rule> {
    let name = |v: &Value| v["name"].as_str().map(str::to_string);
    let captures = |c: &Value| -> Vec<Capture> {
        c.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, c)| {
                        let inner = c.get("patterns").map_or_else(Vec::new, |p| {
                            p.as_array()
                                .unwrap()
                                .iter()
                                .flat_map(|p| compile(p, repo))
                                .collect()
                        });
                        (k.parse().unwrap(), name(c), inner)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(inc) = v["include"].as_str() {
        let key = inc.strip_prefix('#').expect("only repository includes");
        return compile(&repo[key], repo);
    }
    if let Some(m) = v["match"].as_str() {
        return vec![Rule::Match {
            re: regex(m),
            name: name(v),
            captures: captures(&v["captures"]),
        }];
    }
    if let Some(b) = v["begin"].as_str() {
        return vec![Rule::Region {
            begin: regex(b),
            end: regex(v["end"].as_str().expect("a region has an end")),
            name: name(v),
            end_captures: captures(&v["endCaptures"]),
            patterns: v["patterns"].as_array().map_or_else(Vec::new, |p| {
                p.iter().flat_map(|p| compile(p, repo)).collect()
            }),
        }];
    }
    v["patterns"]
        .as_array()
        .expect("a rule is a match, a region or a list of patterns")
        .iter()
        .flat_map(|p| compile(p, repo))
        .collect()
}

/// The scopes of each byte of `line`, the way a TextMate engine assigns
/// them: at each position the rule whose match starts first wins (the
/// first listed on a tie), and inside a region its end is tried first.
fn scopes(line: &str) -> Vec<Vec<String>> {
    let g = grammar();
    let top = compile(&g, &g["repository"]);
    let mut out = vec![vec![]; line.len()];
    tokenize(line, 0, line.len(), &top, None, &mut out);
    out
}

fn tag(out: &mut [Vec<String>], from: usize, to: usize, name: &Option<String>) {
    if let Some(n) = name {
        for s in &mut out[from..to] {
            s.push(n.clone());
        }
    }
}

fn apply_captures(
    line: &str,
    caps: &fancy_regex::Captures<'_, str>,
    spec: &[Capture],
    out: &mut [Vec<String>],
) {
    for (i, name, inner) in spec {
        if let Some(m) = caps.get(*i) {
            tag(out, m.start(), m.end(), name);
            if !inner.is_empty() {
                tokenize(line, m.start(), m.end(), inner, None, out);
            }
        }
    }
}

/// Tokenizes `line[from..to]` with `rules`; inside a region, `end` closes
/// it. Returns where the region ended (or `to`).
fn tokenize(
    line: &str,
    from: usize,
    to: usize,
    rules: &[Rule],
    end: Option<(&Regex, &[Capture])>,
    out: &mut [Vec<String>],
) -> usize {
    let text = &line[..to];
    let mut pos = from;
    while pos <= to {
        let end_at = end.and_then(|(re, _)| re.captures_from_pos(text, pos).unwrap());
        let mut best: Option<(usize, &Rule, fancy_regex::Captures<'_, str>)> = None;
        for r in rules {
            let re = match r {
                Rule::Match { re, .. } => re,
                Rule::Region { begin, .. } => begin,
            };
            if let Some(c) = re.captures_from_pos(text, pos).unwrap() {
                let start = c.get(0).unwrap().start();
                if best.as_ref().is_none_or(|(s, _, _)| start < *s) {
                    best = Some((start, r, c));
                }
            }
        }
        if let Some(c) = &end_at {
            let start = c.get(0).unwrap().start();
            if best.as_ref().is_none_or(|(s, _, _)| start <= *s) {
                apply_captures(line, c, end.unwrap().1, out);
                return c.get(0).unwrap().end();
            }
        }
        let Some((start, rule, caps)) = best else {
            return to;
        };
        let whole = caps.get(0).unwrap();
        match rule {
            Rule::Match { name, captures, .. } => {
                tag(out, start, whole.end(), name);
                apply_captures(line, &caps, captures, out);
                pos = if whole.end() > pos {
                    whole.end()
                } else {
                    pos + 1
                };
            }
            Rule::Region {
                end,
                name,
                end_captures,
                patterns,
                ..
            } => {
                let stop = tokenize(
                    line,
                    whole.end(),
                    to,
                    patterns,
                    Some((end, end_captures)),
                    out,
                );
                tag(out, start, stop, name);
                pos = stop.max(pos + 1);
            }
        }
    }
    to
}

/// The scopes shared by every byte of the first `needle` in `line`.
fn scope_of(line: &str, needle: &str) -> BTreeSet<String> {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in `{line}`"));
    let s = scopes(line);
    let mut common: BTreeSet<String> = s[at].iter().cloned().collect();
    for b in &s[at..at + needle.len()] {
        let here: BTreeSet<String> = b.iter().cloned().collect();
        common = common.intersection(&here).cloned().collect();
    }
    common
}

fn assert_scope(line: &str, needle: &str, scope: &str) {
    let got = scope_of(line, needle);
    assert!(
        got.iter().any(|s| s.starts_with(scope)),
        "`{needle}` in `{line}` has scopes {got:?}, not `{scope}`"
    );
}

fn assert_unscoped(line: &str, needle: &str) {
    let got = scope_of(line, needle);
    assert!(got.is_empty(), "`{needle}` in `{line}` has scopes {got:?}");
}

#[test]
fn keywords_are_highlighted_as_whole_words() {
    let line = "allow deploy on cm/testing until launch or 2027-01-31 issue=#5";
    assert_scope(line, "allow", "keyword.control.effect");
    assert_scope(line, "on", "keyword.operator.word");
    assert_scope(line, "until", "keyword.other.clause");
    assert_scope(line, "or", "keyword.operator.word");
    assert_scope(line, "issue", "keyword.other.clause");
    let line = "deny allowed, deny-x, on_call on x/y reason=\"r\"";
    assert_scope(line, "deny", "keyword.control.effect");
    assert_unscoped(line, "allowed");
    assert_unscoped(line, "deny-x");
    assert_unscoped(line, "on_call");
    assert_scope(line, "reason", "keyword.other.clause");
}

#[test]
fn lane_patterns_issue_references_and_dates_are_highlighted() {
    let line =
        "allow a on cm/testing, */prod, opw/* until 2027-01-31 issue=cbusillo/launchplane#573";
    assert_scope(line, "cm/testing", "entity.name.tag.lane");
    assert_scope(line, "*/prod", "entity.name.tag.lane");
    assert_scope("deny a on */prod", "*", "keyword.operator.wildcard");
    assert_scope("deny a on */prod", "/", "punctuation.separator.lane");
    assert_scope(line, "2027-01-31", "constant.numeric.date");
    assert_scope(
        line,
        "cbusillo/launchplane#573",
        "constant.other.reference.issue",
    );
    let line = "deny a on x/y issue=#573";
    assert_scope(line, "#573", "constant.other.reference.issue");
    assert_scope(line, "=", "keyword.operator.assignment");
}

#[test]
fn strings_show_their_escapes_and_placeholders() {
    let line = r#"allow a on x/y confirm="say \"{lane}\" \\ \q" // c"#;
    assert_scope(line, r#""say"#, "string.quoted.double");
    assert_scope(line, r#"\""#, "constant.character.escape");
    assert_scope(line, r"\\", "constant.character.escape");
    assert_scope(line, r"\q", "invalid.illegal.unknown-escape");
    assert_scope(line, "{lane}", "variable.other.placeholder");
    assert_scope(line, "// c", "comment.line.double-slash");
    let line = r#"deny a on x/y reason="not // a comment, not on x/y""#;
    assert_scope(line, "// a comment", "string.quoted.double");
    assert_scope(line, "deny", "keyword.control.effect");
    let got = scope_of(line, "on x/y\"");
    assert!(
        got.iter().all(|s| s.starts_with("string.")),
        "{got:?}: inside a string nothing else is highlighted"
    );
}

#[test]
fn doc_comments_are_distinct_from_ordinary_comments() {
    assert_scope(
        "/// Describes the rule.",
        "/// Describes",
        "comment.line.documentation",
    );
    assert_scope(
        "    /// indented",
        "/// indented",
        "comment.line.documentation",
    );
    assert_scope("// ordinary", "// ordinary", "comment.line.double-slash");
    assert_scope("//// banner", "//// banner", "comment.line.double-slash");
    assert_scope(
        "allow a on x/y /// after code",
        "/// after code",
        "comment.line.double-slash",
    );
    let got = scope_of("// allow a on x/y #5", "allow a on x/y #5");
    assert_eq!(
        got.into_iter().collect::<Vec<_>>(),
        vec!["comment.line.double-slash.lanepolicy".to_string()]
    );
}
