//! Seeing into a loop: the task dump, current_task / all_tasks, the exception handler,
//! debug mode's slow-callback warnings, and the metrics.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use weft::{EventLoop, ExceptionContext, TaskState};

thread_local! {
    /// This thread's captured log, while a test captures.
    static CAPTURE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Writes into the current thread's capture buffer (if any).
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(v) = c.borrow_mut().as_mut() {
                v.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber, installed before any test logs. (Scoped subscribers
/// per test race with `tracing`'s callsite-interest cache when tests run in parallel:
/// a log line could go missing.) Each test reads only its own thread's lines: every
/// loop here runs on its test's thread.
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadWriter)
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    });
}

fn with_captured_logs<R>(f: impl FnOnce() -> R) -> (R, String) {
    init_logs();
    CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let r = f();
    let bytes = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (r, String::from_utf8(bytes).unwrap())
}

#[test]
fn the_task_dump_lists_every_live_task_with_name_state_age_and_location() {
    init_logs();
    let mut lp = EventLoop::new().unwrap().paused().debug(true);
    let h = lp.handle();
    let dump = lp.run_until_complete(async {
        let waiting = weft::Builder::new()
            .name("sleeper")
            .spawn(weft::sleep(Duration::from_secs(60)));
        weft::sleep(Duration::from_millis(1500)).await;
        let cancelling = weft::spawn(std::future::pending::<()>());
        weft::yield_now().await; // the unnamed one runs and parks
        cancelling.cancel();
        let scheduled = weft::Builder::new().name("fresh").spawn(async {});
        let dump = weft::Handle::current().dump();
        drop((waiting, scheduled));
        dump
    });
    // Ages are exact on the paused clock; locations are this file's lines.
    insta::assert_snapshot!("task_dump", dump);
    let tasks = h.all_tasks();
    // run_until_complete returned as soon as the main future did: the cancelled task
    // and `fresh` still wait in the ready queue for the next run.
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0].state, TaskState::Waiting);
}

#[test]
fn a_slow_task_poll_is_reported_in_debug_mode_with_its_name_and_location() {
    init_logs();
    let ((), logs) = with_captured_logs(|| {
        let mut lp = EventLoop::new().unwrap().debug(true);
        lp.handle()
            .set_slow_callback_duration(Duration::from_millis(50));
        lp.run_until_complete(async {
            weft::Builder::new()
                .name("blocker")
                .spawn(async {
                    // A blocking call on the loop: the very thing debug mode is for.
                    std::thread::sleep(Duration::from_millis(60));
                })
                .await
                .unwrap();
        });
    });
    assert!(logs.contains("WARN"), "no warning in: {logs}");
    assert!(
        logs.contains("Executing task blocker (spawned at"),
        "got: {logs}"
    );
    assert!(
        logs.contains("introspection.rs"),
        "the spawn location is named: {logs}"
    );
}

#[test]
fn a_slow_callback_is_not_reported_outside_debug_mode() {
    init_logs();
    let ((), logs) = with_captured_logs(|| {
        let mut lp = EventLoop::new().unwrap();
        lp.handle().set_debug(false);
        lp.handle().set_slow_callback_duration(Duration::ZERO);
        lp.run_until_complete(async {
            weft::spawn(async {}).await.unwrap();
        });
    });
    assert!(!logs.contains("Executing"), "got: {logs}");
}

#[test]
fn the_exception_handler_gets_unretrieved_task_panics_with_the_task_named() {
    init_logs();
    let mut lp = EventLoop::new().unwrap();
    let seen: Rc<RefCell<Vec<ExceptionContext>>> = Rc::default();
    let s = seen.clone();
    lp.handle()
        .set_exception_handler(move |ctx| s.borrow_mut().push(ctx.clone()));
    lp.run_until_complete(async {
        drop(
            weft::Builder::new()
                .name("doomed")
                .spawn(async { panic!("kaboom") }),
        );
        weft::yield_now().await;
    });
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].message, "Task exception was never retrieved");
    assert_eq!(seen[0].task.as_ref().unwrap().name, "doomed");
    assert_eq!(seen[0].panic.as_deref(), Some("kaboom"));
}

