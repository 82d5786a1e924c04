//! scalargrad: a scalar-valued reverse-mode automatic differentiation engine, a small neural
//! network library built from its scalars, and the training application built on both.
//!
//! - [`engine`]: [`Node`], the ops, [`backward`], [`zero_grad`], [`engine::derivatives`], [`gradcheck`].
//! - [`nn`]: neurons, layers, [`nn::Mlp`], losses, optimizers, saving and loading.
//! - [`data`]: built-in datasets and CSV files; [`train`]: the training loop.
//!
//! The `scalargrad` program (its flags, progress bar, pictures and report files) is built on this
//! library in `src/app/`, behind the default cargo feature `app`: `cargo build --lib
//! --no-default-features` builds the library without the program's crates.
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

pub mod data;
pub mod engine;
pub mod files;
pub mod inputs;
pub mod lab;
pub mod model;
pub mod nn;
pub mod playground;
pub mod settings;
pub mod train;
pub mod view;

pub use engine::{Node, backward, gradcheck, zero_grad};

/// The README's code examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
