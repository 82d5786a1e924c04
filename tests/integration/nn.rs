//! Neural networks: shapes, parameter order, losses and optimizers against closed forms,
//! training against micrograd's reference losses, save/load.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rand::{SeedableRng, rngs::StdRng};
use scalargrad::Node;
use scalargrad::data::csv::{TableOptions, read_table};
use scalargrad::data::{Dataset, Generator};
use scalargrad::engine::gradcheck_inputs;
use scalargrad::inputs::Inputs;
use scalargrad::model::SavedModel;
use scalargrad::nn::loss::{self, Loss};
use scalargrad::nn::metrics;
use scalargrad::nn::optim::{Adam, Momentum, Optimizer, Schedule, Sgd};
use scalargrad::nn::{Activation, Init, Layer, Mlp, MlpOptions, Module};
use scalargrad::train::{self, Stop, TrainConfig};

fn workload(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench/data")
        .join(name)
}

/// The initial weights of a reference workload, in parameter order.
fn reference_weights(name: &str) -> Vec<f64> {
    scalargrad::model::weights_from_csv(&workload(name)).expect("weights file")
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

#[test]
fn parameter_counts_and_shapes() {
    let mut rng = StdRng::seed_from_u64(0);
    let small = Mlp::new(2, &[16, 16, 1], &mut rng);
    assert_eq!(small.parameters().len(), 337);
    let big = Mlp::new(2, &[64, 64, 1], &mut rng);
    assert_eq!(big.parameters().len(), 4417);
    let wide_out = Mlp::new(3, &[5, 4], &mut rng);
    let outputs = wide_out.forward(&[Node::new(1.0), Node::new(-1.0), Node::new(0.5)]);
    assert_eq!(outputs.len(), 4);
    assert_eq!(
        Layer::new(3, 7, Activation::Tanh, Init::Uniform, &mut rng)
            .parameters()
            .len(),
        28
    );
}

#[test]
fn hidden_layer_of_width_one_works() {
    // micrograd returns a bare Value from a one-neuron layer, which breaks the next layer
    let model = Mlp::new(2, &[1, 1, 1], &mut StdRng::seed_from_u64(1));
    let out = model.forward(&[Node::new(0.3), Node::new(-0.7)]);
    assert_eq!(out.len(), 1);
    out[0].backward();
    assert_eq!(model.parameters().len(), 3 + 2 + 2);
}

#[test]
fn parameters_are_layer_by_layer_neuron_by_neuron_weights_then_bias() {
    let model = Mlp::new(2, &[3, 1], &mut StdRng::seed_from_u64(2));
    let expected: Vec<f64> = model
        .layers()
        .iter()
        .flat_map(|layer| layer.neurons())
        .flat_map(|n| {
            n.weights()
                .iter()
                .map(Node::value)
                .chain([n.bias().value()])
        })
        .collect();
    let actual: Vec<f64> = model.parameters().iter().map(Node::value).collect();
    assert_eq!(actual, expected);
    assert_eq!(
        actual[2], 0.0,
        "the first neuron's bias comes after its 2 weights"
    );
    assert!(actual[0] != 0.0 && actual[1] != 0.0);
}

#[test]
fn predict_matches_forward_bit_for_bit() {
    for activation in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let options = MlpOptions {
            activation,
            init: Init::Glorot,
        };
        let model = Mlp::with_options(2, &[8, 8, 1], options, &mut StdRng::seed_from_u64(3));
        for point in [[0.1, 0.2], [-1.5, 0.7], [3.0, -2.0]] {
            let graph = model.forward(&[Node::new(point[0]), Node::new(point[1])])[0].value();
            assert_eq!(
                model.predict(&point)[0],
                graph,
                "{activation:?} at {point:?}"
            );
        }
    }
}

