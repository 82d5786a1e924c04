//! The tape: where every node of this thread lives.
//!
//! Nodes are records in flat arrays, in the order they were created. Because an op can only use
//! nodes that already exist, creation order is a topological order: a node's parents always have
//! smaller indices. That gives us two things for free:
//! - the backward pass is a loop from the output's index down to 0, with no graph search;
//! - memory is reclaimed like a stack: when the newest node has no live `Node` handle, it (and every
//!   dead node below it, down to the next live one) can be popped, since nothing above can use it.
//!
//! A `Node` is only an index into this tape plus a count of live handles per record, so creating a
//! node is a few pushes and no allocation of its own.

use std::cell::RefCell;

use super::ops::Op;

/// Index of a record in the tape. `u32` keeps the records small (4 billion nodes is far beyond
/// what fits in memory at 36 bytes each anyway).
pub(crate) type Idx = u32;

/// A tape that grew past this many records gives its memory back when it empties; a smaller one
/// keeps it, so a loop that builds and drops tiny graphs does not allocate every iteration.
const KEEP_CAPACITY: usize = 1 << 16;

/// The flat storage of every node created on this thread and still reachable from a live handle.
#[derive(Default)]
pub(crate) struct Tape {
    /// Forward value of each node.
    pub(crate) values: Vec<f64>,
    /// Accumulated gradient of each node.
    pub(crate) grads: Vec<f64>,
    /// The op that made each node, with its parents' indices.
    pub(crate) ops: Vec<Op>,
    /// How many `Node` handles point at each record; a record with 0 may still be a parent.
    pub(crate) handles: Vec<u32>,
    /// Parent lists of n-ary ops (`sum`, `linear`); each such op owns a contiguous range.
    pub(crate) operands: Vec<Idx>,
}

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape {
            values: Vec::new(),
            grads: Vec::new(),
            ops: Vec::new(),
            handles: Vec::new(),
            operands: Vec::new(),
        })
    };
}

/// Runs `f` with this thread's tape.
///
/// # Panics
/// If the thread's tape was already destroyed (a `Node` kept in another thread-local that outlives
/// it, used during thread exit), or on re-entrant use (a bug in this crate: no user code runs
/// while the tape is borrowed).
pub(crate) fn with_tape<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.try_with(|tape| f(&mut tape.borrow_mut())).unwrap_or_else(|_| {
        panic!(
            "scalargrad: this thread's tape was already destroyed; a Node was used during thread \
             exit (keep nodes out of thread-locals that outlive the tape)"
        )
    })
}

/// Like `with_tape`, but does nothing once the tape is gone (used by `Drop`, which may run
/// during thread exit, when there is nothing left to free).
pub(crate) fn with_tape_if_alive(f: impl FnOnce(&mut Tape)) {
    let _ = TAPE.try_with(|tape| {
        if let Ok(mut tape) = tape.try_borrow_mut() {
            f(&mut tape)
        }
    });
}

impl Tape {
    /// Appends a record with one live handle and returns its index.
    ///
    /// # Panics
    /// If more than `u32::MAX` nodes would be alive at once.
    pub(crate) fn push(&mut self, op: Op, value: f64) -> Idx {
        let index = Idx::try_from(self.values.len()).unwrap_or_else(|_| {
            panic!(
                "scalargrad: more than {} nodes alive on one thread",
                Idx::MAX
            )
        });
        self.values.push(value);
        self.grads.push(0.0);
        self.ops.push(op);
        self.handles.push(1);
        index
    }

    /// Number of records on the tape.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Drops one handle of record `index`, and pops every record above the newest live one.
    pub(crate) fn release(&mut self, index: Idx) {
        let i = index as usize;
        self.handles[i] -= 1;
        if self.handles[i] != 0 || i + 1 != self.len() {
            return;
        }
        // The newest record died: pop down to the newest record that still has a handle.
        // Records below a live one stay, since it may use them as parents.
        let mut new_len = i;
        while new_len > 0 && self.handles[new_len - 1] == 0 {
            new_len -= 1;
        }
        let mut operands_len = self.operands.len();
        for op in &self.ops[new_len..] {
            if let Some(start) = op.operands_start() {
                operands_len = operands_len.min(start as usize);
            }
        }
        self.truncate(new_len, operands_len);
    }

    fn truncate(&mut self, len: usize, operands_len: usize) {
        if len == 0 && self.values.capacity() > KEEP_CAPACITY {
            *self = Tape::default();
            return;
        }
        self.values.truncate(len);
        self.grads.truncate(len);
        self.ops.truncate(len);
        self.handles.truncate(len);
        self.operands.truncate(operands_len);
    }

    /// Bytes of memory the tape holds (its capacity, not only what is in use).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.values.capacity() * size_of::<f64>()
            + self.grads.capacity() * size_of::<f64>()
            + self.ops.capacity() * size_of::<Op>()
            + self.handles.capacity() * size_of::<u32>()
            + self.operands.capacity() * size_of::<Idx>()
    }
}
