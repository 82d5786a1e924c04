//! `--dataset digits`: the shipped 8x8 digits train with their own defaults (64 hidden ReLU
//! units, Adam, mini-batches of 32), a flag given explicitly winning over them.

use serde_json::Value;

use crate::common::{run, scratch, text};

#[test]
fn digits_train_with_their_own_defaults_and_a_given_flag_wins() {
    let dir = scratch("digits", "defaults");
    let out = dir.join("out");
    // the defaults take 1,500 steps (98% held out, about a second in a release build); 100
    // steps (95% held out) keep this test short in a debug build
    let output = run(&[
        "--dataset",
        "digits",
        "--steps",
        "100",
        "--frames",
        "0",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let run_json: Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("JSON");
    let config = &run_json["config"];
    assert_eq!(config["hidden"], serde_json::json!([64]), "{config}");
    assert_eq!(config["optimizer"], "adam", "{config}");
    assert_eq!(config["batch_size"], 32, "{config}");
    assert_eq!(config["steps"], 100, "the flag given wins: {config}");
    assert_eq!(
        run_json["data"]["columns"].as_array().map(Vec::len),
        Some(64)
    );
    let classes: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    assert_eq!(run_json["class_names"], serde_json::json!(classes));
    let held_out = run_json["final"]["test_accuracy"]
        .as_f64()
        .expect("an accuracy");
    assert!(held_out > 0.85, "held-out accuracy {held_out}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