#[test]
fn losses_match_closed_forms_and_finite_differences() {
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let labels = [1.0, -1.0, 1.0];
    let point = [0.4, 0.3, -2.0];
    for kind in [Loss::Hinge, Loss::Logistic, Loss::Mse] {
        let scores: Vec<Node> = point.iter().map(|&s| Node::new(s)).collect();
        let total = kind.mean(&scores, &labels);
        total.backward();
        for (k, score) in scores.iter().enumerate() {
            let (s, y) = (point[k], labels[k]);
            let (value, slope) = match kind {
                Loss::Hinge => (
                    (1.0 - y * s).max(0.0),
                    if 1.0 - y * s > 0.0 { -y } else { 0.0 },
                ),
                Loss::Logistic => ((1.0 + (-y * s).exp()).ln(), -y * sigmoid(-y * s)),
                Loss::Mse => ((s - y).powi(2), 2.0 * (s - y)),
                Loss::CrossEntropy => unreachable!("one output per class: tested below"),
            };
            assert!(close(score.grad(), slope / 3.0, 1e-12), "{kind:?} d/ds{k}");
            let _ = value;
        }
        let mean: f64 = point
            .iter()
            .zip(labels)
            .map(|(&s, y)| match kind {
                Loss::Hinge => (1.0 - y * s).max(0.0),
                Loss::Logistic => (1.0 + (-y * s).exp()).ln(),
                Loss::Mse => (s - y).powi(2),
                Loss::CrossEntropy => unreachable!("one output per class: tested below"),
            })
            .sum::<f64>()
            / 3.0;
        assert!(
            close(total.value(), mean, 1e-12),
            "{kind:?}: {} vs {mean}",
            total.value()
        );
        assert_eq!(
            total.value(),
            loss::mean_value(kind, &point, &labels),
            "{kind:?}"
        );
        let checks = gradcheck_inputs(|s: &[Node]| kind.mean(s, &labels), &point, 1e-6, 1e-7);
        assert!(checks.iter().all(|c| c.passed), "{kind:?}");
    }
}

#[test]
fn logistic_loss_is_stable_for_huge_scores() {
    for (score, label) in [
        (1000.0, 1.0),
        (-1000.0, 1.0),
        (1000.0, -1.0),
        (-800.0, -1.0),
    ] {
        let s = Node::new(score);
        let total = loss::logistic(std::slice::from_ref(&s), &[label]);
        total.backward();
        let margin: f64 = -label * score;
        assert_eq!(
            total.value(),
            margin.max(0.0),
            "log(1 + e^m) is m or 0 here"
        );
        assert_eq!(s.grad(), if margin > 0.0 { -label } else { 0.0 });
    }
}

#[test]
fn l2_is_alpha_sum_of_squares() {
    let parameters: Vec<Node> = [0.5, -2.0, 3.0].iter().map(|&v| Node::new(v)).collect();
    let penalty = loss::l2(&parameters, 0.01);
    penalty.backward();
    assert!(close(penalty.value(), 0.01 * (0.25 + 4.0 + 9.0), 1e-15));
    for p in &parameters {
        assert_eq!(p.grad(), 2.0 * 0.01 * p.value());
    }
}

#[test]
fn optimizers_follow_their_update_rules() {
    let with_grads = |grads: &[f64]| -> Vec<Node> {
        grads
            .iter()
            .map(|&g| {
                let p = Node::new(1.0);
                (g * &p).backward(); // d(g p)/dp = g
                p
            })
            .collect()
    };
    let parameters = with_grads(&[0.5, -2.0]);
    Sgd.step(&parameters, 0.1);
    assert_eq!(parameters[0].value(), 1.0 - 0.1 * 0.5);
    assert_eq!(parameters[1].value(), 1.0 + 0.1 * 2.0);

    // momentum: v1 = g, v2 = 0.9 g + g (the gradients stay, since we do not zero them)
    let parameters = with_grads(&[0.5]);
    let mut momentum = Momentum::new(0.9);
    momentum.step(&parameters, 0.1);
    momentum.step(&parameters, 0.1);
    assert!(close(
        parameters[0].value(),
        1.0 - 0.1 * 0.5 - 0.1 * (0.9 * 0.5 + 0.5),
        1e-15
    ));

    // Adam's first step moves each parameter by about lr, against its gradient's sign
    let parameters = with_grads(&[0.5, -3.0]);
    Adam::new().step(&parameters, 0.01);
    assert!(close(
        parameters[0].value(),
        1.0 - 0.01 * 0.5 / (0.5 + 1e-8),
        1e-12
    ));
    assert!(close(
        parameters[1].value(),
        1.0 + 0.01 * 3.0 / (3.0 + 1e-8),
        1e-12
    ));
}

