//! YAML reading shared by the inventory and the configuration: `serde-saphyr`
//! (panic-free, with a budget against alias bombs and deep nesting) and the
//! mapping of its line/column locations back to spans of our source files.

use crate::source::{SourceFile, Span};
use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

/// A YAML error: the reader's message (without its own location suffix)
/// and the 1-based line and column it points at (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What is wrong, starting lower-case.
    pub message: String,
    /// 1-based line, or 0.
    pub line: usize,
    /// 1-based column, or 0.
    pub column: usize,
}

/// Deserializes `text` into `T`; duplicate keys are errors.
///
/// What a person reads is what is read: a tag the reader does not know
/// (`phase: !prod live`) is an error, and a `!!binary` value is its text as
/// written, not the text its base64 decodes to (`phase: !!binary bGl2ZQ==`
/// once read as `live`, which a reviewer sees only as base64).
///
/// The reader's budget grows with the text, so that any file that fits the
/// input limit is read and a small file cannot expand: at most one node per
/// two bytes of text and one parser event per byte, plus the events
/// aliases replay and the scalar bytes, at most [`ALIAS_EXPANSION`] per
/// byte ([`budget`], [`alias_limits`]), and the reader's default nesting
/// depth (64). Time and memory are linear in the text.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    // Strict YAML 1.2 booleans (`production: no` is not `false`).
    check_merge_keys(text, budget(text.len()))?;
    let options = serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        budget: Some(budget(text.len())),
        alias_limits: alias_limits(text.len()),
        reject_unsupported_tags: true,
        ignore_binary_tag_for_string: true,
    };
    serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |loc| (loc.line() as usize, loc.column() as usize));
        YamlError {
            message: clean_message(&e.to_string()),
            line,
            column,
        }
    })
}

/// Deserializes `text` into `T` as [`read`] does, and moreover refuses a
/// plain scalar that YAML reads as a boolean, a number or null where text
/// is expected (`proofs: {backup_proof: false}`, `lane: 123`): such a value
/// must be quoted to be text. For files whose every value has one meaning
/// (policy test files).
pub fn read_typed<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let options = serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        no_schema: true,
        budget: Some(budget(text.len())),
        alias_limits: alias_limits(text.len()),
        reject_unsupported_tags: true,
        ignore_binary_tag_for_string: true,
    };
    serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |loc| (loc.line() as usize, loc.column() as usize));
        let message = match &e {
            serde_saphyr::Error::QuotingRequired { value, .. } => format!(
                "`{value}` is read as a boolean, a number or null, not as text; quote it (`\"{value}\"`) if it is text"
            ),
            _ => clean_message(&e.to_string()),
        };
        YamlError {
            message,
            line,
            column,
        }
    })
}

/// The YAML reader's budget for a text of `len` bytes. Without aliases a
/// document holds at most a node per two bytes and a scalar byte per byte:
/// the caps are the reader's defaults (250,000 nodes, 1,000,000 events)
/// or one node per two bytes and one event per byte, whichever is higher,
/// plus what aliases may replay ([`alias_limits`]), which the reader
/// charges as nodes and events too. Scalar bytes, replayed ones included,
/// are capped at [`ALIAS_EXPANSION`] times the text (at least 1 MiB, at
/// most 256 MiB); aliases and anchors at one per three bytes (`*a,`) and
/// merge keys at one per four (`<<:`), or the reader's defaults (50,000
/// and 10,000) when higher.
///
/// The reader's alias-to-anchor heuristic (more than ten aliases per
/// anchor, from a hundred aliases on, is refused) is off: one anchored
/// set of lane fields used by every lane of a fleet (`l7: *defaults`,
/// `<<: *defaults`) is how inventories are written. What an alias bomb
/// needs, expanding to more than the text holds, is refused by the caps
/// on replayed events and scalar bytes, which grow with the text: a file
/// of a few kilobytes cannot become a megabyte of document.
pub fn budget(len: usize) -> serde_saphyr::Budget {
    let replayed = alias_limits(len).max_total_replayed_events;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(len / 2).saturating_add(replayed);
    budget.max_events = budget.max_events.max(len).saturating_add(replayed);
    budget.max_total_scalar_bytes = len
        .saturating_mul(ALIAS_EXPANSION)
        .clamp(1 << 20, 256 << 20)
        .max(len);
    budget.max_aliases = budget.max_aliases.max(len / 3);
    budget.max_anchors = budget.max_anchors.max(len / 3);
    budget.max_merge_keys = budget.max_merge_keys.max(len / 4);
    budget.enforce_alias_anchor_ratio = false;
    budget
}

