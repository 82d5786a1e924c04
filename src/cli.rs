//! The `scalargrad` program: its flags, the run from data to pictures, and its errors.
//!
//! `main.rs` only parses the flags, calls [`run`], prints an error and exits with its code.

use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::data::{DataError, Dataset, Generator};
use crate::engine::to_dot;
use crate::files::write_atomic;
use crate::graphviz::write_graph;
use crate::nn::loss::Loss;
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init, Module, SavedModel};
use crate::plot;
use crate::train::{self, StepMetrics, Stop, TrainConfig, TrainResult, purpose, rng_for};

const EXIT_CODES: &str = "\
Exit codes:
  0    training completed and every file was written
  1    a file could not be read or written (the message names it)
  2    invalid flags or input data (the message names the flag or the file and line)
  3    training diverged: the loss became NaN or infinite (outputs for the steps done are written)
  130  interrupted with Ctrl-C (outputs for the steps done are written)

Files written to --out: loss.png, accuracy.png, decision_boundary.png, metrics.csv, model.json,
run.json. Every file is written completely or not at all.";

/// Train a small neural network made of scalar autograd nodes, and draw what it learned.
///
/// The defaults reproduce micrograd's moons demo: 100 points, an MLP with two hidden layers of
/// 16 ReLU units, hinge loss with 1e-4 L2, SGD with a learning rate decaying linearly from 1.0,
/// 100 full-batch steps. 20% of the points are held out to measure generalisation.
#[derive(Parser, Debug, Clone)]
#[command(name = "scalargrad", version, after_help = EXIT_CODES)]
pub struct Args {
    /// Built-in dataset to generate.
    #[arg(long, value_enum, default_value_t = Generator::Moons, conflicts_with = "data")]
    pub dataset: Generator,

    /// Train on your own CSV file instead: rows of x1,x2,label (a header row is optional; the
    /// label column must hold exactly two distinct values).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,

    /// Number of points to generate (2 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_samples)]
    pub samples: usize,

    /// Standard deviation of the Gaussian noise added to generated points (0 to 10).
    #[arg(long, default_value_t = 0.1, value_parser = parse_noise, allow_negative_numbers = true)]
    pub noise: f64,

    /// Fraction of the points held out as a test set (0 to 0.9).
    #[arg(long, default_value_t = 0.2, value_parser = parse_test_fraction, allow_negative_numbers = true)]
    pub test_fraction: f64,

    /// Hidden layer widths, comma-separated, e.g. 16,16 (each 1 to 4096).
    #[arg(long, default_value = "16,16", value_parser = parse_hidden)]
    pub hidden: Widths,

    /// Activation of the hidden layers.
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    pub activation: Activation,

    /// Initial weights: micrograd's uniform(-1, 1), He (normal, for ReLU) or Glorot (for tanh).
    #[arg(long, value_enum, default_value_t = Init::Uniform)]
    pub init: Init,

    /// Loss: hinge (micrograd's), logistic (binary cross-entropy) or mse.
    #[arg(long, value_enum, default_value_t = Loss::Hinge)]
    pub loss: Loss,

    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,

    /// Initial learning rate (a finite number > 0; with adam try 0.01).
    #[arg(long, default_value_t = 1.0, value_parser = parse_lr, allow_negative_numbers = true)]
    pub lr: f64,

    /// Learning-rate schedule: linear decay to a tenth (micrograd's) or constant.
    #[arg(long, value_enum, default_value_t = Schedule::Linear)]
    pub schedule: Schedule,

    /// Number of training steps (1 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_steps)]
    pub steps: usize,

    /// Examples per step (at least 1); the whole training set when not given.
    #[arg(long, value_parser = parse_batch_size)]
    pub batch_size: Option<usize>,

    /// L2 regularisation strength alpha: the loss adds alpha * sum p^2 (0 or more, finite).
    #[arg(long, default_value_t = 1e-4, value_parser = parse_l2, allow_negative_numbers = true)]
    pub l2: f64,

    /// Seed for the data, the split, the initial weights and the batches: the same seed gives
    /// the same run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Threads that share each batch (1 to 256): each builds the graph of its share of the
    /// examples and the gradients are summed. Pays off for large batches and networks.
    #[arg(long, default_value_t = 1, value_parser = parse_threads)]
    pub threads: usize,

    /// Also draw the graph of one training example's loss (the one the trained network gets
    /// most wrong) through the network:
    /// graph.dot, plus graph.svg and graph.png when Graphviz's `dot` is installed. Networks of
    /// more than 200 nodes are drawn one box per layer.
    #[arg(long)]
    pub graph: bool,

    /// Directory for the pictures, metrics and model (created if missing).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
}

