//! `lanepolicy test`: finds `*.test.yaml` files, compiles the policies each
//! one tests, and runs its cases ([`cases`]).
//!
//! A test file tests the policies of its project: the directory of its
//! nearest `lanes.yaml`, exactly what `lanepolicy build` compiles there
//! (its `*.policy` files, subdirectories included), so a test file in a
//! subdirectory tests the whole set that ships, not a part of it. With
//! `--inventory` it tests its own directory. The compiled bundle is
//! written out and loaded back through the runtime's verifying loader, so
//! the cases run against what `lanepolicy build` would ship.
//!
//! Nothing runs unless everything is readable: every test file parses,
//! every directory's policies compile without errors, and every fact names
//! something the bundle has. Otherwise the problems are returned, each at
//! its file, line and column, and no case result is reported.

use crate::bundle;
use crate::diagnostic;
use crate::project::{self, Compilation, Failure, MAX_SOURCE_BYTES};
use crate::runtime::Runtime;
use crate::source::io_message;
use crate::source::{SourceFile, SourceMap, display_path};
use cases::{CaseError, CaseResult, TestFile};

pub mod cases;
mod invalid_test_file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The suffix of a test file's name.
pub const TEST_SUFFIX: &str = ".test.yaml";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Test files, or directories searched recursively for `*.test.yaml`.
    pub paths: Vec<PathBuf>,
    /// The inventory for every directory; by default the nearest
    /// `lanes.yaml` of each test file's directory.
    pub inventory: Option<PathBuf>,
    /// The project root that shown paths are relative to.
    pub root: PathBuf,
    /// Today's date (UTC), for the compiler's date-based lints.
    pub today: jiff::civil::Date,
    /// The clock for cases that set no `now` (nor their file).
    pub now: jiff::Timestamp,
}

/// Why the tests could not run (exit code 2).
#[derive(Debug)]
pub enum SuiteError {
    /// A path could not be found or read.
    Io(Failure),
    /// A test file is not valid.
    TestFile {
        /// The file, as shown.
        path: String,
        /// Its text, for the problems' context.
        text: String,
        /// Every problem, in file order.
        errors: Vec<CaseError>,
    },
    /// The policies a test file tests do not compile.
    Policies {
        /// The directory compiled, as shown.
        dir: String,
        /// The compiler's outcome, with its diagnostics.
        outcome: Box<Compilation>,
    },
}

impl SuiteError {
    /// A test file's problems as diagnostics (E203 invalid-test-file, one
    /// per problem, at its line and column) with the file they are in;
    /// `None` for the other errors. Past
    /// [`diagnostic::MAX_PER_CHECK`], one more diagnostic counts the rest
    /// ([`diagnostic::cap_per_check`]), and the rest are not placed: 60,000
    /// unknown proofs on one line took 17 s and 8.9 MB of report, each
    /// placed by a search along the line.
    pub fn diagnostics(&self) -> Option<(SourceMap, Vec<diagnostic::Diagnostic>)> {
        let SuiteError::TestFile { path, text, errors } = self else {
            return None;
        };
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new(path.clone(), text.clone(), String::new()));
        let placed = diagnostic::MAX_PER_CHECK + 1;
        let mut diags: Vec<diagnostic::Diagnostic> = errors
            .iter()
            .take(placed)
            .map(|e| invalid_test_file::diagnostic(id, sources.get(id), e))
            .collect();
        if errors.len() > placed {
            // Counted at the first left out, as the cap counts them.
            let at = diags[diagnostic::MAX_PER_CHECK].span;
            diags.extend(errors[placed..].iter().map(|_| {
                diagnostic::Diagnostic::new(crate::checks::Code::E203, id, at, String::new())
            }));
            diagnostic::cap_per_check(&mut diags);
        }
        Some((sources, diags))
    }
}

/// The results of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file, as shown.
    pub path: String,
    /// The policy directory it tested, as shown.
    pub policies: String,
    /// The digest of the bundle the cases ran against.
    pub bundle: String,
    /// One result per case, in file order.
    pub results: Vec<CaseResult>,
}