/// How many times its own size a YAML text may grow through aliases, in
/// replayed events and in scalar bytes: a fleet whose every lane is
/// `l7: *defaults` (ten bytes or more replaying eight events and some
/// twenty-five bytes of values) grows about three times.
pub const ALIAS_EXPANSION: usize = 16;

/// The events aliases of a text of `len` bytes may replay in all:
/// [`ALIAS_EXPANSION`] per byte of text, at least 10,000 and at most
/// 16,000,000. A document that expands more (an alias bomb, however small
/// its text) is refused, in time and memory linear in its text.
pub fn alias_limits(len: usize) -> serde_saphyr::options::AliasLimits {
    let mut limits = serde_saphyr::options::AliasLimits::default();
    limits.max_total_replayed_events = len
        .saturating_mul(ALIAS_EXPANSION)
        .clamp(10_000, 16_000_000);
    limits
}

/// True when the text has nothing but blank lines and comments.
pub fn is_blank(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// The message for a value the reader could not take as a whole number
/// (`05000`, `5e3`, `1.5`, one past `i64`).
pub const NOT_A_WHOLE_NUMBER: &str = "expected a whole number";

/// The reader's message, lower-cased at the start, without the location
/// suffix (the caller shows the location) and in the file's own terms.
fn clean_message(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg);
    let first = first
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first);
    if let Some(key) = first.strip_prefix("duplicate mapping key: ") {
        // A key refused by the inventory's own check carries the
        // location after it.
        let key = key.find(" at line ").map_or(key, |k| &key[..k]);
        return format!("key `{key}` is written twice");
    }
    // A key written twice inside a value read as a `StrictValue` or an
    // `ExactValue`.
    if let Some(key) = first
        .strip_prefix("duplicate key `")
        .and_then(|k| k.find("` at line ").map(|end| &k[..end]).or(k.strip_suffix('`')))
    {
        return format!("key `{key}` is written twice");
    }
    if first.starts_with("alias replay") || first.starts_with("alias expansion limit") {
        return "the file is too large or expands too many aliases".into();
    }
    if first.contains("budget breached") {
        return if first.contains("Depth") {
            "the file is nested too deeply".into()
        } else {
            "the file is too large or expands too many aliases".into()
        };
    }
    if first.starts_with("multiple YAML documents detected") {
        return "the file holds more than one YAML document (a `---` line after the first); write one document".into();
    }
    if first.contains("expected mapping start") {
        return "expected a mapping of `key: value` pairs here".into();
    }
    let first = first.split("; use Option").next().unwrap_or(first);
    if first.starts_with("invalid i64") || first.starts_with("invalid u64") {
        return NOT_A_WHOLE_NUMBER.into();
    }
    let cut = first.find(" at line ").map_or(first, |k| &first[..k]);
    let cut = cut.trim().trim_end_matches('.');
    let mut chars = cut.chars();
    match chars.next() {
        Some(c) => format!("{}{}", c.to_lowercase(), chars.as_str()),
        None => "not valid YAML".into(),
    }
}

/// Spans in one YAML source file.
pub struct Spans<'a> {
    /// The file.
    pub src: &'a SourceFile,
}

