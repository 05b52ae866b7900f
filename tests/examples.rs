//! Snapshot tests of the runnable examples: each test runs one example as a child
//! process (`cargo run --quiet --example NAME`), checks that it succeeds, and pins its
//! stdout with `insta` (the snapshots live in `tests/snapshots/`).
//!
//! The examples keep the real durations of the asyncio seeds (1 s, 2 s...), yet their
//! output is deterministic: the loop is single-threaded and timers fire in deadline
//! order. No example prints a timing or an address.
//!
//! To accept new output: `INSTA_UPDATE=always cargo test --test examples`, then review
//! the changed `.snap` files.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Runs `cargo run --quiet --example NAME` from the root package and returns its stdout.
fn run_example(name: &str) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("could not start cargo for example `{name}`: {e}"));
    let stdout = String::from_utf8(output.stdout).expect("the example's stdout is UTF-8");
    assert!(
        output.status.success(),
        "example `{name}` failed with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
    );
    stdout
}

/// One test per example, and the list of all of them (for `every_example_has_a_test`).
macro_rules! examples {
    ($($test:ident => $name:literal,)*) => {
        /// The examples that have a test, by file name (without `.rs`).
        const EXAMPLES: &[&str] = &[$($name),*];

        $(
            #[test]
            fn $test() {
                let stdout = run_example($name);
                insta::assert_snapshot!($name, stdout);
            }
        )*
    };
}

examples! {
    example_awaitables => "awaitables",
    example_background_task => "background_task",
    example_call_later => "call_later",
    example_call_soon => "call_soon",
    example_concurrent_tasks => "concurrent_tasks",
    example_coroutine => "coroutine",
    example_coroutine_object => "coroutine_object",
    example_coroutines_vs_tasks => "coroutines_vs_tasks",
    example_create_future => "create_future",
    example_create_task => "create_task",
    example_custom_loop => "custom_loop",
    example_debug_mode => "debug_mode",
    example_ensure_future => "ensure_future",
    example_ensure_future_background => "ensure_future_background",
    example_event_loop => "event_loop",
    example_exceptions => "exceptions",
    example_future_done_result => "future_done_result",
    example_future_set_exception => "future_set_exception",
    example_future_set_result => "future_set_result",
    example_future_wait_for_result => "future_wait_for_result",
    example_gather => "gather",
    example_producer_consumer => "producer_consumer",
    example_set_after => "set_after",
    example_subprocess => "subprocess",
    example_sync_channels => "sync_channels",
    example_sync_events => "sync_events",
    example_sync_locks => "sync_locks",
    example_task_background => "task_background",
    example_task_exception => "task_exception",
    example_task_panic => "task_panic",
    example_taskgroup_fanout => "taskgroup_fanout",
    example_tcp_echo_client => "tcp_echo_client",
    example_tcp_echo_protocol => "tcp_echo_protocol",
    example_tcp_echo_server => "tcp_echo_server",
    example_to_thread => "to_thread",
    example_tour => "tour",
    example_udp_echo => "udp_echo",
    example_unix_echo => "unix_echo",
    example_wait_for_timeout => "wait_for_timeout",
    example_ws_client => "ws_client",
    example_ws_periodic => "ws_periodic",
    example_ws_server => "ws_server",
}

/// In debug mode, SIGQUIT prints the task dump on stderr (`debug_mode` raises it).
#[test]
fn debug_mode_prints_the_task_dump_on_sigquit() {
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "debug_mode"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("weft: task dump (SIGQUIT)"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("idle"),
        "the dump lists the idle task: {stderr}"
    );
}

/// Examples pinned by a test file of their own, because they need more than a plain
/// run (they wait for signals, or for a peer).
const PINNED_ELSEWHERE: &[(&str, &str)] = &[
    ("ctrl_c", "tests/ctrl_c.rs"),
    ("ws_chat", "tests/ws_chat_browser.rs"),
    ("ws_echo_server", "tests/ws_echo_server.rs"),
    (
        "autobahn_client",
        "xtask/src/autobahn.rs (cargo xtask autobahn)",
    ),
];

/// Every `examples/*.rs` file has a test above (or one of its own, listed in
/// `PINNED_ELSEWHERE`), and every test has its example.
#[test]
fn every_example_has_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "rs"))
        .map(|p| {
            p.file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let tested: BTreeSet<String> = EXAMPLES
        .iter()
        .chain(PINNED_ELSEWHERE.iter().map(|(name, _)| name))
        .map(|s| s.to_string())
        .collect();
    let untested: Vec<_> = on_disk.difference(&tested).collect();
    let missing: Vec<_> = tested.difference(&on_disk).collect();
    assert!(
        untested.is_empty() && missing.is_empty(),
        "examples without a test: {untested:?}; tests without an example: {missing:?} \
         (edit the `examples!` list in tests/examples.rs)"
    );
}
