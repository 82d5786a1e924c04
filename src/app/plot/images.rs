//! Pictures for inputs that are an image's pixels: what each first-layer unit looks for
//! (weights.png), the held-out images the model gets wrong (mistakes.png), and which pixels
//! raise the predicted class's score (saliency.png).

use plotters::coord::Shift;
use plotters::prelude::*;

use scalargrad::data::{Dataset, ImageShape};
use scalargrad::model::Model;
use scalargrad::nn::metrics::{predicted_class, softmax};
use scalargrad::view;

use super::{FONT, PlotError, diverging, plot_error, render_sized};

/// Most mistakes mistakes.png shows.
pub(crate) const MISTAKES_SHOWN: usize = 50;
/// Held-out images saliency.png explains.
pub(crate) const SALIENCY_SHOWN: usize = 8;

/// Pixels a side of one image pixel: a drawn image is about 96 pixels across.
fn pixel_size(shape: ImageShape) -> i32 {
    (96 / shape.width.max(shape.height) as i32).clamp(2, 16)
}

/// Draws `values` (one per pixel, row by row) as an image at `corner`, each pixel `size`
/// pixels a side, coloured by `colour`, with a thin frame.
fn draw_image(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    corner: (i32, i32),
    shape: ImageShape,
    size: i32,
    values: &[f64],
    colour: impl Fn(f64) -> RGBColor,
) -> Result<(), PlotError> {
    for (i, &v) in values.iter().enumerate().take(shape.width * shape.height) {
        let (row, column) = ((i / shape.width) as i32, (i % shape.width) as i32);
        let x = corner.0 + column * size;
        let y = corner.1 + row * size;
        root.draw(&Rectangle::new(
            [(x, y), (x + size, y + size)],
            colour(v).filled(),
        ))
        .map_err(plot_error)?;
    }
    let far = (
        corner.0 + shape.width as i32 * size,
        corner.1 + shape.height as i32 * size,
    );
    root.draw(&Rectangle::new([corner, far], RGBColor(150, 150, 150)))
        .map_err(plot_error)
}

