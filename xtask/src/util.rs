//! Running child processes, locating the workspace, and formatting times.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Result type used throughout xtask: errors are human-readable messages.
pub type Result<T, E = String> = std::result::Result<T, E>;

/// The workspace root: the parent of the xtask package directory.
pub fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir
        .parent()
        .expect("xtask lives one directory below the workspace root")
        .to_path_buf()
}

/// The workspace's single target directory: `$CARGO_TARGET_DIR` if set
/// (relative paths are taken relative to the workspace root), else `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// A child process to run from the workspace root with inherited stdio.
///
/// Keeps enough information to print the command the way a user would type
/// it (`KEY=value cargo ...`), so banners and error messages are copy-pastable.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: OsString,
    display_program: String,
    args: Vec<OsString>,
    envs: Vec<(String, OsString)>,
    cwd: PathBuf,
}

impl Cmd {
    /// A command running `program` from the workspace root.
    pub fn new(program: impl Into<OsString>) -> Self {
        let program = program.into();
        let display_program = program.to_string_lossy().into_owned();
        Cmd {
            program,
            display_program,
            args: Vec::new(),
            envs: Vec::new(),
            cwd: workspace_root(),
        }
    }

    /// A `cargo` command.
    ///
    /// Uses the `$CARGO` that `cargo xtask` was started with, so every step
    /// runs on the same toolchain; it is displayed simply as `cargo`.
    pub fn cargo() -> Self {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Cmd::new(program);
        cmd.display_program = "cargo".to_owned();
        cmd
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends several arguments.
    pub fn args<I>(mut self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.envs.push((key.to_owned(), value.into()));
        self
    }

    /// Sets the child's working directory (default: the workspace root).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = dir.into();
        self
    }

