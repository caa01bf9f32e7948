//! Positions and paths between lanepolicy (byte spans, file paths) and LSP
//! (UTF-16 line/character positions, `file://` URIs).

use crate::source::{SourceFile, Span};
use lsp_types as lt;
use std::path::{Path, PathBuf};

/// The LSP position (0-based line, UTF-16 code units) of byte `offset` in
/// `text`; an offset past the end or inside a character clamps back.
pub fn offset_to_position(text: &str, offset: usize) -> lt::Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = text[start..offset].encode_utf16().count();
    lt::Position::new(line as u32, character as u32)
}

/// The LSP range of a byte span of a source file, from its line index:
/// O(log lines) per range, so a file's n diagnostics cost O(n log n), not
/// n times the file.
pub fn source_range(src: &SourceFile, span: Span) -> lt::Range {
    let position = |offset| {
        let (line, character) = src.line_utf16(offset);
        lt::Position::new(line as u32, character as u32)
    };
    lt::Range::new(position(span.start), position(span.end))
}

/// The LSP range of a byte span.
pub fn span_to_range(text: &str, span: Span) -> lt::Range {
    lt::Range::new(
        offset_to_position(text, span.start),
        offset_to_position(text, span.end),
    )
}

/// The byte offset of an LSP position in `text`; past the end of a line it
/// clamps to the line's end, past the last line to the end of the text.
pub fn position_to_offset(text: &str, pos: lt::Position) -> usize {
    let Some(start) = line_start(text, pos.line as usize) else {
        return text.len();
    };
    // The column is counted on the rest of the text, and a line break
    // before it is the line's end: only the bytes up to the position are
    // read, not the whole of a long line.
    let rest = &text[start..];
    let at = utf16_to_byte(rest, pos.character as usize);
    let at = memchr::memchr(b'\n', &rest.as_bytes()[..at]).unwrap_or(at);
    // A line's end is before its `\r\n`: a position past the end of a
    // line of a CRLF text lands before the `\r`, not between it and `\n`.
    let bytes = rest.as_bytes();
    if at > 0 && bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n') {
        start + at - 1
    } else {
        start + at
    }
}

/// The byte offset where 0-based line `line` of `text` starts, or `None`
/// past the last line. Line breaks are counted in blocks of 192 bytes,
/// then found in the block that holds the one wanted: a client's edits
/// deep into a document of many short lines cost a vectorized count of the
/// bytes before them, not a search per line.
pub fn line_start(text: &str, line: usize) -> Option<usize> {
    const BLOCK: usize = 192;
    if line == 0 {
        return Some(0);
    }
    let bytes = text.as_bytes();
    let (mut i, mut seen) = (0, 0);
    while let Some(block) = bytes.get(i..i + BLOCK) {
        let n = usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')));
        if seen + n >= line {
            break;
        }
        seen += n;
        i += BLOCK;
    }
    memchr::memchr_iter(b'\n', &bytes[i..])
        .nth(line - seen - 1)
        .map(|k| i + k + 1)
}

/// The byte offset in `line` of the first character boundary with at least
/// `units` UTF-16 code units before it (so a position inside a surrogate
/// pair moves on past it), or the line's length.
///
/// Linear in the bytes before that boundary, counted in blocks of 192 bytes
/// (a byte starts a character unless it is a continuation byte, and the
/// lead byte of a four-byte character adds a second unit): a client's
/// edits far into a megabyte-long line cost a count the compiler
/// vectorizes, not a decoded walk of every character.
pub fn utf16_to_byte(line: &str, units: usize) -> usize {
    const BLOCK: usize = 192;
    let bytes = line.as_bytes();
    let (mut i, mut before) = (0, 0);
    while let Some(block) = bytes.get(i..i + BLOCK) {
        // At most 240 units in 192 bytes: summed in bytes, sixteen or more
        // to a vector register.
        let n = usize::from(block.iter().fold(0u8, |n, &b| {
            n + u8::from(b & 0xC0 != 0x80) + u8::from(b >= 0xF0)
        }));
        if before + n >= units {
            break;
        }
        before += n;
        i += BLOCK;
    }
    // A block may end inside a character whose units are already counted.
    while !line.is_char_boundary(i) {
        i += 1;
    }
    for (j, c) in line[i..].char_indices() {
        if before >= units {
            return i + j;
        }
        before += c.len_utf16();
    }
    line.len()
}

/// The start of each line of a text, for many positions in one text:
/// [`position_to_offset`] walks the lines before a position, which for
/// every diagnostic of a large file is the text times the diagnostics.
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    /// Indexes the lines of `text`.
    pub fn new(text: &str) -> Self {
        LineStarts(
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
                .collect(),
        )
    }

    /// [`position_to_offset`] for `text`, the text this was made from: the
    /// line found in the index, the column counted on that line only.
    pub fn offset(&self, text: &str, pos: lt::Position) -> usize {
        let Some(&start) = self.0.get(pos.line as usize) else {
            return text.len();
        };
        start + position_to_offset(&text[start..], lt::Position::new(0, pos.character))
    }
}

