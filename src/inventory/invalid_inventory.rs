//! E201 invalid-inventory: `lanes.yaml` is not valid YAML or breaks its schema.
//!
//! ## What it does
//! Checks the inventory: valid YAML; only the known keys (`issues`,
//! `actions`, `products`; per action `operation`, `data_source`,
//! `destructive`; per product `context`, `events`, `lanes`); `production`
//! written out on every lane; `phase`, `data_authority`, `allowed_sources`,
//! `monitoring_intent` and event states from their lists of values; no
//! `monitoring_intent: prelaunch` on a live lane; no lane declared twice; no
//! key written twice (nor two that read as one name, `1` and `"1"`, at
//! any depth of a lane field's value), and
//! no YAML merge key (`<<:`) that makes a key
//! silently lose (two in one mapping, overlapping merged mappings, a merged
//! key under one written above it); no `destructive: false` on an action
//! that rebuilds, restores, replaces or imports data (any `data_source`,
//! Launchplane's `stable_bootstrap`, `target_replacement`,
//! `prod_backup_restore`, `retained_volume_backup_import`, or an unknown
//! operation whose name says so, such as `database-reset`); no
//! Launchplane operation kind written otherwise (`Stable_Bootstrap`); a
//! `data_source` on Launchplane's rebuilds, `stable_bootstrap` (only
//! `empty`) and `target_replacement`, since a rebuild without one would
//! skip every lane's data policy; no invisible
//! character (control, `Bidi_Control`, `Default_Ignorable_Code_Point`)
//! anywhere in the file, nor through a YAML escape in a name or a value
//! shown to operators. Launchplane's own lane fields have Launchplane's
//! types (`target` and `upstream_source` non-empty strings, `domains` a
//! list of host names: not `.`, `https://`, a name with a blank in it or
//! past DNS's limits (63 bytes a label, 253 in all),
//! the `requires_*` flags booleans), and no two lanes share a `target` or
//! a domain (a rebuild of one would replace the other's data; a target is
//! compared trimmed, a domain as a host: case, scheme, trailing `/`, the
//! root `.` and what follows the host (a path, a port, a user) aside, and
//! as DNS looks it up, so `bücher.example` is
//! `xn--bcher-kva.example`; a repeat within one lane is dropped, as
//! Launchplane drops it). Other lane keys are kept and carried into the bundle, unless
//! they look like a typo of a known key (`monitoring` for
//! `monitoring_intent` included), are a known key in another case, with
//! other separators or in look-alike letters (`DATA_AUTHORITY`,
//! `DataAuthority`, fullwidth or Cyrillic letters), or hold a whole number beyond 64 bits
//! at any depth, which would reach the bundle as another number.
//!
//! ## Why is this bad?
//! The inventory is the only authority on what a lane is. A lane that does
//! not say whether it is production, or a typo that silently drops
//! `data_authority`, would make every decision about it a guess. A
//! repeated merge key can flip a lane to non-production with the flipping
//! line in plain view, and an action that wipes data declared harmless lets
//! a live production lane be rebuilt with no phrase and no proof.
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
//!       testing: {phase: prelaunch}
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
//!       testing: {production: false, phase: prelaunch}
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// An E201 diagnostic; the loader words each schema problem.
pub(super) fn diagnostic(
    file: FileId,
    span: Span,
    message: String,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::new(Code::E201, file, span, message).maybe_help(help)
}
