//! Optimizers: how parameters move given their gradients. Each is a few lines.

use serde::{Deserialize, Serialize};

use crate::engine::{Node, update_value_slices};

/// Updates parameters from their current gradients.
pub trait Optimizer {
    /// One update of every parameter with learning rate `lr`. `parameters` must be the same
    /// list, in the same order, at every call (optimizers with state keep it per position).
    fn step(&mut self, parameters: &[Node], lr: f64);

    /// What the optimizer carries from step to step, to save and resume exactly.
    fn state(&self) -> OptimizerState;

    /// Continues from a saved `state`; false (and nothing changed) if it is another kind's.
    fn restore(&mut self, state: &OptimizerState) -> bool;
}

/// An optimizer's state between steps: velocities (momentum), moments and the step count
/// (Adam). Saved in model.json, so a resumed run takes the very steps an unbroken one would.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Which optimizer this is the state of.
    pub kind: OptimizerKind,
    /// Updates made so far.
    pub steps: u64,
    /// Momentum's velocity per parameter (empty otherwise).
    #[serde(default)]
    pub velocity: Vec<f64>,
    /// Adam's (and AdamW's) first moment per parameter (empty otherwise).
    #[serde(default)]
    pub first_moment: Vec<f64>,
    /// Adam's (and AdamW's) second moment per parameter (empty otherwise).
    #[serde(default)]
    pub second_moment: Vec<f64>,
}

impl OptimizerState {
    /// Checks that the state fits a model of `parameters` parameters: each list empty (before
    /// the first step) or one value per parameter, and only the lists of its kind.
    ///
    /// # Errors
    /// A message naming the list and both lengths.
    pub fn check(&self, parameters: usize) -> Result<(), String> {
        let lists = [
            (
                "velocity",
                &self.velocity,
                self.kind == OptimizerKind::Momentum,
            ),
            (
                "first_moment",
                &self.first_moment,
                matches!(self.kind, OptimizerKind::Adam | OptimizerKind::AdamW),
            ),
            (
                "second_moment",
                &self.second_moment,
                matches!(self.kind, OptimizerKind::Adam | OptimizerKind::AdamW),
            ),
        ];
        for (name, list, belongs) in lists {
            if !list.is_empty() && (!belongs || list.len() != parameters) {
                return Err(format!(
                    "the optimizer's {name} has {} values for a model of {parameters} parameters",
                    list.len()
                ));
            }
            if let Some(bad) = list.iter().find(|v| !v.is_finite()) {
                return Err(format!("the optimizer's {name} holds {bad}"));
            }
        }
        Ok(())
    }

    /// The state of an optimizer of `kind` before its first step.
    pub fn fresh(kind: OptimizerKind) -> OptimizerState {
        OptimizerState {
            kind,
            steps: 0,
            velocity: Vec::new(),
            first_moment: Vec::new(),
            second_moment: Vec::new(),
        }
    }
}

/// Plain gradient descent: `p -= lr * grad`, as micrograd's training loop does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sgd;

impl Optimizer for Sgd {
    fn step(&mut self, parameters: &[Node], lr: f64) {
        update_value_slices(parameters, |values, grads| {
            for (value, grad) in values.iter_mut().zip(grads) {
                *value -= lr * grad;
            }
        });
    }

    fn state(&self) -> OptimizerState {
        OptimizerState::fresh(OptimizerKind::Sgd)
    }

    fn restore(&mut self, state: &OptimizerState) -> bool {
        state.kind == OptimizerKind::Sgd
    }
}

/// SGD with momentum: `v = momentum * v + grad; p -= lr * v` (PyTorch's formulation).
#[derive(Clone, Debug)]
pub struct Momentum {
    momentum: f64,
    velocity: Vec<f64>,
    steps: u64,
}

impl Momentum {
    /// Momentum SGD; 0.9 is the usual `momentum`.
    pub fn new(momentum: f64) -> Momentum {
        Momentum {
            momentum,
            velocity: Vec::new(),
            steps: 0,
        }
    }
}

impl Optimizer for Momentum {
    fn step(&mut self, parameters: &[Node], lr: f64) {
        self.velocity.resize(parameters.len(), 0.0);
        let (momentum, velocity) = (self.momentum, &mut self.velocity);
        update_value_slices(parameters, |values, grads| {
            // zipped slices, no index: the compiler makes it vector instructions
            for ((value, &grad), v) in values.iter_mut().zip(grads).zip(velocity.iter_mut()) {
                *v = momentum * *v + grad;
                *value -= lr * *v;
            }
        });
        self.steps += 1;
    }

    fn state(&self) -> OptimizerState {
        OptimizerState {
            steps: self.steps,
            velocity: self.velocity.clone(),
            ..OptimizerState::fresh(OptimizerKind::Momentum)
        }
    }

    fn restore(&mut self, state: &OptimizerState) -> bool {
        if state.kind != OptimizerKind::Momentum {
            return false;
        }
        self.velocity = state.velocity.clone();
        self.steps = state.steps;
        true
    }
}

