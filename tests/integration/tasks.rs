//! The tasks beyond micrograd's demo: K classes with cross-entropy, TF Playground's input features
//! with L1, and regression, each trained step for step against a float64 reference written here
//! (hand-written forward and backprop over plain arrays) from the same initial weights; and the
//! learning check on CS231n's spiral.

use std::sync::atomic::AtomicBool;

use rand::{SeedableRng, rngs::StdRng};
use scalargrad::Node;
use scalargrad::data::csv::{TableOptions, parse_table};
use scalargrad::data::{Dataset, Generator};
use scalargrad::engine::values;
use scalargrad::inputs::Inputs;
use scalargrad::nn::loss::{Loss, class_of_label, labels_for_loss};
use scalargrad::nn::metrics;
use scalargrad::nn::optim::Schedule;
use scalargrad::nn::{Activation, Init};
use scalargrad::train::{self, TrainConfig};

/// A fully connected layer of the reference: `weights[k][j]` from input j to neuron k.
struct Layer {
    weights: Vec<Vec<f64>>,
    biases: Vec<f64>,
}

/// The reference network: hidden layers with `activation`, a linear last layer.
struct Reference {
    layers: Vec<Layer>,
    activation: Activation,
}

fn activate(activation: Activation, x: f64) -> f64 {
    match activation {
        Activation::Relu => x.max(0.0),
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::Linear => x,
    }
}

/// d(activation)/d(input) from the activation's output.
fn slope(activation: Activation, out: f64) -> f64 {
    match activation {
        Activation::Relu => {
            if out > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Activation::Tanh => 1.0 - out * out,
        Activation::Sigmoid => out * (1.0 - out),
        Activation::Linear => 1.0,
    }
}

impl Reference {
    /// The reference with the weights of `parameters` (per neuron its weights, then its bias).
    fn new(inputs: usize, widths: &[usize], parameters: &[f64], activation: Activation) -> Self {
        let mut values = parameters.iter().copied();
        let mut layers = Vec::new();
        let mut fan_in = inputs;
        for &width in widths {
            let mut layer = Layer {
                weights: Vec::new(),
                biases: Vec::new(),
            };
            for _ in 0..width {
                layer.weights.push(values.by_ref().take(fan_in).collect());
                layer.biases.push(values.next().expect("enough parameters"));
            }
            layers.push(layer);
            fan_in = width;
        }
        Reference { layers, activation }
    }

    /// Every layer's outputs for input `x`, the input first.
    fn forward(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut outputs = vec![x.to_vec()];
        for (l, layer) in self.layers.iter().enumerate() {
            let last = l + 1 == self.layers.len();
            let input = outputs.last().expect("the input");
            let out = layer
                .weights
                .iter()
                .zip(&layer.biases)
                .map(|(w, b)| {
                    let sum = b + w.iter().zip(input).map(|(w, x)| w * x).sum::<f64>();
                    if last {
                        sum
                    } else {
                        activate(self.activation, sum)
                    }
                })
                .collect();
            outputs.push(out);
        }
        outputs
    }

    /// One full-batch SGD step; returns the objective before the update.
    fn step(&mut self, inputs: &[Vec<f64>], labels: &[f64], task: &Task, lr: f64) -> f64 {
        let n = inputs.len() as f64;
        let mut weight_grads: Vec<Vec<Vec<f64>>> = self
            .layers
            .iter()
            .map(|l| l.weights.iter().map(|w| vec![0.0; w.len()]).collect())
            .collect();
        let mut bias_grads: Vec<Vec<f64>> = self
            .layers
            .iter()
            .map(|l| vec![0.0; l.biases.len()])
            .collect();
        let mut data_loss = 0.0;
        for (x, &label) in inputs.iter().zip(labels) {
            let outputs = self.forward(x);
            let z = outputs.last().expect("the output");
            // the loss of this example and d(loss)/d(z)
            let (value, mut delta) = task.loss(z, label);
            data_loss += value;
            for d in &mut delta {
                *d /= n; // the mean over the batch
            }
            for l in (0..self.layers.len()).rev() {
                let below = &outputs[l];
                let mut down = vec![0.0; below.len()];
                for (k, &d) in delta.iter().enumerate() {
                    bias_grads[l][k] += d;
                    for (j, &input) in below.iter().enumerate() {
                        weight_grads[l][k][j] += d * input;
                        down[j] += d * self.layers[l].weights[k][j];
                    }
                }
                if l > 0 {
                    for (d, &out) in down.iter_mut().zip(&outputs[l]) {
                        *d *= slope(self.activation, out);
                    }
                }
                delta = down;
            }
        }
        // the penalty: l2 * sum p^2 + l1 * sum |p|, gradient 2 l2 p + l1 sign(p) (0 at 0)
        let sign = |p: f64| {
            if p > 0.0 {
                1.0
            } else if p < 0.0 {
                -1.0
            } else {
                0.0
            }
        };
        let mut penalty = 0.0;
        for (l, layer) in self.layers.iter_mut().enumerate() {
            for (k, row) in layer.weights.iter_mut().enumerate() {
                for (j, w) in row.iter_mut().enumerate() {
                    penalty += task.l2 * *w * *w + task.l1 * w.abs();
                    let g = weight_grads[l][k][j] + 2.0 * task.l2 * *w + task.l1 * sign(*w);
                    *w -= lr * g;
                }
                let b = &mut layer.biases[k];
                penalty += task.l2 * *b * *b + task.l1 * b.abs();
                *b -= lr * (bias_grads[l][k] + 2.0 * task.l2 * *b + task.l1 * sign(*b));
            }
        }
        data_loss / n + penalty
    }
}

/// What the reference trains: a loss, and the penalty's strengths.
struct Task {
    loss: Loss,
    classes: usize,
    l2: f64,
    l1: f64,
}

impl Task {
    /// The loss of outputs `z` against `label`, and its gradient d(loss)/dz.
    fn loss(&self, z: &[f64], label: f64) -> (f64, Vec<f64>) {
        match self.loss {
            Loss::CrossEntropy => {
                let y = class_of_label(label, self.classes);
                let top = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                let total: f64 = z.iter().map(|v| (v - top).exp()).sum();
                let value = top + total.ln() - z[y];
                // softmax - onehot
                let gradient = z
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (v - top).exp() / total - if k == y { 1.0 } else { 0.0 })
                    .collect();
                (value, gradient)
            }
            Loss::Hinge => {
                let margin = 1.0 - label * z[0];
                if margin > 0.0 {
                    (margin, vec![-label])
                } else {
                    (0.0, vec![0.0])
                }
            }
            Loss::Mse => ((z[0] - label).powi(2), vec![2.0 * (z[0] - label)]),
            Loss::Logistic => unreachable!("not among the references"),
        }
    }
}

