//! The compiler side end to end: find the policy files and the inventory,
//! read them safely, parse, resolve, lint, and (when clean) build the bundle.

use crate::bundle::{self, Bundle};
use crate::checks::Code;
use crate::config::{self, CONFIG_FILE, Config};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::inventory;
use crate::lint::rules::{excluded_deny, no_policies};
use crate::lint::{self, LintContext, suppression};
use crate::sema::{self, Program};
use crate::source::{
    BadUtf8, FileId, SourceFile, SourceMap, Span, decode, display_path, io_message, read_limited,
    relative_path,
};
use crate::syntax::{self, syntax_error};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The largest policy, inventory, configuration or issue snapshot read by
/// default, in bytes (64 MiB: an inventory of 200,000 lanes is about 16 to
/// 30 MB). `check` and `build` take another limit with
/// `--max-input-bytes` ([`Options::max_input_bytes`]). The YAML reader's
/// budget grows with the file actually read (see `crate::yaml::read`),
/// not with this limit.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// The inventory's file name.
pub const INVENTORY_FILE: &str = "lanes.yaml";

/// What to compile.
#[derive(Debug, Clone)]
pub struct Options {
    /// Policy files or directories (searched recursively for `*.policy`).
    pub paths: Vec<PathBuf>,
    /// The inventory; by default the nearest `lanes.yaml` in the first
    /// path's directory or its parents.
    pub inventory: Option<PathBuf>,
    /// The project root that paths in diagnostics and the bundle are relative to.
    pub root: PathBuf,
    /// Today's date (UTC), for date-based lints.
    pub today: jiff::civil::Date,
    /// The configuration; by default `lanepolicy.yaml` beside the inventory.
    pub config: Option<PathBuf>,
    /// An issue-state snapshot for the `issue-closed` lint.
    pub issues: Option<PathBuf>,
    /// Whether to build the bundle when there is no error (`check` does not need it).
    pub build: bool,
    /// The largest input file read, in bytes ([`MAX_SOURCE_BYTES`] by default).
    pub max_input_bytes: u64,
    /// In-memory texts that stand in for files on disk (an editor's unsaved
    /// buffers), keyed by canonical absolute path. Consulted wherever a
    /// policy file, the inventory or the configuration is read; empty for
    /// the command line.
    pub overlay: BTreeMap<PathBuf, String>,
}

impl Options {
    /// Options for `paths` with everything else found the default way.
    pub fn new(paths: Vec<PathBuf>, root: PathBuf, today: jiff::civil::Date) -> Self {
        Options {
            paths,
            inventory: None,
            root,
            today,
            config: None,
            issues: None,
            build: true,
            max_input_bytes: MAX_SOURCE_BYTES,
            overlay: BTreeMap::new(),
        }
    }
}

/// A failure that is not about the content of a file: a missing or
/// unreadable file, a directory without policies. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The path concerned, as shown.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for Failure {}

/// The result of compiling: every diagnostic, and the bundle when there is
/// no error.
#[derive(Debug)]
pub struct Compilation {
    /// Every file read, the inventory included.
    pub sources: SourceMap,
    /// Diagnostics, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The resolved program; empty when the bundle was built (`bundle` is
    /// `Some`), which took its parts rather than copying them. Compile
    /// with [`Options::build`] off to keep it.
    pub program: Program,
    /// The bundle, when no diagnostic is an error and it was asked for.
    pub bundle: Option<Bundle>,
    /// How many policy files were checked.
    pub policy_files: usize,
}

impl Compilation {
    /// True when any diagnostic that is not suppressed is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many diagnostics of `severity` are not suppressed.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity && d.suppressed.is_none())
            .count()
    }
}

/// Reads a file as UTF-8 (a byte order mark removed), or says where it is not.
/// Returns the source file, plus the byte offset of invalid UTF-8 if any (then
/// the text is decoded lossily so the error can be shown in context).
fn read_source(
    path: &Path,
    shown: &str,
    hash: bool,
    limit: u64,
) -> Result<(SourceFile, Option<BadUtf8>), Failure> {
    let fail = |message: String| Failure {
        path: shown.to_string(),
        message,
    };
    let bytes = read_limited(path, limit).map_err(|message| {
        // `check` and `build` can raise the limit.
        if message.contains("over the limit") {
            fail(format!(
                "{message}; `check` and `build` take a higher one with `--max-input-bytes`"
            ))
        } else {
            fail(message)
        }
    })?;
    // Only a bundle records the digest of its sources.
    let sha = if hash {
        bundle::canonical::hex(&Sha256::digest(&bytes))
    } else {
        String::new()
    };
    let decoded = decode(&bytes);
    Ok((SourceFile::new(shown, decoded.text, sha), decoded.bad))
}

/// A source file from an in-memory text (see [`Options::overlay`]), a byte
/// order mark removed as for a file read from disk.
fn overlay_source(text: &str, shown: &str, hash: bool) -> SourceFile {
    let sha = if hash {
        bundle::canonical::hex(&Sha256::digest(text.as_bytes()))
    } else {
        String::new()
    };
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    SourceFile::new(shown, body.to_string(), sha)
}

/// The configuration of the project whose inventory is `inventory`:
/// [`CONFIG_FILE`] beside it, when there is one. The one lookup `check`,
/// `build` and `fmt` share (`--config` overrides it for the first two).
pub(crate) fn config_beside(inventory: &Path) -> Option<PathBuf> {
    let p = inventory
        .parent()
        .unwrap_or(Path::new("."))
        .join(CONFIG_FILE);
    present(&p).then_some(p)
}

