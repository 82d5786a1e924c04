//! The `scalargrad` program, built on the library: flags in, files and a summary out.
//!
//! The data of a run flows one way: [`cli::Args`] -> configuration and data -> training (the
//! library's `train::train`, with a progress callback) -> [`report`]. Only this layer prints.

mod animation;
pub(crate) mod cli;
mod error;
mod graphviz;
mod playground;
mod plot;
mod progress;
mod report;
mod use_model;
mod weights;

use std::sync::atomic::{AtomicBool, Ordering};

use scalargrad::data::DataError;
use scalargrad::nn::optim::OptimizerKind;
use scalargrad::train::{self, Stop, purpose, rng_for};

pub(crate) use error::AppError;
use progress::Progress;

/// Set by the Ctrl-C handler; the training loop stops before its next step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs the subcommand `cli` names (training without one).
///
/// # Errors
/// See [`AppError`].
pub(crate) fn dispatch(cli: &cli::Cli) -> Result<(), AppError> {
    match &cli.command {
        None => run(&cli.train),
        Some(cli::Command::Train(args)) => run(args),
        Some(cli::Command::Predict(args)) => use_model::predict(args),
        Some(cli::Command::Evaluate(args)) => use_model::evaluate(args),
        Some(cli::Command::Export(args)) => use_model::export(args),
        Some(cli::Command::Playground(args)) => playground::serve(args),
    }
}

/// Runs the program: check the flags and outputs, load or generate data, train with progress,
/// write every output, and print a summary.
///
/// # Errors
/// See [`AppError`]; for `Diverged` and `Interrupted` the outputs of the steps done are written
/// before the error is returned.
pub(crate) fn run(args: &cli::Args) -> Result<(), AppError> {
    let task = args.task()?;
    let classes = args.generated_classes()?;
    report::check_outputs(&args.out, task, args.graph)?;
    let data = args.load_data(task, classes)?;
    let config = args.train_config(data.classes())?;
    let (train_set, test_set) =
        data.split(args.test_fraction, &mut rng_for(args.seed, purpose::SPLIT));
    if train_set.is_empty() {
        return Err(AppError::Data(DataError {
            path: args.data.clone().unwrap_or_default(),
            line: None,
            message: "no examples left for training after the held-out split".into(),
        }));
    }
    let mut start = train::Start::fresh(train::build_model(&config, &train_set));
    if let Some(path) = &args.init_from {
        let resume = weights::start_from(&mut start.model, path)?;
        start.steps_done = resume.steps_done;
        match resume.optimizer {
            Some(state) if state.kind == config.optimizer => start.optimizer = Some(state),
            _ if config.optimizer == OptimizerKind::Sgd => {}
            _ => eprintln!(
                "{} has no {} state: the optimizer starts fresh",
                path.display(),
                cli::name_of(&config.optimizer)
            ),
        }
    }
    // The process has one handler; a second install (impossible here: `run` is called once)
    // would only fail to replace it, and it sets the same flag.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));

    eprintln!(
        "training an MLP {} on {} examples ({} held out) for {} steps",
        report::shape(&start.model),
        train_set.len(),
        test_set.len(),
        config.steps
    );
    let progress = Progress::new(config.steps, task);
    // training.gif: frames after 0, ..., steps updates, evenly spaced
    let keep = animation::frame_steps(args.frames, config.steps);
    let mut movie =
        (!keep.is_empty()).then(|| animation::Animation::new(&start.model, &train_set, &test_set));
    let mut drawing_failed = None;
    let mut film =
        |model: &scalargrad::model::Model, done: usize, movie: &mut animation::Animation| {
            if keep.binary_search(&done).is_ok() {
                let caption = report::frame_caption(&config, model, &train_set, done);
                if let Err(error) = movie.capture(model, &caption) {
                    drawing_failed.get_or_insert(error);
                }
            }
        };
    if let Some(movie) = movie.as_mut() {
        film(&start.model, 0, movie);
    }
    let first_step = start.steps_done;
    let result = train::train_model(
        &config,
        start,
        &train_set,
        &test_set,
        |m, model| {
            progress.update(m);
            if let Some(movie) = movie.as_mut() {
                film(model, m.step - first_step + 1, movie);
            }
        },
        &INTERRUPTED,
    );
    progress.finish();
    let result = result?;
    let mut files = report::write_outputs(args, &config, &result, &train_set, &test_set)?;
    if let Some(error) = drawing_failed {
        return Err(AppError::Output {
            path: args.out.join("training.gif"),
            message: error.to_string(),
        });
    }
    if let Some(movie) = &movie {
        files.push(report::write_animation(&args.out, movie)?);
    }
    if args.graph {
        let (graph_files, rendered) = report::write_example_graph(args, &result, &train_set)?;
        if !rendered {
            eprintln!(
                "Graphviz's `dot` is not on the PATH: wrote graph.dot only (install graphviz to \
                 get graph.svg and graph.png, or paste graph.dot into any Graphviz viewer)"
            );
        }
        files.extend(graph_files);
    }
    match result.stop {
        Stop::Diverged { step } => Err(AppError::Diverged {
            step,
            lr: config.lr,
            anomaly: result.anomaly.as_ref().map(ToString::to_string),
        }),
        Stop::Interrupted { step } => Err(AppError::Interrupted { steps_done: step }),
        Stop::Completed => {
            println!("{}", report::summary(&result, files.len(), &args.out));
            Ok(())
        }
    }
}