impl Spans<'_> {
    /// The span of the value a [`Spanned`] came from.
    pub fn of<T>(&self, s: &Spanned<T>) -> Span {
        self.at(s.referenced.line() as usize, s.referenced.column() as usize)
    }

    /// The span of the node a [`Spanned`] was read from: through an alias
    /// (`*a`) or a merge key (`<<: *a`), the anchored node where the value
    /// is written, not the alias.
    pub fn defined<T>(&self, s: &Spanned<T>) -> Span {
        self.at(s.defined.line() as usize, s.defined.column() as usize)
    }

    /// The span of the scalar (or the opening bracket) at 1-based `line`
    /// and `column`; an empty span at the start when the line is 0 (unknown).
    pub fn at(&self, line: usize, column: usize) -> Span {
        if line == 0 {
            return Span::new(0, 0);
        }
        let text = &self.src.text;
        let off = self.src.offset_of(line, column);
        let rest = &text[off..];
        let len = if rest.starts_with(['{', '[']) {
            1
        } else if rest.starts_with(['"', '\'']) {
            quoted_len(rest)
        } else {
            let end = rest.find(['\n', '#', ',', '}', ']']).unwrap_or(rest.len());
            rest[..end].trim_end().len()
        };
        let len = len.max(rest.chars().next().map_or(0, char::len_utf8));
        Span::new(off, (off + len).min(text.len()))
    }

    /// The span of mapping key `key`: on the line of `value`, or the
    /// nearest line above it that writes `key:` (block mappings put the key
    /// above its value, perhaps with comments between); `value` when not found.
    ///
    /// On the value's own line the key is the last `key:` before the value
    /// (in a flow mapping, `{a: {x: 1}, b: {x: 2}}`, the second `x` is
    /// `b`'s), looked for backwards from the value: a line of many values
    /// costs each the distance to its key, not the line.
    pub fn key(&self, key: &str, value: Span) -> Span {
        let (line, _) = self.src.line_col(value.start);
        let own = self.src.line_span(value.start);
        if let Some((k, len)) = find_key_before(&self.src.text[own.start..value.start], key) {
            return Span::new(own.start + k, own.start + k + len);
        }
        // On a line above, the last `key:` outside its comment: the one
        // nearest the value (a flow mapping's value may start on the next
        // line).
        for l in (line.saturating_sub(64).max(1)..line).rev() {
            let start = self.src.offset_of(l, 1);
            let span = self.src.line_span(start);
            let line_text = uncommented(&self.src.text[span.start..span.end]);
            if let Some((k, len)) = find_key_before(line_text, key) {
                return Span::new(start + k, start + k + len);
            }
        }
        value
    }
}

impl Spans<'_> {
    /// The span of mapping key `key` at or after `from` (within 64 lines):
    /// how a field of a mapping is found from the mapping's own position.
    pub fn key_after(&self, key: &str, from: Span) -> Option<Span> {
        let (line, col) = self.src.line_col(from.start);
        for l in line..line + 64 {
            let start = self.src.offset_of(l, if l == line { col } else { 1 });
            if start >= self.src.text.len() {
                break;
            }
            // The line's end from the line index: a line of many
            // mappings is not scanned to its end for each.
            let line_text = &self.src.text[start..self.src.line_span(start).end.max(start)];
            if let Some((k, len)) = find_key_uncommented(line_text, key) {
                return Some(Span::new(start + k, start + k + len));
            }
        }
        None
    }

    /// The span of the value of mapping key `key` at or after `from`; the
    /// key's span, or `from`, when the value cannot be found.
    pub fn value_after(&self, key: &str, from: Span) -> Span {
        let Some(k) = self.key_after(key, from) else {
            return from;
        };
        let rest = &self.src.text[k.end..];
        let skip = rest.find(':').map_or(0, |c| c + 1);
        let value_start =
            k.end + skip + rest[skip..].len() - rest[skip..].trim_start_matches([' ', '\t']).len();
        let (line, col) = self.src.line_col(value_start);
        let v = self.at(line, col);
        // Nothing on the key's line but a comment: the value is below.
        if v.is_empty() || self.src.text[v.start..].starts_with(['\n', '\r', '#']) {
            k
        } else {
            v
        }
    }
}