/// Hidden-layer widths as given to `--hidden`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Widths(pub Vec<usize>);

impl fmt::Display for Widths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", parts.join(","))
    }
}

fn whole_number(text: &str, low: usize, high: usize) -> Result<usize, String> {
    let message = || format!("must be a whole number from {low} to {high}");
    let value: usize = text.trim().parse().map_err(|_| message())?;
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(message())
    }
}

fn number(text: &str, accept: impl Fn(f64) -> bool, range: &str) -> Result<f64, String> {
    let message = || format!("must be {range}");
    let value: f64 = text.trim().parse().map_err(|_| message())?;
    if value.is_finite() && accept(value) {
        Ok(value)
    } else {
        Err(message())
    }
}

fn parse_samples(text: &str) -> Result<usize, String> {
    whole_number(text, 2, 1_000_000)
}

fn parse_steps(text: &str) -> Result<usize, String> {
    whole_number(text, 1, 1_000_000)
}

fn parse_threads(text: &str) -> Result<usize, String> {
    whole_number(text, 1, 256)
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    whole_number(text, 1, 1_000_000)
}

fn parse_noise(text: &str) -> Result<f64, String> {
    number(text, |v| (0.0..=10.0).contains(&v), "a number from 0 to 10")
}

fn parse_test_fraction(text: &str) -> Result<f64, String> {
    number(text, |v| (0.0..=0.9).contains(&v), "a number from 0 to 0.9")
}

fn parse_lr(text: &str) -> Result<f64, String> {
    number(
        text,
        |v| v > 0.0,
        "a finite number greater than 0, e.g. 0.1",
    )
}

fn parse_l2(text: &str) -> Result<f64, String> {
    number(
        text,
        |v| v >= 0.0,
        "a finite number of 0 or more, e.g. 1e-4",
    )
}

fn parse_hidden(text: &str) -> Result<Widths, String> {
    let widths: Result<Vec<usize>, String> = text
        .split(',')
        .map(|part| {
            whole_number(part, 1, 4096).map_err(|_| {
                format!("must be comma-separated layer widths from 1 to 4096, e.g. 16,16 (found {part:?})")
            })
        })
        .collect();
    widths.map(Widths)
}

/// Why a run failed, with the exit code the program returns for it.
#[derive(Debug)]
pub enum CliError {
    /// The data file is unusable (exit code 2).
    Data(DataError),
    /// A file could not be written (exit code 1).
    Output {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The loss became NaN or infinite (exit code 3); outputs for the steps done were written.
    Diverged {
        /// The step whose loss was not finite.
        step: usize,
        /// The learning rate given.
        lr: f64,
        /// Where the first NaN or infinity appeared, if found.
        anomaly: Option<String>,
    },
    /// Stopped by Ctrl-C (exit code 130); outputs for the steps done were written.
    Interrupted {
        /// Steps completed.
        steps_done: usize,
    },
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Output { .. } => 1,
            CliError::Data(_) => 2,
            CliError::Diverged { .. } => 3,
            CliError::Interrupted { .. } => 130,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Data(error) => write!(f, "{error}"),
            CliError::Output { path, message } => {
                write!(f, "cannot write {}: {message}", path.display())
            }
            CliError::Diverged { step, lr, anomaly } => {
                write!(
                    f,
                    "training diverged: the loss became NaN or infinite at step {step}; try a \
                     smaller --lr (now {lr}, e.g. --lr {}). Outputs for the {step} steps done \
                     were written.",
                    lr / 10.0
                )?;
                if let Some(anomaly) = anomaly {
                    write!(f, "\nfirst non-finite number in that step: {anomaly}")?;
                }
                Ok(())
            }
            CliError::Interrupted { steps_done } => write!(
                f,
                "interrupted after {steps_done} steps; outputs for the steps done were written"
            ),
        }
    }
}

impl std::error::Error for CliError {}

/// Set by the Ctrl-C handler; the training loop stops before its next step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// What a completed run reports.
#[derive(Debug)]
pub struct Summary {
    /// The training result.
    pub result: TrainResult,
    /// Files written.
    pub files: Vec<PathBuf>,
}

impl Args {
    /// The training configuration these flags describe.
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            hidden: self.hidden.0.clone(),
            activation: self.activation,
            init: self.init,
            loss: self.loss,
            optimizer: self.optimizer,
            lr: self.lr,
            schedule: self.schedule,
            steps: self.steps,
            batch_size: self.batch_size,
            l2: self.l2,
            seed: self.seed,
            threads: self.threads,
        }
    }

    /// The full data set: the CSV file, or the generated one.
    ///
    /// # Errors
    /// If the CSV file cannot be read or is invalid.
    pub fn load_data(&self) -> Result<Dataset, DataError> {
        match &self.data {
            Some(path) => Dataset::from_csv(path),
            None => Ok(self.dataset.generate(
                self.samples,
                self.noise,
                &mut rng_for(self.seed, purpose::DATA),
            )),
        }
    }
}

