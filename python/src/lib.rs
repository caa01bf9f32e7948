//! The Python module `lanepolicy._native`: the lanepolicy runtime (the one
//! evaluator of the CLI) and the compiler, for a control plane written in
//! Python. The public Python API is the package `lanepolicy`, which
//! re-exports these items; `lanepolicy/_native.pyi` types them.
//!
//! Nothing here decides: every decision is [`Runtime::decide`] or
//! [`Runtime::explain`] of the `lanepolicy` crate, on the same facts the
//! CLI builds from its flags, so `Decision.to_dict()` equals what
//! `lanepolicy decide --json` prints for the same request.

use lanepolicy::bundle::{self, TrustedKeys};
use lanepolicy::diagnostic::Severity;
use lanepolicy::model::Phase;
use lanepolicy::project;
use lanepolicy::render;
use lanepolicy::runtime::{self, Facts, Request, Runtime as Core};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

// The exceptions are plain Python classes (`lanepolicy/_errors.py`), so
// that `FactError` can be both a `LanepolicyError` and a `ValueError`.
pyo3::import_exception!(lanepolicy._errors, BundleError);
pyo3::import_exception!(lanepolicy._errors, FactError);
pyo3::import_exception!(lanepolicy._errors, CompileError);

/// A Rust value as the Python object its JSON stands for (`json.loads`).
fn to_python<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyTypeError::new_err(format!("cannot serialize: {e}")))?;
    json_loads(py, &text)
}

fn json_loads(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// A loaded, verified bundle and the keys that its reloads must verify
/// against. Readers take the current bundle by cloning an `Arc` under a
/// read lock held for a few nanoseconds; a reload builds the new bundle
/// outside the lock and swaps it in at once, so a decision is always made
/// on one whole bundle, the old or the new.
#[pyclass(frozen, module = "lanepolicy")]
struct Runtime {
    current: RwLock<Arc<Core>>,
    keys: TrustedKeys,
    /// The largest bundle read, in bytes, by the load and every reload.
    max_bytes: usize,
}

/// `max_bytes` as given (checked as the CLI checks `--max-bundle-bytes`),
/// or the runtime's default (256 MiB).
fn bundle_limit(max_bytes: Option<usize>) -> PyResult<usize> {
    max_bytes
        .map_or(
            Ok(bundle::load::MAX_BUNDLE_BYTES),
            bundle::load::bundle_limit,
        )
        .map_err(PyValueError::new_err)
}

fn bundle_error(message: String) -> PyErr {
    BundleError::new_err(message)
}

fn trusted(keys: Option<Vec<String>>) -> PyResult<TrustedKeys> {
    let mut out = TrustedKeys::new();
    for k in keys.unwrap_or_default() {
        out.add(&k)
            .map_err(|e| bundle_error(format!("trusted key: {e}")))?;
    }
    Ok(out)
}

/// Reads at most `limit + 1` bytes of `path`, so that an oversized file is
/// refused by the loader without being read whole.
fn read_limited(path: &std::path::Path, limit: usize) -> std::io::Result<Vec<u8>> {
    // Only a regular file, as the CLI reads one: a pipe would block the
    // call for good (the GIL released, but the thread not interruptible).
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take((limit as u64).saturating_add(1))
        .read_to_end(&mut out)?;
    Ok(out)
}

/// Parses `now`: `None` (the clock), an aware `datetime`, or an RFC 3339
/// string; a time earlier than the clock is refused as the CLI refuses it.
fn facts_at(now: Option<&Bound<'_, PyAny>>) -> PyResult<Facts> {
    let clock = jiff::Timestamp::now();
    let Some(now) = now else {
        return Ok(Facts::at(clock));
    };
    let text: String = if let Ok(s) = now.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if now.hasattr("tzinfo")? && now.hasattr("isoformat")? {
        if now.getattr("tzinfo")?.is_none() || now.call_method0("utcoffset")?.is_none() {
            return Err(FactError::new_err(
                "`now` is a naive datetime: give it a time zone (e.g. `datetime.now(timezone.utc)`)",
            ));
        }
        now.call_method0("isoformat")?.extract()?
    } else {
        return Err(PyTypeError::new_err(
            "`now` must be an aware datetime, an RFC 3339 string, or None",
        ));
    };
    let at = lanepolicy::model::parse_rfc3339(&text).map_err(|problem| {
        FactError::new_err(format!(
            "{problem}: write it like `2026-12-01T00:00:00Z` (a date, `T`, a time, and `Z` or an offset)"
        ))
    })?;
    Facts::at_given(at, clock).map_err(|e| FactError::new_err(e.to_string()))
}

/// The facts of the keyword arguments, as the CLI builds them from
/// `--occurred`, `--phase` and `--now`.
fn facts(
    occurred: Option<&Bound<'_, PyAny>>,
    phases: Option<BTreeMap<String, String>>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Facts> {
    let mut f = facts_at(now)?;
    if let Some(occurred) = occurred {
        if occurred.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "`occurred` is a collection of `product:event` strings, not one string",
            ));
        }
        for item in occurred.try_iter()? {
            let item = item?;
            let s = item
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("`occurred` holds `product:event` strings"))?
                .to_cow()?;
            match s.split_once(':') {
                Some((p, e)) if !p.trim().is_empty() && !e.trim().is_empty() => {
                    f.occurred
                        .insert((p.trim().to_string(), e.trim().to_string()));
                }
                _ => {
                    return Err(FactError::new_err(format!(
                        "occurred event `{s}` is not `product:event`"
                    )));
                }
            }
        }
    }
    for (lane, phase) in phases.unwrap_or_default() {
        let parsed = Phase::parse(phase.trim()).ok_or_else(|| {
            FactError::new_err(format!(
                "`{phase}` is not a phase: write `prelaunch` or `live`"
            ))
        })?;
        // Two keys that trim to one lane must agree, as two `--phase`
        // flags must: the last would otherwise win in silence.
        f.add_phase(lane.trim().to_string(), parsed)
            .map_err(|e| FactError::new_err(e.to_string()))?;
    }
    Ok(f)
}

