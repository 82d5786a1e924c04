//! The `scalargrad` binary as a user runs it: files written, bad input, faults.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{BINARY, png_size, run, text};

const FILES: [&str; 10] = [
    "loss.png",
    "accuracy.png",
    "decision_boundary.png",
    "confusion.png",
    "network.png",
    "training.gif",
    "metrics.csv",
    "model.json",
    "model.safetensors",
    "run.json",
];

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    crate::common::scratch("cli", name)
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
    assert_eq!(
        lines[0],
        "step,epoch,loss,accuracy,test_loss,test_accuracy,lr,grad_norm,dead_fraction"
    );
    assert_eq!(lines.len(), 101, "a header and one row per step");
    assert!(lines[1].starts_with("0,") && lines[100].starts_with("99,"));
    let last: Vec<f64> = lines[100]
        .split(',')
        .map(|v| v.parse().expect("number"))
        .collect();
    assert!(last[3] >= 0.97, "train accuracy {}", last[3]);

    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run_json["seed"], 42);
    assert_eq!(run_json["config"]["steps"], 100);
    assert_eq!(run_json["config"]["hidden"], serde_json::json!([16, 16]));
    assert_eq!(run_json["stop"]["reason"], "completed");
    assert_eq!(run_json["scalargrad_version"], env!("CARGO_PKG_VERSION"));
    assert!(run_json["nodes_per_step"].as_u64().expect("a count") > 1000);

    let model = scalargrad::model::SavedModel::load(&out.join("model.json")).expect("model.json");
    assert_eq!(model.widths, vec![16, 16, 1]);

    // training.gif: the default 50 frames, looping, the map changing as it trains
    let (frames, loops, size) = gif_frames(&out.join("training.gif"));
    assert_eq!(frames.len(), 50, "the default --frames");
    assert!(loops, "loops forever");
    assert!(size.0 >= 400, "{size:?}");
    assert_ne!(frames[0], frames[49], "the map changes as it trains");
    let bytes = std::fs::metadata(out.join("training.gif"))
        .expect("gif")
        .len();
    assert!(bytes <= 3 << 20, "{bytes} bytes");
    let (width, height) = png_size(&out.join("network.png"));
    assert!(width >= 800 && height >= 500, "{width}x{height}");
    // grad_norm and dead_fraction are finite on every row (a ReLU network)
    for line in lines.iter().skip(1) {
        let fields: Vec<f64> = line
            .split(',')
            .map(|v| v.parse().expect("a number"))
            .collect();
        let (norm, dead) = (fields[7], fields[8]);
        assert!(norm.is_finite() && norm > 0.0, "{line}");
        assert!((0.0..=1.0).contains(&dead), "{line}");
    }

    let stdout = text(&output.stdout);
    assert!(stdout.contains("final (step 99)"), "{stdout}");
    assert!(
        stdout.contains(&format!("wrote 10 files to {}", out.display())),
        "{stdout}"
    );
    // the training's time and the pictures' apart, ms per step to three significant digits
    let timing = stdout
        .lines()
        .find(|line| line.starts_with("100 steps (100 epochs) in "))
        .expect("the timing line");
    let per_step = timing
        .split('(')
        .nth(2)
        .and_then(|rest| rest.split(" ms/step").next())
        .expect("ms per step");
    let digits: String = per_step
        .trim_start_matches(['0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 3, "three significant digits: {timing}");
    assert!(timing.contains("; pictures "), "{timing}");
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

/// `--epochs`: every training row once per epoch, the steps it makes counted in metrics.csv
/// and the summary; `--steps` beside it, or more than the most steps, refused.
#[test]
fn epochs_count_passes_over_the_training_set() {
    let dir = scratch("epochs");
    // 100 moons, 80 for training, batches of 32: 3 steps an epoch (32 + 32 + 16)
    let output = run(&[
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--frames",
        "0",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("6 steps (2.00 epochs) in "),
        "{}",
        text(&output.stdout)
    );
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics.csv");
    let epochs: Vec<f64> = metrics
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(1)
                .expect("an epoch column")
                .parse()
                .expect("a number")
        })
        .collect();
    assert_eq!(epochs, [0.4, 0.8, 1.0, 1.4, 1.8, 2.0]);
    // 20 held out against batches of 32: measured every ceil(4 x 20 / 32) = 3 steps (an
    // epoch's worth), on the first and the last step, blank (NaN) between
    let measured: Vec<bool> = metrics
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(4).expect("test_loss") != "NaN")
        .collect();
    assert_eq!(measured, [true, false, true, false, false, true]);
    for (flags, expected) in [
        (vec!["--epochs", "2", "--steps", "5"], "cannot be used with"),
        (
            vec!["--epochs", "100000", "--batch-size", "1"],
            "--epochs: 100000 epochs of 80 steps is more than 1000000 steps",
        ),
        (vec!["--epochs", "0"], "--epochs"),
    ] {
        let refused = run(&flags);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        assert!(
            text(&refused.stderr).contains(expected),
            "{flags:?}: {}",
            text(&refused.stderr)
        );
    }
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
            "--frames",
            "0",
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
    let too_many = format!(
        "hidden: a network of 33579009 parameters; at most {}",
        scalargrad::train::MAX_PARAMETERS
    );
    let cases: [(&[&str], &str); 11] = [
        (&["--hidden", "4096,4096,4096"], &too_many),
        (
            &["--frames", "1001"],
            "'--frames <FRAMES>': must be a whole number from 0 to 1000",
        ),
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
            "line 3: column \"x2\" is not a number: \"oops\"",
        ),
        (
            "0.1,0.2,a\n0.3,0.4\n",
            "line 2: expected 3 columns (as the first line has), found 2",
        ),
        (
            "0,0,a\n0,0,b\n0,0,c\n0,0,d\n0,0,e\n0,0,f\n0,0,g\n0,0,h\n0,0,i\n0,0,j\n0,0,k\n",
            "line 11: an 11th label \"k\"; a classifier takes at most 10 classes",
        ),
        (
            "0.1,NaN,a\n",
            "line 1: column \"x2\" must be a finite number, found \"NaN\"",
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
    assert_eq!(output.status.code(), Some(1), "a file that cannot be read");
    assert!(text(&output.stderr).contains("cannot read"));
    assert!(text(&output.stderr).contains("missing.csv"));
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

/// Sends `child` a Ctrl-C (SIGINT).
fn ctrl_c(child: &std::process::Child) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
}

/// Waits (at most a minute) for `child` to stop; its status and what it wrote on stderr.
fn stopped(child: &mut std::process::Child) -> (std::process::ExitStatus, String) {
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
    (status, stderr)
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
    ctrl_c(&child);
    let (status, stderr) = stopped(&mut child);
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
fn a_second_ctrl_c_while_the_outputs_are_made_abandons_them_and_exits_130() {
    let dir = scratch("interrupt-twice");
    let out = dir.join("out");
    let mut child = Command::new(BINARY)
        .args(["--steps", "1000000", "--samples", "400", "--frames", "0"])
        .args(["--out", out.to_str().expect("utf-8")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    // the first stops training and asks for the outputs; the second, while they are drawn,
    // abandons them
    for _ in 0..2 {
        ctrl_c(&child);
        std::thread::sleep(Duration::from_millis(150));
    }
    let (status, stderr) = stopped(&mut child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted while making the outputs; no file of this run was written"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "nothing written, no temporary left: {left:?}"
    );
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
        "--classes",
        "--task",
        "--features",
        "--standardize",
        "--l1",
        "--init-from",
        "cross-entropy",
        "predict",
        "evaluate",
        "export",
        "2 to 10",
        "[default: 50]",
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

/// Runs the binary with `args`, killing it (and failing) if it takes more than `seconds`.
fn run_within(args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(seconds) {
            let _ = child.kill();
            panic!("{args:?} did not finish within {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

/// The files in `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        },
    )
}

/// A safetensors file of F64 tensors, written here byte by byte (independently of the library):
/// an 8-byte header length, the JSON header, the little-endian data.
fn safetensors_bytes(tensors: &[(&str, Vec<usize>, Vec<f64>)]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut offset = 0;
    for (k, (name, shape, values)) in tensors.iter().enumerate() {
        let shape: Vec<String> = shape.iter().map(ToString::to_string).collect();
        let end = offset + 8 * values.len();
        if k > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            "\"{name}\":{{\"dtype\":\"F64\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            shape.join(",")
        ));
        offset = end;
    }
    header.push('}');
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    for (_, _, values) in tensors {
        for v in values {
            bytes.extend(v.to_le_bytes());
        }
    }
    bytes
}

/// The reference initial weights of micrograd's demo (2-16-16-1) as `torch.nn.Sequential`'s
/// tensors: `weights_init.csv` lists per neuron its weights, then its bias.
fn reference_tensors() -> Vec<(&'static str, Vec<usize>, Vec<f64>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/weights_init.csv");
    let values = scalargrad::model::weights_from_csv(&path).expect("weights file");
    let mut rest = values.as_slice();
    let mut tensors = Vec::new();
    for (l, (fan_in, width)) in [(2, 16), (16, 16), (16, 1)].into_iter().enumerate() {
        let (layer, after) = rest.split_at(width * (fan_in + 1));
        rest = after;
        let rows = layer.chunks_exact(fan_in + 1);
        let weights = rows.clone().flat_map(|r| &r[..fan_in]).copied().collect();
        let biases = rows.map(|r| r[fan_in]).collect();
        let (w, b) = [
            ("0.weight", "0.bias"),
            ("2.weight", "2.bias"),
            ("4.weight", "4.bias"),
        ][l];
        tensors.push((w, vec![width, fan_in], weights));
        tensors.push((b, vec![width], biases));
    }
    tensors
}

#[test]
fn micrograds_demo_from_safetensors_weights_reproduces_its_losses() {
    let dir = scratch("safetensors-start");
    let weights = dir.join("init.safetensors");
    std::fs::write(&weights, safetensors_bytes(&reference_tensors())).expect("write");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/moons100.csv");
    let out = dir.join("out");
    let output = run(&[
        "--data",
        data.to_str().expect("utf-8"),
        "--test-fraction",
        "0",
        "--init-from",
        weights.to_str().expect("utf-8"),
        "--frames",
        "0",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    let losses: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|line| {
            line.split(',')
                .nth(2)
                .expect("loss")
                .parse()
                .expect("number")
        })
        .collect();
    assert_eq!(losses.len(), 100);
    let close = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance * b.abs();
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
    // the model written back is the same network: model.safetensors holds its F64 weights
    let written = std::fs::read(out.join("model.safetensors")).expect("model.safetensors");
    let tensors = scalargrad::model::safetensors::parse(&written).expect("safetensors");
    assert_eq!(tensors.shape(), Ok((2, vec![16, 16, 1])));
    assert_eq!(tensors.metadata["activation"], "\"relu\"");
    assert_eq!(tensors.metadata["features"], "[\"x1\",\"x2\"]");
    assert_eq!(tensors.metadata["columns"], "[\"x1\",\"x2\"]");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn k_classes_and_regression_write_their_own_files() {
    let dir = scratch("tasks");
    let out = dir.join("spiral");
    let output = run(&[
        "--dataset",
        "spiral",
        "--classes",
        "4",
        "--samples",
        "80",
        "--steps",
        "20",
        "--frames",
        "3",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(run_json["task"], "classification");
    assert_eq!(
        run_json["config"]["loss"], "cross-entropy",
        "the default for 4 classes"
    );
    assert_eq!(
        run_json["class_names"],
        serde_json::json!(["0", "1", "2", "3"])
    );
    let confusion = run_json["final"]["confusion"].as_array().expect("a matrix");
    assert_eq!(confusion.len(), 4);
    let total: u64 = confusion
        .iter()
        .flat_map(|row| row.as_array().expect("a row"))
        .map(|c| c.as_u64().expect("a count"))
        .sum();
    assert_eq!(total, 64, "every training example counted once");
    assert_eq!(
        run_json["final"]["test_confusion"].as_array().map(Vec::len),
        Some(4)
    );
    assert!(text(&output.stderr).contains("MLP 2-16-16-4"));

    let out = dir.join("plane");
    let output = run(&[
        "--dataset",
        "plane",
        "--steps",
        "20",
        "--frames",
        "3",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut files = files_in(&out);
    files.sort();
    assert_eq!(
        files,
        [
            "fit.png",
            "loss.png",
            "metrics.csv",
            "model.json",
            "model.safetensors",
            "network.png",
            "run.json",
            "surface.png",
            "training.gif"
        ]
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert_eq!(
        csv.lines().next(),
        Some("step,epoch,loss,rmse,r2,test_loss,test_rmse,test_r2,lr,grad_norm,dead_fraction")
    );
    assert!(
        stdout.contains(" rmse ") && stdout.contains(" r2 "),
        "{stdout}"
    );
    let run_json = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    assert!(run_json.contains("\"task\": \"regression\""), "{run_json}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn bad_task_flags_and_files_are_named_errors_without_files() {
    let dir = scratch("task-errors");
    let bad_target = dir.join("targets.csv");
    std::fs::write(&bad_target, "x1,x2,y\n0,0,1.5\n1,1,high\n").expect("write");
    let wrong_shape = dir.join("small.safetensors");
    std::fs::write(
        &wrong_shape,
        safetensors_bytes(&[
            ("0.weight", vec![3, 2], vec![0.5; 6]),
            ("0.bias", vec![3], vec![0.0; 3]),
        ]),
    )
    .expect("write");
    let missing = dir.join("missing.safetensors");
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            vec!["--features".into(), "x1,x3".into()],
            2,
            "--features: unknown feature \"x3\"",
        ),
        (
            vec!["--features".into(), "x1,x1".into()],
            2,
            "--features: x1 is listed twice",
        ),
        (
            vec![
                "--dataset".into(),
                "spiral".into(),
                "--classes".into(),
                "3".into(),
                "--loss".into(),
                "logistic".into(),
            ],
            2,
            "--loss: logistic takes two classes, not 3",
        ),
        (
            vec!["--classes".into(), "3".into()],
            2,
            "--classes: moons makes 2 classes, not 3",
        ),
        (
            vec!["--classes".into(), "11".into()],
            2,
            "'--classes <CLASSES>': must be a whole number from 2 to 10",
        ),
        (
            vec!["--l1".into(), "-1".into()],
            2,
            "'--l1 <L1>': must be a finite number of 0 or more",
        ),
        (
            vec!["--task".into(), "regression".into()],
            2,
            "--task: the moons dataset is for classification",
        ),
        (
            vec![
                "--data".into(),
                path(&bad_target),
                "--task".into(),
                "regression".into(),
            ],
            2,
            "targets.csv line 3: column \"y\" is not a number: \"high\"",
        ),
        (
            vec!["--init-from".into(), path(&wrong_shape)],
            2,
            "the tensor \"0.weight\" has shape [3, 2], but the network needs [16, 2] (the flags describe 2-16-16-1)",
        ),
        (
            vec!["--init-from".into(), path(&missing)],
            1,
            "missing.safetensors",
        ),
    ];
    for (k, (flags, code, message)) in cases.iter().enumerate() {
        let out = dir.join(format!("out{k}"));
        let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
        args.extend(["--out", out.to_str().expect("utf-8")]);
        let output = run(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(*code), "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
        assert!(
            files_in(&out).is_empty(),
            "{flags:?} wrote {:?}",
            files_in(&out)
        );
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn an_output_file_name_taken_by_a_directory_fails_before_training() {
    let dir = scratch("taken");
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("loss.png")).expect("a directory named loss.png");
    let output = run(&["--out", out.to_str().expect("utf-8")]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("loss.png: a directory has this file's name"),
        "{stderr}"
    );
    assert!(!stderr.contains("training an MLP"), "{stderr}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 12,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261202),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// Every accepted dataset, however extreme its numbers (1e-300 to 1e308, all points equal,
    /// one example of a class), ends in seconds: trained and drawn, or a named error.
    #[test]
    fn extreme_datasets_end_in_bounded_time(
        exponents in proptest::collection::vec((-300i32..=308, proptest::bool::ANY), 1..8),
        equal in proptest::bool::ANY,
        regression in proptest::bool::ANY,
    ) {
        let dir = scratch(&format!("extreme-{}", exponents.len() * 2 + usize::from(equal)));
        let mut csv = String::from("x1,x2,label\n");
        for (k, &(exponent, negative)) in exponents.iter().enumerate() {
            let magnitude = if equal { 1e308 } else { 10f64.powi(exponent) };
            let value = if negative { -magnitude } else { magnitude };
            // one example of class "b" at most: the first; the target grows like the point
            let label = if regression { format!("{value:e}") } else if k == 0 { "b".into() } else { "a".into() };
            csv.push_str(&format!("{value:e},{:e},{label}\n", value / 2.0));
        }
        if !regression {
            csv.push_str("1e308,-1e308,a\n-1e308,1e308,b\n");
        }
        let file = dir.join("extreme.csv");
        std::fs::write(&file, csv).expect("write");
        let mut args = vec!["--data", file.to_str().expect("utf-8"), "--steps", "3", "--frames", "0", "--test-fraction", "0"];
        if regression {
            args.extend(["--task", "regression"]);
        }
        let out = dir.join("out");
        args.extend(["--out", out.to_str().expect("utf-8")]);
        let output = run_within(&args, 60);
        let stderr = text(&output.stderr);
        proptest::prop_assert!(!stderr.contains("panicked"), "{}", stderr);
        proptest::prop_assert!(
            matches!(output.status.code(), Some(0 | 2 | 3)),
            "{:?}: {}", output.status, stderr
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

/// The frames of a GIF as RGB-free index buffers, and whether it loops forever.
fn gif_frames(path: &Path) -> (Vec<Vec<u8>>, bool, (u16, u16)) {
    let file = std::fs::File::open(path).expect("gif exists");
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(file).expect("a gif");
    let size = (decoder.width(), decoder.height());
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().expect("a frame") {
        frames.push(frame.buffer.to_vec());
    }
    (frames, decoder.repeat() == gif::Repeat::Infinite, size)
}

#[test]
fn frames_follow_the_steps_and_wide_networks_stay_bounded() {
    let dir = scratch("pictures");
    // fewer steps than frames: steps + 1 frames; --frames 0: no animation
    let short = dir.join("short");
    assert!(
        run(&["--steps", "3", "--out", short.to_str().expect("utf-8")])
            .status
            .success()
    );
    assert_eq!(gif_frames(&short.join("training.gif")).0.len(), 4);
    let none = dir.join("none");
    assert!(
        run(&[
            "--frames",
            "0",
            "--steps",
            "3",
            "--out",
            none.to_str().expect("utf-8")
        ])
        .status
        .success()
    );
    assert!(!none.join("training.gif").exists());
    for bad in ["-1", "many"] {
        let output = run(&["--frames", bad, "--out", none.to_str().expect("utf-8")]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            text(&output.stderr).contains("'--frames <FRAMES>'"),
            "{}",
            text(&output.stderr)
        );
    }

    // a wide network stays bounded
    let wide = dir.join("wide");
    let output = run(&[
        "--hidden",
        "64,64,64",
        "--steps",
        "2",
        "--frames",
        "2",
        "--out",
        wide.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (width, height) = png_size(&wide.join("network.png"));
    assert!(width <= 4000 && height <= 4000, "{width}x{height}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A value of 100,000 characters given to any flag comes back in the error as at most 100 of
/// them: the message stays a line.
#[test]
fn errors_repeat_at_most_100_characters_of_what_was_given() {
    let long = "z".repeat(100_000);
    let unknown_flag = format!("--{long}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--dataset", &long],
        vec!["--hidden", &long],
        vec!["--lr", &long],
        vec!["--features", &long],
        vec!["--data", &long],
        vec!["--out", &long],
        vec![&unknown_flag],
        vec!["predict", "--model", &long, "--data", "x.csv"],
    ];
    for args in &cases {
        let output = run(args);
        let stderr = text(&output.stderr);
        assert!(
            !output.status.success(),
            "{}",
            &stderr[..stderr.len().min(300)]
        );
        assert!(
            stderr.len() < 600,
            "{} bytes: {}",
            stderr.len(),
            &stderr[..stderr.len().min(300)]
        );
        assert!(
            stderr.contains(&"z".repeat(20)),
            "the value is named: {stderr}"
        );
    }
}