    /// The command as a shell line, e.g. `RUSTDOCFLAGS='-D warnings' cargo doc`,
    /// to be pasted in a shell at the workspace root.
    ///
    /// Paths below the workspace root are shown relative to it when the
    /// command runs from the root; otherwise the line starts with `cd DIR &&`.
    pub fn display(&self) -> String {
        let root = workspace_root();
        let from_root = self.cwd == root;
        let path = |text: &str| {
            if from_root {
                shell_quote(&shorten(text, &root))
            } else {
                shell_quote(text)
            }
        };
        let mut line = String::new();
        if !from_root {
            let _ = write!(
                line,
                "cd {} && ",
                shell_quote(&shorten(&self.cwd.to_string_lossy(), &root))
            );
        }
        for (key, value) in &self.envs {
            let _ = write!(line, "{key}={} ", path(&value.to_string_lossy()));
        }
        line.push_str(&path(&self.display_program));
        for arg in &self.args {
            line.push(' ');
            line.push_str(&path(&arg.to_string_lossy()));
        }
        line
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(&self.cwd);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    fn spawn_error(&self, err: io::Error) -> String {
        if err.kind() == io::ErrorKind::NotFound {
            format!("`{}` not found on PATH", self.display_program)
        } else {
            format!("failed to start `{}`: {err}", self.display())
        }
    }

    /// Runs the command with inherited stdio and returns its exit status.
    pub fn status(&self) -> Result<ExitStatus> {
        self.command()
            .stdin(Stdio::null())
            .status()
            .map_err(|err| self.spawn_error(err))
    }

    /// Runs the command with inherited stdio; fails unless it exits with 0.
    pub fn run(&self) -> Result<()> {
        let status = self.status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{}` failed ({})",
                self.display(),
                describe(status)
            ))
        }
    }

    /// Runs the command capturing stdout (stderr is inherited) and returns
    /// the stdout together with the exit status.
    pub fn stdout(&self) -> Result<(String, ExitStatus)> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|err| self.spawn_error(err))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        Ok((stdout, output.status))
    }
}

/// Describes an exit status as `exit code N` or `killed by signal N`.
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.to_string()
}

/// Prints a step banner: `==> step NAME: COMMAND`.
pub fn banner(step: &str, command: &str) {
    println!("\n==> step {step}: {command}");
}

/// Prints a sub-command of a step that runs several commands.
pub fn sub_banner(command: &str) {
    println!("--> {command}");
}

/// Formats a duration as `0.4s`, `12.3s` or `2m03.4s`.
pub fn fmt_duration(duration: Duration) -> String {
    // Round to tenths first so 59.97s prints as `1m00.0s`, not `60.0s`.
    let tenths = (duration.as_secs_f64() * 10.0).round() as u64;
    if tenths < 600 {
        format!("{}.{}s", tenths / 10, tenths % 10)
    } else {
        let rest = tenths % 600;
        format!("{}m{:02}.{}s", tenths / 600, rest / 10, rest % 10)
    }
}

/// `root/a/b` becomes `a/b`; anything else is returned unchanged.
fn shorten(text: &str, root: &Path) -> String {
    match Path::new(text).strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => text.to_owned(),
    }
}

/// Quotes a word for display in a POSIX shell if it needs quoting.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Returns `doc` with the text between the markers `begin` and `end` replaced by
/// `section`: a missing document becomes `intro` plus the markers, and a document
/// without the markers gets them appended. Used to publish generated reports into
/// hand-written Markdown (docs/benchmarks.md, docs/conformance.md).
pub fn splice_section(
    doc: Option<&str>,
    section: &str,
    (begin, end): (&str, &str),
    intro: &str,
) -> Result<String> {
    let block = format!("{begin}\n{}\n{end}", section.trim());
    let Some(doc) = doc else {
        return Ok(format!("{intro}\n{block}\n"));
    };
    match (doc.find(begin), doc.find(end)) {
        (Some(at), Some(to)) if at < to => {
            Ok(format!("{}{block}{}", &doc[..at], &doc[to + end.len()..]))
        }
        (None, None) => {
            let sep = if doc.ends_with('\n') { "\n" } else { "\n\n" };
            Ok(format!("{doc}{sep}{block}\n"))
        }
        _ => Err(format!(
            "the markers are incomplete or out of order; expected `{begin}` before `{end}`"
        )),
    }
}

/// Today's UTC date as `YYYY-MM-DD` (for the reports' "Drawn" and "Date" lines).
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_date(secs / 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian (year, month, day) of a day count since
/// 1970-01-01.
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01, so that leap days fall at the end of each
    // year; 719_468 days separate it from 1970-01-01.
    let days = days + 719_468;
    let era = days / 146_097; // 400-year cycles
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(fmt_duration(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(fmt_duration(Duration::from_millis(59_970)), "1m00.0s");
        assert_eq!(fmt_duration(Duration::from_millis(123_400)), "2m03.4s");
    }

    #[test]
    fn display_quotes_and_shortens() {
        let cmd = Cmd::cargo()
            .env("RUSTDOCFLAGS", "-D warnings")
            .env("CARGO_TARGET_DIR", workspace_root().join("target/loom"))
            .args(["doc", "--workspace"])
            .arg(workspace_root().join("target/x.md"));
        assert_eq!(
            cmd.display(),
            "RUSTDOCFLAGS='-D warnings' CARGO_TARGET_DIR=target/loom cargo doc --workspace target/x.md"
        );
        let exe = workspace_root().join("target/t");
        let elsewhere = Cmd::new("valgrind")
            .arg(&exe)
            .current_dir(workspace_root().join("crates/a"));
        assert_eq!(
            elsewhere.display(),
            format!("cd crates/a && valgrind {}", exe.display())
        );
    }
    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(10_957), (2000, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(11_017), (2000, 3, 1));
        assert_eq!(civil_date(20_088), (2024, 12, 31));
        assert_eq!(civil_date(20_089), (2025, 1, 1));
        assert_eq!(civil_date(1_709_164_800 / 86_400), (2024, 2, 29));
        assert_eq!(civil_date(1_795_305_600 / 86_400), (2026, 11, 22));
    }
}
