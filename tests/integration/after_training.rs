//! Using a trained model: `predict`, `evaluate`, `export`, resuming a run, and loaders that never
//! panic on bad files.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use scalargrad::model::Model;
use scalargrad::model::SavedModel;

use crate::common::{run, text};

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("after", name)
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

fn moons() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/moons100.csv")
}

/// Trains a model with `flags` into `out` (no animation: its files are what is used here) and
/// returns its directory.
fn trained(out: &Path, flags: &[&str]) -> PathBuf {
    let mut args = flags.to_vec();
    args.extend(["--frames", "0", "--out", s(out)]);
    let output = run(&args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    out.to_path_buf()
}

/// The rows of a CSV text, split at commas (the files here have no quoted fields).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|line| line.split(',').map(String::from).collect())
        .collect()
}

/// A forward pass of model.json's weights written here over plain arrays (ReLU hidden layers,
/// linear output), as a check independent of the library's.
fn forward(model: &serde_json::Value, point: [f64; 2]) -> Vec<f64> {
    let layers = model["weights"].as_array().expect("layers");
    let mut values = point.to_vec();
    for (l, layer) in layers.iter().enumerate() {
        let last = l + 1 == layers.len();
        values = layer
            .as_array()
            .expect("neurons")
            .iter()
            .map(|neuron| {
                let numbers: Vec<f64> = neuron
                    .as_array()
                    .expect("numbers")
                    .iter()
                    .map(|v| v.as_f64().expect("a number"))
                    .collect();
                let (weights, bias) = numbers.split_at(numbers.len() - 1);
                let sum = bias[0] + weights.iter().zip(&values).map(|(w, x)| w * x).sum::<f64>();
                if last { sum } else { sum.max(0.0) }
            })
            .collect();
    }
    values
}