impl Runtime {
    fn new(core: Core, keys: TrustedKeys, max_bytes: usize) -> Runtime {
        Runtime {
            current: RwLock::new(Arc::new(core)),
            keys,
            max_bytes,
        }
    }

    /// The bundle in force now. A poisoned lock still holds a whole
    /// bundle (the swap is one assignment), so it is used.
    fn now(&self) -> Arc<Core> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// The request and the facts, checked against the bundle `rt`.
    #[allow(clippy::too_many_arguments)]
    fn request(
        rt: &Core,
        lane: &str,
        action: &str,
        confirm: Option<String>,
        proofs: Option<BTreeMap<String, String>>,
        occurred: Option<&Bound<'_, PyAny>>,
        phases: Option<BTreeMap<String, String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Request, Facts)> {
        let mut req = Request::new(lane, action);
        req.confirm = confirm;
        // Trimmed, as `decide --proof NAME=ID` takes them; an empty id is
        // refused as the CLI refuses it.
        for (name, id) in proofs.unwrap_or_default() {
            let (name, id) = (name.trim().to_string(), id.trim().to_string());
            if name.is_empty() || id.is_empty() {
                return Err(FactError::new_err(format!(
                    "proof `{name}={id}` needs a name and a record id"
                )));
            }
            if req.proofs.insert(name.clone(), id).is_some() {
                return Err(FactError::new_err(format!("proof `{name}` is given twice")));
            }
        }
        let f = facts(occurred, phases, now)?;
        rt.check_facts(&f)
            .map_err(|e| FactError::new_err(e.to_string()))?;
        Ok((req, f))
    }
}

