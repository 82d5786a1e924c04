//! The `scalargrad` binary as a user runs it: files written, bad input, faults.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_scalargrad");
const FILES: [&str; 8] = [
    "loss.png",
    "accuracy.png",
    "decision_boundary.png",
    "confusion.png",
    "metrics.csv",
    "model.json",
    "model.safetensors",
    "run.json",
];

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scalargrad-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Width and height of a PNG file, decoding every pixel.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("png exists");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png pixels");
    (info.width, info.height)
}

#[test]
fn default_run_writes_every_file() {
    let dir = scratch("default");
    let out = dir.join("out");
    let output = run(&["--out", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for name in FILES {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    for name in ["loss.png", "accuracy.png", "decision_boundary.png"] {
        assert_eq!(png_size(&out.join(name)), (800, 600), "{name}");
    }
    assert_eq!(png_size(&out.join("confusion.png")), (1000, 520));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "step,loss,accuracy,test_loss,test_accuracy,lr");
    assert_eq!(lines.len(), 101, "a header and one row per step");
    assert!(lines[1].starts_with("0,") && lines[100].starts_with("99,"));
    let last: Vec<f64> = lines[100]
        .split(',')
        .map(|v| v.parse().expect("number"))
        .collect();
    assert!(last[2] >= 0.97, "train accuracy {}", last[2]);

    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run_json["seed"], 42);
    assert_eq!(run_json["config"]["steps"], 100);
    assert_eq!(run_json["config"]["hidden"], serde_json::json!([16, 16]));
    assert_eq!(run_json["stop"]["reason"], "completed");
    assert_eq!(run_json["scalargrad_version"], env!("CARGO_PKG_VERSION"));
    assert!(run_json["nodes_per_step"].as_u64().expect("a count") > 1000);

    let model = scalargrad::nn::SavedModel::load(&out.join("model.json")).expect("model.json");
    assert_eq!(model.widths, vec![16, 16, 1]);

    let stdout = text(&output.stdout);
    assert!(stdout.contains("final (step 99)"), "{stdout}");
    assert!(
        stdout.contains(&format!("wrote 8 files to {}", out.display())),
        "{stdout}"
    );
    // stderr is not a terminal here: plain progress lines every 10% instead of a bar
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("step "))
            .count(),
        10,
        "{stderr}"
    );
    assert!(stderr.contains("step 50/100"), "{stderr}");
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        FILES.len(),
        "no temporary files left: {leftovers:?}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let dir = scratch("seed");
    let metrics = |seed: &str, name: &str| {
        let out = dir.join(name);
        let args = [
            "--steps",
            "15",
            "--seed",
            seed,
            "--dataset",
            "spiral",
            "--out",
            out.to_str().expect("utf-8"),
        ];
        assert!(run(&args).status.success());
        std::fs::read_to_string(out.join("metrics.csv")).expect("csv")
    };
    assert_eq!(metrics("7", "a"), metrics("7", "b"));
    assert_ne!(metrics("7", "a"), metrics("8", "c"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn invalid_flags_exit_2_naming_the_flag_and_range_without_files() {
    let dir = scratch("flags");
    let out = dir.join("out");
    let out_arg = out.to_str().expect("utf-8");
    let cases: [(&[&str], &str); 9] = [
        (
            &["--steps", "0"],
            "'--steps <STEPS>': must be a whole number from 1 to 1000000",
        ),
        (
            &["--hidden", "0"],
            "'--hidden <HIDDEN>': must be comma-separated layer widths from 1 to 4096",
        ),
        (
            &["--hidden", "a,b"],
            "'--hidden <HIDDEN>': must be comma-separated layer widths",
        ),
        (
            &["--lr", "nan"],
            "'--lr <LR>': must be a finite number greater than 0",
        ),
        (
            &["--lr", "-1"],
            "'--lr <LR>': must be a finite number greater than 0",
        ),
        (
            &["--dataset", "mooons"],
            "invalid value 'mooons' for '--dataset <DATASET>'",
        ),
        (
            &["--noise", "inf"],
            "'--noise <NOISE>': must be a number from 0 to 10",
        ),
        (
            &["--batch-size", "0"],
            "'--batch-size <BATCH_SIZE>': must be a whole number from 1",
        ),
        (
            &["--samples", "1"],
            "'--samples <SAMPLES>': must be a whole number from 2 to 1000000",
        ),
    ];
    for (flags, message) in cases {
        let mut args = flags.to_vec();
        args.extend(["--out", out_arg]);
        let output = run(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
        assert!(!out.exists(), "{flags:?} created the output directory");
    }
    let output = run(&["--dataset", "xor", "--data", "some.csv"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot be used with"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn unwritable_output_directory_fails_before_training() {
    let dir = scratch("unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a directory").expect("write");
    let out = blocker.join("out");
    let output = run(&["--out", out.to_str().expect("utf-8")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", out.display())),
        "{stderr}"
    );
    assert!(
        !stderr.contains("training an MLP"),
        "it failed before training: {stderr}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_csv_with_a_bad_line_names_the_file_and_line() {
    let dir = scratch("csv");
    let cases = [
        (
            "x1,x2,label\n0.1,0.2,a\n0.3,oops,b\n",
            "line 3: column x2 is not a number: \"oops\"",
        ),
        (
            "0.1,0.2,a\n0.3,0.4\n",
            "line 2: expected 3 columns (x1,x2,label), found 2",
        ),
        (
            "0,0,a\n0,0,b\n0,0,c\n0,0,d\n0,0,e\n0,0,f\n0,0,g\n0,0,h\n0,0,i\n0,0,j\n0,0,k\n",
            "line 11: an 11th label \"k\"; a classifier takes at most 10 classes",
        ),
        (
            "0.1,NaN,a\n",
            "line 1: column x2 must be a finite number, found NaN",
        ),
        ("", "no data rows"),
    ];
    for (i, (content, message)) in cases.iter().enumerate() {
        let file = dir.join(format!("data{i}.csv"));
        std::fs::write(&file, content).expect("write");
        let out = dir.join(format!("out{i}"));
        let output = run(&[
            "--data",
            file.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{}", file.display())),
            "names the file: {stderr}"
        );
        assert!(stderr.contains(message), "{stderr}");
    }
    let output = run(&[
        "--data",
        dir.join("missing.csv").to_str().expect("utf-8"),
        "--out",
        dir.join("o").to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing.csv: cannot read the file"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_good_csv_trains_with_its_label_names() {
    let dir = scratch("good-csv");
    let mut csv = String::from("x1,x2,label\n");
    for i in 0..40 {
        let t = i as f64 / 40.0;
        csv.push_str(&format!(
            "{},{},{}\n",
            t,
            t * 0.5 - 1.0,
            if i % 2 == 0 { "cat" } else { "dog" }
        ));
    }
    let file = dir.join("pets.csv");
    std::fs::write(&file, csv).expect("write");
    let out = dir.join("out");
    let output = run(&[
        "--data",
        file.to_str().expect("utf-8"),
        "--steps",
        "5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let run_json = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    assert!(run_json.contains("\"cat\"") && run_json.contains("\"dog\""));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn divergence_stops_names_the_step_and_keeps_the_steps_done() {
    let dir = scratch("diverge");
    let out = dir.join("out");
    let output = run(&["--lr", "1e6", "--out", out.to_str().expect("utf-8")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let step: usize = stderr
        .split("at step ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.parse().ok())
        .expect("the message names the step");
    assert!(stderr.contains("try a smaller --lr"), "{stderr}");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert_eq!(csv.lines().count(), step + 1, "one row per step done");
    for name in FILES {
        assert!(out.join(name).is_file(), "{name}");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn ctrl_c_finishes_the_step_writes_outputs_and_exits_130() {
    let dir = scratch("interrupt");
    let out = dir.join("out");
    let mut child = Command::new(BINARY)
        .args([
            "--steps",
            "1000000",
            "--samples",
            "400",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // let it start training (the plain progress lines come only every 100000 steps)
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after"), "{stderr}");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert!(
        csv.lines().count() >= 2,
        "at least one step was done and written"
    );
    for name in FILES {
        assert!(out.join(name).is_file(), "{name}");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn help_explains_flags_and_exit_codes() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for expected in [
        "--dataset",
        "--data",
        "--hidden",
        "--lr",
        "--steps",
        "--seed",
        "--out",
        "Exit codes",
        "130",
        "micrograd",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}:\n{help}");
    }
}

#[test]
fn graph_flag_writes_the_dot_file_and_pictures_when_graphviz_is_there() {
    let dir = scratch("graph");
    let out = dir.join("out");
    let output = run(&[
        "--graph",
        "--steps",
        "5",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let dot = std::fs::read_to_string(out.join("graph.dot")).expect("graph.dot");
    assert!(dot.starts_with("digraph") && dot.trim_end().ends_with('}'));
    assert!(
        dot.contains("x1 | value") && dot.contains("loss | value"),
        "{dot}"
    );
    assert!(
        dot.contains("layer: 16 x relu(linear)"),
        "summarised: {dot}"
    );
    let graphviz = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if graphviz {
        assert!(out.join("graph.svg").is_file() && out.join("graph.png").is_file());
    } else {
        assert!(
            stderr.contains("Graphviz's `dot` is not on the PATH"),
            "{stderr}"
        );
        assert!(!out.join("graph.svg").exists());
    }
    // without Graphviz (an empty PATH): the .dot file only, and a word about it
    let bare = dir.join("bare");
    let output = Command::new(BINARY)
        .args([
            "--graph",
            "--steps",
            "2",
            "--out",
            bare.to_str().expect("utf-8"),
        ])
        .env("PATH", "")
        .output()
        .expect("runs");
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Graphviz's `dot` is not on the PATH: wrote graph.dot only"),
        "{stderr}"
    );
    assert!(bare.join("graph.dot").is_file() && !bare.join("graph.svg").exists());
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn divergence_names_the_first_non_finite_number() {
    let dir = scratch("diverge-anomaly");
    let output = run(&[
        "--lr",
        "1e6",
        "--out",
        dir.join("out").to_str().expect("utf-8"),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr.contains("first non-finite number in that step: value ")
            && stderr.contains("inf at node"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