#[test]
fn predict_matches_an_independent_forward_pass_and_both_model_files() {
    let dir = scratch("predict");
    let out = trained(&dir.join("run"), &["--steps", "30"]);
    let predicted = run(&[
        "predict",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&moons()),
    ]);
    assert!(predicted.status.success(), "{}", text(&predicted.stderr));
    let csv = text(&predicted.stdout);
    let table = rows(&csv);
    assert_eq!(table[0], ["x1", "x2", "y", "score", "predicted"]);
    assert_eq!(table.len(), 101, "a header and one row per input row");
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).expect("model.json"))
            .expect("json");
    for row in &table[1..] {
        let point = [row[0].parse().expect("x1"), row[1].parse().expect("x2")];
        let score: f64 = row[3].parse().expect("score");
        let expected = forward(&model, point)[0];
        assert!(
            (score - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{row:?} vs {expected}"
        );
        assert_eq!(row[4], if score > 0.0 { "+1" } else { "-1" });
    }
    // the same from model.safetensors, bit for bit, and into a file
    let file = dir.join("predictions.csv");
    let from_safetensors = run(&[
        "predict",
        "--model",
        s(&out.join("model.safetensors")),
        "--data",
        s(&moons()),
        "--out",
        s(&file),
    ]);
    assert!(
        from_safetensors.status.success(),
        "{}",
        text(&from_safetensors.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).expect("predictions"), csv);

    // evaluate agrees with predict's rows
    let evaluated = run(&[
        "evaluate",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&moons()),
        "--json",
    ]);
    assert!(evaluated.status.success(), "{}", text(&evaluated.stderr));
    let report: serde_json::Value = serde_json::from_slice(&evaluated.stdout).expect("json");
    let mut confusion = [[0u64; 2]; 2];
    for row in &table[1..] {
        let truth = usize::from(row[2] == "1");
        let guess = usize::from(row[4] == "+1");
        confusion[truth][guess] += 1;
    }
    assert_eq!(report["confusion"], serde_json::json!(confusion));
    let correct = (confusion[0][0] + confusion[1][1]) as f64;
    assert_eq!(report["accuracy"].as_f64(), Some(correct / 100.0));
    assert_eq!(report["examples"], 100);
    // the data loss: the mean hinge loss of predict's scores
    let mean = table[1..]
        .iter()
        .map(|row| {
            let (y, score): (f64, f64) = (
                row[2].parse().expect("label"),
                row[3].parse().expect("score"),
            );
            (1.0 - y * score).max(0.0)
        })
        .sum::<f64>()
        / 100.0;
    let loss = report["loss"].as_f64().expect("loss");
    assert!((loss - mean).abs() < 1e-12, "{loss} vs {mean}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn predict_for_k_classes_names_scores_and_probabilities_by_class() {
    let dir = scratch("predict-k");
    let out = trained(
        &dir.join("run"),
        &["--dataset", "spiral", "--classes", "3", "--steps", "10"],
    );
    let points = dir.join("points.csv");
    std::fs::write(&points, "0.1,0.2\n-0.3,0.5\n").expect("write");
    let predicted = run(&[
        "predict",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&points),
    ]);
    assert!(predicted.status.success(), "{}", text(&predicted.stderr));
    let table = rows(&text(&predicted.stdout));
    assert_eq!(
        table[0],
        [
            "x1",
            "x2",
            "score_0",
            "score_1",
            "score_2",
            "probability_0",
            "probability_1",
            "probability_2",
            "predicted"
        ]
    );
    for row in &table[1..] {
        let probabilities: Vec<f64> = row[5..8].iter().map(|p| p.parse().expect("p")).collect();
        assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let scores: Vec<f64> = row[2..5].iter().map(|p| p.parse().expect("z")).collect();
        let best = (0..3)
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .expect("a class");
        assert_eq!(row[8], best.to_string());
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn export_f32_is_the_weights_rounded_to_f32() {
    let dir = scratch("export");
    let out = trained(&dir.join("run"), &["--steps", "5"]);
    for (dtype, size) in [("f32", 4), ("f64", 8)] {
        let file = dir.join(format!("model-{dtype}.safetensors"));
        let exported = run(&[
            "export",
            "--model",
            s(&out.join("model.json")),
            "--out",
            s(&file),
            "--dtype",
            dtype,
        ]);
        assert!(exported.status.success(), "{}", text(&exported.stderr));
        let tensors = scalargrad::model::safetensors::parse(&std::fs::read(&file).expect("file"))
            .expect("safetensors");
        let saved = SavedModel::load(&out.join("model.json")).expect("model.json");
        let weights = tensors
            .weights_for(2, &[16, 16, 1])
            .expect("the network's shapes");
        let exact: Vec<f64> = saved.weights.iter().flatten().flatten().copied().collect();
        let expected: Vec<f64> = if size == 4 {
            exact.iter().map(|&w| f64::from(w as f32)).collect()
        } else {
            exact
        };
        assert_eq!(weights, expected, "{dtype}");
        // the data section holds 337 numbers of `size` bytes
        let bytes = std::fs::read(&file).expect("file");
        let header = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        assert_eq!(bytes.len() - 8 - header, 337 * size, "{dtype}");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn resuming_is_exact_for_every_optimizer() {
    let dir = scratch("resume");
    for (optimizer, lr) in [
        ("sgd", "0.5"),
        ("momentum", "0.1"),
        ("adam", "0.01"),
        ("adamw", "0.01"),
    ] {
        let flags = [
            "--optimizer",
            optimizer,
            "--lr",
            lr,
            "--schedule",
            "constant",
            "--test-fraction",
            "0",
        ];
        let with = |steps: &str, extra: &[&str], name: &str| {
            let mut args = flags.to_vec();
            args.extend(["--steps", steps]);
            args.extend(extra);
            let out = dir.join(format!("{optimizer}-{name}"));
            trained(&out, &args);
            std::fs::read_to_string(out.join("metrics.csv")).expect("metrics")
        };
        let whole = with("40", &[], "whole");
        let first = with("20", &[], "first");
        let model = dir.join(format!("{optimizer}-first/model.json"));
        let second = with("20", &["--init-from", s(&model)], "second");
        let whole: Vec<&str> = whole.lines().collect();
        let (first, second): (Vec<&str>, Vec<&str>) =
            (first.lines().collect(), second.lines().collect());
        assert_eq!(&whole[..21], &first[..], "{optimizer}: the first 20 steps");
        // the second run numbers its steps 20..39 and takes the very same steps
        assert_eq!(&whole[21..], &second[1..], "{optimizer}: the next 20 steps");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn bad_model_and_data_files_are_named_errors() {
    let dir = scratch("bad-files");
    let out = trained(&dir.join("run"), &["--steps", "3"]);
    let json = std::fs::read(out.join("model.json")).expect("model.json");
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &json[..json.len() / 2]).expect("write");
    let not_safetensors = dir.join("noise.safetensors");
    std::fs::write(
        &not_safetensors,
        b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!",
    )
    .expect("write");
    let partial = dir.join("partial.safetensors");
    // the first layer only, no metadata
    let network = scalargrad::nn::Mlp::new(
        2,
        &[16],
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0),
    );
    std::fs::write(
        &partial,
        scalargrad::model::safetensors::to_bytes(
            &network,
            scalargrad::model::safetensors::Dtype::F64,
            &Default::default(),
        ),
    )
    .expect("write");
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "x1,x2\n0.5,0.5\n0.5,nope\n").expect("write");
    let unknown_label = dir.join("labels.csv");
    std::fs::write(&unknown_label, "0.5,0.5,1\n0.1,0.2,cat\n").expect("write");
    let model = s(&out.join("model.json")).to_string();
    let moons = moons();
    let missing = dir.join("missing.json");
    let exported = dir.join("x.safetensors");
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (
            vec!["predict", "--model", s(&truncated), "--data", s(&moons)],
            2,
            "not a scalargrad model.json".into(),
        ),
        (
            vec![
                "predict",
                "--model",
                s(&not_safetensors),
                "--data",
                s(&moons),
            ],
            2,
            "not a model file: neither a scalargrad model.json (JSON) nor a safetensors file"
                .into(),
        ),
        (
            vec!["predict", "--model", s(&partial), "--data", s(&moons)],
            2,
            "no scalargrad metadata; give the network's --activation".into(),
        ),
        (
            vec!["predict", "--model", s(&missing), "--data", s(&moons)],
            1,
            "missing.json".into(),
        ),
        (
            vec!["predict", "--model", &model, "--data", s(&bad_csv)],
            2,
            "bad.csv line 3: column \"x2\" is not a number: \"nope\"".into(),
        ),
        (
            vec!["evaluate", "--model", &model, "--data", s(&unknown_label)],
            2,
            "labels.csv line 2: the label \"cat\" is not one of the model's classes".into(),
        ),
        (
            vec!["export", "--model", s(&truncated), "--out", s(&exported)],
            2,
            "truncated.json".into(),
        ),
    ];
    for (args, code, message) in &cases {
        let output = run(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(message.as_str()), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // a foreign file whose tensors do not fit: the tensor and both shapes are named
    let error = Model::from_tensors(
        &tensors_with_wrong_bias(),
        scalargrad::nn::Activation::Relu,
        scalargrad::inputs::Inputs::plain(vec!["x1".into(), "x2".into()]),
        vec!["-1".into(), "+1".into()],
        scalargrad::nn::loss::Loss::Hinge,
        "label".into(),
    )
    .expect_err("wrong shape")
    .to_string();
    assert_eq!(
        error,
        "the tensor \"0.bias\" has shape [3], but the network needs [4]"
    );
    assert!(!dir.join("x.safetensors").exists());
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// Tensors of a 2-4-1 network whose first bias has 3 entries.
fn tensors_with_wrong_bias() -> scalargrad::model::safetensors::Tensors {
    let mut tensors = scalargrad::model::safetensors::Tensors::default();
    tensors
        .tensors
        .insert("0.weight".into(), (vec![4, 2], vec![0.1; 8]));
    tensors
        .tensors
        .insert("0.bias".into(), (vec![3], vec![0.0; 3]));
    tensors
        .tensors
        .insert("2.weight".into(), (vec![1, 4], vec![0.1; 4]));
    tensors
        .tensors
        .insert("2.bias".into(), (vec![1], vec![0.0]));
    tensors
}

/// A valid model.json and model.safetensors of a small model, made once.
fn valid_files() -> (Vec<u8>, Vec<u8>) {
    let data = scalargrad::data::Generator::Blobs.generate(
        20,
        0.1,
        &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1),
    );
    let config = scalargrad::train::TrainConfig {
        hidden: vec![3],
        ..Default::default()
    };
    let model = scalargrad::train::build_model(&config, &data).expect("blobs take hinge");
    let json = serde_json::to_vec(&SavedModel::of(&model, serde_json::Value::Null)).expect("json");
    (
        json,
        model.to_safetensors(scalargrad::model::safetensors::Dtype::F64),
    )
}

/// Both loaders on `bytes`: any answer but a panic.
fn load_both(bytes: &[u8]) {
    if let Ok(saved) = serde_json::from_slice::<SavedModel>(bytes) {
        let _ = saved.model();
    }
    let _ = Model::from_bytes(bytes, None);
}

proptest! {
    #![proptest_config(Config {
        cases: 300,
        rng_seed: RngSeed::Fixed(20261202),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn loaders_never_panic_on_random_bytes_or_truncations(
        noise in prop::collection::vec(any::<u8>(), 0..300),
        cut in 0.0f64..1.0,
        flip in any::<(usize, u8)>(),
    ) {
        load_both(&noise);
        let (json, safetensors) = valid_files();
        for valid in [&json, &safetensors] {
            let end = (valid.len() as f64 * cut) as usize;
            load_both(&valid[..end]);
            let mut flipped = valid.clone();
            let at = flip.0 % flipped.len();
            flipped[at] ^= flip.1;
            load_both(&flipped);
        }
        // the valid files themselves load
        prop_assert!(Model::from_bytes(&safetensors, None).is_ok());
        let saved: SavedModel = serde_json::from_slice(&json).expect("valid json");
        prop_assert!(saved.model().is_ok());
    }
}