impl Spans<'_> {
    /// Where the node after the mapping key at `key` starts, on its line or
    /// a later one (a block sequence's first `-`): the first character
    /// after the `:` that is neither blank nor in a comment; `key` when
    /// nothing follows. For [`Spans::items`] of a list that
    /// [`Spans::value_after`] gives as its key.
    pub fn node_after(&self, key: Span) -> Span {
        let text = &self.src.text;
        let Some(colon) = text[key.end.min(text.len())..].find(':') else {
            return key;
        };
        let mut at = key.end + colon + 1;
        while at < text.len() {
            let rest = &text[at..];
            let blank = rest.len() - rest.trim_start().len();
            at += blank;
            if text[at..].starts_with('#') {
                at += text[at..].find('\n').unwrap_or(text.len() - at);
                continue;
            }
            if blank == 0 {
                break;
            }
        }
        if at >= text.len() {
            return key;
        }
        let len = text[at..].chars().next().map_or(0, char::len_utf8);
        Span::new(at, at + len)
    }

    /// The span of each item of the sequence whose node starts at `list`
    /// (where the reader places it: a flow sequence's `[`, a block
    /// sequence's first `-`, or an anchor or tag before either). Quoted
    /// items keep their quotes; an item that is a collection or a block
    /// scalar spans its first character. Empty when `list` starts no
    /// sequence. One pass over the sequence's text, so a finding on each
    /// of n items costs O(n), not O(n^2).
    pub fn items(&self, list: Span) -> Vec<Span> {
        let text = &self.src.text;
        let mut at = list.start.min(text.len());
        // Anchors and tags (`&l`, `!!seq`) before the sequence.
        while text[at..].starts_with(['&', '!']) {
            let token = text[at..].find(char::is_whitespace).unwrap_or(text.len() - at);
            let rest = &text[at + token..];
            at += token + (rest.len() - rest.trim_start().len());
        }
        if text[at..].starts_with('[') {
            return flow_items(text, at);
        }
        if !text[at..].starts_with('-') {
            return Vec::new();
        }
        // A block sequence: the `-` lines at the first one's indentation;
        // lines indented further continue an item.
        let column = at - self.src.line_span(at).start;
        let mut items = Vec::new();
        let mut line_start = self.src.line_span(at).start;
        while line_start < text.len() {
            let line = self.src.line_span(line_start);
            line_start = line.end + 1;
            let body = uncommented(&text[line.start..line.end]);
            if body.trim().is_empty() {
                continue;
            }
            let lead = body.len() - body.trim_start_matches([' ', '\t']).len();
            if lead > column {
                continue;
            }
            let Some(rest) = body[lead..]
                .strip_prefix('-')
                .filter(|r| r.is_empty() || r.starts_with([' ', '\t', '\r']))
            else {
                break;
            };
            if lead < column {
                break;
            }
            let item = rest.trim_start();
            let start = line.start + body.len() - item.len();
            let len = if item.trim().is_empty() {
                // An empty item: its `-`.
                items.push(Span::new(line.start + lead, line.start + lead + 1));
                continue;
            } else if let Some(end) = item
                .starts_with(['[', '{'])
                .then(|| flow_scan(text, start, line.end).1)
                .flatten()
            {
                // A flow list or mapping closed on the item's line: all of it.
                end - start
            } else if item.starts_with(['[', '{', '|', '>']) {
                1
            } else {
                item.trim_end().len()
            };
            items.push(Span::new(start, start + len));
        }
        items
    }
}

/// The length of the quoted scalar that `rest` starts with, its quotes
/// included (a `,`, `#`, `}` or `]` inside it is text); to the end of the
/// line when it does not close there.
fn quoted_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let q = b[0];
    let mut i = 1;
    while i < b.len() && b[i] != b'\n' {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            // `''` inside a single-quoted scalar is a quote, not its end.
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    let end = i.min(b.len());
    // `i` stops at a line feed or the end, both character boundaries.
    rest.get(..end).map_or(b.len(), |line| line.trim_end().len())
}

/// The items of the flow sequence whose `[` is at `open`, to its `]`.
fn flow_items(text: &str, open: usize) -> Vec<Span> {
    flow_scan(text, open, text.len()).0
}

/// Whether the quote at `i` opens a quoted scalar: one that starts a value
/// (after `[`, `{` or `,`; after a `:` followed by a blank or written
/// after a quoted key, `"k":"v"`), or follows a tag or an anchor that
/// starts one (`!!str "x"`, `&a 'x'`). A quote inside a plain scalar
/// (`it's`, `a:'b`, `x !t 'y`) does not. Each call looks back over blanks
/// and one token only, so a scan stays linear.
fn opens_quote(text: &str, i: usize) -> bool {
    const BLANKS: [char; 4] = [' ', '\t', '\r', '\n'];
    let starts_value = |before: &str, spaced: bool| {
        before.ends_with(['[', '{', ','])
            || before.strip_suffix(':').is_some_and(|key| {
                spaced || key.ends_with(['"', '\''])
            })
    };
    let before = text[..i].trim_end_matches(BLANKS);
    let spaced = before.len() < i;
    if starts_value(before, spaced) {
        return true;
    }
    if !spaced {
        return false;
    }
    let token_start = before
        .rfind(|c: char| BLANKS.contains(&c) || matches!(c, '[' | '{' | ','))
        .map_or(0, |k| k + 1);
    let prefix = &before[..token_start];
    let trimmed = prefix.trim_end_matches(BLANKS);
    before[token_start..].starts_with(['!', '&'])
        && starts_value(trimmed, trimmed.len() < prefix.len())
}

