//! The tape: where every node of this thread lives.
//!
//! Nodes are records in flat arrays, in the order they were created. Because an op can only use
//! nodes that already exist, creation order is a topological order: a node's parents always have
//! smaller indices. That gives us two things for free:
//! - the backward pass is a loop from the output's index down to 0, with no graph search;
//! - memory is reclaimed like a stack: when the newest node has no live `Node` handle, it (and every
//!   dead node below it, down to the next live one) can be popped, since nothing above can use it.
//!
//! A `Node` is only an index into this tape plus a count of live handles per node, so creating a
//! node is four pushes (value, gradient, 8-byte op record, handle count) and no allocation of its
//! own. Each is an array of its own: the inner loops of n-ary ops run over contiguous values, the
//! backward pass reads no handle counts, and popping scans only handle counts.

use std::cell::RefCell;

use super::inspect::Inspection;
use super::ops::Op;
use super::record::{MAX_NODES, Records};

/// Index of a record in the tape. `u32` keeps the records small; indices stay below
/// `record::MAX_NODES` (2^29), so that a record can hold two of them in 8 bytes.
pub(crate) type Idx = u32;

/// When the tape empties it keeps up to this many bytes of capacity for the next graph, and gives
/// back anything larger. Reusing the memory of the previous graph is what makes building a graph
/// cheap: fresh memory costs a page fault per 4 KiB and a copy per doubling, more than the whole
/// rest of building a chain (`cargo bench -p scalargrad-bench --bench engine`: the first sample,
/// on fresh pages, against the others).
const KEEP_BYTES: usize = 256 << 20;

/// The flat storage of every node created on this thread and still reachable from a live handle.
#[derive(Default)]
pub(crate) struct Tape {
    /// Forward value of each node, oldest first.
    pub(crate) values: Vec<f64>,
    /// Accumulated gradient of each node.
    pub(crate) grads: Vec<f64>,
    /// The op that made each node, with its parents' indices (8 bytes each, see `record.rs`).
    pub(crate) records: Records,
    /// How many `Node` handles point at each node; a node with 0 may still be a parent. An array
    /// of its own, so that the backward pass never reads it and popping dead nodes scans 4 bytes
    /// per node, not 24 (in a cache simulation the scan was half of W's L1 read misses).
    pub(crate) handles: Vec<u32>,
    /// Every non-leaf node at this index or above has gradient 0 (it was made after the last
    /// backward pass that could have written it), so `backward` need not reset it.
    pub(crate) dirty_end: usize,
    /// Labels, anomaly detection and gradient recording (all opt-in; empty by default).
    pub(crate) inspection: Inspection,
}

