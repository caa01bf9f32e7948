//! `test`: run the policy test files against the policies of their
//! project.

use super::{Console, Error, Exit, Result, print};
use crate::policy_tests::{Options, run};
use crate::render::test_report;

/// `test`: exit 0 when every case passes, 1 when any fails. When the
/// suites cannot run (a test file or the policies have errors, a file
/// cannot be read), each problem is told with its snippets and the
/// result is [`Error::Reported`] (exit 2).
pub fn test(opts: &Options, console: &mut dyn Console) -> Result {
    match run(opts) {
        Err(errors) => {
            let color = console.err_color();
            for e in &errors {
                console.err(&e.render(color));
            }
            Err(Error::Reported)
        }
        Ok(reports) => {
            print(console, &test_report(&reports))?;
            let failed = reports.iter().flat_map(|r| &r.results).any(|c| !c.passed());
            Ok(Exit::findings_if(failed))
        }
    }
}
