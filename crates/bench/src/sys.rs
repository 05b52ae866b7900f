//! What the OS tells about the process and the machine.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The CPU time (user + system) of each of this process's threads at one moment, from
/// `/proc/self/task/*/schedstat` (nanoseconds); or, where that does not exist, of the
/// whole process from `/proc/self/stat` (10 ms ticks). Take one before and one after a
/// run: [`CpuSnapshot::since`] is what the run used.
///
/// Per thread, because a sum over the live threads goes *down* when a thread exits:
/// the worker threads of a runtime dropped just before (tokio's multi-thread runtime
/// lets its workers finish exiting after `drop` returns) would have their whole
/// lifetime's CPU subtracted from the next run, down to a reported 0.
///
/// ```
/// let a = weft_bench::CpuSnapshot::take();
/// let _burn: u64 = std::hint::black_box((0..100_000u64).map(|i| i * i).sum());
/// if let (Some(a), Some(b)) = (a, weft_bench::CpuSnapshot::take()) {
///     assert!(b.since(&a) < std::time::Duration::from_secs(60));
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSnapshot {
    /// (thread id, CPU nanoseconds), sorted by thread id; one entry with id 0 for the
    /// whole process when only `/proc/self/stat` was available.
    threads: Vec<(u32, u64)>,
}

impl CpuSnapshot {
    /// The CPU times now; `None` where neither source exists (not Linux).
    ///
    /// ```
    /// # #[cfg(target_os = "linux")]
    /// assert!(weft_bench::CpuSnapshot::take().is_some());
    /// ```
    pub fn take() -> Option<CpuSnapshot> {
        schedstat_threads()
            .or_else(|| {
                let (user, system) = process_cpu(std::process::id())?;
                let nanos = u64::try_from((user + system).as_nanos()).ok()?;
                Some(vec![(0, nanos)])
            })
            .map(|mut threads| {
                threads.sort_unstable();
                CpuSnapshot { threads }
            })
    }

    /// The CPU time used since `earlier`: for each thread alive now, its time minus
    /// what it had then (all of it if it started since). A thread that exited in
    /// between is not counted; the benchmarked runtimes run on threads that outlive
    /// their measurement.
    ///
    /// ```
    /// let a = weft_bench::CpuSnapshot::take();
    /// if let Some(a) = a {
    ///     assert_eq!(a.since(&a), std::time::Duration::ZERO);
    /// }
    /// ```
    pub fn since(&self, earlier: &CpuSnapshot) -> Duration {
        let before = |tid: u32| {
            earlier
                .threads
                .binary_search_by_key(&tid, |&(t, _)| t)
                .map_or(0, |i| earlier.threads[i].1)
        };
        let nanos = self
            .threads
            .iter()
            .map(|&(tid, now)| now.saturating_sub(before(tid)))
            .sum();
        Duration::from_nanos(nanos)
    }
}

fn schedstat_threads() -> Option<Vec<(u32, u64)>> {
    let mut threads = Vec::new();
    for entry in fs::read_dir("/proc/self/task").ok()? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // A thread may exit between listing and reading: skip it.
        let Ok(text) = fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        threads.push((tid, text.split_whitespace().next()?.parse::<u64>().ok()?));
    }
    (!threads.is_empty()).then_some(threads)
}

/// The machine a report was made on.
///
/// ```
/// let m = weft_bench::MachineInfo::detect();
/// assert!(m.nproc >= 1);
/// assert!(m.describe().contains("CPU"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    /// Available parallelism (what `nproc` prints).
    pub nproc: usize,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// `rustc -V`, if rustc is on the `PATH`.
    pub rustc: Option<String>,
    /// When: `date -u` output, or seconds since the Unix epoch.
    pub date: String,
    /// The 1, 5 and 15 minute load averages of `/proc/loadavg` when detected: other
    /// work on the machine skews timings.
    pub loadavg: Option<String>,
    /// The machine's CPU time counters when detected, so that [`describe`] can tell how
    /// much of the run's CPU time the hypervisor took for other guests.
    ///
    /// [`describe`]: MachineInfo::describe
    pub cpu_at_start: Option<CpuTimes>,
}

/// The machine-wide CPU time counters of `/proc/stat` (its first, `cpu` line), in
/// clock ticks: all of them, and the *steal* column, the time this virtual machine
/// was ready to run but the hypervisor ran something else. Steal is what makes a
/// shared VM's timings swing between runs, so a report names its share.
///
/// ```
/// use weft_bench::CpuTimes;
///
/// let a = CpuTimes::parse("cpu  100 0 50 800 10 0 5 35 0 0").unwrap();
/// assert_eq!(a, CpuTimes { total: 1000, steal: 35 });
/// let b = CpuTimes::parse("cpu  150 0 70 1000 10 0 5 65 0 0").unwrap();
/// assert_eq!(b.steal_share_since(a), Some(0.1));
/// assert_eq!(CpuTimes::parse("intr 1 2 3"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Every column summed (user, nice, system, idle, iowait, irq, softirq, steal; the
    /// guest columns are already inside user and nice, so they are left out).
    pub total: u64,
    /// The steal column.
    pub steal: u64,
}

impl CpuTimes {
    /// The counters now, or `None` where `/proc/stat` is missing or unreadable.
    ///
    /// ```
    /// if let Some(t) = weft_bench::CpuTimes::read() {
    ///     assert!(t.steal <= t.total);
    /// }
    /// ```
    pub fn read() -> Option<CpuTimes> {
        let text = fs::read_to_string("/proc/stat").ok()?;
        CpuTimes::parse(text.lines().next()?)
    }