/// [`flow_items`], and the offset just after the closing bracket of the
/// flow collection at `open` (`None` when `limit`, at most the text's
/// length, comes first).
fn flow_scan(text: &str, open: usize, limit: usize) -> (Vec<Span>, Option<usize>) {
    let bytes = &text.as_bytes()[..limit];
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut start: Option<usize> = None;
    let mut last = open;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if q == b'"' && b == b'\\' {
                i += 1;
            } else if b == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                    last = i + 1;
                }
            }
            i += 1;
            continue;
        }
        match b {
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n') => {
                // A comment runs to the end of its line.
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth == 2 {
                    start.get_or_insert(i);
                    last = i + 1;
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                // A nested list or mapping ends at its closing bracket.
                if depth == 1 {
                    last = i + 1;
                }
                if depth == 0 {
                    if let Some(s) = start.take() {
                        items.push(Span::new(s, last));
                    }
                    return (items, Some(i + 1));
                }
            }
            b',' if depth == 1 => {
                if let Some(s) = start.take() {
                    items.push(Span::new(s, last));
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ if depth == 1 => {
                let first = start.is_none();
                start.get_or_insert(i);
                if matches!(b, b'"' | b'\'') && (first || opens_quote(text, i)) {
                    quote = Some(b);
                }
                // A plain scalar ends at its last non-blank byte.
                if quote.is_none() {
                    last = i + 1;
                }
            }
            // A quoted scalar inside a nested list or mapping: its
            // brackets and commas are text.
            b'"' | b'\'' if depth > 1 && opens_quote(text, i) => quote = Some(b),
            _ => {}
        }
        i += 1;
    }
    (items, None)
}

/// Finds `key` followed by `:` on a line (possibly inside a flow mapping):
/// its byte offset and length. A key written as a quoted scalar with
/// escapes (`"P\\x72od":`) is found too, by reading each quoted scalar
/// that stands before a `:` with the YAML reader itself.
fn find_key(line: &str, key: &str) -> Option<(usize, usize)> {
    find_plain_key(line, key).or_else(|| find_quoted_key(line, key))
}

/// The first `key` written as it is and followed by `:` in `line`: the
/// first half of [`find_key`], which reads no further than that key.
fn find_plain_key(line: &str, key: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(k) = line[from..].find(key) {
        let at = from + k;
        let before_ok =
            at == 0 || !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-');
        let after = line[at + key.len()..].trim_start_matches([' ', '"', '\'']);
        if before_ok && after.starts_with(':') {
            return Some((at, key.len()));
        }
        from = at + key.len();
    }
    None
}

/// [`find_key`] in `line` without its comment ([`uncommented`]), reading
/// only up to the key when it is written as it is before any comment:
/// between a key and its `:` are only blanks and quotes, never a `#`, so
/// a plain key that ends before the comment is the first one outside it.
/// A line of many mappings (a one-line inventory) then costs each finding
/// the distance to its key, not the rest of the line.
fn find_key_uncommented(line: &str, key: &str) -> Option<(usize, usize)> {
    if let Some((at, len)) = find_plain_key(line, key)
        && uncommented(&line[..at + len]).len() == at + len
    {
        return Some((at, len));
    }
    find_key(uncommented(line), key)
}

#[cfg(test)]
thread_local! {
    /// How many bytes [`uncommented`] was given, in all.
    pub(crate) static UNCOMMENTED_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `line` without its comment: up to a `#` that starts the line or follows
/// a space or tab, outside quoted scalars (YAML's rule for comments). A key
/// written in a comment (`# the old prod: lane`) is not the key.
fn uncommented(line: &str) -> &str {
    #[cfg(test)]
    UNCOMMENTED_BYTES.with(|n| n.set(n.get() + line.len()));
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => {
                // `''` inside a single-quoted scalar is a quote, not its end.
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            // A quote opens a quoted scalar only where a scalar starts
            // (`don't` in a plain scalar is a letter).
            None if (b == b'"' || b == b'\'')
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',' | b':')) =>
            {
                quote = Some(b)
            }
            None if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) => {
                return &line[..i];
            }
            None => {}
        }
        i += 1;
    }
    line
}