/// AdamW through the engine (gradients by `backward`) against PyTorch's AdamW written out in
/// f64 (decay first, then Adam's step with `denom = sqrt(v) / sqrt(bc2) + eps` and step size
/// `lr / bc1`), over several steps of a loss `sum (a p - b)^2`, to 1e-12.
#[test]
fn adamw_matches_pytorchs_formula_step_by_step() {
    let (a, b) = ([0.5, -2.0, 3.0], [1.0, 0.25, -1.5]);
    let (lr, decay) = (0.05, 0.1);
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8);
    let start = [0.3, -0.7, 1.1];
    let parameters: Vec<Node> = start.iter().map(|&p| Node::new(p)).collect();
    let mut adamw = Adam::decoupled(decay);
    let mut p = start;
    let (mut m, mut v) = ([0.0; 3], [0.0; 3]);
    for step in 1..=6 {
        // the engine's step
        let loss = parameters
            .iter()
            .zip(a.iter().zip(&b))
            .map(|(p, (&a, &b))| {
                let r = p * a - b;
                &r * &r
            })
            .fold(Node::new(0.0), |sum, term| sum + term);
        for parameter in &parameters {
            parameter.zero_grad();
        }
        loss.backward();
        adamw.step(&parameters, lr);
        // PyTorch's, by hand
        let (bc1, bc2) = (1.0 - beta1.powi(step), 1.0 - beta2.powi(step));
        for k in 0..3 {
            let g = 2.0 * a[k] * (a[k] * p[k] - b[k]);
            p[k] *= 1.0 - lr * decay;
            m[k] = beta1 * m[k] + (1.0 - beta1) * g;
            v[k] = beta2 * v[k] + (1.0 - beta2) * g * g;
            let denom = v[k].sqrt() / bc2.sqrt() + eps;
            p[k] -= (lr / bc1) * m[k] / denom;
        }
        for (k, parameter) in parameters.iter().enumerate() {
            assert!(
                close(parameter.value(), p[k], 1e-12),
                "step {step}, parameter {k}: {} vs {}",
                parameter.value(),
                p[k]
            );
        }
    }
    // the decay is what sets it apart from Adam: with no gradient, Adam stays, AdamW shrinks
    let still = [Node::new(2.0)];
    Adam::new().step(&still, 0.1);
    assert_eq!(still[0].value(), 2.0);
    Adam::decoupled(0.5).step(&still, 0.1);
    assert_eq!(still[0].value(), 2.0 * (1.0 - 0.1 * 0.5));
}

#[test]
fn schedules() {
    assert_eq!(Schedule::Constant.rate(0.5, 7, 10), 0.5);
    assert_eq!(
        Schedule::Linear.rate(1.0, 99, 100),
        1.0 - 0.9 * 99.0 / 100.0
    );
}

/// Trains micrograd's demo from the reference initial weights, the way a user writes it.
fn train_reference(data: &Dataset, weights: &[f64], steps: usize) -> (Vec<f64>, Mlp) {
    let model = Mlp::new(2, &[16, 16, 1], &mut StdRng::seed_from_u64(0));
    let parameters = model.parameters();
    scalargrad::engine::set_values(&parameters, weights);
    let labels = loss::labels_for_loss(&data.labels, 2); // -1 and +1, micrograd's
    let penalty = loss::Penalty { l2: 1e-4, l1: 0.0 };
    let mut losses = Vec::new();
    for k in 0..steps {
        let scores = train::outputs(&model, &data.inputs, 2);
        let total = loss::objective(Loss::Hinge, &scores, 1, &labels, penalty, &parameters);
        model.zero_grad();
        total.backward();
        Sgd.step(&parameters, Schedule::Linear.rate(1.0, k, 100));
        losses.push(total.value());
    }
    (losses, model)
}

