//! A `Value`'s `_prev`: the Python objects it was made from, kept as micrograd keeps them, and
//! released without recursion (a chain of a million Values must not overflow the stack when it is
//! dropped).

use std::cell::{Cell, RefCell};

use pyo3::prelude::*;

/// The operands a Value was made from, as Python objects (at most two for every op; any number
/// when a user passes `_children` to the constructor, as micrograd's own code does).
pub enum Children {
    /// A leaf.
    None,
    /// A unary op or a power.
    One(Py<PyAny>),
    /// A binary op: the left operand, then the right.
    Two(Py<PyAny>, Py<PyAny>),
    /// Given to the constructor.
    Many(Vec<Py<PyAny>>),
}

impl Children {
    /// Each child, in order.
    pub fn each(&self) -> Vec<&Py<PyAny>> {
        match self {
            Children::None => Vec::new(),
            Children::One(a) => vec![a],
            Children::Two(a, b) => vec![a, b],
            Children::Many(all) => all.iter().collect(),
        }
    }
}

thread_local! {
    /// Children waiting to be released while a release is under way on this thread.
    static WAITING: RefCell<Vec<Py<PyAny>>> = const { RefCell::new(Vec::new()) };
    static RELEASING: Cell<bool> = const { Cell::new(false) };
}

/// Lets go of `children` without recursion: `Value`'s `Drop` calls this with its own.
pub fn release(children: Children) {
    {
        let list: Vec<Py<PyAny>> = match children {
            Children::None => return,
            Children::One(a) => vec![a],
            Children::Two(a, b) => vec![a, b],
            Children::Many(all) => all,
        };
        // Dropping a child can free it, which drops its own children, and so on down the graph:
        // recursion as deep as the graph. Instead the first drop on this thread releases, one at
        // a time, every child that the drops it causes hand back here.
        let Ok(release_here) = RELEASING.try_with(|releasing| !releasing.replace(true)) else {
            // the thread is ending and its list is gone: release directly
            drop(list);
            return;
        };
        WAITING.with(|waiting| waiting.borrow_mut().extend(list));
        if !release_here {
            return;
        }
        while let Some(child) = WAITING.with(|waiting| waiting.borrow_mut().pop()) {
            drop(child);
        }
        RELEASING.with(|releasing| releasing.set(false));
    }
}
