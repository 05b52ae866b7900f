//! `cargo xtask autobahn`: run the Autobahn|Testsuite against weft-ws, as a
//! server and as a client, and publish the summary to docs/conformance.md.
//!
//! The suite's `wstest` runs only on Python 2.7, so the first run builds a
//! virtualenv with pinned packages under `target/autobahn/venv`; later runs
//! reuse it. Everything the run writes (specs, logs, reports) stays under
//! `target/autobahn/`.
//!
//! For testing this plumbing without weft's examples, the environment
//! variables `WEFT_AUTOBAHN_SERVER_CMD` and `WEFT_AUTOBAHN_CLIENT_CMD` replace
//! the example binaries by a whitespace-separated command line (the listen
//! address, or the URL and agent, are appended as for the examples). A run
//! with either set never touches docs/conformance.md.

use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{
    banner, describe, fmt_duration, sub_banner, target_dir, workspace_root, Cmd, Result,
};

/// Help for `cargo xtask autobahn --help`.
pub const HELP: &str = "\
Run the Autobahn|Testsuite, cases 1.* to 10.*, against weft-ws: as a server
(examples/ws_echo_server.rs, driven by `wstest -m fuzzingclient`) and as a
client (examples/autobahn_client.rs, against `wstest -m fuzzingserver`).
Fails if any case's behavior or close behavior is FAILED. Cases 12.* and 13.*
(permessage-deflate) are not run: weft-ws does not negotiate compression.

wstest needs Python 2.7: a pyenv-installed 2.7.x, or python2.7 on PATH. The
first run builds a virtualenv with pinned packages in target/autobahn/venv
(a minute or two; pip compiles a C extension) and later runs reuse it. HTML
reports: target/autobahn/reports/{servers,clients}/index.html.

After a full run (no --quick, both sides) the summary is written to
docs/conformance.md between `<!-- autobahn:begin -->` and
`<!-- autobahn:end -->` (the file is created if missing).

USAGE:
    cargo xtask autobahn [--quick] [--no-publish] [--server-only | --client-only]

OPTIONS:
    --quick          Only cases 1.*, 2.*, 5.* and 7.1.*; docs/conformance.md
                     is left alone
    --no-publish     Leave docs/conformance.md alone (what `cargo xtask ci` runs)
    --server-only    Only test weft as a server
    --client-only    Only test weft as a client
    -h, --help       Print this help
";

/// The cases of a full run: everything but 12.* and 13.* (permessage-deflate);
/// the suite has no section 11.
const ALL_CASES: &[&str] = &[
    "1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "8.*", "9.*", "10.*",
];

/// The cases of a `--quick` run: framing, pings, fragmentation, basic close.
const QUICK_CASES: &[&str] = &["1.*", "2.*", "5.*", "7.1.*"];

/// The agent name weft reports under, as a server and as a client.
const AGENT: &str = "weft";

/// The packages of the wstest virtualenv, pinned to a set known to install
/// and run on Python 2.7.18 (most of their current releases dropped 2.7).
/// Changing this list rebuilds the virtualenv on the next run.
const REQUIREMENTS: &str = "\
autobahntestsuite==25.10.1
autobahn==0.10.9
Automat==22.10.0
attrs==21.4.0
cffi==1.15.1
constantly==15.1.0
cryptography==3.3.2
enum34==1.1.10
hyperlink==21.0.0
idna==2.10
incremental==16.10.1
ipaddress==1.0.23
Jinja2==2.11.3
klein==17.10.0
linecache2==1.0.0
MarkupSafe==1.1.1
pyasn1==0.5.1
pyasn1-modules==0.3.0
pycparser==2.21
PyHamcrest==1.10.1
pyOpenSSL==19.1.0
service-identity==18.1.0
setuptools==44.0.0
six==1.16.0
traceback2==1.4.0
Twisted==19.10.0
txaio==2.1.0
typing==3.10.0.0
ujson==2.0.3
unittest2==1.1.0
Werkzeug==1.0.1
wsaccel==0.6.6
zope.interface==4.6.0
";

/// The virtualenv release used to create the environment (the 20.x line
/// still supports Python 2.7 up to 20.21).
const VIRTUALENV: &str = "virtualenv==20.15.1";

/// The file in the virtualenv that records the REQUIREMENTS it was built from.
const STAMP: &str = "weft-requirements.txt";

/// How long a testee or wstest may take to start listening.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one side of the suite may run before it is killed.
const SIDE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The markers around the generated section of docs/conformance.md.
const BEGIN: &str = "<!-- autobahn:begin -->";
/// See [`BEGIN`].
const END: &str = "<!-- autobahn:end -->";

/// The start of docs/conformance.md when the file does not exist yet.
const DOC_INTRO: &str = "\
# WebSocket conformance

