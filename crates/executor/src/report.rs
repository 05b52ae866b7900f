//! Reports of failures nobody else will see (asyncio's exception handler): routed to
//! the loop's handler when the report happens on the loop's thread, else to the
//! default one (a `tracing` error).

use crate::error::Panic;
use crate::introspect::{ExceptionContext, TaskRef};
use crate::task::cell::Header;

/// A task panicked and its outcome was dropped unread.
pub(crate) fn unretrieved_panic(header: &Header, panic: &Panic) {
    let ctx = ExceptionContext {
        message: "Task exception was never retrieved".into(),
        task: Some(TaskRef::of(header)),
        panic: Some(panic.to_string()),
    };
    crate::core::report_exception(header.shared.id, &ctx);
}

/// A callback panicked; the loop goes on.
pub(crate) fn callback_panic(loop_id: u64, panic: &Panic) {
    let ctx = ExceptionContext {
        message: "Exception in callback".into(),
        task: None,
        panic: Some(panic.to_string()),
    };
    crate::core::report_exception(loop_id, &ctx);
}
