//! Timing, repetitions and their statistics.

use std::fmt;
use std::time::{Duration, Instant};

use crate::report::Row;
use crate::sys::CpuSnapshot;

/// One timed run: wall-clock time, and the CPU time the process used meanwhile (if the
/// platform tells).
///
/// ```
/// use std::time::Duration;
/// let s = weft_bench::Sample { wall: Duration::from_millis(3), cpu: None };
/// assert_eq!(s.wall.as_millis(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Elapsed wall-clock time.
    pub wall: Duration,
    /// CPU time (user + system, all threads) used by the process during the run.
    pub cpu: Option<Duration>,
}

/// Runs `f` and measures it: returns its output and the [`Sample`].
///
/// ```
/// let (v, sample) = weft_bench::measure(|| 6 * 7);
/// assert_eq!(v, 42);
/// assert!(sample.wall < std::time::Duration::from_secs(1));
/// ```
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Sample) {
    let cpu0 = CpuSnapshot::take();
    let t0 = Instant::now();
    let out = f();
    let wall = t0.elapsed();
    let cpu = match (cpu0, CpuSnapshot::take()) {
        (Some(a), Some(b)) => Some(b.since(&a)),
        _ => None,
    };
    (out, Sample { wall, cpu })
}

/// What one repetition of a scenario on one runtime returns: the checksum of the work
/// done (verified against the expected value) and the timing.
///
/// ```
/// let (checksum, sample) = weft_bench::measure(|| 1 + 1);
/// let run = weft_bench::Run { checksum, sample };
/// assert_eq!(run.checksum, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The scenario's result, e.g. the sum of all task outputs.
    pub checksum: u64,
    /// Its timing.
    pub sample: Sample,
}

/// A runtime produced a wrong checksum: the scenario did not do the work it claims.
///
/// ```
/// use weft_bench::{compare, measure, Run};
/// let good = || Run { checksum: 1, sample: measure(|| ()).1 };
/// let bad = || Run { checksum: 2, sample: measure(|| ()).1 };
/// let err = compare(1, 1, good, bad).unwrap_err();
/// assert_eq!(err.runtime, "tokio");
/// assert_eq!((err.expected, err.got), (1, 2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumMismatch {
    /// Which side got it wrong: `"weft"`, `"tokio"` or `"tokio-mt"`.
    pub runtime: &'static str,
    /// The repetition (0 is the warm-up).
    pub repetition: usize,
    /// The expected checksum.
    pub expected: u64,
    /// The checksum produced.
    pub got: u64,
}

impl fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checksum mismatch on {} (repetition {}{}): expected {}, got {}",
            self.runtime,
            self.repetition,
            if self.repetition == 0 {
                ", warm-up"
            } else {
                ""
            },
            self.expected,
            self.got
        )
    }
}

impl std::error::Error for ChecksumMismatch {}

/// The timed repetitions of one scenario on each runtime: weft, tokio's current-thread
/// runtime and, if the scenario has that variant, tokio's multi-thread runtime.
///
/// ```
/// use weft_bench::{compare, measure, Run};
/// let w = || Run { checksum: 7, sample: measure(|| ()).1 };
/// let cmp = compare(5, 7, w, w).unwrap();
/// assert_eq!((cmp.weft.len(), cmp.tokio.len()), (5, 5));
/// assert!(cmp.tokio_mt.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// weft's samples, in order.
    pub weft: Vec<Sample>,
    /// tokio's (current-thread runtime) samples, in order.
    pub tokio: Vec<Sample>,
    /// tokio's multi-thread runtime's samples, in order; empty if the scenario has no
    /// such variant.
    pub tokio_mt: Vec<Sample>,
}

impl Comparison {
    /// Runs a scenario on two or three runtimes: one untimed warm-up each, then `reps`
    /// timed repetitions alternating weft, tokio, tokio-mt, weft, tokio, tokio-mt, ...
    /// (without the tokio-mt runs if `tokio_mt` is `None`). Every run's checksum must
    /// equal `expected`. [`compare`] is this without the third runtime.
    ///
    /// ```
    /// use weft_bench::{measure, Comparison, Run};
    /// let order = std::cell::RefCell::new(String::new());
    /// let run = |c| { order.borrow_mut().push(c); Run { checksum: 0, sample: measure(|| ()).1 } };
    /// let cmp = Comparison::run(2, 0, &mut || run('w'), &mut || run('t'), Some(&mut || run('m')))
    ///     .unwrap();
    /// assert_eq!(order.into_inner(), "wtmwtmwtm");
    /// assert_eq!(cmp.tokio_mt.len(), 2);
    /// ```
    pub fn run(
        reps: usize,
        expected: u64,
        weft: &mut dyn FnMut() -> Run,
        tokio: &mut dyn FnMut() -> Run,
        mut tokio_mt: Option<&mut dyn FnMut() -> Run>,
    ) -> Result<Comparison, ChecksumMismatch> {
        let check = |runtime, repetition, run: Run| {
            if run.checksum == expected {
                Ok(run.sample)
            } else {
                Err(ChecksumMismatch {
                    runtime,
                    repetition,
                    expected,
                    got: run.checksum,
                })
            }
        };
        check("weft", 0, weft())?;
        check("tokio", 0, tokio())?;
        if let Some(mt) = tokio_mt.as_mut() {
            check("tokio-mt", 0, mt())?;
        }
        let mut out = Comparison {
            weft: Vec::with_capacity(reps),
            tokio: Vec::with_capacity(reps),
            tokio_mt: Vec::with_capacity(if tokio_mt.is_some() { reps } else { 0 }),
        };
        for rep in 1..=reps {
            out.weft.push(check("weft", rep, weft())?);
            out.tokio.push(check("tokio", rep, tokio())?);
            if let Some(mt) = tokio_mt.as_mut() {
                out.tokio_mt.push(check("tokio-mt", rep, mt())?);
            }
        }
        Ok(out)
    }

