//! The program's flags: what each means, its range, and the configuration and data they describe.

use std::fmt;
use std::path::PathBuf;

use clap::Parser;

use scalargrad::data::{DataError, Dataset, Generator};
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

Files written to --out: loss.png, accuracy.png, decision_boundary.png, metrics.csv, model.json,
run.json. Every file is written completely or not at all.";

/// Train a small neural network made of scalar autograd nodes, and draw what it learned.
///
/// The defaults reproduce micrograd's moons demo: 100 points, an MLP with two hidden layers of
/// 16 ReLU units, hinge loss with 1e-4 L2, SGD with a learning rate decaying linearly from 1.0,
/// 100 full-batch steps. 20% of the points are held out to measure generalisation.
#[derive(Parser, Debug, Clone)]
#[command(name = "scalargrad", version, after_help = EXIT_CODES)]
pub(crate) struct Args {
    /// Built-in dataset to generate.
    #[arg(long, value_enum, default_value_t = Generator::Moons, conflicts_with = "data")]
    pub(crate) dataset: Generator,

    /// Train on your own CSV file instead: rows of x1,x2,label (a header row is optional; the
    /// label column must hold exactly two distinct values).
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Option<PathBuf>,

    /// Number of points to generate (2 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_samples)]
    pub(crate) samples: usize,

    /// Standard deviation of the Gaussian noise added to generated points (0 to 10).
    #[arg(long, default_value_t = 0.1, value_parser = parse_noise, allow_negative_numbers = true)]
    pub(crate) noise: f64,

    /// Fraction of the points held out as a test set (0 to 0.9).
    #[arg(long, default_value_t = 0.2, value_parser = parse_test_fraction, allow_negative_numbers = true)]
    pub(crate) test_fraction: f64,

    /// Hidden layer widths, comma-separated, e.g. 16,16 (each 1 to 4096).
    #[arg(long, default_value = "16,16", value_parser = parse_hidden)]
    pub(crate) hidden: Widths,

    /// Activation of the hidden layers.
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    pub(crate) activation: Activation,

    /// Initial weights: micrograd's uniform(-1, 1), He (normal, for ReLU) or Glorot (for tanh).
    #[arg(long, value_enum, default_value_t = Init::Uniform)]
    pub(crate) init: Init,

    /// Loss: hinge (micrograd's), logistic (binary cross-entropy) or mse.
    #[arg(long, value_enum, default_value_t = Loss::Hinge)]
    pub(crate) loss: Loss,

    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub(crate) optimizer: OptimizerKind,

    /// Initial learning rate (a finite number > 0; with adam try 0.01).
    #[arg(long, default_value_t = 1.0, value_parser = parse_lr, allow_negative_numbers = true)]
    pub(crate) lr: f64,

    /// Learning-rate schedule: linear decay to a tenth (micrograd's) or constant.
    #[arg(long, value_enum, default_value_t = Schedule::Linear)]
    pub(crate) schedule: Schedule,

    /// Number of training steps (1 to 1000000).
    #[arg(long, default_value_t = 100, value_parser = parse_steps)]
    pub(crate) steps: usize,

    /// Examples per step (at least 1); the whole training set when not given.
    #[arg(long, value_parser = parse_batch_size)]
    pub(crate) batch_size: Option<usize>,

    /// L2 regularisation strength alpha: the loss adds alpha * sum p^2 (0 or more, finite).
    #[arg(long, default_value_t = 1e-4, value_parser = parse_l2, allow_negative_numbers = true)]
    pub(crate) l2: f64,

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

    /// Directory for the pictures, metrics and model (created if missing).
    #[arg(long, default_value = "output")]
    pub(crate) out: PathBuf,
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

impl Args {
    /// The training configuration these flags describe.
    pub(crate) fn train_config(&self) -> TrainConfig {
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
    pub(crate) fn load_data(&self) -> Result<Dataset, DataError> {
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
