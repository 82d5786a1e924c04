//! A training run: flags -> settings and data -> a model (fresh, or from `--init-from`) ->
//! training with a progress bar and the animation's frames -> every output file -> a summary.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scalargrad::data::{DataError, Dataset, ImageShape, csv::read_table};
use scalargrad::engine::{set_values, values};
use scalargrad::files::temporary_path;
use scalargrad::model::{Format, SavedModel, safetensors};
use scalargrad::nn::optim::OptimizerKind;
use scalargrad::settings::{SettingError, Settings, names};
use scalargrad::train::{self, Start, Stop, TrainConfig, purpose, rng_for};
use scalargrad::view::Plane;

use super::animation::{self, Animation};
use super::cli::{Args, UsageError};
use super::error::AppError;
use super::outputs::{self, ANIMATION, Kind};
use super::progress::Progress;
use super::report;
use super::report::Finished;

/// Set by the Ctrl-C handler; the training loop stops before its next step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// How many times Ctrl-C was pressed: a press while the outputs are made (the first may have
/// stopped training, asking for them) abandons them.
static PRESSES: AtomicUsize = AtomicUsize::new(0);

/// Installs the Ctrl-C handler. The process has one; a second install (impossible here: `run`
/// is called once) would only fail to replace it, and it counts the same presses.
fn catch_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        PRESSES.fetch_add(1, Ordering::SeqCst);
    });
}

/// Refuses to go on once Ctrl-C was pressed more than `presses` times.
///
/// # Errors
/// `AppError::InterruptedUnwritten` naming `phase`.
fn go_on(presses: usize, phase: &'static str, out: &Path) -> Result<(), AppError> {
    if PRESSES.load(Ordering::SeqCst) > presses {
        return Err(AppError::InterruptedUnwritten {
            phase,
            out: out.to_path_buf(),
        });
    }
    Ok(())
}

fn usage(error: SettingError) -> AppError {
    AppError::Usage(UsageError::from(error))
}

/// The data the settings describe: the `--data` table, or the built-in dataset generated from
/// the seed.
///
/// # Errors
/// A setting that does not fit the data (exit 2), a file that cannot be read (exit 1) or is not
/// a usable table (exit 2, naming the line).
fn load_data(settings: &Settings) -> Result<Dataset, AppError> {
    match &settings.data {
        Some(path) => {
            let columns = settings.column_names();
            let options = settings.table_options(&columns).map_err(usage)?;
            if settings.classes.is_some() {
                return Err(usage(SettingError {
                    key: "classes",
                    message: "a table's classes are its labels; leave it out with --data".into(),
                }));
            }
            let path = Path::new(path);
            if let Err(error) = std::fs::metadata(path) {
                return Err(AppError::Input {
                    path: path.to_path_buf(),
                    message: error.to_string(),
                });
            }
            Ok(read_table(path, &options)?)
        }
        None => settings
            .generate(&mut rng_for(settings.seed, purpose::DATA))
            .map_err(usage),
    }
}

/// The image the inputs are, for the pictures of images: `--image`, or what the columns' names
/// spell, when the network reads the columns as they are (no `--features`).
///
/// # Errors
/// `--image` that is not a shape, does not hold the columns, or is given with `--features`.
fn image_of(settings: &Settings, train: &Dataset) -> Result<Option<ImageShape>, SettingError> {
    let refuse = |message: String| SettingError {
        key: "image",
        message,
    };
    let shape = ImageShape::of_data(settings.image.as_deref(), &train.columns).map_err(refuse)?;
    match (&settings.features, &settings.image) {
        (None, _) => Ok(shape),
        (Some(_), None) => Ok(None),
        (Some(_), Some(_)) => Err(refuse(
            "draws the columns as pixels, which --features replaces: leave one of them out".into(),
        )),
    }
}

