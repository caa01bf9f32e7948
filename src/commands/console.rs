//! Where a command writes: its report (standard output) and what it tells
//! the person (standard error).

use crate::source::io_message;
use std::io::{IsTerminal, Write};

/// Where a command writes. The process uses [`StdConsole`]; tests can keep
/// what is written.
pub trait Console {
    /// Writes part of the report. `false` when it could not be written (the
    /// reader went away, or the device is full): the command then stops,
    /// writes nothing more (no bundle, no file) and exits 2.
    fn out(&mut self, text: &str) -> bool;
    /// Tells the person something (an error, a note), on its own.
    fn err(&mut self, text: &str);
    /// Whether the report may use colours.
    fn out_color(&self) -> bool;
    /// Whether what is told may use colours.
    fn err_color(&self) -> bool;
}

/// Standard output and standard error of the process. Colours only on a
/// terminal, and never with a non-empty `NO_COLOR` (no-color.org).
#[derive(Debug)]
pub struct StdConsole {
    _private: (),
}

impl StdConsole {
    /// The process's console, once standard output is known to be usable.
    ///
    /// A closed standard output (`>&-`) is not seen as closed by the
    /// program: the Rust runtime puts `/dev/null`, opened read-write, in
    /// its place before `main` (and the standard library drops writes to
    /// a closed descriptor anyway). A shell's `>/dev/null` opens it
    /// write-only, so `/dev/null` open read-write on descriptor 1 is taken
    /// as closed. Writes are still checked one by one: a full device
    /// (`>/dev/full`) only fails on writing.
    ///
    /// Call it before any file is opened: a closed standard output would
    /// otherwise be taken by the next file opened (a bundle's temporary
    /// file). Errors with why it is not usable.
    pub fn open() -> Result<StdConsole, String> {
        stdout_is_open()?;
        Ok(StdConsole { _private: () })
    }
}

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

/// Elsewhere, writes are checked one by one.
#[cfg(not(unix))]
fn stdout_is_open() -> Result<(), String> {
    Ok(())
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Console for StdConsole {
    fn out(&mut self, text: &str) -> bool {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => true,
            // The reader went away (`| head`): nothing to tell it.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
            Err(e) => {
                self.err(&format!(
                    "error: cannot write to standard output: {}\n",
                    io_message(&e)
                ));
                false
            }
        }
    }

    fn err(&mut self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn out_color(&self) -> bool {
        std::io::stdout().is_terminal() && !no_color()
    }

    fn err_color(&self) -> bool {
        std::io::stderr().is_terminal() && !no_color()
    }
}

/// A console that keeps what is written, for tests and for callers that
/// want the text: `out` and `err` as written; `fail_out` makes every write
/// of the report fail.
#[derive(Debug, Default)]
pub struct BufferConsole {
    /// The report written.
    pub out: String,
    /// What was told.
    pub err: String,
    /// When true, writing the report fails.
    pub fail_out: bool,
}

impl Console for BufferConsole {
    fn out(&mut self, text: &str) -> bool {
        if self.fail_out {
            return false;
        }
        self.out.push_str(text);
        true
    }

    fn err(&mut self, text: &str) {
        self.err.push_str(text);
    }

    fn out_color(&self) -> bool {
        false
    }

    fn err_color(&self) -> bool {
        false
    }
}