weft-ws is tested with the [Autobahn|Testsuite](https://github.com/crossbario/autobahn-testsuite),
the usual conformance suite for RFC 6455 implementations. Its cases cover
framing, pings and pongs, reserved bits, opcodes, fragmentation, UTF-8
validation, the closing handshake, and large messages. Each case grades the
peer's behavior (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED or FAILED) and,
separately, how the connection was closed.

Run it with:

```sh
cargo xtask autobahn            # both sides, then updates the section below
cargo xtask autobahn --quick    # a subset, for iterating; no docs update
```

It runs cases 1.* to 10.* twice: with weft as the server
(`examples/ws_echo_server.rs`, driven by `wstest -m fuzzingclient`) and as the
client (`examples/autobahn_client.rs`, against `wstest -m fuzzingserver`), and
fails if any case's behavior or close behavior is FAILED. The suite has no
section 11; sections 12 and 13 test permessage-deflate and are not run,
because weft-ws does not negotiate compression. wstest runs on Python 2.7
only: xtask builds a virtualenv with pinned packages in `target/autobahn/venv`
on first use, from a pyenv-installed 2.7.x or a `python2.7` on PATH. The HTML
reports are in `target/autobahn/reports/{servers,clients}/index.html`.

For comparison, on the same cases: Python's `websockets` (17.4, as server and
as client, without a message size limit) has 0 FAILED except 7.1.5, where it
answers a close frame arriving in the middle of a fragmented message with
1002 instead of 1000, and 9.3.1 to 9.4.3, where its limit on the number of
fragments per message closes the connection with 1009. tungstenite's
published expected results have 0 FAILED.

The section below is generated by `cargo xtask autobahn`; edit outside it.
";

/// The role weft plays in one half of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// weft's echo server, tested by `wstest -m fuzzingclient`.
    Server,
    /// weft's client, tested by `wstest -m fuzzingserver`.
    Client,
}

impl Side {
    /// `server` or `client`.
    fn name(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }

    /// The example that plays this role.
    fn example(self) -> &'static str {
        match self {
            Side::Server => "ws_echo_server",
            Side::Client => "autobahn_client",
        }
    }

    /// The environment variable that replaces the example (for testing).
    fn override_var(self) -> &'static str {
        match self {
            Side::Server => "WEFT_AUTOBAHN_SERVER_CMD",
            Side::Client => "WEFT_AUTOBAHN_CLIENT_CMD",
        }
    }

    /// The directory under `reports/` wstest writes this side's report to.
    fn report_dir(self) -> &'static str {
        match self {
            Side::Server => "servers",
            Side::Client => "clients",
        }
    }
}

/// A command line, displayed with [`Cmd::display`] and run in the background
/// or with a time limit (which `Cmd` does not do).
#[derive(Clone, Debug)]
struct Line {
    program: OsString,
    args: Vec<OsString>,
    cwd: PathBuf,
}

impl Line {
    /// A command running `program` from the workspace root.
    fn new(program: impl Into<OsString>) -> Self {
        Line {
            program: program.into(),
            args: Vec::new(),
            cwd: workspace_root(),
        }
    }

    /// Appends one argument.
    fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets the working directory.
    fn current_dir(mut self, dir: &Path) -> Self {
        self.cwd = dir.to_path_buf();
        self
    }

    /// The command as a shell line.
    fn display(&self) -> String {
        Cmd::new(&self.program)
            .args(&self.args)
            .current_dir(&self.cwd)
            .display()
    }

    /// Starts the command with stdin closed and stdout and stderr going to
    /// `log`, killed when the returned handle is dropped.
    fn spawn_logged(&self, log: &Path) -> Result<Background> {
        let out =
            File::create(log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let err_out = out
            .try_clone()
            .map_err(|err| format!("cannot reopen {}: {err}", log.display()))?;
        let child = self
            .command()
            .stdout(out)
            .stderr(err_out)
            .spawn()
            .map_err(|err| format!("failed to start `{}`: {err}", self.display()))?;
        Ok(Background {
            child,
            log: log.to_path_buf(),
        })
    }

    /// Runs the command with inherited stdout and stderr; kills it and fails
    /// if it takes longer than `limit`.
    fn run_with_limit(&self, limit: Duration) -> Result<ExitStatus> {
        let child = self
            .command()
            .spawn()
            .map_err(|err| format!("failed to start `{}`: {err}", self.display()))?;
        let mut child = KillOnDrop(child);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.0.try_wait().map_err(|err| err.to_string())? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "`{}` did not finish within {}; killed it",
                    self.display(),
                    fmt_duration(limit)
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        command
    }
}

/// A child process that is killed (and reaped) when dropped, so no server
/// outlives xtask, whichever way the run ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A background process whose output goes to a log file; killed on drop.
struct Background {
    child: Child,
    log: PathBuf,
}

impl Background {
    /// `Some(status)` if the process has exited.
    fn exited(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().map_err(|err| err.to_string())
    }

