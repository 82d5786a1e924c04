//! Which thread a node belongs to: the engine's tape is per thread, so a `Value` may only touch
//! its node on the thread that made it. Elsewhere it raises `RuntimeError` instead of indexing
//! another thread's tape.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
use scalargrad::Node;

static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's number: unique for the process's life (a thread-local's address could be
    /// reused by a later thread, a counter cannot).
    static THIS_THREAD: u64 = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

/// The calling thread's number.
pub fn this_thread() -> u64 {
    THIS_THREAD.with(|id| *id)
}

/// A node and the thread whose tape holds it.
pub struct Owned {
    node: ManuallyDrop<Node>,
    thread: u64,
}

// SAFETY: `Node` is not `Send` because it indexes the tape of the thread that made it. `Owned`
// hands the node out only through `node()`, which checks that the caller is that thread, and
// drops it only on that thread (elsewhere it is left on its tape). So no other thread ever reads
// or changes the tape through it.
unsafe impl Send for Owned {}
// SAFETY: as for `Send`: every access goes through the same thread check.
unsafe impl Sync for Owned {}

impl Owned {
    /// Takes `node`, made on this thread.
    pub fn new(node: Node) -> Owned {
        Owned {
            node: ManuallyDrop::new(node),
            thread: this_thread(),
        }
    }

    /// The node, if the caller is the thread that made it.
    ///
    /// # Errors
    /// `RuntimeError` on any other thread.
    pub fn node(&self) -> PyResult<&Node> {
        if self.thread == this_thread() {
            Ok(&self.node)
        } else {
            Err(PyRuntimeError::new_err(
                "this Value was made on another thread: a scalargrad graph belongs to the thread \
                 that made it (each thread has its own tape). Use it on that thread, or make the \
                 Values again on this one",
            ))
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if self.thread == this_thread() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.node) }
        }
        // On another thread the node stays on its own thread's tape: freeing it from here would
        // change a tape this thread does not own.
    }
}