/// E001 (or E201 for the inventory) at the first byte that is not UTF-8.
fn not_utf8(code: Code, file: usize, src: &SourceFile, bad: BadUtf8) -> Diagnostic {
    let at = bad.text_offset.min(src.text.len());
    let end = src.text[at..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8());
    syntax_error::not_utf8(code, file, Span::new(at, end), bad.byte_offset)
}

/// Finds the policy files under `paths`, sorted, each once.
pub fn policy_files(
    paths: &[PathBuf],
    root: &Path,
    config: &Config,
) -> Result<Vec<PathBuf>, Failure> {
    policy_files_and_left_out(paths, root, config).map(|(kept, _)| kept)
}

/// [`policy_files`], and the `.policy` files found that the
/// configuration's `include` and `exclude` leave out, each list sorted.
fn policy_files_and_left_out(
    paths: &[PathBuf],
    root: &Path,
    config: &Config,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Failure> {
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for p in paths {
        // An inventory or a configuration stands for the policies beside it
        // (pre-commit passes changed files, and those may be YAML).
        let named = p.file_name().and_then(|n| n.to_str());
        let p = &match named {
            Some(INVENTORY_FILE | CONFIG_FILE) => match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            },
            _ => p.clone(),
        };
        let meta = std::fs::metadata(p).map_err(|e| Failure {
            path: display_path(p, root),
            message: io_message(&e),
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, root, config, &mut found)?;
            for f in found {
                if config.walks(&f) {
                    out.push(f);
                } else {
                    left_out.push(f);
                }
            }
        } else if !config.excludes(p) {
            out.push(p.clone());
        } else {
            left_out.push(p.clone());
        }
    }
    // The same file named twice (`a.policy`, `./a.policy`) is read once.
    for list in [&mut out, &mut left_out] {
        let mut seen = BTreeSet::new();
        list.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
        list.sort();
    }
    Ok((out, left_out))
}

/// True for a policy file's name: ending in `.policy`, in any case
/// (`FREEZE.POLICY`, and a file named just `.policy`, are policy files,
/// not files to skip silently).
pub(crate) fn is_policy_file(path: &Path) -> bool {
    // By its bytes: a name that is not UTF-8 is still a policy file (and
    // is then refused by name), never skipped.
    path.file_name().is_some_and(|n| {
        let n = n.as_encoded_bytes();
        n.len() >= ".policy".len()
            && n[n.len() - ".policy".len()..].eq_ignore_ascii_case(b".policy")
    })
}

/// True for a file name that may be shown as a policy file's without
/// ending in `.policy`, which the walk therefore refuses rather than
/// skips (a directory listing shows `freeze.policy`, and skipping it
/// would silently drop its rules, a freeze among them):
///
/// - a plain ASCII name that ends in `.policy` once white space is
///   dropped and trailing dots are trimmed (`freeze.policy `,
///   `freeze. policy`, `freeze.policy.`);
/// - a name that is not plain ASCII, unless it has no invisible or
///   control character and ends in a plain ASCII extension other than
///   `policy` (`Übersicht.md` is skipped). Such a name can be drawn as
///   anything: combining marks (`freeze.policy\u{301}`), bidi controls
///   (`freeze.\u{202e}ycilop`), blanks that are not white space (U+2800),
///   letters no table of look-alikes covers (small capitals, Cherokee),
///   dots that are not `.` (`·`, `。`). A name that is not UTF-8 is not
///   plain ASCII either.
///
/// Editors' leftovers (`freeze.policy~`, `#freeze.policy#`,
/// `.freeze.policy.swp`, `freeze.policy.bak`) are skipped as before.
pub(crate) fn reads_as_policy_file(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    if is_policy_file(path) {
        return false;
    }
    let name = name.to_string_lossy();
    if name.is_ascii() {
        let squeezed: String = name.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let squeezed = squeezed.trim_end_matches('.').as_bytes();
        return squeezed.len() >= ".policy".len()
            && squeezed[squeezed.len() - ".policy".len()..].eq_ignore_ascii_case(b".policy");
    }
    if name
        .chars()
        .any(|c| c.is_control() || crate::model::is_invisible(c))
    {
        return true;
    }
    !name.rsplit_once('.').is_some_and(|(_, ext)| {
        !ext.is_empty()
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            && !ext.eq_ignore_ascii_case("policy")
    })
}

/// The policy files under `dir` ([`find_files`]), and the names that may
/// be shown as one's ([`reads_as_policy_file`]) that `exclude` leaves out
/// (they are left out as an excluded policy file is, and L019 reads them
/// for denies). Any other such name is refused.
fn walk(dir: &Path, root: &Path, config: &Config, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let start = out.len();
    find_files(
        dir,
        root,
        &|p| is_policy_file(p) || reads_as_policy_file(p),
        out,
    )?;
    // Refused, never skipped: the name is to be fixed.
    if let Some(near) = out[start..]
        .iter()
        .find(|p| !is_policy_file(p) && !config.excludes(p))
    {
        // Every character that is not printable ASCII as its escape, so
        // that what differs from `.policy` shows.
        let shown: String = near
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    c.to_string()
                } else {
                    c.escape_unicode().to_string()
                }
            })
            .collect();
        // The path's own name escaped too: a no-break space shown as a
        // space would hide what is wrong.
        let dir = near.parent().map(|d| display_path(d, root));
        return Err(Failure {
            path: match dir {
                Some(d) if !d.is_empty() && d != "." => format!("{d}/{shown}"),
                _ => shown.clone(),
            },
            message: format!(
                "the name `{shown}` may be shown as a policy file's but does not end in `.policy`; rename it (plain ASCII, ending in `.policy` for a policy file), or its rules would be left out"
            ),
        });
    }
    Ok(())
}

