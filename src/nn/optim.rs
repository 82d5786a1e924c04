//! Optimizers: how parameters move given their gradients. Each is a few lines.

use serde::{Deserialize, Serialize};

use crate::engine::{Node, grads, set_values, values};

/// Updates parameters from their current gradients.
pub trait Optimizer {
    /// One update of every parameter with learning rate `lr`. `parameters` must be the same
    /// list, in the same order, at every call (optimizers with state keep it per position).
    fn step(&mut self, parameters: &[Node], lr: f64);
}

/// Plain gradient descent: `p -= lr * grad`, as micrograd's training loop does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sgd;

impl Optimizer for Sgd {
    fn step(&mut self, parameters: &[Node], lr: f64) {
        let grads = grads(parameters);
        let mut values = values(parameters);
        for (value, grad) in values.iter_mut().zip(grads) {
            *value -= lr * grad;
        }
        set_values(parameters, &values);
    }
}

/// SGD with momentum: `v = momentum * v + grad; p -= lr * v` (PyTorch's formulation).
#[derive(Clone, Debug)]
pub struct Momentum {
    momentum: f64,
    velocity: Vec<f64>,
}

impl Momentum {
    /// Momentum SGD; 0.9 is the usual `momentum`.
    pub fn new(momentum: f64) -> Momentum {
        Momentum {
            momentum,
            velocity: Vec::new(),
        }
    }
}

impl Optimizer for Momentum {
    fn step(&mut self, parameters: &[Node], lr: f64) {
        self.velocity.resize(parameters.len(), 0.0);
        let grads = grads(parameters);
        let mut values = values(parameters);
        for ((value, v), grad) in values.iter_mut().zip(&mut self.velocity).zip(grads) {
            *v = self.momentum * *v + grad;
            *value -= lr * *v;
        }
        set_values(parameters, &values);
    }
}

/// Adam (Kingma & Ba, 2015), with bias correction.
#[derive(Clone, Debug)]
pub struct Adam {
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    steps: i32,
    first_moment: Vec<f64>,
    second_moment: Vec<f64>,
}

impl Adam {
    /// Adam with the usual constants: beta1 0.9, beta2 0.999, epsilon 1e-8.
    pub fn new() -> Adam {
        Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            steps: 0,
            first_moment: Vec::new(),
            second_moment: Vec::new(),
        }
    }
}

impl Default for Adam {
    fn default() -> Adam {
        Adam::new()
    }
}

impl Optimizer for Adam {
    fn step(&mut self, parameters: &[Node], lr: f64) {
        self.steps = self.steps.saturating_add(1);
        self.first_moment.resize(parameters.len(), 0.0);
        self.second_moment.resize(parameters.len(), 0.0);
        let correction1 = 1.0 - self.beta1.powi(self.steps);
        let correction2 = 1.0 - self.beta2.powi(self.steps);
        let grads = grads(parameters);
        let mut values = values(parameters);
        for (((value, m), v), g) in values
            .iter_mut()
            .zip(&mut self.first_moment)
            .zip(&mut self.second_moment)
            .zip(grads)
        {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            *value -= lr * (*m / correction1) / ((*v / correction2).sqrt() + self.epsilon);
        }
        set_values(parameters, &values);
    }
}

/// Which optimizer to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain SGD.
    Sgd,
    /// SGD with momentum 0.9.
    Momentum,
    /// Adam.
    Adam,
}

impl OptimizerKind {
    /// A fresh optimizer of this kind.
    pub fn build(self) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd),
            OptimizerKind::Momentum => Box::new(Momentum::new(0.9)),
            OptimizerKind::Adam => Box::new(Adam::new()),
        }
    }
}

/// How the learning rate changes over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same rate at every step.
    Constant,
    /// micrograd's linear decay: `lr * (1 - 0.9 * step / steps)`, ending at a tenth.
    Linear,
}

impl Schedule {
    /// The learning rate at `step` (0-based) of `steps`, starting from `lr`.
    ///
    /// ```
    /// use scalargrad::nn::optim::Schedule;
    /// assert_eq!(Schedule::Linear.rate(1.0, 0, 100), 1.0);
    /// assert_eq!(Schedule::Linear.rate(1.0, 50, 100), 1.0 - 0.9 * 50.0 / 100.0);
    /// ```
    pub fn rate(self, lr: f64, step: usize, steps: usize) -> f64 {
        match self {
            Schedule::Constant => lr,
            Schedule::Linear => lr * (1.0 - 0.9 * step as f64 / steps as f64),
        }
    }
}
