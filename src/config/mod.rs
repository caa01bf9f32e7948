//! The configuration, `lanepolicy.yaml` next to `lanes.yaml`: severity per
//! check, the `expires-soon` window, the limit of grants, and which files
//! to check. Problems
//! are E202 diagnostics with the YAML line and column.
//!
//! ```yaml
//! checks:
//!   L012: off                       # by code
//!   shared-confirmation: error      # or by name
//! expires-soon-days: 21
//! max-grants: 2097152
//! include: ["**/*.policy"]
//! exclude: ["drafts/**"]
//! ```

mod invalid_config;

use crate::checks::{self, Code};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile, Span};
use crate::suggest::did_you_mean;
use crate::yaml::{self, Spans};
use globset::{GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration's file name.
pub const CONFIG_FILE: &str = "lanepolicy.yaml";

/// The default `expires-soon` window, in days.
pub const DEFAULT_EXPIRES_SOON_DAYS: i64 = 14;

/// The most globs an `include` or `exclude` list holds. A real list names
/// a few directories; this bounds the time and memory a list costs.
pub const MAX_GLOBS: usize = 4096;

/// The most bytes of glob text an `include` or `exclude` list holds, all
/// its globs together: the matcher compiled from them grows with the text
/// (at this size, about 40 MB and a fifth of a second).
pub const MAX_GLOB_BYTES: usize = 64 * 1024;

/// A loaded configuration (the defaults when there is no file).
#[derive(Debug, Clone)]
pub struct Config {
    /// Severity overrides: `None` turns a check off.
    pub severities: BTreeMap<Code, Option<Severity>>,
    /// The `expires-soon` window, in days.
    pub expires_soon_days: i64,
    /// The most grants the rules may open (`max-grants`; E110), by default
    /// [`MAX_GRANTS`].
    pub max_grants: u64,
    /// Files to check when walking directories (default: every `*.policy`).
    pub include: Option<GlobSet>,
    /// Files never to check, walked or named.
    pub exclude: Option<GlobSet>,
    /// The directory globs are relative to.
    pub base: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            severities: BTreeMap::new(),
            expires_soon_days: DEFAULT_EXPIRES_SOON_DAYS,
            max_grants: MAX_GRANTS,
            include: None,
            exclude: None,
            base: PathBuf::from("."),
        }
    }
}

impl Config {
    /// The severity of `code` after configuration; `None` when turned off.
    pub fn severity(&self, code: Code) -> Option<Severity> {
        match self.severities.get(&code) {
            Some(s) => *s,
            None => Some(code.check().default_severity),
        }
    }

    /// True when the configuration turns `code` off.
    pub fn is_off(&self, code: Code) -> bool {
        self.severity(code).is_none()
    }

    /// The path the globs see: relative to the configuration's directory,
    /// links resolved; for a file reached through a link to outside the
    /// project, the path as found (`policies/shared/x.policy`).
    fn relative(&self, path: &Path) -> PathBuf {
        let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Ok(rel) = abs.strip_prefix(&self.base) {
            return rel.to_path_buf();
        }
        std::path::absolute(path)
            .ok()
            .and_then(|p| p.strip_prefix(&self.base).ok().map(Path::to_path_buf))
            .unwrap_or(abs)
    }

    /// True when a file found by walking a directory is to be checked.
    pub fn walks(&self, path: &Path) -> bool {
        let rel = self.relative(path);
        self.include.as_ref().is_none_or(|g| g.is_match(&rel)) && !self.excludes(path)
    }

    /// True when `path` is excluded (named files included).
    pub fn excludes(&self, path: &Path) -> bool {
        let rel = self.relative(path);
        self.exclude.as_ref().is_some_and(|g| g.is_match(&rel))
    }
}

