//! Source files and spans.
//!
//! Every position the compiler reports is a byte [`Span`] into a
//! [`SourceFile`]; line and column are computed only when a diagnostic is
//! rendered. Columns are 1-based and count characters (Unicode scalar
//! values), as editors and `serde-saphyr` do.

use std::path::Path;

/// A half-open byte range `start..end` into a [`SourceFile`]'s text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span that covers both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Index of a file in a [`SourceMap`].
pub type FileId = usize;

/// One input file: its display path (relative to the current directory,
/// with `/` separators), its path in the bundle (relative to the project
/// root), and its UTF-8 text (a leading byte order mark removed).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown in diagnostics.
    pub path: String,
    /// The path written into the bundle (relative to the project root, so
    /// the bundle is the same wherever it is built from).
    pub bundle_path: String,
    /// The text, without a byte order mark. Shared: a clone of the file
    /// (the compile core's inputs and its source map each hold one) does
    /// not copy the text.
    pub text: std::sync::Arc<str>,
    /// SHA-256 of the file's raw bytes, as lowercase hex.
    pub sha256: String,
    line_starts: std::sync::Arc<[usize]>,
    /// Whether each line is ASCII, by 0-based line: on such a line a column
    /// is a byte count, found without counting characters (a YAML reader
    /// reports a position per value, and a long line of values cost the
    /// square of its length otherwise).
    ascii_lines: std::sync::Arc<[bool]>,
    /// (byte offset, characters before it, UTF-16 code units before it)
    /// every [`MARK_STEP`] bytes or so,
    /// built the first time a column is asked on a long line.
    marks: std::sync::OnceLock<Vec<(usize, usize, usize)>>,
}

/// Bytes between two character-count marks of a [`SourceFile`]: a column
/// on a long line costs at most this much counting, whatever the line's
/// length (so n findings on one 8 MB line cost O(n), not O(n x line)).
const MARK_STEP: usize = 4096;

impl SourceFile {
    /// Wraps already-decoded text. `raw_sha256` is the digest of the bytes on disk.
    pub fn new(path: impl Into<String>, text: String, raw_sha256: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let path = path.into();
        let ascii_lines: Vec<bool> = if text.is_ascii() {
            vec![true; line_starts.len()]
        } else {
            line_starts
                .iter()
                .zip(line_starts.iter().skip(1).chain([&text.len()]))
                .map(|(&a, &b)| text.as_bytes()[a..b].is_ascii())
                .collect()
        };
        SourceFile {
            bundle_path: path.clone(),
            path,
            text: text.into(),
            sha256: raw_sha256,
            line_starts: line_starts.into(),
            ascii_lines: ascii_lines.into(),
            marks: std::sync::OnceLock::new(),
        }
    }

