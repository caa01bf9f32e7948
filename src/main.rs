//! The `lanepolicy` command: parses arguments, runs the library, picks the
//! output format and maps outcomes to the contract's exit codes
//! (0 ok/allow, 1 findings/deny, 2 usage, I/O or unreadable bundle).

/// mimalloc rather than the system allocator: loading a bundle makes
/// hundreds of thousands of small allocations, and with mimalloc `decide`
/// on a 10,000-rule bundle takes 30 times fewer page faults and about 1.4
/// times less time as a whole process (docs/performance.md). The library
/// leaves the allocator to whoever embeds it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lanepolicy::bundle::load::MAX_BUNDLE_BYTES;
use lanepolicy::bundle::{self, BundleError};
use lanepolicy::diagnostic::{self, Severity};
use lanepolicy::model::Phase;
use lanepolicy::project::{self, Failure};
use lanepolicy::runtime::{Decision, Explanation, Facts, ReasonCode, Request, Runtime};
use lanepolicy::source::{one_line, read_limited};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lanepolicy",
    version,
    about = "Policy-as-code for deployment lanes: check, build and enforce lane rules"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// A public key trusted to sign bundles, as minisign writes it (a
    /// `.pub` file, or its `RW...` line); repeatable, for key rotation.
    /// With any, every command that reads a bundle requires its signature
    /// (`BUNDLE.minisig`) to verify against one of them.
    #[arg(long = "trusted-key", global = true, value_name = "KEY")]
    trusted_keys: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, type-check and lint policy files against the inventory.
    Check(CheckArgs),
    /// Check, then write the bundle (nothing is written when there are errors).
    Build {
        #[command(flatten)]
        check: CheckArgs,
        /// Where to write the bundle.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Sign the bundle with this minisign secret key and write the
        /// signature to `FILE.minisig`; an encrypted key's password is read
        /// from `LANEPOLICY_SIGN_PASSWORD`.
        #[arg(long = "sign-key", value_name = "KEYFILE")]
        sign_key: Option<PathBuf>,
    },
    /// Decide one request against a bundle (exit 0 allow, 1 deny, 2 error).
    Decide {
        #[command(flatten)]
        request: RequestArgs,
        #[command(flatten)]
        facts: FactArgs,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Explain a decision step by step (flags and exit codes as `decide`).
    Explain {
        #[command(flatten)]
        request: RequestArgs,
        #[command(flatten)]
        facts: FactArgs,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run policy test cases (`*.test.yaml`) against the policies beside them
    /// (exit 0 all pass, 1 any fail, 2 when the tests cannot run).
    Test {
        /// Test files or directories [default: policies/].
        #[arg(value_name = "PATHS")]
        paths: Vec<PathBuf>,
        /// The inventory [default: the nearest lanes.yaml of each test file].
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// The clock for cases that set no `now`, RFC 3339 [default: now].
        #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
    },
    /// Print a check's documentation (`lanepolicy rule L003`), or list every check.
    Rule {
        /// A check's code (`L003`) or name (`production-lane`).
        #[arg(value_name = "CODE-OR-NAME", required_unless_present = "all")]
        check: Option<String>,
        /// Every check.
        #[arg(long, conflicts_with = "check")]
        all: bool,
        /// How to print.
        #[arg(long, value_enum, default_value_t = RuleFormat::Text)]
        format: RuleFormat,
    },
    /// The semantic change between two bundles: grants added, removed or
    /// changed per (lane, action) (exit 0, or 2 for an unreadable bundle).
    Diff {
        /// The bundle before.
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The bundle after.
        #[arg(value_name = "NEW")]
        new: PathBuf,
        /// How to print the changes.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Exit 1 when some lane and action is allowed in a situation it
        /// was not before (opened, widened or changed).
        #[arg(long)]
        fail_on_widening: bool,
    },
    /// The policy as a graph, issues -> rules -> lanes -> actions, in
    /// Graphviz DOT (from a bundle, or from the policies when none is given).
    Graph {
        /// Policy files or directories, when no bundle is given [default: policies/].
        #[arg(value_name = "PATHS")]
        paths: Vec<PathBuf>,
        /// The bundle to draw, instead of compiling the policies.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "inventory"])]
        bundle: Option<PathBuf>,
        /// The inventory [default: the nearest lanes.yaml].
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// Only what one issue approves: `573`, `#573`, `owner/repo#573` or its URL.
        #[arg(long, value_name = "ISSUE")]
        issue: Option<String>,
    },
    /// Export a bundle for another system (exit 0, or 2 for an unreadable bundle).
    Export {
        #[command(subcommand)]
        target: ExportTarget,
    },
    /// The read model: every lane, its state, and what it may do.
    Lanes {
        /// The bundle to read.
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        #[command(flatten)]
        facts: FactArgs,
        /// Print the read model as JSON (the same as `--format json`).
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// How to print the read model.
        #[arg(long, value_enum, default_value_t = LanesFormat::Human)]
        format: LanesFormat,
    },
    /// A Language Server Protocol server on stdin/stdout, for editors (docs/editors.md).
    Lsp,
    /// Rewrite policy files in the canonical layout, comments kept.
    Fmt {
        /// Policy files or directories [default: policies/].
        #[arg(value_name = "PATHS")]
        paths: Vec<PathBuf>,
        /// Write nothing; name the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// Write nothing; print the changes as a unified diff.
        #[arg(long)]
        diff: bool,
    },
}

#[derive(Args)]
struct CheckArgs {
    /// Policy files or directories [default: policies/].
    #[arg(value_name = "PATHS")]
    paths: Vec<PathBuf>,
    /// The inventory [default: the nearest lanes.yaml].
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// The date date-based lints compare against [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<jiff::civil::Date>,
    /// The configuration [default: lanepolicy.yaml beside the inventory].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Issue states for `issue-closed` (`gh issue list --state all --json number,state,url`).
    #[arg(long, value_name = "FILE")]
    issues: Option<PathBuf>,
    /// The largest policy file, inventory or configuration read, in bytes
    /// [default: 67108864, 64 MiB].
    #[arg(long, value_name = "BYTES")]
    max_input_bytes: Option<u64>,
}

/// How `lanes` prints.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LanesFormat {
    /// One block per lane.
    Human,
    /// lanepolicy's read model as JSON.
    Json,
    /// Launchplane's read model: `driver_extensions.odoo` per lane, as JSON.
    Launchplane,
}