/// Finds, recursively, the files under `dir` whose path `wanted` accepts,
/// appending them to `out` (as found: under `dir`, links not resolved).
///
/// Symbolic links are followed, to files and to directories alike, so a
/// policy kept in a linked directory is never left out. A link that points
/// at a directory being walked (a loop) and a link that points at nothing
/// are errors, as are an entry or a directory that cannot be read: a file
/// discovery never skips what it cannot see. A directory reached twice
/// through different links is walked once (its files would be read once
/// anyway).
///
/// # Errors
///
/// A [`Failure`] naming the entry (shown relative to `root`): unreadable,
/// a broken link, or a link loop.
pub(crate) fn find_files(
    dir: &Path,
    root: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), Failure> {
    let mut stack = Vec::new();
    let mut seen = BTreeSet::new();
    walk_dir(dir, root, wanted, out, &mut stack, &mut seen)
}

fn walk_dir(
    dir: &Path,
    root: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
    stack: &mut Vec<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
) -> Result<(), Failure> {
    let fail = |path: &Path, e: &std::io::Error| Failure {
        path: display_path(path, root),
        message: io_message(e),
    };
    let real = dir.canonicalize().map_err(|e| fail(dir, &e))?;
    if let Some(outer) = stack.iter().find(|d| **d == real) {
        return Err(Failure {
            path: display_path(dir, root),
            message: format!(
                "a symbolic link loop: this directory is `{}` again; remove the link",
                display_path(outer, root)
            ),
        });
    }
    if !seen.insert(real.clone()) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| fail(dir, &e))?;
    let mut entries = entries
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(dir, &e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    stack.push(real);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| fail(&path, &e))?;
        let is_dir = if kind.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(meta) => meta.is_dir(),
                Err(e) => {
                    return Err(Failure {
                        path: display_path(&path, root),
                        message: format!(
                            "a symbolic link that cannot be followed ({}); fix or remove it",
                            io_message(&e)
                        ),
                    });
                }
            }
        } else {
            kind.is_dir()
        };
        if is_dir {
            walk_dir(&path, root, wanted, out, stack, seen)?;
        } else if wanted(&path) {
            out.push(path);
        }
    }
    stack.pop();
    Ok(())
}

/// The project root that bundle paths are relative to: the nearest
/// directory at or above the inventory's that holds `.git`, or else the
/// inventory's own directory. It does not depend on the current directory,
/// so the same sources give the same bundle wherever it is built from.
pub(crate) fn project_root(inventory: &Path) -> PathBuf {
    let abs = inventory
        .canonicalize()
        .unwrap_or_else(|_| inventory.to_path_buf());
    let dir = abs
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map_or(dir.clone(), Path::to_path_buf)
}

/// The nearest `lanes.yaml` in `start` (a file's directory, or a directory)
/// or its parents.
///
/// The directories are those of the path as written (a policy directory
/// that is a symbolic link belongs to the project it is linked into), and
/// then, when none is found there, those of the path with links resolved.
/// A `lanes.yaml` that exists in any form counts, a broken link included:
/// reading it then says what is wrong, rather than a farther inventory
/// being taken in its place.
pub(crate) fn find_inventory(start: &Path) -> Option<PathBuf> {
    let dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    let dir = dir.map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    })?;
    let logical = std::path::absolute(dir).ok().filter(|p| {
        !p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    });
    logical
        .into_iter()
        .chain(dir.canonicalize().ok())
        .find_map(|base| {
            base.ancestors()
                .map(|d| d.join(INVENTORY_FILE))
                .find(|p| present(p))
        })
}

/// The paths of one call grouped by project: each path with the nearest
/// inventory of its own (an inventory or a configuration named stands for
/// its directory), groups in the order their first path was given, paths
/// in their given order. A path without an inventory is a group of its own
/// (`None`), so that compiling it says so.
///
/// One call may name files of several projects (a pre-commit hook passes
/// every changed file); each file is checked against its own inventory and
/// configuration, never the first one's.
pub fn projects(paths: &[PathBuf]) -> Vec<(Option<PathBuf>, Vec<PathBuf>)> {
    let mut groups: Vec<(Option<PathBuf>, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        let named = p.file_name().and_then(|n| n.to_str());
        let start = match named {
            Some(INVENTORY_FILE | CONFIG_FILE) => match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            },
            _ => p.clone(),
        };
        let inv = find_inventory(&start).map(|i| i.canonicalize().unwrap_or(i));
        match groups.iter_mut().find(|(k, _)| *k == inv) {
            Some((_, list)) => list.push(p.clone()),
            None => groups.push((inv, vec![p.clone()])),
        }
    }
    groups
}

/// True when something is at `path`, a broken symbolic link included.
pub(crate) fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Reads an issue-state snapshot (`gh issue list --state all --json
/// number,state,url`): a JSON array of objects with `state` and `url` or
/// `number`. Returns the URLs of closed issues; `#N` numbers resolve against
/// the inventory's `issues:` base.
pub fn closed_issues(
    path: &Path,
    shown: &str,
    base: Option<&str>,
) -> Result<BTreeSet<String>, Failure> {
    let bytes = read_limited(path, MAX_SOURCE_BYTES).map_err(|message| Failure {
        path: shown.to_string(),
        message,
    })?;
    closed_issues_in(&bytes, shown, base)
}

