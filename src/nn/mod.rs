//! Neural networks built from engine nodes: neurons, layers, a multi-layer perceptron, losses and
//! optimizers.
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use scalargrad::Node;
//! use scalargrad::nn::{Mlp, Module, loss, optim::{Optimizer, Sgd}};
//!
//! let mut rng = StdRng::seed_from_u64(1);
//! let model = Mlp::new(2, &[8, 1], &mut rng); // 2 inputs, 8 ReLU units, 1 linear output
//! let inputs = [[0.5, -1.0], [-0.5, 1.0]];
//! let labels = [1.0, -1.0];
//! let mut sgd = Sgd;
//! for _ in 0..20 {
//!     let scores: Vec<Node> = inputs
//!         .iter()
//!         .map(|x| model.forward(&[Node::new(x[0]), Node::new(x[1])]).remove(0))
//!         .collect();
//!     let total = loss::hinge(&scores, &labels);
//!     model.zero_grad();
//!     total.backward();
//!     sgd.step(&model.parameters(), 0.1);
//! }
//! assert!(model.predict(&inputs[0])[0] > 0.0 && model.predict(&inputs[1])[0] < 0.0);
//! ```

//!
//! Layout: `mlp.rs` (neurons, layers, the MLP), `init.rs` (initial weights), `predictor.rs`
//! (evaluation without a graph), `loss.rs` (losses, the penalty and the label encoding they
//! use), `metrics.rs` (accuracy, confusion, RMSE, R^2), `optim.rs` (optimizers, schedules).

mod init;
pub mod loss;
pub mod metrics;
mod mlp;
pub mod optim;
mod predictor;

pub use crate::engine::Activation;
use crate::engine::Node;

pub use init::Init;
pub use mlp::{Layer, Mlp, MlpOptions, Neuron};
pub use predictor::{Predictor, Scratch};

/// Anything with trainable parameters.
pub trait Module {
    /// Every parameter, in a fixed order (for an `Mlp`: layer by layer, neuron by neuron,
    /// weights then bias).
    fn parameters(&self) -> Vec<Node>;

    /// Sets every parameter's gradient to 0, before the next backward pass.
    fn zero_grad(&self) {
        for parameter in self.parameters() {
            parameter.zero_grad();
        }
    }
}