    /// The 0-based line holding byte `offset` (at most the text's length).
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    /// Offsets past the end clamp to the end of the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = match self.text.get(start..offset) {
            None => offset - start,
            Some(_) if self.ascii_lines[line] => offset - start,
            Some(s) if s.len() <= MARK_STEP => s.chars().count(),
            Some(_) => self.chars_before(offset) - self.chars_before(start),
        };
        (line + 1, col + 1)
    }

    /// The byte range of the line holding `offset`, without its `\n`,
    /// found in the line index (no scan of the line). Offsets past the end
    /// clamp to the end of the text.
    pub fn line_span(&self, offset: usize) -> Span {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        Span::new(self.line_starts[line], end)
    }

    /// The number of characters before byte `offset` (a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let (b, c, _) = self.mark_before(offset);
        c + self.text[b..offset].chars().count()
    }

    /// The number of UTF-16 code units before byte `offset` (a character
    /// boundary).
    fn utf16_before(&self, offset: usize) -> usize {
        let (b, _, u) = self.mark_before(offset);
        u + self.text[b..offset].encode_utf16().count()
    }

    /// The last mark at or before byte `offset`; the marks are made the
    /// first time one is asked.
    fn mark_before(&self, offset: usize) -> (usize, usize, usize) {
        let marks = self.marks.get_or_init(|| {
            let mut marks = vec![(0, 0, 0)];
            let mut next = MARK_STEP;
            let mut units = 0;
            for (chars, (i, c)) in self.text.char_indices().enumerate() {
                if i >= next {
                    marks.push((i, chars, units));
                    next = i + MARK_STEP;
                }
                units += c.len_utf16();
            }
            marks
        });
        let k = marks
            .partition_point(|&(b, _, _)| b <= offset)
            .saturating_sub(1);
        marks[k]
    }

    /// 0-based line and UTF-16 code units into it of byte `offset`: a
    /// position as the Language Server Protocol gives it. An offset past
    /// the end, or inside a character, clamps back. O(log lines) plus at
    /// most [`MARK_STEP`] bytes of counting, however long the line.
    pub fn line_utf16(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = if offset - start <= MARK_STEP {
            self.text[start..offset].encode_utf16().count()
        } else {
            self.utf16_before(offset) - self.utf16_before(start)
        };
        (line, col)
    }

    /// Byte offset of 1-based `line` and character `column` (used to map
    /// positions reported by the YAML reader back into spans). Clamps to the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line_end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        let column = column.saturating_sub(1);
        if self.ascii_lines[line.saturating_sub(1)] {
            return (start + column).min(line_end);
        }
        if column < MARK_STEP {
            return self.text[start..line_end]
                .char_indices()
                .nth(column)
                .map_or(line_end, |(i, _)| start + i);
        }
        // Far into a long line: from the nearest mark, not the line start.
        let target = self.chars_before(start) + column;
        let marks = self.marks.get().map_or(&[][..], Vec::as_slice);
        let k = marks
            .partition_point(|&(_, c, _)| c <= target)
            .saturating_sub(1);
        let (b, c, _) = marks.get(k).copied().unwrap_or((0, 0, 0));
        let (b, c) = if b < start {
            (start, target - column)
        } else {
            (b, c)
        };
        if b >= line_end {
            return line_end;
        }
        self.text[b..line_end]
            .char_indices()
            .nth(target - c)
            .map_or(line_end, |(i, _)| b + i)
    }

    /// The span of the word (identifier-like run) starting at `offset`, or a
    /// one-character span when no word starts there.
    pub fn word_at(&self, offset: usize) -> Span {
        let offset = offset.min(self.text.len());
        let rest = &self.text[offset..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '*' | '.')))
            .unwrap_or(rest.len());
        let len = if len == 0 {
            rest.chars().next().map_or(0, char::len_utf8)
        } else {
            len
        };
        Span::new(offset, offset + len)
    }
}

/// All files of one compilation, indexed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    /// The file with this id. Panics only on an id this map did not hand out.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// Every file, in the order added.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
}

/// Characters a reader cannot see, that break or reorder a line: control
/// characters (tab included; callers that accept a tab say so), U+2028,
/// U+2029, and every `Bidi_Control` (U+061C, U+200E, U+200F,
/// U+202A..U+202E, U+2066..U+2069) or `Default_Ignorable_Code_Point`
/// character (zero-width spaces and joiners, U+2060.., U+FEFF mid-text,
/// Hangul fillers such as U+115F and U+3164, variation selectors, tag
/// characters U+E0000..U+E0FFF, ...). Defined once, in the model, so the
/// compiler and the runtime agree.
pub(crate) use crate::model::is_invisible;

/// The first invisible character of `s` (see [`is_invisible`]) and its byte
/// offset, ignoring the characters `allow` accepts (e.g. a tab).
pub(crate) fn first_invisible(s: &str, allow: impl Fn(char) -> bool) -> Option<(usize, char)> {
    s.char_indices()
        .find(|&(_, c)| is_invisible(c) && !allow(c))
}

/// What kind of invisible character `c` is, for a diagnostic's label:
/// `a line break` for what editors may show as one, `a control character`,
/// `a text-direction control` (`Bidi_Control`), else `an invisible
/// character` (`Default_Ignorable_Code_Point`).
pub(crate) fn invisible_kind(c: char) -> &'static str {
    use icu_properties::CodePointSetData;
    use icu_properties::props::BidiControl;
    if matches!(
        c,
        '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{b}' | '\u{c}'
    ) {
        "editors may show a line break here"
    } else if c.is_control() {
        "a control character"
    } else if CodePointSetData::new::<BidiControl>().contains(c) {
        "a text-direction control"
    } else {
        "an invisible character"
    }
}

