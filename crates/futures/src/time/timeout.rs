//! [`wait_for`] / [`timeout`]: bound a future by a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::{sleep, sleep_until, Sleep};
use crate::TimeoutError;

/// Runs `fut` for at most `duration` (asyncio's `wait_for`): `Ok(output)` if it finishes
/// first, else `Err(TimeoutError)`, and the inner future is dropped at that moment.
///
/// The inner future is polled before the deadline is checked, so a future that is
/// already complete wins even with a zero timeout.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let quick = async { 7 };
///     assert_eq!(weft::wait_for(Duration::ZERO, quick).await, Ok(7));
///     let slow = weft::sleep(Duration::from_secs(3));
///     assert!(weft::wait_for(Duration::from_secs(2), slow).await.is_err());
/// });
/// ```
pub fn wait_for<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    Timeout {
        inner: Some(fut.into_future()),
        sleep: sleep(duration),
    }
}

/// The same operation as [`wait_for`], under asyncio's other name (`asyncio.timeout`).
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let r = weft::timeout(Duration::from_millis(10), weft::sleep(Duration::from_secs(1))).await;
///     assert_eq!(r, Err(weft::TimeoutError));
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    wait_for(duration, fut)
}

/// Like [`wait_for`], with an absolute deadline of the loop clock.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let at = weft::Handle::current().time() + Duration::from_secs(1);
///     assert!(weft::timeout_at(at, std::future::pending::<()>()).await.is_err());
///     assert_eq!(weft::Handle::current().time(), at);
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, fut: F) -> Timeout<F::IntoFuture> {
    Timeout {
        inner: Some(fut.into_future()),
        sleep: sleep_until(deadline),
    }
}

pin_project! {
    /// The future returned by [`wait_for`] and [`timeout`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    /// let t = weft::wait_for(Duration::from_secs(1), async { 1 });
    /// assert!(t.deadline().is_some());
    /// assert_eq!(t.await, Ok(1));
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        inner: Option<F>,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The deadline (see [`Sleep::deadline`]).
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().run_until_complete(async {
    /// let t = weft::wait_for(std::time::Duration::from_secs(1), async {});
    /// assert!(t.deadline().unwrap() > weft::Handle::current().time());
    /// # });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(TimeoutError));
        };
        if let Poll::Ready(v) = inner.poll(cx) {
            this.inner.set(None);
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => {
                this.inner.set(None);
                Poll::Ready(Err(TimeoutError))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