/// The globs that a glob of `include` or `exclude` stands for, read as
/// `.gitignore` reads one. The paths matched are relative to the
/// configuration's directory, so a leading `./` or `/` is that directory
/// (and anchors the glob there); a trailing `/` names a directory; a glob
/// that matches a directory matches everything under it; and a glob with
/// no `/` but a trailing one (`drafts`, `drafts/`, `*.policy`) is a name at
/// any depth: `team/drafts/` is left out by `drafts/` too. `drafts`,
/// `drafts/`, `./drafts/**` and `/drafts/**` each once matched nothing,
/// and a draft `allow` shipped with no word. A glob written with a
/// leading `/` is also kept as written, for a file outside the directory,
/// which is matched by its absolute path.
fn as_written(glob: &str) -> Vec<String> {
    let mut rel = glob;
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    let mut out = Vec::with_capacity(4);
    let anchored = rel.starts_with('/') || glob.starts_with("./");
    if let Some(rest) = rel.strip_prefix('/') {
        out.push(glob.trim_end_matches('/').to_string());
        rel = rest;
    }
    let rel = rel.trim_end_matches('/');
    if rel.is_empty() || rel == "." {
        out.push("**".into());
        return out;
    }
    let mut add = |g: String| {
        if !g.ends_with("/**") && g != "**" {
            out.push(format!("{g}/**"));
        }
        out.push(g);
    };
    if !anchored && !rel.contains('/') {
        add(format!("**/{rel}"));
    }
    add(rel.to_string());
    out
}

/// The most grants a compilation resolves by default (`max-grants`;
/// E110 too-many-grants): (lane, action) pairs summed over the rules,
/// 2^20. A fleet of 200,000 lanes with one rule per context and five
/// actions each is about one million; each grant costs a `check` about
/// 600 bytes and 4 microseconds.
pub const MAX_GRANTS: u64 = 1 << 20;

/// The highest `max-grants` a configuration may set: 2^23, eight times
/// the default (about 4 GB for a `check` at some 450 bytes a grant).
pub const MAX_GRANTS_LIMIT: u64 = 1 << 23;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    checks: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    expires_soon_days: Option<Spanned<i64>>,
    #[serde(default)]
    max_grants: Option<Spanned<i64>>,
    #[serde(default)]
    include: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    exclude: Option<Spanned<Vec<Spanned<String>>>>,
}

/// The number key (`max-grants`, `expires-soon-days`) whose value starts
/// at `value`, read from the text before it on its line.
fn number_key_before(src: &SourceFile, value: Span) -> Option<&'static str> {
    let line = src.line_span(value.start);
    let mut before = src.text[line.start..value.start.max(line.start)].trim_end();
    // A value on the line below its key (`max-grants:` then `  05000`).
    if before.is_empty() && line.start > 0 {
        let above = src.line_span(line.start - 1);
        before = src.text[above.start..above.end].trim_end();
    }
    // An anchor or a tag between the key and its value (`&n`, `!!int`).
    while let Some((rest, last)) = before.rsplit_once([' ', '\t'])
        && last.starts_with(['&', '!'])
    {
        before = rest.trim_end();
    }
    let before = before.strip_suffix(':')?.trim_end().trim_end_matches(['"', '\'']);
    ["max-grants", "expires-soon-days"]
        .into_iter()
        .find(|k| before.ends_with(k))
}

/// The message for a number key whose value is not written in decimal
/// digits.
fn not_decimal(key: &str, written: &str) -> String {
    format!("`{key}` must be a whole number written in decimal digits, found `{written}`")
}

/// The range of `key`'s values, inclusive.
fn number_range(key: &str) -> (i128, i128) {
    if key == "max-grants" {
        (1, i128::from(MAX_GRANTS_LIMIT))
    } else {
        (0, 3650)
    }
}

/// "write `key: n`" when `n` is a value `key` takes (so the help never
/// suggests a value that is refused in turn), else the range it takes.
fn write_instead(key: &str, n: i128, why: &str) -> String {
    let (lo, hi) = number_range(key);
    if (lo..=hi).contains(&n) {
        format!("{why}write `{key}: {n}`")
    } else {
        range_help(key)
    }
}

/// The values `key` takes, and its default.
fn range_help(key: &str) -> String {
    let (lo, hi) = number_range(key);
    let default = if key == "max-grants" {
        MAX_GRANTS.to_string()
    } else {
        DEFAULT_EXPIRES_SOON_DAYS.to_string()
    };
    format!("`{key}` takes a whole number from {lo} to {hi}, written in decimal digits; the default is {default}")
}

/// What to write instead of `written`, a value the reader did not take as
/// a whole number: the same number without leading zeros, or without a
/// fraction of zero, when it is one `key` takes; else the range.
fn number_help(key: &str, written: &str) -> String {
    let (sign, unsigned) = match written.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, written.strip_prefix('+').unwrap_or(written)),
    };
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return match unsigned.parse::<i128>() {
            Ok(n) => write_instead(key, sign * n, "leading zeros are not read as decimal: "),
            Err(_) => range_help(key),
        };
    }
    match written.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            write_instead(key, f as i128, "it has a fraction or an exponent: ")
        }
        _ => range_help(key),
    }
}