#[test]
fn training_reproduces_micrograd_and_pytorch_losses() {
    let data = read_table(&workload("moons100.csv"), &TableOptions::CLASSES).expect("moons100.csv");
    let (losses, model) = train_reference(&data, &reference_weights("weights_init.csv"), 100);
    assert!(
        close(losses[0], 0.906_719_585_949_445_2, 1e-13),
        "step 0: {}",
        losses[0]
    );
    assert!(
        close(losses[99], 0.011_051_827_936_681_746, 1e-10),
        "step 99: {}",
        losses[99]
    );
    let scores: Vec<f64> = data.rows().map(|row| model.predict(row)[0]).collect();
    let labels = loss::labels_for_loss(&data.labels, 2);
    assert_eq!(metrics::accuracy(&scores, &labels), 1.0);
}

#[test]
fn default_run_learns_the_moons() {
    let mut rng = StdRng::seed_from_u64(7);
    let data = Generator::Moons.generate(100, 0.1, &mut rng);
    let (train_set, test_set) = data.split(0.2, &mut rng);
    let config = TrainConfig::default();
    let result = train::train(
        &config,
        &train_set,
        &test_set,
        |_| {},
        &AtomicBool::new(false),
    )
    .expect("trains");
    assert_eq!(result.stop, Stop::Completed);
    assert_eq!(result.metrics.len(), 100);
    let first = &result.metrics[0];
    let last = &result.metrics[99];
    assert!(last.accuracy >= 0.97, "train accuracy {}", last.accuracy);
    assert!(
        last.loss < first.loss / 10.0,
        "loss {} -> {}",
        first.loss,
        last.loss
    );
    assert!(result.nodes_per_step > 1000);
}

#[test]
fn training_is_deterministic_given_the_seed() {
    let data = Generator::Circles.generate(60, 0.05, &mut StdRng::seed_from_u64(1));
    let config = TrainConfig {
        hidden: vec![6],
        steps: 15,
        ..TrainConfig::default()
    };
    // compared as text: a classifier's regression measures are NaN, which is not == itself
    let run = || {
        let metrics = train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false))
            .expect("trains")
            .metrics;
        format!("{metrics:?}")
    };
    assert_eq!(run(), run());
    let other = TrainConfig {
        seed: 43,
        ..config.clone()
    };
    let different = train::train(&other, &data, &data, |_| {}, &AtomicBool::new(false))
        .expect("trains")
        .metrics;
    assert_ne!(run(), format!("{different:?}"));
}

#[test]
fn every_optimizer_and_loss_trains() {
    let data = Generator::Blobs.generate(80, 0.1, &mut StdRng::seed_from_u64(2));
    for (optimizer, lr) in [("sgd", 0.2), ("momentum", 0.05), ("adam", 0.05)] {
        for loss in [Loss::Hinge, Loss::Logistic, Loss::Mse] {
            let config = TrainConfig {
                hidden: vec![8],
                activation: Activation::Tanh,
                init: Init::Glorot,
                loss,
                optimizer: serde_json::from_str(&format!("\"{optimizer}\"")).expect("a kind"),
                lr,
                steps: 60,
                batch_size: Some(32),
                ..TrainConfig::default()
            };
            let result = train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false))
                .expect("trains");
            let measured = train::measure(&result.model, config.penalty(), &data);
            let (loss_after, accuracy) = (measured.loss, measured.accuracy);
            assert!(loss_after < result.metrics[0].loss, "{optimizer} {loss:?}");
            assert!(accuracy >= 0.9, "{optimizer} {loss:?}: {accuracy}");
        }
    }
}