#[pymethods]
impl Runtime {
    /// Loads and verifies the bundle file at `path` (`str` or `os.PathLike`).
    /// With `trusted_keys` (minisign public keys, each the key's text), the
    /// signature `PATH.minisig` must verify against one of them first.
    ///
    /// `max_bytes` is the largest bundle read, by this load and every
    /// `reload` (default 256 MiB, as the CLI's `--max-bundle-bytes`).
    ///
    /// Raises `BundleError` when the file cannot be read or is not a
    /// verified bundle (wrong format, digest, signature, or over
    /// `max_bytes`), or is not a regular file; `ValueError` for a
    /// `max_bytes` of 0.
    #[staticmethod]
    #[pyo3(signature = (path, *, trusted_keys=None, max_bytes=None))]
    fn from_path(
        py: Python<'_>,
        path: PathBuf,
        trusted_keys: Option<Vec<String>>,
        max_bytes: Option<usize>,
    ) -> PyResult<Runtime> {
        let keys = trusted(trusted_keys)?;
        let max_bytes = bundle_limit(max_bytes)?;
        let shown = path.display().to_string();
        let core = py.detach(|| -> Result<Core, String> {
            let bytes = read_limited(&path, max_bytes)
                .map_err(|e| format!("{shown}: cannot read bundle: {e}"))?;
            let signature = if keys.is_empty() {
                None
            } else {
                let sig_path = bundle::signature::signature_path(&path);
                if std::fs::symlink_metadata(&sig_path).is_err() {
                    None
                } else {
                    Some(read_limited(&sig_path, 64 * 1024).map_err(|e| {
                        format!("{}: cannot read signature: {e}", sig_path.display())
                    })?)
                }
            };
            Core::from_signed_bytes_within(&bytes, signature.as_deref(), &keys, max_bytes)
                .map_err(|e| format!("{shown}: {e}"))
        });
        Ok(Runtime::new(core.map_err(bundle_error)?, keys, max_bytes))
    }

    /// Loads and verifies a bundle from `data` (the bytes `build` writes).
    /// With `trusted_keys`, `signature` (the `.minisig` file's bytes) must
    /// verify against one of them first.
    ///
    /// `max_bytes` is the largest bundle read, by this load and every
    /// `reload` (default 256 MiB).
    ///
    /// Raises `BundleError` when `data` is not a verified bundle, or is
    /// longer than `max_bytes`; `ValueError` for a `max_bytes` of 0.
    #[staticmethod]
    #[pyo3(signature = (data, *, signature=None, trusted_keys=None, max_bytes=None))]
    fn from_bytes(
        py: Python<'_>,
        data: &[u8],
        signature: Option<&[u8]>,
        trusted_keys: Option<Vec<String>>,
        max_bytes: Option<usize>,
    ) -> PyResult<Runtime> {
        let keys = trusted(trusted_keys)?;
        let max_bytes = bundle_limit(max_bytes)?;
        let core = py
            .detach(|| Core::from_signed_bytes_within(data, signature, &keys, max_bytes))
            .map_err(|e| bundle_error(e.to_string()))?;
        Ok(Runtime::new(core, keys, max_bytes))
    }

    /// The digest of the bundle in force, `sha256:<64 hex digits>`.
    #[getter]
    fn digest(&self) -> String {
        self.now().digest().to_string()
    }

    /// Replaces the bundle with the one in `data`, only if it verifies
    /// (and, when the runtime was loaded with trusted keys, only if
    /// `signature` verifies against them). Atomic for concurrent readers:
    /// a decision sees the old bundle or the new one, never a mix.
    ///
    /// Raises `BundleError` on failure; the last good bundle stays in force.
    #[pyo3(signature = (data, *, signature=None))]
    fn reload(&self, py: Python<'_>, data: &[u8], signature: Option<&[u8]>) -> PyResult<()> {
        let core = py
            .detach(|| Core::from_signed_bytes_within(data, signature, &self.keys, self.max_bytes))
            .map_err(|e| bundle_error(e.to_string()))?;
        let new = Arc::new(core);
        match self.current.write() {
            Ok(mut g) => *g = new,
            Err(p) => *p.into_inner() = new,
        }
        Ok(())
    }

