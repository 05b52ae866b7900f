//! `cargo xtask peers`: the Python virtualenv that runs the WebSocket peers
//! under `tests/peers/` (interop tests, benchmark peers, browser check).
//!
//! The venv lives in `target/weft-py` and holds the packages pinned in
//! `tests/peers/requirements.txt`. It is built in a temporary directory and
//! renamed into place, so `target/weft-py/bin/python` only ever exists
//! complete; a copy of the requirements it was built from is kept inside, and
//! the venv is rebuilt when they differ from the file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{banner, fmt_duration, sub_banner, target_dir, workspace_root, Cmd, Result};

/// Help for `cargo xtask peers --help`.
pub const HELP: &str = "\
Build the Python virtualenv of the WebSocket peers (tests/peers/) in
target/weft-py if it is missing or tests/peers/requirements.txt changed, then
print its interpreter's path and package versions. The Rust tests run
target/weft-py/bin/python, or $WEFT_PYTHON if set (then no venv is built).

Needs python3 with the venv module (Debian: apt-get install python3-venv) and
network access to PyPI for the first build.

USAGE:
    cargo xtask peers [--rebuild]

OPTIONS:
    --rebuild    Rebuild the venv even if it is up to date
    -h, --help   Print this help
";

/// The venv's directory name under the target directory.
const VENV_NAME: &str = "weft-py";

/// The pinned requirements, relative to the workspace root.
const REQUIREMENTS: &str = "tests/peers/requirements.txt";

/// The copy of the requirements a venv was built from, inside the venv.
const STAMP: &str = "weft-requirements.txt";

/// The interpreter that creates the venv.
const BASE_PYTHON: &str = "python3";

/// Python code checking that the venv works; prints the package versions.
const PROBE: &str = "import websockets, uvloop; \
     print('websockets', websockets.__version__, '/ uvloop', uvloop.__version__)";

/// `cargo xtask peers [--rebuild]`.
pub fn run(args: &[String]) -> Result<()> {
    let mut rebuild = false;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--rebuild" => rebuild = true,
            other => return Err(format!("unexpected argument `{other}` for `peers`")),
        }
    }
    let shown = if rebuild {
        "rebuild target/weft-py"
    } else {
        "build target/weft-py unless up to date"
    };
    banner("peers", shown);
    let python = if rebuild {
        ensure(true)?
    } else {
        ensure_venv()?
    };
    println!("\npython: {}", shown_path(&python));
    Ok(())
}

/// Makes sure the peers' venv exists and matches `tests/peers/requirements.txt`,
/// building it if not, and returns the path of its interpreter
/// (`target/weft-py/bin/python`).
///
/// If `$WEFT_PYTHON` is set, that interpreter is checked and returned instead
/// and no venv is built. Prints what it does and how long the build took.
pub fn ensure_venv() -> Result<PathBuf> {
    ensure(false)
}

/// [`ensure_venv`], optionally rebuilding an up-to-date venv.
fn ensure(rebuild: bool) -> Result<PathBuf> {
    if let Some(python) = std::env::var_os("WEFT_PYTHON").filter(|p| !p.is_empty()) {
        let python = workspace_root().join(python);
        let versions = probe(&python).map_err(|err| {
            format!(
                "WEFT_PYTHON={} cannot run the peers: {err}",
                python.display()
            )
        })?;
        println!(
            "using WEFT_PYTHON={} ({versions}); no venv built",
            python.display()
        );
        return Ok(python);
    }

    let venv = target_dir().join(VENV_NAME);
    let python = venv.join("bin/python");
    let requirements_path = workspace_root().join(REQUIREMENTS);
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|err| format!("cannot read {}: {err}", requirements_path.display()))?;

    let reason = if rebuild {
        "--rebuild".to_owned()
    } else {
        match staleness(&venv, &requirements) {
            Ok(versions) => {
                println!(
                    "python venv {} is up to date ({versions})",
                    shown_path(&venv)
                );
                return Ok(python);
            }
            Err(reason) => reason,
        }
    };
    println!("building the python venv {}: {reason}", shown_path(&venv));

    let started = Instant::now();
    build(&venv, &requirements)?;
    let versions = probe(&python)
        .map_err(|err| format!("the new venv {} does not work: {err}", venv.display()))?;
    println!(
        "python venv {} built in {} ({versions})",
        shown_path(&venv),
        fmt_duration(started.elapsed())
    );
    Ok(python)
}

