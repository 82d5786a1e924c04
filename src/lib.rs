//! scalargrad: a scalar-valued reverse-mode automatic differentiation engine, a small neural
//! network library built from its scalars, and the pieces of a training application.
//!
//! ```
//! use scalargrad::Node;
//!
//! let x = Node::new(2.0);
//! let y = (&x * &x + 3.0 * &x).exp().log(); // x^2 + 3x, through exp and log
//! y.backward();
//! assert_eq!(y.value(), 10.0);
//! assert!((x.grad() - 7.0).abs() < 1e-12); // 2x + 3
//! ```
#![deny(missing_docs)]

pub mod engine;

pub use engine::{Node, backward, gradcheck, zero_grad};
pub mod cli;
pub mod data;
pub mod files;
pub mod nn;
pub mod plot;
pub mod train;
