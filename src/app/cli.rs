//! The program's flags: what each means, its range, and the configuration and data they describe.

use std::fmt;
use std::path::PathBuf;

use clap::Parser;

use scalargrad::data::{DataError, Dataset, Generator, MAX_CLASSES, Task};
use scalargrad::features::Feature;
use scalargrad::model::safetensors::Dtype;
use scalargrad::nn::loss::Loss;
use scalargrad::nn::optim::{OptimizerKind, Schedule};
use scalargrad::nn::{Activation, Init};
use scalargrad::train::{TrainConfig, purpose, rng_for};

const EXIT_CODES: &str = "\
Exit codes:
  0    training completed and every file was written
  1    a file could not be read or written (the message names it)
  2    invalid flags or input data (the message names the flag or the file and line)
  3    training diverged: the loss became NaN or infinite (outputs for the steps done are written)
  130  interrupted with Ctrl-C (outputs for the steps done are written)

Files written to --out: metrics.csv, model.json, model.safetensors, run.json, loss.png, and for a
classifier accuracy.png, decision_boundary.png and confusion.png, for regression surface.png and
fit.png. Every file is written completely or not at all.";

/// Train a small neural network made of scalar autograd nodes, and draw what it learned.
///
/// The defaults are micrograd's moons demo: 100 points, an MLP with two hidden layers of 16 ReLU
/// units, hinge loss with 1e-4 L2, SGD with a learning rate decaying linearly from 1.0, 100
/// full-batch steps (weights scaled to the fan-in; --init uniform is micrograd's own). 20% of the
/// points are held out to measure generalisation. Also: 2 to 10 classes (--classes,
/// --loss cross-entropy), regression (--task regression, --dataset plane or gauss), TF
/// Playground's input features (--features), L1 and L2, and starting from given weights
/// (--init-from, e.g. a PyTorch state_dict saved as safetensors).
#[derive(Parser, Debug, Clone)]
#[command(
    name = "scalargrad",
    version,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub(crate) struct Cli {
    /// What to do; without a subcommand, `train` with the flags below.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    /// The training flags, for `scalargrad [FLAGS]` without a subcommand.
    #[command(flatten)]
    pub(crate) train: Args,
}

/// The subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub(crate) enum Command {
    /// Train a network and write its pictures, metrics and model (what `scalargrad [FLAGS]`
    /// does).
    #[command(after_help = EXIT_CODES)]
    Train(Args),
    /// Score the points of a CSV file with a trained model: one output row per input row.
    Predict(PredictArgs),
    /// Measure a trained model on a CSV file: its loss, accuracy and confusion matrix, or RMSE
    /// and R^2.
    Evaluate(EvaluateArgs),
    /// Write a model's weights as safetensors, named as torch.nn.Sequential names them.
    Export(ExportArgs),
    /// Serve the playground: a web page that trains a network live on this engine, one model
    /// per browser tab (open the address it prints).
    Playground(PlaygroundArgs),
}

/// `scalargrad playground`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct PlaygroundArgs {
    /// The port to listen on; 0 picks a free one (the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,

    /// The address to listen on. The default is reachable from this machine only; another
    /// (e.g. 0.0.0.0) lets others on the network use it, and prints a warning.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: std::net::IpAddr,

    /// Most browser tabs (sessions) training at once; a tab beyond it is told to wait.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) max_sessions: u16,

    /// Seconds after its last request that a tab's session is freed.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) idle_seconds: u64,
}

/// Which model to use, and how to read a safetensors file without scalargrad's metadata.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ModelArgs {
    /// The model: a model.json or model.safetensors written by scalargrad, or a safetensors
    /// file from elsewhere (then give --activation and --features).
    #[arg(long, value_name = "FILE")]
    pub(crate) model: PathBuf,

    /// The hidden layers' activation of a safetensors file without scalargrad's metadata.
    #[arg(long, value_enum)]
    pub(crate) activation: Option<Activation>,

    /// The input features of a safetensors file without scalargrad's metadata (see train's
    /// --features).
    #[arg(long, value_parser = parse_features)]
    pub(crate) features: Option<FeatureList>,

    /// The task of a safetensors file without scalargrad's metadata [default: classification;
    /// one output is two classes -1/+1, K outputs K classes 0..K-1].
    #[arg(long, value_enum)]
    pub(crate) task: Option<Task>,
}

