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
use lanepolicy::commands::{
    self, Build, BundleReader, CheckRequest, Console, Exit, FactFlags, FmtRequest, StdConsole,
    current_dir, paths_or_default, today_utc,
};
use lanepolicy::model::Phase;
use lanepolicy::project::{self, Options};
use lanepolicy::render::diagnostics::DiagnosticFormat;
use lanepolicy::runtime::Request;
use std::io::Write;
use std::path::PathBuf;
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
    /// The largest bundle read (and, for `build`, written), in bytes
    /// [default: 268435456, 256 MiB]; a larger one is refused before it is
    /// parsed.
    #[arg(long = "max-bundle-bytes", global = true, value_name = "BYTES", value_parser = parse_max_bundle_bytes)]
    max_bundle_bytes: Option<usize>,
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

/// An RFC 3339 time, with the expected form in the error
/// ([`lanepolicy::model::parse_rfc3339`]).
fn parse_now(s: &str) -> Result<jiff::Timestamp, String> {
    lanepolicy::model::parse_rfc3339(s).map_err(|problem| {
        format!("{problem}: write it like `2026-12-01T00:00:00Z` (a date, `T`, a time, and `Z` or an offset)")
    })
}

fn parse_pair<const SEP: char>(s: &str) -> Result<(String, String), String> {
    match s.split_once(SEP) {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(format!("expected `A{SEP}B`, found `{s}`")),
    }
}

/// `--max-bundle-bytes`: a whole number of bytes, at least 1.
fn parse_max_bundle_bytes(s: &str) -> Result<usize, String> {
    let n = s
        .trim()
        .parse::<usize>()
        .map_err(|_| format!("expected a whole number of bytes, found `{s}`"))?;
    lanepolicy::bundle::load::bundle_limit(n)
}

fn parse_phase(s: &str) -> Result<(String, Phase), String> {
    let (lane, phase) = parse_pair::<'='>(s)?;
    let phase = Phase::parse(&phase)
        .ok_or_else(|| format!("`{phase}` is not a phase: write `prelaunch` or `live`"))?;
    Ok((lane, phase))
}

impl FactArgs {
    fn flags(&self) -> FactFlags {
        FactFlags {
            occurred: self.occurred.clone(),
            phases: self.phases.clone(),
            now: self.now,
        }
    }
}

impl RequestArgs {
    fn request(&self) -> Request {
        let mut req = Request::new(self.lane.clone(), self.action.clone());
        req.confirm = self.confirm.clone();
        req.proofs = self.proofs.iter().cloned().collect();
        req
    }
}

impl CheckArgs {
    /// What to compile; the paths default as every command's do.
    fn options(&self) -> commands::Result<Options> {
        Ok(Options {
            paths: paths_or_default(&self.paths)?,
            inventory: self.inventory.clone(),
            root: current_dir(),
            today: self.today.unwrap_or_else(today_utc),
            config: self.config.clone(),
            issues: self.issues.clone(),
            build: false,
            max_input_bytes: self.max_input_bytes.unwrap_or(project::MAX_SOURCE_BYTES),
            overlay: Default::default(),
        })
    }

    fn request(&self, build: Option<Build>) -> commands::Result<CheckRequest> {
        Ok(CheckRequest {
            options: self.options()?,
            format: match self.format {
                Format::Human => DiagnosticFormat::Human,
                Format::Json => DiagnosticFormat::Json,
                Format::Github => DiagnosticFormat::Github,
                Format::Sarif => DiagnosticFormat::Sarif,
            },
            deny_warnings: self.deny_warnings,
            build,
        })
    }
}

/// mimalloc's option number for its purge delay (`mi_option_purge_delay`
/// in mimalloc.h, which libmimalloc-sys does not name).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long, in milliseconds, mimalloc keeps memory freed before it gives
/// it back to the system, for the commands that compile a project. Its
/// default, 1,000, kept the freed syntax trees and reader buffers of a
/// large project resident beside what replaced them: `check` of 100,000
/// rules peaked at about 355 MB rather than about 305 MB.
const PURGE_DELAY_MS: std::ffi::c_long = 1;