#[test]
fn interrupt_stops_before_the_first_step() {
    let data = Generator::Xor.generate(20, 0.0, &mut StdRng::seed_from_u64(0));
    let result = train::train(
        &TrainConfig::default(),
        &data,
        &data,
        |_| {},
        &AtomicBool::new(true),
    )
    .expect("trains");
    assert_eq!(result.stop, Stop::Interrupted { step: 0 });
    assert!(result.metrics.is_empty());
}

#[test]
fn divergence_is_detected_at_its_step() {
    let data = Generator::Moons.generate(50, 0.1, &mut StdRng::seed_from_u64(0));
    let config = TrainConfig {
        lr: 1e6,
        loss: Loss::Mse,
        ..TrainConfig::default()
    };
    let result =
        train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains");
    let Stop::Diverged { step } = result.stop else {
        panic!("{:?}", result.stop)
    };
    assert_eq!(result.metrics.len(), step);
    assert!(result.metrics.iter().all(|m| m.loss.is_finite()));
}

#[test]
fn saved_model_predicts_the_same_bit_for_bit() {
    let options = MlpOptions {
        activation: Activation::Tanh,
        init: Init::He,
    };
    let model = Mlp::with_options(2, &[5, 3, 1], options, &mut StdRng::seed_from_u64(9));
    for p in model.parameters() {
        p.set_value(p.value() * std::f64::consts::PI / 3.0); // awkward binary fractions
    }
    let config = serde_json::json!({ "note": "test" });
    let path = std::env::temp_dir().join(format!("scalargrad-model-{}.json", std::process::id()));
    SavedModel::from_model(&model, config.clone())
        .save(&path)
        .expect("save");
    let loaded_file = SavedModel::load(&path).expect("load");
    std::fs::remove_file(&path).expect("clean up");
    assert_eq!(loaded_file.config, config);
    let loaded = loaded_file.to_model().expect("a model");
    for x in [-2.0, -0.3, 0.0, 0.7, 1.9] {
        for y in [-1.1, 0.0, 0.45] {
            assert_eq!(
                model.predict(&[x, y])[0].to_bits(),
                loaded.predict(&[x, y])[0].to_bits()
            );
        }
    }
}

#[test]
fn loading_a_broken_model_file_is_an_error() {
    let mut file = SavedModel::from_model(
        &Mlp::new(2, &[2, 1], &mut StdRng::seed_from_u64(0)),
        serde_json::Value::Null,
    );
    file.weights[1][0].pop();
    let error = file.to_model().expect_err("inconsistent").to_string();
    assert!(
        error.contains("layer 1 neuron 0: 2 values saved, 3 expected"),
        "{error}"
    );
    let path = std::env::temp_dir().join(format!("scalargrad-bad-{}.json", std::process::id()));
    std::fs::write(&path, "{\"format\": 1}").expect("write");
    let error = SavedModel::load(&path)
        .expect_err("not a model")
        .to_string();
    std::fs::remove_file(&path).expect("clean up");
    assert!(error.starts_with("not a scalargrad model file"), "{error}");
}

