//! Model files that are broken, each in one way, made from a good one (`tests/data/v2/two.*`):
//! every subcommand that reads a model refuses each with exit 2 and a message naming what is
//! wrong, and the JSON and safetensors forms are held to the same checks. A valid file whose
//! header happens to start like JSON is still read as safetensors.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{run, scratch, text};

fn v2(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/v2")
        .join(name)
}

/// A safetensors file split into its header (as JSON) and its data bytes.
fn safetensors_parts() -> (Value, Vec<u8>) {
    let bytes = std::fs::read(v2("two.model.safetensors")).expect("the fixture");
    let length = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + length]).expect("a JSON header");
    (header, bytes[8 + length..].to_vec())
}

/// A safetensors file from a header and data, the header padded with spaces to `length` bytes
/// when given.
fn safetensors_bytes(header: &Value, data: &[u8], length: Option<usize>) -> Vec<u8> {
    let mut head = header.to_string().into_bytes();
    if let Some(length) = length {
        head.resize(length, b' ');
    }
    let mut bytes = (head.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(data);
    bytes
}

/// The good safetensors file changed by `change` (on its header and data).
fn broken_safetensors(change: impl Fn(&mut Value, &mut Vec<u8>)) -> Vec<u8> {
    let (mut header, mut data) = safetensors_parts();
    change(&mut header, &mut data);
    safetensors_bytes(&header, &data, None)
}

/// The good model.json changed by `change`.
fn broken_json(change: impl Fn(&mut Value)) -> Vec<u8> {
    let mut model: Value =
        serde_json::from_slice(&std::fs::read(v2("two.model.json")).expect("the fixture"))
            .expect("JSON");
    change(&mut model);
    model.to_string().into_bytes()
}

/// Sets metadata `key` of a safetensors header to `value` (metadata values are JSON text).
fn set_metadata(header: &mut Value, key: &str, value: &Value) {
    header["__metadata__"][key] = Value::String(value.to_string());
}

#[test]
fn every_reader_refuses_each_broken_model_file_naming_the_problem() {
    let dir = scratch("model_files", "broken");
    let eleven: Vec<String> = (0..11).map(|k| k.to_string()).collect();
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "a tensor missing",
            "safetensors",
            broken_safetensors(|h, _| {
                h.as_object_mut().expect("an object").remove("2.weight");
            }),
            "the tensor \"2.weight\" is missing",
        ),
        (
            "a NaN weight",
            "safetensors",
            broken_safetensors(|_, d| d[..8].copy_from_slice(&f64::NAN.to_le_bytes())),
            "a weight is NaN: every weight must be a finite number",
        ),
        (
            "an infinite weight",
            "safetensors",
            broken_safetensors(|_, d| d[..8].copy_from_slice(&f64::INFINITY.to_le_bytes())),
            "a weight is inf: every weight must be a finite number",
        ),
        (
            "11 class names on one output",
            "safetensors",
            broken_safetensors(|h, _| set_metadata(h, "classes", &json!(eleven))),
            "11 classes",
        ),
        (
            "11 class names on one output",
            "json",
            broken_json(|m| m["class_names"] = json!(eleven)),
            "11 classes",
        ),
        (
            "two tensors sharing bytes",
            "safetensors",
            broken_safetensors(|h, _| h["0.bias"]["data_offsets"] = json!([240, 280])),
            "overlap",
        ),
        (
            "a scaling deviation of 0",
            "safetensors",
            broken_safetensors(|h, _| {
                let scaling = json!({"mean": [0.0, 0.0], "deviation": [0.0, 1.0]});
                set_metadata(h, "scaling", &scaling);
            }),
            "deviations > 0",
        ),
        (
            "a scaling deviation of 0",
            "json",
            broken_json(|m| m["scaling"]["deviation"] = json!([0.0, 1.0])),
            "deviations > 0",
        ),
        (
            "a step count no run could reach",
            "json",
            broken_json(|m| m["steps_done"] = json!(u64::MAX)),
            "steps_done is 18446744073709551615",
        ),
        (
            "weights of the wrong count",
            "json",
            broken_json(|m| {
                m["weights"].as_array_mut().expect("weights").pop();
            }),
            "2 weight lists for 3 layers",
        ),
    ];
    let points = v2("points.csv");
    let labelled = dir.join("labelled.csv");
    let rows: String = std::fs::read_to_string(&points)
        .expect("points")
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("{line},label\n"),
            _ => format!("{line},{}\n", if i % 2 == 0 { "+1" } else { "-1" }),
        })
        .collect();
    std::fs::write(&labelled, rows).expect("write");
    for (what, format, bytes, message) in &cases {
        let model = dir.join(format!("model.{format}"));
        std::fs::write(&model, bytes).expect("write");
        let model = model.to_str().expect("utf-8");
        let exported = dir.join("exported.json");
        let commands: [Vec<&str>; 3] = [
            vec![
                "evaluate",
                "--model",
                model,
                "--data",
                labelled.to_str().expect("utf-8"),
            ],
            vec![
                "predict",
                "--model",
                model,
                "--data",
                points.to_str().expect("utf-8"),
            ],
            vec![
                "export",
                "--model",
                model,
                "--out",
                exported.to_str().expect("utf-8"),
            ],
        ];
        for args in &commands {
            let output = run(args);
            let stderr = text(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{what} ({format}), {}: {stderr}",
                args[0]
            );
            assert!(
                stderr.contains(message),
                "{what} ({format}), {}: {stderr}",
                args[0]
            );
            assert!(!exported.exists(), "{what}: nothing exported");
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A valid safetensors file whose header length's first byte is `{` (0x7B) is safetensors, not
/// JSON: its predictions are the model.json's.
#[test]
fn a_safetensors_header_length_that_starts_like_json_is_still_safetensors() {
    let dir = scratch("model_files", "brace");
    let (header, data) = safetensors_parts();
    let length = (header.to_string().len() / 256 + 1) * 256 + 0x7B;
    let bytes = safetensors_bytes(&header, &data, Some(length));
    assert_eq!(bytes[0], b'{');
    let model = dir.join("brace.safetensors");
    std::fs::write(&model, bytes).expect("write");
    let points = v2("points.csv");
    let predict = |model: &Path| {
        let output = run(&[
            "predict",
            "--model",
            model.to_str().expect("utf-8"),
            "--data",
            points.to_str().expect("utf-8"),
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    assert_eq!(predict(&model), predict(&v2("two.model.json")));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// `--init-from` a model.json: the optimizer's state must fit the model, and the progress
/// counts on from the steps the model took.
#[test]
fn resuming_checks_the_optimizer_state_and_counts_on_from_the_model() {
    let dir = scratch("model_files", "resume");
    let first = dir.join("first");
    let train = |out: &Path, extra: &[&str]| {
        let mut args = vec!["--optimizer", "momentum", "--steps", "5", "--frames", "0"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().expect("utf-8")]);
        run(&args)
    };
    let output = train(&first, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut model: Value =
        serde_json::from_slice(&std::fs::read(first.join("model.json")).expect("model.json"))
            .expect("JSON");
    let parameters = model["optimizer"]["velocity"]
        .as_array()
        .expect("a velocity")
        .len();
    assert_eq!(parameters, 337);
    model["steps_done"] = json!(100);
    let resumed = dir.join("hundred.json");
    std::fs::write(&resumed, model.to_string()).expect("write");
    let output = train(
        &dir.join("second"),
        &["--init-from", resumed.to_str().expect("utf-8")],
    );
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("step 105/105"), "{stderr}");
    model["optimizer"]["velocity"] = json!([0.1, 0.2, 0.3]);
    std::fs::write(&resumed, model.to_string()).expect("write");
    let output = train(
        &dir.join("third"),
        &["--init-from", resumed.to_str().expect("utf-8")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the optimizer's velocity has 3 values for a model of 337 parameters"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
