//! `fmt`: rewrite policy files in the canonical layout, or report which
//! would change.

use super::{Console, Error, Exit, Result};
use crate::fmt::{FileOutcome, files_to_format, format_file, write_atomic};
use crate::render::fmt::{FmtCounts, MINIMAL_DIFF_TIME, fmt_summary, unified_diff};
use crate::render::render_human;
use std::path::PathBuf;

/// What `fmt` was asked.
#[derive(Clone, Debug)]
pub struct FmtRequest {
    /// Policy files or directories.
    pub paths: Vec<PathBuf>,
    /// The directory shown paths are relative to.
    pub root: PathBuf,
    /// Report files that would change; write nothing.
    pub check: bool,
    /// Print a unified diff of each change; write nothing.
    pub diff: bool,
}

/// `fmt`: formats each file in place (atomically), or with `check`/`diff`
/// only reports. A file that does not parse is refused, its diagnostics
/// told. The closing count is told last.
///
/// Exit 1 when a file does not parse or, with `check`, would change; 2
/// when a file cannot be read or written. Errors: no policy files, a
/// configuration that cannot be read, or a report that cannot be written
/// (the run stops there).
pub fn fmt(req: &FmtRequest, console: &mut dyn Console) -> Result {
    let files = files_to_format(&req.paths, &req.root)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no `.policy` files found",
            req.paths
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )));
    }
    let only_report = req.check || req.diff;
    // One search budget for the whole run (see `unified_diff`).
    let deadline = std::time::Instant::now() + MINIMAL_DIFF_TIME;
    let mut counts = FmtCounts::default();
    for (path, shown) in &files {
        match format_file(path, shown) {
            Ok(FileOutcome::Unchanged) => counts.unchanged += 1,
            Ok(FileOutcome::Changed { before, after }) => {
                let printed = if req.diff {
                    console.out(&unified_diff(shown, &before, &after, deadline))
                } else if req.check {
                    console.out(&format!("would reformat {shown}\n"))
                } else {
                    true
                };
                if !printed {
                    // The report is lost (the console said why, unless the
                    // reader went away): stop before rewriting anything more.
                    return Err(Error::Reported);
                }
                if only_report {
                    counts.changed += 1;
                } else if let Err(f) = write_atomic(path, &after, shown) {
                    console.err(&format!("error: {f}\n"));
                    counts.failed += 1;
                } else {
                    counts.changed += 1;
                }
            }
            Ok(FileOutcome::Refused {
                sources,
                diagnostics,
            }) => {
                let color = console.err_color();
                console.err(&render_human(&diagnostics, &sources, color));
                counts.refused += 1;
            }
            Err(f) => {
                console.err(&format!("error: {f}\n"));
                counts.failed += 1;
            }
        }
    }
    console.err(&format!("{}\n", fmt_summary(counts, only_report)));
    Ok(if counts.failed > 0 {
        Exit::Failure
    } else {
        Exit::findings_if(counts.refused > 0 || (req.check && counts.changed > 0))
    })
}
