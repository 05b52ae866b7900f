//! A tiny seeded pseudo-random generator, so both runtimes get the same inputs.

/// Marsaglia's xorshift64 generator: fast, deterministic, good enough for deadlines.
///
/// ```
/// use weft_bench::XorShift64;
/// let mut a = XorShift64::new(42);
/// let mut b = XorShift64::new(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!((0..1000).all(|_| a.below(10) < 10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    /// A generator from `seed` (a zero seed, which xorshift cannot use, is replaced).
    ///
    /// ```
    /// let mut r = weft_bench::XorShift64::new(0);
    /// assert_ne!(r.next_u64(), 0);
    /// ```
    pub fn new(seed: u64) -> XorShift64 {
        XorShift64 {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next value (never 0).
    ///
    /// ```
    /// let mut r = weft_bench::XorShift64::new(1);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A value in `0..n` (`n > 0`); the modulo bias is negligible for small `n`.
    ///
    /// # Panics
    /// If `n` is 0.
    ///
    /// ```
    /// let mut r = weft_bench::XorShift64::new(7);
    /// assert_eq!(r.below(1), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "XorShift64::below(0)");
        self.next_u64() % n
    }
}
