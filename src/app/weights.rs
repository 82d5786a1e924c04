//! `--init-from`: starting weights from a safetensors file (PyTorch's names) or a model.json.

use std::path::Path;

use scalargrad::engine::set_values;
use scalargrad::model::Model;
use scalargrad::model::SavedModel;
use scalargrad::model::safetensors;
use scalargrad::nn::optim::OptimizerState;

use super::error::AppError;
use super::report::shape_of;

/// What a model.json carries besides weights, to continue its run exactly.
pub(crate) struct Resume {
    /// The optimizer's state after its last step, if it saved one.
    pub(crate) optimizer: Option<OptimizerState>,
    /// The steps it had taken.
    pub(crate) steps_done: usize,
}

/// Sets `model`'s weights from the file at `path`: a model.json written by scalargrad (when
/// its text starts with `{`), else safetensors tensors named as `torch.nn.Sequential` names
/// them. The shapes must be those of `model`. Returns what a model.json says of its run.
///
/// # Errors
/// `AppError::Input` (exit 1) if the file cannot be read; `AppError::Weights` (exit 2) naming
/// the file and what does not fit (both shapes) otherwise.
pub(crate) fn start_from(model: &mut Model, path: &Path) -> Result<Resume, AppError> {
    let bytes = std::fs::read(path).map_err(|error| AppError::Input {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    let unfit = |message: String| AppError::Weights {
        path: path.to_path_buf(),
        message,
    };
    let (inputs, widths) = (model.network.inputs(), model.network.widths());
    let mut resume = Resume {
        optimizer: None,
        steps_done: 0,
    };
    let weights = if bytes.first() == Some(&b'{') {
        let saved: SavedModel = serde_json::from_slice(&bytes)
            .map_err(|e| unfit(format!("not a scalargrad model.json: {e}")))?;
        let network = saved.to_model().map_err(|e| unfit(e.to_string()))?;
        if network.inputs() != inputs || network.widths() != widths {
            return Err(unfit(format!(
                "its network is {}, but the flags describe {}",
                shape_of(network.inputs(), &network.widths()),
                shape_of(inputs, &widths)
            )));
        }
        resume = Resume {
            optimizer: saved.optimizer.clone(),
            steps_done: saved.steps_done,
        };
        scalargrad::engine::values(network.parameters_borrowed())
    } else {
        safetensors::parse(&bytes)
            .and_then(|tensors| tensors.weights_for(inputs, &widths))
            .map_err(|e| {
                unfit(format!(
                    "{e} (the flags describe {})",
                    shape_of(inputs, &widths)
                ))
            })?
    };
    set_values(model.network.parameters_borrowed(), &weights);
    Ok(resume)
}