/// The last `key` followed by `:` in `text` (the part of a line before a
/// value): its byte offset and length, searched backwards so that the
/// nearest is found first. Quoted keys with escapes as [`find_key`].
fn find_key_before(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut to = text.len();
    while let Some(at) = text[..to].rfind(key) {
        let before_ok =
            at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-');
        let after = text[at + key.len()..].trim_start_matches([' ', '"', '\'']);
        if before_ok && after.starts_with(':') {
            return Some((at, key.len()));
        }
        to = at;
    }
    find_quoted_key(text, key)
}

/// The quoted scalar on `line` that is followed by `:` and reads as `key`.
fn find_quoted_key(line: &str, key: &str) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(k) = line[i..].find(['"', '\'']) {
        let at = i + k;
        let quote = line.as_bytes()[at];
        let mut j = at + 1;
        let bytes = line.as_bytes();
        while j < bytes.len() {
            match bytes[j] {
                b'\\' if quote == b'"' => j += 2,
                b'\'' if quote == b'\'' && bytes.get(j + 1) == Some(&b'\'') => j += 2,
                c if c == quote => break,
                _ => j += 1,
            }
        }
        if j >= bytes.len() {
            return None;
        }
        let token = &line[at..=j];
        if line[j + 1..].trim_start().starts_with(':')
            && serde_saphyr::from_str::<String>(token).is_ok_and(|v| v == key)
        {
            return Some((at, token.len()));
        }
        i = j + 1;
    }
    None
}

