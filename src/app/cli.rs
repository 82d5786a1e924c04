//! The program's command line: the training flags (one per setting of the library's vocabulary,
//! `scalargrad::settings::SETTINGS`, made here), the program's own flags (outputs, pictures,
//! starting weights) and the subcommands.

use std::path::PathBuf;

use clap::builder::ValueParser;
use clap::{Arg, ArgAction, ArgMatches, Command, Parser};

use scalargrad::data::Task;
use scalargrad::model::safetensors::Dtype;
use scalargrad::nn::Activation;
use scalargrad::settings::{Range, SETTINGS, Setting, Settings};

const EXIT_CODES: &str = "\
Exit codes:
  0    training completed and every file was written
  1    a file could not be read or written (the message names it)
  2    invalid flags or input data (the message names the flag or the file and line)
  3    training diverged: the loss became NaN or infinite (outputs for the steps done are written)
  130  interrupted with Ctrl-C (outputs for the steps done are written)

Files written to --out: metrics.csv, model.json, model.safetensors, run.json, loss.png,
network.png, training.gif (unless --frames 0), and for a classifier accuracy.png,
decision_boundary.png and confusion.png, for regression surface.png and fit.png. Every file is
written completely or not at all.";

/// Train a small neural network made of scalar autograd nodes, and draw what it learned.
///
/// The defaults are micrograd's moons demo: 100 points, an MLP with two hidden layers of 16 ReLU
/// units, hinge loss with 1e-4 L2, SGD with a learning rate decaying linearly from 1.0, 100
/// full-batch steps (weights scaled to the fan-in; --init uniform is micrograd's own). 20% of the
/// points are held out to measure generalisation. Also: your own CSV table (--data, any number of
/// named columns), 2 to 10 classes (--classes, --loss cross-entropy), regression (--task
/// regression, --dataset plane or gauss), derived input features (--features), L1 and L2, and
/// starting from given weights (--init-from, e.g. a PyTorch state_dict saved as safetensors).
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
    pub(crate) command: Option<Action>,

    /// The training flags, for `scalargrad [FLAGS]` without a subcommand.
    #[command(flatten)]
    pub(crate) train: Args,
}

/// The subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub(crate) enum Action {
    /// Train a network and write its pictures, metrics and model (what `scalargrad [FLAGS]`
    /// does).
    #[command(after_help = EXIT_CODES)]
    Train(Box<Args>),
    /// Score the rows of a CSV file with a trained model: one output row per input row.
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
    /// file from elsewhere (then give --activation, and --features or --columns if its inputs
    /// are not the columns x1 .. xN).
    #[arg(long, value_name = "FILE")]
    pub(crate) model: PathBuf,

    /// The hidden layers' activation of a safetensors file without scalargrad's metadata.
    #[arg(long, value_parser = parse_activation)]
    pub(crate) activation: Option<Activation>,

    /// The input features of a safetensors file without scalargrad's metadata (see train's
    /// --features).
    #[arg(long)]
    pub(crate) features: Option<String>,

    /// The input columns of a safetensors file without scalargrad's metadata, comma-separated
    /// [default: x1,x2 with --features, else x1 .. xN].
    #[arg(long)]
    pub(crate) columns: Option<String>,

    /// The task of a safetensors file without scalargrad's metadata [default: classification;
    /// one output is two classes -1/+1, K outputs K classes 0..K-1].
    #[arg(long, value_parser = parse_task)]
    pub(crate) task: Option<Task>,
}

/// `scalargrad predict`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct PredictArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,

    /// The rows: a CSV file whose header names the model's input columns (in any order; other
    /// columns are kept), or without a header the inputs in the model's order.
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

    /// The examples: a CSV file of the model's input columns and a label (or target) column
    /// (without a header: the inputs in the model's order, then the label).
    #[arg(long, value_name = "CSV")]
    pub(crate) data: PathBuf,

    /// The label (or target) column [default: the model's label column if the file has it,
    /// else the last column].
    #[arg(long)]
    pub(crate) label: Option<String>,

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

/// The training flags: the settings, and what the program does with a run.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Args {
    /// Every training setting.
    #[command(flatten)]
    pub(crate) settings: SettingFlags,

    /// Start from these weights instead: a .safetensors file with torch.nn.Sequential's names
    /// (0.weight, 0.bias, 2.weight, ...; F32 or F64) or a model.json written by scalargrad (whose
    /// optimizer state and step count the run continues from). The shapes must match the
    /// network the flags describe.
    #[arg(long, value_name = "FILE")]
    pub(crate) init_from: Option<PathBuf>,

    /// Also draw the graph of one training example's loss (the one the trained network gets
    /// most wrong) through the network: graph.dot, plus graph.svg and graph.png when Graphviz's
    /// `dot` is installed. Networks of more than 200 nodes are drawn one box per layer.
    #[arg(long)]
    pub(crate) graph: bool,

    /// Frames of training.gif, the decision map (or regression surface) animated over the run,
    /// evenly spaced from step 0 to the last (0 writes no animation; never more than the steps
    /// + 1).
    #[arg(long, default_value_t = 50, value_parser = parse_frames, allow_negative_numbers = true)]
    pub(crate) frames: usize,

    /// Directory for the pictures, metrics and model (created if missing).
    #[arg(long, default_value = "output")]
    pub(crate) out: PathBuf,
}

/// The most frames `--frames` takes (a GIF of 100 seconds).
pub(crate) const MAX_FRAMES: usize = 1_000;

