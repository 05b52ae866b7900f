//! [`Skips`]: the servers a network bench leaves out because their peer cannot run,
//! and why, for the report's "skipped" line.

/// The servers a bench dropped from its run, with the reason for each.
///
/// ```
/// let mut styles = vec!["weft", "uvloop"];
/// let mut skips = weft_bench::Skips::new("ws_echo", false);
/// skips.skip(&mut styles, "uvloop", "uvloop does not import");
/// skips.skip(&mut styles, "not-there", "ignored: not in the run");
/// assert_eq!(styles, ["weft"]);
/// assert_eq!(skips.list(), ["uvloop (uvloop does not import)"]);
/// ```
#[derive(Debug)]
pub struct Skips {
    bench: &'static str,
    named: bool,
    list: Vec<String>,
}

impl Skips {
    /// No skips yet for `bench` (its name, for error messages). `named`: the user
    /// named the servers to run, so a skip is an error instead.
    ///
    /// ```
    /// assert!(weft_bench::Skips::new("tcp_echo", true).list().is_empty());
    /// ```
    pub fn new(bench: &'static str, named: bool) -> Skips {
        Skips {
            bench,
            named,
            list: Vec::new(),
        }
    }

    /// Drops `style` from `styles` (if it is there) and records `why`, saying so on
    /// stdout. If the servers were named, a style that cannot run is an error: the
    /// process exits with status 1 after printing `BENCH: STYLE: WHY` to stderr.
    ///
    /// ```
    /// let mut styles = vec!["tokio", "uvloop-streams"];
    /// let mut skips = weft_bench::Skips::new("tcp_echo", false);
    /// skips.skip(&mut styles, "uvloop-streams", "no venv");
    /// assert_eq!(styles, ["tokio"]);
    /// ```
    pub fn skip(&mut self, styles: &mut Vec<&str>, style: &str, why: &str) {
        if !styles.contains(&style) {
            return;
        }
        if self.named {
            eprintln!("{}: {style}: {why}", self.bench);
            std::process::exit(1);
        }
        println!("skipping {style}: {why}");
        self.list.push(format!("{style} ({why})"));
        styles.retain(|s| *s != style);
    }

    /// What was skipped, as `STYLE (WHY)`, in order.
    ///
    /// ```
    /// let mut styles = vec!["a"];
    /// let mut skips = weft_bench::Skips::new("bench", false);
    /// skips.skip(&mut styles, "a", "why");
    /// assert_eq!(skips.list(), ["a (why)"]);
    /// ```
    pub fn list(&self) -> &[String] {
        &self.list
    }
}
