//! `check` and `build`: compile the policies, print the diagnostics, and
//! for `build` write the bundle (and its signature) when there is no error.

use super::{Console, Error, Exit, Result, one_project, print};
use crate::bundle;
use crate::checks::Severity;
use crate::project::{self, Compilation, Failure, Options};
use crate::render::diagnostics::{DiagnosticFormat, Project, render_projects};
use crate::source::{display_path, io_message, read_limited};
use std::path::{Path, PathBuf};

/// What `check` and `build` were asked.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// What to compile; [`Options::build`] is set by [`check`] itself.
    pub options: Options,
    /// How to print the diagnostics.
    pub format: DiagnosticFormat,
    /// Exit 1 on warnings too.
    pub deny_warnings: bool,
    /// `build`: where to write the bundle, and the key to sign it with.
    pub build: Option<Build>,
}

/// Where `build` writes the bundle, and the key it signs it with.
#[derive(Clone, Debug)]
pub struct Build {
    /// The bundle file.
    pub output: PathBuf,
    /// A minisign secret key; its password, if any, comes from
    /// `LANEPOLICY_SIGN_PASSWORD`.
    pub sign_key: Option<PathBuf>,
    /// The largest bundle written, in bytes: what the runtime that reads
    /// it loads ([`crate::bundle::load::MAX_BUNDLE_BYTES`] unless raised
    /// with `--max-bundle-bytes`).
    pub max_bytes: usize,
}