/// A pixel's ink: 0 white, `darkest` black.
fn ink(value: f64, darkest: f64) -> RGBColor {
    let t = if darkest > 0.0 {
        (value / darkest).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let level = (255.0 * (1.0 - t)).round() as u8;
    RGBColor(level, level, level)
}

fn text(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    words: &str,
    at: (i32, i32),
    size: u32,
) -> Result<(), PlotError> {
    root.draw(&Text::new(
        words.to_string(),
        at,
        (FONT, size).into_font().color(&BLACK),
    ))
    .map_err(plot_error)
}

/// Where a picture's cells go: `count` cells in rows of `columns`, each `pitch` apart, below a
/// title and a subtitle (see [`headings`]).
struct Grid {
    columns: i32,
    rows: i32,
    pitch: (i32, i32),
}

impl Grid {
    fn new(count: usize, columns: i32, pitch: (i32, i32)) -> Grid {
        let columns = columns.max(1);
        let rows = ((count as i32 + columns - 1) / columns).max(1);
        Grid {
            columns,
            rows,
            pitch,
        }
    }

    /// The canvas: the cells, a margin, and room for the headings (at least 640 wide, so the
    /// headings fit).
    fn size(&self) -> (u32, u32) {
        let width = (40 + self.columns * self.pitch.0).max(640);
        (width as u32, (80 + self.rows * self.pitch.1) as u32)
    }

    /// The top-left corner of cell `k`.
    fn corner(&self, k: usize) -> (i32, i32) {
        let (column, row) = (k as i32 % self.columns, k as i32 / self.columns);
        (20 + column * self.pitch.0, 70 + row * self.pitch.1)
    }
}

/// A picture's title and the line under it that says how to read it.
fn headings(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: &str,
    reading: &str,
) -> Result<(), PlotError> {
    text(root, title, (20, 14), 20)?;
    text(root, reading, (20, 42), 14)
}

/// Class `k`'s name, or its number.
fn class_name(model: &Model, k: usize) -> String {
    model
        .class_names
        .get(k)
        .cloned()
        .unwrap_or_else(|| k.to_string())
}

/// The largest pixel value of `data`: drawn black ([`ink`]).
fn darkest(data: &Dataset) -> f64 {
    data.inputs.iter().copied().fold(0.0, f64::max)
}

/// What the model gives each class: softmax probabilities for several outputs; for one output
/// (two classes, -1/+1), the logistic of twice the score for the positive class.
fn probabilities(outputs: &[f64]) -> Vec<f64> {
    match outputs {
        [score] => {
            let positive = 1.0 / (1.0 + (-2.0 * score).exp());
            vec![1.0 - positive, positive]
        }
        _ => softmax(outputs),
    }
}

/// The first layer's weights as images: a tile per unit, its weights drawn where its pixels
/// are (red positive, blue negative, each unit on its own scale), in a grid, labelled.
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn weights_png(model: &Model, shape: ImageShape) -> Result<Vec<u8>, PlotError> {
    let predictor = model.network.predictor();
    let units = predictor.weights(0);
    let size = pixel_size(shape);
    let tile = (shape.width as i32 * size, shape.height as i32 * size);
    let columns = (units.len() as f64).sqrt().ceil() as i32;
    let grid = Grid::new(units.len(), columns, (tile.0 + 16, tile.1 + 30));
    render_sized(grid.size(), |root| {
        headings(
            root,
            &format!(
                "What each of the {} first-layer units looks for: its weight on each pixel",
                units.len()
            ),
            "red: ink there raises the unit's input, blue: lowers it; each unit on its own scale",
        )?;
        for (k, weights) in units.iter().enumerate() {
            let corner = grid.corner(k);
            let reach = view::reach(weights.iter().copied());
            draw_image(root, corner, shape, size, weights, |w| diverging(w, reach))?;
            text(
                root,
                &format!("unit {k}"),
                (corner.0, corner.1 + tile.1 + 4),
                12,
            )?;
        }
        Ok(())
    })
}

/// The held-out images the model gets wrong (up to [`MISTAKES_SHOWN`]), each with its true
/// class, the class given and the probability given to it.
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn mistakes_png(
    model: &Model,
    test: &Dataset,
    shape: ImageShape,
) -> Result<Vec<u8>, PlotError> {
    let predictor = model.predictor();
    let darkest = darkest(test);
    let mut wrong = Vec::new();
    for (row, &label) in test.rows().zip(&test.labels) {
        let outputs = predictor.outputs(row);
        let given = predicted_class(&outputs);
        if given != label as usize {
            wrong.push((row, label as usize, given, probabilities(&outputs)[given]));
        }
    }
    let size = pixel_size(shape);
    let tile = (shape.width as i32 * size, shape.height as i32 * size);
    let shown = wrong.len().min(MISTAKES_SHOWN);
    let grid = Grid::new(shown, 10, (tile.0.max(96) + 16, tile.1 + 46));
    let name = |k: usize| class_name(model, k);
    render_sized(grid.size(), |root| {
        headings(
            root,
            &format!(
                "Held-out images it gets wrong: {} of {}{}",
                wrong.len(),
                test.len(),
                if wrong.len() > MISTAKES_SHOWN {
                    format!(" (the first {MISTAKES_SHOWN})")
                } else {
                    String::new()
                }
            ),
            "under each: the true class, the class given, and the probability given to it",
        )?;
        for (k, (row, truth, given, probability)) in wrong.iter().take(shown).enumerate() {
            let corner = grid.corner(k);
            draw_image(root, corner, shape, size, row, |v| ink(v, darkest))?;
            text(
                root,
                &format!("true {}, said {}", name(*truth), name(*given)),
                (corner.0, corner.1 + tile.1 + 4),
                12,
            )?;
            text(
                root,
                &format!("p = {:.0}%", 100.0 * probability),
                (corner.0, corner.1 + tile.1 + 20),
                12,
            )?;
        }
        Ok(())
    })
}

/// For the first [`SALIENCY_SHOWN`] held-out images: the image, and beside it the gradient of
/// the predicted class's score with respect to each pixel (red raises it, blue lowers it).
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn saliency_png(
    model: &Model,
    test: &Dataset,
    shape: ImageShape,
) -> Result<Vec<u8>, PlotError> {
    let predictor = model.predictor();
    let darkest = darkest(test);
    let size = pixel_size(shape);
    let tile = (shape.width as i32 * size, shape.height as i32 * size);
    let pairs = test.len().min(SALIENCY_SHOWN);
    let grid = Grid::new(pairs, 4.min(pairs as i32), (2 * tile.0 + 40, tile.1 + 46));
    let name = |k: usize| class_name(model, k);
    render_sized(grid.size(), |root| {
        headings(
            root,
            "Saliency: d(score of the class given) / d(pixel), beside each held-out image",
            "red: more ink there raises the score of the class given, blue: lowers it",
        )?;
        for (k, (row, &label)) in test
            .rows()
            .zip(&test.labels)
            .take(SALIENCY_SHOWN)
            .enumerate()
        {
            let outputs = predictor.outputs(row);
            let given = predicted_class(&outputs);
            // one output scores the positive class; the negative one's score is its negation
            let (output, sign) = match outputs.len() {
                1 if given == 0 => (0, -1.0),
                1 => (0, 1.0),
                _ => (given, 1.0),
            };
            let gradient: Vec<f64> = model
                .input_gradient(row, output)
                .iter()
                .map(|g| sign * g)
                .collect();
            let reach = view::reach(gradient.iter().copied());
            let corner = grid.corner(k);
            draw_image(root, corner, shape, size, row, |v| ink(v, darkest))?;
            draw_image(
                root,
                (corner.0 + tile.0 + 8, corner.1),
                shape,
                size,
                &gradient,
                |g| diverging(g, reach),
            )?;
            text(
                root,
                &format!(
                    "true {}, said {} ({:.0}%)",
                    name(label as usize),
                    name(given),
                    100.0 * probabilities(&outputs)[given]
                ),
                (corner.0, corner.1 + tile.1 + 4),
                12,
            )?;
        }
        Ok(())
    })
}