#[derive(Clone, Copy, ValueEnum)]
enum RuleFormat {
    /// Markdown text.
    Text,
    /// JSON.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Source snippets, labels and help.
    Human,
    /// The contract's JSON array.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

#[derive(Args)]
struct RequestArgs {
    /// The bundle to decide on.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// The lane, `context/instance`.
    #[arg(long, value_name = "LANE")]
    lane: String,
    /// The action.
    #[arg(long, value_name = "ACTION")]
    action: String,
    /// The confirmation phrase the operator typed.
    #[arg(long, value_name = "TEXT")]
    confirm: Option<String>,
    /// A proof record, e.g. `backup_proof=bg-2026-11-29-1`.
    #[arg(long = "proof", value_name = "NAME=ID", value_parser = parse_pair::<'='>)]
    proofs: Vec<(String, String)>,
}

#[derive(Args)]
struct FactArgs {
    /// An event that has occurred, `PRODUCT:EVENT` (repeatable).
    #[arg(long = "occurred", value_name = "PRODUCT:EVENT", value_parser = parse_pair::<':'>)]
    occurred: Vec<(String, String)>,
    /// A lane's current phase, `LANE=prelaunch|live` (repeatable).
    #[arg(long = "phase", value_name = "LANE=PHASE", value_parser = parse_phase)]
    phases: Vec<(String, Phase)>,
    /// The current time, RFC 3339, e.g. `2026-12-01T00:00:00Z`; it may be
    /// later than the clock, never earlier [default: now].
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<jiff::Timestamp>,
}

/// An RFC 3339 time, with the expected form in the error. A time outside
/// what the runtime represents (jiff's range: years -9999 to 9999, up to
/// 9999-12-30T22:00:00Z) is out of range, not malformed; an offset must be
/// within a day (RFC 3339: hours 00 to 23), which jiff alone does not check.
fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    const FORM: &str =
        "write it like `2026-12-01T00:00:00Z` (a date, `T`, a time, and `Z` or an offset)";
    match s.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let offset_hours = s
                .len()
                .checked_sub(6)
                .and_then(|k| s.get(k..))
                .filter(|o| o.starts_with(['+', '-']) && o.as_bytes()[3] == b':')
                .and_then(|o| o[1..3].parse::<u8>().ok());
            match offset_hours {
                Some(h) if h > 23 => Err(format!(
                    "`{s}` has an offset of {h} hours; an RFC 3339 offset is at most 23:59: {FORM}"
                )),
                _ => Ok(t),
            }
        }
        Err(e) if e.to_string().contains("overflowed") => Err(format!(
            "`{s}` is out of range: lanepolicy represents times up to {}",
            jiff::Timestamp::MAX.strftime("%Y-%m-%dT%H:%M:%SZ")
        )),
        Err(e) if e.to_string().contains("required range") => Err(format!(
            "`{s}` is not a valid time ({}): {FORM}",
            e.to_string().rsplit(": ").next().unwrap_or_default()
        )),
        Err(_) => Err(format!("`{s}` is not an RFC 3339 time: {FORM}")),
    }
}

fn parse_pair<const SEP: char>(s: &str) -> Result<(String, String), String> {
    match s.split_once(SEP) {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(format!("expected `A{SEP}B`, found `{s}`")),
    }
}

fn parse_phase(s: &str) -> Result<(String, Phase), String> {
    let (lane, phase) = parse_pair::<'='>(s)?;
    let phase = Phase::parse(&phase)
        .ok_or_else(|| format!("`{phase}` is not a phase: write `prelaunch` or `live`"))?;
    Ok((lane, phase))
}

