//! The compiler side end to end: find the policy files and the inventory,
//! read them safely, parse, resolve, lint, and (when clean) build the bundle.

use crate::bundle::{self, Bundle};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::inventory;
use crate::lint::{self, LintContext, registry::Code};
use crate::sema::{self, Program};
use crate::source::{SourceFile, SourceMap, Span, display_path};
use crate::syntax;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The largest policy or inventory file read, in bytes (8 MiB).
pub const MAX_SOURCE_BYTES: u64 = 8 * 1024 * 1024;

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
pub struct Outcome {
    /// Every file read, the inventory included.
    pub sources: SourceMap,
    /// Diagnostics, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The resolved program.
    pub program: Program,
    /// The bundle, when no diagnostic is an error.
    pub bundle: Option<Bundle>,
    /// How many policy files were checked.
    pub policy_files: usize,
}

impl Outcome {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Where a file stops being UTF-8.
#[derive(Debug, Clone, Copy)]
struct BadUtf8 {
    /// Offset in the file's bytes.
    byte_offset: usize,
    /// Offset in the (lossily decoded, BOM-less) text.
    text_offset: usize,
}

/// Reads a file as UTF-8 (a byte order mark removed), or says where it is not.
/// Returns the source file, plus the byte offset of invalid UTF-8 if any (then
/// the text is decoded lossily so the error can be shown in context).
fn read_source(path: &Path, shown: &str) -> Result<(SourceFile, Option<BadUtf8>), Failure> {
    let fail = |message: String| Failure {
        path: shown.to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(io_message(&e)))?;
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(fail(format!(
            "file is {} bytes, over the limit of {MAX_SOURCE_BYTES} bytes",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(io_message(&e)))?;
    let sha = bundle::canonical::hex(&Sha256::digest(&bytes));
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok((SourceFile::new(shown, text.to_string(), sha), None)),
        Err(e) => {
            let text = String::from_utf8_lossy(body).into_owned();
            let bom = bytes.len() - body.len();
            let bad = BadUtf8 {
                byte_offset: e.valid_up_to() + bom,
                text_offset: e.valid_up_to(),
            };
            Ok((SourceFile::new(shown, text, sha), Some(bad)))
        }
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

/// E001 (or E201 for the inventory) at the first byte that is not UTF-8.
fn not_utf8(code: Code, file: usize, src: &SourceFile, bad: BadUtf8) -> Diagnostic {
    let at = bad.text_offset.min(src.text.len());
    let end = src.text[at..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8());
    Diagnostic::new(
        code,
        file,
        Span::new(at, end),
        format!("file is not valid UTF-8 at byte {}", bad.byte_offset),
    )
    .label("invalid UTF-8 here")
    .help("save the file as UTF-8")
}

/// Finds the policy files under `paths`, sorted, each once.
pub fn policy_files(paths: &[PathBuf], root: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Failure {
            path: display_path(p, root),
            message: io_message(&e),
        })?;
        if meta.is_dir() {
            walk(p, root, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| Failure {
        path: display_path(dir, root),
        message: io_message(&e),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, root, out)?;
        } else if path.extension().is_some_and(|e| e == "policy") {
            out.push(path);
        }
    }
    Ok(())
}

/// The nearest `lanes.yaml` in `start` (a file's directory, or a directory)
/// or its parents.
pub fn find_inventory(start: &Path) -> Option<PathBuf> {
    let dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    let abs = dir.map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    })?;
    let abs = abs.canonicalize().ok()?;
    abs.ancestors()
        .map(|d| d.join(INVENTORY_FILE))
        .find(|p| p.is_file())
}

/// Compiles the policies: parse, load the inventory, resolve, lint, build.
/// Content problems are diagnostics in the [`Outcome`]; a [`Failure`] means
/// a file could not be found or read.
pub fn compile(opts: &Options) -> Result<Outcome, Failure> {
    let files = policy_files(&opts.paths, &opts.root)?;
    let first = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let inv_path = match &opts.inventory {
        Some(p) => p.clone(),
        None => find_inventory(&first).ok_or_else(|| Failure {
            path: display_path(&first, &opts.root),
            message: format!(
                "no {INVENTORY_FILE} found here or in any parent directory; pass `--inventory FILE`"
            ),
        })?,
    };
    if files.is_empty() {
        return Err(Failure {
            path: display_path(&first, &opts.root),
            message: "no `.policy` files found".into(),
        });
    }
    let root = opts
        .root
        .canonicalize()
        .unwrap_or_else(|_| opts.root.clone());
    let shown = |p: &Path| {
        let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        display_path(&abs, &root)
    };

    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();

    let inv_shown = shown(&inv_path);
    let (inv_src, bad) = read_source(&inv_path, &inv_shown)?;
    let inv_id = sources.add(inv_src);
    let inventory = match bad {
        Some(off) => {
            diagnostics.push(not_utf8(Code::E201, inv_id, sources.get(inv_id), off));
            None
        }
        None => match inventory::load(sources.get(inv_id), inv_id) {
            Ok(inv) => Some(inv),
            Err(mut d) => {
                diagnostics.append(&mut d);
                None
            }
        },
    };

    let mut parsed = Vec::new();
    for path in &files {
        let (src, bad) = read_source(path, &shown(path))?;
        let id = sources.add(src);
        if let Some(off) = bad {
            diagnostics.push(not_utf8(Code::E001, id, sources.get(id), off));
            continue;
        }
        let file = syntax::parse_file(&sources.get(id).text);
        for e in &file.errors {
            let mut d = Diagnostic::new(Code::E001, id, e.span, e.message.clone())
                .maybe_help(e.help.clone());
            d.label = e.label.clone();
            diagnostics.push(d);
        }
        parsed.push((id, file));
    }

    let mut program = Program::default();
    if let Some(inv) = &inventory {
        for (id, file) in &parsed {
            program
                .rules
                .extend(sema::resolve(*id, file, inv, &mut diagnostics));
        }
        let ctx = LintContext {
            program: &program,
            inventory: inv,
            today: opts.today,
        };
        diagnostics.extend(lint::run(&ctx));
    }
    diagnostic::sort(&mut diagnostics, &sources);
    let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    let bundle = match (&inventory, has_errors) {
        (Some(inv), false) => Some(bundle::build(&program, inv, &sources)),
        _ => None,
    };
    Ok(Outcome {
        sources,
        diagnostics,
        program,
        bundle,
        policy_files: files.len(),
    })
}
