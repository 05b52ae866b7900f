//! Child processes: asyncio's `create_subprocess_exec`, as a [`Command`]
//! builder that mirrors [`std::process::Command`] and an async [`Child`].
//!
//! # How children are watched
//!
//! A spawned child is watched by the event loop that spawned it:
//!
//! * On Linux >= 5.3 through a **pidfd** (`pidfd_open(2)`), which becomes
//!   readable when the process exits; it is registered with the loop's
//!   reactor like a socket.
//! * Where `pidfd_open` is unavailable (`ENOSYS`, or `EPERM` from a seccomp
//!   filter), through **`SIGCHLD`**: each waiting child listens for the
//!   signal (see [`signal`](crate::signal); this installs a process-wide
//!   `SIGCHLD` handler) and checks its own pid on every delivery.
//!
//! In both cases the status is collected with a non-blocking `waitpid` on
//! the child's own pid, never with `waitpid(-1)`, so other children of the
//! process are left alone.
//!
//! # No zombies
//!
//! A [`Child`] dropped before it was reaped is handed to a process-wide
//! background thread (`weft-reaper`, started on first use) that reaps it when
//! it exits. With [`Command::kill_on_drop`], dropping the `Child` also sends
//! it `SIGKILL` first. Without it, a dropped child keeps running, like a
//! dropped [`std::process::Child`].
//!
//! # Examples
//!
//! ```
//! use weft_reactor::process::Command;
//!
//! weft::run(async {
//!     let out = Command::new("echo").arg("hello").output().await?;
//!     assert!(out.status.success());
//!     assert_eq!(out.stdout, b"hello\n");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod reaper;
mod watch;

use std::ffi::OsStr;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::Child as StdChild;
use std::task::{Context, Poll};

pub use std::process::{ExitStatus, Output, Stdio};

use crate::pipe;
use crate::reactor::Handle;
use crate::signal::{SIGKILL, SIGTERM};

use self::watch::ExitWatch;

/// How many reads [`Child::wait_with_output`] does per poll before letting
/// other tasks run.
const READS_PER_POLL: usize = 32;

/// The write end of a child's standard input: a [`pipe::Sender`].
///
/// Dropping it (or calling [`close`](pipe::Sender::close)) gives the child
/// end of file.
///
/// # Examples
///
/// ```
/// use weft_reactor::process::{ChildStdin, Command, Stdio};
///
/// weft::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
///     let mut stdin: ChildStdin = child.stdin.take().unwrap();
///     stdin.write_all(b"fed to cat").await?;
///     drop(stdin);
///     assert!(child.wait().await?.success());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type ChildStdin = pipe::Sender;

/// The read end of a child's standard output: a [`pipe::Receiver`].
///
/// # Examples
///
/// ```
/// use weft_reactor::process::{ChildStdout, Command, Stdio};
///
/// weft::run(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut stdout: ChildStdout = child.stdout.take().unwrap();
///     let mut got = Vec::new();
///     stdout.read_to_end(&mut got).await?;
///     assert_eq!(got, b"hi\n");
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type ChildStdout = pipe::Receiver;

/// The read end of a child's standard error: a [`pipe::Receiver`].
///
/// # Examples
///
/// ```
/// use weft_reactor::process::{ChildStderr, Command, Stdio};
///
/// weft::run(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let mut stderr: ChildStderr = child.stderr.take().unwrap();
///     let mut got = Vec::new();
///     stderr.read_to_end(&mut got).await?;
///     assert_eq!(got, b"oops\n");
///     child.wait().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type ChildStderr = pipe::Receiver;

