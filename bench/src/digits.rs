//! Workload digits: one epoch of the shipped 8x8 digits (the training part of the program's
//! seeded split, 1,437 images) through a 64-64-10 network, ReLU, softmax cross-entropy, in
//! mini-batches of 32 (a seeded shuffle, the program's `--epochs` batches), plain SGD at 0.1,
//! no regularisation. Both sides start from the same He-initialised weights and take the same
//! batches in the same order.

use rand::{SeedableRng, rngs::StdRng};
use scalargrad::Node;
use scalargrad::data::Dataset;
use scalargrad::nn::loss;
use scalargrad::nn::optim::{Optimizer, Sgd};
use scalargrad::nn::{Mlp, Module};
use scalargrad::train::Batches;

/// Pixels a row, hidden units, classes.
const INPUTS: usize = 64;
const HIDDEN: usize = 64;
const CLASSES: usize = 10;
/// Images a batch.
pub const BATCH: usize = 32;
/// The learning rate of both sides.
pub const DIGITS_LR: f64 = 0.1;

/// The training images, their digits, the initial weights and one epoch's batches.
pub struct DigitsWorkload {
    /// Pixels, row after row (each over 16, as the program scales them).
    pub pixels: Vec<f64>,
    /// Each row's digit.
    pub labels: Vec<f64>,
    /// Initial parameters, layer by layer, neuron by neuron, weights then bias.
    pub weights: Vec<f64>,
    /// The rows of each step of one epoch, in order.
    pub batches: Vec<Vec<usize>>,
}

impl DigitsWorkload {
    /// The workload, the same at every call.
    pub fn new() -> DigitsWorkload {
        let all = scalargrad::data::digits::digits();
        let (train, _): (Dataset, Dataset) = all.split(0.2, &mut StdRng::seed_from_u64(42));
        let config = scalargrad::train::TrainConfig {
            hidden: vec![HIDDEN],
            loss: loss::Loss::CrossEntropy,
            ..Default::default()
        };
        let model = scalargrad::train::build_model(&config, &train).expect("10 classes");
        let weights = scalargrad::engine::values(model.network.parameters_borrowed());
        let mut order = Batches::epochs();
        let mut rng = StdRng::seed_from_u64(7);
        let steps = scalargrad::train::steps_per_epoch(train.len(), Some(BATCH));
        let batches = (0..steps)
            .map(|_| {
                order
                    .next(train.len(), Some(BATCH), &mut rng)
                    .expect("batches smaller than the set")
            })
            .collect();
        DigitsWorkload {
            pixels: train.inputs,
            labels: train.labels,
            weights,
            batches,
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.pixels[i * INPUTS..(i + 1) * INPUTS]
    }
}

impl Default for DigitsWorkload {
    fn default() -> DigitsWorkload {
        DigitsWorkload::new()
    }
}

/// The engine side, as a user writes it: the batch's images gathered into rows, `Mlp::forward_rows`,
/// the cross-entropy loss over the batch, `backward`, `Sgd`.
pub struct DigitsEngine {
    model: Mlp,
    parameters: Vec<Node>,
}

impl DigitsEngine {
    /// A 64-64-10 `Mlp` with the workload's initial weights.
    pub fn new(workload: &DigitsWorkload) -> DigitsEngine {
        let model = Mlp::new(INPUTS, &[HIDDEN, CLASSES], &mut StdRng::seed_from_u64(0));
        let parameters = model.parameters();
        scalargrad::engine::set_values(&parameters, &workload.weights);
        DigitsEngine { model, parameters }
    }