/// Loads the configuration from `src` (file id `file`, in directory `base`).
/// Returns the configuration (defaults where it is wrong) and its E202s.
pub fn load(src: &SourceFile, file: FileId, base: &Path) -> (Config, Vec<Diagnostic>) {
    let mut config = Config {
        base: base.canonicalize().unwrap_or_else(|_| base.to_path_buf()),
        ..Config::default()
    };
    let mut diags = Vec::new();
    if yaml::is_blank(&src.text) {
        return (config, diags);
    }
    let spans = Spans { src };
    let mut error = |span: Span, message: String, help: Option<String>| {
        diags.push(invalid_config::diagnostic(file, span, message, help));
    };
    let raw: RawConfig = match yaml::read(&src.text) {
        Ok(r) => r,
        Err(e) => {
            let span = spans.at(e.line, e.column);
            if let Some(key) = number_key_before(src, span).filter(|_| e.message == yaml::NOT_A_WHOLE_NUMBER) {
                let written = &src.text[span.start..span.end];
                error(
                    span,
                    not_decimal(key, written),
                    Some(number_help(key, written)),
                );
                return (config, diags);
            }
            if e.message == yaml::NOT_A_WHOLE_NUMBER {
                error(
                    span,
                    "invalid configuration: expected a whole number written in decimal digits".into(),
                    Some(format!("{}; {}", range_help("max-grants"), range_help("expires-soon-days"))),
                );
                return (config, diags);
            }
            let help = e.message.contains("unknown field").then(|| {
                "the configuration has `checks`, `expires-soon-days`, `max-grants`, `include` and `exclude`"
                    .to_string()
            });
            error(
                spans.at(e.line, e.column),
                format!("invalid configuration: {}", e.message),
                help,
            );
            return (config, diags);
        }
    };
    for (key, value) in &raw.checks {
        let vspan = spans.of(value);
        let kspan = spans.key(key, vspan);
        let Some(check) = checks::lookup(key) else {
            let names = checks::CHECKS.iter().flat_map(|c| [c.code, c.name]);
            let help = did_you_mean(key, names).map_or_else(
                || "`lanepolicy rule --all` lists the checks".to_string(),
                |s| format!("did you mean `{s}`?"),
            );
            error(kspan, format!("unknown check `{key}`"), Some(help));
            continue;
        };
        if check.is_error_code() {
            error(
                kspan,
                format!(
                    "`{}` ({}) is an error and cannot be configured",
                    check.code, check.name
                ),
                Some("errors always fail the check; fix them instead".into()),
            );
            continue;
        }
        let severity = match value.value.as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "off" => None,
            other => {
                let help = did_you_mean(other, ["error", "warning", "off"]).map_or_else(
                    || "write `error`, `warning` or `off`".to_string(),
                    |s| format!("did you mean `{s}`?"),
                );
                error(vspan, format!("`{other}` is not a severity"), Some(help));
                continue;
            }
        };
        let code = checks::CHECKS
            .iter()
            .position(|c| std::ptr::eq(c, check))
            .and_then(Code::from_index);
        if let Some(code) = code
            && config.severities.insert(code, severity).is_some()
        {
            error(
                kspan,
                format!("`{}` ({}) is configured twice", check.code, check.name),
                Some("keep one entry, by code or by name".into()),
            );
        }
    }
    // YAML reads `"8"`, `0b1000`, `+5`, `1_000` and `0x10` as numbers too:
    // a number here is written in decimal digits, as the docs show it, so
    // that what a reviewer reads is what is configured.
    let decimal = |key: &str, v: &Spanned<i64>, error: &mut dyn FnMut(Span, String, Option<String>)| {
        let span = spans.of(v);
        let written = &src.text[span.start..span.end];
        let digits = written.strip_prefix('-').unwrap_or(written);
        if let Some(alias) = written.strip_prefix('*') {
            error(
                span,
                format!("`{key}` is written as the alias `*{alias}`; write the number itself"),
                Some(format!(
                    "`*{alias}` stands for {}: {}",
                    v.value,
                    write_instead(key, i128::from(v.value), "")
                )),
            );
            return false;
        }
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            error(
                span,
                not_decimal(key, written),
                Some(write_instead(key, i128::from(v.value), "")),
            );
            return false;
        }
        true
    };
    if let Some(days) = &raw.expires_soon_days
        && decimal("expires-soon-days", days, &mut error)
    {
        if (0..=3650).contains(&days.value) {
            config.expires_soon_days = days.value;
        } else {
            error(
                spans.of(days),
                format!(
                    "`expires-soon-days` must be between 0 and 3650, found {}",
                    days.value
                ),
                Some(range_help("expires-soon-days")),
            );
        }
    }
    if let Some(grants) = &raw.max_grants
        && decimal("max-grants", grants, &mut error)
    {
        match u64::try_from(grants.value) {
            Ok(n) if (1..=MAX_GRANTS_LIMIT).contains(&n) => config.max_grants = n,
            _ => error(
                spans.of(grants),
                format!(
                    "`max-grants` must be between 1 and {MAX_GRANTS_LIMIT}, found {}",
                    grants.value
                ),
                Some(format!(
                    "the default is {}; raise it for a fleet whose rules open more (lane, action) grants",
                    MAX_GRANTS
                )),
            ),
        }
    }
    // A list with an invalid glob, or too large to match as one set, is
    // an error and matches as if it were not written (no `include` leaves
    // no file out), so that the error is the only finding it makes; the
    // compilation fails on the error either way.
    let mut globs = |key: &str, list: &Option<Spanned<Vec<Spanned<String>>>>| -> Option<GlobSet> {
        let list = list.as_ref()?;
        if list.value.is_empty() {
            if key == "include" {
                error(
                    spans.of(list),
                    "`include` lists no glob, so it would leave every policy file out".into(),
                    Some("list the files to check (`include: [\"**/*.policy\"]`), or remove `include` to check every `.policy` file".into()),
                );
            }
            return None;
        }
        // Bounded before anything is compiled: the matcher's automaton
        // grows with the glob text, and a 2 MB `exclude` of `*a*a...`
        // took 1.1 GB and seconds before it was refused.
        let bytes: usize = list.value.iter().map(|g| g.value.len()).sum();
        if list.value.len() > MAX_GLOBS || bytes > MAX_GLOB_BYTES {
            error(
                spans.of(list),
                format!(
                    "`{key}` lists {} globs of {bytes} bytes in all, over the limit of {MAX_GLOBS} globs and {MAX_GLOB_BYTES} bytes",
                    list.value.len()
                ),
                Some(format!(
                    "match directories (`drafts/**`) rather than each file in `{key}`"
                )),
            );
            return None;
        }
        let mut b = GlobSetBuilder::new();
        let mut valid = true;
        for g in &list.value {
            if g.value.trim().is_empty() {
                valid = false;
                error(
                    spans.of(g),
                    format!("`{key}` lists an empty glob, which names no file"),
                    Some("remove it, or write the files it means (`drafts/**`)".into()),
                );
                continue;
            }
            // Each list errs toward leaving a file out (a deny left out
            // is L019). `exclude` matches whatever the case, as the
            // `.policy` extension does (`drafts/*.policy` must leave out
            // `drafts/X.POLICY`), and its `*` also crosses `/`. `include`
            // matches as written, and its `*` stays within a name
            // (`/*.policy` is the files at the top, not those below).
            let exclude = key == "exclude";
            let globs: Result<Vec<_>, _> = as_written(&g.value)
                .iter()
                .map(|glob| {
                    globset::GlobBuilder::new(glob)
                        .case_insensitive(exclude)
                        .literal_separator(!exclude)
                        .build()
                })
                .collect();
            match globs {
                Ok(globs) => {
                    for glob in globs {
                        b.add(glob);
                    }
                }
                Err(e) => {
                    valid = false;
                    error(
                        spans.of(g),
                        format!("`{}` is not a valid glob: {}", g.value, e.kind()),
                        None,
                    );
                }
            }
        }
        match b.build() {
            Ok(set) if valid => Some(set),
            Ok(_) => None,
            Err(e) => {
                error(
                    spans.of(list),
                    format!(
                        "the `{key}` globs cannot be matched together: {}",
                        e.kind()
                    ),
                    Some(format!("write fewer or simpler globs in `{key}`")),
                );
                None
            }
        }
    };
    config.include = globs("include", &raw.include);
    config.exclude = globs("exclude", &raw.exclude);
    (config, diags)
}