/// `Ok(package versions)` if the venv in `venv` was built from
/// `requirements` and works, else `Err(why it must be rebuilt)`.
fn staleness(venv: &Path, requirements: &str) -> Result<String> {
    if !venv.join("bin/python").exists() {
        return Err("it does not exist".to_owned());
    }
    match fs::read_to_string(venv.join(STAMP)) {
        Ok(built_from) if built_from == requirements => {}
        Ok(_) => return Err(format!("{REQUIREMENTS} changed")),
        Err(_) => return Err(format!("it has no {STAMP}")),
    }
    probe(&venv.join("bin/python")).map_err(|err| format!("it does not work: {err}"))
}

/// Builds a venv from `requirements` in a temporary directory next to
/// `venv`, then replaces `venv` with it.
fn build(venv: &Path, requirements: &str) -> Result<()> {
    let tmp = venv.with_file_name(format!("{VENV_NAME}.tmp-{}", std::process::id()));
    remove_dir_if_exists(&tmp)?;
    let result = build_in(&tmp, requirements).and_then(|()| {
        relocate(&tmp, venv)?;
        remove_dir_if_exists(venv)?;
        fs::rename(&tmp, venv).map_err(|err| {
            format!(
                "cannot rename {} to {}: {err}",
                tmp.display(),
                venv.display()
            )
        })
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Creates a venv in `dir` and installs the requirements into it.
fn build_in(dir: &Path, requirements: &str) -> Result<()> {
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    }
    let create = Cmd::new(BASE_PYTHON).args(["-m", "venv"]).arg(dir);
    sub_banner(&create.display());
    create.run().map_err(|err| {
        format!(
            "{err}\n(on Debian/Ubuntu `python3 -m venv` needs the python3-venv \
             package: `apt-get install python3-venv`; .ci/run installs it)"
        )
    })?;
    let install = Cmd::new(dir.join("bin/python"))
        .args(["-m", "pip", "install"])
        .args(["--disable-pip-version-check", "--no-input"])
        .args(["--progress-bar", "off", "-r", REQUIREMENTS]);
    sub_banner(&install.display());
    install.run()?;
    let stamp = dir.join(STAMP);
    fs::write(&stamp, requirements)
        .map_err(|err| format!("cannot write {}: {err}", stamp.display()))
}

/// Rewrites the absolute path `from` to `to` in the venv's scripts
/// (`bin/pip`'s shebang, `bin/activate`, ...) and `pyvenv.cfg`, so the venv
/// built in `from` keeps working once renamed to `to`.
fn relocate(from: &Path, to: &Path) -> Result<()> {
    let (from_text, to_text) = (from.to_string_lossy(), to.to_string_lossy());
    let bin = from.join("bin");
    let entries =
        fs::read_dir(&bin).map_err(|err| format!("cannot list {}: {err}", bin.display()))?;
    let mut files = vec![from.join("pyvenv.cfg")];
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", bin.display()))?;
        files.push(entry.path());
    }
    for file in files {
        // Skip symlinks (bin/python*) and binary files.
        let is_file = fs::symlink_metadata(&file).is_ok_and(|meta| meta.is_file());
        let Some(text) = is_file.then(|| fs::read_to_string(&file).ok()).flatten() else {
            continue;
        };
        if text.contains(from_text.as_ref()) {
            fs::write(&file, text.replace(from_text.as_ref(), &to_text))
                .map_err(|err| format!("cannot rewrite {}: {err}", file.display()))?;
        }
    }
    Ok(())
}

/// Runs [`PROBE`] with `python`: `Ok(package versions)` or `Err(why not)`.
fn probe(python: &Path) -> Result<String> {
    let output = Command::new(python)
        .args(["-c", PROBE])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", python.display()))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or("no error message");
    Err(format!(
        "{} cannot import the peers' packages: {last}",
        python.display()
    ))
}

/// Removes a directory tree; a missing one is fine.
fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {err}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// `path` relative to the workspace root if it is below it.
fn shown_path(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
