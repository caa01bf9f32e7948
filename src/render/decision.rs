//! Decisions and explanations for a person: what `decide` and `explain`
//! print, and the "did you mean" hints `decide` adds under a deny. Text
//! from the request or the bundle is printed with control and other
//! invisible characters escaped (`one_line`), so that it cannot start a
//! line of its own or reorder one.

use crate::runtime::{Decision, Explanation, ReasonCode, Request, Runtime, StepOutcome};
use crate::source::one_line;
use crate::suggest::did_you_mean;

impl Decision {
    /// The decision for a person, as `decide` prints it: the verdict line,
    /// then a line per reason, the rule and its source, the issue and the
    /// retirement. Text from the request or the bundle is printed with
    /// control characters escaped (`one_line`).
    pub fn to_text(&self) -> String {
        let d = self;
        let mut s = format!(
            "{}: `{}` on `{}`\n",
            d.decision,
            one_line(&d.action),
            one_line(&d.lane)
        );
        for r in &d.reasons {
            s.push_str(&format!(
                "  {}: {}\n",
                r.code.as_str(),
                one_line(&r.message)
            ));
        }
        if let Some(r) = &d.rule {
            s.push_str(&format!(
                "  rule {} ({}:{}:{})\n",
                r.id,
                one_line(&r.source.path),
                r.source.line,
                r.source.column
            ));
        }
        if let Some(i) = &d.issue {
            s.push_str(&format!(
                "  issue {} {}\n",
                one_line(&i.reference),
                one_line(&i.url)
            ));
        }
        if !d.until.is_empty() {
            s.push_str(&format!("  until {}\n", d.until.join(" or ")));
        }
        s
    }
}

impl Explanation {
    /// The explanation as numbered steps for a person.
    pub fn to_text(&self) -> String {
        let d = &self.decision;
        let mut s = format!(
            "explain `{}` on `{}`\n",
            one_line(&d.action),
            one_line(&d.lane)
        );
        for (n, step) in self.steps.iter().enumerate() {
            let mark = match step.outcome {
                StepOutcome::Pass => "ok  ",
                StepOutcome::Fail => "FAIL",
            };
            s.push_str(&format!(
                "{:>2}. {mark} {}\n",
                n + 1,
                one_line(&step.summary)
            ));
            for line in &step.details {
                s.push_str(&format!("          {}\n", one_line(line)));
            }
        }
        s.push('\n');
        if d.is_allow() {
            s.push_str("decision: allow");
            if let Some(r) = &d.rule {
                s.push_str(&format!(
                    " by rule {} ({}:{}:{})",
                    r.id, r.source.path, r.source.line, r.source.column
                ));
            }
            if let Some(i) = &d.issue {
                s.push_str(&format!(
                    ", on the authority of {} ({})",
                    i.reference, i.url
                ));
            }
            if !d.until.is_empty() {
                s.push_str(&format!(", until {}", d.until.join(" or ")));
            }
            s.push('\n');
            return s;
        }
        let codes: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
        s.push_str(&format!("decision: deny ({})\n", codes.join(", ")));
        if let Some(p) = &self.present {
            let mut flags = Vec::new();
            if let Some(c) = &p.confirm {
                flags.push(format!("--confirm {}", shell_quote(c)));
            }
            for proof in &p.proofs {
                flags.push(format!("--proof {proof}=RECORD_ID"));
            }
            s.push_str(&format!("to be allowed, present: {}\n", flags.join(" ")));
        }
        if let Some(next) = &self.next {
            s.push_str(&format!("nothing presented can allow this: {next}\n"));
        }
        s
    }
}

/// `text` quoted for a POSIX shell; text with a control or invisible
/// character is written in ANSI-C quoting (`$'...'`, each such character
/// as `\uXXXX`), so that no such character reaches the terminal.
fn shell_quote(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() || crate::model::is_invisible(c))
    {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || crate::model::is_invisible(c) => {
                let n = c as u32;
                if n <= 0xFFFF {
                    out.push_str(&format!("\\u{n:04X}"));
                } else {
                    out.push_str(&format!("\\U{n:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// For a deny on an unknown lane or action, or with a `--proof` name that
/// is no proof: "did you mean" the closest name, as lines to print under
/// the decision (human output only; the decision itself, and its JSON,
/// stay what the runtime decided). Empty when there is nothing to hint.
pub fn unknown_name_hint(runtime: &Runtime, req: &Request, d: &Decision) -> String {
    let b = runtime.bundle();
    // A proof name no rule can ask for: it was never looked at.
    if !d.is_allow() {
        let known = crate::model::PROOFS;
        let mut hints = String::new();
        for name in req.proofs.keys().filter(|n| !known.contains(&n.as_str())) {
            hints.push_str(&match did_you_mean(name, known) {
                Some(n) => format!(
                    "  `--proof {}` names no proof: did you mean `{n}`?\n",
                    one_line(name)
                ),
                None => format!(
                    "  `--proof {}` names no proof: the proofs are {}\n",
                    one_line(name),
                    known.join(", ")
                ),
            });
        }
        if !hints.is_empty() {
            return hints;
        }
    }
    let near = match d.reasons.first().map(|r| r.code) {
        Some(ReasonCode::UnknownLane) => did_you_mean(&d.lane, b.lanes.keys().map(String::as_str)),
        Some(ReasonCode::UnknownAction) => {
            did_you_mean(&d.action, b.actions.keys().map(String::as_str))
        }
        _ => None,
    };
    near.map_or(String::new(), |n| {
        format!("  did you mean `{}`?\n", one_line(n))
    })
}