    /// Decides whether `action` may run on `lane` (`context/instance`).
    ///
    /// `confirm` is the phrase the operator typed; `proofs` maps a proof
    /// name to a record id; `occurred` holds `"product:event"` strings;
    /// `phases` maps a lane to `"prelaunch"` or `"live"`; `now` is an
    /// aware `datetime`, an RFC 3339 string, or `None` for the current
    /// time (a time earlier than the clock is refused).
    ///
    /// Returns a `Decision` (a deny is a value, not an exception). Raises
    /// `FactError` when the facts name an unknown product, event or lane,
    /// undo a launch, or set the clock back; `TypeError` on wrong types.
    #[pyo3(signature = (lane, action, *, confirm=None, proofs=None, occurred=None, phases=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        py: Python<'_>,
        lane: &str,
        action: &str,
        confirm: Option<String>,
        proofs: Option<BTreeMap<String, String>>,
        occurred: Option<&Bound<'_, PyAny>>,
        phases: Option<BTreeMap<String, String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let rt = self.now();
        let (req, f) = Runtime::request(&rt, lane, action, confirm, proofs, occurred, phases, now)?;
        let d = py.detach(|| rt.decide(&req, &f));
        Ok(Decision(d))
    }

    /// The decision of `decide` with the steps that led to it. Same
    /// arguments and errors as `decide`.
    #[pyo3(signature = (lane, action, *, confirm=None, proofs=None, occurred=None, phases=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn explain(
        &self,
        py: Python<'_>,
        lane: &str,
        action: &str,
        confirm: Option<String>,
        proofs: Option<BTreeMap<String, String>>,
        occurred: Option<&Bound<'_, PyAny>>,
        phases: Option<BTreeMap<String, String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Explanation> {
        let rt = self.now();
        let (req, f) = Runtime::request(&rt, lane, action, confirm, proofs, occurred, phases, now)?;
        let e = py.detach(|| rt.explain(&req, &f));
        Ok(Explanation(e))
    }

    /// The read model: one dict per lane, exactly what `lanes --json`
    /// prints for the same facts. Raises `FactError` as `decide` does.
    #[pyo3(signature = (*, occurred=None, phases=None, now=None))]
    fn lanes(
        &self,
        py: Python<'_>,
        occurred: Option<&Bound<'_, PyAny>>,
        phases: Option<BTreeMap<String, String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let rt = self.now();
        let f = facts(occurred, phases, now)?;
        rt.check_facts(&f)
            .map_err(|e| FactError::new_err(e.to_string()))?;
        let views = py.detach(|| rt.lanes(&f));
        to_python(py, &views)
    }

    fn __repr__(&self) -> String {
        format!("<lanepolicy.Runtime {}>", self.now().digest())
    }
}

/// One reason for a deny: `code` (e.g. `"no-matching-rule"`) and a
/// `message` for a person.
#[pyclass(frozen, module = "lanepolicy", get_all)]
struct Reason {
    code: &'static str,
    message: String,
}

#[pymethods]
impl Reason {
    fn __repr__(&self) -> String {
        format!("Reason(code={:?}, message={:?})", self.code, self.message)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Reason>()
            .is_ok_and(|o| o.get().code == self.code && o.get().message == self.message)
    }
}

/// A decision. `to_dict()` is what `lanepolicy decide --json` prints.
#[pyclass(frozen, module = "lanepolicy")]
struct Decision(runtime::Decision);