/// Runs the program: check the flags and outputs, load or generate data, train with progress,
/// write every output, and print a summary.
///
/// # Errors
/// See [`AppError`]; for `Diverged` and `Interrupted` the outputs of the steps done are written
/// before the error is returned.
pub(crate) fn run(args: &Args) -> Result<(), AppError> {
    catch_ctrl_c();
    let settings = &args.settings.0;
    let task = settings.resolved_task().map_err(usage)?;
    let data = load_data(settings)?;
    let (train_set, test_set) = data.split(
        settings.test_fraction,
        &mut rng_for(settings.seed, purpose::SPLIT),
    );
    if train_set.is_empty() {
        return Err(AppError::Data(DataError {
            path: settings.data.clone().unwrap_or_default().into(),
            line: None,
            message: "no examples left for training after the held-out split".into(),
        }));
    }
    let config = settings.resolve(&train_set).map_err(usage)?;
    let axes = settings.plot_columns.as_deref().map(names);
    let plane = Plane::new(&train_set, &test_set, axes.as_deref()).map_err(|message| {
        usage(SettingError {
            key: "plot_columns",
            message,
        })
    })?;
    let image = image_of(settings, &train_set).map_err(usage)?;
    let model = train::build_model(&config, &train_set).map_err(|error| usage(error.into()))?;
    let mut start = Start::fresh(model);
    if let Some(path) = &args.init_from {
        start_from(&mut start, path, &config)?;
    }
    // the output directory is made (and checked) once everything else is known to work, so a
    // bad flag or file leaves no directory behind
    let kind = Kind {
        task,
        image: image.is_some(),
    };
    outputs::check_outputs(&args.out, kind, args.graph)?;
    go_on(0, "before training", &args.out)?;
    eprintln!(
        "training an MLP {} on {} examples ({} held out) for {} steps",
        report::shape(&start.model),
        train_set.len(),
        test_set.len(),
        config.steps
    );
    let progress = Progress::new(start.steps_done, config.steps, task);
    // training.gif: frames after 0, ..., steps updates, evenly spaced
    let keep = animation::frame_steps(args.frames, config.steps);
    let mut drawing = Duration::ZERO;
    let mut movie = if keep.is_empty() {
        None
    } else {
        let path = temporary_path(&args.out.join(ANIMATION));
        Some(
            Animation::new(&start.model, &plane, &train_set, &test_set, image, &path).map_err(
                |error| AppError::Output {
                    path: args.out.join(ANIMATION),
                    message: error.to_string(),
                },
            )?,
        )
    };
    let mut drawing_failed = None;
    let mut film = |model: &scalargrad::model::Model, done: usize, movie: &mut Animation<'_>| {
        if keep.binary_search(&done).is_ok() {
            let started = Instant::now();
            let caption = report::frame_caption(&config, model, &train_set, done);
            if let Err(error) = movie.capture(model, &caption) {
                drawing_failed.get_or_insert(error);
            }
            drawing += started.elapsed();
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
    let pictures_started = Instant::now();
    let animation = match (movie, drawing_failed) {
        (Some(movie), None) => Some(movie.finish()),
        (Some(_), Some(error)) => Some(Err(error)),
        (None, _) => None,
    }
    .transpose()
    .map_err(|error| AppError::Output {
        path: args.out.join(ANIMATION),
        message: error.to_string(),
    })?;
    // a press from here on abandons the outputs (one that stopped training asked for them)
    let presses = PRESSES.load(Ordering::SeqCst);
    let interrupted = || go_on(presses, "while making the outputs", &args.out);
    let finished = Finished::new(
        args,
        &config,
        &result,
        (&train_set, &test_set),
        (&plane, image),
    );
    let written = outputs::write_outputs(&finished, animation, &interrupted);
    let mut files: Vec<PathBuf> = written?;
    if args.graph {
        interrupted()?;
        let (graph_files, rendered) = outputs::write_example_graph(&finished)?;
        if !rendered {
            eprintln!(
                "Graphviz's `dot` is not on the PATH: wrote graph.dot only (install graphviz to \
                 get graph.svg and graph.png, or paste graph.dot into any Graphviz viewer)"
            );
        }
        files.extend(graph_files);
    }
    let pictures = drawing + pictures_started.elapsed();
    match result.stop {
        Stop::Diverged { step } => Err(AppError::Diverged {
            step,
            lr: config.lr,
            anomaly: result.anomaly.as_ref().map(ToString::to_string),
        }),
        Stop::Interrupted { step } => Err(AppError::Interrupted { steps_done: step }),
        Stop::Completed => {
            println!(
                "{}",
                report::summary(&result, pictures, files.len(), &args.out)
            );
            Ok(())
        }
    }
}

/// Sets `start`'s weights from the file at `path`: a model.json written by scalargrad (with the
/// optimizer's state and the steps its run took, to continue it), or safetensors tensors named
/// as `torch.nn.Sequential` names them. The shapes must be those of the model the flags
/// describe.
///
/// # Errors
/// `AppError::Input` (exit 1) if the file cannot be read; `AppError::Weights` (exit 2) naming
/// the file and what does not fit (both shapes, or the tensor) otherwise.
fn start_from(start: &mut Start, path: &Path, config: &TrainConfig) -> Result<(), AppError> {
    let bytes = std::fs::read(path).map_err(|error| AppError::Input {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    let unfit = |message: String| AppError::Weights {
        path: path.to_path_buf(),
        message,
    };
    let network = &start.model.network;
    let (inputs, widths) = (network.input_count(), network.widths());
    let described = report::shape_of(inputs, &widths);
    let weights = match Format::of(&bytes) {
        Format::Neither => {
            return Err(unfit(
                "not a model file: neither a scalargrad model.json nor a safetensors file".into(),
            ));
        }
        Format::Json => {
            let saved: SavedModel = serde_json::from_slice(&bytes)
                .map_err(|e| unfit(format!("not a scalargrad model.json: {e}")))?;
            let loaded = saved.to_model().map_err(|e| unfit(e.to_string()))?;
            if loaded.input_count() != inputs || loaded.widths() != widths {
                return Err(unfit(format!(
                    "its network is {}, but the flags describe {described}",
                    report::shape_of(loaded.input_count(), &loaded.widths()),
                )));
            }
            start.steps_done = saved.steps_done;
            let parameters = network.parameters_borrowed().len();
            match saved.optimizer {
                Some(state) if state.kind == config.optimizer => {
                    state.check(parameters).map_err(unfit)?;
                    start.optimizer = Some(state);
                }
                _ if config.optimizer == OptimizerKind::Sgd => {}
                _ => eprintln!(
                    "{} has no {} state: the optimizer starts fresh",
                    path.display(),
                    config.optimizer.name()
                ),
            }
            values(loaded.parameters_borrowed())
        }
        Format::Safetensors => safetensors::parse(&bytes)
            .and_then(|tensors| tensors.weights_for(inputs, &widths))
            .map_err(|e| unfit(format!("{e} (the flags describe {described})")))?,
    };
    if let Some(bad) = weights.iter().find(|w| !w.is_finite()) {
        return Err(unfit(format!(
            "a weight is {bad}: every weight must be a finite number"
        )));
    }
    set_values(network.parameters_borrowed(), &weights);
    Ok(())
}