#[test]
fn the_exception_handler_gets_callback_panics_and_the_loop_goes_on() {
    init_logs();
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let s = seen.clone();
    h.set_exception_handler(move |ctx| s.borrow_mut().push(ctx.to_string()));
    h.call_soon(|| panic!("cb failed"));
    lp.run_until_complete(weft::yield_now());
    assert_eq!(*seen.borrow(), ["Exception in callback; panic: cb failed"]);
}

#[test]
fn the_default_handler_logs_an_unretrieved_panic_through_tracing() {
    init_logs();
    let ((), logs) = with_captured_logs(|| {
        weft::run(async {
            drop(weft::spawn(async { panic!("nobody listens") }));
            weft::yield_now().await;
        })
    });
    assert!(logs.contains("ERROR"), "got: {logs}");
    assert!(
        logs.contains("Task exception was never retrieved"),
        "got: {logs}"
    );
    assert!(logs.contains("nobody listens"), "got: {logs}");
}

#[test]
fn a_panic_in_the_exception_handler_falls_back_to_the_default() {
    init_logs();
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    h.set_exception_handler(|_| panic!("handler bug"));
    h.call_soon(|| panic!("first"));
    lp.run_until_complete(weft::yield_now()); // must not propagate
}

#[test]
fn current_task_names_the_running_task_and_is_none_elsewhere() {
    init_logs();
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let in_callback = Rc::new(RefCell::new(Some(0u64)));
    let c = in_callback.clone();
    h.call_soon(move || *c.borrow_mut() = weft::current_task().map(|t| t.id));
    lp.run_until_complete(async {
        assert!(
            weft::current_task().is_none(),
            "the main future is not a task"
        );
        let t = weft::Builder::new()
            .name("me")
            .spawn(async { weft::current_task() });
        let id = t.id();
        let me = t.await.unwrap().unwrap();
        assert_eq!((me.id, me.name.as_str()), (id, "me"));
    });
    assert_eq!(*in_callback.borrow(), None);
}

#[test]
fn all_tasks_lists_live_tasks_only() {
    init_logs();
    let mut lp = EventLoop::new().unwrap().paused();
    lp.run_until_complete(async {
        let a = weft::spawn(weft::sleep(Duration::from_secs(1)));
        let b = weft::spawn(async {});
        assert_eq!(weft::all_tasks().len(), 2);
        b.await.unwrap();
        let ids: Vec<u64> = weft::all_tasks().iter().map(|t| t.task.id).collect();
        assert_eq!(ids, [a.id()]);
        a.await.unwrap();
        assert!(weft::all_tasks().is_empty());
    });
}

#[test]
fn metrics_count_turns_spawns_polls_callbacks_and_timers() {
    init_logs();
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    h.call_soon(|| ());
    lp.run_until_complete(async {
        let t = weft::spawn(weft::sleep(Duration::from_secs(1)));
        t.await.unwrap();
    });
    let m = lp.metrics();
    assert_eq!(m.tasks_spawned, 1);
    assert_eq!(m.tasks_alive, 0);
    assert_eq!(m.callbacks, 1);
    assert_eq!(m.timers_fired, 1);
    assert!(
        m.polls >= 2 + 2,
        "task polled twice, main future at least twice: {m:?}"
    );
    assert!(m.turns >= 3, "{m:?}");
    assert_eq!(m.io_events, 0);
}

#[test]
fn task_locations_point_at_the_spawn_call() {
    init_logs();
    weft::run(async {
        let line = line!() + 1;
        let t = weft::spawn(async {});
        assert_eq!(t.location().line(), line);
        assert!(t.location().file().ends_with("introspection.rs"));
    });
}
