//! # weft-bench
//!
//! The runtime-independent half of weft's side-by-side benchmarks: command-line
//! arguments ([`Args`]), timing ([`measure`], [`CpuSnapshot`]), the alternating repetition
//! loop with checksum verification ([`compare`]), statistics ([`Summary`]), report
//! formatting ([`Report`]), a seeded pseudo-random generator ([`XorShift64`]), and
//! servers and load clients as child processes for the network benches
//! ([`spawn_server`], [`spawn_load`]), and the ratios every report also writes for
//! the chart ([`Ratio`], [`write_ratios`]).
//!
//! The runtimes themselves only appear in the `compare` bench
//! (`cargo bench -p weft-bench --bench compare`), which hands closures to this crate.
//!
//! ```
//! use weft_bench::{compare, measure, Report, Run};
//!
//! // Two "runtimes" that both add up 0..1000.
//! let work = || {
//!     let (sum, sample) = measure(|| (0..1000u64).sum::<u64>());
//!     Run { checksum: sum, sample }
//! };
//! let cmp = compare(3, 499_500, work, work).unwrap();
//! let mut report = Report::new(false, 3);
//! report.push(cmp.wall_row("sum"));
//! assert!(report.text_table().contains("sum"));
//! ```
#![forbid(unsafe_code)]

mod args;
mod procs;
mod python;
mod ratios;
mod report;
mod rng;
mod skips;
mod stats;
mod sys;

pub use args::{Args, ArgsError};
pub use procs::{median_range, parse_done, read_line, spawn_load, spawn_server, Server};
pub use python::Python;
pub use ratios::{ratios_path, ratios_tsv, write_ratios, Ratio};
pub use report::{fmt_duration, report_footer, Report, Row};
pub use rng::XorShift64;
pub use skips::Skips;
pub use stats::{compare, measure, ChecksumMismatch, Comparison, Run, Sample, Summary};
pub use sys::{flag_value, pin_to_cpu, process_cpu, CpuSnapshot, CpuTimes, MachineInfo};