/// `s` made safe to print inside one line of human output: line breaks,
/// tabs and other control characters are shown escaped (`\n`), so text from
/// a policy (a reason, a phrase) cannot start a line of its own and pass for
/// output of the tool; other invisible characters (bidi controls,
/// zero-width ones: [`crate::model::is_invisible`]) as `\u{202e}`, so it
/// cannot reorder or hide what is printed around it either.
pub(crate) fn one_line(s: &str) -> String {
    let hidden = |c: char| c.is_control() || crate::model::is_invisible(c);
    if !s.chars().any(hidden) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else if hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `s` as the text of one Markdown table cell: control characters escaped
/// as [`one_line`] escapes them (a line end shows as `\n`), and `&`, `<`,
/// `>` and `|` as entities or escapes, so that text from a policy (a
/// reason, a phrase) can neither end the table nor open HTML (`</details>`,
/// `<!--`) in a pull request comment.
pub(crate) fn markdown_cell(s: &str) -> String {
    let line = one_line(s);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            c => out.push(c),
        }
    }
    out
}

/// The UTF-8 byte order mark, which readers remove and `fmt` keeps.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where a file stops being UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadUtf8 {
    /// Offset in the file's bytes (the byte order mark counted).
    pub byte_offset: usize,
    /// Offset in the decoded text (no byte order mark).
    pub text_offset: usize,
}

/// A file's bytes as text: the one decoding every reader of lanepolicy
/// uses (policy files, the inventory, the configuration, test files,
/// `fmt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The text without a leading byte order mark; decoded lossily when
    /// the bytes are not UTF-8, so that an error can be shown in context.
    pub text: String,
    /// Whether the file started with a byte order mark.
    pub bom: bool,
    /// Where the bytes stop being UTF-8, if they do.
    pub bad: Option<BadUtf8>,
}

/// Decodes a file's bytes as UTF-8, a leading byte order mark removed.
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let bom = body.len() != bytes.len();
    match std::str::from_utf8(body) {
        Ok(text) => Decoded {
            text: text.to_string(),
            bom,
            bad: None,
        },
        Err(e) => Decoded {
            text: String::from_utf8_lossy(body).into_owned(),
            bom,
            bad: Some(BadUtf8 {
                byte_offset: e.valid_up_to() + (bytes.len() - body.len()),
                text_offset: e.valid_up_to(),
            }),
        },
    }
}

/// An I/O error in the words every message of lanepolicy uses: lower case,
/// without the OS error number (e.g. `no such file or directory`).
pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

/// Reads at most `limit` bytes of a regular file (symbolic links followed).
/// Refuses devices, pipes and directories, and files over the limit, with
/// a message that says which.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let io = |e: std::io::Error| io_message(&e);
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err("is a directory, not a file".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "file is {} bytes, over the limit of {limit} bytes",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(format!("file is over the limit of {limit} bytes"));
    }
    Ok(bytes)
}

/// `path` relative to `base` (both absolute), with `..` where `path` is
/// not below `base`, and `/` separators.
pub(crate) fn relative_path(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The display form of `path`: relative to `root` when it lies below it,
/// with `/` separators, so bundles are the same on every machine. A name
/// that is not UTF-8 is shown with U+FFFD in place of what is not, and a
/// control or invisible character as its escape (`\u{1b}`), so that a
/// file name cannot write to the terminal or reorder what is printed
/// after it.
pub(crate) fn display_path(path: &Path, root: &Path) -> String {
    let Ok(rel) = path.strip_prefix(root) else {
        return crate::model::escape_invisible(&path.to_string_lossy());
    };
    let s = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        ".".to_string()
    } else {
        crate::model::escape_invisible(&s)
    }
}

