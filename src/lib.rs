//! lanepolicy: a policy-as-code compiler, linter and runtime for
//! deployment lanes.
//!
//! The pipeline, in module order: [`syntax`] (text to tree) ->
//! [`inventory`] (`lanes.yaml`) -> [`sema`] (names resolved, E1xx) ->
//! [`lint`] (L0xx) -> [`bundle`] (the compiled JSON) -> [`runtime`]
//! (decisions and the read model, reading only the bundle).
//!
//! [`project::compile`] runs the compiler side end to end;
//! [`runtime::Runtime`] is all a control plane needs.

#![warn(missing_docs)]

pub mod bundle;
pub mod checks;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod export;
pub mod fmt;
pub mod graph;
pub mod inventory;
pub mod lint;
pub mod lsp;
pub mod model;
pub mod policy_tests;
pub mod project;
pub mod render;
pub mod runtime;
pub mod sema;
pub mod source;
pub mod suggest;
pub mod syntax;
pub mod yaml;