/// `scalargrad predict`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct PredictArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,

    /// The points: a CSV file of x1,x2 rows, with an optional label or target column (a header
    /// row is optional).
    #[arg(long, value_name = "CSV")]
    pub(crate) data: PathBuf,

    /// Where to write the predictions (a CSV file); standard output when not given.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `scalargrad evaluate`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct EvaluateArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,

    /// The examples: a CSV file of x1,x2,label (or target) rows (a header row is optional).
    #[arg(long, value_name = "CSV")]
    pub(crate) data: PathBuf,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `scalargrad export`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,

    /// The safetensors file to write.
    #[arg(long, value_name = "FILE.safetensors")]
    pub(crate) out: PathBuf,

    /// The tensors' number type: f64 (exact) or f32 (each weight rounded to the nearest f32).
    #[arg(long, value_enum, default_value_t = Dtype::F64)]
    pub(crate) dtype: Dtype,
}

/// The training flags.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Args {
    /// Built-in dataset to generate: moons, circles, xor (2 classes), spiral, blobs (2 to 10
    /// classes, see --classes), yinyang (3 classes), plane, gauss (regression).
    #[arg(long, value_enum, default_value_t = Generator::Moons, conflicts_with = "data")]
    pub(crate) dataset: Generator,

    /// Train on your own CSV file instead: rows of x1,x2,label (a header row is optional). For a
    /// classifier the label column holds 2 to 10 distinct values (the classes, in sorted order);
    /// with --task regression it holds the real target.
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<PathBuf>,

    /// Number of classes for spiral and blobs (2 to 10) [default: 2; 3 for yinyang].
    #[arg(long, value_parser = parse_classes)]
    pub(crate) classes: Option<usize>,

    /// Classification or regression [default: the dataset's; classification for --data].
    #[arg(long, value_enum)]
    pub(crate) task: Option<Task>,

    /// Number of points to generate (2 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_samples)]
    pub(crate) samples: usize,

    /// Standard deviation of the Gaussian noise added to generated points (0 to 10; for spiral
    /// it is added to the angle, as in CS231n, for plane and gauss to the target).
    #[arg(long, default_value_t = 0.1, value_parser = parse_noise, allow_negative_numbers = true)]
    pub(crate) noise: f64,

    /// Fraction of the points held out as a test set (0 to 0.9).
    #[arg(long, default_value_t = 0.2, value_parser = parse_test_fraction, allow_negative_numbers = true)]
    pub(crate) test_fraction: f64,

    /// The network's inputs, a comma list in input order from x1, x2, x1^2, x2^2, x1x2,
    /// sin(x1), sin(x2) (each at most once).
    #[arg(long, default_value = "x1,x2", value_parser = parse_features)]
    pub(crate) features: FeatureList,

    /// Standardise x1 and x2 to mean 0 and standard deviation 1 on the training set (the
    /// scaling is saved with the model and applied to every point it sees).
    #[arg(long)]
    pub(crate) standardize: bool,

    /// Hidden layer widths, comma-separated, e.g. 16,16 (each 1 to 4096, at most 32 layers).
    #[arg(long, default_value = "16,16", value_parser = parse_hidden)]
    pub(crate) hidden: Widths,

    /// Activation of the hidden layers.
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    pub(crate) activation: Activation,

    /// Initial weights: uniform(-1, 1) (micrograd's), he (normal, sd sqrt(2 / fan-in)) or
    /// glorot (uniform, sqrt(6 / (fan-in + fan-out))) [default: he for relu, glorot for tanh
    /// and sigmoid].
    #[arg(long, value_enum)]
    pub(crate) init: Option<Init>,

    /// Start from these weights instead: a .safetensors file with torch.nn.Sequential's names
    /// (0.weight, 0.bias, 2.weight, ...; F32 or F64) or a model.json written by scalargrad. The
    /// shapes must match the network the flags describe.
    #[arg(long, value_name = "FILE")]
    pub(crate) init_from: Option<PathBuf>,

    /// Loss: hinge (micrograd's; multi-class SVM for more than 2 classes), logistic (binary
    /// cross-entropy, 2 classes), mse (2 classes or regression), cross-entropy (softmax, one
    /// output per class) [default: hinge for 2 classes, cross-entropy for more, mse for
    /// regression].
    #[arg(long, value_enum)]
    pub(crate) loss: Option<Loss>,

    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub(crate) optimizer: OptimizerKind,

    /// Initial learning rate (a finite number > 0; with adam try 0.01) [default: 1, 0.3 for
    /// mse].
    #[arg(long, value_parser = parse_lr, allow_negative_numbers = true)]
    pub(crate) lr: Option<f64>,

    /// Learning-rate schedule: linear decay to a tenth (micrograd's) or constant.
    #[arg(long, value_enum, default_value_t = Schedule::Linear)]
    pub(crate) schedule: Schedule,

    /// Number of training steps (1 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_steps)]
    pub(crate) steps: usize,

    /// Examples per step (at least 1); the whole training set when not given.
    #[arg(long, value_parser = parse_batch_size)]
    pub(crate) batch_size: Option<usize>,

    /// L2 regularisation strength alpha: the objective adds alpha * sum p^2 over every weight
    /// and bias (0 or more, finite).
    #[arg(long, default_value_t = 1e-4, value_parser = parse_strength, allow_negative_numbers = true)]
    pub(crate) l2: f64,

    /// L1 regularisation strength beta: the objective adds beta * sum |p| over every weight and
    /// bias (0 or more, finite; d|p|/dp is 0 at p = 0).
    #[arg(long, default_value_t = 0.0, value_parser = parse_strength, allow_negative_numbers = true)]
    pub(crate) l1: f64,

    /// Seed for the data, the split, the initial weights and the batches: the same seed gives
    /// the same run.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,

    /// Threads that share each batch (1 to 256): each builds the graph of its share of the
    /// examples and the gradients are summed. Pays off for large batches and networks.
    #[arg(long, default_value_t = 1, value_parser = parse_threads)]
    pub(crate) threads: usize,

    /// Also draw the graph of one training example's loss (the one the trained network gets
    /// most wrong) through the network:
    /// graph.dot, plus graph.svg and graph.png when Graphviz's `dot` is installed. Networks of
    /// more than 200 nodes are drawn one box per layer.
    #[arg(long)]
    pub(crate) graph: bool,

    /// Frames of training.gif, the decision map (or regression surface) animated over the run,
    /// evenly spaced from step 0 to the last (0 to 100000; 0 writes no animation; never more than
    /// the steps + 1).
    #[arg(long, default_value_t = 50, value_parser = parse_frames, allow_negative_numbers = true)]
    pub(crate) frames: usize,

    /// Directory for the pictures, metrics and model (created if missing).
    #[arg(long, default_value = "output")]
    pub(crate) out: PathBuf,
}