/// Why `path`, relative to `base` (both absolute, as [`relative_path`]
/// takes them), cannot be recorded in a bundle, if it cannot: a name below
/// their common part that is not UTF-8, or that holds a control or
/// invisible character ([`crate::model::is_invisible`]). The bundle
/// records each source's path as text every reader shows, and its loader
/// refuses such a path.
pub(crate) fn unrecordable_name(path: &Path, base: &Path) -> Option<String> {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    p[common..].iter().find_map(|c| match c.as_os_str().to_str() {
        None => Some(format!(
            "the name `{}` is not valid UTF-8; rename it: a bundle records each file's path as text",
            crate::model::escape_invisible(&c.as_os_str().to_string_lossy())
        )),
        Some(name) if name.chars().any(crate::model::is_invisible) => Some(format!(
            "the name `{}` holds a control or invisible character; rename it: every reader of a bundle shows each file's path",
            crate::model::escape_invisible(name)
        )),
        Some(_) => None,
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn one_decoding_removes_a_bom_and_says_where_utf8_stops() {
        let d = decode(b"\xEF\xBB\xBFallow a");
        assert_eq!((d.text.as_str(), d.bom, d.bad), ("allow a", true, None));
        let d = decode(b"ab\xFFc");
        assert!(!d.bom);
        assert_eq!(
            d.bad,
            Some(BadUtf8 {
                byte_offset: 2,
                text_offset: 2
            })
        );
        // The byte offset counts the mark; the text offset does not.
        let d = decode(b"\xEF\xBB\xBFab\xFF");
        assert_eq!(
            d.bad,
            Some(BadUtf8 {
                byte_offset: 5,
                text_offset: 2
            })
        );
        assert_eq!(d.text, "ab\u{FFFD}");
    }
    #[test]
    fn a_markdown_cell_opens_no_html_and_ends_no_table() {
        assert_eq!(
            super::markdown_cell("a | b </details> <!-- x\n y & z"),
            "a \\| b &lt;/details&gt; &lt;!-- x\\n y &amp; z"
        );
    }

    use super::*;

    #[test]
    fn columns_on_long_lines_count_characters() {
        // A long line with multi-byte characters: the marks give the same
        // columns as counting from the line start.
        let line: String = (0..5000)
            .map(|k| if k % 3 == 0 { 'é' } else { 'a' })
            .collect();
        let text = format!("x\n{line}\n{line}");
        // Past the end of a long line: its end.
        let f0 = SourceFile::new("t", text.clone(), String::new());
        assert_eq!(f0.offset_of(2, 9000), 2 + line.len());
        let f = SourceFile::new("t", text.clone(), String::new());
        for (offset, _) in text.char_indices().step_by(997) {
            let start = text[..offset].rfind('\n').map_or(0, |k| k + 1);
            let expected = text[start..offset].chars().count() + 1;
            let (l, c) = f.line_col(offset);
            assert_eq!(c, expected, "at {offset}");
            assert_eq!(f.offset_of(l, c), offset, "back from {l}:{c}");
        }
    }

    #[test]
    fn ascii_lines_and_others_agree_on_columns() {
        // ASCII lines take their columns from byte counts, others count
        // characters; both round-trip, and a column past a line's end
        // stops at that end (before a `\r\n`'s `\n`, as the count does).
        let text = "ab cd\r\né x é\nplain line\n\nlast";
        let f = SourceFile::new("t", text.into(), String::new());
        for (offset, _) in text.char_indices() {
            let start = text[..offset].rfind('\n').map_or(0, |k| k + 1);
            let expected = text[start..offset].chars().count() + 1;
            let (l, c) = f.line_col(offset);
            assert_eq!(c, expected, "at {offset}");
            assert_eq!(f.offset_of(l, c), offset, "back from {l}:{c}");
        }
        assert_eq!(f.offset_of(1, 99), 6);
        assert_eq!(f.offset_of(3, 99), text.find("\n\nlast").unwrap());
        assert_eq!(f.offset_of(5, 2), text.len() - 3);
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("a", "ab\né x\n".into(), String::new());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'x' is after a two-byte 'é' and a space
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.offset_of(2, 3), 6);
        assert_eq!(f.line_col(999), (3, 1));
    }

    #[test]
    fn invisible_is_bidi_control_or_default_ignorable_or_a_control() {
        for c in [
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{200B}',
            '\u{200D}',
            '\u{2060}',
            '\u{2064}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{200E}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{115F}',
            '\u{1160}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{00AD}',
            '\u{034F}',
            '\u{180E}',
            '\u{2028}',
            '\u{2029}',
            '\t',
            '\u{7}',
            '\u{85}',
        ] {
            assert!(is_invisible(c), "{}", c.escape_unicode());
        }
        for c in ['a', 'é', ' ', '-', '🚀', '\u{3000}', 'ㄱ', '\u{A0}'] {
            assert!(!is_invisible(c), "{}", c.escape_unicode());
        }
        assert_eq!(invisible_kind('\u{202E}'), "a text-direction control");
        assert_eq!(invisible_kind('\u{200B}'), "an invisible character");
        assert_eq!(
            first_invisible("ab\tc\u{2060}", |c| c == '\t'),
            Some((4, '\u{2060}'))
        );
    }

    #[test]
    fn relative_paths_climb_out_of_the_base() {
        assert_eq!(
            relative_path(Path::new("/a/b/c.policy"), Path::new("/a")),
            "b/c.policy"
        );
        assert_eq!(
            relative_path(Path::new("/x/c.policy"), Path::new("/a/b")),
            "../../x/c.policy"
        );
        assert_eq!(relative_path(Path::new("/a"), Path::new("/a")), ".");
    }
}
