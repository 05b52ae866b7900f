//! Child processes: run a command, capture its output, read its exit status.
//!
//! asyncio's subprocesses:
//!
//! ```python
//! import asyncio
//!
//! async def run(*cmd):
//!     proc = await asyncio.create_subprocess_exec(
//!         *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
//!     stdout, stderr = await proc.communicate()
//!     print(f'{cmd!r} exited with {proc.returncode}')
//!     if stdout:
//!         print(f'[stdout]\n{stdout.decode()}', end='')
//!     if stderr:
//!         print(f'[stderr]\n{stderr.decode()}', end='')
//!
//! async def main():
//!     await run('echo', 'hello from a child')
//!     await run('sh', '-c', 'echo to stdout; echo to stderr >&2; exit 3')
//!
//!     # Feed stdin, stream stdout line by line.
//!     proc = await asyncio.create_subprocess_exec(
//!         'sort', stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
//!     proc.stdin.write(b'pear\napple\nfig\n')
//!     proc.stdin.close()
//!     async for line in proc.stdout:
//!         print(f'sorted: {line.decode().rstrip()}')
//!     print(f'sort exited with {await proc.wait()}')
//!
//! asyncio.run(main())
//! ```
//!
//! `asyncio.create_subprocess_exec(*cmd, stdout=PIPE)` is
//! `weft::process::Command::new(cmd).args(..).stdout(Stdio::piped())`, mirroring
//! `std::process::Command`. `proc.communicate()` is `wait_with_output().await` (or
//! `Command::output`), `proc.returncode` is `status.code()`, and `proc.wait()` is
//! `child.wait().await`. The child's pipes are async: reading them waits on the loop,
//! never blocks it.
//!
//! Run it with `cargo run --example subprocess`.

use weft::process::{Command, Stdio};

async fn run(program: &str, args: &[&str]) -> std::io::Result<()> {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = child.wait_with_output().await?;
    let mut cmd = vec![program];
    cmd.extend(args);
    println!("{cmd:?} exited with {:?}", out.status.code());
    if !out.stdout.is_empty() {
        print!("[stdout]\n{}", String::from_utf8_lossy(&out.stdout));
    }
    if !out.stderr.is_empty() {
        print!("[stderr]\n{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

#[weft::main]
async fn main() -> std::io::Result<()> {
    run("echo", &["hello from a child"]).await?;
    run("sh", &["-c", "echo to stdout; echo to stderr >&2; exit 3"]).await?;

    // Feed stdin, then read stdout to the end.
    let mut child = Command::new("sort")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(b"pear\napple\nfig\n").await?;
    drop(stdin); // end of file for `sort`
    let mut sorted = Vec::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_end(&mut sorted)
        .await?;
    for line in String::from_utf8_lossy(&sorted).lines() {
        println!("sorted: {line}");
    }
    println!("sort exited with {:?}", child.wait().await?.code());
    Ok(())
}
