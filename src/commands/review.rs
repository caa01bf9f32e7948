//! `diff` and `graph`: what a change does, and what an issue approves.

use super::{BundleReader, Console, Error, Exit, Result, one_project, print};
use crate::graph::PolicyGraph;
use crate::project::{self, Options};
use crate::render::{self, json};
use crate::runtime::effective::Review;
use std::path::Path;

/// How `diff` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    /// One change per line, details indented.
    Text,
    /// The changes as JSON.
    Json,
    /// Markdown tables, for a pull request comment.
    Markdown,
}

/// `diff`: the review of `old` against `new`. Exit 0 with the changes
/// printed (none is fine); 1 with `fail_on_widening` when some lane and
/// action is allowed in a situation it was not before. Errors: either
/// bundle (both are reported).
pub fn diff(
    reader: &BundleReader,
    old: &Path,
    new: &Path,
    format: DiffFormat,
    fail_on_widening: bool,
    console: &mut dyn Console,
) -> Result {
    let (a, b) = match (reader.load(old), reader.load(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e.into()),
        (Err(e), Err(second)) => {
            console.err(&format!("error: {e}\n"));
            return Err(second.into());
        }
    };
    let d = Review::new(&a, &b);
    let text = match format {
        DiffFormat::Text => d.to_text(),
        DiffFormat::Json => json(&d),
        DiffFormat::Markdown => d.to_markdown(),
    };
    print(console, &text)?;
    Ok(Exit::findings_if(fail_on_widening && d.widens()))
}

/// `graph`: issues -> rules -> lanes -> actions as Graphviz DOT, of the
/// bundle at `bundle` or, without one, of the policies `options` compiles
/// (one project only); only what `issue` approves when given. Exit 0;
/// [`Error::PolicyErrors`] (exit 1) when the policies have errors, whose
/// diagnostics are told first; a usage error for an issue no rule cites.
pub fn graph(
    reader: &BundleReader,
    bundle: Option<&Path>,
    options: &Options,
    issue: Option<&str>,
    console: &mut dyn Console,
) -> Result {
    let compiled = match bundle {
        Some(path) => reader.load(path)?.bundle().clone(),
        None => {
            if options.inventory.is_none() {
                one_project(
                    &project::projects(&options.paths),
                    &options.root,
                    "a graph has one inventory: draw each project on its own",
                )?;
            }
            let mut opts = options.clone();
            opts.build = true;
            let outcome = project::compile(&opts)?;
            let Some(b) = outcome.bundle else {
                let color = console.err_color();
                console.err(&render::render_errors(
                    &outcome.diagnostics,
                    &outcome.sources,
                    color,
                ));
                return Err(Error::PolicyErrors);
            };
            b
        }
    };
    let whole = PolicyGraph::new(&compiled);
    let g = match issue {
        None => whole,
        Some(wanted) => whole
            .for_issue(wanted)
            .ok_or_else(|| Error::Usage(format!("no rule cites issue `{wanted}`")))?,
    };
    print(console, &g.to_dot())?;
    Ok(Exit::Ok)
}
