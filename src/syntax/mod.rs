//! Syntax: policy text to a span-carrying tree ([`ast`]), with every syntax
//! error. Nothing here knows the inventory or what a rule means.

pub mod ast;
pub(crate) mod parser;
pub mod syntax_error;

pub use parser::{KEYWORDS, parse_file};