/// Finds the test files under `paths`, sorted, each once. A file named on
/// the command line is taken whatever its name.
pub(crate) fn test_files(paths: &[PathBuf], root: &Path) -> Result<Vec<PathBuf>, Failure> {
    let wanted = |p: &Path| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(TEST_SUFFIX))
    };
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Failure {
            path: display_path(p, root),
            message: io_message(&e),
        })?;
        if meta.is_dir() {
            project::find_files(p, root, &wanted, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    // The same file reached twice (named, or through a link) runs once.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    out.sort();
    Ok(out)
}

/// Reads a test file's text: size-limited, UTF-8 (a byte order mark removed).
fn read_text(path: &Path, shown: &str) -> Result<String, SuiteError> {
    let fail = |message: String| {
        SuiteError::Io(Failure {
            path: shown.to_string(),
            message,
        })
    };
    let bytes = crate::source::read_limited(path, MAX_SOURCE_BYTES).map_err(fail)?;
    let decoded = crate::source::decode(&bytes);
    match decoded.bad {
        None => Ok(decoded.text),
        Some(bad) => Err(fail(format!(
            "file is not valid UTF-8 at byte {}",
            bad.byte_offset
        ))),
    }
}

/// Runs every test file under `opts.paths`.
///
/// # Errors
///
/// Every reason the tests cannot run; then no case has run.
pub fn run(opts: &Options) -> Result<Vec<FileReport>, Vec<SuiteError>> {
    let root = opts
        .root
        .canonicalize()
        .unwrap_or_else(|_| opts.root.clone());
    let shown =
        |p: &Path| display_path(&p.canonicalize().unwrap_or_else(|_| p.to_path_buf()), &root);
    let files = test_files(&opts.paths, &opts.root).map_err(|f| vec![SuiteError::Io(f)])?;
    if files.is_empty() {
        let first = opts.paths.first().cloned().unwrap_or_default();
        return Err(vec![SuiteError::Io(Failure {
            path: display_path(&first, &opts.root),
            message: format!("no `*{TEST_SUFFIX}` files found"),
        })]);
    }

    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for path in &files {
        let path_shown = shown(path);
        let text = match read_text(path, &path_shown) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match cases::parse(&text) {
            Ok(file) => parsed.push((path, path_shown, text, file)),
            Err(errs) => errors.push(SuiteError::TestFile {
                path: path_shown,
                text,
                errors: errs,
            }),
        }
    }

    // Compile each directory once.
    let mut runtimes: BTreeMap<PathBuf, Result<(String, Runtime), ()>> = BTreeMap::new();
    for (path, _, _, _) in &parsed {
        let dir = policies_of(path, opts);
        if runtimes.contains_key(&dir) {
            continue;
        }
        let compiled = compile(&dir, opts, &shown(&dir));
        runtimes.insert(
            dir.clone(),
            compiled
                .map_err(|e| errors.push(e))
                .map(|rt| (shown(&dir), rt)),
        );
    }

    let mut reports = Vec::new();
    // One budget of "did you mean" for the whole run, as a compilation
    // has one: a run of many small files costs no more than one large one.
    let budget = std::cell::Cell::new(crate::sema::SUGGESTION_WORK);
    for (path, path_shown, text, file) in parsed {
        let dir = policies_of(path, opts);
        let Some(Ok((policies, rt))) = runtimes.get(&dir) else {
            continue;
        };
        if let Err(errs) = file.check_within(rt, &budget) {
            errors.push(SuiteError::TestFile {
                path: path_shown,
                text,
                errors: errs,
            });
            continue;
        }
        reports.push((path_shown, policies.clone(), rt, file));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(reports
        .into_iter()
        .map(
            |(path, policies, rt, file): (String, String, &Runtime, TestFile)| FileReport {
                path,
                policies,
                bundle: rt.digest().to_string(),
                results: file.run(rt, opts.now),
            },
        )
        .collect())
}

/// Compiles the policies of `dir` as `lanepolicy check DIR` would, and loads
/// the bundle through the runtime's verifying loader.
/// The directory whose policies test file `path` tests: the project's, the
/// directory of its nearest `lanes.yaml`, which is what `lanepolicy build`
/// compiles and ships there (a test file in a subdirectory tests the whole
/// set, not a part of it that could pass alone); with `--inventory`, or
/// without an inventory above it, the test file's own directory.
fn policies_of(path: &Path, opts: &Options) -> PathBuf {
    let own = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if opts.inventory.is_some() {
        return own;
    }
    match project::find_inventory(path)
        .as_deref()
        .and_then(Path::parent)
    {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => own,
    }
}

fn compile(dir: &Path, opts: &Options, dir_shown: &str) -> Result<Runtime, SuiteError> {
    let mut options = project::Options::new(vec![dir.to_path_buf()], opts.root.clone(), opts.today);
    options.inventory = opts.inventory.clone();
    options.build = true;
    let outcome = project::compile(&options).map_err(SuiteError::Io)?;
    // An empty set denies everything, so every `deny` case would pass:
    // a test file tests the policies beside it, and there must be some.
    if outcome.policy_files == 0 {
        return Err(SuiteError::Io(Failure {
            path: dir_shown.to_string(),
            message:
                "no `.policy` files found; a test file tests the policies of its project (the directory of its `lanes.yaml`)"
                    .into(),
        }));
    }
    let Some(b) = &outcome.bundle else {
        return Err(SuiteError::Policies {
            dir: dir_shown.to_string(),
            outcome: Box::new(outcome),
        });
    };
    // Files of comments alone are the same empty set.
    if b.rules.is_empty() {
        return Err(SuiteError::Io(Failure {
            path: dir_shown.to_string(),
            message: "the `.policy` files hold no rule, so every action is denied and every `deny` case would pass; a test file tests the policies of its project".into(),
        }));
    }
    let fail = |message: String| {
        SuiteError::Io(Failure {
            path: dir_shown.to_string(),
            message,
        })
    };
    let value = serde_json::to_value(b).map_err(|e| fail(e.to_string()))?;
    let text = bundle::to_pretty_json(&value);
    Runtime::from_bytes(text.as_bytes())
        .map_err(|e| fail(format!("the compiled bundle does not load: {e}")))
}