impl FactArgs {
    /// The facts; two different phases for one lane are refused.
    fn facts(&self) -> Result<Facts, String> {
        let clock = jiff::Timestamp::now();
        let mut f = match self.now {
            Some(now) => Facts::at_given(now, clock).map_err(|e| e.to_string())?,
            None => Facts::at(clock),
        };
        f.occurred = self.occurred.iter().cloned().collect();
        for (lane, phase) in &self.phases {
            if let Some(other) = f.phases.insert(lane.clone(), *phase)
                && other != *phase
            {
                return Err(format!(
                    "`--phase` gives lane `{lane}` two phases, `{}` and `{}`",
                    other.as_str(),
                    phase.as_str()
                ));
            }
        }
        Ok(f)
    }
}

fn main() -> ExitCode {
    // Before anything is opened: a closed standard output would otherwise
    // be taken by the next file opened (a bundle's temporary file), and the
    // standard library quietly drops writes to a closed descriptor.
    if let Err(e) = stdout_is_open() {
        error(format!(
            "standard output is not usable ({e}); nothing is done, so that no report is lost"
        ));
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let printed = e.print().is_ok() && std::io::stdout().flush().is_ok();
            if !printed && !e.use_stderr() {
                error("cannot write to standard output".to_string());
            }
            return ExitCode::from(if e.use_stderr() || !printed { 2 } else { 0 });
        }
    };
    let keys = match trusted_keys(&cli.trusted_keys) {
        Ok(k) => k,
        Err(msg) => {
            error(msg);
            return ExitCode::from(2);
        }
    };
    TRUSTED_KEYS.get_or_init(|| keys);
    let code = match cli.command {
        Command::Rule { check, all, format } => rule(check.as_deref(), all, format),
        Command::Check(args) => check(&args, None),
        Command::Build {
            check: args,
            output,
            sign_key,
        } => check(
            &args,
            Some(Output {
                path: &output,
                sign_key: sign_key.as_deref(),
            }),
        ),
        Command::Decide {
            request,
            facts,
            json,
        } => decide(&request, &facts, json),
        Command::Lanes {
            bundle,
            facts,
            json,
            format,
        } => lanes(
            &bundle,
            &facts,
            if json { LanesFormat::Json } else { format },
        ),
        Command::Explain {
            request,
            facts,
            json,
        } => explain(&request, &facts, json),
        Command::Test {
            paths,
            inventory,
            now,
        } => policy_tests(paths, inventory, now),
        Command::Diff {
            old,
            new,
            format,
            fail_on_widening,
        } => diff(&old, &new, format, fail_on_widening),
        Command::Export {
            target: ExportTarget::Launchplane { bundle, facts },
        } => export_launchplane(&bundle, &facts),
        Command::Graph {
            paths,
            bundle,
            inventory,
            issue,
        } => graph(paths, bundle.as_deref(), inventory, issue.as_deref()),
        Command::Fmt { paths, check, diff } => fmt(&paths, check, diff),
        Command::Lsp => lanepolicy::lsp::serve_stdio(),
    };
    ExitCode::from(code)
}

fn error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}

/// Whether standard output is open. A closed one (`>&-`) is not seen as
/// closed by the program: the Rust runtime puts `/dev/null`, opened
/// read-write, in its place before `main` (and the standard library drops
/// writes to a closed descriptor anyway). A shell's `>/dev/null` opens it
/// write-only, so `/dev/null` open read-write on descriptor 1 is taken as
/// closed. Writes are still checked one by one ([`print_out`]): a full
/// device (`>/dev/full`) only fails on writing.
#[cfg(unix)]
fn stdout_is_open() -> Result<(), String> {
    use rustix::fs::{FileType, OFlags, fcntl_getfl, fstat, stat};
    let out = std::io::stdout();
    let meta = fstat(&out).map_err(|e| e.to_string())?;
    if FileType::from_raw_mode(meta.st_mode) != FileType::CharacterDevice {
        return Ok(());
    }
    let null = stat("/dev/null").map_err(|e| e.to_string())?;
    let mode = fcntl_getfl(&out).map_err(|e| e.to_string())? & OFlags::RWMODE;
    if meta.st_rdev == null.st_rdev && mode == OFlags::RDWR {
        return Err("it is closed".into());
    }
    Ok(())
}

/// Elsewhere, writes are checked one by one ([`print_out`]).
#[cfg(not(unix))]
fn stdout_is_open() -> Result<(), String> {
    Ok(())
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_out(s: &str) -> bool {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => true,
        // The reader went away (`| head`): nothing to tell it.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            error(format!(
                "cannot write to standard output: {}",
                project::io_message(&e)
            ));
            false
        }
    }
}

/// The paths a command reads when none are given: `policies/`, or, when
/// there is none here but this directory holds the inventory (you are in
/// the policy directory itself, or its last policy file was deleted, and a
/// checkout keeps no empty directory), this directory. Otherwise
/// `policies/`, whose absence is then reported.
fn default_paths() -> Vec<PathBuf> {
    let default = Path::new("policies");
    if std::fs::symlink_metadata(default).is_err()
        && std::fs::symlink_metadata(project::INVENTORY_FILE).is_ok()
    {
        vec![PathBuf::from(".")]
    } else {
        vec![default.to_path_buf()]
    }
}