/// The path of a `file://` URI (percent-decoded); `None` for other
/// schemes, for a host other than `localhost` (RFC 8089: `file://localhost/p`
/// is `/p`, and a file on another host is not ours to read), and for a
/// path that is not absolute.
pub fn uri_to_path(uri: &lt::Uri) -> Option<PathBuf> {
    let s = uri.as_str().strip_prefix("file://")?;
    let s = match s.get(..10) {
        Some(host) if host.eq_ignore_ascii_case("localhost/") => &s[9..],
        _ => s,
    };
    if !s.starts_with('/') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// The `file://` URI of an absolute path, percent-encoding what a URI path
/// may not hold.
pub fn path_to_uri(path: &Path) -> Option<lt::Uri> {
    let s = path.to_str()?;
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_round_trip() {
        let text = "a\n😀é=x\n";
        // `x` is after a surrogate pair (2 units), `é` (1) and `=` (1).
        let off = text.find('x').unwrap();
        assert_eq!(offset_to_position(text, off), lt::Position::new(1, 4));
        assert_eq!(position_to_offset(text, lt::Position::new(1, 4)), off);
        assert_eq!(
            position_to_offset(text, lt::Position::new(9, 0)),
            text.len()
        );
    }

    proptest::proptest! {
        /// The block count finds the line a search from the start finds, on
        /// texts far longer than a block, for lines past the last too.
        #[test]
        fn the_block_count_finds_each_line(
            text in "([a-z😀]{0,50}\n){0,60}[a-z]{0,5}",
            line in 0usize..70,
        ) {
            let mut start = Some(0);
            for _ in 0..line {
                start = start.and_then(|s| text[s..].find('\n').map(|k| s + k + 1));
            }
            proptest::prop_assert_eq!(line_start(&text, line), start);
        }

        /// The block count finds the boundary a walk of every character
        /// finds, on lines of one- to four-byte characters far longer than
        /// a block, at every column up to past the end.
        #[test]
        fn the_block_count_finds_what_a_walk_finds(
            line in "[a-zé€😀]{0,300}",
            units in 0usize..700,
        ) {
            let mut walked = line.len();
            let mut before = 0;
            for (i, c) in line.char_indices() {
                if before >= units {
                    walked = i;
                    break;
                }
                before += c.len_utf16();
            }
            proptest::prop_assert_eq!(utf16_to_byte(&line, units), walked);
        }
    }

    #[test]
    fn line_starts_give_the_offsets_a_scan_gives() {
        let text = "allow x\r\n😀é=x\n\nlast";
        let lines = LineStarts::new(text);
        for line in 0..6 {
            for character in 0..12 {
                let pos = lt::Position::new(line, character);
                assert_eq!(
                    lines.offset(text, pos),
                    position_to_offset(text, pos),
                    "{pos:?}"
                );
            }
        }
    }

    proptest::proptest! {
        /// The line index gives the positions a scan from the start gives,
        /// on lines short and far longer than its marks' step, with
        /// characters of one to four bytes and surrogate pairs.
        #[test]
        fn the_line_index_gives_the_scanned_positions(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("a".to_string()),
                    proptest::strategy::Just("\n".to_string()),
                    proptest::strategy::Just("é".to_string()),
                    proptest::strategy::Just("😀".to_string()),
                    proptest::strategy::Just("x".repeat(3000)),
                ],
                0..40,
            ),
            at in proptest::collection::vec(0usize..200_000, 1..20),
        ) {
            let text: String = parts.concat();
            let src = SourceFile::new("t", text.clone(), String::new());
            for a in at {
                let a = a % (text.len() + 2);
                let span = Span::new(a.min(text.len()), a);
                proptest::prop_assert_eq!(source_range(&src, span), span_to_range(&text, span));
            }
        }
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü.policy");
        let uri = path_to_uri(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.policy");
        assert_eq!(uri_to_path(&uri).unwrap(), p);
    }

    #[test]
    fn a_uri_with_the_local_host_names_the_same_file_and_another_host_none() {
        let uri = |s: &str| s.parse::<lt::Uri>().unwrap();
        for local in [
            "file:///tmp/p.policy",
            "file://localhost/tmp/p.policy",
            "file://LocalHost/tmp/p.policy",
        ] {
            assert_eq!(
                uri_to_path(&uri(local)).as_deref(),
                Some(Path::new("/tmp/p.policy")),
                "{local}"
            );
        }
        for other in [
            "file://server/tmp/p.policy",
            "file://localhostx/p.policy",
            "untitled:Untitled-1",
            "file://localhost",
        ] {
            assert_eq!(uri_to_path(&uri(other)), None, "{other}");
        }
    }
}