    /// The log so far ("" if unreadable).
    fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An error for a process that exited early, quoting the end of its log.
    fn died(&self, what: &str, status: ExitStatus) -> String {
        format!(
            "{what} exited early ({}); the end of {}:\n{}",
            describe(status),
            self.log.display(),
            tail(&self.output(), 20)
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program that plays one side: an example binary, or the command from
/// the side's override variable.
struct Testee {
    line: Line,
    overridden: bool,
}

impl Testee {
    /// The testee for `side`.
    fn for_side(side: Side) -> Result<Testee> {
        if let Some(value) = std::env::var_os(side.override_var()) {
            let value = value.to_string_lossy().into_owned();
            let mut words = value.split_whitespace();
            let program = words
                .next()
                .ok_or_else(|| format!("{} is set but empty", side.override_var()))?;
            let line = words.fold(Line::new(program), Line::arg);
            return Ok(Testee {
                line,
                overridden: true,
            });
        }
        let binary = target_dir().join("release/examples").join(side.example());
        Ok(Testee {
            line: Line::new(binary),
            overridden: false,
        })
    }
}

/// What one side's run observed besides the report.
struct Outcome {
    /// How many cases wstest said it would run, if it said so.
    expected: Option<usize>,
    /// A testee misbehavior that does not prevent reading the report, such as
    /// the server dying mid-run or the client exiting with an error.
    problem: Option<String>,
}

/// One case's result from a report's index.json.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CaseResult {
    id: String,
    behavior: String,
    close: String,
    duration_ms: u64,
    reportfile: Option<String>,
}

impl CaseResult {
    /// Whether the behavior or the close behavior is FAILED.
    fn failed(&self) -> bool {
        self.behavior == "FAILED" || self.close == "FAILED"
    }

    /// Whether the behavior or the close behavior is not OK.
    fn not_ok(&self) -> bool {
        self.behavior != "OK" || self.close != "OK"
    }
}

/// One side's results.
struct SideReport {
    side: Side,
    cases: Vec<CaseResult>,
    elapsed: Duration,
    dir: PathBuf,
    problem: Option<String>,
}

/// The behaviors wstest grades cases with, in report order.
const BEHAVIORS: &[&str] = &[
    "OK",
    "NON-STRICT",
    "INFORMATIONAL",
    "UNIMPLEMENTED",
    "FAILED",
];

impl SideReport {
    /// The number of cases per behavior, in [`BEHAVIORS`] order (plus any
    /// other value wstest used, after them).
    fn counts(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> =
            BEHAVIORS.iter().map(|b| ((*b).to_owned(), 0)).collect();
        for case in &self.cases {
            match counts.iter_mut().find(|(b, _)| *b == case.behavior) {
                Some((_, n)) => *n += 1,
                None => counts.push((case.behavior.clone(), 1)),
            }
        }
        counts
    }

    /// The number of cases whose close behavior is not OK.
    fn close_not_ok(&self) -> usize {
        self.cases.iter().filter(|c| c.close != "OK").count()
    }
}

/// Entry point of `cargo xtask autobahn ARGS..`.
pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut publish_docs = true;
    let mut server = true;
    let mut client = true;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--quick" => quick = true,
            "--no-publish" => publish_docs = false,
            "--server-only" => client = false,
            "--client-only" => server = false,
            other => {
                return Err(format!(
                    "unexpected argument `{other}` (see `cargo xtask autobahn --help`)"
                ))
            }
        }
    }
    if !server && !client {
        return Err("--server-only and --client-only exclude each other".to_owned());
    }
    let sides: Vec<Side> = [(server, Side::Server), (client, Side::Client)]
        .into_iter()
        .filter_map(|(on, side)| on.then_some(side))
        .collect();
    let testees = sides
        .iter()
        .map(|&side| Testee::for_side(side).map(|t| (side, t)))
        .collect::<Result<Vec<_>>>()?;
    let cases = if quick { QUICK_CASES } else { ALL_CASES };

    let work = target_dir().join("autobahn");
    fs::create_dir_all(&work).map_err(|err| format!("cannot create {}: {err}", work.display()))?;
    let python = ensure_venv(&work)?;
    build(&testees)?;

    let mut reports = Vec::new();
    for (side, testee) in &testees {
        let dir = work.join("reports").join(side.report_dir());
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|err| format!("cannot remove old {}: {err}", dir.display()))?;
        }
        let started = Instant::now();
        let outcome = match side {
            Side::Server => run_server_side(&python, &work, &dir, cases, testee)?,
            Side::Client => run_client_side(&python, &work, &dir, cases, testee)?,
        };
        let elapsed = started.elapsed();
        let cases = load_report(&dir, outcome.expected).map_err(|err| match &outcome.problem {
            Some(problem) => format!("{err}\n(also: {problem})"),
            None => err,
        })?;
        let report = SideReport {
            side: *side,
            cases,
            elapsed,
            dir,
            problem: outcome.problem,
        };
        print_report(&report);
        reports.push(report);
    }

    let overridden = testees.iter().any(|(_, t)| t.overridden);
    if !publish_docs {
        println!("\n--no-publish: docs/conformance.md left unchanged");
    } else if quick || sides.len() < 2 {
        println!("\nnot a full run: docs/conformance.md left unchanged");
    } else if overridden {
        println!("\nstand-in testee in use: docs/conformance.md left unchanged");
    } else {
        let doc = workspace_root().join("docs/conformance.md");
        publish(&doc, &summary(&reports, &crate::util::today()))?;
        println!("\nupdated {} (between {BEGIN} and {END})", doc.display());
    }
    verdict(&reports)
}

