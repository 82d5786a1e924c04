//! The drawing pad: a digit drawn on the page, reduced as the digits were made, and what the
//! network makes of it (its class, every class's probability, and which pixels raise the
//! class's score).

use serde_json::{Value, json};

use super::Session;
use crate::data::ImageShape;
use crate::data::digits::{self, SIDE};
use crate::nn::metrics::{predicted_class, softmax};

impl Session {
    /// What the network makes of a drawn 32x32 `bitmap` (row by row, `true` for ink): the
    /// 8x8 `counts` it reduces to ([`digits::reduce`]), the `class` and its name `label`, every
    /// class's `probabilities`, and the `gradient` of the class's score with respect to each of
    /// the 64 inputs.
    ///
    /// # Errors
    /// Data that is not 8x8 images of several classes (the digits), or a bitmap that is not
    /// 32 x 32.
    pub fn pad(&self, bitmap: &[bool]) -> Result<Value, String> {
        let model = self.trainer.model();
        let is_digits = ImageShape::of_columns(&self.train.columns)
            == Some(ImageShape {
                width: SIDE,
                height: SIDE,
            })
            && model.inputs.feature_names() == self.train.columns
            && model.output_count() > 1;
        if !is_digits {
            return Err(
                "the pad draws 8x8 digits: choose the digits dataset (its pixels as the inputs)"
                    .to_string(),
            );
        }
        let counts = digits::reduce(bitmap)?;
        let row = digits::row_of_counts(&counts);
        let outputs = model.predictor().outputs(&row);
        let class = predicted_class(&outputs);
        let gradient = model.input_gradient(&row, class);
        Ok(json!({
            "counts": counts,
            "class": class,
            "label": model.class_names.get(class),
            "probabilities": softmax(&outputs),
            "gradient": gradient,
        }))
    }
}