/// `check`, or `build` when [`CheckRequest::build`] is set.
///
/// Files of several projects (what a pre-commit hook passes) are each
/// checked against their own inventory and configuration, and the report
/// has every project's findings; `build` refuses them, because a bundle has
/// one inventory. The report is printed first: if it cannot be written,
/// neither is the bundle. The signature is written before the bundle, so
/// that a bundle is never left beside a signature of another one.
///
/// Exit 0 clean (and written), 1 errors, or warnings with `deny_warnings`;
/// errors: a file that cannot be read, an output that may not be written
/// ([`Error::NotWritten`]), a signing failure.
pub fn check(req: &CheckRequest, console: &mut dyn Console) -> Result {
    let mut opts = req.options.clone();
    opts.build = req.build.is_some();
    let groups = if opts.inventory.is_some() {
        Vec::new()
    } else {
        project::projects(&opts.paths)
    };
    if req.build.is_some() {
        one_project(
            &groups,
            &opts.root,
            "a bundle has one inventory: build each project on its own",
        )?;
    }
    let compilations: Vec<(Option<PathBuf>, Compilation)> = if groups.len() > 1 {
        groups
            .into_iter()
            .map(|(inventory, paths)| {
                let mut o = opts.clone();
                o.paths = paths;
                project::compile(&o).map(|c| (inventory, c))
            })
            .collect::<std::result::Result<_, _>>()?
    } else {
        vec![(None, project::compile(&opts)?)]
    };
    let failed = compilations
        .iter()
        .any(|(_, c)| c.has_errors() || (req.deny_warnings && c.count(Severity::Warning) > 0));
    let projects: Vec<Project<'_>> = compilations
        .iter()
        .map(|(inventory, c)| Project {
            inventory: inventory.as_deref().map(|i| display_path(i, &opts.root)),
            diagnostics: &c.diagnostics,
            sources: &c.sources,
            files: c.policy_files + 1,
        })
        .collect();
    let report = render_projects(&projects, req.format, console.out_color());
    let (Some(out), [(_, compiled)], false) = (&req.build, compilations.as_slice(), failed) else {
        print(console, &report)?;
        return Ok(Exit::findings_if(failed));
    };
    let Some(b) = &compiled.bundle else {
        print(console, &report)?;
        return Ok(Exit::findings_if(failed));
    };
    let issues = opts
        .issues
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    // The signing key is an input too: the bundle or its signature must
    // not be written over it.
    let key = out
        .sign_key
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let inputs: Vec<&str> = compiled
        .sources
        .files()
        .iter()
        .map(|f| f.path.as_str())
        .chain(issues.as_deref())
        .chain(key.as_deref())
        .collect();
    // The bundle goes to a temporary file as it is written, never whole in
    // memory (144 MB of text at 100,000 rules); it is signed from that
    // file, and the signature staged the same way. Both are renamed over
    // their files only once both are made: the bundle first, then the
    // signature, so that a failure leaves both old files as they were
    // (or, should the second rename fail, a new bundle whose old
    // signature does not verify: refused, never trusted).
    let shown = out.output.display().to_string();
    let sig_path = bundle::signature::signature_path(&out.output);
    let sig_shown = sig_path.display().to_string();
    let written = writable(&out.output, &inputs)
        .and_then(|()| match &out.sign_key {
            Some(_) => writable(&sig_path, &inputs),
            None => Ok(()),
        })
        .and_then(|()| {
            project::Staged::write(&out.output, &shown, |w| {
                bundle::write_text_within(b, w, out.max_bytes)
                    .map(drop)
                    .map_err(|e| match e {
                        bundle::TextError::Io(e) => format!("cannot write: {}", io_message(&e)),
                        too_large => format!(
                            "{too_large} (a runtime given `--max-bundle-bytes` reads more; so does this command)"
                        ),
                    })
            })
        })
        .map_err(Error::from)
        .and_then(|staged| {
            let sig = match &out.sign_key {
                Some(key) => {
                    let file = std::fs::File::open(staged.path()).map_err(|e| {
                        Error::from(Failure {
                            path: shown.clone(),
                            message: format!("cannot read back: {}", io_message(&e)),
                        })
                    })?;
                    let text = sign(key, std::io::BufReader::new(file), &b.digest)?;
                    Some(project::Staged::write(&sig_path, &sig_shown, |w| {
                        std::io::Write::write_all(w, text.as_bytes())
                            .map_err(|e| format!("cannot write: {}", io_message(&e)))
                    })?)
                }
                None => None,
            };
            Ok((staged, sig))
        });
    let (staged, signature) = match written {
        Ok(pair) => pair,
        Err(e) => {
            // The report still tells what the policies hold.
            let _ = console.out(&report);
            return Err(Error::NotWritten(Box::new(e)));
        }
    };
    print(console, &report)?;
    staged.commit()?;
    if let Some(sig) = signature
        && let Err(f) = sig.commit()
    {
        return Err(Failure {
            message: format!(
                "{}; {shown} was written, and a signature beside it from before does not verify it",
                f.message
            ),
            ..f
        }
        .into());
    }
    if req.format == DiagnosticFormat::Human {
        console.err(&format!("wrote {shown}\n"));
    }
    Ok(Exit::Ok)
}

/// Checks that the bundle or its signature may be written to `path`: a
/// regular file or nothing (not a link, a device, a directory, or one of
/// the inputs, the signing key included).
fn writable(path: &Path, inputs: &[&str]) -> std::result::Result<(), Failure> {
    let fail = |message: String| Failure {
        path: path.display().to_string(),
        message,
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(fail("is a symbolic link; write to a regular file".into()));
        }
        if !meta.is_file() {
            return Err(fail("exists and is not a regular file".into()));
        }
        let target = path.canonicalize().ok();
        if inputs
            .iter()
            .any(|i| Path::new(i).canonicalize().ok() == target)
        {
            return Err(fail(
                "is one of the input files; choose another output".into(),
            ));
        }
    }
    Ok(())
}

/// Signs the bundle's bytes, read from `data`, with the minisign secret
/// key in `key_path`.
fn sign(key_path: &Path, data: impl std::io::Read, digest: &str) -> Result<String> {
    let shown = key_path.display();
    let bytes = read_limited(key_path, super::MAX_KEY_BYTES)
        .map_err(|e| Error::Sign(format!("{shown}: cannot read key: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Sign(format!("{shown}: key is not UTF-8 text")))?;
    let password = std::env::var("LANEPOLICY_SIGN_PASSWORD").ok();
    bundle::signature::sign(data, &text, password, digest)
        .map_err(|e| Error::Sign(format!("{shown}: {e}")))
}