/// Fails if any case FAILED or a testee misbehaved, naming them.
fn verdict(reports: &[SideReport]) -> Result<()> {
    let mut errors = Vec::new();
    for report in reports {
        let failed: Vec<&str> = report
            .cases
            .iter()
            .filter(|c| c.failed())
            .map(|c| c.id.as_str())
            .collect();
        if !failed.is_empty() {
            errors.push(format!(
                "{} side: {} case(s) FAILED: {}",
                report.side.name(),
                failed.len(),
                failed.join(", ")
            ));
        }
        if let Some(problem) = &report.problem {
            errors.push(format!("{} side: {problem}", report.side.name()));
        }
    }
    if errors.is_empty() {
        println!("\nautobahn: no FAILED cases");
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// Builds the examples of the sides that use them.
fn build(testees: &[(Side, Testee)]) -> Result<()> {
    let examples: Vec<&str> = testees
        .iter()
        .filter(|(_, t)| !t.overridden)
        .map(|(side, _)| side.example())
        .collect();
    if examples.is_empty() {
        return Ok(());
    }
    let mut cmd = Cmd::cargo().args(["build", "--release"]);
    for example in &examples {
        cmd = cmd.args(["--example", example]);
    }
    banner("autobahn build", &cmd.display());
    cmd.run()
}

/// Tests weft as a server: starts the testee on a free port and runs
/// `wstest -m fuzzingclient` against it.
fn run_server_side(
    python: &Path,
    work: &Path,
    report_dir: &Path,
    cases: &[&str],
    testee: &Testee,
) -> Result<Outcome> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let server_line = testee.line.clone().arg(addr.to_string());
    banner("autobahn server", &server_line.display());
    let log = work.join("server.log");
    let mut server = server_line.spawn_logged(&log)?;
    let url = wait_for_url(&mut server)?;
    sub_banner(&format!("listening on {url}; output in {}", log.display()));

    let spec = work.join("fuzzingclient.json");
    write_spec(
        &spec,
        &json!({
            "outdir": report_dir,
            "servers": [{"agent": AGENT, "url": url}],
            "cases": cases,
            "exclude-cases": [],
            "exclude-agent-cases": {},
        }),
    )?;
    let wstest = wstest(python, work, "fuzzingclient", &spec);
    sub_banner(&wstest.display());
    let status = wstest.run_with_limit(SIDE_TIMEOUT)?;
    if !status.success() {
        return Err(format!(
            "`{}` failed ({})",
            wstest.display(),
            describe(status)
        ));
    }
    let problem = server
        .exited()?
        .map(|status| server.died("the server under test", status));
    Ok(Outcome {
        expected: None,
        problem,
    })
}

/// Tests weft as a client: starts `wstest -m fuzzingserver` on a free port and
/// runs the testee against it.
fn run_client_side(
    python: &Path,
    work: &Path,
    report_dir: &Path,
    cases: &[&str],
    testee: &Testee,
) -> Result<Outcome> {
    let port = free_port()?;
    let url = format!("ws://127.0.0.1:{port}");
    let spec = work.join("fuzzingserver.json");
    write_spec(
        &spec,
        &json!({
            "url": url,
            "outdir": report_dir,
            "cases": cases,
            "exclude-cases": [],
            "exclude-agent-cases": {},
        }),
    )?;
    // --webport=0: no web server on port 8080 besides the suite's port.
    let wstest = wstest(python, work, "fuzzingserver", &spec).arg("--webport=0");
    banner("autobahn client", &wstest.display());
    let log = work.join("fuzzingserver.log");
    let mut suite = wstest.spawn_logged(&log)?;
    wait_for_port(&mut suite, port)?;
    sub_banner(&format!(
        "wstest listening on {url}; output in {}",
        log.display()
    ));

    let client = testee.line.clone().arg(&url).arg(AGENT);
    sub_banner(&client.display());
    let status = client.run_with_limit(SIDE_TIMEOUT)?;
    let problem = (!status.success())
        .then(|| format!("`{}` failed ({})", client.display(), describe(status)));

    // wstest writes the report before it closes the /updateReports
    // connection, so it is normally there already.
    let index = report_dir.join("index.json");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !index.exists() && Instant::now() < deadline {
        if let Some(status) = suite.exited()? {
            return Err(suite.died("wstest", status));
        }
        thread::sleep(Duration::from_millis(100));
    }
    Ok(Outcome {
        expected: case_count(&suite.output()),
        problem,
    })
}

/// `python -m autobahntestsuite.wstest --mode=MODE --spec SPEC`, run from
/// `work`.
fn wstest(python: &Path, work: &Path, mode: &str, spec: &Path) -> Line {
    // The virtualenv was renamed into place, so the #! lines of its scripts
    // (bin/wstest) name the build directory; `python -m` does not use them.
    Line::new(python)
        .arg("-m")
        .arg("autobahntestsuite.wstest")
        .arg(format!("--mode={mode}"))
        .arg("--spec")
        .arg(spec)
        .current_dir(work)
}

/// Writes a wstest spec file.
fn write_spec(path: &Path, spec: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(spec).map_err(|err| err.to_string())?;
    fs::write(path, text + "\n").map_err(|err| format!("cannot write {}: {err}", path.display()))
}

/// A TCP port that is free on 127.0.0.1 right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|err| format!("cannot bind a free port on 127.0.0.1: {err}"))?;
    let port = listener
        .local_addr()
        .map_err(|err| format!("cannot read the free port: {err}"))?
        .port();
    Ok(port)
}