/// When no paths were given and there is no `policies/` here (nor an
/// inventory): the error, with where to run from.
fn no_default_paths(given: &[PathBuf], paths: &[PathBuf]) -> Option<String> {
    (given.is_empty() && std::fs::symlink_metadata(&paths[0]).is_err()).then(|| {
        "no `policies/` directory here, and no `lanes.yaml`: run lanepolicy from the directory that holds `policies/` (or from the policy directory itself), or name the policy files or directories".to_string()
    })
}

/// Where `build` writes the bundle, and the key it signs it with.
struct Output<'a> {
    path: &'a Path,
    sign_key: Option<&'a Path>,
}

fn check(args: &CheckArgs, output: Option<Output>) -> u8 {
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let paths = if args.paths.is_empty() {
        default_paths()
    } else {
        args.paths.clone()
    };
    if let Some(msg) = no_default_paths(&args.paths, &paths) {
        error(msg);
        return 2;
    }
    let opts = project::Options {
        paths,
        inventory: args.inventory.clone(),
        root,
        today: args.today.unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        }),
        config: args.config.clone(),
        issues: args.issues.clone(),
        build: output.is_some(),
        max_input_bytes: args.max_input_bytes.unwrap_or(project::MAX_SOURCE_BYTES),
        overlay: Default::default(),
    };
    // Files of several projects (what a pre-commit hook passes): each is
    // checked against its own inventory and configuration.
    let groups = if opts.inventory.is_some() {
        Vec::new()
    } else {
        project::projects(&opts.paths)
    };
    if groups.len() > 1 {
        let inventories: Vec<String> = groups
            .iter()
            .filter_map(|(inv, _)| inv.as_deref())
            .map(|i| lanepolicy::source::display_path(i, &opts.root))
            .collect();
        if output.is_some() {
            error(format!(
                "the files belong to {} projects ({}); a bundle has one inventory: build each project on its own, or pass `--inventory FILE`",
                groups.len(),
                inventories.join(", ")
            ));
            return 2;
        }
        return check_projects(args, &opts, groups);
    }
    let outcome = match project::compile(&opts) {
        Ok(o) => o,
        Err(f) => {
            error(f);
            return 2;
        }
    };
    let diags = &outcome.diagnostics;
    let text = match args.format {
        Format::Human => {
            let mut s = diagnostic::render_human(diags, &outcome.sources, color());
            s.push_str(&diagnostic::summary_line(diags, outcome.policy_files + 1));
            s.push('\n');
            s
        }
        Format::Json => diagnostic::render_json(diags, &outcome.sources),
        Format::Github => diagnostic::render_github(diags, &outcome.sources),
        Format::Sarif => diagnostic::render_sarif(diags, &outcome.sources),
    };
    let failed =
        outcome.has_errors() || (args.deny_warnings && outcome.count(Severity::Warning) > 0);
    let (Some(Output { path, sign_key }), Some(b), false) = (output, &outcome.bundle, failed)
    else {
        if !print_out(&text) {
            return 2;
        }
        return u8::from(failed);
    };
    let issues = args
        .issues
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let inputs: Vec<&str> = outcome
        .sources
        .files()
        .iter()
        .map(|f| f.path.as_str())
        .chain(issues.as_deref())
        .collect();
    let bundle_text = match bundle_text(path, b, &inputs) {
        Ok(t) => t,
        Err(f) => {
            print_out(&text);
            error(format!("{f}; no bundle was written"));
            return 2;
        }
    };
    let signature = match sign_key.map(|key| sign(key, &bundle_text, &b.digest)) {
        None => None,
        Some(Ok(sig)) => Some(sig),
        Some(Err(msg)) => {
            print_out(&text);
            error(format!("{msg}; no bundle was written"));
            return 2;
        }
    };
    // Print first: if the report cannot be written, the bundle is not either.
    if !print_out(&text) {
        return 2;
    }
    // The signature first: a bundle is never left beside a signature of
    // another one that its writer meant to replace.
    let sig_path = bundle::signature::signature_path(path);
    if let Some(sig) = &signature
        && let Err(f) = project::write_atomic(&sig_path, sig, &sig_path.display().to_string())
    {
        error(f);
        return 2;
    }
    if let Err(f) = project::write_atomic(path, &bundle_text, &path.display().to_string()) {
        if signature.is_some() {
            let _ = std::fs::remove_file(&sig_path);
        }
        error(f);
        return 2;
    }
    if let Format::Human = args.format {
        eprintln!("wrote {}", path.display());
    }
    0
}