/// A process builder, mirroring [`std::process::Command`], whose children
/// are waited for asynchronously.
///
/// Defaults are those of std: [`spawn`](Command::spawn) and
/// [`status`](Command::status) inherit the three standard streams,
/// [`output`](Command::output) captures stdout and stderr and gives the child
/// an empty stdin, unless they were set with [`stdin`](Command::stdin),
/// [`stdout`](Command::stdout) or [`stderr`](Command::stderr).
///
/// # Examples
///
/// ```
/// use weft_reactor::process::Command;
///
/// weft::run(async {
///     let status = Command::new("sh").args(["-c", "exit 3"]).status().await?;
///     assert_eq!(status.code(), Some(3));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Command {
    std: std::process::Command,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
    kill_on_drop: bool,
}

impl Command {
    /// A builder for running `program` (looked up in `PATH` if it has no
    /// `/`), with no arguments, the parent's environment and working
    /// directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     assert!(Command::new("true").status().await?.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("echo").arg("-n").arg("a b").output().await?;
    ///     assert_eq!(out.stdout, b"a b");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("printf").args(["%s-%s", "x", "y"]).output().await?;
    ///     assert_eq!(out.stdout, b"x-y");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("sh").args(["-c", "printf %s \"$GREETING\""])
    ///         .env("GREETING", "hi")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("sh").args(["-c", "printf %s%s \"$A\" \"$B\""])
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"12");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("sh").args(["-c", "printf %s \"${X-unset}\""])
    ///         .env("X", "set")
    ///         .env_remove("X")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"unset");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment: it gets only the variables set
    /// afterwards. (`program` is then looked up in the parent's `PATH`.)
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("env").env_clear().env("ONLY", "me").output().await?;
    ///     assert_eq!(out.stdout, b"ONLY=me\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("pwd").current_dir("/").output().await?;
    ///     assert_eq!(out.stdout, b"/\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Configures the child's standard input: [`Stdio::piped`] gives
    /// [`Child::stdin`], [`Stdio::null`], [`Stdio::inherit`], or any
    /// descriptor (`Stdio::from(OwnedFd)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     let out = Command::new("wc").arg("-c").stdin(Stdio::null()).output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Configures the child's standard output; [`Stdio::piped`] gives
    /// [`Child::stdout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     // Not captured by `output()` once redirected elsewhere.
    ///     let out = Command::new("echo").arg("gone").stdout(Stdio::null()).output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// Configures the child's standard error; [`Stdio::piped`] gives
    /// [`Child::stderr`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     let out = Command::new("sh")
    ///         .args(["-c", "echo err >&2"])
    ///         .stderr(Stdio::null())
    ///         .output()
    ///         .await?;
    ///     assert!(out.stderr.is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Whether dropping the [`Child`] before it was reaped sends it `SIGKILL`
    /// (default: `false`, the child keeps running). Either way a dropped
    /// child is reaped in the background once it exits.
    ///
    /// This also applies when a future such as [`output`](Command::output) is
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn()?;
    ///     drop(child); // killed, then reaped by the background reaper
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The underlying [`std::process::Command`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// let mut cmd = Command::new("ls");
    /// cmd.arg("-l");
    /// assert_eq!(cmd.as_std().get_program(), "ls");
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The underlying [`std::process::Command`], for what this builder does
    /// not mirror (`std::os::unix::process::CommandExt`: `uid`, `gid`,
    /// `process_group`, `arg0`, ...). Configure the standard streams through
    /// this builder, not here, so that [`output`](Command::output) knows
    /// about them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut cmd = Command::new("true");
    ///     cmd.as_std_mut().process_group(0);
    ///     assert!(cmd.status().await?.success());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the process; its exit is watched by the current event loop.
    ///
    /// # Errors
    ///
    /// The errors of [`std::process::Command::spawn`] — notably
    /// [`NotFound`](io::ErrorKind::NotFound) for a missing program and
    /// `PermissionDenied` for one that is not executable — and a failure to
    /// watch the child or register its pipes (out of file descriptors), in
    /// which case the child is killed and reaped in the background.
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop (no reactor is current on this
    /// thread), before anything is spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("0").spawn()?;
    ///     assert!(child.id().is_some());
    ///     assert!(child.wait().await?.success());
    ///
    ///     let missing = Command::new("/no/such/program").spawn().unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        let handle = Handle::current();
        let child = self.std.spawn()?;
        Child::from_std(child, &handle, self.kill_on_drop)
    }

    /// Runs the process to completion and collects its output: stdout and
    /// stderr are captured (read concurrently, so a child that fills one
    /// while we read the other does not deadlock) and stdin is empty, unless
    /// configured otherwise.
    ///
    /// The process is spawned when the future is first polled. If the future
    /// is dropped before completion the child is dropped too (see
    /// [`kill_on_drop`](Command::kill_on_drop)).
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn), and the errors of reading the pipes or
    /// waiting. A non-zero exit is not an error: see [`Output::status`].
    ///
    /// # Panics
    ///
    /// Panics if polled outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let out = Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2; exit 1"])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.status.code(), Some(1));
    ///     assert_eq!(out.stdout, b"out\n");
    ///     assert_eq!(out.stderr, b"err\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::piped());
        }
        let spawned = self.spawn();
        // Back to the defaults of `spawn` for the next use of the builder.
        if !self.stdin_set {
            self.std.stdin(Stdio::inherit());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::inherit());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::inherit());
        }
        spawned?.wait_with_output().await
    }

    /// Runs the process to completion (standard streams inherited unless
    /// configured) and returns its exit status.
    ///
    /// The process is spawned when the future is first polled; if the future
    /// is dropped before completion the child is dropped too.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn) and [`Child::wait`].
    ///
    /// # Panics
    ///
    /// Panics if polled outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let status = Command::new("false").status().await?;
    ///     assert_eq!(status.code(), Some(1));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a configured [`std::process::Command`]. Its standard streams
    /// count as not configured for [`Command::output`].
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut std_cmd = std::process::Command::new("echo");
    ///     std_cmd.arg("converted");
    ///     let out = Command::from(std_cmd).output().await?;
    ///     assert_eq!(out.stdout, b"converted\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish_non_exhaustive()
    }
}

