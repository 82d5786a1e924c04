//! The integration tests, one module per topic, built as one test binary: one link instead of
//! one per topic, and the topics' slow tests (the program run as a user runs it, the playground
//! driven over HTTP) run side by side instead of one file after another.

mod allocations;
mod common;

mod after_training;
mod cli;
mod digits;
mod engine;
mod fused;
mod gradcheck;
mod inspect;
mod lab;
mod model_files;
mod nn;
mod playground;
mod tables;
mod tasks;