fn parse_frames(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|&frames| frames <= MAX_FRAMES)
        .ok_or_else(|| format!("must be a whole number from 0 to {MAX_FRAMES}"))
}

/// The value of a list of names that `text` names, or a message listing them.
fn by_name<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&value| name(value) == text.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|&v| name(v)).collect();
            format!("must be one of {}", names.join(", "))
        })
}

fn parse_activation(text: &str) -> Result<Activation, String> {
    by_name(&Activation::ALL, Activation::name, text)
}

fn parse_task(text: &str) -> Result<Task, String> {
    by_name(&Task::ALL, Task::name, text)
}

/// The training settings as flags, one per setting of the program's scope: their help, range
/// and default come from the vocabulary.
#[derive(Clone, Debug)]
pub(crate) struct SettingFlags(pub(crate) Settings);

/// The flag of `setting`: its help (the vocabulary's, with the choices and the default), and a
/// parser that checks its range before anything runs.
fn flag(setting: &'static Setting) -> Arg {
    let defaults = Settings::default();
    let name = setting.flag();
    let long = name.trim_start_matches('-').to_string();
    let mut help: String = setting
        .help
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match setting.range {
        Range::Choice(choices) => {
            let choices = choices();
            let pad = choices.iter().map(|c| c.name.len()).max().unwrap_or(0);
            for choice in &choices {
                help.push_str(&format!("\n  {:pad$}  {}", choice.name, choice.describe));
            }
        }
        Range::Text | Range::Switch => {}
        Range::Whole { .. } | Range::Number { .. } | Range::Widths { .. } => {
            help.push_str(&format!("\n(takes {})", setting.range.describe()));
        }
    }
    let default = setting.text_in(&defaults);
    let arg = Arg::new(setting.key)
        .long(long)
        .long_help(help.clone())
        .help(
            // the short help: the first sentence, and the choices' names
            match setting.range {
                Range::Choice(choices) => format!(
                    "{} [{}]",
                    first_sentence(&help),
                    choices()
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => first_sentence(&help),
            },
        );
    let arg = match setting.range {
        Range::Switch => arg.action(ArgAction::SetTrue),
        _ => {
            let arg = arg
                .value_name(setting.key.to_uppercase())
                .allow_negative_numbers(true)
                .value_parser(ValueParser::new(move |text: &str| {
                    setting.check_text(text).map(|()| text.to_string())
                }));
            if default.is_empty() {
                arg
            } else {
                arg.default_value(default)
            }
        }
    };
    // a table and a built-in dataset are two sources, steps and epochs two lengths of a run:
    // one or the other
    match setting.key {
        "data" => arg.conflicts_with("dataset"),
        "epochs" => arg.conflicts_with("steps"),
        _ => arg,
    }
}

/// The first sentence of a help text (up to its first `.`, `;` or ` [`).
fn first_sentence(help: &str) -> String {
    let end = help.find(" [").unwrap_or(help.len());
    help[..end].to_string()
}

impl clap::FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<SettingFlags, clap::Error> {
        let mut settings = Settings::default();
        for setting in SETTINGS.iter().filter(|s| s.scope.in_program()) {
            let text = match setting.range {
                Range::Switch => matches.get_flag(setting.key).then(|| "true".to_string()),
                _ => matches.get_one::<String>(setting.key).cloned(),
            };
            if let Some(text) = text {
                settings.set(setting.key, &text).map_err(|error| {
                    clap::Error::raw(
                        clap::error::ErrorKind::ValueValidation,
                        format!("{}: {}\n", setting.flag(), error.message),
                    )
                })?;
            }
        }
        settings.apply_dataset_defaults(|key| {
            matches.value_source(key) == Some(clap::parser::ValueSource::CommandLine)
        });
        Ok(SettingFlags(settings))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = SettingFlags::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for SettingFlags {
    fn augment_args(command: Command) -> Command {
        command.args(SETTINGS.iter().filter(|s| s.scope.in_program()).map(flag))
    }

    fn augment_args_for_update(command: Command) -> Command {
        SettingFlags::augment_args(command)
    }
}

/// A combination of flags that cannot work, named for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub(crate) struct UsageError {
    /// The flag to change, e.g. `--classes`.
    pub(crate) flag: String,
    /// Why, and what would work.
    pub(crate) message: String,
}

impl From<scalargrad::settings::SettingError> for UsageError {
    fn from(error: scalargrad::settings::SettingError) -> UsageError {
        UsageError {
            flag: format!("--{}", error.key.replace('_', "-")),
            message: error.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_of_the_program_is_a_flag_with_its_default() {
        let command = <Cli as clap::CommandFactory>::command();
        for setting in SETTINGS {
            let found = command
                .get_arguments()
                .find(|a| a.get_id() == setting.key)
                .is_some();
            assert_eq!(found, setting.scope.in_program(), "{}", setting.key);
        }
        let cli = Cli::try_parse_from(["scalargrad", "--hidden", "3,4", "--standardize"])
            .expect("valid flags");
        assert_eq!(cli.train.settings.0.hidden, vec![3, 4]);
        assert!(cli.train.settings.0.standardize);
        assert_eq!(cli.train.settings.0.lr, None, "left to the data's default");
        let error = Cli::try_parse_from(["scalargrad", "--steps", "0"]).expect_err("out of range");
        assert!(
            error
                .to_string()
                .contains("must be a whole number from 1 to 1000000")
        );
    }
}
