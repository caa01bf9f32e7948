//! The commands of the `lanepolicy` binary, as library functions: each
//! takes its request (what the arguments said), writes its report to a
//! [`Console`], and returns the [`Exit`] of the contract, or a typed
//! [`Error`] that knows its own exit code. The binary only parses
//! arguments, calls one of these and exits; the language server and the
//! Python package call the compile core ([`crate::project`]) directly.
//!
//! Every text printed is made in [`crate::render`]; nothing here formats
//! a report of its own.
//!
//! Exit codes (docs/cli.md): 0 ok or allow, 1 findings or deny, 2 usage,
//! I/O, an unreadable bundle or refused facts.

mod check;
mod console;
mod fmt;
mod review;
mod rule;
mod runtime;
mod test;

pub use check::{Build, CheckRequest, check};
pub use console::{BufferConsole, Console, StdConsole};

pub use fmt::{FmtRequest, fmt};
pub use review::{DiffFormat, diff, graph};
pub use rule::rule;
pub use runtime::{LanesFormat, decide, explain, export_launchplane, lanes};
pub use test::test;

use crate::bundle::signature::signature_path;
use crate::bundle::{BundleError, TrustedKeys};
use crate::model::Phase;
use crate::project::{self, Failure};
use crate::runtime::{Facts, Runtime};
use crate::source::{one_line, read_limited};
use std::path::{Path, PathBuf};

/// How a command ended, as the contract's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: clean, allowed, passed, written.
    Ok = 0,
    /// 1: findings, a deny, a failed test, a widening under
    /// `--fail-on-widening`, a file `fmt --check` would change.
    Findings = 1,
    /// 2: usage, I/O, an unreadable bundle, refused facts, or a report that
    /// could not be written.
    Failure = 2,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// [`Exit::Findings`] when `found`, else [`Exit::Ok`].
    pub fn findings_if(found: bool) -> Exit {
        if found { Exit::Findings } else { Exit::Ok }
    }
}

/// A bundle that could not be read or verified, with the path read.
#[derive(Debug)]
pub enum LoadError {
    /// The bundle file could not be read (missing, too large, not a file).
    Read {
        /// The bundle, as given.
        path: String,
        /// Why.
        message: String,
    },
    /// The signature beside the bundle (`BUNDLE.minisig`) could not be read.
    Signature {
        /// The signature file.
        path: String,
        /// Why.
        message: String,
    },
    /// The bundle was read but the loader refused it.
    Bundle {
        /// The bundle, as given.
        path: String,
        /// What the loader refused.
        error: BundleError,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Read { path, message } => write!(f, "{path}: cannot read bundle: {message}"),
            LoadError::Signature { path, message } => {
                write!(f, "{path}: cannot read signature: {message}")
            }
            LoadError::Bundle {
                path,
                error: error @ BundleError::TooLarge { .. },
            } => write!(f, "{path}: {error} ({LARGER_BUNDLE})"),
            LoadError::Bundle { path, error } => write!(f, "{path}: {error}"),
        }
    }
}

/// Why a command could not do its work. Each knows its exit code
/// ([`Error::exit`]); the binary prints it as `error: ...` unless it was
/// already reported.
#[derive(Debug)]
pub enum Error {
    /// The request does not make sense here: no policies to read, files of
    /// several projects for one bundle, an unknown check or issue.
    Usage(String),
    /// A file could not be read, found or written.
    Io(Failure),
    /// A `--trusted-key` could not be read or parsed.
    TrustedKey(String),
    /// The signing key could not be read, or signing failed.
    Sign(String),
    /// A bundle could not be read or verified.
    Load(LoadError),
    /// The facts of the flags were refused (they name what the bundle does
    /// not have, or contradict themselves).
    Facts(String),
    /// Launchplane could not take a lane of the bundle (`export`,
    /// `lanes --format launchplane`).
    Export {
        /// The bundle, as given.
        path: String,
        /// Why.
        message: String,
    },
    /// `build` wrote nothing because of this.
    NotWritten(Box<Error>),
    /// `decide` or `explain` could not decide because of this: the
    /// decision is deny.
    Denied(Box<Error>),
    /// The policies have errors, so there is nothing to draw (`graph`);
    /// their diagnostics were printed. Exit 1.
    PolicyErrors,
    /// Already reported to the person (a report that could not be
    /// written, test suites that cannot run): nothing more to print.
    Reported,
}

impl Error {
    /// The exit code: 1 for [`Error::PolicyErrors`], 2 for every other.
    pub fn exit(&self) -> Exit {
        match self {
            Error::PolicyErrors => Exit::Findings,
            _ => Exit::Failure,
        }
    }