    /// A report row of wall-clock times.
    ///
    /// ```
    /// use weft_bench::{compare, measure, Run};
    /// let w = || Run { checksum: 0, sample: measure(|| ()).1 };
    /// let row = compare(3, 0, w, w).unwrap().wall_row("noop");
    /// assert_eq!(row.scenario, "noop");
    /// assert!(row.tokio_mt.is_none());
    /// ```
    pub fn wall_row(&self, scenario: &str) -> Row {
        let wall = |v: &[Sample]| Summary::of(v.iter().map(|s| s.wall));
        Row {
            scenario: scenario.to_string(),
            weft: wall(&self.weft).expect("no samples"),
            tokio: wall(&self.tokio).expect("no samples"),
            tokio_mt: wall(&self.tokio_mt),
        }
    }

    /// A report row of CPU times, if every weft and tokio sample has one (the tokio-mt
    /// column is left empty if it has no samples or one lacks its CPU time).
    ///
    /// ```
    /// use weft_bench::{compare, measure, Run};
    /// let w = || Run { checksum: 0, sample: measure(|| ()).1 };
    /// let row = compare(3, 0, w, w).unwrap().cpu_row("noop (cpu)");
    /// # #[cfg(target_os = "linux")]
    /// assert!(row.is_some());
    /// ```
    pub fn cpu_row(&self, scenario: &str) -> Option<Row> {
        let cpu = |v: &[Sample]| {
            let all: Option<Vec<Duration>> = v.iter().map(|s| s.cpu).collect();
            Summary::of(all?)
        };
        Some(Row {
            scenario: scenario.to_string(),
            weft: cpu(&self.weft)?,
            tokio: cpu(&self.tokio)?,
            tokio_mt: cpu(&self.tokio_mt),
        })
    }
}

/// Runs a scenario on weft and tokio: one untimed warm-up each, then `reps` timed
/// repetitions alternating weft, tokio, weft, tokio, ... Every run's checksum must equal
/// `expected`. [`Comparison::run`] adds a third runtime (tokio's multi-thread one).
///
/// ```
/// use weft_bench::{compare, measure, Run};
/// let mut order = Vec::new();
/// let log = std::cell::RefCell::new(&mut order);
/// let weft = || { log.borrow_mut().push('w'); Run { checksum: 0, sample: measure(|| ()).1 } };
/// let tokio = || { log.borrow_mut().push('t'); Run { checksum: 0, sample: measure(|| ()).1 } };
/// compare(2, 0, weft, tokio).unwrap();
/// assert_eq!(order, ['w', 't', 'w', 't', 'w', 't']);
/// ```
pub fn compare(
    reps: usize,
    expected: u64,
    mut weft: impl FnMut() -> Run,
    mut tokio: impl FnMut() -> Run,
) -> Result<Comparison, ChecksumMismatch> {
    Comparison::run(reps, expected, &mut weft, &mut tokio, None)
}

/// Median and range of a set of durations.
///
/// ```
/// use std::time::Duration;
/// let ms = Duration::from_millis;
/// let s = weft_bench::Summary::of([ms(5), ms(1), ms(3), ms(9)]).unwrap();
/// assert_eq!((s.median, s.min, s.max, s.n), (ms(4), ms(1), ms(9), 4));
/// assert!(weft_bench::Summary::of([]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The median (the mean of the two middle values for an even count).
    pub median: Duration,
    /// The smallest value.
    pub min: Duration,
    /// The largest value.
    pub max: Duration,
    /// How many values.
    pub n: usize,
}

impl Summary {
    /// Summarizes `values`; `None` if there are none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = weft_bench::Summary::of([Duration::from_secs(2)]).unwrap();
    /// assert_eq!(s.median, Duration::from_secs(2));
    /// ```
    pub fn of(values: impl IntoIterator<Item = Duration>) -> Option<Summary> {
        let mut v: Vec<Duration> = values.into_iter().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2
        };
        Some(Summary {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }
}
