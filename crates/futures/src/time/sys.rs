//! The one clock read that bypasses `Instant`: `CLOCK_MONOTONIC` in nanoseconds.
//!
//! `Instant::now()` reads the same clock on Linux, but turning an `Instant` into a
//! number costs a checked, normalising subtraction (about 60 instructions); a timer
//! needs the number. Through libc the read goes to the vDSO as `Instant::now()` does.
//! (rustix would need no `unsafe` here, but its own vDSO lookup crashes under
//! valgrind, which runs this crate's tests: rustix issue #1559.)
#![allow(unsafe_code)]

/// `CLOCK_MONOTONIC` now, in nanoseconds since an unspecified start (boot). On Linux,
/// weft's one target, it is the clock `Instant` reads.
#[inline]
pub(crate) fn monotonic_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the whole call, and
    // `clock_gettime` writes nothing else. CLOCK_MONOTONIC is always supported on
    // Linux, so the call cannot fail (a failure would leave `ts` zeroed, which the
    // caller saturates against its origin: time would stand still, not go wrong).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// An instant and raw readings just before and just after it.
    fn bracketed() -> (u64, Instant, u64) {
        let before = monotonic_nanos();
        let t = Instant::now();
        (before, t, monotonic_nanos())
    }

    #[test]
    fn reads_the_clock_that_instant_reads() {
        let (a0, i, a1) = bracketed();
        let mut spin = 0u64;
        for k in 0..100_000u64 {
            spin = spin.wrapping_add(k * k);
        }
        std::hint::black_box(spin);
        let (b0, j, b1) = bracketed();
        assert!(a0 <= a1 && a1 <= b0 && b0 <= b1, "never goes back");
        // On one clock, the span between the instants lies between the raw spans
        // measured inside and outside them; another clock would drift out of it.
        let span = u64::try_from((j - i).as_nanos()).unwrap();
        assert!(
            b0 - a1 <= span && span <= b1 - a0,
            "{} <= {span} <= {}",
            b0 - a1,
            b1 - a0
        );
    }
}
