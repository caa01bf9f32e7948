//! The policy parser: one function per production of
//! `grammar/lanepolicy.ebnf` (the grammar README maps them), built from nom
//! primitives over `&str`.
//!
//! Parsing never fails: [`parse_file`] returns every rule it could read and
//! every syntax error it met. After an error it recovers at the next `allow`
//! or `deny` keyword, so one broken rule does not hide the errors of the
//! next.

use super::ast::*;
use crate::source::Span;
use crate::suggest::did_you_mean;
use nom::bytes::complete::{tag, take_till, take_while, take_while1};
use nom::character::complete::{char as nom_char, digit1};
use nom::{IResult, Parser as _};

/// The reserved words of the language, in the order the grammar lists them.
pub const KEYWORDS: &[&str] = &[
    "allow", "deny", "on", "until", "or", "issue", "confirm", "requires", "reason",
];

/// The clause keywords.
const CLAUSE_KEYWORDS: &[&str] = &["until", "issue", "confirm", "requires", "reason"];

type PResult<'a, T> = Result<(&'a str, T), SyntaxError>;
type NomResult<'a> = IResult<&'a str, &'a str, nom::error::Error<&'a str>>;

/// Parses a whole policy file as read from disk. One byte order mark at the
/// very start is skipped (a second is an invisible character, E001); spans
/// are byte offsets into `src` as given, BOM included.
pub fn parse_file(src: &str) -> File {
    let bom = if src.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    Parser { src, bom }.file()
}

/// Parses policy text whose byte order mark the reader already removed
/// (the compiler's sources): a byte order mark left at its start is an
/// invisible character (E001), as anywhere else.
pub fn parse_decoded(src: &str) -> File {
    Parser { src, bom: 0 }.file()
}

/// The byte order mark that may open a file.
const BOM: char = '\u{feff}';

/// True for a character that may appear in an identifier after the first.
pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

/// True when an error is an invisible character's own.
/// Gives back the spare room of a rule's lists, which grow by doubling as
/// the parser reads them (three clauses take room for four, one doc line
/// for four): the trees of a file are all held until the file is resolved,
/// and at 100,000 rules the spare room was about 30 MB.
fn shrink(rule: &mut Rule) {
    rule.doc.shrink_to_fit();
    rule.actions.shrink_to_fit();
    rule.patterns.shrink_to_fit();
    rule.clauses.shrink_to_fit();
    for c in &mut rule.clauses {
        match &mut c.kind {
            ClauseKind::Until(conds) => conds.shrink_to_fit(),
            ClauseKind::Requires(proofs) => proofs.shrink_to_fit(),
            ClauseKind::Issue(..) | ClauseKind::Confirm(_) | ClauseKind::Reason(_) => {}
        }
    }
}

fn is_invisible_error(e: &SyntaxError) -> bool {
    e.message.starts_with("invisible character")
}

/// True when `span` (at least its first character) holds one of `found`,
/// sorted positions of invisible characters.
fn holds_one(found: &[(usize, char)], span: Span) -> bool {
    let k = found.partition_point(|&(at, _)| at < span.start);
    found
        .get(k)
        .is_some_and(|&(at, _)| at < span.end.max(span.start + 1))
}

/// The syntax errors reported for one file, in text order; the rest are
/// counted in one more (as compilers cap their errors, e.g. clang's
/// `-ferror-limit`): a six-megabyte file of a million broken lines is a
/// hundred errors and a count, not a million diagnostics and a gigabyte.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// The longest lane pattern segment, in characters: twice the longest name
/// (`crate::model::MAX_NAME_LEN`), room for `*` between its letters, so
/// that matching a pattern against a lane costs a bounded number of steps.
pub const MAX_SEGMENT_LEN: usize = 2 * crate::model::MAX_NAME_LEN;

/// True when `s` is a valid identifier that is not a reserved word.
pub fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(is_ident_char)
        && !KEYWORDS.contains(&s)
}

/// True for an absolute `https` URL with a host, as RFC 3986 reads it
/// (`fluent-uri`): no white space, no control character, nothing a
/// reviewer could misread as the approval's address.
pub fn is_https_url(s: &str) -> bool {
    is_url_with_host(s, &["https"])
}