/// Transparent huge pages stay off until a command is known to read a
/// large bundle.
///
/// mimalloc marks its memory for transparent huge pages, and the kernel
/// zeroes each 2 MiB page whole when it is first touched: a fifth of a
/// small `check` went to zeroing pages it barely used (`check policies/`,
/// 1.97 ms against 1.68 ms with them off, `perf stat -r 400`). The flag
/// (`prctl(PR_SET_THP_DISABLE)`) is set here, from `.init_array`, because
/// the runtime allocates before `main`: set from `main`, the first huge
/// page was already touched. Compiling does not need them (`check` of
/// 100,000 rules: the same time, and a peak of 291 MB rather than 303 to
/// 309 MB); loading a large bundle does ([`large_pages_for`]).
///
/// The flag is inherited by child processes; lanepolicy starts none.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static SMALL_PAGES_FIRST: extern "C" fn() = small_pages_first;

/// See [`SMALL_PAGES_FIRST`]: two system calls, no allocation. A process
/// started with the flag already set (by its parent, which wants no huge
/// pages) is left as it is, and [`SET_HERE`] stays false, so that `main`
/// never clears a flag it did not set. An error (a kernel without the
/// flag) leaves the pages as they were.
#[cfg(target_os = "linux")]
extern "C" fn small_pages_first() {
    if rustix::thread::transparent_huge_pages_are_disabled() == Ok(false)
        && rustix::thread::disable_transparent_huge_pages(true).is_ok()
    {
        SET_HERE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// True when [`small_pages_first`] set the flag, which only then may be
/// cleared again.
#[cfg(target_os = "linux")]
static SET_HERE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From this many bytes of bundles read, a command gets transparent huge
/// pages back ([`large_pages_for`]). `decide` on the bundle of 10,000
/// rules (14 MB) took 113 ms with small pages and 100 ms with huge ones;
/// on the bundle of 1,000 rules (1.4 MB) the two were the same.
#[cfg(target_os = "linux")]
const LARGE_BUNDLE_BYTES: u64 = 4 << 20;

/// The bundles `command` reads, as named on the command line.
#[cfg(target_os = "linux")]
fn bundles_read(command: &Command) -> Vec<&std::path::Path> {
    match command {
        Command::Decide { request, .. } | Command::Explain { request, .. } => {
            vec![&request.bundle]
        }
        Command::Diff { old, new, .. } => vec![old, new],
        Command::Graph { bundle, .. } => bundle.iter().map(PathBuf::as_path).collect(),
        Command::Export {
            target: ExportTarget::Launchplane { bundle, .. },
        }
        | Command::Lanes { bundle, .. } => vec![bundle],
        Command::Check(_)
        | Command::Build { .. }
        | Command::Test { .. }
        | Command::Rule { .. }
        | Command::Lsp
        | Command::Fmt { .. } => Vec::new(),
    }
}

/// True when `command` reads at least [`LARGE_BUNDLE_BYTES`] of bundles
/// (their sizes on disk; one that cannot be read counts nothing, and the
/// command then says why it cannot be read).
#[cfg(target_os = "linux")]
fn large_pages_for(command: &Command) -> bool {
    let bytes: u64 = bundles_read(command)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    bytes >= LARGE_BUNDLE_BYTES
}

/// Whether `main` clears the flag again: only when this process set it
/// (`set_here`, see [`small_pages_first`]) and `command` reads a large
/// bundle ([`large_pages_for`]).
#[cfg(target_os = "linux")]
fn gives_huge_pages_back(set_here: bool, command: &Command) -> bool {
    set_here && large_pages_for(command)
}

fn main() -> ExitCode {
    // Before anything is opened: a closed standard output would otherwise
    // be taken by the next file opened (a bundle's temporary file).
    let mut console = match StdConsole::open() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "error: standard output is not usable ({e}); nothing is done, so that no report is lost"
            );
            return ExitCode::from(Exit::Failure.code());
        }
    };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A refused value is echoed by the argument parser as given: one
            // with an invisible character (a bidi control, a zero-width
            // space) is shown escaped, line by line, as every message of
            // lanepolicy shows it.
            let text = e.render().to_string();
            if e.use_stderr()
                && text
                    .lines()
                    .any(|l| lanepolicy::model::escape_invisible(l) != l)
            {
                let shown: Vec<String> = text
                    .lines()
                    .map(lanepolicy::model::escape_invisible)
                    .collect();
                console.err(&format!("{}\n", shown.join("\n")));
                return ExitCode::from(2);
            }
            let printed = e.print().is_ok() && std::io::stdout().flush().is_ok();
            if !printed && !e.use_stderr() {
                console.err("error: cannot write to standard output\n");
            }
            return ExitCode::from(if e.use_stderr() || !printed { 2 } else { 0 });
        }
    };
    // Compiling frees as it goes (each file's syntax trees, the YAML
    // reader's buffers), so its memory is given back promptly. Commands
    // that load a bundle keep what they load until they exit: for them
    // the prompt purge cost page faults (`decide` on a 10,000-rule
    // bundle: about 300 page faults became 2,000 to 4,000), so they keep
    // mimalloc's default.
    if matches!(
        cli.command,
        Command::Check(_) | Command::Build { .. } | Command::Test { .. } | Command::Lsp
    ) {
        // SAFETY: sets one of mimalloc's options, a plain integer it reads
        // when it decides whether to purge; no memory is touched.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    #[cfg(target_os = "linux")]
    if gives_huge_pages_back(
        SET_HERE.load(std::sync::atomic::Ordering::Relaxed),
        &cli.command,
    ) {
        let _ = rustix::thread::disable_transparent_huge_pages(false);
    }
    let exit = match run(cli, &mut console) {
        Ok(exit) => exit,
        Err(e) => {
            if !e.is_reported() {
                // Paths, arguments and names from the input are shown with
                // every invisible character escaped, line by line.
                let shown: Vec<String> = e
                    .to_string()
                    .lines()
                    .map(lanepolicy::model::escape_invisible)
                    .collect();
                console.err(&format!("error: {}\n", shown.join("\n")));
            }
            e.exit()
        }
    };
    ExitCode::from(exit.code())
}