/// `check` over files of several projects: each group is compiled with its
/// own inventory and configuration; the report has every project's
/// findings (in the human format, each project closes with its own summary
/// line naming its inventory). Nothing is printed unless every project
/// could be compiled.
fn check_projects(
    args: &CheckArgs,
    opts: &project::Options,
    groups: Vec<(Option<PathBuf>, Vec<PathBuf>)>,
) -> u8 {
    let mut outcomes = Vec::new();
    for (inventory, paths) in groups {
        let mut o = opts.clone();
        o.paths = paths;
        match project::compile(&o) {
            Ok(outcome) => outcomes.push((inventory, outcome)),
            Err(f) => {
                error(f);
                return 2;
            }
        }
    }
    let failed = outcomes
        .iter()
        .any(|(_, o)| o.has_errors() || (args.deny_warnings && o.count(Severity::Warning) > 0));
    let text = match args.format {
        Format::Human => outcomes
            .iter()
            .map(|(inv, o)| {
                let mut s = diagnostic::render_human(&o.diagnostics, &o.sources, color());
                s.push_str(&diagnostic::summary_line(
                    &o.diagnostics,
                    o.policy_files + 1,
                ));
                if let Some(inv) = inv {
                    s.push_str(&format!(
                        " (inventory {})",
                        lanepolicy::source::display_path(inv, &opts.root)
                    ));
                }
                s.push('\n');
                s
            })
            .collect(),
        Format::Github => outcomes
            .iter()
            .map(|(_, o)| diagnostic::render_github(&o.diagnostics, &o.sources))
            .collect(),
        Format::Json => {
            let all: Vec<serde_json::Value> = outcomes
                .iter()
                .flat_map(|(_, o)| {
                    let one = diagnostic::render_json(&o.diagnostics, &o.sources);
                    serde_json::from_str::<Vec<serde_json::Value>>(&one).unwrap_or_default()
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&all).unwrap_or_default()
            )
        }
        Format::Sarif => {
            // One SARIF log, one run per project.
            let mut logs = outcomes.iter().filter_map(|(_, o)| {
                serde_json::from_str::<serde_json::Value>(&diagnostic::render_sarif(
                    &o.diagnostics,
                    &o.sources,
                ))
                .ok()
            });
            let mut first = logs.next().unwrap_or_default();
            for log in logs {
                if let (Some(runs), Some(more)) = (
                    first.get_mut("runs").and_then(|r| r.as_array_mut()),
                    log.get("runs").and_then(|r| r.as_array()),
                ) {
                    runs.extend(more.iter().cloned());
                }
            }
            format!(
                "{}\n",
                serde_json::to_string_pretty(&first).unwrap_or_default()
            )
        }
    };
    if !print_out(&text) {
        return 2;
    }
    u8::from(failed)
}

/// The bundle's text, after checking that it may be written to `path`: a
/// regular file or nothing (not a link, a device, a directory, or one of the
/// inputs), and no larger than the runtime will load.
fn bundle_text(path: &Path, b: &bundle::Bundle, inputs: &[&str]) -> Result<String, Failure> {
    let fail = |message: String| Failure {
        path: path.display().to_string(),
        message,
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(fail(
                "is a symbolic link; write the bundle to a regular file".into(),
            ));
        }
        if !meta.is_file() {
            return Err(fail("exists and is not a regular file".into()));
        }
        let target = path.canonicalize().ok();
        if inputs
            .iter()
            .any(|i| Path::new(i).canonicalize().ok() == target)
        {
            return Err(fail(
                "is one of the input files; choose another output".into(),
            ));
        }
    }
    bundle::to_text(b).map_err(fail)
}

/// Reads and verifies a bundle file.
/// The facts of the flags, checked against the bundle.
fn checked_facts(runtime: &Runtime, fact_args: &FactArgs) -> Result<Facts, String> {
    let facts = fact_args.facts()?;
    runtime.check_facts(&facts).map_err(|e| e.to_string())?;
    Ok(facts)
}

/// The keys of `--trusted-key`, each a key's text or a file holding it.
static TRUSTED_KEYS: std::sync::OnceLock<bundle::TrustedKeys> = std::sync::OnceLock::new();

/// Parses `--trusted-key` values: a value that names an existing file is
/// read (a minisign `.pub` file); any other is the key itself.
fn trusted_keys(values: &[String]) -> Result<bundle::TrustedKeys, String> {
    let mut keys = bundle::TrustedKeys::new();
    for v in values {
        let path = Path::new(v);
        let text = if path.is_file() {
            let bytes = read_limited(path, 64 * 1024)
                .map_err(|e| format!("{v}: cannot read trusted key: {e}"))?;
            String::from_utf8(bytes).map_err(|_| format!("{v}: trusted key is not UTF-8 text"))?
        } else {
            v.clone()
        };
        keys.add(&text)
            .map_err(|e| format!("--trusted-key `{}`: {e}", one_line(v)))?;
    }
    Ok(keys)
}

/// Signs the bundle's text with the minisign secret key in `key_path`.
fn sign(key_path: &Path, bundle_text: &str, digest: &str) -> Result<String, String> {
    let shown = key_path.display();
    let bytes =
        read_limited(key_path, 64 * 1024).map_err(|e| format!("{shown}: cannot read key: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown}: key is not UTF-8 text"))?;
    let password = std::env::var("LANEPOLICY_SIGN_PASSWORD").ok();
    bundle::signature::sign(bundle_text.as_bytes(), &text, password, digest)
        .map_err(|e| format!("{shown}: {e}"))
}

