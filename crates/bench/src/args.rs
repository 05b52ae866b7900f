//! Command-line arguments of the bench binaries.

use std::fmt;
use std::path::PathBuf;

/// Default number of timed repetitions per runtime.
const DEFAULT_REPS: usize = 7;

/// The parsed command line: `[--quick] [--reps N] [--markdown PATH] [SCENARIO..]`.
///
/// `--bench`, which `cargo bench` appends, is accepted and ignored.
///
/// ```
/// use weft_bench::Args;
/// let args = Args::parse(["--quick", "timers", "--bench"].map(String::from)).unwrap();
/// assert!(args.quick);
/// assert_eq!(args.reps, 1);
/// assert_eq!(args.scenarios, ["timers"]);
/// assert!(args.markdown.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--quick`: one repetition, small sizes; checks correctness, not speed.
    pub quick: bool,
    /// Timed repetitions per runtime (`--reps N`; 7 by default, 1 in quick mode).
    pub reps: usize,
    /// Scenario names given as positional arguments (empty: all of them).
    pub scenarios: Vec<String>,
    /// `--markdown PATH`: where to write the markdown fragment.
    pub markdown: Option<PathBuf>,
    /// `--help` / `-h` was given.
    pub help: bool,
    /// The arguments as given, minus the `--bench` cargo appends (to quote the command).
    pub raw: Vec<String>,
}

/// A command-line error, with a message fit for the user.
///
/// ```
/// use weft_bench::Args;
/// let err = Args::parse(["--frobnicate".to_string()]).unwrap_err();
/// assert!(err.to_string().contains("--frobnicate"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError(String);

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgsError {}

impl Args {
    /// The usage line, for `--help` and errors.
    ///
    /// ```
    /// assert!(weft_bench::Args::usage().contains("--quick"));
    /// ```
    pub fn usage() -> &'static str {
        "usage: compare [--quick] [--reps N] [--markdown PATH] [SCENARIO..]"
    }

    /// Parses the arguments after the program name.
    ///
    /// ```
    /// use weft_bench::Args;
    /// let a = Args::parse(["--markdown=out.md", "--reps", "3"].map(String::from)).unwrap();
    /// assert_eq!(a.markdown.as_deref(), Some(std::path::Path::new("out.md")));
    /// assert_eq!(a.reps, 3);
    /// assert!(Args::parse(["--reps".to_string()]).is_err());
    /// ```
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Args, ArgsError> {
        let mut out = Args {
            quick: false,
            reps: 0,
            scenarios: Vec::new(),
            markdown: None,
            help: false,
            raw: Vec::new(),
        };
        let mut reps = None;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--bench" {
                continue;
            }
            out.raw.push(arg.clone());
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| -> Result<String, ArgsError> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => {
                        let v = it
                            .next()
                            .ok_or_else(|| ArgsError(format!("{name} needs a value")))?;
                        out.raw.push(v.clone());
                        Ok(v)
                    }
                }
            };
            match flag.as_str() {
                "--quick" => out.quick = true,
                "-h" | "--help" => out.help = true,
                "--markdown" => out.markdown = Some(PathBuf::from(value("--markdown")?)),
                "--reps" => {
                    let v = value("--reps")?;
                    let n: usize = v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        ArgsError(format!("--reps wants a positive count, not {v:?}"))
                    })?;
                    reps = Some(n);
                }
                f if f.starts_with('-') => {
                    return Err(ArgsError(format!(
                        "unknown option {arg:?}\n{}",
                        Args::usage()
                    )))
                }
                _ => out.scenarios.push(arg),
            }
        }
        out.reps = reps.unwrap_or(if out.quick { 1 } else { DEFAULT_REPS });
        Ok(out)
    }

    /// The scenarios to run, in the order of `available`: those named on the command
    /// line, or all of them if none was. An unknown name is an error listing the names.
    ///
    /// ```
    /// use weft_bench::Args;
    /// let names = ["spawn_join", "timers"];
    /// let all = Args::parse(Vec::new()).unwrap();
    /// assert_eq!(all.select(&names).unwrap(), names);
    /// let one = Args::parse(["timers".to_string()]).unwrap();
    /// assert_eq!(one.select(&names).unwrap(), ["timers"]);
    /// let bad = Args::parse(["nope".to_string()]).unwrap();
    /// assert!(bad.select(&names).unwrap_err().to_string().contains("spawn_join"));
    /// ```
    pub fn select<'a>(&self, available: &[&'a str]) -> Result<Vec<&'a str>, ArgsError> {
        let unknown: Vec<&str> = self
            .scenarios
            .iter()
            .map(String::as_str)
            .filter(|s| !available.contains(s))
            .collect();
        if !unknown.is_empty() {
            return Err(ArgsError(format!(
                "unknown scenario{} {}; the scenarios are: {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                available.join(", ")
            )));
        }
        Ok(available
            .iter()
            .copied()
            .filter(|a| self.scenarios.is_empty() || self.scenarios.iter().any(|s| s == a))
            .collect())
    }
}
