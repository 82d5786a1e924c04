//! The workloads of the benchmarks, written twice: once with scalargrad's public API the way a
//! user writes it, once as hand-written f64 backprop over plain arrays. Both must produce the
//! same loss at every step (checked before anything is timed), so neither side can skip work.
//!
//! Workload W is micrograd's moons demo: 100 points, MLP 2-16-16-1 (ReLU hidden layers, linear
//! output), loss = mean relu(1 - y * score) + 1e-4 * sum p^2 over the full batch, SGD with
//! lr = 1.0 - 0.9 * k / 100. W-big is the same with 1,000 points and 2-64-64-1.

mod digits;

pub use digits::{DigitsEngine, DigitsHandwritten, DigitsWorkload};

use std::path::{Path, PathBuf};

use rand::{SeedableRng, rngs::StdRng};
use scalargrad::Node;
use scalargrad::data::Dataset;
use scalargrad::data::csv::{TableOptions, read_table};
use scalargrad::nn::loss;
use scalargrad::nn::optim::{Optimizer, Sgd};
use scalargrad::nn::{Mlp, Module};

/// The step count given as an example's first argument, or `default`.
pub fn steps_argument(default: usize) -> usize {
    std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs `step(k)` for k in 0..steps and prints the sum of the losses it returns and the time
/// per step (how the examples in `bench/examples` report).
pub fn run_and_report(steps: usize, mut step: impl FnMut(usize) -> f64) {
    let started = std::time::Instant::now();
    let total: f64 = (0..steps).map(&mut step).sum();
    let per_step = started.elapsed().as_secs_f64() * 1e3 / steps as f64;
    println!("sum of losses {total}; {per_step:.4} ms/step");
}

/// L2 strength of the reference workloads.
pub const ALPHA: f64 = 1e-4;

/// Points in the plane with their labels as the losses take them (-1/+1 for two classes, the
/// class index for more): the data a user's own training loop holds.
pub struct Points {
    /// The points.
    pub points: Vec<[f64; 2]>,
    /// One label per point.
    pub labels: Vec<f64>,
}

impl Points {
    /// The rows of a two-column dataset, labelled as its loss takes them.
    pub fn of(data: &Dataset) -> Points {
        Points {
            points: data.rows().map(|row| [row[0], row[1]]).collect(),
            labels: loss::labels_for_loss(&data.labels, data.classes()),
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// One of the reference workloads: data, architecture and initial weights.
pub struct Workload {
    /// Short name (W, W-big).
    pub name: &'static str,
    /// Inputs and labels, as a user's loop holds them.
    pub data: Points,
    /// The same as the library's dataset (for the program's loop).
    pub table: Dataset,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Initial parameters, layer by layer, neuron by neuron, weights then bias.
    pub weights: Vec<f64>,
    /// Steps the learning-rate schedule is spread over.
    pub schedule_steps: usize,
}

fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// A weights file shipped in `bench/data`.
///
/// # Panics
/// If the file is missing or malformed (it ships with the crate).
fn read_weights(name: &str) -> Vec<f64> {
    scalargrad::model::weights_from_csv(&data_file(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// A data file shipped in `bench/data`, read as a table of classes.
///
/// # Panics
/// If the file is missing or malformed (it ships with the crate).
fn read_data(name: &str) -> Dataset {
    read_table(&data_file(name), &TableOptions::CLASSES).unwrap_or_else(|e| panic!("{e}"))
}

impl Workload {
    /// W: micrograd's moons demo.
    pub fn w() -> Workload {
        let table = read_data("moons100.csv");
        Workload {
            name: "W",
            data: Points::of(&table),
            table,
            hidden: vec![16, 16],
            weights: read_weights("weights_init.csv"),
            schedule_steps: 100,
        }
    }

    /// W-big: 1,000 points, MLP 2-64-64-1.
    pub fn w_big() -> Workload {
        let table = read_data("moons1000.csv");
        Workload {
            name: "W-big",
            data: Points::of(&table),
            table,
            hidden: vec![64, 64],
            weights: read_weights("weights_init_big.csv"),
            schedule_steps: 100,
        }
    }

    /// Learning rate of step `k`.
    pub fn lr(&self, k: usize) -> f64 {
        1.0 - 0.9 * k as f64 / self.schedule_steps as f64
    }
}

/// The engine side: scalargrad's `Mlp`, losses and optimizer, used as a user would.
pub struct EngineTrainer {
    model: Mlp,
    parameters: Vec<Node>,
}

impl EngineTrainer {
    /// An `Mlp` with the workload's architecture and initial weights.
    pub fn new(workload: &Workload) -> EngineTrainer {
        let mut widths = workload.hidden.clone();
        widths.push(1);
        let model = Mlp::new(2, &widths, &mut StdRng::seed_from_u64(0));
        let parameters = model.parameters();
        scalargrad::engine::set_values(&parameters, &workload.weights);
        EngineTrainer { model, parameters }
    }

    /// One step: forward, loss, zero_grad, backward, SGD. Returns the loss.
    pub fn step(&mut self, data: &Points, lr: f64) -> f64 {
        let scores: Vec<Node> = data
            .points
            .iter()
            .map(|p| {
                self.model
                    .output(&[Node::constant(p[0]), Node::constant(p[1])])
            })
            .collect();
        let total = loss::hinge(&scores, &data.labels) + loss::l2(&self.parameters, ALPHA);
        self.model.zero_grad();
        total.backward();
        Sgd.step(&self.parameters, lr);
        total.value()
    }
}

/// The engine side through the library's `train::batch_gradient`, on `threads` worker threads
/// (1: on the calling thread), then SGD.
pub struct ThreadedTrainer {
    model: Mlp,
    parameters: Vec<Node>,
    objective: scalargrad::train::Objective,
    workers: Option<scalargrad::train::Workers>,
    /// The workload's data as the network's inputs (x1, x2), encoded once.
    examples: scalargrad::train::Examples,
}

impl ThreadedTrainer {
    /// The workload's model with its initial weights, and `threads` workers.
    pub fn new(workload: &Workload, threads: usize) -> ThreadedTrainer {
        let EngineTrainer { model, parameters } = EngineTrainer::new(workload);
        let objective = scalargrad::train::Objective {
            loss: loss::Loss::Hinge,
            penalty: loss::Penalty { l2: ALPHA, l1: 0.0 },
        };
        let workers = (threads > 1).then(|| scalargrad::train::Workers::new(threads));
        let examples = scalargrad::train::Examples::encode(
            &scalargrad::inputs::Inputs::plain(workload.table.columns.clone()),
            &workload.table,
        );
        ThreadedTrainer {
            model,
            parameters,
            objective,
            workers,
            examples,
        }
    }

    /// One step on the workload's data; returns the loss.
    pub fn step(&mut self, lr: f64) -> f64 {
        let gradient = scalargrad::train::batch_gradient(
            self.objective,
            &self.model,
            &self.examples,
            self.workers.as_ref(),
        )
        .expect("the worker threads run");
        Sgd.step(&self.parameters, lr);
        gradient.loss
    }
}

/// The engine side through the library's `train::Trainer`, the loop the `scalargrad` program
/// runs (`--test-fraction 0`): each step also measures its batch (accuracy), the held-out set
/// (empty here), the gradient's norm and the dead units, as the program's metrics need.
pub struct ProgramTrainer {
    trainer: scalargrad::train::Trainer,
    config: scalargrad::train::TrainConfig,
    /// The held-out set: none, as in the program run the README times.
    test: Dataset,
}

impl ProgramTrainer {
    /// The program's default setup (hinge loss, L2, SGD, ReLU) for the workload, from its
    /// initial weights.
    pub fn new(workload: &Workload) -> ProgramTrainer {
        let config = scalargrad::train::TrainConfig {
            hidden: workload.hidden.clone(),
            l2: ALPHA,
            ..Default::default()
        };
        ProgramTrainer::with(config, &workload.table, &workload.weights)
    }

    /// The program's setup for CE (`--dataset spiral --classes 3 --hidden 100 --l2 5e-4`:
    /// cross-entropy, SGD, ReLU), from the workload's initial weights.
    pub fn cross_entropy(workload: &CrossEntropyWorkload) -> ProgramTrainer {
        let config = scalargrad::train::TrainConfig {
            hidden: vec![100],
            loss: scalargrad::nn::loss::Loss::CrossEntropy,
            l2: CE_ALPHA,
            ..Default::default()
        };
        ProgramTrainer::with(config, &workload.table, &workload.weights)
    }

    /// A trainer of `config` on `data`, the model's parameters set to `weights`.
    fn with(
        config: scalargrad::train::TrainConfig,
        data: &Dataset,
        weights: &[f64],
    ) -> ProgramTrainer {
        let model = scalargrad::train::build_model(&config, data).expect("the loss fits the data");
        scalargrad::engine::set_values(model.network.parameters_borrowed(), weights);
        let start = scalargrad::train::Start::fresh(model);
        ProgramTrainer {
            trainer: scalargrad::train::Trainer::new(&config, start, data),
            config,
            test: data.subset(&[]),
        }
    }

    /// One step at rate `lr`; returns the step's loss (NaN if it diverged).
    pub fn step(&mut self, lr: f64) -> f64 {
        let settings = scalargrad::train::StepSettings {
            lr,
            ..self.config.step_settings(0)
        };
        match self
            .trainer
            .step(&settings, &self.test)
            .expect("one thread: no helper can stop")
        {
            scalargrad::train::Outcome::Stepped(metrics) => metrics.loss,
            scalargrad::train::Outcome::Diverged { .. } => f64::NAN,
        }
    }
}

/// One fully connected layer of the hand-written network, row-major: `weights[k * inputs + j]`
/// connects input `j` to neuron `k`.
struct DenseLayer {
    inputs: usize,
    outputs: usize,
    weights: Vec<f64>,
    biases: Vec<f64>,
    weight_grads: Vec<f64>,
    bias_grads: Vec<f64>,
    relu: bool,
}

/// The hand-written side: plain f64 arrays, a manual forward and a manual backprop, with every
/// buffer allocated once.
pub struct HandwrittenTrainer {
    layers: Vec<DenseLayer>,
    /// `activations[l][i * width + k]`: output k of layer l - 1 for example i (layer 0: inputs).
    activations: Vec<Vec<f64>>,
    /// d(loss)/d(activations[l]), same layout.
    deltas: Vec<Vec<f64>>,
}

impl HandwrittenTrainer {
    /// The workload's network with its initial weights.
    pub fn new(workload: &Workload) -> HandwrittenTrainer {
        let mut widths = vec![2];
        widths.extend(&workload.hidden);
        widths.push(1);
        let mut values = workload.weights.iter().copied();
        let mut layers = Vec::new();
        for (l, pair) in widths.windows(2).enumerate() {
            let (inputs, outputs) = (pair[0], pair[1]);
            let mut weights = Vec::with_capacity(inputs * outputs);
            let mut biases = Vec::with_capacity(outputs);
            for _ in 0..outputs {
                weights.extend(values.by_ref().take(inputs));
                biases.push(values.next().expect("enough weights"));
            }
            layers.push(DenseLayer {
                inputs,
                outputs,
                weights,
                biases,
                weight_grads: vec![0.0; inputs * outputs],
                bias_grads: vec![0.0; outputs],
                relu: l + 2 < widths.len(),
            });
        }
        let n = workload.data.len();
        let buffers = || widths.iter().map(|w| vec![0.0; n * w]).collect::<Vec<_>>();
        HandwrittenTrainer {
            layers,
            activations: buffers(),
            deltas: buffers(),
        }
    }

    /// One step with the same arithmetic as the engine side. Returns the loss.
    pub fn step(&mut self, data: &Points, lr: f64) -> f64 {
        let n = data.len();
        for (i, p) in data.points.iter().enumerate() {
            self.activations[0][2 * i..2 * i + 2].copy_from_slice(p);
        }
        // forward: each neuron is bias + sum w x in order, as in the engine's `linear`
        for (l, layer) in self.layers.iter().enumerate() {
            let (done, rest) = self.activations.split_at_mut(l + 1);
            let (inputs, outputs) = (&done[l], &mut rest[0]);
            for i in 0..n {
                let x = &inputs[i * layer.inputs..(i + 1) * layer.inputs];
                for k in 0..layer.outputs {
                    let w = &layer.weights[k * layer.inputs..(k + 1) * layer.inputs];
                    // the engine's weighted sum over plain slices: the fastest code we have
                    let total = scalargrad::engine::dot(layer.biases[k], w, x);
                    outputs[i * layer.outputs + k] =
                        if layer.relu { total.max(0.0) } else { total };
                }
            }
        }
        let last = self.layers.len();
        let scale = 1.0 / n as f64;
        let scores = &self.activations[last];
        let data_loss = scores
            .iter()
            .zip(&data.labels)
            .fold(0.0, |t, (s, y)| t + (1.0 + -y * s).max(0.0))
            * scale;
        let mut squares = 0.0;
        for layer in &self.layers {
            for k in 0..layer.outputs {
                let w = &layer.weights[k * layer.inputs..(k + 1) * layer.inputs];
                squares = w.iter().fold(squares, |t, p| t + p * p);
                squares += layer.biases[k] * layer.biases[k];
            }
        }
        let total = data_loss + ALPHA * squares;

        // backward. d(loss)/d(score_i) = -y_i / n where the margin is violated, else 0
        for (d, (s, y)) in self.deltas[last]
            .iter_mut()
            .zip(scores.iter().zip(&data.labels))
        {
            *d = if 1.0 + -y * s > 0.0 { -y * scale } else { 0.0 };
        }
        for layer in &mut self.layers {
            for (g, p) in layer.weight_grads.iter_mut().zip(&layer.weights) {
                *g = 2.0 * ALPHA * p; // d(alpha p^2)/dp
            }
            for (g, b) in layer.bias_grads.iter_mut().zip(&layer.biases) {
                *g = 2.0 * ALPHA * b;
            }
        }
        for l in (0..last).rev() {
            let layer = &mut self.layers[l];
            let (lower, upper) = self.deltas.split_at_mut(l + 1);
            let (below, above) = (&mut lower[l], &upper[0]);
            below.fill(0.0);
            let inputs = &self.activations[l];
            let outputs = &self.activations[l + 1];
            for i in 0..n {
                let x = &inputs[i * layer.inputs..(i + 1) * layer.inputs];
                let down = &mut below[i * layer.inputs..(i + 1) * layer.inputs];
                for k in 0..layer.outputs {
                    let o = i * layer.outputs + k;
                    // d relu/d input = 1 where the output is > 0, else 0
                    if above[o] == 0.0 || layer.relu && outputs[o] <= 0.0 {
                        continue;
                    }
                    let up = above[o];
                    layer.bias_grads[k] += up;
                    let row = k * layer.inputs..(k + 1) * layer.inputs;
                    for (g, x) in layer.weight_grads[row.clone()].iter_mut().zip(x) {
                        *g += up * x;
                    }
                    for (d, w) in down.iter_mut().zip(&layer.weights[row]) {
                        *d += up * w;
                    }
                }
            }
        }
        for layer in &mut self.layers {
            for (p, g) in layer.weights.iter_mut().zip(&layer.weight_grads) {
                *p -= lr * g;
            }
            for (b, g) in layer.biases.iter_mut().zip(&layer.bias_grads) {
                *b -= lr * g;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides give the reference losses (micrograd, PyTorch f64) step for step.
    #[test]
    fn both_sides_match_the_reference_losses() {
        for workload in [Workload::w(), Workload::w_big()] {
            let steps = if workload.name == "W" { 100 } else { 3 };
            let mut engine = EngineTrainer::new(&workload);
            let mut handwritten = HandwrittenTrainer::new(&workload);
            let mut program = ProgramTrainer::new(&workload);
            let mut losses = Vec::new();
            for k in 0..steps {
                let a = engine.step(&workload.data, workload.lr(k));
                let b = handwritten.step(&workload.data, workload.lr(k));
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{} step {k}: {a} vs {b}",
                    workload.name
                );
                // the program's loop builds the same graph: the same loss to the bit
                let c = program.step(workload.lr(k));
                assert_eq!(
                    a.to_bits(),
                    c.to_bits(),
                    "{} step {k}: {a} vs {c}",
                    workload.name
                );
                losses.push(a);
            }
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1.0);
            if workload.name == "W" {
                assert!(close(losses[0], 0.906_719_585_949_445_2), "{}", losses[0]);
                assert!(
                    close(losses[99], 0.011_051_827_936_681_746),
                    "{}",
                    losses[99]
                );
            } else {
                assert!(close(losses[0], 1.277_088_715_853_807_8), "{}", losses[0]);
                assert!(close(losses[1], 32.015_265_071_854_6), "{}", losses[1]);
                assert!(close(losses[2], 3.063_817_344_178_729_3), "{}", losses[2]);
            }
        }
    }
}

/// Workload CE: CS231n's spiral (3 classes x 100 points, noise 0.2), MLP 2-100-3 with ReLU,
/// softmax cross-entropy + 5e-4 * sum p^2, full batch, SGD at a constant rate 1. The data and
/// initial weights come from the library's seeded generator and He initialisation, so both
/// sides start from the same numbers.
pub struct CrossEntropyWorkload {
    /// The points and their classes (labels 0, 1, 2).
    pub data: Points,
    /// The same as the library's dataset (for the program's loop).
    pub table: Dataset,
    /// Initial parameters, layer by layer, neuron by neuron, weights then bias.
    pub weights: Vec<f64>,
}

/// L2 strength of workload CE.
pub const CE_ALPHA: f64 = 5e-4;

impl CrossEntropyWorkload {
    /// The workload, the same at every call.
    pub fn new() -> CrossEntropyWorkload {
        let table = scalargrad::data::Generator::Spiral.generate_classes(
            300,
            0.2,
            3,
            &mut StdRng::seed_from_u64(42),
        );
        let config = scalargrad::train::TrainConfig {
            hidden: vec![100],
            loss: scalargrad::nn::loss::Loss::CrossEntropy,
            ..Default::default()
        };
        let model = scalargrad::train::build_model(&config, &table).expect("3 classes");
        let weights = scalargrad::engine::values(model.network.parameters_borrowed());
        CrossEntropyWorkload {
            data: Points::of(&table),
            table,
            weights,
        }
    }
}

impl Default for CrossEntropyWorkload {
    fn default() -> CrossEntropyWorkload {
        CrossEntropyWorkload::new()
    }
}

/// CE's engine side, as a user writes it: `Mlp::forward`, the cross-entropy loss, L2,
/// `backward`, `Sgd`.
pub struct CrossEntropyEngine {
    model: Mlp,
    parameters: Vec<Node>,
}

impl CrossEntropyEngine {
    /// A 2-100-3 `Mlp` with the workload's initial weights.
    pub fn new(workload: &CrossEntropyWorkload) -> CrossEntropyEngine {
        let model = Mlp::new(2, &[100, 3], &mut StdRng::seed_from_u64(0));
        let parameters = model.parameters();
        scalargrad::engine::set_values(&parameters, &workload.weights);
        CrossEntropyEngine { model, parameters }
    }

    /// The network and its parameters (for timing a step's phases apart: `--example ce_phases`).
    pub fn parts(&self) -> (&Mlp, &[Node]) {
        (&self.model, &self.parameters)
    }

    /// One step; returns the loss.
    pub fn step(&mut self, data: &Points, lr: f64) -> f64 {
        let outputs = self.model.forward_rows(data.points.as_flattened());
        let total = loss::Loss::CrossEntropy.mean_of_outputs(&outputs, 3, &data.labels)
            + loss::l2(&self.parameters, CE_ALPHA);
        self.model.zero_grad();
        total.backward();
        Sgd.step(&self.parameters, lr);
        total.value()
    }
}

/// CE's hand-written side: plain f64 arrays, softmax and backprop by hand, buffers made once.
pub struct CrossEntropyHandwritten {
    hidden_weights: Vec<f64>, // [100][2]
    hidden_biases: Vec<f64>,
    output_weights: Vec<f64>, // [3][100]
    output_biases: Vec<f64>,
    hidden: Vec<f64>, // [n][100]
    delta_hidden: Vec<f64>,
    grads: Vec<f64>,
}

impl CrossEntropyHandwritten {
    /// The network with the workload's initial weights.
    pub fn new(workload: &CrossEntropyWorkload) -> CrossEntropyHandwritten {
        let w = &workload.weights;
        let (mut hidden_weights, mut hidden_biases) = (Vec::new(), Vec::new());
        for k in 0..100 {
            hidden_weights.extend_from_slice(&w[3 * k..3 * k + 2]);
            hidden_biases.push(w[3 * k + 2]);
        }
        let rest = &w[300..];
        let (mut output_weights, mut output_biases) = (Vec::new(), Vec::new());
        for k in 0..3 {
            output_weights.extend_from_slice(&rest[101 * k..101 * k + 100]);
            output_biases.push(rest[101 * k + 100]);
        }
        let n = workload.data.len();
        CrossEntropyHandwritten {
            hidden_weights,
            hidden_biases,
            output_weights,
            output_biases,
            hidden: vec![0.0; n * 100],
            delta_hidden: vec![0.0; 100],
            grads: vec![0.0; w.len()],
        }
    }

    /// One step with the same arithmetic as the engine side; returns the loss.
    pub fn step(&mut self, data: &Points, lr: f64) -> f64 {
        let n = data.len();
        let scale = 1.0 / n as f64;
        // gradients start as the L2 term's, 2 alpha p, laid out like the weights
        let (hw, hb, ow, ob) = (
            &mut self.hidden_weights,
            &mut self.hidden_biases,
            &mut self.output_weights,
            &mut self.output_biases,
        );
        let grads = &mut self.grads;
        grads.fill(0.0);
        let mut squares = 0.0;
        for p in hw.iter().chain(hb.iter()).chain(ow.iter()).chain(ob.iter()) {
            squares += p * p;
        }
        let mut data_loss = 0.0;
        let (g_hw, rest) = grads.split_at_mut(200);
        let (g_hb, rest) = rest.split_at_mut(100);
        let (g_ow, g_ob) = rest.split_at_mut(300);
        for (i, (p, &label)) in data.points.iter().zip(&data.labels).enumerate() {
            let h = &mut self.hidden[i * 100..(i + 1) * 100];
            for k in 0..100 {
                let sum = hb[k] + hw[2 * k] * p[0] + hw[2 * k + 1] * p[1];
                h[k] = sum.max(0.0);
            }
            let mut z = [0.0; 3];
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = scalargrad::engine::dot(ob[c], &ow[100 * c..100 * (c + 1)], h);
            }
            let top = z[0].max(z[1]).max(z[2]);
            let e = [(z[0] - top).exp(), (z[1] - top).exp(), (z[2] - top).exp()];
            let total = e[0] + e[1] + e[2];
            let y = label as usize;
            data_loss += total.ln() + top - z[y];
            // d(loss)/dz = softmax - onehot, over the batch mean
            let dz: [f64; 3] =
                std::array::from_fn(|c| (e[c] / total - if c == y { 1.0 } else { 0.0 }) * scale);
            self.delta_hidden.fill(0.0);
            for c in 0..3 {
                g_ob[c] += dz[c];
                for k in 0..100 {
                    g_ow[100 * c + k] += dz[c] * h[k];
                    self.delta_hidden[k] += dz[c] * ow[100 * c + k];
                }
            }
            for k in 0..100 {
                if h[k] > 0.0 {
                    let d = self.delta_hidden[k];
                    g_hb[k] += d;
                    g_hw[2 * k] += d * p[0];
                    g_hw[2 * k + 1] += d * p[1];
                }
            }
        }
        let total = data_loss * scale + CE_ALPHA * squares;
        let all = hw
            .iter_mut()
            .chain(hb.iter_mut())
            .chain(ow.iter_mut())
            .chain(ob.iter_mut());
        for (p, g) in all.zip(grads.iter()) {
            *p -= lr * (g + 2.0 * CE_ALPHA * *p);
        }
        total
    }
}

#[cfg(test)]
mod cross_entropy_tests {
    use super::*;

    /// Both sides of CE give the same losses, step for step, and they fall.
    #[test]
    fn both_sides_of_ce_agree() {
        let workload = CrossEntropyWorkload::new();
        let mut engine = CrossEntropyEngine::new(&workload);
        let mut handwritten = CrossEntropyHandwritten::new(&workload);
        let mut losses = Vec::new();
        for k in 0..20 {
            let a = engine.step(&workload.data, 1.0);
            let b = handwritten.step(&workload.data, 1.0);
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "step {k}: {a} vs {b}"
            );
            losses.push(a);
        }
        assert!(losses[19] < losses[0], "{losses:?}");
    }

    /// CE through the program's loop gives the engine loop's losses bit for bit.
    #[test]
    fn ce_through_the_program_loop_is_the_engine_loop() {
        let workload = CrossEntropyWorkload::new();
        let mut engine = CrossEntropyEngine::new(&workload);
        let mut program = ProgramTrainer::cross_entropy(&workload);
        for k in 0..5 {
            let (a, b) = (program.step(1.0), engine.step(&workload.data, 1.0));
            assert_eq!(a.to_bits(), b.to_bits(), "step {k}: {a} vs {b}");
        }
    }
}