    /// Step `k` of the epoch (its batch); returns the batch's mean loss.
    pub fn step(&mut self, workload: &DigitsWorkload, k: usize) -> f64 {
        let batch = &workload.batches[k % workload.batches.len()];
        let mut rows = Vec::with_capacity(batch.len() * INPUTS);
        for &i in batch {
            rows.extend_from_slice(workload.row(i));
        }
        let labels: Vec<f64> = batch.iter().map(|&i| workload.labels[i]).collect();
        let outputs = self.model.forward_rows(&rows);
        let total = loss::Loss::CrossEntropy.mean_of_outputs(&outputs, CLASSES, &labels);
        self.model.zero_grad();
        total.backward();
        Sgd.step(&self.parameters, DIGITS_LR);
        total.value()
    }
}

/// The hand-written side: plain f64 arrays, softmax and backprop by hand, buffers made once.
pub struct DigitsHandwritten {
    hidden_weights: Vec<f64>, // [HIDDEN][INPUTS]
    hidden_biases: Vec<f64>,
    output_weights: Vec<f64>, // [CLASSES][HIDDEN]
    output_biases: Vec<f64>,
    grads: Vec<f64>,
    hidden: Vec<f64>,
    delta_hidden: Vec<f64>,
}

impl DigitsHandwritten {
    /// The network with the workload's initial weights.
    pub fn new(workload: &DigitsWorkload) -> DigitsHandwritten {
        let w = &workload.weights;
        let (mut hidden_weights, mut hidden_biases) = (Vec::new(), Vec::new());
        for k in 0..HIDDEN {
            let start = (INPUTS + 1) * k;
            hidden_weights.extend_from_slice(&w[start..start + INPUTS]);
            hidden_biases.push(w[start + INPUTS]);
        }
        let rest = &w[(INPUTS + 1) * HIDDEN..];
        let (mut output_weights, mut output_biases) = (Vec::new(), Vec::new());
        for c in 0..CLASSES {
            let start = (HIDDEN + 1) * c;
            output_weights.extend_from_slice(&rest[start..start + HIDDEN]);
            output_biases.push(rest[start + HIDDEN]);
        }
        DigitsHandwritten {
            hidden_weights,
            hidden_biases,
            output_weights,
            output_biases,
            grads: vec![0.0; w.len()],
            hidden: vec![0.0; HIDDEN],
            delta_hidden: vec![0.0; HIDDEN],
        }
    }

    /// Step `k` of the epoch with the same arithmetic as the engine side; returns the loss.
    pub fn step(&mut self, workload: &DigitsWorkload, k: usize) -> f64 {
        let batch = &workload.batches[k % workload.batches.len()];
        let scale = 1.0 / batch.len() as f64;
        let (hw, hb, ow, ob) = (
            &mut self.hidden_weights,
            &mut self.hidden_biases,
            &mut self.output_weights,
            &mut self.output_biases,
        );
        self.grads.fill(0.0);
        let (g_hw, rest) = self.grads.split_at_mut(HIDDEN * INPUTS);
        let (g_hb, rest) = rest.split_at_mut(HIDDEN);
        let (g_ow, g_ob) = rest.split_at_mut(CLASSES * HIDDEN);
        let mut data_loss = 0.0;
        for &i in batch {
            let x = &workload.pixels[i * INPUTS..(i + 1) * INPUTS];
            let h = &mut self.hidden;
            for k in 0..HIDDEN {
                h[k] =
                    scalargrad::engine::dot(hb[k], &hw[INPUTS * k..INPUTS * (k + 1)], x).max(0.0);
            }
            let mut z = [0.0; CLASSES];
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = scalargrad::engine::dot(ob[c], &ow[HIDDEN * c..HIDDEN * (c + 1)], h);
            }
            let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = z.map(|v| (v - top).exp());
            let total: f64 = e.iter().sum();
            let y = workload.labels[i] as usize;
            data_loss += total.ln() + top - z[y];
            self.delta_hidden.fill(0.0);
            for c in 0..CLASSES {
                // d(loss)/dz = softmax - onehot, over the batch mean
                let dz = (e[c] / total - if c == y { 1.0 } else { 0.0 }) * scale;
                g_ob[c] += dz;
                for k in 0..HIDDEN {
                    g_ow[HIDDEN * c + k] += dz * h[k];
                    self.delta_hidden[k] += dz * ow[HIDDEN * c + k];
                }
            }
            for k in 0..HIDDEN {
                if h[k] > 0.0 {
                    let d = self.delta_hidden[k];
                    g_hb[k] += d;
                    for (g, &xj) in g_hw[INPUTS * k..INPUTS * (k + 1)].iter_mut().zip(x) {
                        *g += d * xj;
                    }
                }
            }
        }
        let all = hw
            .iter_mut()
            .zip(g_hw.iter())
            .chain(hb.iter_mut().zip(g_hb.iter()))
            .chain(ow.iter_mut().zip(g_ow.iter()))
            .chain(ob.iter_mut().zip(g_ob.iter()));
        for (p, g) in all {
            *p -= DIGITS_LR * g;
        }
        data_loss * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides give the same losses over a whole epoch, and they fall.
    #[test]
    fn both_sides_of_digits_agree_over_an_epoch() {
        let workload = DigitsWorkload::new();
        assert_eq!(workload.batches.len(), 45); // 1,437 images in batches of 32
        let mut engine = DigitsEngine::new(&workload);
        let mut handwritten = DigitsHandwritten::new(&workload);
        let mut losses = Vec::new();
        for k in 0..workload.batches.len() {
            let (a, b) = (engine.step(&workload, k), handwritten.step(&workload, k));
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "step {k}: {a} vs {b}"
            );
            losses.push(a);
        }
        assert!(losses[44] < 0.75 * losses[0], "{losses:?}");
    }
}