/// The seven features by hand, in TF Playground's order.
fn all_features(row: &[f64]) -> Vec<f64> {
    let (x1, x2) = (row[0], row[1]);
    vec![x1, x2, x1 * x1, x2 * x2, x1 * x2, x1.sin(), x2.sin()]
}

/// Trains `config` on `data` with the engine and with the reference from the same initial
/// weights, and checks every step's objective agrees to 1e-9 relative.
fn engine_matches_reference(
    config: &TrainConfig,
    data: &Dataset,
    features: &dyn Fn(&[f64]) -> Vec<f64>,
) {
    let model = train::build_model(config, data).expect("the config fits the data");
    let weights = values(model.network.parameters_borrowed());
    let widths = model.network.widths();
    let mut reference = Reference::new(
        model.network.input_count(),
        &widths,
        &weights,
        config.activation,
    );
    let task = Task {
        loss: config.loss,
        classes: data.classes(),
        l2: config.l2,
        l1: config.l1,
    };
    let empty = data.subset(&[]);
    let result = train::train_model(
        config,
        train::Start::fresh(model),
        data,
        &empty,
        |_, _| {},
        &AtomicBool::new(false),
    )
    .expect("trains");
    assert_eq!(result.metrics.len(), config.steps);
    let inputs: Vec<Vec<f64>> = data.rows().map(features).collect();
    // the labels as each loss takes them: -1/+1 for two classes, else as they are
    let labels = labels_for_loss(&data.labels, data.classes());
    for (k, metrics) in result.metrics.iter().enumerate() {
        let expected = reference.step(&inputs, &labels, &task, config.lr);
        let error = (metrics.loss - expected).abs() / expected.abs().max(1e-300);
        assert!(
            error < 1e-9,
            "step {k}: engine {} vs reference {expected}",
            metrics.loss
        );
    }
    assert!(
        result.metrics[config.steps - 1].loss < result.metrics[0].loss,
        "it learns"
    );
}

fn constant_rate(steps: usize) -> TrainConfig {
    TrainConfig {
        schedule: Schedule::Constant,
        steps,
        ..TrainConfig::default()
    }
}

#[test]
fn three_classes_with_cross_entropy_relu_and_l2_match_the_reference() {
    let data = Generator::Spiral.generate_classes(60, 0.2, 3, &mut StdRng::seed_from_u64(3));
    let config = TrainConfig {
        hidden: vec![12],
        loss: Loss::CrossEntropy,
        l2: 5e-4,
        lr: 1.0,
        ..constant_rate(30)
    };
    engine_matches_reference(&config, &data, &|row| row.to_vec());
}

