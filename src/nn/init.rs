//! How initial weights are drawn.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use super::Activation;

/// How initial weights are drawn (biases always start at 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// uniform(-1, 1), as micrograd does.
    Uniform,
    /// He: normal with standard deviation sqrt(2 / inputs) for ReLU layers, sqrt(1 / inputs)
    /// for the others (the linear output layer).
    He,
    /// Glorot (Xavier): uniform(-r, r) with r = sqrt(6 / (inputs + outputs)), for tanh/sigmoid.
    Glorot,
}

impl Init {
    /// Every initialisation.
    pub const ALL: [Init; 3] = [Init::Uniform, Init::He, Init::Glorot];

    /// Its name (`uniform`, `he`, `glorot`).
    pub fn name(self) -> &'static str {
        match self {
            Init::Uniform => "uniform",
            Init::He => "he",
            Init::Glorot => "glorot",
        }
    }

    /// How it draws.
    pub fn describe(self) -> &'static str {
        match self {
            Init::Uniform => "uniform(-1, 1), micrograd's",
            Init::He => "normal, sd sqrt(2 / fan-in) (ReLU layers)",
            Init::Glorot => "uniform, sqrt(6 / (fan-in + fan-out)) (tanh, sigmoid)",
        }
    }

    /// The initialisation scaled to the fan-in that suits `activation`: He for ReLU (and no
    /// activation), Glorot for tanh and sigmoid.
    pub fn for_activation(activation: Activation) -> Init {
        match activation {
            Activation::Relu | Activation::Linear => Init::He,
            Activation::Tanh | Activation::Sigmoid => Init::Glorot,
        }
    }

    /// One initial weight of a neuron with `inputs` inputs in a layer of `outputs` neurons
    /// that applies `activation`.
    pub(super) fn weight(
        self,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        rng: &mut impl Rng,
    ) -> f64 {
        match self {
            Init::Uniform => rng.random_range(-1.0..1.0),
            Init::He => {
                // He et al.'s gain: 2 for a ReLU (half its inputs are cut), 1 for a layer
                // without one (the linear output layer) and for tanh and sigmoid
                let gain = match activation {
                    Activation::Relu => 2.0,
                    Activation::Tanh | Activation::Sigmoid | Activation::Linear => 1.0,
                };
                let std = (gain / inputs as f64).sqrt();
                Normal::new(0.0, std)
                    .expect("sqrt(gain / inputs) is a finite positive standard deviation")
                    .sample(rng)
            }
            Init::Glorot => {
                let range = (6.0 / (inputs + outputs) as f64).sqrt();
                rng.random_range(-range..range)
            }
        }
    }
}