    /// Whether the person has been told already ([`Error::Reported`]).
    pub fn is_reported(&self) -> bool {
        matches!(self, Error::Reported)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(m) | Error::TrustedKey(m) | Error::Sign(m) | Error::Facts(m) => {
                f.write_str(m)
            }
            Error::Io(failure) => write!(f, "{failure}"),
            Error::Load(e) => write!(f, "{e}"),
            Error::Export { path, message } => write!(f, "{path}: {message}"),
            Error::NotWritten(e) => write!(f, "{e}; no bundle was written"),
            Error::Denied(e) => write!(f, "{e}; the decision is deny"),
            Error::PolicyErrors => {
                f.write_str("the policies have errors; there is no graph to draw")
            }
            Error::Reported => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        Error::Io(f)
    }
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        Error::Load(e)
    }
}

/// What a command returns.
pub type Result<T = Exit> = std::result::Result<T, Error>;

/// Writes `text` as the report, or [`Error::Reported`] when it cannot be
/// written (the console has told why).
fn print(console: &mut dyn Console, text: &str) -> Result<()> {
    if console.out(text) {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

/// What a message about a bundle over the limit adds.
const LARGER_BUNDLE: &str = "a larger bundle is read with `--max-bundle-bytes`";

/// The largest key or signature file read, in bytes.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Reads bundles, and their signatures when keys are trusted.
#[derive(Clone, Debug, Default)]
pub struct BundleReader {
    keys: TrustedKeys,
    /// The largest bundle read, in bytes, when not
    /// [`crate::bundle::load::MAX_BUNDLE_BYTES`]
    /// ([`BundleReader::with_max_bytes`]).
    max_bytes: Option<usize>,
    /// Whether a loaded runtime is freed when dropped (see
    /// [`BundleReader::without_freeing`]).
    keep: bool,
}

/// A runtime [`BundleReader::load`] gave: a [`Runtime`] (through
/// `Deref`) that is freed when dropped, unless the reader was made
/// [`BundleReader::without_freeing`].
#[derive(Debug)]
pub struct Loaded {
    runtime: Option<Runtime>,
    keep: bool,
}

impl std::ops::Deref for Loaded {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        // Some from `load` until `drop`.
        self.runtime.as_ref().expect("a loaded runtime")
    }
}

impl Drop for Loaded {
    fn drop(&mut self) {
        if self.keep {
            std::mem::forget(self.runtime.take());
        }
    }
}

impl BundleReader {
    /// A reader that trusts the keys of `--trusted-key`: each value that
    /// names an existing file is read (a minisign `.pub` file); any other
    /// is the key itself. With no keys, bundles are read unsigned.
    pub fn new(trusted_keys: &[String]) -> Result<BundleReader> {
        let mut keys = TrustedKeys::new();
        for v in trusted_keys {
            let path = Path::new(v);
            let is_file = path.is_file();
            let text = if is_file {
                let bytes = read_limited(path, MAX_KEY_BYTES)
                    .map_err(|e| Error::TrustedKey(format!("{v}: cannot read trusted key: {e}")))?;
                String::from_utf8(bytes)
                    .map_err(|_| Error::TrustedKey(format!("{v}: trusted key is not UTF-8 text")))?
            } else {
                v.clone()
            };
            // A leading BOM (an editor's) is not part of the key.
            keys.add(text.trim_start_matches('\u{feff}')).map_err(|e| {
                // Not a file, and not a key either: most likely a path
                // that does not exist.
                let missing = if is_file {
                    ""
                } else if path.exists() {
                    " (that is not a regular file; a key is given as its `.pub` file or its `RW...` line)"
                } else {
                    " (no file has that name; a key is given as its `.pub` file or its `RW...` line)"
                };
                Error::TrustedKey(format!("--trusted-key `{}`: {e}{missing}", one_line(v)))
            })?;
        }
        Ok(BundleReader {
            keys,
            keep: false,
            max_bytes: None,
        })
    }

    /// A reader of bundles of at most `max_bytes` bytes (the CLI's
    /// `--max-bundle-bytes`) rather than
    /// [`crate::bundle::load::MAX_BUNDLE_BYTES`]: a larger bundle is
    /// refused before it is parsed.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> BundleReader {
        self.max_bytes = Some(max_bytes);
        self
    }

    /// The largest bundle this reader reads, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
            .unwrap_or(crate::bundle::load::MAX_BUNDLE_BYTES)
    }

    /// For a process that exits right after its command: loaded runtimes
    /// are never freed, and the operating system takes the memory back at
    /// once. Freeing a large bundle's many small allocations one by one
    /// costs more than the decision (about a tenth of `decide`'s time on
    /// a 10,000-rule bundle, docs/performance.md). Not for a long-lived
    /// caller: every load would stay in memory.
    pub fn without_freeing(mut self) -> BundleReader {
        self.keep = true;
        self
    }

    /// Reads and verifies the bundle at `path` (at most
    /// [`BundleReader::max_bytes`]) and, when keys are trusted, its
    /// signature `FILE.minisig`.
    pub fn load(&self, path: &Path) -> std::result::Result<Loaded, LoadError> {
        let shown = path.display().to_string();
        let max_bytes = self.max_bytes();
        let bytes = read_limited(path, max_bytes as u64).map_err(|e| {
            let too_large = std::fs::metadata(path).is_ok_and(|m| m.len() > max_bytes as u64);
            LoadError::Read {
                path: shown.clone(),
                message: if too_large {
                    format!("{e} ({LARGER_BUNDLE})")
                } else {
                    e
                },
            }
        })?;
        let signature = if self.keys.is_empty() {
            None
        } else {
            let sig_path = signature_path(path);
            if std::fs::symlink_metadata(&sig_path).is_err() {
                None
            } else {
                let sig =
                    read_limited(&sig_path, MAX_KEY_BYTES).map_err(|e| LoadError::Signature {
                        path: sig_path.display().to_string(),
                        message: e.to_string(),
                    })?;
                Some(sig)
            }
        };
        Runtime::from_signed_bytes_within(&bytes, signature.as_deref(), &self.keys, max_bytes)
            .map(|runtime| Loaded {
                runtime: Some(runtime),
                keep: self.keep,
            })
            .map_err(|error| LoadError::Bundle { path: shown, error })
    }
}

