//! Servers and load clients as child processes, for the network benches
//! (`tcp_echo`, `ws_echo`): start a server and wait for its `listening ADDR PID`
//! line, start a load client, read its `done MESSAGES SECONDS` line, and
//! median/min/max of the windows.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A server process, stopped (SIGTERM, then waited for) when dropped.
///
/// ```no_run
/// use std::process::Command;
/// let server = weft_bench::spawn_server(Command::new("target/release/echo_server"), "tokio")?;
/// println!("{} (pid {})", server.addr, server.pid);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug)]
pub struct Server {
    /// The child (perhaps a wrapper such as strace around the server).
    pub child: Child,
    /// The server's own pid, from its `listening` line.
    pub pid: u32,
    /// The address it listens on.
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` (stdout piped, stdin null) and waits for its `listening ADDR PID`
/// line; `what` names it in errors. The child is killed if it says anything else.
///
/// # Errors
///
/// The child could not start, exited early, or did not announce itself.
///
/// ```no_run
/// use std::process::Command;
/// let mut cmd = Command::new("target/release/ws_server");
/// cmd.args(["--style", "weft", "--cpu", "0"]);
/// let server = weft_bench::spawn_server(cmd, "weft")?;
/// # Ok::<(), String>(())
/// ```
pub fn spawn_server(mut cmd: Command, what: &str) -> Result<Server, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the {what} server: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let announced = read_line(&mut out).and_then(|line| {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("listening"), Some(addr), Some(pid)) => pid
                .parse()
                .map(|pid| (addr.to_owned(), pid))
                .map_err(|_| format!("said {line:?}")),
            _ => Err(format!("said {line:?}")),
        }
    });
    match announced {
        Ok((addr, pid)) => Ok(Server { child, pid, addr }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{what} server: {e}"))
        }
    }
}

/// Spawns a load client (`program ARGS..`, stdin and stdout piped) and returns it
/// with its stdout.
///
/// # Errors
///
/// The client could not start.
///
/// ```no_run
/// let (child, out) = weft_bench::spawn_load("target/release/echo_load", &["127.0.0.1:9000", "--count", "1000"])?;
/// # Ok::<(), String>(())
/// ```
pub fn spawn_load<S: AsRef<std::ffi::OsStr>>(
    program: &str,
    args: &[S],
) -> Result<(Child, BufReader<ChildStdout>), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the load client: {e}"))?;
    let out = BufReader::new(child.stdout.take().expect("piped"));
    Ok((child, out))
}

/// One line of a child's stdout, trimmed.
///
/// # Errors
///
/// The child closed its stdout (exited), or reading failed.
///
/// ```
/// let mut out = std::io::BufReader::new(&b"done 10 0.5\n"[..]);
/// assert_eq!(weft_bench::read_line(&mut out).unwrap(), "done 10 0.5");
/// ```
pub fn read_line(out: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    match out.read_line(&mut line) {
        Ok(0) => Err("exited early".into()),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses a load client's `done MESSAGES SECONDS`.
///
/// # Errors
///
/// The line is something else.
///
/// ```
/// assert_eq!(weft_bench::parse_done("done 10 0.5"), Ok((10, 0.5)));
/// assert!(weft_bench::parse_done("oops").is_err());
/// ```
pub fn parse_done(line: &str) -> Result<(u64, f64), String> {
    let mut w = line.split_whitespace();
    let parsed = match (w.next(), w.next(), w.next()) {
        (Some("done"), Some(n), Some(s)) => n.parse().ok().zip(s.parse().ok()),
        _ => None,
    };
    parsed.ok_or_else(|| format!("load client said {line:?}"))
}

/// Median, min and max of `values` (at least one).
///
/// ```
/// assert_eq!(weft_bench::median_range([3.0, 1.0, 2.0, 10.0].into_iter()), (2.5, 1.0, 10.0));
/// ```
pub fn median_range(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    (median, v[0], v[v.len() - 1])
}