/// A child process spawned by [`Command::spawn`], watched by the event loop
/// that spawned it (asyncio's `asyncio.subprocess.Process`).
///
/// Dropping a `Child` that has not been reaped does not wait: the process is
/// handed to a background reaper (after `SIGKILL` if
/// [`kill_on_drop`](Command::kill_on_drop) was set), so it never stays a
/// zombie. See the [module documentation](self).
///
/// # Examples
///
/// ```
/// use weft_reactor::process::{Command, Stdio};
///
/// weft::run(async {
///     let mut child = Command::new("cat")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"round trip").await?;
///     drop(stdin);
///     let out = child.wait_with_output().await?;
///     assert_eq!(out.stdout, b"round trip");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Child {
    /// The child's standard input, if it was [`Stdio::piped`]. Take it to
    /// write to it; drop it to give the child end of file.
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("true").stdin(Stdio::piped()).spawn()?;
    ///     assert!(child.stdin.is_some());
    ///     child.wait().await?; // closes stdin first
    ///     assert!(child.stdin.is_none());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was [`Stdio::piped`].
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("echo").arg("x").stdout(Stdio::piped()).spawn()?;
    ///     let mut out = Vec::new();
    ///     child.stdout.as_mut().unwrap().read_to_end(&mut out).await?;
    ///     assert_eq!(out, b"x\n");
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was [`Stdio::piped`].
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     assert!(child.stderr.is_none()); // inherited, not piped
    ///     child.wait().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub stderr: Option<ChildStderr>,
    pid: u32,
    /// `None` once reaped.
    running: Option<Running>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
}

struct Running {
    child: StdChild,
    watch: ExitWatch,
}

