//! The runtime's commands: `decide`, `explain`, `lanes` and
//! `export launchplane`, each on one bundle read by a [`BundleReader`].

use super::{BundleReader, Console, Error, Exit, FactFlags, Loaded, Result, print};
use crate::render::{self, json};
use crate::runtime::{Decision, Explanation, Facts, ReasonCode, Request};
use std::path::Path;

/// How `lanes` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LanesFormat {
    /// One block per lane.
    Human,
    /// lanepolicy's read model as JSON.
    Json,
    /// Launchplane's read model: `driver_extensions.odoo` per lane, as JSON.
    Launchplane,
}

/// The bundle and the facts a decision needs. When either fails, the
/// error denies ([`Error::Denied`]); with `as_json`, `refusal` (given the
/// error and, once the bundle is read, its digest) is printed first.
fn for_decision(
    reader: &BundleReader,
    bundle: &Path,
    flags: &FactFlags,
    as_json: bool,
    refusal: impl Fn(&Error, Option<&str>) -> String,
    console: &mut dyn Console,
) -> Result<(Loaded, Facts)> {
    let deny = |e: Error, digest: Option<&str>, console: &mut dyn Console| {
        if as_json {
            let _ = console.out(&refusal(&e, digest));
        }
        Error::Denied(Box::new(e))
    };
    let runtime = reader
        .load(bundle)
        .map_err(|e| deny(e.into(), None, console))?;
    let facts = flags
        .facts(&runtime)
        .map_err(|e| deny(e, Some(runtime.digest()), console))?;
    Ok((runtime, facts))
}

/// `decide`: one decision on the bundle at `bundle`. Exit 0 allow, 1 deny.
/// A bundle that cannot be read, or facts it refuses, are
/// [`Error::Denied`]: with `as_json`, the deny decision is printed first.
/// A human deny on an unknown name adds "did you mean"
/// ([`render::unknown_name_hint`]).
pub fn decide(
    reader: &BundleReader,
    bundle: &Path,
    req: &Request,
    flags: &FactFlags,
    as_json: bool,
    console: &mut dyn Console,
) -> Result {
    let refusal = |e: &Error, digest: Option<&str>| {
        let code = match digest {
            None => ReasonCode::BundleInvalid,
            Some(_) => ReasonCode::InvalidRequest,
        };
        json(&Decision::refused(
            req,
            code,
            e.to_string(),
            digest.map(str::to_string),
        ))
    };
    let (runtime, facts) = for_decision(reader, bundle, flags, as_json, refusal, console)?;
    let d = runtime.decide(req, &facts);
    let text = if as_json {
        json(&d)
    } else {
        d.to_text() + &render::unknown_name_hint(&runtime, req, &d)
    };
    print(console, &text)?;
    Ok(Exit::findings_if(!d.is_allow()))
}

/// `explain`: the decision as numbered steps; exit codes and errors as
/// [`decide`] (with `as_json`, the failed explanation is printed first).
pub fn explain(
    reader: &BundleReader,
    bundle: &Path,
    req: &Request,
    flags: &FactFlags,
    as_json: bool,
    console: &mut dyn Console,
) -> Result {
    let refusal = |e: &Error, digest: Option<&str>| {
        let message = e.to_string();
        json(&match digest {
            None => Explanation::bundle_invalid(req, &message),
            Some(d) => Explanation::invalid_request(req, &message, d),
        })
    };
    let (runtime, facts) = for_decision(reader, bundle, flags, as_json, refusal, console)?;
    let e = runtime.explain(req, &facts);
    print(console, &if as_json { json(&e) } else { e.to_text() })?;
    Ok(Exit::findings_if(!e.decision.is_allow()))
}

/// `lanes`: the read model in `format`. Exit 0; errors: the bundle, the
/// facts, or a lane Launchplane could not take.
pub fn lanes(
    reader: &BundleReader,
    bundle: &Path,
    flags: &FactFlags,
    format: LanesFormat,
    console: &mut dyn Console,
) -> Result {
    let runtime = reader.load(bundle)?;
    let facts = flags.facts(&runtime)?;
    let text = match format {
        LanesFormat::Human => render::lanes(runtime.bundle(), runtime.lanes_iter(&facts)),
        LanesFormat::Json => render::json_seq(runtime.lanes_iter(&facts)),
        LanesFormat::Launchplane => {
            let export =
                crate::export::launchplane(&runtime, &facts).map_err(|message| Error::Export {
                    path: bundle.display().to_string(),
                    message,
                })?;
            json(&crate::export::read_model(&export))
        }
    };
    print(console, &text)?;
    Ok(Exit::Ok)
}

/// `export launchplane`: Launchplane's lane profiles, dry-run apply
/// requests and notes, as JSON. Exit 0; errors as [`lanes`], and nothing is
/// printed.
pub fn export_launchplane(
    reader: &BundleReader,
    bundle: &Path,
    flags: &FactFlags,
    console: &mut dyn Console,
) -> Result {
    let runtime = reader.load(bundle)?;
    let facts = flags.facts(&runtime)?;
    let export = crate::export::launchplane(&runtime, &facts).map_err(|message| Error::Export {
        path: bundle.display().to_string(),
        message,
    })?;
    print(console, &json(&export))?;
    Ok(Exit::Ok)
}
