//! lanepolicy: a policy-as-code compiler, linter and runtime for
//! deployment lanes.
//!
//! The pipeline, in module order: [`syntax`] (text to tree) ->
//! `inventory` (`lanes.yaml`) -> `sema` (names resolved, E1xx) ->
//! `lint` (L0xx) -> [`bundle`] (the compiled JSON) -> [`runtime`]
//! (decisions and the read model, reading only the bundle).
//!
//! [`project::compile`] runs the compiler side end to end;
//! [`runtime::Runtime`] is all a control plane needs.

//!
//! # The API
//!
//! - The compile core, [`project`]: [`project::load`] reads a project's
//!   files into [`project::Inputs`], [`project::compile_inputs`] compiles
//!   them without I/O, [`project::compile`] does both; the result is a
//!   [`project::Compilation`] of [`diagnostic::Diagnostic`]s over a
//!   [`source::SourceMap`], and the [`bundle::Bundle`] when asked.
//! - The bundle, [`bundle`]: its types, canonical JSON and digest,
//!   signatures; [`bundle::diff`] compares two.
//! - The runtime, [`runtime`]: [`runtime::Runtime`] loads and verifies a
//!   bundle, decides, explains and gives the read model.
//! - On top: [`policy_tests`], [`graph`], [`export`] (Launchplane),
//!   [`fmt`], [`lsp`], the registry of checks ([`checks`]), the shared
//!   vocabulary ([`model`]), the parser's entry point ([`syntax`]), every
//!   printed text ([`render`]) and the commands of the binary
//!   ([`commands`]).
//!
//! The compiler's stages in between (the configuration, the inventory
//! reader, name resolution, the lints, the YAML reader, the suggestion of
//! names) are not API: they are crate-private, and public only with the
//! `internals` feature, which the fuzz harness turns on to drive each
//! stage alone. Nothing there is stable.

#![warn(missing_docs)]

/// A module of the compiler's stages: crate-private, or public (and
/// hidden from the docs) with the `internals` feature.
macro_rules! internal {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $name;
    };
}

pub mod bundle;
pub mod checks;
pub mod commands;
internal!(config);
pub mod diagnostic;
pub mod export;
pub mod fmt;
pub mod graph;
internal!(inventory);
internal!(lint);
pub mod lsp;
pub mod model;
pub mod policy_tests;
pub mod project;
pub mod render;
pub mod runtime;
internal!(sema);
pub mod sorted_map;
pub mod source;
pub mod strict_value;
internal!(suggest);
pub mod syntax;
internal!(yaml);