/// [`closed_issues`] of a snapshot already read (`bytes`), `shown` as its
/// path in messages.
fn closed_issues_in(
    bytes: &[u8],
    shown: &str,
    base: Option<&str>,
) -> Result<BTreeSet<String>, Failure> {
    #[derive(serde::Deserialize)]
    struct IssueState {
        number: Option<u64>,
        state: String,
        url: Option<String>,
    }
    let fail = |message: String| Failure {
        path: shown.to_string(),
        message,
    };
    let expected = "expected `gh issue list --state all --json number,state,url`";
    // A key written twice is refused, as in a bundle: which of two states
    // counts would be the reader's guess.
    let value: serde_json::Value =
        serde_json::from_slice::<crate::strict_value::StrictValue>(bytes)
            .map(|v| v.0)
            .map_err(|e| {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                fail(format!(
                    "line {}, column {}: not JSON ({msg}); {expected}",
                    e.line(),
                    e.column().max(1)
                ))
            })?;
    let states: Vec<IssueState> = serde_json::from_value(value)
        .map_err(|e| fail(format!("not an issue snapshot ({e}); {expected}")))?;
    // GitHub's issues are `OPEN` or `CLOSED`: any other state (`MERGED`,
    // which is a pull request's) is not read as open in silence.
    if let Some((k, s)) = states.iter().enumerate().find(|(_, s)| {
        !s.state.eq_ignore_ascii_case("open") && !s.state.eq_ignore_ascii_case("closed")
    }) {
        return Err(fail(format!(
            "entry {k} has state `{}`, which is neither `OPEN` nor `CLOSED`; {expected}",
            crate::model::shown(&s.state)
        )));
    }
    Ok(states
        .into_iter()
        .filter(|s| s.state.eq_ignore_ascii_case("closed"))
        .filter_map(|s| s.url.or_else(|| Some(format!("{}{}", base?, s.number?))))
        .map(|url| crate::model::issue_key(&url))
        .collect())
}

/// A file's text as read: the source, and where it stops being UTF-8 (then
/// the text is decoded lossily, for the error's context).
type Read = (SourceFile, Option<BadUtf8>);

/// A policy file the configuration leaves out: its text (decoded lossily
/// when it is not UTF-8; its `bundle_path` is project-relative) and the
/// key that left it out.
#[derive(Debug, Clone)]
struct LeftOut {
    source: SourceFile,
    by: &'static str,
}

/// Every input of one compilation, in memory: the configuration, the
/// inventory, the policy files (and those the configuration leaves out),
/// the issue snapshot, today's date. [`load`] reads them (all the I/O of a
/// compilation); [`compile_inputs`] compiles them and opens no file, so
/// tests, the language server and the Python package can compile text
/// they hold ([`Inputs::from_texts`]).
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Today's date (UTC), for date-based lints.
    pub today: jiff::civil::Date,
    /// Whether to build the bundle when there is no error.
    pub build: bool,
    /// The configuration's text and the directory its globs are relative to.
    config: Option<(Read, PathBuf)>,
    inventory: Read,
    policies: Vec<Read>,
    left_out: Vec<LeftOut>,
    /// The issue snapshot (`--issues`): its path as shown, and its bytes.
    issues: Option<(String, Vec<u8>)>,
}

impl Inputs {
    /// Inputs from texts held in memory: the inventory `(path, text)`, the
    /// policy files, and optionally the configuration (its globs relative
    /// to the inventory's directory). Paths are as shown in diagnostics
    /// and written in the bundle (project-relative, e.g. `lanes.yaml`,
    /// `policies/cm.policy`). A leading byte order mark is removed, as from
    /// a file.
    pub fn from_texts(
        inventory: (&str, &str),
        policies: &[(&str, &str)],
        config: Option<(&str, &str)>,
        today: jiff::civil::Date,
    ) -> Inputs {
        let text = |(path, text): (&str, &str)| -> Read {
            let mut src = overlay_source(text, path, true);
            src.bundle_path = path.to_string();
            (src, None)
        };
        let base = Path::new(inventory.0)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Inputs {
            today,
            build: true,
            config: config.map(|c| (text(c), base)),
            inventory: text(inventory),
            policies: policies.iter().map(|&p| text(p)).collect(),
            left_out: Vec::new(),
            issues: None,
        }
    }
}

/// The first word of each line of `text` (lines end at `\n` or `\r`)
/// that is `deny` or reads as it ([`crate::model::reads_as`]: `DENY`,
/// `Deny`, fullwidth letters), for L019 in a left-out file that does not
/// parse. Errs towards reporting: a prose line starting with "Deny" in a
/// broken file is reported too.
fn denies_by_eye(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let lead = line.len() - line.trim_start().len();
        let word = line[lead..]
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        if !word.is_empty() && (word == "deny" || crate::model::reads_as(word, "deny")) {
            out.push(Span::new(at + lead, at + lead + word.len()));
        }
        at += line.len();
    }
    out
}

/// Compiles the policies: [`load`], then [`compile_inputs`]. Content
/// problems are diagnostics in the [`Compilation`]; a [`Failure`] means a file
/// could not be found or read, or the issue snapshot is not one.
pub fn compile(opts: &Options) -> Result<Compilation, Failure> {
    compile_inputs(&load(opts)?)
}