/// Reads and verifies a bundle file (and, when keys are trusted, its
/// signature `FILE.minisig`).
/// Loads the bundle at `path` for a command that decides once and exits.
/// The runtime is never dropped: the process ends right after, and freeing
/// a large bundle's many small allocations one by one would cost more than
/// the decision (a tenth of `decide`'s time on a 10,000-rule bundle).
fn load_runtime(path: &Path) -> Result<std::mem::ManuallyDrop<Runtime>, String> {
    let bytes = read_limited(path, MAX_BUNDLE_BYTES as u64)
        .map_err(|e| format!("{}: cannot read bundle: {e}", path.display()))?;
    let keys = TRUSTED_KEYS.get().cloned().unwrap_or_default();
    let signature = if keys.is_empty() {
        None
    } else {
        let sig_path = bundle::signature::signature_path(path);
        if std::fs::symlink_metadata(&sig_path).is_err() {
            None
        } else {
            let sig = read_limited(&sig_path, 64 * 1024)
                .map_err(|e| format!("{}: cannot read signature: {e}", sig_path.display()))?;
            Some(sig)
        }
    };
    Runtime::from_signed_bytes(&bytes, signature.as_deref(), &keys)
        .map(std::mem::ManuallyDrop::new)
        .map_err(|e: BundleError| format!("{}: {e}", path.display()))
}

fn decide(args: &RequestArgs, fact_args: &FactArgs, json: bool) -> u8 {
    let req = args.request();
    let runtime = match load_runtime(&args.bundle) {
        Ok(r) => r,
        Err(msg) => {
            let err = BundleError::Invalid {
                message: msg.clone(),
            };
            if json {
                let mut d = Decision::bundle_invalid(&req, &err);
                d.reasons[0].message = msg.clone();
                print_out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&d).unwrap_or_default()
                ));
            }
            error(format!("{msg}; the decision is deny"));
            return 2;
        }
    };
    let facts = checked_facts(&runtime, fact_args);
    let facts = match facts {
        Ok(f) => f,
        Err(msg) => {
            if json {
                let d = Decision::refused(
                    &req,
                    ReasonCode::InvalidRequest,
                    msg.clone(),
                    Some(runtime.bundle().digest.clone()),
                );
                print_out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&d).unwrap_or_default()
                ));
            }
            error(format!("{msg}; the decision is deny"));
            return 2;
        }
    };
    let d = runtime.decide(&req, &facts);
    let text = if json {
        format!("{}\n", serde_json::to_string_pretty(&d).unwrap_or_default())
    } else {
        d.to_text() + &unknown_name_hint(&runtime, &req, &d)
    };
    if !print_out(&text) {
        return 2;
    }
    if d.is_allow() { 0 } else { 1 }
}

