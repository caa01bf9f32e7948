//! L006 name-suggests-production: a lane named like production (`prod`, `production`, `live`, `main`) is declared `production: false`.
//!
//! ## What it does
//! Looks at the inventory for lanes whose instance name, or a `-`/`_` part
//! of it, reads as production, but that are declared `production: false`.
//!
//! ## Why is this bad?
//! Names are not authority: the inventory decides, and lanepolicy never
//! guesses from a name. But a lane called `prod` that says it is not
//! production deserves a second look, because people will read the name.
//!
//! ## Example
//! ```yaml
//! issues: https://github.com/cbusillo/launchplane/issues/
//! actions:
//!   deploy: {operation: deploy, destructive: false}
//! products:
//!   odoo-tenant-cm:
//!     context: cm
//!     events: {launch: pending}
//!     lanes:
//!       prod: {production: false, phase: prelaunch}
//! ```
//!
//! ## Use instead
//! ```yaml
//! issues: https://github.com/cbusillo/launchplane/issues/
//! actions:
//!   deploy: {operation: deploy, destructive: false}
//! products:
//!   odoo-tenant-cm:
//!     context: cm
//!     events: {launch: pending}
//!     lanes:
//!       prod: {production: true, phase: prelaunch}
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Lane;
use crate::lint::LintContext;

/// Instance names that read as production.
const PRODUCTION_NAMES: [&str; 4] = ["prod", "production", "live", "main"];

fn diagnostic(file: usize, lane: &Lane) -> Diagnostic {
    Diagnostic::new(
        Code::L006,
        file,
        lane.span,
        format!("lane `{}` is named like production but declared `production: false`", lane.key()),
    )
    .label("named like production")
    .help("names are not authority: if it is real production, write `production: true`; if not, consider renaming it")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    for lane in ctx.inventory.lanes.values() {
        let named = lane
            .instance
            .split(['-', '_'])
            .any(|part| PRODUCTION_NAMES.contains(&part));
        if named && !lane.production {
            out.push(diagnostic(ctx.inventory.file, lane));
        }
    }
}
