//! The containers behind the three queue kinds: the only thing that differs between
//! them is which item `pop` returns.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Storage for a queue's items. Its methods run under the queue's mutex.
pub(crate) trait Container: Default {
    type Item;

    fn with_capacity(n: usize) -> Self;
    fn push(&mut self, item: Self::Item);
    fn pop(&mut self) -> Option<Self::Item>;
    fn len(&self) -> usize;
}

/// First in, first out.
impl<T> Container for VecDeque<T> {
    type Item = T;

    fn with_capacity(n: usize) -> Self {
        VecDeque::with_capacity(n)
    }
    fn push(&mut self, item: T) {
        self.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

/// Last in, first out.
impl<T> Container for Vec<T> {
    type Item = T;

    fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n)
    }
    fn push(&mut self, item: T) {
        Vec::push(self, item);
    }
    fn pop(&mut self) -> Option<T> {
        Vec::pop(self)
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Smallest first (a min-heap, like `heapq`).
pub(crate) struct MinHeap<T>(BinaryHeap<Reverse<T>>);

impl<T: Ord> Default for MinHeap<T> {
    fn default() -> Self {
        MinHeap(BinaryHeap::new())
    }
}

impl<T: Ord> Container for MinHeap<T> {
    type Item = T;

    fn with_capacity(n: usize) -> Self {
        MinHeap(BinaryHeap::with_capacity(n))
    }
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(t)| t)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}