#[test]
fn two_threads_train_like_one_up_to_summation_order() {
    let data = Generator::Moons.generate(101, 0.1, &mut StdRng::seed_from_u64(4));
    let run = |threads: usize| {
        let config = TrainConfig {
            threads,
            steps: 25,
            ..TrainConfig::default()
        };
        train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains")
    };
    let (one, two, three) = (run(1), run(2), run(3));
    assert_eq!(one.metrics.len(), 25);
    for other in [&two, &three] {
        for (a, b) in one.metrics.iter().zip(&other.metrics) {
            assert!(
                close(a.loss, b.loss, 1e-10),
                "step {}: {} vs {}",
                a.step,
                a.loss,
                b.loss
            );
            assert_eq!(a.accuracy, b.accuracy, "step {}", a.step);
            assert!(close(a.test_loss, b.test_loss, 1e-10));
        }
        // each share adds its own mean and weighting: a few nodes per thread
        assert!(
            one.nodes_per_step.abs_diff(other.nodes_per_step) <= 18,
            "{} vs {}",
            one.nodes_per_step,
            other.nodes_per_step
        );
    }
    // the gradient itself, directly: same up to rounding, and not trivially zero
    let model = Mlp::new(2, &[8, 1], &mut StdRng::seed_from_u64(5));
    let config = TrainConfig {
        hidden: vec![8],
        ..TrainConfig::default()
    };
    let examples = train::Examples::encode(&Inputs::plain(data.columns.clone()), &data);
    let objective = train::Objective {
        loss: config.loss,
        penalty: config.penalty(),
    };
    train::batch_gradient(objective, &model, &examples, None).expect("one thread");
    let single = scalargrad::engine::gradients(&model.parameters());
    let workers = train::Workers::new(2);
    train::batch_gradient(objective, &model, &examples, Some(&workers)).expect("workers run");
    let parallel = scalargrad::engine::gradients(&model.parameters());
    assert!(single.iter().any(|&g| g.abs() > 1e-3));
    for (a, b) in single.iter().zip(&parallel) {
        assert!(close(*a, *b, 1e-12), "{a} vs {b}");
    }
}

#[test]
fn shared_batches_count_the_penalty_once_whatever_their_size() {
    // the penalty rides with exactly one share; with fewer examples than threads some threads
    // get no share at all, and a batch of one example is this thread's alone
    let data = Generator::Moons.generate(7, 0.1, &mut StdRng::seed_from_u64(6));
    let encoded = train::Examples::encode(&Inputs::plain(data.columns.clone()), &data);
    let model = Mlp::new(2, &[6, 1], &mut StdRng::seed_from_u64(7));
    // strong enough that counting the penalty twice, or not at all, moves every gradient
    let config = TrainConfig {
        hidden: vec![6],
        l2: 0.5,
        l1: 0.25,
        ..TrainConfig::default()
    };
    let objective = train::Objective {
        loss: config.loss,
        penalty: config.penalty(),
    };
    let workers = train::Workers::new(3);
    for size in [1, 2, 3, 7] {
        let batch = encoded.subset(&(0..size).collect::<Vec<_>>());
        let one = train::batch_gradient(objective, &model, &batch, None).expect("one thread");
        let single = scalargrad::engine::gradients(&model.parameters());
        let three =
            train::batch_gradient(objective, &model, &batch, Some(&workers)).expect("workers run");
        let shared = scalargrad::engine::gradients(&model.parameters());
        assert!(
            close(one.loss, three.loss, 1e-12),
            "{size} examples: {} vs {}",
            one.loss,
            three.loss
        );
        for (a, b) in single.iter().zip(&shared) {
            assert!(close(*a, *b, 1e-12), "{size} examples: {a} vs {b}");
        }
    }
}

#[test]
fn a_bad_parameter_file_names_the_line() {
    let path = std::env::temp_dir().join(format!("scalargrad-params-{}.csv", std::process::id()));
    std::fs::write(
        &path,
        "layer,neuron,kind,idx,value\n0,0,w,0,0.5\n0,0,b,1,oops\n",
    )
    .expect("write");
    let error = scalargrad::model::weights_from_csv(&path)
        .expect_err("bad")
        .to_string();
    std::fs::remove_file(&path).expect("clean up");
    assert!(
        error.ends_with("line 3: the last column must be a finite number, found \"oops\""),
        "{error}"
    );
}

