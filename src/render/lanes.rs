//! The read model for a person: what `lanes` prints. Text from the bundle
//! is printed with control characters escaped (`one_line`).

use crate::bundle::Bundle;
use crate::runtime::{LaneView, LoweredGuard};
use crate::source::one_line;

/// The read model for a person, as `lanes` prints it: the checks the
/// configuration lowered and the policy files it left out (when any), then
/// each lane: its facts, what it may do, on whose authority and until
/// when, what is denied or retired.
pub fn lanes<V: std::borrow::Borrow<LaneView>>(
    bundle: &Bundle,
    views: impl IntoIterator<Item = V>,
) -> String {
    let mut s = String::new();
    if !bundle.lowered_checks.is_empty() {
        let list: Vec<String> = bundle
            .lowered_checks
            .iter()
            .map(|c| format!("{} {} ({} -> {})", c.code, c.name, c.default, c.severity))
            .collect();
        s.push_str(&format!(
            "checks lowered by the configuration: {}\n\n",
            list.join(", ")
        ));
    }
    if !bundle.excluded_policies.is_empty() {
        let list: Vec<String> = bundle
            .excluded_policies
            .iter()
            .map(|p| one_line(p))
            .collect();
        s.push_str(&format!(
            "policy files left out by the configuration (their rules do not apply): {}\n\n",
            list.join(", ")
        ));
    }
    // Lane after lane into the one text, a blank line between two.
    let mut unguarded = Unguarded::default();
    for (k, v) in views.into_iter().enumerate() {
        if k > 0 {
            s.push('\n');
        }
        s.push_str(&lane(v.borrow(), &mut unguarded));
    }
    s
}

/// The `unguarded:` lines of each rule's lowered checks, made once per
/// rule (its grants share the list): one line per check, with its first
/// finding and how many more there are.
#[derive(Default)]
/// Keyed by the list's address; the list is held, so that no other list
/// can take its address while the text is made.
struct Unguarded(
    std::collections::HashMap<*const LoweredGuard, (std::sync::Arc<[LoweredGuard]>, String)>,
);

impl Unguarded {
    fn lines(&mut self, lowered: &std::sync::Arc<[LoweredGuard]>) -> &str {
        if lowered.is_empty() {
            return "";
        }
        let (_, text) = self.0.entry(lowered.as_ptr()).or_insert_with(|| {
            let text = lowered
                .iter()
                .map(|g| {
                    let more = match g.count {
                        0 | 1 => String::new(),
                        n => format!(" (and {} more of {} on the rule)", n - 1, g.code),
                    };
                    format!(
                        "    unguarded: {} {} is {} by the configuration: {}{more}\n",
                        g.code,
                        g.name,
                        g.severity,
                        one_line(&g.message)
                    )
                })
                .collect();
            (lowered.clone(), text)
        });
        text
    }
}

fn lane(v: &LaneView, unguarded: &mut Unguarded) -> String {
    let mut flags = vec![
        if v.production {
            "production"
        } else {
            "not production"
        }
        .to_string(),
        v.phase.as_str().to_string(),
        format!("data {}", v.data_authority.as_str()),
    ];
    if v.protected {
        flags.push("protected".into());
    }
    if v.provisional {
        flags.push("provisional".into());
    }
    let mut s = format!("{} ({}): {}\n", v.lane, v.product, flags.join(", "));
    if let Some(up) = &v.upstream_source {
        s.push_str(&format!("  upstream source {}\n", one_line(up)));
    }
    if v.grants.is_empty() && v.denies.is_empty() {
        s.push_str("  no grants: every action is denied\n");
    }
    for g in &v.grants {
        s.push_str(&format!("  may {}", g.action));
        if let Some(i) = &g.issue {
            s.push_str(&format!(
                " on the authority of {} ({})",
                one_line(&i.reference),
                one_line(&i.url)
            ));
        }
        if !g.until.is_empty() {
            s.push_str(&format!(" until {}", g.until.join(" or ")));
        }
        s.push('\n');
        if let Some(c) = &g.confirm {
            s.push_str(&format!("    confirm \"{}\"\n", one_line(c)));
        }
        if !g.requires.is_empty() {
            s.push_str(&format!("    requires {}\n", g.requires.join(", ")));
        }
        for f in g.suppressed.iter() {
            s.push_str(&format!(
                "    unguarded: {} {} is suppressed on the rule: {}\n",
                f.code,
                f.name,
                one_line(&f.reason)
            ));
        }
        s.push_str(unguarded.lines(&g.lowered));
    }
    for d in &v.denies {
        s.push_str(&format!("  denied {}", d.action));
        if let Some(r) = &d.reason {
            s.push_str(&format!(": {}", one_line(r)));
        }
        s.push('\n');
    }
    for r in &v.retired {
        s.push_str(&format!(
            "  retired {} {} (rule {}): {}\n",
            r.effect.as_str(),
            r.action,
            r.rule,
            one_line(&r.why)
        ));
    }
    s
}