/// Waits for the server under test to print a line with its `ws://` URL and
/// returns that URL.
fn wait_for_url(server: &mut Background) -> Result<String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(url) = listening_url(&server.output()) {
            return Ok(url);
        }
        if let Some(status) = server.exited()? {
            return Err(server.died("the server under test", status));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the server under test did not print `listening on ws://ADDR` within {}; \
                 the end of {}:\n{}",
                fmt_duration(STARTUP_TIMEOUT),
                server.log.display(),
                tail(&server.output(), 20)
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The first `ws://` URL on a complete line of `output`.
fn listening_url(output: &str) -> Option<String> {
    let complete = &output[..output.rfind('\n')? + 1];
    complete.lines().find_map(|line| {
        line.split_whitespace()
            .find(|word| word.starts_with("ws://"))
            .map(str::to_owned)
    })
}

/// Waits until `port` on 127.0.0.1 accepts TCP connections.
fn wait_for_port(process: &mut Background, port: u16) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = process.exited()? {
            return Err(process.died("wstest", status));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "wstest did not listen on {addr} within {}; the end of {}:\n{}",
                fmt_duration(STARTUP_TIMEOUT),
                process.log.display(),
                tail(&process.output(), 20)
            ));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// The case count from wstest fuzzingserver's `will run N test cases` line.
fn case_count(output: &str) -> Option<usize> {
    output.lines().find_map(|line| {
        let rest = line.split("will run ").nth(1)?;
        let (count, rest) = rest.split_once(' ')?;
        rest.starts_with("test cases").then(|| count.parse().ok())?
    })
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Reads the results of agent [`AGENT`] from `dir/index.json`; fails if fewer
/// than `expected` cases are in it.
fn load_report(dir: &Path, expected: Option<usize>) -> Result<Vec<CaseResult>> {
    let index = dir.join("index.json");
    let text = fs::read_to_string(&index)
        .map_err(|err| format!("wstest wrote no report to {}: {err}", index.display()))?;
    let cases = parse_index(&text).map_err(|err| format!("{}: {err}", index.display()))?;
    if let Some(expected) = expected {
        if cases.len() < expected {
            return Err(format!(
                "{} has {} of the {expected} cases; the client under test stopped early?",
                index.display(),
                cases.len()
            ));
        }
    }
    Ok(cases)
}

/// Parses a report index (`{agent: {case: {behavior, behaviorClose, ..}}}`)
/// into [`AGENT`]'s cases, sorted by case number.
fn parse_index(text: &str) -> Result<Vec<CaseResult>> {
    let index: Value = serde_json::from_str(text).map_err(|err| err.to_string())?;
    let agents = index.as_object().ok_or("the index is not a JSON object")?;
    let Some(cases) = agents.get(AGENT).and_then(Value::as_object) else {
        let found: Vec<&str> = agents.keys().map(String::as_str).collect();
        return Err(format!(
            "no results for agent `{AGENT}` (found: {})",
            if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            }
        ));
    };
    let text_field = |case: &Value, key: &str| {
        case.get(key)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let mut results: Vec<CaseResult> = cases
        .iter()
        .map(|(id, case)| CaseResult {
            id: id.clone(),
            behavior: text_field(case, "behavior"),
            close: text_field(case, "behaviorClose"),
            duration_ms: case.get("duration").and_then(Value::as_u64).unwrap_or(0),
            reportfile: case
                .get("reportfile")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect();
    results.sort_by_key(|case| case_key(&case.id));
    if results.is_empty() {
        return Err(format!("agent `{AGENT}` has no cases"));
    }
    Ok(results)
}

/// Sort key of a case id: `9.10.2` sorts after `9.2.1`.
fn case_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|part| part.parse().unwrap_or(u32::MAX))
        .collect()
}

/// Prints one side's counts and its cases that are not OK.
fn print_report(report: &SideReport) {
    let side = report.side.name();
    println!(
        "\n==> autobahn {side}: {} cases in {}",
        report.cases.len(),
        fmt_duration(report.elapsed)
    );
    let counts: Vec<String> = report
        .counts()
        .iter()
        .map(|(behavior, n)| format!("{behavior} {n}"))
        .collect();
    println!("    behavior: {}", counts.join(", "));
    println!("    close behavior not OK: {}", report.close_not_ok());
    let slowest = report.cases.iter().max_by_key(|c| c.duration_ms);
    if let Some(case) = slowest {
        println!("    slowest case: {} ({} ms)", case.id, case.duration_ms);
    }
    let not_ok: Vec<&CaseResult> = report.cases.iter().filter(|c| c.not_ok()).collect();
    if !not_ok.is_empty() {
        println!("    not OK (case, behavior, close behavior):");
    }
    for case in not_ok {
        println!("      {:<9} {:<14} {}", case.id, case.behavior, case.close);
        if case.failed() {
            for detail in case_details(&report.dir, case) {
                println!("                {detail}");
            }
        }
    }
    println!("    report: {}", report.dir.join("index.html").display());
}

/// The explanation lines of a case from its own report file: its
/// description and what wstest concluded about behavior and close.
fn case_details(dir: &Path, case: &CaseResult) -> Vec<String> {
    let Some(file) = &case.reportfile else {
        return Vec::new();
    };
    let Ok(text) = fs::read_to_string(dir.join(file)) else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let mut lines: Vec<String> = ["description", "result", "resultClose"]
        .iter()
        .filter_map(|key| {
            let text = value.get(*key)?.as_str()?;
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Some(format!("{key}: {text}"))
        })
        .collect();
    // wstest's result text can mislead (a timeout message for a connection
    // the testee closed); the close code the testee sent tells what happened.
    if let Some(code) = value.get("remoteCloseCode").and_then(Value::as_u64) {
        let reason = value
            .get("remoteCloseReason")
            .and_then(Value::as_str)
            .unwrap_or("");
        lines.push(
            format!("testee closed with: {code} {reason}")
                .trim_end()
                .to_owned(),
        );
    }
    lines.push(format!("details: {}", dir.join(file).display()));
    lines
}

/// The Markdown summary written into docs/conformance.md.
fn summary(reports: &[SideReport], date: &str) -> String {
    let mut out = format!(
        "Last full run: {date}, agent `{AGENT}`, autobahntestsuite {}, cases {} to {}.\n\n",
        suite_version(),
        ALL_CASES[0],
        ALL_CASES[ALL_CASES.len() - 1]
    );
    out.push_str("| Side | Cases |");
    for behavior in BEHAVIORS {
        out.push_str(&format!(" {behavior} |"));
    }
    out.push_str(" Close not OK | Time |\n|---|--:|");
    for _ in BEHAVIORS {
        out.push_str("--:|");
    }
    out.push_str("--:|--:|\n");
    for report in reports {
        let counts = report.counts();
        out.push_str(&format!(
            "| {} (`{}`) | {} |",
            report.side.name(),
            report.side.example(),
            report.cases.len()
        ));
        for behavior in BEHAVIORS {
            let n = counts
                .iter()
                .find(|(b, _)| b == behavior)
                .map_or(0, |(_, n)| *n);
            out.push_str(&format!(" {n} |"));
        }
        out.push_str(&format!(
            " {} | {} |\n",
            report.close_not_ok(),
            fmt_duration(report.elapsed)
        ));
    }
    let not_ok: Vec<(&SideReport, &CaseResult)> = reports
        .iter()
        .flat_map(|r| r.cases.iter().filter(|c| c.not_ok()).map(move |c| (r, c)))
        .collect();
    if not_ok.is_empty() {
        out.push_str("\nEvery case is OK, in behavior and in close behavior.\n");
    } else {
        out.push_str(
            "\nCases whose behavior or close behavior is not OK:\n\n\
             | Side | Case | Behavior | Close behavior |\n|---|---|---|---|\n",
        );
        for (report, case) in not_ok {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                report.side.name(),
                case.id,
                case.behavior,
                case.close
            ));
        }
    }
    out
}