#[test]
fn the_one_access_forward_matches_layer_by_layer() {
    // Mlp::forward records the whole network at once when the layout allows; going layer by
    // layer (what it falls back to) must give the same values and gradients, bit for bit.
    let model = Mlp::new(2, &[5, 4, 1], &mut StdRng::seed_from_u64(8));
    let run = |path: &str| {
        let inputs = [Node::new(0.7), Node::new(-0.4)];
        let out = if path == "forward" {
            model.forward(&inputs).remove(0)
        } else if path == "output" {
            model.output(&inputs)
        } else {
            let mut values = inputs.to_vec();
            for layer in model.layers() {
                values = layer.forward(&values);
            }
            values.remove(0)
        };
        model.zero_grad();
        (out.pow(2.0) + out.exp()).backward();
        let grads = scalargrad::engine::gradients(&model.parameters());
        let input_grads = scalargrad::engine::gradients(&inputs);
        (out.value(), grads, input_grads)
    };
    let (stacked, layered, single) = (run("forward"), run("layers"), run("output"));
    assert_eq!(stacked, layered);
    assert_eq!(single, layered);
    assert!(stacked.1.iter().any(|&g| g != 0.0));

    // inputs that are not consecutive nodes take the general path, with the same result
    let a = Node::new(0.7);
    let _between = Node::new(99.0);
    let b = Node::new(-0.4);
    let out = model.forward(&[a.clone(), b.clone()]).remove(0);
    assert_eq!(out.value(), stacked.0);
    assert_eq!(model.output(&[a, b]).value(), stacked.0);
}

/// A batch through `forward_rows` is each row through `forward_row`: the same outputs and
/// parameter gradients, bit for bit; no rows give no outputs, and rows that are not whole (or
/// two rows given to `forward_row`) are refused with a panic that says so, recording nothing.
#[test]
fn a_batch_of_rows_is_its_rows_one_by_one() {
    let model = Mlp::new(3, &[6, 4, 2], &mut StdRng::seed_from_u64(9));
    let rows: Vec<f64> = (0..5 * 3).map(|j| (j as f64 * 1.3).sin()).collect();
    let run = |outputs: Vec<Node>| {
        model.zero_grad();
        let squares: Vec<Node> = outputs.iter().map(|o| o * o).collect();
        scalargrad::engine::sum(&squares).backward();
        let grads = scalargrad::engine::gradients(&model.parameters());
        (scalargrad::engine::values(&outputs), grads)
    };
    let together = run(model.forward_rows(&rows));
    let one_by_one = run(rows
        .chunks(3)
        .flat_map(|row| model.forward_row(row))
        .collect());
    assert_eq!(together, one_by_one);
    assert_eq!(together.0.len(), 5 * 2);
    assert!(model.forward_rows(&[]).is_empty());
    let before = scalargrad::engine::tape_length();
    for (rows, why) in [
        (&rows[..4], "4 numbers for rows of 3"),
        (&rows[..6], "2 rows to forward_row"),
    ] {
        let refused = std::panic::catch_unwind(|| {
            if rows.len() == 6 {
                model.forward_row(rows)
            } else {
                model.forward_rows(rows)
            }
        });
        let message = match refused.expect_err(why).downcast::<String>() {
            Ok(message) => *message,
            Err(_) => String::new(),
        };
        assert!(
            message.contains("rows of 3") || message.contains("inputs"),
            "{why}: {message}"
        );
    }
    assert_eq!(
        scalargrad::engine::tape_length(),
        before,
        "nothing recorded"
    );
}

#[test]
fn output_refuses_a_network_with_more_than_one_output() {
    let model = Mlp::new(2, &[3, 2], &mut StdRng::seed_from_u64(8));
    let before = scalargrad::engine::tape_length();
    let refused = std::panic::catch_unwind(|| model.output(&[Node::new(0.7), Node::new(-0.4)]));
    let message = *refused
        .expect_err("two outputs")
        .downcast::<String>()
        .expect("a formatted message");
    assert!(message.contains("2 outputs"), "{message}");
    assert_eq!(
        scalargrad::engine::tape_length(),
        before,
        "nothing recorded"
    );
}

