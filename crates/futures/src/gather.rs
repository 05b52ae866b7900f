//! [`gather`] and [`gather!`](crate::gather!): wait for many futures, keep argument order.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs every future concurrently (on the current task, no spawning) and resolves to
/// their outputs in argument order, like `asyncio.gather`.
///
/// Each poll polls every child that has not finished; for thousands of children prefer
/// spawning tasks and gathering their handles.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let delays = [3, 1, 2];
///     let out = weft::gather(delays.map(|s| async move {
///         weft::sleep(Duration::from_secs(s)).await;
///         s
///     }))
///     .await;
///     assert_eq!(out, vec![3, 1, 2]);
/// });
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let children: Vec<_> = futures
        .into_iter()
        .map(|f| Child::Running(Box::pin(f.into_future())))
        .collect();
    Gather {
        remaining: children.len(),
        children,
    }
}

enum Child<F: Future> {
    Running(Pin<Box<F>>),
    Done(F::Output),
    Taken,
}

/// The future returned by [`gather`].
///
/// ```
/// # weft::run(async {
/// async fn num(n: u8) -> u8 { n }
/// let g = weft::gather(vec![num(1), num(2)]);
/// assert_eq!(g.len(), 2);
/// assert_eq!(g.await, vec![1, 2]);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    children: Vec<Child<F>>,
    remaining: usize,
}

impl<F: Future> Gather<F> {
    /// How many futures are gathered.
    ///
    /// ```
    /// let g = weft::gather(Vec::<std::future::Ready<u8>>::new());
    /// assert!(g.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether there are no futures at all (it then resolves at once to an empty `Vec`).
    ///
    /// ```
    /// assert!(weft::gather(Vec::<std::future::Ready<u8>>::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

impl<F: Future> Unpin for Gather<F> {}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        for child in this.children.iter_mut() {
            if let Child::Running(f) = child {
                if let Poll::Ready(v) = f.as_mut().poll(cx) {
                    *child = Child::Done(v);
                    this.remaining -= 1;
                }
            }
        }
        if this.remaining > 0 {
            return Poll::Pending;
        }
        let out = this
            .children
            .iter_mut()
            .map(|c| match std::mem::replace(c, Child::Taken) {
                Child::Done(v) => v,
                _ => unreachable!("gather polled after completion"),
            })
            .collect();
        Poll::Ready(out)
    }
}

/// Awaits several futures of different types concurrently and gives a tuple of their
/// outputs in argument order (up to 12 futures). The macro makes a future: await it.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let (a, b) = weft::gather!(
///         async { weft::sleep(Duration::from_secs(1)).await; "Task one result" },
///         async { weft::sleep(Duration::from_secs(2)).await; 2 },
///     )
///     .await;
///     assert_eq!((a, b), ("Task one result", 2));
/// });
/// ```
#[macro_export]
macro_rules! gather {
    ($a:expr $(,)?) => { $crate::__gather_impl!((f0 o0 $a)) };
    ($a:expr, $b:expr $(,)?) => { $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b)) };
    ($a:expr, $b:expr, $c:expr $(,)?) => { $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c)) };
    ($a:expr, $b:expr, $c:expr, $d:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g) (f7 o7 $h))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $i:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g) (f7 o7 $h) (f8 o8 $i))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $i:expr, $j:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g) (f7 o7 $h) (f8 o8 $i) (f9 o9 $j))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $i:expr, $j:expr, $k:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g) (f7 o7 $h) (f8 o8 $i) (f9 o9 $j) (f10 o10 $k))
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $i:expr, $j:expr, $k:expr, $l:expr $(,)?) => {
        $crate::__gather_impl!((f0 o0 $a) (f1 o1 $b) (f2 o2 $c) (f3 o3 $d) (f4 o4 $e) (f5 o5 $f) (f6 o6 $g) (f7 o7 $h) (f8 o8 $i) (f9 o9 $j) (f10 o10 $k) (f11 o11 $l))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gather_impl {
    ($(($f:ident $o:ident $e:expr))+) => {
        async {
            $(
                let mut $f = ::core::pin::pin!(::core::future::IntoFuture::into_future($e));
                let mut $o = ::core::option::Option::None;
            )+
            ::core::future::poll_fn(|cx| {
                let mut pending = false;
                $(
                    if $o.is_none() {
                        match ::core::future::Future::poll($f.as_mut(), cx) {
                            ::core::task::Poll::Ready(v) => $o = ::core::option::Option::Some(v),
                            ::core::task::Poll::Pending => pending = true,
                        }
                    }
                )+
                if pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(())
                }
            })
            .await;
            ($(
                match $o {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => ::core::unreachable!(),
                },
            )+)
        }
    };
}
