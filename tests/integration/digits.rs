//! `--dataset digits`: the shipped 8x8 digits train with their own defaults (64 hidden ReLU
//! units, Adam, mini-batches of 32), a flag given explicitly winning over them.

use serde_json::Value;

use crate::common::{png_size, run, scratch, text};

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
    // the pictures of images, at the sizes their layouts give: 64 units in 8 rows of 8 tiles of
    // 8 x 12 pixels; 8 images and their saliency in 2 rows of 4 pairs; rows of 10 mistakes
    for (file, size) in [
        ("weights.png", Some((936, 1088))),
        ("saliency.png", Some((968, 364))),
        ("mistakes.png", None),
    ] {
        let (width, height) = png_size(&out.join(file));
        if let Some(expected) = size {
            assert_eq!((width, height), expected, "{file}");
        } else {
            assert_eq!(width, 1160, "{file}");
            assert!(
                height >= 222 && (height - 80) % 142 == 0,
                "{file}: {height}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// `--image WxH` makes any table's columns an image; a shape that does not hold the columns,
/// or one beside `--features`, is refused naming `--image`.
#[test]
fn image_pictures_follow_the_image_flag() {
    let dir = scratch("digits", "image");
    let table = dir.join("squares.csv");
    let mut csv = String::from("a,b,c,d,label\n");
    for i in 0..40 {
        let on = i % 2;
        csv.push_str(&format!(
            "{on},{},{},{on},{}\n",
            1 - on,
            1 - on,
            if on == 1 { "diagonal" } else { "anti" }
        ));
    }
    std::fs::write(&table, csv).expect("a table");
    let out = dir.join("out");
    let output = run(&[
        "--data",
        table.to_str().expect("utf-8"),
        "--image",
        "2x2",
        "--steps",
        "20",
        "--frames",
        "2",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for file in [
        "weights.png",
        "mistakes.png",
        "saliency.png",
        "training.gif",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    assert!(
        !out.join("decision_boundary.png").exists(),
        "a slice through two pixels is not drawn for an image"
    );
    let plain = dir.join("plain");
    let output = run(&[
        "--data",
        table.to_str().expect("utf-8"),
        "--steps",
        "2",
        "--frames",
        "0",
        "--out",
        plain.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !plain.join("weights.png").exists(),
        "columns not named as pixels: no image pictures"
    );
    assert!(
        plain.join("decision_boundary.png").is_file(),
        "the map, for a table"
    );
    for (flags, expected) in [
        (
            vec!["--image", "3x3"],
            "--image: 3x3 is 9 pixels but the data has 4 input columns",
        ),
        (
            vec!["--image", "2x2", "--features", "a,b"],
            "--image: draws the columns as pixels",
        ),
        (vec!["--image", "two"], "--image: expected WIDTHxHEIGHT"),
    ] {
        let mut args = vec![
            "--data",
            table.to_str().expect("utf-8"),
            "--steps",
            "2",
            "--out",
        ];
        let refused_out = dir.join("refused");
        args.push(refused_out.to_str().expect("utf-8"));
        args.extend(flags.iter().copied());
        let refused = run(&args);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        assert!(
            text(&refused.stderr).contains(expected),
            "{flags:?}: {}",
            text(&refused.stderr)
        );
        assert!(
            !refused_out.exists(),
            "no output directory for refused flags"
        );
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}