/// Reads every input of a compilation: finds the inventory (from the first
/// path, or `--inventory`) and the configuration beside it, lists the
/// policy files (the configuration's `include` and `exclude` applied),
/// and reads them all, unsaved editor buffers ([`Options::overlay`])
/// standing in for files. The only I/O of a compilation.
///
/// # Errors
///
/// A [`Failure`] for a path that does not exist, no inventory, an
/// unreadable or oversized file, files named one by one and all excluded,
/// or a policy file of another project.
pub fn load(opts: &Options) -> Result<Inputs, Failure> {
    let first = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    // A path that does not exist is reported as such, before the inventory
    // is looked for from it.
    for p in &opts.paths {
        if let Err(e) = std::fs::metadata(p) {
            return Err(Failure {
                path: display_path(p, &opts.root),
                message: io_message(&e),
            });
        }
    }
    let inv_path = match &opts.inventory {
        Some(p) => p.clone(),
        None => find_inventory(&first).ok_or_else(|| Failure {
            path: display_path(&first, &opts.root),
            message: format!(
                "no {INVENTORY_FILE} found here or in any parent directory; pass `--inventory FILE`"
            ),
        })?,
    };
    let root = opts
        .root
        .canonicalize()
        .unwrap_or_else(|_| opts.root.clone());
    let project = project_root(&inv_path);
    let read = |p: &Path| -> Result<Read, Failure> {
        let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        if let Some(message) = crate::source::unrecordable_name(&abs, &project) {
            return Err(Failure {
                path: display_path(&abs, &root),
                message,
            });
        }
        let (mut src, bad) = match opts.overlay.get(&abs) {
            Some(text) => (
                overlay_source(text, &display_path(&abs, &root), opts.build),
                None,
            ),
            None => read_source(
                p,
                &display_path(&abs, &root),
                opts.build,
                opts.max_input_bytes,
            )?,
        };
        src.bundle_path = relative_path(&abs, &project);
        Ok((src, bad))
    };
    let shown = |p: &Path| {
        let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        display_path(&abs, &root)
    };

    // The configuration: `--config`, or lanepolicy.yaml beside the inventory.
    // Read here for the files it includes and excludes; its diagnostics
    // come from `compile_inputs`.
    // An editor's buffer of a configuration not yet saved counts too.
    let config_path = opts
        .config
        .clone()
        .or_else(|| config_beside(&inv_path))
        .or_else(|| {
            let p = inv_path.parent()?.canonicalize().ok()?.join(CONFIG_FILE);
            opts.overlay.contains_key(&p).then_some(p)
        });
    let config_read = match &config_path {
        None => None,
        Some(path) => {
            let base = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            Some((read(path)?, base))
        }
    };
    let config = match &config_read {
        Some(((src, None), base)) => config::load(src, 0, base).0,
        _ => Config::default(),
    };

    let (mut files, left_out) = policy_files_and_left_out(&opts.paths, &opts.root, &config)?;
    // An editor's buffer of a policy file not yet saved, under a directory
    // being compiled, is a policy file too.
    if !opts.overlay.is_empty() {
        let dirs: Vec<PathBuf> = opts
            .paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
            .collect();
        let on_disk: BTreeSet<PathBuf> = files
            .iter()
            .map(|f| f.canonicalize().unwrap_or_else(|_| f.clone()))
            .collect();
        for path in opts.overlay.keys() {
            if is_policy_file(path)
                && !on_disk.contains(path)
                && dirs.iter().any(|d| path.starts_with(d))
                && config.walks(path)
            {
                files.push(path.clone());
            }
        }
        files.sort();
    }
    // No policy file under a directory is a policy set without rules (the
    // last file deleted): it builds, and its bundle denies everything.
    // Files named one by one and all excluded are a mistake in the call.
    if files.is_empty()
        && let Some(excluded) = opts
            .paths
            .iter()
            .find(|p| p.is_file() && config.excludes(p))
    {
        return Err(Failure {
            path: display_path(excluded, &opts.root),
            message: format!(
                "excluded by `exclude` in {CONFIG_FILE}; no `.policy` files left to check"
            ),
        });
    }

    // A file under a directory that belongs to another project (a nested
    // `lanes.yaml` nearer to it) is not checked against this inventory.
    if opts.inventory.is_none() {
        let ours = inv_path.canonicalize().unwrap_or_else(|_| inv_path.clone());
        let mut nearest: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
        for f in &files {
            let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
            let own = nearest
                .entry(dir)
                .or_insert_with(|| find_inventory(f).map(|i| i.canonicalize().unwrap_or(i)));
            if let Some(own) = own.as_ref().filter(|own| **own != ours) {
                return Err(Failure {
                    path: shown(f),
                    message: format!(
                        "belongs to the project of {}, not of {}; check each project on its own (name its directory or files)",
                        display_path(own, &root),
                        display_path(&ours, &root)
                    ),
                });
            }
        }
    }

    let inventory = read(&inv_path)?;
    let policies = files
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, Failure>>()?;
    // Left out: listed in the bundle, and read (when they can be) only to
    // find the denies they would drop.
    let left_out = left_out
        .iter()
        .map(|path| {
            let by = if config.excludes(path) {
                "exclude"
            } else {
                "include"
            };
            // Read to find the denies it would drop: a file that is not
            // UTF-8 is read as decoded for its error (a deny in it still
            // counts), and one that cannot be read fails the compilation,
            // since what it holds cannot be known.
            let (src, _) = read(path)?;
            Ok(LeftOut { source: src, by })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let issues = match &opts.issues {
        None => None,
        Some(path) => {
            let shown = shown(path);
            let bytes = read_limited(path, MAX_SOURCE_BYTES).map_err(|message| Failure {
                path: shown.clone(),
                message,
            })?;
            Some((shown, bytes))
        }
    };
    Ok(Inputs {
        today: opts.today,
        build: opts.build,
        config: config_read,
        inventory,
        policies,
        left_out,
        issues,
    })
}

/// Compiles inputs held in memory, opening no file: parse, load the
/// inventory and the configuration, resolve, lint, apply suppressions and
/// severities, build. The pure core every front end calls (the command
/// line through [`compile`], the language server, the Python package).
///
/// # Errors
///
/// A [`Failure`] only when the issue snapshot is not one; every problem of
/// a policy, the inventory or the configuration is a diagnostic.
pub fn compile_inputs(inputs: &Inputs) -> Result<Compilation, Failure> {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let mut suppressions = Vec::new();

    let mut config_id = None;
    let config = match &inputs.config {
        None => Config::default(),
        Some(((src, bad), base)) => {
            let id = sources.add(src.clone());
            // The configuration decides which guards stand: a source of
            // the bundle, under its digest.
            config_id = Some(id);
            if let Some(bad) = bad {
                diagnostics.push(not_utf8(Code::E202, id, sources.get(id), *bad));
                Config::default()
            } else {
                let (config, mut d) = config::load(sources.get(id), id, base);
                diagnostics.append(&mut d);
                config
            }
        }
    };

    // The policy files are parsed on a second thread while this one loads
    // the inventory: the two are independent, and both count in a
    // pre-commit hook's latency. The inventory's file id is known before
    // it is added: it is the next one.
    let inv_id = sources.files().len();
    let parse_policies = || {
        inputs
            .policies
            .iter()
            .map(|(src, bad)| {
                bad.is_none()
                    .then(|| syntax::parser::parse_decoded(&src.text))
            })
            .collect::<Vec<_>>()
    };
    let read_inventory = || {
        let (src, bad) = &inputs.inventory;
        let mut diags = Vec::new();
        let mut supp = Vec::new();
        let loaded = match bad {
            Some(off) => {
                diags.push(not_utf8(Code::E201, inv_id, src, *off));
                None
            }
            None => {
                supp = suppression::from_yaml(inv_id, &src.text, &mut diags);
                match inventory::load(src, inv_id) {
                    Ok(inv) => Some(inv),
                    Err(mut d) => {
                        diags.append(&mut d);
                        None
                    }
                }
            }
        };
        (loaded, diags, supp)
    };
    // Small inputs are read on this thread alone: a second thread costs
    // more to start (its stack, its allocator's pages) than it saves.
    let policy_bytes: usize = inputs.policies.iter().map(|(s, _)| s.text.len()).sum();
    let (inv_read, parsed_policies) =
        if policy_bytes.min(inputs.inventory.0.text.len()) < PARALLEL_FROM_BYTES {
            (read_inventory(), Ok(parse_policies()))
        } else {
            std::thread::scope(|scope| {
                let policies = scope.spawn(parse_policies);
                (read_inventory(), policies.join())
            })
        };
    let (inventory, mut inv_diags, inv_supp) = inv_read;
    let parsed_policies = parsed_policies.map_err(|_| Failure {
        path: inputs.inventory.0.path.clone(),
        message: "internal error while parsing the policy files".into(),
    })?;
    let added = sources.add(inputs.inventory.0.clone());
    debug_assert_eq!(added, inv_id);
    let mut bundle_sources: Vec<FileId> = config_id.into_iter().chain([inv_id]).collect();
    diagnostics.append(&mut inv_diags);
    suppressions.extend(inv_supp);
    let closed = match &inputs.issues {
        Some((shown, bytes)) => closed_issues_in(
            bytes,
            shown,
            inventory.as_ref().and_then(|i| i.issues.as_deref()),
        )?,
        None => BTreeSet::new(),
    };

    let mut parsed = Vec::new();
    for ((src, bad), file) in inputs.policies.iter().zip(parsed_policies) {
        let id = sources.add(src.clone());
        bundle_sources.push(id);
        let (None, Some(file)) = (bad, file) else {
            if let Some(off) = bad {
                diagnostics.push(not_utf8(Code::E001, id, sources.get(id), *off));
            }
            continue;
        };
        for e in &file.errors {
            diagnostics.push(syntax_error::diagnostic(id, e));
        }
        // The last syntax error counts those past the cap, if any.
        if let Some(last) = diagnostics.last_mut().filter(|_| file.hidden_errors > 0) {
            last.hidden = file.hidden_errors;
        }
        suppressions.extend(suppression::from_policy(
            id,
            &sources.get(id).text,
            &file,
            &mut diagnostics,
        ));
        parsed.push((id, file));
    }

    // Policy files the configuration leaves out are not compiled; a deny in
    // one is reported (L019), and the bundle lists them all.
    let mut excluded_policies = Vec::with_capacity(inputs.left_out.len());
    for left in &inputs.left_out {
        let src = &left.source;
        excluded_policies.push(src.bundle_path.clone());
        let file = syntax::parser::parse_decoded(&src.text);
        // Broken denies too: a syntax error must not make a freeze vanish
        // without a word.
        let mut denies: Vec<Span> = file
            .rules
            .iter()
            .filter(|r| r.effect == crate::model::Effect::Deny)
            .map(|r| r.keyword_span)
            .chain(file.broken_denies.iter().copied())
            .collect();
        // A file that does not parse may hold a freeze the parser could
        // not see as one (`DENY`, a fullwidth `ｄeny`, a line ended by a
        // lone carriage return): any line that starts with a word that
        // reads as `deny` counts.
        if !file.errors.is_empty() {
            denies.extend(denies_by_eye(&src.text));
        }
        denies.sort_by_key(|s| s.start);
        denies.dedup_by_key(|s| s.start);
        if denies.is_empty() {
            continue;
        }
        let id = sources.add(src.clone());
        for span in denies {
            diagnostics.push(excluded_deny::diagnostic(id, span, left.by, CONFIG_FILE));
        }
    }

    let mut program = Program::default();
    if let Some(inv) = &inventory {
        let index = sema::LaneIndex::new(inv);
        let mut grants = sema::GrantCount::new(config.max_grants);
        for (id, file) in parsed {
            let mut rules =
                sema::resolve_indexed(id, file, inv, &index, &mut grants, &mut diagnostics);
            // The first file's rules are taken as they are, not copied: a
            // copy would hold every rule twice at the peak.
            if program.rules.is_empty() {
                program.rules = rules;
            } else {
                program.rules.append(&mut rules);
            }
        }
        // The rules hold what they need of the syntax trees, which went
        // rule by rule; the lane index goes before the lints.
        drop(index);
        let ctx = LintContext {
            program: &program,
            inventory: inv,
            today: inputs.today,
            expires_soon_days: config.expires_soon_days,
            closed_issues: closed,
        };
        // Every lint runs, those configured `off` included: what a lowered
        // check finds is recorded in the bundle (below). Each lint is
        // O(n log n) in rules and entries, so running one is cheap. Past
        // the limit of grants (E110) none runs: their cost is the grants'.
        if !grants.passed() {
            diagnostics.extend(lint::run(&ctx));
        }
        if program.rules.is_empty() && !diagnostics.iter().any(|d| d.severity == Severity::Error) {
            diagnostics.push(no_policies::diagnostic(inv_id, inputs.policies.len()));
        }
    }
    // What the configuration lowers is recorded before it is applied: on
    // each rule, the findings that would have been reported at their
    // default severity; in the bundle, the checks lowered.
    let mut lowered: Vec<(FileId, usize, Code, Option<Severity>, String)> = diagnostics
        .iter()
        .filter(|d| !d.check().is_error_code() && lowers(&config, d.code))
        .map(|d| {
            (
                d.file,
                d.span.start,
                d.code,
                config.severity(d.code),
                d.message.clone(),
            )
        })
        .collect();
    // Sorted by (file, position), each rule finds its own with two binary
    // searches: O((rules + findings) log findings), not rules x findings.
    lowered.sort_by_key(|x| (x.0, x.1));
    for rule in &mut program.rules {
        let from = lowered.partition_point(|x| (x.0, x.1) < (rule.file, rule.span.start));
        let to = lowered.partition_point(|x| (x.0, x.1) < (rule.file, rule.span.end));
        let mut found: Vec<_> = lowered[from..to]
            .iter()
            .map(|(_, _, code, sev, message)| (*code, *sev, message.clone()))
            .collect();
        found.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        found.dedup();
        rule.lowered = found;
    }
    // Severities from the configuration (errors are never configured), then suppressions.
    diagnostics.retain_mut(|d| {
        if d.check().is_error_code() {
            return true;
        }
        match config.severity(d.code) {
            Some(s) => {
                d.severity = s;
                true
            }
            None => false,
        }
    });
    suppression::apply(&suppressions, &mut diagnostics, |c| config.is_off(c));
    // The bundle records the suppressions that silenced a finding on a rule.
    // The suppressed findings by (file, position): each rule looks up its
    // own span's range of them.
    let mut silenced: Vec<(FileId, usize, Code, &str)> = diagnostics
        .iter()
        .filter_map(|d| {
            d.suppressed
                .as_deref()
                .map(|reason| (d.file, d.span.start, d.code, reason))
        })
        .collect();
    silenced.sort_unstable();
    for rule in &mut program.rules {
        let from = silenced.partition_point(|s| (s.0, s.1) < (rule.file, rule.span.start));
        let to = silenced.partition_point(|s| (s.0, s.1) < (rule.file, rule.span.end));
        let mut used: Vec<(Code, String)> = silenced[from..to.max(from)]
            .iter()
            .map(|s| (s.2, s.3.to_string()))
            .collect();
        used.sort();
        used.dedup();
        rule.suppressions = used;
    }
    diagnostic::sort(&mut diagnostics, &sources);
    // What the bundle records (lowered findings, suppressions) was taken
    // from every diagnostic above; what is reported is capped per check
    // and file.
    diagnostic::cap_per_check(&mut diagnostics);
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && d.suppressed.is_none());
    // The bundle takes the program's and the inventory's parts as it is
    // built (see `bundle::build`): the program left is empty.
    let bundle = match inventory {
        Some(inv) if inputs.build && !has_errors => Some(bundle::build(
            std::mem::take(&mut program),
            inv,
            &sources,
            &bundle_sources,
            lowered_checks(&config),
            excluded_policies,
        )),
        _ => None,
    };
    Ok(Compilation {
        sources,
        diagnostics,
        program,
        bundle,
        policy_files: inputs.policies.len(),
    })
}

/// The size from which the policy files are parsed on a second thread
/// while the inventory is read, in bytes of the smaller of the two (the
/// policy files together, the inventory).
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// True when the configuration gives `code` a lower severity than its
/// default: off, or a warning for a check that is an error by default.
fn lowers(config: &Config, code: Code) -> bool {
    let rank = |s: Option<Severity>| match s {
        None => 0,
        Some(Severity::Warning) => 1,
        Some(_) => 2,
    };
    rank(config.severity(code)) < rank(Some(code.check().default_severity))
}

/// The checks the configuration lowers, in code order, for the bundle.
fn lowered_checks(config: &Config) -> Vec<bundle::LoweredCheck> {
    config
        .severities
        .keys()
        .filter(|c| lowers(config, **c))
        .map(|c| bundle::LoweredCheck {
            code: c.check().code.to_string(),
            name: c.check().name.to_string(),
            default: c.check().default_severity.as_str().to_string(),
            severity: config
                .severity(*c)
                .map_or("off", |s| s.as_str())
                .to_string(),
        })
        .collect()
}

/// Replaces the file at `path` with `text` atomically: the text goes to a
/// temporary file beside it (with the file's permissions), which is then
/// renamed over it, so a reader sees the old file or the new one, never
/// half of one. A symbolic link is followed: its target is replaced.
pub(crate) fn write_atomic(path: &Path, text: &str, shown: &str) -> Result<(), Failure> {
    Staged::write(path, shown, |f| {
        std::io::Write::write_all(f, text.as_bytes())
            .map_err(|e| format!("cannot write: {}", io_message(&e)))
    })?
    .commit()
}

/// A file being replaced atomically ([`write_atomic`]): its new content
/// is in a temporary file beside it, which [`Staged::commit`] renames
/// over it; dropped uncommitted, the temporary file is removed and the
/// file is left as it was.
pub(crate) struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    shown: String,
    committed: bool,
}

