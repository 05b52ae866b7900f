//! Reports of failures nobody else will see (asyncio's default exception handler).

use crate::error::Panic;

/// A task panicked and its outcome was dropped unread.
pub(crate) fn unretrieved_panic(id: u64, name: Option<&str>, panic: &Panic) {
    tracing::error!(
        task.id = id,
        task.name = name.unwrap_or(""),
        panic = %panic,
        "Task exception was never retrieved"
    );
}

/// A callback panicked; the loop goes on.
pub(crate) fn callback_panic(panic: &Panic) {
    tracing::error!(panic = %panic, "Exception in callback");
}
