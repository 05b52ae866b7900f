//! The home of weft's runnable examples (`examples/`) and of the snapshot tests that
//! pin their output (`tests/examples.rs`). It has no API of its own.
#![forbid(unsafe_code)]