#[pymethods]
impl Decision {
    /// True for an allow.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.is_allow()
    }

    /// `"allow"` or `"deny"`.
    #[getter]
    fn decision(&self) -> &'static str {
        self.0.decision
    }

    /// The lane asked about.
    #[getter]
    fn lane(&self) -> &str {
        &self.0.lane
    }

    /// The action asked about.
    #[getter]
    fn action(&self) -> &str {
        &self.0.action
    }

    /// Why it is a deny, in order; empty for an allow.
    #[getter]
    fn reasons(&self) -> Vec<Reason> {
        self.0
            .reasons
            .iter()
            .map(|r| Reason {
                code: r.code.as_str(),
                message: r.message.clone(),
            })
            .collect()
    }

    /// The deciding rule, `{"id": str, "source": {"path", "line", "column"}}`, or None.
    #[getter]
    fn rule(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.0.rule)
    }

    /// That rule's approval issue, `{"reference": str, "url": str}`, or None.
    #[getter]
    fn issue(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.0.issue)
    }

    /// That rule's retirement conditions as written (events, then dates).
    #[getter]
    fn until(&self) -> Vec<String> {
        self.0.until.clone()
    }

    /// The digest of the bundle decided on.
    #[getter]
    fn bundle(&self) -> Option<&str> {
        self.0.bundle.as_deref()
    }

    /// The decision as `lanepolicy decide --json` prints it.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision(decision={:?}, lane={:?}, action={:?})",
            self.0.decision, self.0.lane, self.0.action
        )
    }
}

/// A decision with its steps. `to_dict()` is `explain --json`, `str()` is
/// `explain`'s text.
#[pyclass(frozen, module = "lanepolicy")]
struct Explanation(runtime::Explanation);

#[pymethods]
impl Explanation {
    /// True for an allow.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.decision.is_allow()
    }

    /// The decision, as `Runtime.decide` gives it.
    #[getter]
    fn decision(&self) -> Decision {
        Decision(self.0.decision.clone())
    }

    /// The explanation as `lanepolicy explain --json` prints it.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.0)
    }

    fn __str__(&self) -> String {
        self.0.to_text()
    }

    fn __repr__(&self) -> String {
        format!("<lanepolicy.Explanation {}>", self.0.decision.decision)
    }
}

/// The compiler's options from the keyword arguments; the root is the
/// working directory, as for the CLI.
fn options(
    paths: Vec<PathBuf>,
    inventory: Option<PathBuf>,
    config: Option<PathBuf>,
    issues: Option<PathBuf>,
    today: Option<String>,
    build: bool,
) -> PyResult<project::Options> {
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let today = match today {
        Some(t) => t.parse::<jiff::civil::Date>().map_err(|_| {
            PyValueError::new_err(format!("`today` must be a date `YYYY-MM-DD`, found `{t}`"))
        })?,
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
    };
    if inventory.is_none() {
        let groups = project::projects(&paths);
        if groups.len() > 1 {
            return Err(CompileError::new_err((
                format!(
                    "the files belong to {} projects; compile each project on its own, or pass `inventory`",
                    groups.len()
                ),
                Vec::<Py<PyAny>>::new(),
            )));
        }
    }
    Ok(project::Options {
        paths,
        inventory,
        root,
        today,
        config,
        issues,
        build,
        max_input_bytes: project::MAX_SOURCE_BYTES,
        overlay: Default::default(),
    })
}

fn compile(py: Python<'_>, opts: &project::Options) -> PyResult<project::Compilation> {
    py.detach(|| project::compile(opts))
        .map_err(|f| CompileError::new_err((f.to_string(), Vec::<Py<PyAny>>::new())))
}