/// A YAML node as the merge-key check sees it: mappings keep their entries
/// in order, with the location of each key and value.
enum Node {
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar(String),
    Other,
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = a.next_element()? {
                    out.push(x);
                }
                Ok(Node::Seq(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = a.next_key()? {
                    let v = a.next_value()?;
                    out.push((k, v));
                }
                Ok(Node::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

fn node_key(k: &Spanned<Node>) -> Option<&str> {
    match &k.value {
        Node::Scalar(s) => Some(s),
        _ => None,
    }
}

fn merge_error(at: &Spanned<Node>, message: String) -> YamlError {
    YamlError {
        message,
        line: at.referenced.line() as usize,
        column: at.referenced.column() as usize,
    }
}

/// Walks `node`, refusing merge keys that would let a key silently lose;
/// returns a mapping's keys after merging (none for other nodes).
fn walk_merges(node: &Spanned<Node>) -> Result<Vec<String>, YamlError> {
    match &node.value {
        Node::Seq(items) => {
            for item in items {
                walk_merges(item)?;
            }
            Ok(Vec::new())
        }
        Node::Map(entries) => {
            // key -> written in this mapping (true) or merged (false)
            let mut seen: std::collections::BTreeMap<String, bool> = Default::default();
            let mut merges = 0;
            for (k, v) in entries {
                let Some(name) = node_key(k) else {
                    walk_merges(v)?;
                    continue;
                };
                if name != "<<" {
                    walk_merges(v)?;
                    // A key written after `<<:` overrides the merged one,
                    // as it reads; one written before is refused below.
                    seen.insert(name.to_string(), true);
                    continue;
                }
                merges += 1;
                if merges > 1 {
                    return Err(merge_error(k, repeated_merge_key()));
                }
                let sources: Vec<&Spanned<Node>> = match &v.value {
                    Node::Seq(items) => items.iter().collect(),
                    _ => vec![v],
                };
                let mut merged: std::collections::BTreeSet<String> = Default::default();
                for source in sources {
                    if !matches!(source.value, Node::Map(_)) {
                        return Err(merge_error(
                            k,
                            "a merge key `<<` takes a mapping or a list of mappings".into(),
                        ));
                    }
                    for key in walk_merges(source)? {
                        if seen.contains_key(&key) {
                            return Err(merge_error(
                                k,
                                format!(
                                    "the merge key `<<` brings `{key}`, which is written above it; the merged value would be silently ignored"
                                ),
                            ));
                        }
                        if !merged.insert(key.clone()) {
                            return Err(merge_error(
                                k,
                                format!(
                                    "the mappings merged by `<<` both set `{key}`; all but the first would be silently ignored"
                                ),
                            ));
                        }
                    }
                }
                for key in merged {
                    seen.insert(key, false);
                }
            }
            Ok(seen.into_keys().collect())
        }
        Node::Scalar(_) | Node::Other => Ok(Vec::new()),
    }
}

fn repeated_merge_key() -> String {
    "repeated merge key `<<`: only the first would count; merge several mappings with one `<<: [*a, *b]`".into()
}

/// Refuses YAML merge keys (`<<:`) that would make a key silently lose:
/// two merge keys in one mapping (YAML takes the first), two merged
/// mappings that set the same key (the first wins), and a merged key that
/// the mapping already wrote above the `<<:` (the written one wins). A key
/// written after `<<:` overrides the merged one, which is how it reads.
/// The text is read a second time with merge keys as ordinary keys, so
/// each key keeps its own location; only texts that could hold a merge key
/// (a `<`, an escape or the `merge` tag) pay for it.
fn check_merge_keys(text: &str, budget: serde_saphyr::Budget) -> Result<(), YamlError> {
    if !text.contains('<') && !text.contains('\\') && !text.contains("merge") {
        return Ok(());
    }
    let options = serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: true,
        budget: Some(budget),
        alias_limits: alias_limits(text.len()),
        merge_keys: serde_saphyr::MergeKeyPolicy::AsOrdinary,
    };
    match serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
        Ok(root) => walk_merges(&root).map(|_| ()),
        Err(e) => {
            let (line, column) = e
                .location()
                .map_or((0, 0), |loc| (loc.line() as usize, loc.column() as usize));
            let message = clean_message(&e.to_string());
            if message == "key `<<` is written twice" {
                return Err(YamlError {
                    message: repeated_merge_key(),
                    line,
                    column,
                });
            }
            // Any other problem is the main reader's to report.
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::uncommented;

    /// A fleet whose every lane is one anchored set of fields, by alias or
    /// by merge key, reads whatever the number of lanes (the reader's
    /// alias-to-anchor heuristic refused a hundred uses of one anchor, and
    /// its default caps ten thousand merge keys and a million replayed
    /// events); a document that replays more than its text holds is still
    /// refused, however few its anchors.
    #[test]
    fn one_anchor_per_fleet_reads_and_a_bomb_does_not() {
        let lanes = |n: usize, lane: &dyn Fn(usize) -> String| {
            let mut text = String::from("lanes:\n  l0: &d {production: false, phase: prelaunch, data_authority: resettable}\n");
            for k in 1..n {
                text.push_str(&format!("  l{k}: {}\n", lane(k)));
            }
            text
        };
        // A hundred uses of one anchor; 130,000 (eight events each, more
        // than the reader's million); 12,000 merge keys (more than its
        // 10,000).
        for n in [101, 130_000] {
            let aliases = lanes(n, &|_| "*d".into());
            let read = super::read::<serde::de::IgnoredAny>(&aliases);
            assert!(read.is_ok(), "{n} aliases: {read:?}");
        }
        for n in [101, 12_000] {
            let merged = lanes(n, &|k| format!("{{<<: *d, target: t{k}}}"));
            let read = super::read::<serde::de::IgnoredAny>(&merged);
            assert!(read.is_ok(), "{n} merge keys: {read:?}");
        }
        // Twenty anchors, each ten uses of the one before: 10^20 replayed.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for k in 1..20 {
            let j = k - 1;
            bomb.push_str(&format!("a{k}: &a{k} [{}]\n", vec![format!("*a{j}"); 10].join(", ")));
        }
        let e = super::read::<serde::de::IgnoredAny>(&bomb).unwrap_err();
        assert_eq!(e.message, "the file is too large or expands too many aliases");
        // A few kilobytes that would replay a hundred-byte scalar 400,000
        // times (40 MB): refused, where a small file's floor once let it
        // through.
        let mut bomb = format!("s: &s '{}'\n", "x".repeat(100));
        let mut prev = "s".to_string();
        for k in 1..6 {
            bomb.push_str(&format!("l{k}: &l{k} [{}]\n", vec![format!("*{prev}"); 10].join(",")));
            prev = format!("l{k}");
        }
        for k in 0..4 {
            bomb.push_str(&format!("m{k}: *l5\n"));
        }
        assert!(bomb.len() < 4_000);
        let e = super::read::<serde_json::Value>(&bomb).unwrap_err();
        assert_eq!(e.message, "the file is too large or expands too many aliases");
    }

    #[test]
    fn a_quoted_value_spans_its_quotes() {
        let src = crate::source::SourceFile::new(
            "t.yaml",
            "a: \"x, y # z\" # c\nb: 'it''s, here'\nc: \"esc \\\" q, r\"\nd: \"open, line\n".into(),
            String::new(),
        );
        let spans = super::Spans { src: &src };
        let text = |line, column| {
            let s = spans.at(line, column);
            src.text[s.start..s.end].to_string()
        };
        assert_eq!(text(1, 4), "\"x, y # z\"");
        assert_eq!(text(2, 4), "'it''s, here'");
        assert_eq!(text(3, 4), "\"esc \\\" q, r\"");
        assert_eq!(text(4, 4), "\"open, line");
    }

    /// The items of the list that starts where `at` is first found in
    /// `text`, as text.
    fn items_at<'t>(text: &'t str, at: &str) -> Vec<&'t str> {
        let src = crate::source::SourceFile::new("t.yaml", text.into(), String::new());
        let spans = super::Spans { src: &src };
        let start = text.find(at).unwrap();
        spans
            .items(crate::source::Span::new(start, start + 1))
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn a_nested_item_spans_to_its_closing_bracket() {
        let text = "l: [a, [\"b], c\", 'd'], {e: \"}\"}, f]\nm:\n  - [g, h]\n  - {i: j} # k\n  - [open\n";
        assert_eq!(
            items_at(text, "[a"),
            ["a", "[\"b], c\", 'd']", "{e: \"}\"}", "f"]
        );
        // Block items: a flow list or mapping closed on its line is whole;
        // one that goes on is its bracket.
        assert_eq!(items_at(text, "- [g"), ["[g, h]", "{i: j}", "["]);
        // A quote after a tag or an anchor opens a quoted scalar; one
        // inside a plain scalar does not.
        let text = "t: [!!str \"a,b\", 7]\nu: [&x \" #\", 7]\nv: [a, [&q \"]\", z], 7]\nw: [it's, b, 'c]']\nx:\n  - [a, {b: c}\n    ]\n  - [d]\n";
        assert_eq!(items_at(text, "[!!"), ["!!str \"a,b\"", "7"]);
        assert_eq!(items_at(text, "[&x"), ["&x \" #\"", "7"]);
        assert_eq!(items_at(text, "[a, [&q"), ["a", "[&q \"]\", z]", "7"]);
        assert_eq!(items_at(text, "[it's"), ["it's", "b", "'c]'"]);
        assert_eq!(items_at(text, "- [a, {b"), ["[", "[d]"]);
        // Quotes inside plain scalars, after a `:` or a token that is not
        // a tag of the value.
        let text = "y: [a:'c, x', b, z]\nz: [empty, x !t 'y, bogus', e]\nj: [{\"k\":\"v,w\"}, 1]\n";
        assert_eq!(items_at(text, "[a:"), ["a:'c", "x'", "b", "z"]);
        assert_eq!(items_at(text, "[empty"), ["empty", "x !t 'y", "bogus'", "e"]);
        assert_eq!(items_at(text, "[{"), ["{\"k\":\"v,w\"}", "1"]);
    }

    #[test]
    fn comments_are_cut_where_yaml_starts_them() {
        assert_eq!(uncommented("prod: # the old prod: lane"), "prod: ");
        assert_eq!(uncommented("# prod: gone"), "");
        assert_eq!(uncommented("a: \"x # y\" # z"), "a: \"x # y\" ");
        assert_eq!(uncommented("a: 'it''s # here' # z"), "a: 'it''s # here' ");
        assert_eq!(uncommented("reason: don't # z"), "reason: don't ");
        assert_eq!(uncommented("url: a#b"), "url: a#b");
        assert_eq!(uncommented("a: \"esc \\\" # still\" # z"), "a: \"esc \\\" # still\" ");
    }
}