/// The facts of the command line: `--occurred`, `--phase`, `--now`.
#[derive(Clone, Debug, Default)]
pub struct FactFlags {
    /// `PRODUCT:EVENT` pairs that have occurred.
    pub occurred: Vec<(String, String)>,
    /// `LANE=PHASE` pairs.
    pub phases: Vec<(String, Phase)>,
    /// The time given, when one was; it may be later than the clock.
    pub now: Option<jiff::Timestamp>,
}

impl FactFlags {
    /// The facts, at the clock's time or the time given; two different
    /// phases for one lane are refused, and so are facts that do not fit
    /// the bundle ([`Runtime::check_facts`]).
    pub fn facts(&self, runtime: &Runtime) -> Result<Facts> {
        let clock = jiff::Timestamp::now();
        let mut f = match self.now {
            Some(now) => Facts::at_given(now, clock).map_err(|e| Error::Facts(e.to_string()))?,
            None => Facts::at(clock),
        };
        f.occurred = self.occurred.iter().cloned().collect();
        for (lane, phase) in &self.phases {
            f.add_phase(lane.clone(), *phase)
                .map_err(|e| Error::Facts(e.to_string()))?;
        }
        runtime
            .check_facts(&f)
            .map_err(|e| Error::Facts(e.to_string()))?;
        Ok(f)
    }
}

/// The paths a command reads when none are given: `policies/`, or, when
/// there is none here but this directory holds the inventory (you are in
/// the policy directory itself, or its last policy file was deleted, and a
/// checkout keeps no empty directory), this directory. With none of
/// these, a usage error that says where to run from.
pub fn paths_or_default(given: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let default = Path::new("policies");
    if std::fs::symlink_metadata(default).is_ok() {
        return Ok(vec![default.to_path_buf()]);
    }
    if std::fs::symlink_metadata(project::INVENTORY_FILE).is_ok() {
        return Ok(vec![PathBuf::from(".")]);
    }
    Err(Error::Usage(
        "no `policies/` directory here, and no `lanes.yaml`: run lanepolicy from the directory that holds `policies/` (or from the policy directory itself), or name the policy files or directories".into(),
    ))
}

/// The current directory, which paths are shown relative to.
pub fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// Today's date in UTC: what date-based lints compare against by default.
pub fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// When the paths belong to several projects (each file is checked
/// against the nearest `lanes.yaml`) but the command makes one bundle of
/// them (`build`, `graph`): the usage error, naming the inventories.
fn one_project(groups: &[(Option<PathBuf>, Vec<PathBuf>)], root: &Path, what: &str) -> Result<()> {
    if groups.len() <= 1 {
        return Ok(());
    }
    let inventories: Vec<String> = groups
        .iter()
        .filter_map(|(inv, _)| inv.as_deref())
        .map(|i| crate::source::display_path(i, root))
        .collect();
    Err(Error::Usage(format!(
        "the files belong to {} projects ({}); {what}, or pass `--inventory FILE`",
        groups.len(),
        inventories.join(", ")
    )))
}