/// Makes sure `dir` exists and a file can be created in it, before any work is done.
fn check_output_dir(dir: &Path) -> Result<(), CliError> {
    let fail = |error: std::io::Error| CliError::Output {
        path: dir.to_path_buf(),
        message: format!("{error} (choose another directory with --out)"),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".scalargrad-write-test");
    write_atomic(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// Shows progress: a bar on a terminal, else a plain line every 10% of the run.
struct Progress {
    bar: Option<ProgressBar>,
    steps: usize,
}

impl Progress {
    fn new(steps: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(steps as u64);
            let style =
                // under 80 columns with 4-digit steps, so the bar never wraps
                ProgressStyle::with_template("{bar:16.cyan/blue} step {pos}/{len} {msg} ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, steps }
    }

    fn update(&self, m: &StepMetrics) {
        let text = format!(
            "loss {:.4}  train acc {:.1}%  lr {:.3}",
            m.loss,
            100.0 * m.accuracy,
            m.lr
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position(m.step as u64 + 1);
                bar.set_message(text);
            }
            None => {
                let done = m.step + 1;
                let every = self.steps.div_ceil(10).max(1);
                if done.is_multiple_of(every) || done == self.steps {
                    eprintln!("step {done}/{}  {text}", self.steps);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// metrics.csv: a header, then one row per step.
fn metrics_csv(metrics: &[StepMetrics]) -> String {
    let mut csv = String::from("step,loss,accuracy,test_loss,test_accuracy,lr\n");
    for m in metrics {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            m.step, m.loss, m.accuracy, m.test_loss, m.test_accuracy, m.lr
        ));
    }
    csv
}

/// Writes every output file for the steps done; returns their paths.
fn write_outputs(
    args: &Args,
    config: &TrainConfig,
    result: &TrainResult,
    train_set: &Dataset,
    test_set: &Dataset,
) -> Result<Vec<PathBuf>, CliError> {
    let out = &args.out;
    let config_json = serde_json::to_value(config).unwrap_or(serde_json::Value::Null);
    let last = result.metrics.last();
    let final_value = |pick: fn(&StepMetrics) -> f64| last.map(pick).filter(|v| v.is_finite());
    let (final_loss, final_accuracy) = train::evaluate(config, &result.model, train_set);
    let run = json!({
        "scalargrad_version": env!("CARGO_PKG_VERSION"),
        "seed": args.seed,
        "data": {
            "source": match &args.data {
                Some(path) => json!({ "file": path }),
                None => json!({ "generator": args.dataset, "samples": args.samples, "noise": args.noise }),
            },
            "test_fraction": args.test_fraction,
            "train_examples": train_set.len(),
            "test_examples": test_set.len(),
            "label_names": train_set.label_names,
        },
        "config": config_json,
        "stop": result.stop,
        "steps_done": result.metrics.len(),
        "final": {
            "loss": final_value(|m| m.loss),
            "accuracy": final_value(|m| m.accuracy),
            "test_loss": final_value(|m| m.test_loss),
            "test_accuracy": final_value(|m| m.test_accuracy),
            "trained_loss": Some(final_loss).filter(|v| v.is_finite()),
            "trained_accuracy": Some(final_accuracy).filter(|v| v.is_finite()),
        },
        "nodes_per_step": result.nodes_per_step,
        "parameters": result.model.parameters().len(),
        "seconds": result.elapsed.as_secs_f64(),
    });
    let model_file = SavedModel::from_model(&result.model, config_json.clone());
    let model_json = serde_json::to_string_pretty(&model_file).unwrap_or_default();
    let run_json = serde_json::to_string_pretty(&run).unwrap_or_default();
    let plot_failure = |name: &str, error: plot::PlotError| CliError::Output {
        path: out.join(name),
        message: error.to_string(),
    };
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("metrics.csv", metrics_csv(&result.metrics).into_bytes()),
        (
            "loss.png",
            plot::loss_png(&result.metrics).map_err(|e| plot_failure("loss.png", e))?,
        ),
        (
            "accuracy.png",
            plot::accuracy_png(&result.metrics).map_err(|e| plot_failure("accuracy.png", e))?,
        ),
        (
            "decision_boundary.png",
            plot::decision_boundary_png(&result.model, train_set, test_set)
                .map_err(|e| plot_failure("decision_boundary.png", e))?,
        ),
        ("model.json", model_json.into_bytes()),
        ("run.json", run_json.into_bytes()),
    ];
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = out.join(name);
        write_atomic(&path, &bytes).map_err(|error| CliError::Output {
            path: path.clone(),
            message: error.to_string(),
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Writes graph.dot (and its pictures, when Graphviz is installed) for training example 0.
fn write_example_graph(
    args: &Args,
    config: &TrainConfig,
    result: &TrainResult,
    train_set: &Dataset,
) -> Result<Vec<PathBuf>, CliError> {
    // the example the trained model gets most wrong, so the gradients in the picture are not 0
    let predictor = result.model.predictor();
    let loss_of = |i: usize| {
        let score = predictor.predict(&train_set.points[i])[0];
        crate::nn::loss::mean_value(config.loss, &[score], &[train_set.labels[i]])
    };
    let Some(worst) = (0..train_set.len()).max_by(|&a, &b| loss_of(a).total_cmp(&loss_of(b)))
    else {
        return Ok(Vec::new());
    };
    let (point, label) = (train_set.points[worst], train_set.labels[worst]);
    let loss = train::example_graph(config, &result.model, point, label);
    let dot = to_dot(&loss);
    let files = write_graph(&dot, &args.out, "graph").map_err(|message| CliError::Output {
        path: args.out.join("graph.dot"),
        message,
    })?;
    if !files.rendered {
        eprintln!(
            "Graphviz's `dot` is not on the PATH: wrote graph.dot only (install graphviz to get \
             graph.svg and graph.png, or paste graph.dot into any Graphviz viewer)"
        );
    }
    Ok(files.written)
}

/// Runs the program: load or generate data, train with progress, write every output, and
/// print a summary.
///
/// # Errors
/// See [`CliError`]; for `Diverged` and `Interrupted` the outputs of the steps done are written
/// before the error is returned.
pub fn run(args: &Args) -> Result<Summary, CliError> {
    check_output_dir(&args.out)?;
    let data = args.load_data().map_err(CliError::Data)?;
    let (train_set, test_set) =
        data.split(args.test_fraction, &mut rng_for(args.seed, purpose::SPLIT));
    if train_set.is_empty() {
        return Err(CliError::Data(DataError {
            path: args.data.clone().unwrap_or_default(),
            line: None,
            message: "no examples left for training after the held-out split".into(),
        }));
    }
    // A second handler cannot be installed (e.g. `run` called twice in one process); the first
    // one sets the same flag, so that is fine.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    INTERRUPTED.store(false, Ordering::SeqCst);

    let config = args.train_config();
    eprintln!(
        "training an MLP 2-{}-1 on {} examples ({} held out) for {} steps",
        args.hidden
            .0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("-"),
        train_set.len(),
        test_set.len(),
        config.steps
    );
    let progress = Progress::new(config.steps);
    let result = train::train(
        &config,
        &train_set,
        &test_set,
        |m| progress.update(m),
        &INTERRUPTED,
    );
    progress.finish();
    let mut files = write_outputs(args, &config, &result, &train_set, &test_set)?;
    if args.graph {
        files.extend(write_example_graph(args, &config, &result, &train_set)?);
    }

    match result.stop {
        Stop::Diverged { step } => {
            return Err(CliError::Diverged {
                step,
                lr: config.lr,
                anomaly: result.anomaly.as_ref().map(ToString::to_string),
            });
        }
        Stop::Interrupted { step } => return Err(CliError::Interrupted { steps_done: step }),
        Stop::Completed => {}
    }
    if let Some(last) = result.metrics.last() {
        let percent = |v: f64| {
            if v.is_finite() {
                format!("{:.1}%", 100.0 * v)
            } else {
                "n/a".into()
            }
        };
        let value = |v: f64| {
            if v.is_finite() {
                format!("{v:.4}")
            } else {
                "n/a".into()
            }
        };
        println!(
            "final (step {}): train loss {} accuracy {} | test loss {} accuracy {}",
            last.step,
            value(last.loss),
            percent(last.accuracy),
            value(last.test_loss),
            percent(last.test_accuracy)
        );
    }
    let seconds = result.elapsed.as_secs_f64();
    println!(
        "{} steps in {:.2} s ({:.2} ms/step, {} nodes per step)",
        result.metrics.len(),
        seconds,
        1000.0 * seconds / result.metrics.len().max(1) as f64,
        result.nodes_per_step
    );
    println!("wrote {} files to {}", files.len(), args.out.display());
    if let Some(anomaly) = &result.anomaly {
        println!("first non-finite number: {anomaly}");
    }
    Ok(Summary { result, files })
}
