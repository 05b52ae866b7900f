//! A FIFO list of waiters threaded through a slab: O(1) push, pop and removal from
//! the middle (a cancelled waiter), no unsafe code.

use std::task::Waker;

use slab::Slab;

const NIL: usize = usize::MAX;

/// One waiter. `T` is what the primitive needs to know about it.
pub(crate) struct Node<T> {
    pub(crate) data: T,
    pub(crate) waker: Option<Waker>,
    /// Still in the FIFO (not yet served, closed or removed).
    pub(crate) linked: bool,
    prev: usize,
    next: usize,
}

/// Waiters in arrival order; served ones may stay in the slab (unlinked) until their
/// future looks at them.
pub(crate) struct Waiters<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
    len: usize,
}

impl<T> Waiters<T> {
    pub(crate) const fn new() -> Self {
        Waiters {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// Number of linked (waiting) nodes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a waiter; returns its key.
    pub(crate) fn push_back(&mut self, data: T, waker: Waker) -> usize {
        let key = self.nodes.insert(Node {
            data,
            waker: Some(waker),
            linked: true,
            prev: self.tail,
            next: NIL,
        });
        if self.tail == NIL {
            self.head = key;
        } else {
            self.nodes[self.tail].next = key;
        }
        self.tail = key;
        self.len += 1;
        key
    }

    /// The first linked waiter.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    pub(crate) fn get(&self, key: usize) -> &Node<T> {
        &self.nodes[key]
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> &mut Node<T> {
        &mut self.nodes[key]
    }

    /// Takes `key` out of the FIFO but keeps its node (the waiter was served); returns
    /// its waker to be woken once the lock is released.
    pub(crate) fn unlink(&mut self, key: usize) -> Option<Waker> {
        let (prev, next) = {
            let n = &mut self.nodes[key];
            if !n.linked {
                return None;
            }
            n.linked = false;
            (
                std::mem::replace(&mut n.prev, NIL),
                std::mem::replace(&mut n.next, NIL),
            )
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
        self.len -= 1;
        self.nodes[key].waker.take()
    }

    /// Removes the node entirely, unlinking it first if needed. The returned node's
    /// waker is already dropped: to wake a waiter, [`unlink`](Self::unlink) it first
    /// (which hands the waker back), then remove it.
    pub(crate) fn remove(&mut self, key: usize) -> Node<T> {
        drop(self.unlink(key));
        self.nodes.remove(key)
    }
}

/// Wakers collected under a lock, woken after it is released (a waker may run code
/// that takes the same lock). The first few live inline: a release that wakes one
/// waiter allocates nothing.
#[derive(Default)]
pub(crate) struct WakeList {
    inline: [Option<Waker>; 4],
    n: usize,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn push(&mut self, w: Option<Waker>) {
        let Some(w) = w else { return };
        match self.inline.get_mut(self.n) {
            Some(slot) => {
                *slot = Some(w);
                self.n += 1;
            }
            None => self.rest.push(w),
        }
    }

    pub(crate) fn wake_all(self) {
        for w in self.inline.into_iter().flatten() {
            w.wake();
        }
        for w in self.rest {
            w.wake();
        }
    }
}