#[test]
fn grad_norm_is_the_norm_of_the_gradient_the_optimizer_used() {
    let data = Generator::Moons.generate(30, 0.1, &mut StdRng::seed_from_u64(11));
    let config = TrainConfig {
        hidden: vec![5],
        steps: 2,
        ..TrainConfig::default()
    };
    let result =
        train::train(&config, &data, &data, |_| {}, &AtomicBool::new(false)).expect("trains");
    // the same start, its first gradient computed here
    let model = train::build_model(&config, &data).expect("moons take hinge");
    let examples = train::Examples::encode(&model.inputs, &data);
    let objective = train::Objective {
        loss: config.loss,
        penalty: config.penalty(),
    };
    train::batch_gradient(objective, &model.network, &examples, None).expect("one thread");
    let gradient = scalargrad::engine::gradients(model.network.parameters_borrowed());
    let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    assert!(norm > 0.0);
    assert_eq!(result.metrics[0].grad_norm, norm);
    assert!((0.0..=1.0).contains(&result.metrics[0].dead_fraction));
}

#[test]
fn dead_fraction_counts_the_hidden_relus_that_are_0_on_every_example() {
    let data = Generator::Moons.generate(40, 0.1, &mut StdRng::seed_from_u64(3));
    let config = TrainConfig {
        hidden: vec![12, 12],
        steps: 1,
        ..TrainConfig::default()
    };
    let model = train::build_model(&config, &data).expect("moons take hinge");
    // two units off on every point of the plane near the data: a bias far below any sum
    let layers = model.network.layers();
    layers[0].neurons()[3].bias().set_value(-100.0);
    layers[1].neurons()[7].bias().set_value(-100.0);
    // counted here layer by layer through nodes (the general path, not the fused one)
    let examples = train::Examples::encode(&model.inputs, &data);
    let mut alive = [false; 24];
    for example in examples.inputs.chunks_exact(examples.width) {
        let mut values: Vec<Node> = example.iter().map(|&x| Node::new(x)).collect();
        for (l, layer) in layers[..2].iter().enumerate() {
            values = layer.forward(&values);
            for (k, node) in values.iter().enumerate() {
                alive[12 * l + k] |= node.value() != 0.0;
            }
        }
    }
    let dead = alive.iter().filter(|&&a| !a).count();
    assert!(dead >= 2, "the two units set off are dead");
    let result = train::train_model(
        &config,
        train::Start::fresh(model),
        &data,
        &data,
        |_, _| {},
        &AtomicBool::new(false),
    )
    .expect("trains");
    assert_eq!(result.metrics[0].dead_fraction, dead as f64 / 24.0);
}

/// `Model::input_gradient` (a saliency map) against central differences of the model's
/// outputs, for every output and input, and the parameters' gradients left as they were.
#[test]
fn input_gradients_match_central_differences() {
    use scalargrad::model::Model;
    let columns: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let model = Model {
        network: scalargrad::nn::Mlp::new(3, &[5, 4, 3], &mut StdRng::seed_from_u64(3)),
        inputs: Inputs::plain(columns),
        class_names: vec!["x".into(), "y".into(), "z".into()],
        loss: Loss::CrossEntropy,
        label: "label".into(),
    };
    let before: Vec<f64> = model
        .network
        .parameters_borrowed()
        .iter()
        .map(|p| p.grad())
        .collect();
    let row = [0.3, -1.2, 0.8];
    let predictor = model.predictor();
    let eps = 1e-6;
    for output in 0..3 {
        let gradient = model.input_gradient(&row, output);
        for j in 0..3 {
            let shifted = |by: f64| {
                let mut moved = row;
                moved[j] += by;
                predictor.outputs(&moved)[output]
            };
            let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
            assert!(
                (gradient[j] - numeric).abs() <= 1e-7 * numeric.abs().max(1.0),
                "output {output}, input {j}: {} vs {numeric}",
                gradient[j]
            );
        }
    }
    let after: Vec<f64> = model
        .network
        .parameters_borrowed()
        .iter()
        .map(|p| p.grad())
        .collect();
    assert_eq!(before, after);
}
