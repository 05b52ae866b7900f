//! Property test: random sequences of the non-blocking operations on each queue kind,
//! with a random `maxsize`, agree step by step with a plain model (a `VecDeque`, a
//! `Vec`, a `BinaryHeap`) plus asyncio's bookkeeping (unfinished tasks, shutdown).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use proptest::prelude::*;
use weft_sync::{GetError, LifoQueue, PriorityQueue, PutError, Queue, TaskDoneError};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Fifo,
    Lifo,
    Priority,
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    Get,
    QSize,
    Full,
    Empty,
    TaskDone,
    Shutdown { immediate: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => any::<u8>().prop_map(Op::Put),
        6 => Just(Op::Get),
        2 => Just(Op::QSize),
        2 => Just(Op::Full),
        2 => Just(Op::Empty),
        3 => Just(Op::TaskDone),
        1 => any::<bool>().prop_map(|immediate| Op::Shutdown { immediate }),
    ]
}

/// The three real queues behind one interface.
trait Real {
    fn put_nowait(&self, x: u8) -> Result<(), PutError<u8>>;
    fn get_nowait(&self) -> Result<u8, GetError>;
    fn qsize(&self) -> usize;
    fn full(&self) -> bool;
    fn empty(&self) -> bool;
    fn task_done(&self) -> Result<(), TaskDoneError>;
    fn shutdown(&self, immediate: bool);
    fn maxsize(&self) -> usize;
}

macro_rules! real {
    ($($t:ident),*) => {$(
        impl Real for $t<u8> {
            fn put_nowait(&self, x: u8) -> Result<(), PutError<u8>> { $t::put_nowait(self, x) }
            fn get_nowait(&self) -> Result<u8, GetError> { $t::get_nowait(self) }
            fn qsize(&self) -> usize { $t::qsize(self) }
            fn full(&self) -> bool { $t::full(self) }
            fn empty(&self) -> bool { $t::empty(self) }
            fn task_done(&self) -> Result<(), TaskDoneError> { $t::task_done(self) }
            fn shutdown(&self, immediate: bool) { $t::shutdown(self, immediate) }
            fn maxsize(&self) -> usize { $t::maxsize(self) }
        }
    )*};
}
real!(Queue, LifoQueue, PriorityQueue);

enum Buf {
    Fifo(VecDeque<u8>),
    Lifo(Vec<u8>),
    Priority(BinaryHeap<Reverse<u8>>),
}

struct Model {
    buf: Buf,
    maxsize: usize,
    unfinished: usize,
    shutdown: bool,
}

impl Model {
    fn new(kind: Kind, maxsize: usize) -> Model {
        let buf = match kind {
            Kind::Fifo => Buf::Fifo(VecDeque::new()),
            Kind::Lifo => Buf::Lifo(Vec::new()),
            Kind::Priority => Buf::Priority(BinaryHeap::new()),
        };
        Model {
            buf,
            maxsize,
            unfinished: 0,
            shutdown: false,
        }
    }

    fn len(&self) -> usize {
        match &self.buf {
            Buf::Fifo(b) => b.len(),
            Buf::Lifo(b) => b.len(),
            Buf::Priority(b) => b.len(),
        }
    }

    fn full(&self) -> bool {
        self.maxsize > 0 && self.len() >= self.maxsize
    }

    fn put_nowait(&mut self, x: u8) -> Result<(), PutError<u8>> {
        if self.shutdown {
            return Err(PutError::QueueShutDown(x));
        }
        if self.full() {
            return Err(PutError::QueueFull(x));
        }
        match &mut self.buf {
            Buf::Fifo(b) => b.push_back(x),
            Buf::Lifo(b) => b.push(x),
            Buf::Priority(b) => b.push(Reverse(x)),
        }
        self.unfinished += 1;
        Ok(())
    }

    fn pop(&mut self) -> Option<u8> {
        match &mut self.buf {
            Buf::Fifo(b) => b.pop_front(),
            Buf::Lifo(b) => b.pop(),
            Buf::Priority(b) => b.pop().map(|Reverse(x)| x),
        }
    }

    fn get_nowait(&mut self) -> Result<u8, GetError> {
        match self.pop() {
            Some(x) => Ok(x),
            None if self.shutdown => Err(GetError::QueueShutDown),
            None => Err(GetError::QueueEmpty),
        }
    }

    fn task_done(&mut self) -> Result<(), TaskDoneError> {
        if self.unfinished == 0 {
            return Err(TaskDoneError);
        }
        self.unfinished -= 1;
        Ok(())
    }

    fn shutdown(&mut self, immediate: bool) {
        self.shutdown = true;
        if immediate {
            while self.pop().is_some() {
                self.unfinished = self.unfinished.saturating_sub(1);
            }
        }
    }
}

fn check(real: &dyn Real, kind: Kind, maxsize: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model::new(kind, maxsize);
    prop_assert_eq!(real.maxsize(), maxsize);
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Put(x) => prop_assert_eq!(real.put_nowait(x), model.put_nowait(x), "step {}", step),
            Op::Get => prop_assert_eq!(real.get_nowait(), model.get_nowait(), "step {}", step),
            Op::QSize => prop_assert_eq!(real.qsize(), model.len(), "step {}", step),
            Op::Full => prop_assert_eq!(real.full(), model.full(), "step {}", step),
            Op::Empty => prop_assert_eq!(real.empty(), model.len() == 0, "step {}", step),
            Op::TaskDone => prop_assert_eq!(real.task_done(), model.task_done(), "step {}", step),
            Op::Shutdown { immediate } => {
                real.shutdown(immediate);
                model.shutdown(immediate);
            }
        }
    }
    // Whatever is left comes out in the model's order.
    loop {
        let (r, m) = (real.get_nowait(), model.get_nowait());
        prop_assert_eq!(r, m);
        if r.is_err() {
            break;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn queue_matches_a_vecdeque(maxsize in 0usize..6, ops in prop::collection::vec(op(), 0..80)) {
        check(&Queue::new(maxsize), Kind::Fifo, maxsize, &ops)?;
    }

    #[test]
    fn lifo_queue_matches_a_vec(maxsize in 0usize..6, ops in prop::collection::vec(op(), 0..80)) {
        check(&LifoQueue::new(maxsize), Kind::Lifo, maxsize, &ops)?;
    }

    #[test]
    fn priority_queue_matches_a_binary_heap(
        maxsize in 0usize..6,
        ops in prop::collection::vec(op(), 0..80),
    ) {
        check(&PriorityQueue::new(maxsize), Kind::Priority, maxsize, &ops)?;
    }
}