/// For a deny on an unknown lane or action, or with a `--proof` name that
/// is no proof: "did you mean" the closest name (human output only; the
/// decision itself, and its JSON, stay what the runtime decided).
fn unknown_name_hint(runtime: &Runtime, req: &Request, d: &Decision) -> String {
    let b = runtime.bundle();
    // A proof name no rule can ask for: it was never looked at.
    if !d.is_allow() {
        let known = lanepolicy::model::PROOFS;
        let mut hints = String::new();
        for name in req.proofs.keys().filter(|n| !known.contains(&n.as_str())) {
            hints.push_str(&match lanepolicy::suggest::did_you_mean(name, known) {
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
        Some(ReasonCode::UnknownLane) => {
            lanepolicy::suggest::did_you_mean(&d.lane, b.lanes.keys().map(String::as_str))
        }
        Some(ReasonCode::UnknownAction) => {
            lanepolicy::suggest::did_you_mean(&d.action, b.actions.keys().map(String::as_str))
        }
        _ => None,
    };
    near.map_or(String::new(), |n| {
        format!("  did you mean `{}`?\n", one_line(n))
    })
}

fn lanes(path: &Path, fact_args: &FactArgs, format: LanesFormat) -> u8 {
    let (runtime, facts) = match load_runtime(path).and_then(|r| {
        let f = checked_facts(&r, fact_args)?;
        Ok((r, f))
    }) {
        Ok(pair) => pair,
        Err(msg) => {
            error(msg);
            return 2;
        }
    };
    let text = match format {
        LanesFormat::Human => {
            lanepolicy::runtime::text::lanes(runtime.bundle(), &runtime.lanes(&facts))
        }
        LanesFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&runtime.lanes(&facts)).unwrap_or_default()
        ),
        LanesFormat::Launchplane => match lanepolicy::export::launchplane(&runtime, &facts) {
            Ok(export) => format!(
                "{}\n",
                serde_json::to_string_pretty(&lanepolicy::export::read_model(&export))
                    .unwrap_or_default()
            ),
            Err(msg) => {
                error(format!("{}: {msg}", path.display()));
                return 2;
            }
        },
    };
    if print_out(&text) { 0 } else { 2 }
}

impl RequestArgs {
    fn request(&self) -> Request {
        let mut req = Request::new(self.lane.clone(), self.action.clone());
        req.confirm = self.confirm.clone();
        req.proofs = self.proofs.iter().cloned().collect();
        req
    }
}

/// `explain`: the decision as numbered steps; exit codes as `decide`.
fn explain(args: &RequestArgs, fact_args: &FactArgs, json: bool) -> u8 {
    let req = args.request();
    let to_json =
        |e: &Explanation| format!("{}\n", serde_json::to_string_pretty(e).unwrap_or_default());
    let runtime = match load_runtime(&args.bundle) {
        Ok(r) => r,
        Err(msg) => {
            if json {
                print_out(&to_json(&Explanation::bundle_invalid(&req, &msg)));
            }
            error(format!("{msg}; the decision is deny"));
            return 2;
        }
    };
    let facts = match checked_facts(&runtime, fact_args) {
        Ok(f) => f,
        Err(msg) => {
            if json {
                print_out(&to_json(&Explanation::invalid_request(
                    &req,
                    &msg,
                    runtime.digest(),
                )));
            }
            error(format!("{msg}; the decision is deny"));
            return 2;
        }
    };
    let e = runtime.explain(&req, &facts);
    let text = if json { to_json(&e) } else { e.to_text() };
    if !print_out(&text) {
        return 2;
    }
    if e.decision.is_allow() { 0 } else { 1 }
}

/// `test`: 0 when every case passes, 1 when any fails, 2 when they cannot run.
fn policy_tests(
    paths: Vec<PathBuf>,
    inventory: Option<PathBuf>,
    now: Option<jiff::Timestamp>,
) -> u8 {
    let now = now.unwrap_or_else(jiff::Timestamp::now);
    let given = paths.is_empty();
    let paths = if given { default_paths() } else { paths };
    if let Some(msg) = no_default_paths(if given { &[] } else { &paths }, &paths) {
        error(msg);
        return 2;
    }
    let opts = lanepolicy::policy_tests::Options {
        paths,
        inventory,
        root: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
        now,
    };
    match lanepolicy::policy_tests::run(&opts) {
        Err(errors) => {
            for e in &errors {
                eprint!("{}", e.render(color_stderr()));
            }
            2
        }
        Ok(reports) => {
            if !print_out(&lanepolicy::policy_tests::render(&reports)) {
                return 2;
            }
            let failed = reports.iter().flat_map(|r| &r.results).any(|c| !c.passed());
            u8::from(failed)
        }
    }
}

fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn rule(name: Option<&str>, all: bool, format: RuleFormat) -> u8 {
    use lanepolicy::checks::{CHECKS, Check, lookup};
    let json = |c: &Check| {
        serde_json::json!({
            "code": c.code,
            "name": c.name,
            "severity": c.default_severity.as_str(),
            "configurable": !c.is_error_code(),
            "summary": c.summary(),
            "doc": c.doc(),
        })
    };
    let text = if all {
        match format {
            RuleFormat::Json => {
                let list: Vec<serde_json::Value> = CHECKS.iter().map(json).collect();
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                )
            }
            RuleFormat::Text => CHECKS
                .iter()
                .map(|c| {
                    format!(
                        "{} {:<28} {:<8} {}\n",
                        c.code,
                        c.name,
                        c.default_severity.as_str(),
                        c.summary()
                    )
                })
                .collect(),
        }
    } else {
        let name = name.unwrap_or_default();
        let Some(c) = lookup(name) else {
            error(format!(
                "no check `{name}`; `lanepolicy rule --all` lists them"
            ));
            return 2;
        };
        match format {
            RuleFormat::Json => format!(
                "{}\n",
                serde_json::to_string_pretty(&json(c)).unwrap_or_default()
            ),
            RuleFormat::Text => c.doc(),
        }
    };
    if print_out(&text) { 0 } else { 2 }
}

/// How `diff` prints.
#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    /// One change per line, details indented.
    Text,
    /// The changes as JSON.
    Json,
    /// Markdown tables, for a pull request comment.
    Markdown,
}

/// `diff`: 0 with the changes printed (none is fine); 1 with
/// `--fail-on-widening` when some lane and action is allowed in a situation
/// it was not before; 2 for an unreadable bundle.
fn diff(old: &Path, new: &Path, format: DiffFormat, fail_on_widening: bool) -> u8 {
    let (a, b) = match (load_runtime(old), load_runtime(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for e in [a.err(), b.err()].into_iter().flatten() {
                error(e);
            }
            return 2;
        }
    };
    let d = lanepolicy::runtime::effective::Review::new(&a, &b);
    let text = match format {
        DiffFormat::Text => d.to_text(),
        DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&d).unwrap_or_default()),
        DiffFormat::Markdown => d.to_markdown(),
    };
    if !print_out(&text) {
        2
    } else if fail_on_widening && d.widens() {
        1
    } else {
        0
    }
}