/// The pinned autobahntestsuite version, from [`REQUIREMENTS`].
fn suite_version() -> &'static str {
    REQUIREMENTS
        .lines()
        .find_map(|line| line.strip_prefix("autobahntestsuite=="))
        .unwrap_or("?")
}

/// Writes `section` between the markers of the Markdown file `doc`.
fn publish(doc: &Path, section: &str) -> Result<()> {
    let old = match fs::read_to_string(doc) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(format!("cannot read {}: {err}", doc.display())),
    };
    let new = splice(old.as_deref(), section)
        .map_err(|err| format!("cannot update {}: {err}", doc.display()))?;
    fs::write(doc, new).map_err(|err| format!("cannot write {}: {err}", doc.display()))
}

/// Returns `doc` with the text between the markers replaced by `section`; a
/// missing document becomes [`DOC_INTRO`] plus the markers, and a document
/// without the markers gets them appended.
fn splice(doc: Option<&str>, section: &str) -> Result<String> {
    crate::util::splice_section(doc, section, (BEGIN, END), DOC_INTRO)
}

/// Returns the Python of the wstest virtualenv, building the virtualenv first
/// if it is missing or was built from other [`REQUIREMENTS`].
///
/// The virtualenv is built in a directory of its own and renamed into place
/// when complete, so an interrupted build never leaves a broken one behind
/// and concurrent runs do not trip over each other.
fn ensure_venv(work: &Path) -> Result<PathBuf> {
    let venv = work.join("venv");
    let python = venv.join("bin/python");
    if venv_ready(&venv) {
        println!("\nwstest virtualenv: {} (cached)", venv.display());
        return Ok(python);
    }
    let started = Instant::now();
    let base = find_python27()?;
    banner(
        "autobahn venv",
        &format!("build {} with {}", venv.display(), base.display()),
    );
    remove_stale_builds(work);
    let build = work.join(format!("venv-build.{}", std::process::id()));
    let _cleanup = RemoveOnDrop(build.clone());
    if build.exists() {
        fs::remove_dir_all(&build)
            .map_err(|err| format!("cannot remove {}: {err}", build.display()))?;
    }
    fs::create_dir_all(&build)
        .map_err(|err| format!("cannot create {}: {err}", build.display()))?;

    // Python 2.7's virtualenv is not in the standard library: install it
    // into a side directory and run it from there.
    let boot = build.join("boot");
    let env = build.join("env");
    let steps = [
        Cmd::new(&base)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-warn-script-location", "--target"])
            .arg(&boot)
            .arg(VIRTUALENV),
        Cmd::new(&base)
            .env("PYTHONPATH", &boot)
            .args(["-m", "virtualenv", "--quiet", "--no-periodic-update"])
            .arg("--app-data")
            .arg(build.join("app-data"))
            .arg(&env),
    ];
    for cmd in steps {
        sub_banner(&cmd.display());
        cmd.run()?;
    }
    let requirements = build.join("requirements.txt");
    fs::write(&requirements, REQUIREMENTS)
        .map_err(|err| format!("cannot write {}: {err}", requirements.display()))?;
    let env_python = env.join("bin/python");
    let steps = [
        Cmd::new(&env_python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--requirement")
            .arg(&requirements),
        Cmd::new(&env_python).args(["-m", "autobahntestsuite.wstest", "--autobahnversion"]),
    ];
    for cmd in steps {
        sub_banner(&cmd.display());
        cmd.run()?;
    }
    let stamp = env.join(STAMP);
    fs::write(&stamp, REQUIREMENTS)
        .map_err(|err| format!("cannot write {}: {err}", stamp.display()))?;

    // Move an outdated virtualenv out of the way, then rename the new one in.
    if venv.exists() {
        let old = work.join(format!("venv-old.{}", std::process::id()));
        fs::rename(&venv, &old)
            .map_err(|err| format!("cannot move {} aside: {err}", venv.display()))?;
        let _ = fs::remove_dir_all(&old);
    }
    if let Err(err) = fs::rename(&env, &venv) {
        // Another run may have finished its build first; use its result.
        if !venv_ready(&venv) {
            return Err(format!(
                "cannot rename {} to {}: {err}",
                env.display(),
                venv.display()
            ));
        }
    }
    println!(
        "wstest virtualenv ready in {}: {}",
        fmt_duration(started.elapsed()),
        venv.display()
    );
    Ok(python)
}

/// Whether `venv` is a complete virtualenv built from [`REQUIREMENTS`].
fn venv_ready(venv: &Path) -> bool {
    venv.join("bin/python").exists()
        && fs::read_to_string(venv.join(STAMP)).is_ok_and(|stamp| stamp == REQUIREMENTS)
}

/// Removes the build directories of earlier runs that were killed before
/// they could clean up (those whose process no longer exists).
fn remove_stale_builds(work: &Path) {
    let Ok(entries) = fs::read_dir(work) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix("venv-build.")
            .or_else(|| name.strip_prefix("venv-old."));
        let Some(pid) = pid else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes a directory when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Finds a Python 2.7 interpreter: a pyenv-installed 2.7.x (newest first),
/// else `python2.7` or `python2` on PATH. Returns its real executable path.
fn find_python27() -> Result<PathBuf> {
    let roots = pyenv_roots();
    let mut candidates: Vec<PathBuf> = Vec::new();
    for root in &roots {
        let Ok(entries) = fs::read_dir(root.join("versions")) else {
            continue;
        };
        let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rest = name.strip_prefix("2.7")?;
                let key = rest
                    .split('.')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<u32>().ok())
                    .collect::<Option<Vec<u32>>>()?;
                Some((key, entry.path().join("bin/python")))
            })
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev().map(|(_, path)| path));
    }
    candidates.push("python2.7".into());
    candidates.push("python2".into());
    for candidate in &candidates {
        if let Some(executable) = python27_executable(candidate) {
            println!("python 2.7: {}", executable.display());
            return Ok(executable);
        }
    }
    let looked: Vec<String> = roots
        .iter()
        .map(|root| format!("{}/versions/2.7.*", root.display()))
        .collect();
    Err(format!(
        "no Python 2.7 found, and the Autobahn testsuite (wstest) runs only on Python 2.7.\n\
         Looked for pyenv versions in {} and for python2.7 / python2 on PATH.\n\
         Install one with `pyenv install 2.7.18` (https://github.com/pyenv/pyenv; needs a C \
         compiler and the zlib, bz2, readline, sqlite and ssl headers) or with your \
         distribution's python2.7 package plus its headers (e.g. python2.7-dev), since pip \
         compiles a C extension for wstest.",
        if looked.is_empty() {
            "(no pyenv root)".to_owned()
        } else {
            looked.join(", ")
        }
    ))
}