/// Runs the command the arguments name.
fn run(cli: Cli, console: &mut dyn Console) -> commands::Result {
    // One command, then the process exits: loaded bundles need not be freed.
    let max_bundle_bytes = cli
        .max_bundle_bytes
        .unwrap_or(lanepolicy::bundle::load::MAX_BUNDLE_BYTES);
    let reader = BundleReader::new(&cli.trusted_keys)?
        .without_freeing()
        .with_max_bytes(max_bundle_bytes);
    match cli.command {
        Command::Check(args) => commands::check(&args.request(None)?, console),
        Command::Build {
            check,
            output,
            sign_key,
        } => commands::check(
            &check.request(Some(Build {
                output,
                sign_key,
                max_bytes: max_bundle_bytes,
            }))?,
            console,
        ),
        Command::Decide {
            request,
            facts,
            json,
        } => commands::decide(
            &reader,
            &request.bundle,
            &request.request(),
            &facts.flags(),
            json,
            console,
        ),
        Command::Explain {
            request,
            facts,
            json,
        } => commands::explain(
            &reader,
            &request.bundle,
            &request.request(),
            &facts.flags(),
            json,
            console,
        ),
        Command::Lanes {
            bundle,
            facts,
            json,
            format,
        } => commands::lanes(
            &reader,
            &bundle,
            &facts.flags(),
            match (json, format) {
                (true, _) | (_, LanesFormat::Json) => commands::LanesFormat::Json,
                (_, LanesFormat::Human) => commands::LanesFormat::Human,
                (_, LanesFormat::Launchplane) => commands::LanesFormat::Launchplane,
            },
            console,
        ),
        Command::Test {
            paths,
            inventory,
            now,
        } => {
            let now = now.unwrap_or_else(jiff::Timestamp::now);
            let opts = lanepolicy::policy_tests::Options {
                paths: paths_or_default(&paths)?,
                inventory,
                root: current_dir(),
                today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
                now,
            };
            commands::test(&opts, console)
        }
        Command::Rule { check, all, format } => commands::rule(
            if all {
                None
            } else {
                Some(check.as_deref().unwrap_or_default())
            },
            matches!(format, RuleFormat::Json),
            console,
        ),
        Command::Diff {
            old,
            new,
            format,
            fail_on_widening,
        } => commands::diff(
            &reader,
            &old,
            &new,
            match format {
                DiffFormat::Text => commands::DiffFormat::Text,
                DiffFormat::Json => commands::DiffFormat::Json,
                DiffFormat::Markdown => commands::DiffFormat::Markdown,
            },
            fail_on_widening,
            console,
        ),
        Command::Graph {
            paths,
            bundle,
            inventory,
            issue,
        } => {
            let mut options = Options::new(
                if bundle.is_some() {
                    paths
                } else {
                    paths_or_default(&paths)?
                },
                current_dir(),
                today_utc(),
            );
            options.inventory = inventory;
            commands::graph(
                &reader,
                bundle.as_deref(),
                &options,
                issue.as_deref(),
                console,
            )
        }
        Command::Export {
            target: ExportTarget::Launchplane { bundle, facts },
        } => commands::export_launchplane(&reader, &bundle, &facts.flags(), console),
        Command::Fmt { paths, check, diff } => commands::fmt(
            &FmtRequest {
                paths: paths_or_default(&paths)?,
                root: current_dir(),
                check,
                diff,
            },
            console,
        ),
        Command::Lsp => Ok(match lanepolicy::lsp::serve_stdio() {
            0 => Exit::Ok,
            1 => Exit::Findings,
            _ => Exit::Failure,
        }),
    }
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

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;
    #[cfg(target_os = "linux")]
    use super::{Cli, LARGE_BUNDLE_BYTES, bundles_read, gives_huge_pages_back, large_pages_for};
    #[cfg(target_os = "linux")]
    use clap::Parser;

    /// Every command that reads a bundle names it, and only a large one
    /// (by its size on disk) gets huge pages back.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_come_back_for_large_bundles_only() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.json");
        let large = dir.path().join("large.json");
        std::fs::write(&small, "{}").unwrap();
        // Sparse: its length is what counts.
        std::fs::File::create(&large)
            .unwrap()
            .set_len(LARGE_BUNDLE_BYTES)
            .unwrap();
        let (s, l) = (small.to_str().unwrap(), large.to_str().unwrap());
        let cli = |args: &[&str]| Cli::try_parse_from([&["lanepolicy"], args].concat()).unwrap();
        let request = ["--lane", "c/x", "--action", "deploy"];
        for (args, reads) in [
            (vec!["decide", "--bundle", l], vec![l]),
            (vec!["explain", "--bundle", l], vec![l]),
            (vec!["diff", s, l], vec![s, l]),
            (vec!["graph", "--bundle", l], vec![l]),
            (vec!["graph"], vec![]),
            (vec!["lanes", "--bundle", l], vec![l]),
            (vec!["export", "launchplane", "--bundle", l], vec![l]),
            (vec!["check"], vec![]),
            (vec!["build", "-o", l], vec![]),
        ] {
            let mut args = args.clone();
            if matches!(args[0], "decide" | "explain") {
                args.extend(request);
            }
            let c = cli(&args);
            let paths: Vec<&str> = bundles_read(&c.command)
                .iter()
                .map(|p| p.to_str().unwrap())
                .collect();
            assert_eq!(paths, reads, "{args:?}");
            assert_eq!(large_pages_for(&c.command), !reads.is_empty(), "{args:?}");
        }
        // A flag the parent set (no huge pages wanted) is never cleared.
        let big = cli(&["lanes", "--bundle", l]);
        assert!(gives_huge_pages_back(true, &big.command));
        assert!(!gives_huge_pages_back(false, &big.command));
        let small_only = cli(&["diff", s, s]);
        assert!(!large_pages_for(&small_only.command));
        let missing = cli(&["lanes", "--bundle", "/nonexistent/bundle.json"]);
        assert!(!large_pages_for(&missing.command));
    }

    /// The option number is mimalloc's purge delay: the only option whose
    /// default is 1,000 (ms). A mimalloc that numbers its options otherwise
    /// fails here rather than having another option set.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads one of mimalloc's options.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1_000);
    }
}