thread_local! {
    static TAPE: RefCell<Tape> = const {
        RefCell::new(Tape {
            values: Vec::new(),
            grads: Vec::new(),
            records: Records::new(),
            handles: Vec::new(),
            dirty_end: 0,
            inspection: Inspection::new(),
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
    TAPE.try_with(|tape| f(&mut tape.borrow_mut()))
        .unwrap_or_else(|_| tape_destroyed())
}

/// `with_tape`, inlined into its caller: for the code that runs once per node it makes, where a
/// call's entry and exit are a noticeable share of the work. The two are not one function
/// calling the other: through such a wrapper the compiler inlines differently elsewhere, and the
/// backward sweep gets slower (bench/RESULTS.md).
///
/// # Panics
/// As `with_tape`.
#[inline(always)]
pub(crate) fn with_tape_inlined<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    TAPE.try_with(|tape| f(&mut tape.borrow_mut()))
        .unwrap_or_else(|_| tape_destroyed())
}

#[cold]
fn tape_destroyed() -> ! {
    panic!(
        "scalargrad: this thread's tape was already destroyed; a Node was used during thread exit \
         (keep nodes out of thread-locals that outlive the tape)"
    )
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
    /// If more than `record::MAX_NODES` (2^29) nodes would be alive at once.
    #[inline(always)] // once per node: a call here is a noticeable share of a node's cost
    pub(crate) fn push(&mut self, op: Op, value: f64) -> Idx {
        let index = self.records.len();
        if index >= MAX_NODES {
            too_many_nodes();
        }
        self.values.push(value);
        self.grads.push(0.0);
        self.records.push(op);
        self.handles.push(1);
        index as Idx
    }

    /// The gradient of node `index` as the user sees it: 0 for a constant, whose slot in
    /// `grads` a sweep may or may not have added to (see `Op::Constant`).
    pub(crate) fn gradient(&self, index: Idx) -> f64 {
        let i = index as usize;
        if self.records.is_constant(i) {
            0.0
        } else {
            self.grads[i]
        }
    }

    /// Number of records on the tape.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Drops one handle of record `index`, and pops every record above the newest live one.
    #[inline] // once per dropped handle; the rare pop is out of line (`pop_dead`)
    pub(crate) fn release(&mut self, index: Idx) {
        let i = index as usize;
        self.handles[i] -= 1;
        if self.handles[i] == 0 && i + 1 == self.len() {
            self.pop_dead(i);
        }
    }

    /// Drops one handle of record `index`, which is not the newest record (an operand of the
    /// node just made above it): the count goes down and nothing can be popped.
    #[inline(always)] // once per operand given by value, inside the op's tape access
    pub(crate) fn give_up(&mut self, index: Idx) {
        debug_assert!(
            (index as usize) + 1 < self.len(),
            "{index} is the newest record"
        );
        self.handles[index as usize] -= 1;
    }

    /// The newest record (`newest`) died: pops down to the newest record that still has a
    /// handle. Records below a live one stay, since it may use them as parents.
    #[cold]
    fn pop_dead(&mut self, newest: usize) {
        // 64 counts (four cache lines) at a time, as arrays of a known length that the compiler
        // ORs together in vector registers, with no branch per count: this scan crosses every
        // dead node of a forward pass (31,000 in a CE step). One count at a time it stalled, and
        // in slices of 16 (of a length the compiler did not know) it took 2 instructions a count
        // (callgrind).
        let below = &self.handles[..newest];
        let (rest, blocks) = below.as_rchunks::<64>();
        let mut live_below = None;
        for k in (0..blocks.len()).rev() {
            if any_handles(&blocks[k]) {
                let newest_live = blocks[k].iter().rposition(|&handles| handles != 0);
                live_below = newest_live.map(|j| rest.len() + 64 * k + j);
                break;
            }
        }
        if live_below.is_none() {
            live_below = rest.iter().rposition(|&handles| handles != 0);
        }
        self.truncate(live_below.map_or(0, |live| live + 1));
    }

    fn truncate(&mut self, len: usize) {
        self.inspection.forget_from(len as Idx);
        if len == 0 && self.bytes() > KEEP_BYTES {
            let inspection = std::mem::take(&mut self.inspection);
            *self = Tape {
                inspection,
                ..Tape::default()
            };
            return;
        }
        self.records.truncate(len);
        self.values.truncate(len);
        self.grads.truncate(len);
        self.handles.truncate(len);
        self.dirty_end = self.dirty_end.min(len);
    }

    /// Gives back the memory the tape holds beyond what its live nodes use.
    pub(crate) fn shrink(&mut self) {
        self.values.shrink_to_fit();
        self.grads.shrink_to_fit();
        self.records.shrink();
        self.handles.shrink_to_fit();
    }

    /// Bytes of memory the tape holds (its capacity, not only what is in use).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.values.capacity() * size_of::<f64>()
            + self.grads.capacity() * size_of::<f64>()
            + self.records.bytes()
            + self.handles.capacity() * size_of::<u32>()
    }
}

/// True if a count of `block` is not 0: the ORs of the 64 counts (vector instructions). Out of
/// line: inlined into `Tape::pop_dead`, whose loop then finds the live count in the same block,
/// the compiler loaded the counts one at a time to keep them for that.
#[inline(never)]
fn any_handles(block: &[u32; 64]) -> bool {
    block.iter().fold(0, |any, &handles| any | handles) != 0
}

/// The panic of a tape that would hold more than `MAX_NODES` nodes.
///
/// # Panics
/// Always.
#[cold]
pub(crate) fn too_many_nodes() -> ! {
    panic!("scalargrad: more than {MAX_NODES} nodes alive on one thread")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Popping from the newest node stops just above the newest node that still has a handle,
    /// wherever it lies: in a whole block of 64 counts or in the rest below them, at either end
    /// of a block, or nowhere.
    #[test]
    fn popping_stops_above_the_newest_live_node() {
        for len in [1, 2, 63, 64, 65, 130, 200] {
            for live in [
                None,
                Some(0),
                Some(1),
                Some(62),
                Some(63),
                Some(64),
                Some(129),
            ] {
                if live.is_some_and(|live| live + 1 >= len) {
                    continue;
                }
                let mut tape = Tape::default();
                for k in 0..len {
                    tape.push(Op::Leaf, k as f64);
                }
                // no handles but the newest node's and `live`'s
                for k in 0..len - 1 {
                    tape.handles[k] = u32::from(Some(k) == live);
                }
                tape.release((len - 1) as Idx);
                let expected = live.map_or(0, |live| live + 1);
                assert_eq!(tape.len(), expected, "{len} nodes, live {live:?}");
                assert_eq!(tape.values.len(), expected);
            }
        }
    }

    #[test]
    fn a_node_takes_28_bytes() {
        // value, gradient, record, handle count: pushing 1,000 nodes grows each array by 1,000
        let mut tape = Tape::default();
        let before = (tape.values.len(), tape.bytes());
        for k in 0..1000 {
            tape.push(Op::Leaf, k as f64);
        }
        tape.shrink();
        assert_eq!(before, (0, 0));
        assert_eq!(tape.bytes(), 1000 * (8 + 8 + 8 + 4));
    }
}