/// Input features as given to `--features`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FeatureList(pub(crate) Vec<Feature>);

impl fmt::Display for FeatureList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|feature| feature.name()).collect();
        write!(f, "{}", names.join(","))
    }
}

fn parse_features(text: &str) -> Result<FeatureList, String> {
    Feature::parse_list(text).map(FeatureList)
}

fn parse_frames(text: &str) -> Result<usize, String> {
    whole_number(text, 0, 100_000)
}

fn parse_classes(text: &str) -> Result<usize, String> {
    whole_number(text, 2, MAX_CLASSES)
}

/// Hidden-layer widths as given to `--hidden`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Widths(pub(crate) Vec<usize>);

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

fn parse_strength(text: &str) -> Result<f64, String> {
    number(
        text,
        |v| v >= 0.0,
        "a finite number of 0 or more, e.g. 1e-4",
    )
}

/// The most hidden layers `--hidden` takes (network.png stays readable within 4000 pixels).
const MAX_LAYERS: usize = 32;

fn parse_hidden(text: &str) -> Result<Widths, String> {
    if text.split(',').count() > MAX_LAYERS {
        return Err(format!(
            "must be at most {MAX_LAYERS} layer widths, e.g. 16,16"
        ));
    }
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

/// A combination of flags that cannot work, named for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub(crate) struct UsageError {
    /// The flag to change, e.g. `--classes`.
    pub(crate) flag: &'static str,
    /// Why, and what would work.
    pub(crate) message: String,
}

