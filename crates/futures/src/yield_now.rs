//! [`yield_now`]: asyncio's `await asyncio.sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the loop a turn: the task is rescheduled behind everything already ready and
/// resumes in the loop's next turn (asyncio's `await asyncio.sleep(0)`).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// weft::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let l = log.clone();
///     weft::Handle::current().call_soon(move || l.borrow_mut().push("callback"));
///     log.borrow_mut().push("before");
///     weft::yield_now().await;
///     log.borrow_mut().push("after");
///     assert_eq!(*log.borrow(), ["before", "callback", "after"]);
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// ```
/// # weft::run(async {
/// let y: weft::YieldNow = weft::yield_now();
/// y.await;
/// # });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