/// True for an absolute URL of one of `schemes` with a non-empty host, as
/// RFC 3986 reads it (`fluent-uri`).
pub fn is_url_with_host(s: &str, schemes: &[&str]) -> bool {
    fluent_uri::Uri::parse(s).is_ok_and(|u| {
        schemes
            .iter()
            .any(|sch| u.scheme().as_str().eq_ignore_ascii_case(sch))
            && u.authority().is_some_and(|a| !a.host().is_empty())
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn is_segment_char(c: char) -> bool {
    is_ident_char(c) || c == '*'
}

/// True for a lane pattern segment as the language writes it: a
/// lower-case letter or `*`, then lower-case letters, digits, `_`, `-` and
/// `*`, and not a keyword.
fn is_segment(w: &str) -> bool {
    w.len() <= MAX_SEGMENT_LEN
        && w.starts_with(|c: char| c.is_ascii_lowercase() || c == '*')
        && w.chars().all(is_segment_char)
        && !KEYWORDS.contains(&w)
}

/// True for a lane pattern as the language writes it, `context/instance`,
/// each segment [`is_segment`]: what the bundle loader asks of a rule's
/// `patterns`, so a re-sealed bundle cannot show a pattern no policy has.
pub fn is_pattern(text: &str) -> bool {
    text.split_once('/')
        .is_some_and(|(c, i)| is_segment(c) && is_segment(i))
}

/// whitespace = " " | tab | newline ; newline = lf | cr lf ;
/// A carriage return not followed by a line feed is not whitespace: the
/// caller reports it (see [`Parser::stray_carriage_return`]).
fn spaces(i: &str) -> NomResult<'_> {
    let bytes = i.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b' ' | b'\t' | b'\n' => k += 1,
            b'\r' if bytes.get(k + 1) == Some(&b'\n') => k += 2,
            _ => break,
        }
    }
    Ok((&i[k..], &i[..k]))
}

/// comment = "//" comment_text ; up to the line feed (a lone `\r` does not
/// end a comment; the `\r` of a `\r\n` line end is not part of its text).
fn line_comment(i: &str) -> NomResult<'_> {
    let (rest, _) = tag("//").parse(i)?;
    let (rest, _) = take_till(|c| c == '\n').parse(rest)?;
    Ok((rest, &i[..i.len() - rest.len()]))
}

/// The description a `///` comment gives its rule, or `None` when the
/// comment is not written as a doc comment (`//` or `////...`). One space
/// after the slashes and any trailing spaces, tabs or carriage returns are
/// dropped.
fn doc_text(comment: &str) -> Option<&str> {
    let body = comment.strip_prefix("///")?;
    if body.starts_with('/') {
        return None;
    }
    let body = body.strip_prefix(' ').unwrap_or(body);
    Some(body.trim_end_matches([' ', '\t', '\r']))
}

/// True for a `// lanepolicy: ...` directive (a suppression), which may
/// stand between a rule's doc comments and the rule.
fn is_directive(comment: &str) -> bool {
    comment[2..].trim_start().starts_with("lanepolicy:")
}

/// True when `i` starts with a carriage return that no line feed follows.
fn at_stray_carriage_return(i: &str) -> bool {
    i.starts_with('\r') && !i.starts_with("\r\n")
}

/// Skips whitespace and comments (`//` and `///`).
fn trivia(mut i: &str) -> &str {
    loop {
        if let Ok((rest, _)) = spaces(i) {
            i = rest;
        }
        match line_comment(i) {
            Ok((rest, _)) => i = rest,
            Err(_) => return i,
        }
    }
}

/// The next word-like token, if one starts here.
fn peek_word(i: &str) -> Option<&str> {
    take_while1::<_, _, nom::error::Error<&str>>(is_word_char)
        .parse(i)
        .ok()
        .map(|(_, w)| w)
}

/// True when `i` starts with keyword `kw` as a whole word.
fn at_keyword(i: &str, kw: &str) -> bool {
    peek_word(i) == Some(kw)
}

fn at_rule_keyword(i: &str) -> bool {
    at_keyword(i, "allow") || at_keyword(i, "deny")
}

/// A short description of what stands at `i`, for "found ..." messages.
fn describe(i: &str) -> String {
    if i.is_empty() {
        return "end of file".into();
    }
    if let Some(w) = peek_word(i) {
        if KEYWORDS.contains(&w) {
            return format!("keyword `{w}`");
        }
        return format!("`{w}`");
    }
    if i.starts_with('"') {
        return "a string".into();
    }
    let c = i.chars().next().unwrap_or(' ');
    if c == '\n' || i.starts_with("\r\n") {
        return "end of line".into();
    }
    if c != '\t' && crate::source::is_invisible(c) {
        return format!("invisible character `{}`", c.escape_unicode());
    }
    format!("`{}`", c.escape_default())
}

struct Parser<'a> {
    src: &'a str,
    /// Length of the byte order mark skipped at the start of `src` (0 or 3).
    bom: usize,
}