#[test]
fn all_seven_features_with_tanh_and_l1_match_the_reference() {
    let data = Generator::Moons.generate(40, 0.1, &mut StdRng::seed_from_u64(4));
    let config = TrainConfig {
        hidden: vec![8, 6],
        activation: Activation::Tanh,
        init: Init::Glorot,
        features: Some("x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)".into()),
        l2: 0.0,
        l1: 1e-3,
        lr: 0.3,
        ..constant_rate(30)
    };
    engine_matches_reference(&config, &data, &all_features);
}

#[test]
fn regression_with_mse_matches_the_reference() {
    let data = Generator::Plane.generate(50, 0.05, &mut StdRng::seed_from_u64(5));
    let config = TrainConfig {
        hidden: vec![10, 10],
        loss: Loss::Mse,
        l2: 1e-4,
        lr: 0.1,
        ..constant_rate(30)
    };
    engine_matches_reference(&config, &data, &|row| row.to_vec());
}

/// A table of six named columns, the label in the middle, sorted by class; standardised; three
/// classes with cross-entropy: the engine against the reference (which standardises by hand).
#[test]
fn a_table_of_six_columns_standardised_matches_the_reference() {
    let mut text = String::from("a,b,c,kind,d,e,f\n");
    let mut rng = StdRng::seed_from_u64(9);
    use rand::RngExt;
    for class in ["low", "mid", "top"] {
        for _ in 0..20 {
            let shift = match class {
                "low" => -1.0,
                "mid" => 0.0,
                _ => 1.0,
            };
            let v: Vec<f64> = (0..6)
                .map(|j| {
                    shift * (j as f64 + 1.0) + rng.random_range(-0.8..0.8) * 10.0_f64.powi(j % 3)
                })
                .collect();
            text.push_str(&format!(
                "{},{},{},{class},{},{},{}\n",
                v[0], v[1], v[2], v[3], v[4], v[5]
            ));
        }
    }
    let data = parse_table(
        &text,
        std::path::Path::new("table.csv"),
        &TableOptions {
            task: scalargrad::data::Task::Classification,
            label: Some("kind"),
            columns: None,
        },
    )
    .expect("a table");
    assert_eq!(data.columns, ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(data.class_names, ["low", "mid", "top"]);
    // the reference's own standardisation: mean and population deviation of each column
    let n = data.len() as f64;
    let means: Vec<f64> = (0..6)
        .map(|j| data.rows().map(|row| row[j]).sum::<f64>() / n)
        .collect();
    let deviations: Vec<f64> = (0..6)
        .map(|j| {
            (data
                .rows()
                .map(|row| (row[j] - means[j]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
        })
        .collect();
    let standardised = move |row: &[f64]| -> Vec<f64> {
        (0..6)
            .map(|j| (row[j] - means[j]) / deviations[j])
            .collect()
    };
    let config = TrainConfig {
        hidden: vec![8],
        loss: Loss::CrossEntropy,
        standardize: true,
        l2: 1e-3,
        lr: 0.5,
        ..constant_rate(25)
    };
    engine_matches_reference(&config, &data, &standardised);
}

/// The shipped digits (64 pixel columns, ten classes): 80 of them through 64-16-10 with
/// softmax cross-entropy and L2, the engine against the float64 reference written above.
#[test]
fn digits_match_the_reference() {
    let digits = scalargrad::data::digits::digits();
    let some: Vec<usize> = (0..80).map(|k| k * 22).collect();
    let data = digits.subset(&some);
    assert_eq!((data.width(), data.classes()), (64, 10));
    let config = TrainConfig {
        hidden: vec![16],
        loss: Loss::CrossEntropy,
        l2: 1e-4,
        lr: 0.5,
        ..constant_rate(10)
    };
    engine_matches_reference(&config, &data, &|row| row.to_vec());
}

#[test]
fn cs231n_spiral_reaches_97_percent_with_cross_entropy() {
    // CS231n's spiral, 3 classes of 100 points, noise 0.2; its float64 reference reaches 98.7%
    // (in 10,000 steps; this network is at 98% from about step 300)
    let data = Generator::Spiral.generate_classes(300, 0.2, 3, &mut StdRng::seed_from_u64(42));
    let config = TrainConfig {
        hidden: vec![100],
        loss: Loss::CrossEntropy,
        lr: 1.0,
        schedule: Schedule::Constant,
        l2: 5e-4,
        steps: 400,
        ..TrainConfig::default()
    };
    let result = train::train(
        &config,
        &data,
        &data.subset(&[]),
        |_| {},
        &AtomicBool::new(false),
    )
    .expect("trains");
    let measures = train::measure(&result.model, config.penalty(), &data);
    assert!(
        measures.accuracy >= 0.97,
        "training accuracy {}",
        measures.accuracy
    );
    let diagonal: usize = (0..3).map(|k| measures.confusion[k][k]).sum();
    assert_eq!(diagonal as f64 / 300.0, measures.accuracy);
}

#[test]
fn cross_entropy_is_finite_for_logits_of_a_thousand() {
    for (logits, label, expected) in [
        ([1000.0, -1000.0, 0.0], 0.0, 0.0),
        ([1000.0, -1000.0, 0.0], 1.0, 2000.0),
        ([-1000.0, -1000.0, -1000.0], 2.0, 3f64.ln()),
    ] {
        let nodes: Vec<Node> = logits.iter().map(|&z| Node::new(z)).collect();
        let total = Loss::CrossEntropy.of_example(&nodes, label);
        total.backward();
        assert!(
            (total.value() - expected).abs() < 1e-9,
            "{logits:?}: {}",
            total.value()
        );
        let grads: Vec<f64> = nodes.iter().map(Node::grad).collect();
        assert!(grads.iter().all(|g| g.is_finite()), "{grads:?}");
        // softmax - onehot sums to 0
        assert!(grads.iter().sum::<f64>().abs() < 1e-12);
        assert_eq!(Loss::CrossEntropy.of_example(&logits, label), total.value());
    }
}

#[test]
fn multiclass_hinge_is_cs231ns_svm_loss() {
    let scores = [Node::new(3.2), Node::new(5.1), Node::new(-1.7)];
    let total = Loss::Hinge.of_example(&scores, 0.0); // class 0
    total.backward();
    // max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9
    assert!((total.value() - 2.9).abs() < 1e-12);
    let grads: Vec<f64> = scores.iter().map(Node::grad).collect();
    assert_eq!(grads, vec![-1.0, 1.0, 0.0]);
}

#[test]
fn standardisation_is_learned_from_the_training_set_and_kept_with_the_model() {
    let data = Generator::Blobs.generate(40, 0.1, &mut StdRng::seed_from_u64(6));
    let config = TrainConfig {
        standardize: true,
        steps: 3,
        ..TrainConfig::default()
    };
    let model = train::build_model(&config, &data).expect("blobs take hinge");
    let scaling = model.inputs.scaling.clone().expect("standardised");
    let inputs: Vec<Vec<f64>> = data.rows().map(|row| model.inputs.of(row)).collect();
    for axis in 0..2 {
        let mean = inputs.iter().map(|x| x[axis]).sum::<f64>() / 40.0;
        let variance = inputs.iter().map(|x| (x[axis] - mean).powi(2)).sum::<f64>() / 40.0;
        assert!(
            mean.abs() < 1e-12 && (variance - 1.0).abs() < 1e-12,
            "axis {axis}"
        );
    }
    let plain = Inputs::plain(data.columns.clone());
    assert_eq!(plain.of(&[2.0, 3.0]), vec![2.0, 3.0]);
    assert_ne!((scaling.apply(0, 2.0), scaling.apply(1, 3.0)), (2.0, 3.0));
    assert_eq!(metrics::predicted_class(&[0.1, 0.9, 0.3]), 1);
}

#[test]
fn the_default_flags_train_every_built_in_dataset_and_a_deep_wide_network() {
    // what the program does without flags, for each dataset: the loss and learning rate its
    // task takes by default, weights scaled to the fan-in
    let defaults = |data: &Dataset, hidden: Vec<usize>| {
        let loss = Loss::default_for(data.classes());
        TrainConfig {
            hidden,
            loss,
            lr: loss.default_learning_rate(),
            init: Init::for_activation(Activation::Relu),
            ..TrainConfig::default()
        }
    };
    let mut cases: Vec<(Dataset, Vec<usize>)> = Generator::ALL
        .iter()
        .map(|g| {
            (
                g.generate(100, 0.1, &mut StdRng::seed_from_u64(42)),
                vec![16, 16],
            )
        })
        .collect();
    let moons = Generator::Moons.generate(100, 0.1, &mut StdRng::seed_from_u64(42));
    cases.push((moons, vec![64, 64, 64]));
    for (data, hidden) in cases {
        let config = defaults(&data, hidden.clone());
        let result =
            train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains");
        let (first, last) = (&result.metrics[0], &result.metrics[config.steps - 1]);
        let what = format!("{:?} {hidden:?}", data.class_names);
        assert_eq!(result.stop, train::Stop::Completed, "{what}");
        assert!(
            last.loss.is_finite() && last.loss < first.loss,
            "{what}: {} -> {}",
            first.loss,
            last.loss
        );
    }
}
