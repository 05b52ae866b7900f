//! The process tests again, with children watched through `SIGCHLD` instead
//! of pidfds (the fallback for kernels older than 5.3). This binary is its
//! own process, so forcing the fallback affects only these tests.

mod process_support;

use std::io;

use process_support as t;

fn run<F: std::future::Future<Output = io::Result<()>>>(test: F) -> io::Result<()> {
    weft_reactor::process::__force_sigchld_fallback();
    weft::run(test)?;
    assert_eq!(weft_reactor::process::__uses_pidfd(), Some(false));
    Ok(())
}

#[test]
fn echo_output_is_captured() -> io::Result<()> {
    run(t::echo_output_is_captured())
}

#[test]
fn cat_round_trip() -> io::Result<()> {
    run(t::cat_round_trip())
}

#[test]
fn exit_codes() -> io::Result<()> {
    run(t::exit_codes())
}

#[test]
fn large_output_does_not_deadlock() -> io::Result<()> {
    run(t::large_output_does_not_deadlock())
}

#[test]
fn kill_reaps_a_sleeping_child() -> io::Result<()> {
    run(t::kill_reaps_a_sleeping_child())
}

#[test]
fn terminate_and_send_signal() -> io::Result<()> {
    run(t::terminate_and_send_signal())
}

#[test]
fn wait_is_cancel_safe() -> io::Result<()> {
    run(t::wait_is_cancel_safe())
}

#[test]
fn dropped_child_is_reaped_in_the_background() -> io::Result<()> {
    run(t::dropped_child_is_reaped_in_the_background())
}

#[test]
fn kill_on_drop_kills() -> io::Result<()> {
    run(t::kill_on_drop_kills())
}

#[test]
fn missing_program_is_not_found() -> io::Result<()> {
    run(t::missing_program_is_not_found())
}

#[test]
fn many_children_at_once() -> io::Result<()> {
    run(t::many_children_at_once())
}