impl Child {
    fn from_std(mut child: StdChild, handle: &Handle, kill_on_drop: bool) -> io::Result<Child> {
        let pid = child.id();
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let watch = match ExitWatch::new(handle, &child) {
            Ok(watch) => watch,
            Err(error) => {
                let _ = child.kill();
                reaper::adopt(child);
                return Err(error);
            }
        };
        let mut this = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            pid,
            running: Some(Running { child, watch }),
            status: None,
            // Until the pipes are set up, a failure kills the child.
            kill_on_drop: true,
        };
        this.stdin = stdin
            .map(|fd| pipe::Sender::from_owned_fd(OwnedFd::from(fd)))
            .transpose()?;
        this.stdout = stdout
            .map(|fd| pipe::Receiver::from_owned_fd(OwnedFd::from(fd)))
            .transpose()?;
        this.stderr = stderr
            .map(|fd| pipe::Receiver::from_owned_fd(OwnedFd::from(fd)))
            .transpose()?;
        this.kill_on_drop = kill_on_drop;
        Ok(this)
    }

    /// The child's process id, or `None` once it has been reaped (the pid
    /// may then belong to another process).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     let pid = child.id().expect("not reaped yet");
    ///     assert!(pid > 0);
    ///     child.wait().await?;
    ///     assert_eq!(child.id(), None);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Option<u32> {
        self.running.as_ref().map(|_| self.pid)
    }

    /// Polls for the child's exit: reaps it and returns its status once it
    /// has exited, else stores the waker. After that it keeps returning the
    /// same status. Unlike [`wait`](Child::wait), it does not close stdin.
    ///
    /// # Errors
    ///
    /// The error of `waitpid`, or of the loop's reactor if it has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sh").args(["-c", "exit 7"]).spawn()?;
    ///     let status = poll_fn(|cx| child.poll_wait(cx)).await?;
    ///     assert_eq!(status.code(), Some(7));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let Some(running) = &mut self.running else {
            unreachable!("a child without a status is running");
        };
        let status = std::task::ready!(running.watch.poll_exit(cx, &mut running.child))?;
        Poll::Ready(Ok(self.reaped(status)))
    }

    /// Records the status and releases the watcher (and the pidfd).
    fn reaped(&mut self, status: ExitStatus) -> ExitStatus {
        self.status = Some(status);
        self.running = None;
        status
    }

    /// Closes the child's stdin (so a child reading it sees end of file, as
    /// [`std::process::Child::wait`] does), then waits for the child to exit
    /// and reaps it.
    ///
    /// Cancel-safe: if the future is dropped, waiting again later returns the
    /// status; nothing is lost (stdin stays closed).
    ///
    /// # Errors
    ///
    /// The error of `waitpid`, or of the loop's reactor if it has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sh").args(["-c", "kill -TERM $$"]).spawn()?;
    ///     let status = child.wait().await?;
    ///     assert_eq!(status.signal(), Some(weft_reactor::signal::SIGTERM));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    /// Reaps the child if it has exited, without waiting: `Ok(None)` while
    /// it runs.
    ///
    /// # Errors
    ///
    /// The error of `waitpid`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     assert!(child.try_wait()?.is_none());
    ///     child.kill().await?;
    ///     assert!(child.try_wait()?.is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let Some(running) = &mut self.running else {
            unreachable!("a child without a status is running");
        };
        Ok(running.child.try_wait()?.map(|status| self.reaped(status)))
    }

    /// Sends `SIGKILL` to the child without waiting for it (asyncio's
    /// `Process.kill()`). Does nothing if the child was already reaped.
    ///
    /// # Errors
    ///
    /// The error of `kill(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     child.start_kill()?;
    ///     let status = child.wait().await?;
    ///     assert_eq!(status.signal(), Some(weft_reactor::signal::SIGKILL));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.send_signal(SIGKILL)
    }

    /// Sends `SIGKILL` to the child and waits for it to exit; returns its
    /// status (which says it was signaled, unless it exited first).
    ///
    /// # Errors
    ///
    /// The errors of [`start_kill`](Child::start_kill) and
    /// [`wait`](Child::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     let status = child.kill().await?;
    ///     assert_eq!(status.signal(), Some(9));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn kill(&mut self) -> io::Result<ExitStatus> {
        self.start_kill()?;
        self.wait().await
    }

    /// Sends `SIGTERM` to the child (asyncio's `Process.terminate()`). Does
    /// nothing if the child was already reaped.
    ///
    /// # Errors
    ///
    /// The error of `kill(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     child.terminate()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(weft_reactor::signal::SIGTERM));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(SIGTERM)
    }

    /// Sends the signal `signum` to the child (asyncio's
    /// `Process.send_signal()`). Does nothing if the child was already
    /// reaped — until then its pid cannot be reused, so the signal cannot
    /// reach another process.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a signal number that is not one of the named
    /// signals (real-time signals are not supported); the error of `kill(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    /// use weft_reactor::signal::SIGUSR1;
    ///
    /// weft::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     child.send_signal(SIGUSR1)?; // default action: terminate
    ///     assert_eq!(child.wait().await?.signal(), Some(SIGUSR1));
    ///     child.send_signal(SIGUSR1)?; // reaped: nothing to do
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_signal(&mut self, signum: i32) -> io::Result<()> {
        if self.running.is_none() {
            return Ok(());
        }
        let signal = rustix::process::Signal::from_named_raw(signum).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot send signal {signum}: not a named signal"),
            )
        })?;
        let pid = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or_else(|| io::Error::other("invalid child pid"))?;
        rustix::process::kill_process(pid, signal)?;
        Ok(())
    }

    /// Closes stdin, reads stdout and stderr to the end (concurrently, so
    /// neither can fill up and block the child), then waits for the child.
    /// Streams that were not piped, or were taken, come back empty.
    ///
    /// # Errors
    ///
    /// The errors of reading the pipes and of [`wait`](Child::wait). On error
    /// the child is dropped (see [`kill_on_drop`](Command::kill_on_drop)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::process::{Command, Stdio};
    ///
    /// weft::run(async {
    ///     let child = Command::new("sh")
    ///         .args(["-c", "head -c 200000 /dev/zero >&2; echo done"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?;
    ///     let out = child.wait_with_output().await?;
    ///     assert_eq!(out.stderr.len(), 200_000);
    ///     assert_eq!(out.stdout, b"done\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let mut pipes = [self.stdout.take(), self.stderr.take()];
        let mut bufs = [Vec::new(), Vec::new()];
        let status = poll_fn(|cx| {
            let mut budget = READS_PER_POLL;
            for (pipe, buf) in pipes.iter_mut().zip(bufs.iter_mut()) {
                while let Some(rx) = pipe {
                    if budget == 0 {
                        // Much output keeps arriving: let the loop run others.
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    budget -= 1;
                    match rx.poll_read_some(cx, buf) {
                        Poll::Ready(Ok(0)) => *pipe = None,
                        Poll::Ready(Ok(_)) => {}
                        Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                        Poll::Pending => break,
                    }
                }
            }
            if pipes.iter().any(Option::is_some) {
                return Poll::Pending;
            }
            self.poll_wait(cx)
        })
        .await?;
        let [stdout, stderr] = bufs;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(Running { mut child, watch }) = self.running.take() else {
            return;
        };
        if self.kill_on_drop {
            let _ = child.kill();
        }
        drop(watch);
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        reaper::adopt(child);
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// Test hook: makes every child spawned from now on (in this process) be
/// watched through `SIGCHLD` instead of a pidfd, to exercise the fallback.
#[doc(hidden)]
pub fn __force_sigchld_fallback() {
    watch::force_sigchld();
}

/// Test hook: `Some(true)` if children are watched through pidfds,
/// `Some(false)` through `SIGCHLD`, `None` before the first spawn.
#[doc(hidden)]
pub fn __uses_pidfd() -> Option<bool> {
    watch::uses_pidfd()
}
