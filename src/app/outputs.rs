//! The files a run leaves in `--out`, in one table: each file's name, the runs that write it, and
//! what makes its bytes. The check before training, the writing after it and `--help` all read
//! this table; a new picture is a function in `plot/` and one row here.
//!
//! The files are written as a set: each to a temporary name first (where a full disk fails
//! before anything is replaced), then renamed into place, run.json last.

use std::path::{Path, PathBuf};

use scalargrad::data::{ImageShape, Task};
use scalargrad::engine::to_dot;
use scalargrad::files::{remove_stale_temporaries, write_atomic, write_set};
use scalargrad::model::SavedModel;
use scalargrad::model::safetensors::Dtype;
use scalargrad::train;

use super::error::AppError;
use super::graphviz::write_graph;
use super::plot;
use super::report::{self, Finished};

/// What decides which files a run writes: its task, and whether its inputs are an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    /// Classification or regression.
    pub(crate) task: Task,
    /// The inputs are an image's pixels (`--image`, or columns named `r0c0 ..`).
    pub(crate) image: bool,
}

/// One file of a run: its name, whether a run of this kind writes it, and its bytes.
struct OutputFile {
    name: &'static str,
    when: fn(Kind) -> bool,
    make: fn(&Finished<'_>) -> Result<Vec<u8>, String>,
}

fn always(_: Kind) -> bool {
    true
}

fn classification(kind: Kind) -> bool {
    kind.task == Task::Classification
}

fn regression(kind: Kind) -> bool {
    kind.task == Task::Regression
}

/// A map over the plane of two inputs (the decision map, the surface): not for an image, whose
/// slice through two pixels says nothing (its weight images say what the network looks at).
fn plane_classification(kind: Kind) -> bool {
    classification(kind) && !kind.image
}

fn plane_regression(kind: Kind) -> bool {
    regression(kind) && !kind.image
}

fn image(kind: Kind) -> bool {
    kind.image
}

fn image_classification(kind: Kind) -> bool {
    kind.image && classification(kind)
}

/// The image shape of a run that writes image pictures (its kind says it has one).
fn shape(f: &Finished<'_>) -> Result<ImageShape, String> {
    f.image
        .ok_or_else(|| "the inputs are not an image (give --image WxH)".to_string())
}

fn picture(drawn: Result<Vec<u8>, plot::PlotError>) -> Result<Vec<u8>, String> {
    drawn.map_err(|error| error.to_string())
}

/// Every file a run writes (training.gif and `--graph`'s aside), in the order they are renamed
/// into place: run.json, the record of the whole run, last.
const FILES: &[OutputFile] = &[
    OutputFile {
        name: "metrics.csv",
        when: always,
        make: |f| Ok(train::metrics_csv(f.result.model.task(), &f.result.metrics).into_bytes()),
    },
    OutputFile {
        name: "loss.png",
        when: always,
        make: |f| picture(plot::loss_png(&f.result.metrics)),
    },
    OutputFile {
        name: "accuracy.png",
        when: classification,
        make: |f| picture(plot::accuracy_png(&f.result.metrics)),
    },
    OutputFile {
        name: "decision_boundary.png",
        when: plane_classification,
        make: |f| {
            picture(plot::decision_boundary_png(
                &f.result.model,
                f.plane,
                f.train,
                f.test,
            ))
        },
    },
    OutputFile {
        name: "confusion.png",
        when: classification,
        make: |f| {
            picture(plot::confusion_png(
                &f.result.model.class_names,
                &f.trained.confusion,
                &f.held_out.confusion,
            ))
        },
    },
    OutputFile {
        name: "surface.png",
        when: plane_regression,
        make: |f| picture(plot::surface_png(&f.result.model, f.plane, f.train, f.test)),
    },
    OutputFile {
        name: "fit.png",
        when: regression,
        make: |f| picture(plot::fit_png(&f.result.model, f.train, f.test)),
    },
    OutputFile {
        name: "network.png",
        when: always,
        make: |f| picture(plot::network_png(&f.result.model, f.plane)),
    },
    OutputFile {
        name: "weights.png",
        when: image,
        make: |f| picture(plot::weights_png(&f.result.model, shape(f)?)),
    },
    OutputFile {
        name: "mistakes.png",
        when: image_classification,
        make: |f| picture(plot::mistakes_png(&f.result.model, f.test, shape(f)?)),
    },
    OutputFile {
        name: "saliency.png",
        when: image_classification,
        make: |f| picture(plot::saliency_png(&f.result.model, f.test, shape(f)?)),
    },
    OutputFile {
        name: "model.json",
        when: always,
        make: |f| {
            let config = serde_json::to_value(f.config).map_err(|e| e.to_string())?;
            let saved = SavedModel {
                optimizer: Some(f.result.optimizer.clone()),
                steps_done: f.result.steps_done,
                ..SavedModel::of(&f.result.model, config)
            };
            serde_json::to_vec_pretty(&saved).map_err(|e| e.to_string())
        },
    },
    OutputFile {
        name: "model.safetensors",
        when: always,
        make: |f| Ok(f.result.model.to_safetensors(Dtype::F64)),
    },
    OutputFile {
        name: "run.json",
        when: always,
        make: |f| serde_json::to_vec_pretty(&report::run_record(f)).map_err(|e| e.to_string()),
    },
];

/// The animation's file (written as the run goes, renamed with the others).
pub(crate) const ANIMATION: &str = "training.gif";
/// `--graph`'s files.
const GRAPH: [&str; 3] = ["graph.dot", "graph.svg", "graph.png"];

/// The files a run of `kind` writes (besides the animation and `--graph`'s).
pub(crate) fn file_names(kind: Kind) -> Vec<&'static str> {
    FILES
        .iter()
        .filter(|file| (file.when)(kind))
        .map(|file| file.name)
        .collect()
}

