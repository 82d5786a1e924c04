//! The lab: the notebook's cells run on the engine, with every node it creates and every edge
//! its backward passes apply recorded in order, so a page can replay backprop step by step.
//!
//! ```
//! use scalargrad::lab;
//! let run = lab::run("x = Node(5)\ny = Node(4)\nz = (x + y) * (x + y)\nbackward(z)\nprint(z.grad, x.grad, y.grad)")
//!     .expect("runs");
//! assert_eq!(run.output, "1 18 18\n");
//! // the backward edges, in the order the engine applied them
//! let edges: Vec<&lab::Event> = run.events.iter().filter(|e| matches!(e, lab::Event::Edge { .. })).collect();
//! assert_eq!(edges.len(), 6); // two into each sum, two from the product
//! ```

mod evaluate;
mod interpret;
mod parse;
mod presets;

use serde::Serialize;

pub use interpret::run;
pub use parse::{Expr, Line, MAX_DEPTH, MAX_OPERATIONS, Operator, Span, Statement, parse};
pub use presets::{PRESETS, Preset};

/// Longest program the lab runs, in bytes.
pub const MAX_PROGRAM_BYTES: usize = 20_000;
/// Most nodes a program may make (the ones it shows; gradient checks make theirs apart).
pub const MAX_NODES: usize = 5_000;
/// Most events (creations, edges, resets, prints) a program may record.
pub const MAX_EVENTS: usize = 50_000;
/// Longest a program may run.
pub const MAX_RUN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a program did not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LabError {
    /// It does not parse, or a statement cannot run: where and why.
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to write it.
        message: String,
    },
    /// It went past one of the lab's limits.
    #[error("{0}")]
    Limit(String),
}

/// A node the program made: its op, operands and value when made, and its gradient at the end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabNode {
    /// Its place on the tape (unique within a run).
    pub id: usize,
    /// The variable first assigned to it, or the number it holds for a lifted constant.
    pub label: Option<String>,
    /// The op that made it (`leaf` for `Node(5)` and lifted numbers).
    pub op: &'static str,
    /// The nodes it was made from, in order.
    pub operands: Vec<usize>,
    /// For a power with a number exponent (`x ** 2`), the exponent.
    pub exponent: Option<f64>,
    /// Its value.
    pub value: f64,
    /// Its gradient at the end of the program.
    pub grad: f64,
    /// Its gradient at the end had the notebook's engine run the same backward passes (which
    /// never resets a gradient between passes: an intermediate node adds its old gradient again).
    pub notebook_grad: f64,
    /// The program line that made it.
    pub line: usize,
}

/// One step of the timeline, in the order it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A node was made with its value.
    Create {
        /// Program line.
        line: usize,
        /// The node.
        node: usize,
    },
    /// Gradients were set to 0: by `zero_grad`, or at the start of `backward` (which starts the
    /// intermediate nodes below its output from 0, so a second pass adds exactly the same again).
    Reset {
        /// Program line.
        line: usize,
        /// The nodes set to 0.
        nodes: Vec<usize>,
        /// `zero_grad` or `backward`.
        by: &'static str,
    },
    /// `backward` seeded d(out)/d(out) = 1.
    Seed {
        /// Program line.
        line: usize,
        /// The output.
        node: usize,
        /// Its gradient before.
        before: f64,
        /// And after (`before + 1`).
        after: f64,
    },
    /// One edge of a backward pass: `node.grad += local x upstream`.
    Edge {
        /// Program line of the `backward`.
        line: usize,
        /// The node whose gradient grows.
        node: usize,
        /// The node that used it (whose local backward this is).
        from: usize,
        /// d(from)/d(node).
        local: f64,
        /// d(out)/d(from).
        upstream: f64,
        /// `node`'s gradient before.
        before: f64,
        /// And after.
        after: f64,
        /// `node`'s gradient before, in the notebook's engine.
        notebook_before: f64,
        /// And after, in the notebook's engine.
        notebook_after: f64,
        /// The update as a sentence: `x.grad += z.grad x local = 9 x 1 -> 20`.
        text: String,
    },
    /// A `print` printed a line.
    Print {
        /// Program line.
        line: usize,
        /// What it printed.
        text: String,
    },
}

/// One gradient check: the notebook's table row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// The expression, as written.
    pub expression: String,
    /// Its variable.
    pub variable: String,
    /// The point.
    pub x: f64,
    /// The engine's gradient.
    pub analytic: f64,
    /// The central difference.
    pub numeric: f64,
    /// `|analytic - numeric|`.
    pub diff: f64,
    /// The step of the central difference.
    pub eps: f64,
    /// The tolerance.
    pub tol: f64,
    /// Whether it passed.
    pub passed: bool,
}

/// A named value at the end of the program.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// The node it names.
    pub node: usize,
    /// Its value.
    pub value: f64,
    /// Its gradient.
    pub grad: f64,
}

/// What a program did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabRun {
    /// The printed lines, as text.
    pub output: String,
    /// Each variable at the end, in the order first assigned.
    pub variables: Vec<Variable>,
    /// Every node made, in order.
    pub nodes: Vec<LabNode>,
    /// Every creation, reset, seed, edge and print, in order.
    pub events: Vec<Event>,
    /// The node whose graph to draw: the output of the last `backward`, else the last assigned.
    pub focus: Option<usize>,
    /// The focus's graph in the notebook's post-order DFS (operands before the node): the
    /// topological order whose reverse `backward` follows.
    pub topo: Vec<usize>,
    /// The gradient checks, in order.
    pub checks: Vec<Check>,
}