impl Staged {
    /// Creates the temporary file for `path` (a symbolic link is followed),
    /// lets `fill` write it through a buffer, gives it the permissions of
    /// the file it replaces and syncs it to disk.
    ///
    /// # Errors
    ///
    /// `fill`'s message, or `cannot write: ...` for an I/O error; the
    /// temporary file is then removed.
    pub(crate) fn write(
        path: &Path,
        shown: &str,
        fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), String>,
    ) -> Result<Staged, Failure> {
        let fail = |message: String| Failure {
            path: shown.to_string(),
            message,
        };
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .ok_or_else(|| fail("not a file name".into()))?;
        let io = |e: std::io::Error| format!("cannot write: {}", io_message(&e));
        let (tmp, file) =
            temporary_beside(dir, &name.to_string_lossy()).map_err(|e| fail(io(e)))?;
        // From here on the temporary file exists: dropping `staged`
        // removes it.
        let staged = Staged {
            tmp,
            target,
            shown: shown.to_string(),
            committed: false,
        };
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        fill(&mut w).map_err(fail)?;
        let f = w.into_inner().map_err(|e| fail(io(e.into_error())))?;
        if let Ok(meta) = std::fs::metadata(&staged.target) {
            f.set_permissions(meta.permissions())
                .map_err(|e| fail(io(e)))?;
        }
        f.sync_all().map_err(|e| fail(io(e)))?;
        Ok(staged)
    }

    /// The temporary file, complete, to read back before it is committed.
    pub(crate) fn path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the temporary file over the target.
    ///
    /// # Errors
    ///
    /// `cannot write: ...`; the temporary file is then removed.
    pub(crate) fn commit(mut self) -> Result<(), Failure> {
        std::fs::rename(&self.tmp, &self.target).map_err(|e| Failure {
            path: self.shown.clone(),
            message: format!("cannot write: {}", io_message(&e)),
        })?;
        self.committed = true;
        Ok(())
    }
}

