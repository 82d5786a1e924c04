//! Tables: CSV files of any number of named columns through the program (training, predict,
//! evaluate), and model files of the earlier format predicting bit for bit as they did.

use std::path::{Path, PathBuf};

use crate::common::{run, scratch, text};
use serde_json::Value;

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// A table of `columns` numeric columns named `c0..`, a `kind` label column placed `label_at`
/// among them, three classes separable on the first columns, sorted by class (the way files
/// often come).
fn table(columns: usize, label_at: usize, rows_per_class: usize) -> String {
    let mut names: Vec<String> = (0..columns).map(|k| format!("c{k}")).collect();
    names.insert(label_at, "kind".into());
    let mut text = names.join(",") + "\n";
    for (class, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
        for i in 0..rows_per_class {
            let mut fields: Vec<String> = (0..columns)
                .map(|k| {
                    // deterministic wiggle, the class's offset on the first three columns
                    let wiggle = ((i * 7 + k * 13) % 11) as f64 / 11.0 - 0.5;
                    let offset = if k < 3 { class as f64 * 2.0 } else { 0.0 };
                    format!("{}", offset + wiggle)
                })
                .collect();
            fields.insert(label_at, (*name).to_string());
            text.push_str(&fields.join(","));
            text.push('\n');
        }
    }
    text
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("a file")).expect("JSON")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}