/// Makes sure `dir` exists, a file can be created in it, and no output file's name is taken by
/// a directory, before any work is done; removes the temporary files a killed run left there.
///
/// # Errors
/// `AppError::Output` naming the directory or the file.
pub(crate) fn check_outputs(dir: &Path, kind: Kind, graph: bool) -> Result<(), AppError> {
    let fail = |path: &Path, message: String| AppError::Output {
        path: path.to_path_buf(),
        message: format!("{message} (choose another directory with --out)"),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e.to_string()))?;
    let probe = dir.join(".scalargrad-write-test");
    write_atomic(&probe, b"").map_err(|e| fail(dir, e.to_string()))?;
    std::fs::remove_file(&probe).map_err(|e| fail(dir, e.to_string()))?;
    let mut names: Vec<&str> = FILES.iter().map(|file| file.name).collect();
    names.push(ANIMATION);
    names.extend(GRAPH);
    remove_stale_temporaries(dir, &names);
    let mut written = file_names(kind);
    written.push(ANIMATION);
    if graph {
        written.extend(GRAPH);
    }
    for name in written {
        let path = dir.join(name);
        if path.is_dir() {
            return Err(fail(&path, "a directory has this file's name".into()));
        }
    }
    Ok(())
}

/// Makes every file of `finished`'s run and writes them as a set, `animation` (a temporary file
/// the run wrote) among them; returns their paths. `interrupted` is asked before each file is
/// made: an error from it abandons the set.
///
/// # Errors
/// `AppError::Output` naming the first file that could not be made or written, or
/// `interrupted`'s error; no file of the set is replaced then, and the animation's temporary
/// file is removed.
pub(crate) fn write_outputs(
    finished: &Finished<'_>,
    animation: Option<PathBuf>,
    interrupted: &dyn Fn() -> Result<(), AppError>,
) -> Result<Vec<PathBuf>, AppError> {
    let out = &finished.args.out;
    let kind = Kind {
        task: finished.result.model.task(),
        image: finished.image.is_some(),
    };
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    for file in FILES.iter().filter(|file| (file.when)(kind)) {
        let made = interrupted().and_then(|()| {
            (file.make)(finished).map_err(|message| AppError::Output {
                path: out.join(file.name),
                message,
            })
        });
        match made {
            Ok(bytes) => files.push((file.name, bytes)),
            Err(error) => {
                if let Some(path) = &animation {
                    let _ = std::fs::remove_file(path);
                }
                return Err(error);
            }
        }
    }
    let prepared: Vec<(PathBuf, &str)> = animation.into_iter().map(|p| (p, ANIMATION)).collect();
    write_set(out, &files, &prepared).map_err(|(name, error)| AppError::Output {
        path: out.join(name),
        message: error.to_string(),
    })?;
    let mut paths: Vec<PathBuf> = files.iter().map(|(name, _)| out.join(name)).collect();
    paths.extend(prepared.iter().map(|(_, name)| out.join(name)));
    Ok(paths)
}

/// Writes graph.dot (and its pictures, when Graphviz is installed) for the training example the
/// trained model gets most wrong, so the gradients in the picture are not 0. Returns the files
/// and whether Graphviz rendered them.
///
/// # Errors
/// `AppError::Output` if a file cannot be written or Graphviz fails.
pub(crate) fn write_example_graph(
    finished: &Finished<'_>,
) -> Result<(Vec<PathBuf>, bool), AppError> {
    let model = &finished.result.model;
    let train = finished.train;
    let predictor = model.predictor();
    let labels = scalargrad::nn::loss::labels_for_loss(&train.labels, train.classes());
    let loss_of = |i: usize| {
        let outputs = predictor.outputs(train.row(i));
        model.loss.of_example(&outputs, labels[i])
    };
    let Some(worst) = (0..train.len()).max_by(|&a, &b| loss_of(a).total_cmp(&loss_of(b))) else {
        return Ok((Vec::new(), true));
    };
    let loss = train::example_graph(model, train.row(worst), train.labels[worst]);
    let dot = to_dot(&loss);
    let out = &finished.args.out;
    let files = write_graph(&dot, out, "graph").map_err(|message| AppError::Output {
        path: out.join("graph.dot"),
        message,
    })?;
    Ok((files.written, files.rendered))
}