fn usage(flag: &'static str, message: String) -> UsageError {
    UsageError { flag, message }
}

impl Args {
    /// The task the flags ask for: --task, else the built-in dataset's (classification for a
    /// CSV file).
    ///
    /// # Errors
    /// `--task` contradicting a built-in dataset.
    pub(crate) fn task(&self) -> Result<Task, UsageError> {
        let inherent = match self.data {
            Some(_) => None,
            None => Some(self.dataset.task()),
        };
        match (self.task, inherent) {
            (Some(asked), Some(made)) if asked != made => Err(usage(
                "--task",
                format!(
                    "the {} dataset is for {}, not {}; for {} choose {}",
                    name_of(&self.dataset),
                    name_of(&made),
                    name_of(&asked),
                    name_of(&asked),
                    match asked {
                        Task::Regression =>
                            "--dataset plane or gauss, or --data with a target column",
                        Task::Classification => "another --dataset",
                    }
                ),
            )),
            (Some(asked), _) => Ok(asked),
            (None, Some(made)) => Ok(made),
            (None, None) => Ok(Task::Classification),
        }
    }

    /// The number of classes of the built-in dataset (`None` for a CSV file, 0 for regression).
    ///
    /// # Errors
    /// `--classes` that the dataset cannot make, or given for regression or a CSV file.
    pub(crate) fn generated_classes(&self) -> Result<Option<usize>, UsageError> {
        if self.data.is_some() {
            return match self.classes {
                Some(_) => Err(usage(
                    "--classes",
                    "a CSV file's classes are its labels; leave --classes out with --data".into(),
                )),
                None => Ok(None),
            };
        }
        let Some(range) = self.dataset.class_range() else {
            return match self.classes {
                Some(_) => Err(usage(
                    "--classes",
                    format!(
                        "{} is a regression dataset; it has no classes",
                        name_of(&self.dataset)
                    ),
                )),
                None => Ok(Some(0)),
            };
        };
        match self.classes {
            None => Ok(Some(*range.start())),
            Some(k) if range.contains(&k) => Ok(Some(k)),
            Some(k) => Err(usage(
                "--classes",
                format!(
                    "{} makes {} classes, not {k}; spiral and blobs make 2 to {MAX_CLASSES}",
                    name_of(&self.dataset),
                    if range.start() == range.end() {
                        range.start().to_string()
                    } else {
                        format!("{} to {}", range.start(), range.end())
                    }
                ),
            )),
        }
    }

    /// The training configuration these flags describe for data of `classes` classes (0 for
    /// regression).
    ///
    /// # Errors
    /// `--loss` that cannot train this task.
    pub(crate) fn train_config(&self, classes: usize) -> Result<TrainConfig, UsageError> {
        let loss = self.loss.unwrap_or(Loss::default_for(classes));
        loss.check(classes).map_err(|why| usage("--loss", why))?;
        Ok(TrainConfig {
            hidden: self.hidden.0.clone(),
            activation: self.activation,
            init: self.init.unwrap_or(Init::for_activation(self.activation)),
            loss,
            optimizer: self.optimizer,
            lr: self.lr.unwrap_or(loss.default_learning_rate()),
            schedule: self.schedule,
            steps: self.steps,
            batch_size: self.batch_size,
            l2: self.l2,
            l1: self.l1,
            features: self.features.0.clone(),
            standardize: self.standardize,
            seed: self.seed,
            threads: self.threads,
        })
    }

    /// The full data set: the CSV file, or the generated one with `classes` classes.
    ///
    /// # Errors
    /// If the CSV file cannot be read or is invalid.
    pub(crate) fn load_data(
        &self,
        task: Task,
        classes: Option<usize>,
    ) -> Result<Dataset, DataError> {
        match &self.data {
            Some(path) => Dataset::from_csv_for(path, task),
            None => Ok(self.dataset.generate_classes(
                self.samples,
                self.noise,
                classes.unwrap_or(0),
                &mut rng_for(self.seed, purpose::DATA),
            )),
        }
    }
}

/// The name a flag value is written with (`moons`, `regression`).
pub(crate) fn name_of(value: &impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}