/// Adam (Kingma & Ba, 2015), with bias correction; with a weight decay, AdamW (Loshchilov &
/// Hutter, 2019): each step first multiplies every parameter by `1 - lr * weight_decay`, then
/// takes Adam's step (PyTorch's `AdamW`), so the decay is not scaled by the gradient's history.
#[derive(Clone, Debug)]
pub struct Adam {
    kind: OptimizerKind,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    weight_decay: f64,
    steps: i32,
    first_moment: Vec<f64>,
    second_moment: Vec<f64>,
}

impl Adam {
    /// Adam with the usual constants: beta1 0.9, beta2 0.999, epsilon 1e-8.
    pub fn new() -> Adam {
        Adam {
            kind: OptimizerKind::Adam,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
            steps: 0,
            first_moment: Vec::new(),
            second_moment: Vec::new(),
        }
    }

    /// AdamW: Adam's constants with decoupled `weight_decay` (PyTorch's default is 0.01).
    ///
    /// ```
    /// use scalargrad::{Node, nn::optim::{Adam, Optimizer}};
    /// let p = Node::new(2.0); // its gradient is 0: the step is the decay alone
    /// Adam::decoupled(0.5).step(std::slice::from_ref(&p), 0.1);
    /// assert_eq!(p.value(), 2.0 * (1.0 - 0.1 * 0.5));
    /// ```
    pub fn decoupled(weight_decay: f64) -> Adam {
        Adam {
            kind: OptimizerKind::AdamW,
            weight_decay,
            ..Adam::new()
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
        let (beta1, beta2, epsilon) = (self.beta1, self.beta2, self.epsilon);
        // AdamW's decay, applied to the parameter before Adam's step (1 for plain Adam)
        let kept = 1.0 - lr * self.weight_decay;
        let (first, second) = (&mut self.first_moment, &mut self.second_moment);
        update_value_slices(parameters, |values, grads| {
            // zipped slices, no index: the compiler makes it vector instructions
            let moments = first.iter_mut().zip(second.iter_mut());
            for ((value, &g), (m, v)) in values.iter_mut().zip(grads).zip(moments) {
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                *value =
                    *value * kept - lr * (*m / correction1) / ((*v / correction2).sqrt() + epsilon);
            }
        });
    }

    fn state(&self) -> OptimizerState {
        OptimizerState {
            steps: u64::try_from(self.steps).unwrap_or(0),
            first_moment: self.first_moment.clone(),
            second_moment: self.second_moment.clone(),
            ..OptimizerState::fresh(self.kind)
        }
    }

    fn restore(&mut self, state: &OptimizerState) -> bool {
        if state.kind != self.kind {
            return false;
        }
        self.first_moment = state.first_moment.clone();
        self.second_moment = state.second_moment.clone();
        self.steps = i32::try_from(state.steps).unwrap_or(i32::MAX);
        true
    }
}

/// Which optimizer to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain SGD.
    Sgd,
    /// SGD with momentum 0.9.
    Momentum,
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay.
    #[serde(rename = "adamw")]
    AdamW,
}

impl OptimizerKind {
    /// Every optimizer.
    pub const ALL: [OptimizerKind; 4] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
    ];

    /// Its name (`sgd`, `momentum`, `adam`, `adamw`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
    }

    /// How it steps.
    pub fn describe(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "p -= lr * grad (micrograd's)",
            OptimizerKind::Momentum => "SGD with momentum 0.9 (PyTorch's formulation)",
            OptimizerKind::Adam => "Adam with bias correction (beta1 0.9, beta2 0.999)",
            OptimizerKind::AdamW => {
                "Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then Adam's step"
            }
        }
    }

    /// The learning rate it takes when none is given, for a loss whose plain SGD rate is `sgd`:
    /// that rate for SGD, a tenth of it with momentum (whose steps add up to ten times one),
    /// 0.01 for Adam and AdamW (whose step is about `lr` whatever the gradient's size).
    pub fn default_learning_rate(self, sgd: f64) -> f64 {
        match self {
            OptimizerKind::Sgd => sgd,
            OptimizerKind::Momentum => sgd / 10.0,
            OptimizerKind::Adam | OptimizerKind::AdamW => 0.01,
        }
    }

    /// A fresh optimizer of this kind; `weight_decay` is AdamW's (the others have none).
    pub fn build(self, weight_decay: f64) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd),
            OptimizerKind::Momentum => Box::new(Momentum::new(0.9)),
            OptimizerKind::Adam => Box::new(Adam::new()),
            OptimizerKind::AdamW => Box::new(Adam::decoupled(weight_decay)),
        }
    }
}

/// How the learning rate changes over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// The same rate at every step.
    Constant,
    /// micrograd's linear decay: `lr * (1 - 0.9 * step / steps)`, ending at a tenth.
    Linear,
}

impl Schedule {
    /// Every schedule.
    pub const ALL: [Schedule; 2] = [Schedule::Linear, Schedule::Constant];

    /// Its name (`linear`, `constant`).
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Linear => "linear",
        }
    }

    /// How the rate changes.
    pub fn describe(self) -> &'static str {
        match self {
            Schedule::Constant => "the same rate at every step",
            Schedule::Linear => "linear decay to a tenth over the run (micrograd's)",
        }
    }

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