/// `graph`: 0 with the DOT printed; 1 when the policies have errors; 2 for
/// an unreadable bundle or file, or an issue no rule cites.
fn graph(
    paths: Vec<PathBuf>,
    bundle_path: Option<&Path>,
    inventory: Option<PathBuf>,
    issue: Option<&str>,
) -> u8 {
    let compiled;
    let b = match bundle_path {
        Some(path) => match load_runtime(path) {
            Ok(rt) => {
                compiled = rt.bundle().clone();
                &compiled
            }
            Err(msg) => {
                error(msg);
                return 2;
            }
        },
        None => {
            let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let paths = if paths.is_empty() {
                default_paths()
            } else {
                paths
            };
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            // One graph is one bundle: one inventory.
            let groups = project::projects(&paths);
            if inventory.is_none() && groups.len() > 1 {
                let names: Vec<String> = groups
                    .iter()
                    .filter_map(|(inv, _)| inv.as_deref())
                    .map(|i| lanepolicy::source::display_path(i, &root))
                    .collect();
                error(format!(
                    "the files belong to {} projects ({}); a graph has one inventory: draw each project on its own, or pass `--inventory FILE`",
                    groups.len(),
                    names.join(", ")
                ));
                return 2;
            }
            let mut opts = project::Options::new(paths, root, today);
            opts.inventory = inventory;
            opts.build = true;
            let outcome = match project::compile(&opts) {
                Ok(o) => o,
                Err(f) => {
                    error(f);
                    return 2;
                }
            };
            let Some(b) = outcome.bundle else {
                let errors: Vec<_> = outcome
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .cloned()
                    .collect();
                eprint!(
                    "{}",
                    diagnostic::render_human(&errors, &outcome.sources, color_stderr())
                );
                error("the policies have errors; there is no graph to draw");
                return 1;
            };
            compiled = b;
            &compiled
        }
    };
    let whole = lanepolicy::graph::PolicyGraph::new(b);
    let g = match issue {
        None => whole,
        Some(wanted) => match whole.for_issue(wanted) {
            Some(g) => g,
            None => {
                error(format!("no rule cites issue `{wanted}`"));
                return 2;
            }
        },
    };
    if print_out(&g.to_dot()) { 0 } else { 2 }
}

/// What `export` writes.
#[derive(Subcommand)]
enum ExportTarget {
    /// Launchplane's lane profiles (rebuild records, data policy, monitoring
    /// intent), dry-run apply requests and lanepolicy's notes, as JSON.
    Launchplane {
        /// The bundle to export.
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        #[command(flatten)]
        facts: FactArgs,
    },
}

/// `export launchplane`: 0 with the JSON printed, 2 for an unreadable bundle,
/// refused facts, or a lane Launchplane could not take (nothing is printed).
fn export_launchplane(path: &Path, fact_args: &FactArgs) -> u8 {
    let (runtime, facts) = match load_runtime(path).and_then(|r| {
        let f = checked_facts(&r, fact_args)?;
        Ok((r, f))
    }) {
        Ok(pair) => pair,
        Err(msg) => {
            error(msg);
            return 2;
        }
    };
    let export = match lanepolicy::export::launchplane(&runtime, &facts) {
        Ok(e) => e,
        Err(msg) => {
            error(format!("{}: {msg}", path.display()));
            return 2;
        }
    };
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&export).unwrap_or_default()
    );
    if print_out(&text) { 0 } else { 2 }
}

/// `lanepolicy fmt`: formats each file in place (atomically), or with
/// `--check`/`--diff` only reports. Exit 1 when a file does not parse or,
/// with `--check`, would change; 2 on I/O failures.
fn fmt(given: &[PathBuf], check: bool, diff: bool) -> u8 {
    use lanepolicy::fmt::{self, FileOutcome};
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let paths = if given.is_empty() {
        default_paths()
    } else {
        given.to_vec()
    };
    if let Some(msg) = no_default_paths(given, &paths) {
        error(msg);
        return 2;
    }
    let files = match fmt::policy_files(&paths, &root) {
        Ok(f) if f.is_empty() => {
            error(format!("{}: no `.policy` files found", paths[0].display()));
            return 2;
        }
        Ok(f) => f,
        Err(f) => {
            error(f);
            return 2;
        }
    };
    let stderr_color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (mut changed, mut unchanged, mut refused, mut failed) = (0, 0, 0, 0);
    for (path, shown) in &files {
        match fmt::format_file(path, shown) {
            Ok(FileOutcome::Unchanged) => unchanged += 1,
            Ok(FileOutcome::Changed { before, after }) => {
                let printed = if diff {
                    print_out(&fmt::unified_diff(shown, &before, &after))
                } else if check {
                    print_out(&format!("would reformat {shown}\n"))
                } else {
                    true
                };
                if !printed {
                    // The report is lost: stop, and say so by the exit code.
                    error("cannot write to standard output");
                    return 2;
                }
                if check || diff {
                    changed += 1;
                } else if let Err(f) = fmt::write_atomic(path, &after, shown) {
                    error(f);
                    failed += 1;
                } else {
                    changed += 1;
                }
            }
            Ok(FileOutcome::Refused {
                sources,
                diagnostics,
            }) => {
                eprint!(
                    "{}",
                    diagnostic::render_human(&diagnostics, &sources, stderr_color)
                );
                refused += 1;
            }
            Err(f) => {
                error(f);
                failed += 1;
            }
        }
    }
    let n = |k: usize| {
        if k == 1 {
            "1 file".to_string()
        } else {
            format!("{k} files")
        }
    };
    let reformatted = if check || diff {
        "would be reformatted"
    } else {
        "reformatted"
    };
    let summary: Vec<String> = [
        (changed, reformatted),
        (unchanged, "already formatted"),
        (refused, "not formatted: syntax errors"),
        (failed, "not formatted: cannot read or write"),
    ]
    .iter()
    .filter(|(k, _)| *k > 0)
    .map(|(k, what)| format!("{} {what}", n(*k)))
    .collect();
    eprintln!("{}", summary.join(", "));
    if failed > 0 {
        2
    } else if refused > 0 || (check && changed > 0) {
        1
    } else {
        0
    }
}