impl<'a> Parser<'a> {
    fn off(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    /// A span over the token at `i` (at least one character, none at EOF).
    fn token_span(&self, i: &str) -> Span {
        let start = self.off(i);
        let len = match peek_word(i) {
            Some(w) => w.len(),
            None => i.chars().next().map_or(0, |c| {
                if c == '\n' || c == '\r' {
                    0
                } else {
                    c.len_utf8()
                }
            }),
        };
        Span::new(start, start + len)
    }

    fn error(&self, at: &str, message: impl Into<String>) -> SyntaxError {
        // An invisible character between tokens is named as such, with the
        // same label and help as one inside a string or a comment.
        let invisible = at
            .chars()
            .next()
            .filter(|&c| c != '\t' && c != '\n' && crate::source::is_invisible(c));
        SyntaxError {
            span: self.token_span(at),
            message: message.into(),
            label: invisible.map(|c| crate::source::invisible_kind(c).into()),
            help: invisible.map(|_| {
                "remove it: policy text holds only what a person can read and type".into()
            }),
        }
    }

    /// file = { trivia | rule } ;
    fn file(&self) -> File {
        let mut file = File {
            comments: collect_comments(self.src, self.bom),
            ..File::default()
        };
        // Invisible characters outside what the parser reads as strings
        // and comments: each is its own error (`invisible_elsewhere`),
        // which replaces any other error whose span holds it. Found first,
        // so that such an error is never built, and the errors past the
        // cap are counted, not kept: a file of ten million broken lines or
        // control characters costs a count, not gigabytes of errors.
        let found = self.invisible_characters();
        let holds = |span: Span| holds_one(&found, span);
        let mut kept = 0usize;
        let mut more = 0usize;
        let mut keep = |file: &mut File, e: SyntaxError| {
            if is_invisible_error(&e) {
                file.errors.push(e);
            } else if holds(e.span) {
                // Replaced by the invisible character's own error.
            } else if kept <= MAX_SYNTAX_ERRORS {
                kept += 1;
                file.errors.push(e);
            } else {
                more += 1;
            }
        };
        let mut i = &self.src[self.bom..];
        loop {
            let (rest, doc) = self.doc_comments(i);
            i = rest;
            if i.is_empty() {
                break;
            }
            if at_rule_keyword(i) {
                match self.rule(i) {
                    Ok((rest, mut rule)) => {
                        rule.doc = doc;
                        shrink(&mut rule);
                        file.rules.push(rule);
                        i = rest;
                    }
                    Err(e) => {
                        keep(&mut file, e);
                        if at_keyword(i, "deny") {
                            let at = self.off(i);
                            file.broken_denies.push(Span::new(at, at + "deny".len()));
                        }
                        let kw = peek_word(i).map_or(1, str::len);
                        i = recover(&i[kw..]);
                    }
                }
            } else {
                let mut e = self.error(
                    i,
                    format!("expected `allow` or `deny`, found {}", describe(i)),
                );
                e.label = Some("a rule starts with `allow` or `deny`".into());
                if let Some(w) = peek_word(i)
                    && let Some(s) = did_you_mean(w, ["allow", "deny"])
                {
                    e.help = Some(format!("did you mean `{s}`?"));
                }
                keep(&mut file, e);
                let step = self
                    .token_span(i)
                    .len()
                    .max(i.chars().next().map_or(1, char::len_utf8));
                i = recover(&i[step..]);
            }
        }
        for e in &mut file.errors {
            if at_stray_carriage_return(&self.src[e.span.start..]) {
                *e = self.stray_carriage_return(e.span.start);
            }
        }
        // A comment must not hide code: characters that editors render as a
        // line break or that reorder text would let a rule read as inside
        // or outside a comment when it is not ("Trojan Source").
        for c in &file.comments {
            let text = &self.src[c.span.start..c.span.end];
            if let Some((k, ch)) = text
                .char_indices()
                .find(|&(_, ch)| is_hidden_in_comment(ch))
            {
                let at = c.span.start + k;
                file.errors.push(SyntaxError {
                    span: Span::new(at, at + ch.len_utf8()),
                    message: format!("invisible character `{}` in a comment", ch.escape_unicode()),
                    label: Some(crate::source::invisible_kind(ch).into()),
                    help: Some("remove it; a comment runs to the end of its line and holds only what a person can read".into()),
                });
            }
        }
        more += self.invisible_elsewhere(&mut file, &found);
        file.errors.sort_by_key(|e| e.span.start);
        if file.errors.len() > MAX_SYNTAX_ERRORS {
            let more = file.errors.len() - MAX_SYNTAX_ERRORS + more;
            let at = file.errors[MAX_SYNTAX_ERRORS].span;
            file.errors.truncate(MAX_SYNTAX_ERRORS);
            file.hidden_errors = more - 1;
            file.errors.push(SyntaxError {
                span: at,
                message: format!(
                    "{more} more syntax error{} from here on {} not shown",
                    if more == 1 { "" } else { "s" },
                    if more == 1 { "is" } else { "are" }
                ),
                label: Some("the first of them".into()),
                help: Some(format!(
                    "fix the first {MAX_SYNTAX_ERRORS}: past that many, errors usually follow from one mistake (a file that is not a policy, an unclosed string)"
                )),
            });
        }
        file.rules.shrink_to_fit();
        file.comments.shrink_to_fit();
        file
    }

    /// Refuses invisible characters wherever else they stand (between
    /// tokens, inside a word): one error per character, named as such. It
    /// replaces any other syntax error whose span holds the character, and
    /// a rule that holds one is dropped (it is not resolved or linted, like
    /// any rule with a syntax error). Tabs, line ends and a leading byte
    /// order mark are the only exceptions.
    fn invisible_elsewhere(&self, file: &mut File, found: &[(usize, char)]) -> usize {
        if found.is_empty() {
            return 0;
        }
        let holds = |span: Span| holds_one(found, span);
        // Characters already reported inside a string or a comment: sorted
        // spans, searched, so that many characters stay O(n log n).
        let mut reported: Vec<Span> = file
            .errors
            .iter()
            .filter(|e| is_invisible_error(e))
            .map(|e| e.span)
            .collect();
        reported.sort_by_key(|s| s.start);
        let mut added = Vec::new();
        let mut more = 0;
        for &(at, c) in found {
            let k = reported.partition_point(|s| s.start <= at);
            if k > 0 && at < reported[k - 1].end {
                continue;
            }
            // Past the cap, counted: the first errors of the file are
            // among the first MAX_SYNTAX_ERRORS + 1 of each kind.
            if added.len() > MAX_SYNTAX_ERRORS {
                more += 1;
                continue;
            }
            added.push(SyntaxError {
                span: Span::new(at, at + c.len_utf8()),
                message: format!("invisible character `{}` in the policy", c.escape_unicode()),
                label: Some(crate::source::invisible_kind(c).into()),
                help: Some(
                    "remove it: policy text holds only what a person can read and type".into(),
                ),
            });
        }
        file.errors
            .retain(|e| is_invisible_error(e) || !holds(e.span));
        file.errors.extend(added);
        file.rules.retain(|r| !holds(r.span));
        more
    }

    /// Where the text holds an invisible character that is not a tab, a
    /// line end or the leading byte order mark, in text order.
    fn invisible_characters(&self) -> Vec<(usize, char)> {
        let start = self.bom;
        self.src[start..]
            .char_indices()
            .map(|(k, c)| (start + k, c))
            .filter(|&(_, c)| !matches!(c, '\t' | '\n' | '\r') && crate::source::is_invisible(c))
            .collect()
    }

    /// The error for a carriage return without a line feed, wherever the
    /// parser met it: line ends are `\n` or `\r\n` only.
    fn stray_carriage_return(&self, at: usize) -> SyntaxError {
        SyntaxError {
            span: Span::new(at, at + 1),
            message: "carriage return without a line feed".into(),
            label: Some("stray `\\r`".into()),
            help: Some(
                "line ends are `\\n` or `\\r\\n`; save the file with LF or CRLF line ends".into(),
            ),
        }
    }

    /// True when only spaces and tabs stand between the start of the line
    /// (or of the file, after a byte order mark) and `i`.
    fn starts_line(&self, i: &str) -> bool {
        let at = self.off(i);
        let line_start = self.src[..at].rfind('\n').map_or(self.bom, |k| k + 1);
        self.src[line_start..at]
            .chars()
            .all(|c| c == ' ' || c == '\t')
    }

    /// doc_comment = "///" [ doc_text ] ; collects the `///` lines right
    /// before a rule: each alone on its line, one line after the other. A
    /// blank line, an ordinary comment or a `///` that ends a line of code
    /// between them and the rule drops the lines before it.
    fn doc_comments(&self, mut i: &'a str) -> (&'a str, Vec<String>) {
        let mut doc = Vec::new();
        loop {
            let (rest, ws) = spaces(i).unwrap_or((i, ""));
            if ws.matches('\n').count() > 1 {
                doc.clear();
            }
            i = rest;
            match line_comment(i) {
                Ok((rest, text)) => {
                    match doc_text(text) {
                        Some(d) if self.starts_line(i) => doc.push(d.to_string()),
                        // A plain comment ends a doc block; a directive
                        // (`// lanepolicy: ...`) may stand between it and its rule.
                        None if is_directive(text) => {}
                        _ => doc.clear(),
                    }
                    i = rest;
                }
                Err(_) => return (i, doc),
            }
        }
    }

    /// rule = { doc_comment } effect actions "on" lanes { clause } ;
    fn rule(&self, start: &'a str) -> PResult<'a, Rule> {
        let (i, (effect, keyword_span)) = self.effect(start)?;
        let (i, actions) = self.actions(i)?;
        let i = self.expect_on(i)?;
        let (mut i, patterns) = self.lanes(i)?;
        let mut clauses = Vec::new();
        loop {
            let j = trivia(i);
            match peek_word(j) {
                Some(w) if CLAUSE_KEYWORDS.contains(&w) => {
                    let (rest, c) = self.clause(j)?;
                    clauses.push(c);
                    i = rest;
                }
                Some("allow" | "deny") => break,
                None if j.is_empty() => break,
                _ => {
                    let mut e = self.error(
                        j,
                        format!(
                            "expected a clause (`until`, `issue`, `confirm`, `requires`, `reason`) or the next rule, found {}",
                            describe(j)
                        ),
                    );
                    if let Some(w) = peek_word(j)
                        && let Some(s) = did_you_mean(w, CLAUSE_KEYWORDS.iter().copied())
                            .or_else(|| did_you_mean(w, ["allow", "deny"]))
                    {
                        e.help = Some(format!("did you mean `{s}`?"));
                    }
                    if e.help.is_none() && j.starts_with(',') {
                        e.help = Some(match clauses.last().map(|c: &Clause| &c.kind) {
                            Some(ClauseKind::Until(_)) => {
                                "`until` conditions are joined with `or`: `until launch or cutover`"
                                    .into()
                            }
                            _ => "a list continues with a name after the comma".into(),
                        });
                    }
                    return Err(e);
                }
            }
        }
        let span = self.span(start, i);
        Ok((
            i,
            Rule {
                doc: Vec::new(),
                effect,
                keyword_span,
                actions,
                patterns,
                clauses,
                span,
            },
        ))
    }

    /// effect = "allow" | "deny" ;
    fn effect(&self, i: &'a str) -> PResult<'a, (Effect, Span)> {
        let (rest, w) = take_while1::<_, _, nom::error::Error<&str>>(is_word_char)
            .parse(i)
            .map_err(|_| self.error(i, "expected `allow` or `deny`"))?;
        let effect = match w {
            "allow" => Effect::Allow,
            "deny" => Effect::Deny,
            _ => return Err(self.error(i, format!("expected `allow` or `deny`, found `{w}`"))),
        };
        Ok((rest, (effect, self.span(i, rest))))
    }

    /// ident = lower { lower | digit | "_" | "-" } - keyword ;
    fn ident(&self, i: &'a str, what: &str) -> PResult<'a, Ident> {
        let i = trivia(i);
        let Some(w) = peek_word(i) else {
            return Err(self.error(i, format!("expected {what}, found {}", describe(i))));
        };
        let rest = &i[w.len()..];
        let span = self.span(i, rest);
        if KEYWORDS.contains(&w) {
            let mut e = self.error(i, format!("expected {what}, found keyword `{w}`"));
            e.label = Some("reserved word".into());
            return Err(e);
        }
        if !is_ident(w) {
            let lower = w.to_ascii_lowercase();
            let mut e = SyntaxError {
                span,
                message: format!("`{w}` is not a valid name for {what}"),
                label: Some(
                    "names are lower-case letters, digits, `_` and `-`, starting with a letter"
                        .into(),
                ),
                help: None,
            };
            if is_ident(&lower) {
                e.help = Some(format!("write `{lower}`"));
            }
            return Err(e);
        }
        Ok((
            rest,
            Ident {
                name: w.to_string(),
                span,
            },
        ))
    }

    /// A comma-separated list of one or more items.
    fn list<T>(
        &self,
        i: &'a str,
        mut item: impl FnMut(&'a str) -> PResult<'a, T>,
    ) -> PResult<'a, Vec<T>> {
        let (mut i, first) = item(i)?;
        let mut items = vec![first];
        loop {
            let j = trivia(i);
            match nom_char::<_, nom::error::Error<&str>>(',').parse(j) {
                Ok((rest, _)) => {
                    let (rest, next) = item(rest).map_err(|mut e| {
                        if e.help.is_none() && e.message.contains("found keyword") {
                            e.help = Some(
                                "remove the trailing `,`, or name another item after it".into(),
                            );
                        }
                        e
                    })?;
                    items.push(next);
                    i = rest;
                }
                Err(_) => return Ok((i, items)),
            }
        }
    }

    /// actions = ident { "," ident } ;
    fn actions(&self, i: &'a str) -> PResult<'a, Vec<Ident>> {
        self.list(i, |i| self.ident(i, "an action name"))
    }

    fn expect_on(&self, i: &'a str) -> Result<&'a str, SyntaxError> {
        let j = trivia(i);
        if at_keyword(j, "on") {
            return Ok(&j[2..]);
        }
        let mut e = self.error(
            j,
            format!("expected `on` after the actions, found {}", describe(j)),
        );
        let next =
            take_while::<_, _, nom::error::Error<&str>>(|c: char| is_segment_char(c) || c == '/')
                .parse(j)
                .map_or("", |(_, w)| w);
        let looks_like_lane = next
            .split_once('/')
            .is_some_and(|(c, i)| !c.is_empty() && !i.is_empty() && !i.contains('/'));
        e.help = Some(if j.starts_with("/*") {
            "comments are `// ...`, to the end of the line; there is no `/* ... */`".into()
        } else if looks_like_lane {
            format!("write `on {next}`")
        } else {
            "a rule reads `allow ACTION on CONTEXT/INSTANCE`".into()
        });
        Err(e)
    }

    /// lanes = pattern { "," pattern } ;
    fn lanes(&self, i: &'a str) -> PResult<'a, Vec<Pattern>> {
        self.list(i, |i| self.pattern(i))
    }

    /// pattern = segment "/" segment ;
    fn pattern(&self, i: &'a str) -> PResult<'a, Pattern> {
        let i = trivia(i);
        let (rest, context) = self.segment(i, "a lane pattern (`context/instance`)")?;
        let Ok((rest, _)) = nom_char::<_, nom::error::Error<&str>>('/').parse(rest) else {
            let mut e = self.error(
                i,
                format!("expected `/` after `{context}` in a lane pattern"),
            );
            e.span = self.span(i, rest);
            e.label = Some("not a lane".into());
            e.help = Some(format!(
                "a lane is written `context/instance`, e.g. `{context}/testing` or `{context}/*`"
            ));
            return Err(e);
        };
        let (rest, instance) = self.segment(rest, "an instance name or `*` after `/`")?;
        Ok((
            rest,
            Pattern {
                context,
                instance,
                span: self.span(i, rest),
            },
        ))
    }

    /// segment = "*" | glob ; glob = (lower | "*") { lower | digit | "_" | "-" | "*" } ;
    fn segment(&self, i: &'a str, what: &str) -> PResult<'a, String> {
        let word =
            take_while1::<_, _, nom::error::Error<&str>>(|c: char| is_word_char(c) || c == '*')
                .parse(i);
        let Ok((rest, w)) = word else {
            return Err(self.error(i, format!("expected {what}, found {}", describe(i))));
        };
        if KEYWORDS.contains(&w) {
            return Err(self.error(i, format!("expected {what}, found keyword `{w}`")));
        }
        if w.len() > MAX_SEGMENT_LEN {
            let shown: String = w.chars().take(20).collect();
            return Err(SyntaxError {
                span: self.span(i, rest),
                message: format!(
                    "lane segment `{shown}…` is {} characters long, over the limit of {MAX_SEGMENT_LEN}",
                    w.chars().count()
                ),
                label: Some("longer than any lane name".into()),
                help: Some(format!(
                    "lane names are at most {} characters; a segment may be twice that with `*`",
                    crate::model::MAX_NAME_LEN
                )),
            });
        }
        if !is_segment(w) {
            let lower = w.to_ascii_lowercase();
            let mut e = SyntaxError {
                span: self.span(i, rest),
                message: format!("`{w}` is not a valid lane segment"),
                label: Some("lane names are lower-case letters, digits, `_`, `-` and `*`".into()),
                help: None,
            };
            if lower.starts_with(|c: char| c.is_ascii_lowercase() || c == '*')
                && lower.chars().all(is_segment_char)
            {
                e.help = Some(format!("write `{lower}`"));
            }
            return Err(e);
        }
        Ok((rest, w.to_string()))
    }

    /// clause = until_clause | issue_clause | confirm_clause | requires_clause | reason_clause ;
    fn clause(&self, i: &'a str) -> PResult<'a, Clause> {
        let kw = peek_word(i).unwrap_or("");
        let after = &i[kw.len()..];
        let keyword_span = self.span(i, after);
        let (rest, kind) = match kw {
            "until" => self.until_clause(after)?,
            "issue" => self.issue_clause(after)?,
            "requires" => self.requires_clause(after)?,
            _ => self.string_clause(kw, after)?,
        };
        Ok((
            rest,
            Clause {
                kind,
                keyword_span,
                span: self.span(i, rest),
            },
        ))
    }

    /// until_clause = "until" retire { "or" retire } ;
    fn until_clause(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        let (mut i, first) = self.retire(i)?;
        let mut conds = vec![first];
        loop {
            let j = trivia(i);
            if at_keyword(j, "or") {
                let (rest, next) = self.retire(&j[2..])?;
                conds.push(next);
                i = rest;
            } else {
                return Ok((i, ClauseKind::Until(conds)));
            }
        }
    }

    /// retire = date | ident ;
    fn retire(&self, i: &'a str) -> PResult<'a, Retire> {
        let j = trivia(i);
        if j.starts_with(|c: char| c.is_ascii_digit()) {
            let (rest, d) = self.date(j)?;
            return Ok((rest, d));
        }
        let (rest, id) = self.ident(j, "an event name or a date (`YYYY-MM-DD`) after `until`")?;
        Ok((rest, Retire::Event(id)))
    }

    /// date = digit{4} "-" digit{2} "-" digit{2} ;
    fn date(&self, i: &'a str) -> PResult<'a, Retire> {
        let (rest, text) = take_while1::<_, _, nom::error::Error<&str>>(|c: char| {
            c.is_ascii_alphanumeric() || c == '-'
        })
        .parse(i)
        .map_err(|_| self.error(i, "expected a date"))?;
        let span = self.span(i, rest);
        let shape_ok = text.len() == 10
            && text.char_indices().all(|(k, c)| {
                if k == 4 || k == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape_ok {
            return Err(SyntaxError {
                span,
                message: format!("`{text}` is not a date"),
                label: Some("dates are written `YYYY-MM-DD`".into()),
                help: Some("write a calendar date such as `2027-01-31`".into()),
            });
        }
        match text.parse::<jiff::civil::Date>() {
            Ok(date) if !crate::model::date_in_window(date) => Err(SyntaxError {
                span,
                message: format!(
                    "`{text}` is outside the dates a policy may name ({} to {})",
                    crate::model::FIRST_DATE,
                    crate::model::LAST_DATE
                ),
                label: Some("out of range".into()),
                help: Some(
                    "the runtime decides at instants up to the end of year 9999 only; write a date from 2000-01-01 to 9998-12-31".into(),
                ),
            }),
            Ok(date) => Ok((rest, Retire::Date { date, span })),
            Err(_) => Err(SyntaxError {
                span,
                message: format!("`{text}` is not a calendar date"),
                label: Some("no such day".into()),
                help: Some("check the month and the day of the month".into()),
            }),
        }
    }

    fn expect_eq(&self, kw: &str, i: &'a str, example: &str) -> Result<&'a str, SyntaxError> {
        let j = trivia(i);
        match nom_char::<_, nom::error::Error<&str>>('=').parse(j) {
            Ok((rest, _)) => Ok(rest),
            Err(_) => {
                let mut e = self.error(
                    j,
                    format!("expected `=` after `{kw}`, found {}", describe(j)),
                );
                e.label = Some("missing `=`".into());
                let value = self.token_text(j);
                e.help = Some(if value.is_empty() {
                    format!("write `{kw}={example}`")
                } else {
                    format!("write `{kw}={value}`")
                });
                Err(e)
            }
        }
    }

    /// The text of the value-like token at `i` (for help lines).
    fn token_text(&self, i: &'a str) -> &'a str {
        if let Some(body) = i.strip_prefix('"') {
            let end = body
                .find(['"', '\n'])
                .map_or(i.len(), |k| k + 2)
                .min(i.len());
            return &i[..end];
        }
        take_while::<_, _, nom::error::Error<&str>>(|c: char| {
            is_word_char(c) || matches!(c, '#' | '/' | '.' | '*')
        })
        .parse(i)
        .map_or("", |(_, w)| w)
    }

    /// issue_clause = "issue" "=" issue_ref ;
    fn issue_clause(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        let i = self.expect_eq("issue", i, "#573")?;
        let i = trivia(i);
        let (rest, r) = self.issue_ref(i)?;
        Ok((rest, ClauseKind::Issue(r, self.span(i, rest))))
    }

    /// issue_ref = "#" digits | github_repo "#" digits | string ;
    fn issue_ref(&self, i: &'a str) -> PResult<'a, IssueRef> {
        let expected =
            "expected an issue reference (`#573`, `owner/repo#573` or a quoted `https://` URL)";
        if i.starts_with('"') {
            let (rest, s) = self.string_literal(i)?;
            if !is_https_url(&s.value) {
                // An https URL that does not parse (a space, no host) is
                // told apart from one of another scheme.
                let https = s
                    .value
                    .get(.."https://".len())
                    .is_some_and(|p| p.eq_ignore_ascii_case("https://"));
                let (message, label) = if https {
                    (
                        format!("`{}` is not a valid URL", s.value.escape_debug()),
                        "a URL with a host and no space (write a space as `%20`)",
                    )
                } else {
                    (
                        format!("`{}` is not an https URL", s.value.escape_debug()),
                        "issue URLs must start with `https://`",
                    )
                };
                return Err(SyntaxError {
                    span: s.span,
                    message,
                    label: Some(label.into()),
                    help: Some("write `#573`, `owner/repo#573` or `\"https://...\"`".into()),
                });
            }
            return Ok((rest, IssueRef::Url(s.value)));
        }
        if let Ok((rest, _)) = nom_char::<_, nom::error::Error<&str>>('#').parse(i) {
            let (rest, n) = self.issue_number(i, rest)?;
            return Ok((rest, IssueRef::Local(n)));
        }
        let repo_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let parsed: IResult<&str, (&str, char, &str, char), nom::error::Error<&str>> = (
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '-'),
            nom_char('/'),
            take_while1(repo_char),
            nom_char('#'),
        )
            .parse(i);
        match parsed {
            Ok((rest, (owner, _, repo, _))) if !owner.starts_with('-') => {
                let (rest, number) = self.issue_number(i, rest)?;
                Ok((
                    rest,
                    IssueRef::GitHub {
                        owner: owner.to_string(),
                        repo: repo.to_string(),
                        number,
                    },
                ))
            }
            _ => {
                let mut e = self.error(i, format!("{expected}, found {}", describe(i)));
                if let Some(w) = peek_word(i)
                    && w.chars().all(|c| c.is_ascii_digit())
                {
                    e.help = Some(format!("write `issue=#{w}`"));
                }
                Err(e)
            }
        }
    }

    fn issue_number(&self, start: &'a str, i: &'a str) -> PResult<'a, u64> {
        let Ok((rest, digits)) = digit1::<_, nom::error::Error<&str>>(i) else {
            let mut e = self.error(
                i,
                format!("expected an issue number after `#`, found {}", describe(i)),
            );
            e.help = Some("write `#573`".into());
            return Err(e);
        };
        match digits.parse::<u64>() {
            Ok(n) if n > 0 => Ok((rest, n)),
            _ => Err(SyntaxError {
                span: self.span(start, rest),
                message: format!("`{digits}` is not an issue number"),
                label: Some("issue numbers are positive whole numbers".into()),
                help: None,
            }),
        }
    }

    /// requires_clause = "requires" ident { "," ident } ;
    fn requires_clause(&self, i: &'a str) -> PResult<'a, ClauseKind> {
        let (rest, proofs) = self.list(i, |i| self.ident(i, "a proof name after `requires`"))?;
        Ok((rest, ClauseKind::Requires(proofs)))
    }

    /// confirm_clause = "confirm" "=" string ; reason_clause = "reason" "=" string ;
    fn string_clause(&self, kw: &str, i: &'a str) -> PResult<'a, ClauseKind> {
        let example = if kw == "confirm" {
            "\"bootstrap {context} {instance}\""
        } else {
            "\"why\""
        };
        let i = self.expect_eq(kw, i, example)?;
        let j = trivia(i);
        if !j.starts_with('"') {
            let mut e = self.error(
                j,
                format!(
                    "expected a quoted string after `{kw}=`, found {}",
                    describe(j)
                ),
            );
            let value = self.token_text(j);
            e.help = Some(if value.is_empty() {
                format!("write `{kw}={example}`")
            } else {
                format!("write `{kw}=\"{value}\"`")
            });
            return Err(e);
        }
        let (rest, s) = self.string_literal(j)?;
        Ok((
            rest,
            if kw == "confirm" {
                ClauseKind::Confirm(s)
            } else {
                ClauseKind::Reason(s)
            },
        ))
    }

    /// string = '"' { char | escape } '"' ; no raw newline.
    fn string_literal(&self, i: &'a str) -> PResult<'a, StringLit> {
        let start = self.off(i);
        let mut value = String::new();
        let mut chars = i.char_indices().skip(1);
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    let rest = &i[k + 1..];
                    return Ok((
                        rest,
                        StringLit {
                            value,
                            span: Span::new(start, self.off(rest)),
                        },
                    ));
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => value.push('"'),
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((k2, other)) if other != '\n' && other != '\r' => {
                        return Err(SyntaxError {
                            span: Span::new(start + k, start + k2 + other.len_utf8()),
                            message: format!("unknown escape `\\{}` in a string", other.escape_default()),
                            label: Some("not an escape".into()),
                            help: Some("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`; write `\\\\` for a backslash".into()),
                        });
                    }
                    _ => return Err(self.unterminated(i, start)),
                },
                '\n' | '\r' => return Err(self.unterminated(i, start)),
                c if is_hidden_char(c) => {
                    return Err(SyntaxError {
                        span: Span::new(start + k, start + k + c.len_utf8()),
                        message: format!("invisible character `{}` in a string", c.escape_unicode()),
                        label: Some(crate::source::invisible_kind(c).into()),
                        help: Some("strings hold what a person can read and type; write `\\t` or `\\n` for a tab or a line break".into()),
                    });
                }
                c => value.push(c),
            }
        }
        Err(self.unterminated(i, start))
    }

    fn unterminated(&self, i: &str, start: usize) -> SyntaxError {
        let line_len = i.find(['\n', '\r']).unwrap_or(i.len());
        SyntaxError {
            span: Span::new(start, start + line_len),
            message: "unterminated string".into(),
            label: Some("this string has no closing `\"` on its line".into()),
            help: Some("close the string with `\"`; strings cannot span lines (write `\\n` for a line break)".into()),
        }
    }
}

/// True for characters a reader cannot see or that reorder text (see
/// [`crate::source::is_invisible`]): they would let a phrase or a reason
/// read differently from what it is.
fn is_hidden_char(c: char) -> bool {
    crate::source::is_invisible(c)
}

/// Characters refused in comments: those of [`is_hidden_char`] except the
/// tab (a lone carriage return included: some editors break the line
/// there), plus the Unicode line and paragraph separators. A comment's span
/// ends before the `\r` of a CRLF line end.
fn is_hidden_in_comment(c: char) -> bool {
    is_hidden_char(c) && c != '\t'
}

/// Steps over a string literal at `i` (which starts with `"`): to just
/// after its closing quote, or to the end of the line when unterminated.
fn skip_string(i: &str) -> &str {
    let mut escaped = false;
    for (k, c) in i.char_indices().skip(1) {
        match c {
            '\n' | '\r' => return &i[k..],
            '"' if !escaped => return &i[k + 1..],
            '\\' => {
                escaped = !escaped;
                continue;
            }
            _ => {}
        }
        escaped = false;
    }
    ""
}

/// Steps over one token at `i`: a string, a word, or one character.
fn step_token(i: &str) -> &str {
    if i.starts_with('"') {
        skip_string(i)
    } else if let Some(w) = peek_word(i) {
        &i[w.len()..]
    } else {
        let n = i.chars().next().map_or(0, char::len_utf8);
        &i[n..]
    }
}

/// Skips to the next `allow` or `deny` keyword (or the end), stepping over
/// strings and words so that a keyword inside a string does not count.
fn recover(mut i: &str) -> &str {
    loop {
        i = trivia(i);
        if i.is_empty() || at_rule_keyword(i) {
            return i;
        }
        i = step_token(i);
    }
}

/// Every comment in `src`, found by the same token rules as the parser
/// (a `//` inside a string is not a comment).
fn collect_comments(src: &str, bom: usize) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut i = &src[bom..];
    loop {
        i = spaces(i).map_or(i, |(r, _)| r);
        if i.is_empty() {
            return out;
        }
        if let Ok((rest, text)) = line_comment(i) {
            let start = src.len() - i.len();
            let text = text.trim_end_matches('\r');
            let doc = doc_text(text).is_some();
            let body = text.trim_start_matches('/');
            let body = body.strip_prefix(' ').unwrap_or(body);
            let body = body.trim_end_matches([' ', '\t', '\r']);
            out.push(Comment {
                text: body.to_string(),
                doc,
                span: Span::new(start, start + text.len()),
            });
            i = rest;
        } else {
            i = step_token(i);
        }
    }
}
