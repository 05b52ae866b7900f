//! Packing a slab key and a generation into a [`mio::Token`].
//!
//! The low [`KEY_BITS`] bits hold the slab key, the bits above them the
//! generation of the registration that owns the slot. The top bit is never set
//! by [`encode`], which keeps [`UNPARK`] (`usize::MAX`) distinct from every
//! registration token. An event whose generation differs from the one stored
//! in the slot was meant for an earlier occupant and is dropped.

use mio::Token;

/// Bits of a token used for the slab key.
const KEY_BITS: u32 = 24;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;
/// Bits of a token used for the generation (the top bit stays clear).
const GEN_BITS: u32 = usize::BITS - KEY_BITS - 1;
const GEN_MASK: usize = (1 << GEN_BITS) - 1;

/// Slab keys must be below this to fit in a token.
pub(crate) const MAX_SOURCES: usize = 1 << KEY_BITS;

/// The token of the reactor's internal unpark waker.
pub(crate) const UNPARK: Token = Token(usize::MAX);

/// The token for slot `key` owned by generation `generation`.
pub(crate) fn encode(key: usize, generation: usize) -> Token {
    debug_assert!(key < MAX_SOURCES);
    debug_assert!(generation <= GEN_MASK);
    Token((generation << KEY_BITS) | key)
}

/// Splits a registration token into `(key, generation)`; `None` for tokens
/// no registration can carry (such as [`UNPARK`]).
pub(crate) fn decode(token: Token) -> Option<(usize, usize)> {
    let Token(raw) = token;
    if raw >> (KEY_BITS + GEN_BITS) != 0 {
        return None;
    }
    Some((raw & KEY_MASK, raw >> KEY_BITS))
}

/// The generation that follows `generation`, wrapping within the token bits.
pub(crate) fn next_generation(generation: usize) -> usize {
    generation.wrapping_add(1) & GEN_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for &(key, generation) in &[(0, 0), (1, 0), (0, 1), (MAX_SOURCES - 1, GEN_MASK), (42, 7)] {
            assert_eq!(decode(encode(key, generation)), Some((key, generation)));
        }
    }

    #[test]
    fn unpark_is_never_a_registration_token() {
        assert_eq!(decode(UNPARK), None);
        assert_ne!(encode(MAX_SOURCES - 1, GEN_MASK), UNPARK);
    }

    #[test]
    fn generation_wraps() {
        assert_eq!(next_generation(GEN_MASK), 0);
        assert_eq!(next_generation(3), 4);
    }
}