    /// Parses the `cpu` line of `/proc/stat` (see the type's example).
    pub fn parse(line: &str) -> Option<CpuTimes> {
        let mut fields = line.split_whitespace();
        if fields.next()? != "cpu" {
            return None;
        }
        let values: Vec<u64> = fields
            .take(8)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        if values.len() < 8 {
            return None;
        }
        Some(CpuTimes {
            total: values.iter().sum(),
            steal: values[7],
        })
    }

    /// The share of the CPU time between `earlier` and `self` that was stolen, or
    /// `None` if no time passed (see the type's example).
    pub fn steal_share_since(self, earlier: CpuTimes) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total)?;
        let steal = self.steal.checked_sub(earlier.steal)?;
        (total > 0).then(|| steal as f64 / total as f64)
    }
}

impl MachineInfo {
    /// Gathers the information (runs `rustc -V` and `date -u`). Call it before
    /// benchmarking, so that the load average is the machine's, not the benchmark's.
    ///
    /// ```
    /// let m = weft_bench::MachineInfo::detect();
    /// assert!(!m.date.is_empty());
    /// ```
    pub fn detect() -> MachineInfo {
        let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        });
        let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]).unwrap_or_else(|| {
            let secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            format!("{secs} s since the Unix epoch")
        });
        let loadavg = fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
        MachineInfo {
            nproc,
            cpu_model,
            rustc: command_output("rustc", &["-V"]),
            date,
            loadavg,
            cpu_at_start: CpuTimes::read(),
        }
    }

    /// One line: `N CPUs (model), rustc ..., date[, load average ...][, steal ...]`.
    /// The steal share is that of the time since [`detect`](Self::detect), read when
    /// this is called: describe the machine when the run is over.
    ///
    /// ```
    /// let m = weft_bench::MachineInfo {
    ///     nproc: 2,
    ///     cpu_model: Some("Some CPU".into()),
    ///     rustc: None,
    ///     date: "today".into(),
    ///     loadavg: Some("0.50 0.40 0.30".into()),
    ///     cpu_at_start: None,
    /// };
    /// assert_eq!(
    ///     m.describe(),
    ///     "2 CPUs (Some CPU), rustc unknown, today, load average 0.50 0.40 0.30 at start"
    /// );
    /// ```
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} CPU{} ({}), {}, {}",
            self.nproc,
            if self.nproc == 1 { "" } else { "s" },
            self.cpu_model.as_deref().unwrap_or("unknown model"),
            self.rustc.as_deref().unwrap_or("rustc unknown"),
            self.date
        );
        if let Some(l) = &self.loadavg {
            s.push_str(&format!(", load average {l} at start"));
        }
        let steal = self
            .cpu_at_start
            .zip(CpuTimes::read())
            .and_then(|(start, now)| now.steal_share_since(start));
        if let Some(share) = steal {
            s.push_str(&format!(
                ", {:.0}% of the machine's CPU time stolen by the hypervisor during the run",
                share * 100.0
            ));
        }
        s
    }
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The value following `flag` in `args` (`--cpu 1` gives `Some("1")`).
///
/// ```
/// let args = ["--cpu".to_string(), "1".to_string()];
/// assert_eq!(weft_bench::flag_value(&args, "--cpu").as_deref(), Some("1"));
/// assert_eq!(weft_bench::flag_value(&args, "--secs"), None);
/// ```
pub fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).cloned()
}

/// Pins the calling process (its current thread, and threads it starts later) to the
/// CPU numbered `cpu`.
///
/// # Errors
/// If `cpu` is not a number, or the OS refuses (no such CPU, not allowed).
///
/// ```
/// // CPU 0 always exists.
/// weft_bench::pin_to_cpu("0").unwrap();
/// assert!(weft_bench::pin_to_cpu("zero").is_err());
/// ```
pub fn pin_to_cpu(cpu: &str) -> std::io::Result<()> {
    let n: usize = cpu.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("CPU {cpu:?}: {e}"),
        )
    })?;
    let mut set = rustix::thread::CpuSet::new();
    set.set(n);
    rustix::thread::sched_setaffinity(None, &set)?;
    Ok(())
}

/// User and system CPU time used so far by process `pid` (all its threads), from
/// `/proc/PID/stat`, at the kernel's tick resolution (usually 10 ms). `None` if the
/// process is gone or this is not Linux.
///
/// ```
/// let (user, system) = weft_bench::process_cpu(std::process::id()).unwrap();
/// assert!(user + system < std::time::Duration::from_secs(3600));
/// ```
pub fn process_cpu(pid: u32) -> Option<(Duration, Duration)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (comm) may contain spaces; fields 14 and 15 count from after its ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so field N is fields[N - 3].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let hz = rustix::param::clock_ticks_per_second().max(1);
    let ticks = |t: u64| Duration::from_nanos(t * 1_000_000_000 / hz);
    Some((ticks(utime), ticks(stime)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_exits_between_snapshots_subtracts_nothing() {
        let before = CpuSnapshot {
            threads: vec![(10, 100), (11, 5_000_000)],
        };
        // Thread 11 (a dropped runtime's worker, say) exited; thread 12 started.
        let after = CpuSnapshot {
            threads: vec![(10, 150), (12, 20)],
        };
        assert_eq!(after.since(&before), Duration::from_nanos(70));
    }
}