/// `paths` as the compiler takes them: one path (`str`, `bytes` or
/// `os.PathLike`, as `open` takes it) or a list of them. `bytes` are a
/// file system path, as `os.fsdecode` reads them, not a list of numbers.
/// An empty list is a `ValueError`: nothing to compile is not a bundle
/// that denies everything.
fn one_or_many(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    fn one(path: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
        if let Ok(bytes) = path.cast::<PyBytes>() {
            #[cfg(unix)]
            return Ok(PathBuf::from(
                <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes.as_bytes()),
            ));
            #[cfg(not(unix))]
            return path
                .py()
                .import("os")?
                .call_method1("fsdecode", (bytes,))?
                .extract::<PathBuf>();
        }
        path.extract::<PathBuf>()
    }
    if let Ok(path) = one(paths) {
        return Ok(vec![path]);
    }
    if paths.is_instance_of::<PyString>() || paths.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err("`paths` is not a usable path"));
    }
    let mut all = Vec::new();
    for item in paths.try_iter().map_err(|_| {
        PyTypeError::new_err("`paths` is a path (`str`, `bytes`, `os.PathLike`) or a list of them")
    })? {
        all.push(one(&item?).map_err(|_| {
            PyTypeError::new_err("`paths` holds paths (`str`, `bytes`, `os.PathLike`)")
        })?);
    }
    if all.is_empty() {
        return Err(PyValueError::new_err(
            "`paths` is empty: give the policy files or directories to compile (`\"policies\"`)",
        ));
    }
    Ok(all)
}

/// Checks the policies in `paths` (a path or a list of files and
/// directories) against their inventory (found beside them, or
/// `inventory`). Returns the diagnostics as `check --format json` prints
/// them: a list of dicts. `today` (a `datetime.date` or `"YYYY-MM-DD"`;
/// default today in UTC) is the day the date lints count from. Raises
/// `CompileError` (with empty `.diagnostics`) when a file cannot be read
/// or the paths belong to several projects, `ValueError` for a bad `today`.
#[pyfunction]
#[pyo3(signature = (paths, *, inventory=None, config=None, issues=None, today=None))]
fn check(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    inventory: Option<PathBuf>,
    config: Option<PathBuf>,
    issues: Option<PathBuf>,
    today: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let today = today.map(|t| t.str().map(|s| s.to_string())).transpose()?;
    let opts = options(one_or_many(paths)?, inventory, config, issues, today, false)?;
    let outcome = compile(py, &opts)?;
    json_loads(
        py,
        &render::render_json(&outcome.diagnostics, &outcome.sources),
    )
}

/// Compiles the policies in `paths` to a bundle: returns exactly the bytes
/// `lanepolicy build -o FILE` writes. Raises `CompileError` with
/// `.diagnostics` (as `check` returns them) when there is an error, or a
/// warning with `deny_warnings=True`, and when a file cannot be read.
#[pyfunction]
#[pyo3(signature = (paths, *, inventory=None, config=None, issues=None, today=None, deny_warnings=false))]
fn build(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    inventory: Option<PathBuf>,
    config: Option<PathBuf>,
    issues: Option<PathBuf>,
    today: Option<&Bound<'_, PyAny>>,
    deny_warnings: bool,
) -> PyResult<Py<PyBytes>> {
    let today = today.map(|t| t.str().map(|s| s.to_string())).transpose()?;
    let opts = options(one_or_many(paths)?, inventory, config, issues, today, true)?;
    let outcome = compile(py, &opts)?;
    let failed = outcome.has_errors() || (deny_warnings && outcome.count(Severity::Warning) > 0);
    let bundle = match (&outcome.bundle, failed) {
        (Some(b), false) => b,
        _ => {
            let diags = json_loads(
                py,
                &render::render_json(&outcome.diagnostics, &outcome.sources),
            )?;
            let summary = render::summary_line(&outcome.diagnostics, outcome.policy_files + 1);
            return Err(CompileError::new_err((summary.trim().to_string(), diags)));
        }
    };
    let text =
        bundle::to_text(bundle).map_err(|e| CompileError::new_err((e, Vec::<Py<PyAny>>::new())))?;
    Ok(PyBytes::new(py, text.as_bytes()).unbind())
}

/// The native module; `lanepolicy/__init__.py` re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Runtime>()?;
    m.add_class::<Decision>()?;
    m.add_class::<Explanation>()?;
    m.add_class::<Reason>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    Ok(())
}