/// A new file beside the target `name` in `dir`, for [`Staged`]: named
/// `.NAME.tmp-PID-N` (the name cut to 150 bytes, so that a target name
/// near the system's limit still leaves room), with N chosen among many
/// so that a file left by a killed run, or by another process of the same
/// PID (another container), is never taken nor in the way.
fn temporary_beside(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut cut = name.len().min(150);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for attempt in 0..64u32 {
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{:x}",
            &name[..cut],
            std::process::id(),
            seed.wrapping_add(attempt.wrapping_mul(0x9e37_79b9))
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod staged_tests {
    use super::Staged;

    /// The names in `dir`, sorted.
    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_failed_write_leaves_the_file_as_it_was_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.json");
        std::fs::write(&path, "old").unwrap();
        let failed = Staged::write(&path, "bundle.json", |w| {
            std::io::Write::write_all(w, b"half of a new one").unwrap();
            Err("the bundle would be too large".into())
        });
        let f = failed.err().expect("the fill's error");
        assert_eq!(f.message, "the bundle would be too large");
        assert_eq!(f.path, "bundle.json");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["bundle.json"]);
    }

    #[test]
    fn an_uncommitted_file_is_removed_and_a_committed_one_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.json");
        std::fs::write(&path, "old").unwrap();
        let staged = Staged::write(&path, "bundle.json", |w| {
            std::io::Write::write_all(w, b"new").map_err(|e| e.to_string())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(staged.path()).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        drop(staged);
        assert_eq!(names(dir.path()), ["bundle.json"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        Staged::write(&path, "bundle.json", |w| {
            std::io::Write::write_all(w, b"new").map_err(|e| e.to_string())
        })
        .unwrap()
        .commit()
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), ["bundle.json"]);
    }
}
