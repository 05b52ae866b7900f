//! Helpers shared by the root package's tests that run examples as child
//! processes. (Each test file compiles its own copy: what one file does not use is
//! dead code there.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Builds `examples/NAME.rs` and returns the path of its executable.
pub fn example(name: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the example `{name}` failed");
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    profile_dir.join("examples").join(name)
}

/// The Python of the peers' venv: `$WEFT_PYTHON`, else `weft-py/bin/python` in the
/// target directory this test runs from (`cargo xtask peers` builds it).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WEFT_PYTHON") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test>
    let python = exe
        .ancestors()
        .nth(3)
        .expect("target dir")
        .join("weft-py/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask peers` (it builds the Python venv of the peers)",
        python.display()
    );
    python
}