#[test]
fn a_table_with_the_label_in_the_middle_trains_on_its_named_columns() {
    let dir = scratch("tables", "middle");
    let data = write(&dir, "table.csv", &table(5, 2, 30));
    let out = dir.join("out");
    let output = run(&[
        "--data",
        s(&data),
        "--label",
        "kind",
        "--hidden",
        "8",
        "--steps",
        "150",
        "--lr",
        "0.5",
        "--frames",
        "0",
        "--out",
        s(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let run_json = json(&out.join("run.json"));
    assert_eq!(
        run_json["data"]["columns"],
        serde_json::json!(["c0", "c1", "c2", "c3", "c4"])
    );
    assert_eq!(run_json["data"]["label"], "kind");
    assert_eq!(
        run_json["class_names"],
        serde_json::json!(["alpha", "beta", "gamma"])
    );
    // the file is sorted by class; the split shuffles, so the held-out set has every class
    let held_out = run_json["final"]["test_confusion"]
        .as_array()
        .expect("a confusion matrix");
    for (class, row) in held_out.iter().enumerate() {
        let count: u64 = row
            .as_array()
            .expect("a row")
            .iter()
            .filter_map(Value::as_u64)
            .sum();
        assert!(count > 0, "class {class} held out: {held_out:?}");
    }
    assert!(
        run_json["final"]["trained_accuracy"]
            .as_f64()
            .is_some_and(|a| a > 0.9),
        "{}",
        run_json["final"]
    );
    let model = json(&out.join("model.json"));
    assert_eq!(model["version"], 3);
    assert_eq!(model["columns"], run_json["data"]["columns"]);
    assert_eq!(model["label"], "kind");
    // the map is a slice over two columns, the others at their mean
    for name in ["decision_boundary.png", "network.png", "confusion.png"] {
        assert!(out.join(name).exists(), "{name}");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn columns_picks_the_inputs_and_predict_matches_them_by_name_in_any_order() {
    let dir = scratch("tables", "columns");
    let data = write(&dir, "table.csv", &table(4, 4, 20));
    let out = dir.join("out");
    let output = run(&[
        "--data",
        s(&data),
        "--columns",
        "c2,c0",
        "--steps",
        "20",
        "--frames",
        "0",
        "--out",
        s(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let model = json(&out.join("model.json"));
    assert_eq!(model["columns"], serde_json::json!(["c2", "c0"]));
    // the same rows with their columns in another order, and an extra text column
    let shuffled = write(
        &dir,
        "shuffled.csv",
        "note,c0,kind,c2\nfirst,0.25,alpha,-1\nsecond,1.5,beta,2\n",
    );
    let ordered = write(&dir, "ordered.csv", "c2,c0\n-1,0.25\n2,1.5\n");
    let predict = |file: &Path| {
        let output = run(&[
            "predict",
            "--model",
            s(&out.join("model.json")),
            "--data",
            s(file),
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let (a, b) = (predict(&shuffled), predict(&ordered));
    let tail = |csv: &str, skip: usize| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|line| line.split(',').skip(skip).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(tail(&a, 4), tail(&b, 2), "the same outputs:\n{a}\n{b}");
    assert!(
        a.starts_with("note,c0,kind,c2,score_alpha"),
        "the rows as written, then the outputs: {a}"
    );
    // a column the model needs is missing: named, exit 2
    let missing = write(&dir, "missing.csv", "c0,kind\n1,alpha\n");
    let output = run(&[
        "predict",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&missing),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no column \"c2\", which the model takes as an input"),
        "{}",
        text(&output.stderr)
    );
    // evaluate finds the label column by its name
    let output = run(&[
        "evaluate",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&shuffled),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let measured: Value = serde_json::from_str(&text(&output.stdout)).expect("JSON");
    assert_eq!(measured["examples"], 2);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn bad_tables_are_named_errors_without_files() {
    let dir = scratch("tables", "bad");
    let named = write(&dir, "named.csv", "name,size,ok\nann,1,yes\nbob,2,no\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--data", s(&named)],
            "named.csv line 2: column \"name\" is not a number: \"ann\"",
        ),
        (
            vec!["--data", s(&named), "--label", "colour"],
            "--label: no column \"colour\"; the columns are \"name\", \"size\", \"ok\"",
        ),
        (
            vec!["--data", s(&named), "--columns", "size,ok"],
            "--columns: \"ok\" is the label column",
        ),
        (
            vec![
                "--data",
                s(&named),
                "--columns",
                "size",
                "--plot-columns",
                "size,x9",
            ],
            "--plot-columns: no column \"x9\"",
        ),
        (
            vec!["--data", s(&named), "--columns", "size", "--classes", "3"],
            "--classes: a table's classes are its labels",
        ),
        (
            vec!["--label", "ok"],
            "--label: names a column of a table (--data)",
        ),
    ];
    for (k, (flags, message)) in cases.iter().enumerate() {
        let out = dir.join(format!("out{k}"));
        let mut args = flags.clone();
        args.extend(["--out", s(&out)]);
        let output = run(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
        let written = std::fs::read_dir(&out).map_or(0, |entries| entries.count());
        assert_eq!(written, 0, "{flags:?} wrote files");
    }
    // the text column left out, the table trains
    let out = dir.join("good");
    let output = run(&[
        "--data",
        s(&named),
        "--columns",
        "size",
        "--steps",
        "3",
        "--frames",
        "2",
        "--out",
        s(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        out.join("training.gif").exists(),
        "one column: the map is bands"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_table_of_64_columns_trains_and_its_pictures_stay_readable() {
    let dir = scratch("tables", "wide");
    let data = write(&dir, "wide.csv", &table(64, 64, 15));
    let out = dir.join("out");
    let output = run(&[
        "--data",
        s(&data),
        "--hidden",
        "16",
        "--steps",
        "30",
        "--frames",
        "3",
        "--plot-columns",
        "c1,c0",
        "--out",
        s(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("training an MLP 64-16-3"),
        "{}",
        text(&output.stderr)
    );
    let size = |name: &str| {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(out.join(name)).expect("a picture"),
        ));
        let info = decoder.read_info().expect("a PNG").info().clone();
        (info.width, info.height)
    };
    let (width, height) = size("network.png");
    assert!(width <= 4000 && height <= 4000, "{width} x {height}");
    assert!(
        height < 2000,
        "64 inputs shown as 16 and '+48 more': {height}"
    );
    assert_eq!(size("decision_boundary.png"), (800, 600));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// Model files written by format version 2 (`tests/data/v2`, with the predictions that version
/// wrote) predict the same numbers, bit for bit, from either file.
#[test]
fn version_2_model_files_predict_bit_for_bit_as_before() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v2");
    let points = fixtures.join("points.csv");
    for model in ["two", "three"] {
        let expected = std::fs::read_to_string(fixtures.join(format!("{model}.predicted.csv")))
            .expect("the recorded predictions");
        for file in ["model.json", "model.safetensors"] {
            let path = fixtures.join(format!("{model}.{file}"));
            let output = run(&["predict", "--model", s(&path), "--data", s(&points)]);
            assert!(output.status.success(), "{}", text(&output.stderr));
            let found = text(&output.stdout);
            let (found, expected): (Vec<&str>, Vec<&str>) =
                (found.lines().collect(), expected.lines().collect());
            assert_eq!(found[0], expected[0], "{model} {file}: the header");
            assert_eq!(found.len(), expected.len());
            for (row, (a, b)) in found.iter().zip(&expected).enumerate().skip(1) {
                // the inputs: as the file wrote them then, as parsed numbers then
                let (a, b): (Vec<&str>, Vec<&str>) =
                    (a.split(',').collect(), b.split(',').collect());
                for column in 0..2 {
                    let (x, y): (f64, f64) = (
                        a[column].parse().expect("a number"),
                        b[column].parse().expect("a number"),
                    );
                    assert_eq!(x.to_bits(), y.to_bits(), "{model} {file} row {row}");
                }
                // the outputs: the same text, which is the same bits
                assert_eq!(a[2..], b[2..], "{model} {file} row {row}");
            }
        }
    }
}

/// Training and `evaluate` tell classes apart by one rule: labels `-0`, `0`, `1`, `1.0`, `+1`
/// and `1e0` are two classes in both, and `evaluate` on the training file (nothing held out)
/// gives the accuracy training reported.
#[test]
fn training_and_evaluate_read_numeric_labels_by_one_rule() {
    let dir = scratch("tables", "label-rule");
    let spellings = [["-0", "0"], ["1", "1.0"], ["+1", "1e0"]];
    let mut rows = String::from("x1,x2,label\n");
    for k in 0..60 {
        let class = k % 2;
        let x = if class == 0 { -1.0 } else { 1.0 } + (k as f64 * 0.37).sin() * 0.3;
        let label = if class == 0 {
            spellings[0][k % 2]
        } else {
            spellings[1 + k % 2][(k / 2) % 2]
        };
        rows.push_str(&format!("{x},{},{label}\n", (k as f64 * 0.11).cos()));
    }
    let data = write(&dir, "spelled.csv", &rows);
    let out = dir.join("out");
    let output = run(&[
        "--data",
        s(&data),
        "--test-fraction",
        "0",
        "--steps",
        "30",
        "--frames",
        "0",
        "--out",
        s(&out),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let run_json = json(&out.join("run.json"));
    assert_eq!(run_json["class_names"], serde_json::json!(["-0", "+1"])); // as first written
    let trained = run_json["final"]["trained_accuracy"]
        .as_f64()
        .expect("an accuracy");
    let output = run(&[
        "evaluate",
        "--model",
        s(&out.join("model.json")),
        "--data",
        s(&data),
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let evaluated: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let accuracy = evaluated["accuracy"].as_f64().expect("an accuracy");
    assert!(
        (accuracy - trained).abs() < 1e-12,
        "evaluate {accuracy} vs training {trained}: {evaluated}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
