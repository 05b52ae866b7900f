//! The Python interpreter of the network benches' Python peers (asyncio, uvloop,
//! websockets): `$WEFT_PYTHON`, else the venv `cargo xtask peers` builds in
//! `target/weft-py`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A Python interpreter that runs a bench's peers.
///
/// ```no_run
/// // From a bench whose server binary is TARGET/release/echo_server:
/// let py = weft_bench::Python::find(
///     "target/release/echo_server",
///     "import sys, asyncio; print(sys.version.split()[0])",
///     "asyncio",
/// )?;
/// println!("{} ({})", py.path.display(), py.versions);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone)]
pub struct Python {
    /// The interpreter.
    pub path: PathBuf,
    /// What `probe` printed, then `, uvloop VERSION` if uvloop imports.
    pub versions: String,
    /// Whether uvloop imports.
    pub uvloop: bool,
}

impl Python {
    /// `$WEFT_PYTHON`, else `TARGET/weft-py/bin/python` where `exe` is a binary in
    /// `TARGET/PROFILE`, provided it runs `probe`: a line of Python that imports what
    /// the peers need (`needs`, for the error) and prints the versions to report.
    ///
    /// # Errors
    ///
    /// No venv (and no `$WEFT_PYTHON`), or `probe` fails.
    ///
    /// ```
    /// let missing = weft_bench::Python::find("/nonexistent/release/x", "print(1)", "x");
    /// if std::env::var_os("WEFT_PYTHON").is_none() {
    ///     assert!(missing.unwrap_err().contains("cargo xtask peers"));
    /// }
    /// ```
    pub fn find(exe: &str, probe: &str, needs: &str) -> Result<Python, String> {
        let path = match std::env::var_os("WEFT_PYTHON") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => {
                let target = Path::new(exe).parent().and_then(Path::parent);
                match target.map(|t| t.join("weft-py/bin/python")) {
                    Some(p) if p.exists() => p,
                    _ => {
                        return Err(format!(
                            "no Python venv at target/weft-py (build it with `cargo xtask \
                             peers`, or point WEFT_PYTHON at a Python with {needs})"
                        ))
                    }
                }
            }
        };
        let run = |code: &str| {
            Command::new(&path)
                .args(["-c", code])
                .stderr(Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let versions =
            run(probe).ok_or_else(|| format!("{} cannot run {needs}", path.display()))?;
        let uvloop = run("import uvloop; print(uvloop.__version__)");
        Ok(Python {
            versions: match &uvloop {
                Some(v) => format!("{versions}, uvloop {v}"),
                None => versions,
            },
            uvloop: uvloop.is_some(),
            path,
        })
    }
}
