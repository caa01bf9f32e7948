//! `rule`: a check's documentation, or the list of every check.

use super::{Console, Error, Exit, Result, print};
use crate::checks::lookup;
use crate::render::{json, rule};

/// `rule CODE-OR-NAME`, or `rule --all` when `name` is `None`: Markdown
/// text, or JSON with `as_json`. Errors: an unknown check.
pub fn rule(name: Option<&str>, as_json: bool, console: &mut dyn Console) -> Result {
    let text = match name {
        None if as_json => rule::rule_list_json(),
        None => rule::rule_list(),
        Some(name) => {
            let c = lookup(name).ok_or_else(|| {
                Error::Usage(format!(
                    "no check `{name}`; `lanepolicy rule --all` lists them"
                ))
            })?;
            if as_json {
                json(&rule::rule_json(c))
            } else {
                c.doc()
            }
        }
    };
    print(console, &text)?;
    Ok(Exit::Ok)
}