/// The pyenv root directories to look for installed versions in:
/// `$PYENV_ROOT` and `~/.pyenv`.
fn pyenv_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let env_root = std::env::var_os("PYENV_ROOT").filter(|r| !r.is_empty());
    let home_root = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".pyenv"));
    for root in [env_root.map(PathBuf::from), home_root]
        .into_iter()
        .flatten()
    {
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots
}

/// If `program` runs and is Python 2.7, its real executable path.
fn python27_executable(program: &Path) -> Option<PathBuf> {
    let output = Command::new(program)
        .args([
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    if lines.next()? != "2.7" {
        return None;
    }
    let executable = lines.next().filter(|line| !line.is_empty())?;
    Some(PathBuf::from(executable))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, behavior: &str, close: &str) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            behavior: behavior.to_owned(),
            close: close.to_owned(),
            duration_ms: 1,
            reportfile: None,
        }
    }

    #[test]
    fn parses_index_sorted_by_case_number() {
        let text = r#"{"weft": {
            "9.10.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 5},
            "9.2.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 7,
                      "reportfile": "weft_case_9_2_1.json"},
            "7.1.5": {"behavior": "FAILED", "behaviorClose": "OK", "duration": 1},
            "10.1.1": {"behavior": "NON-STRICT", "behaviorClose": "WRONG CODE"}
        }}"#;
        let cases = parse_index(text).unwrap();
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["7.1.5", "9.2.1", "9.10.1", "10.1.1"]);
        assert!(cases[0].failed());
        assert_eq!(cases[1].reportfile.as_deref(), Some("weft_case_9_2_1.json"));
        assert_eq!(cases[1].duration_ms, 7);
        assert!(!cases[3].failed() && cases[3].not_ok());
    }

    #[test]
    fn index_without_agent_is_an_error() {
        let err = parse_index(r#"{"other": {}}"#).unwrap_err();
        assert!(err.contains("found: other"), "{err}");
        assert!(parse_index(r#"{"weft": {}}"#).is_err());
    }

    #[test]
    fn close_failures_count() {
        assert!(case("1.1.1", "OK", "FAILED").failed());
        assert!(!case("1.1.1", "OK", "UNCLEAN").failed());
        assert!(!case("1.1.1", "OK", "OK").not_ok());
    }

    #[test]
    fn finds_listening_url() {
        assert_eq!(listening_url("listening on ws://127.0.0.1:9001"), None);
        assert_eq!(
            listening_url("listening on ws://127.0.0.1:9001\n").as_deref(),
            Some("ws://127.0.0.1:9001")
        );
        assert_eq!(
            listening_url("starting\nlistening on ws://[::1]:80 (echo)\n").as_deref(),
            Some("ws://[::1]:80")
        );
        assert_eq!(listening_url("starting\n"), None);
    }

    #[test]
    fn reads_case_count() {
        let log = "Autobahn WebSocket 25.10.1/0.10.9 Fuzzing Server (Port 9002)\n\
                   Ok, will run 27 test cases for any clients connecting\n";
        assert_eq!(case_count(log), Some(27));
        assert_eq!(case_count("nothing\n"), None);
    }

    #[test]
    fn counts_behaviors_and_summarizes() {
        let report = SideReport {
            side: Side::Server,
            cases: vec![
                case("1.1.1", "OK", "OK"),
                case("6.4.3", "NON-STRICT", "OK"),
                case("7.1.6", "INFORMATIONAL", "OK"),
                case("7.1.5", "FAILED", "OK"),
            ],
            elapsed: Duration::from_secs(62),
            dir: PathBuf::new(),
            problem: None,
        };
        let counts = report.counts();
        assert_eq!(counts[0], ("OK".to_owned(), 1));
        assert_eq!(counts[4], ("FAILED".to_owned(), 1));
        let text = summary(&[report], "2025-01-02");
        assert!(text.starts_with("Last full run: 2025-01-02, agent `weft`"));
        assert!(
            text.contains("| server (`ws_echo_server`) | 4 | 1 | 1 | 1 | 0 | 1 | 0 | 1m02.0s |")
        );
        assert!(text.contains("| server | 7.1.5 | FAILED | OK |"));
        assert!(!text.contains("| server | 1.1.1 |"));
        assert!(verdict(&[]).is_ok());
    }

    #[test]
    fn splices_the_section() {
        let new = splice(None, "table").unwrap();
        assert!(new.starts_with("# WebSocket conformance\n"));
        assert!(new.ends_with("<!-- autobahn:begin -->\ntable\n<!-- autobahn:end -->\n"));
        let doc = "# C\n<!-- autobahn:begin -->\nold\n<!-- autobahn:end -->\nafter\n";
        assert_eq!(
            splice(Some(doc), "new\n").unwrap(),
            "# C\n<!-- autobahn:begin -->\nnew\n<!-- autobahn:end -->\nafter\n"
        );
        assert_eq!(
            splice(Some("# C"), "new").unwrap(),
            "# C\n\n<!-- autobahn:begin -->\nnew\n<!-- autobahn:end -->\n"
        );
        assert!(splice(Some("<!-- autobahn:end --><!-- autobahn:begin -->"), "x").is_err());
    }

    #[test]
    fn quick_cases_are_a_subset() {
        for case in QUICK_CASES {
            let section = case.split('.').next().unwrap();
            assert!(ALL_CASES.contains(&format!("{section}.*").as_str()));
        }
        assert_eq!(suite_version(), "25.10.1");
    }
}
