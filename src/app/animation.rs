//! training.gif: the decision map (or regression surface) of the model as it trains, or for
//! inputs that are an image the first layer's weights as images, one frame every few steps,
//! written with the `gif` crate directly.
//!
//! Frames are drawn straight into palette indices: every colour a frame uses is known in advance
//! (each class colour at a few confidence levels, or the diverging scale at a few levels, and
//! greys for text), so no per-frame colour quantisation is needed, which is what keeps the
//! animation cheap enough to render while training. Each frame is encoded into a temporary file
//! as soon as the next one is drawn, so the memory it takes does not grow with the frames.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use scalargrad::data::{Dataset, ImageShape, Task};
use scalargrad::model::Model;
use scalargrad::view::{self, MapCell, Plane};

use super::plot::{FONT, PlotError, blend, class_color, diverging, plot_error, register_font};

/// Width of a frame, in pixels.
pub(crate) const WIDTH: u16 = 480;
/// Height of the caption strip above the map.
const CAPTION: u16 = 40;
/// Height of a frame.
pub(crate) const HEIGHT: u16 = WIDTH + CAPTION;
/// Cells per side of the map (fewer for a network too wide to evaluate so often).
const CELLS: usize = 120;
/// Shades of each colour (confidence or size levels).
const LEVELS: usize = 12;
/// Greys, black to white, for the caption and borders.
const GREYS: usize = 16;

/// A run's frames, encoded as they come into a temporary file beside the GIF's place.
pub(crate) struct Animation<'a> {
    palette_size: usize,
    encoder: gif::Encoder<BufWriter<File>>,
    /// The newest frame, written when the next comes (every frame 0.1 s) or at the end (held
    /// for 2 s).
    pending: Option<Vec<u8>>,
    path: PathBuf,
    plane: &'a Plane,
    task: Task,
    classes: usize,
    reach: f64,
    train: &'a Dataset,
    test: &'a Dataset,
    /// For inputs that are an image: frames show the first layer's weights as images.
    image: Option<ImageShape>,
}

/// Which frames of a run of `steps` steps to keep when `frames` are asked for: the numbers of
/// steps done at each, evenly spaced from 0 to `steps`, both included (at most `steps + 1`).
pub(crate) fn frame_steps(frames: usize, steps: usize) -> Vec<usize> {
    let frames = frames.min(steps + 1);
    match frames {
        0 => Vec::new(),
        1 => vec![steps],
        _ => (0..frames)
            .map(|k| (k * steps + (frames - 1) / 2) / (frames - 1))
            .collect(),
    }
}

/// Where the diverging scale starts in the palette: after the greys and every class's levels
/// (a classifier of up to 10 classes; a regression has no class colours).
fn diverging_start(task: Task, classes: usize) -> usize {
    match task {
        Task::Classification => GREYS + classes.max(2) * LEVELS,
        Task::Regression => GREYS,
    }
}

/// The palette: greys, then each class at `LEVELS` confidences (for a classifier), then the
/// diverging scale (a regression's values, an image's weights).
fn palette(task: Task, classes: usize) -> Vec<RGBColor> {
    let mut palette: Vec<RGBColor> = (0..GREYS)
        .map(|k| {
            let v = (255 * k / (GREYS - 1)) as u8;
            RGBColor(v, v, v)
        })
        .collect();
    if task == Task::Classification {
        for class in 0..classes.max(2) {
            for level in 0..LEVELS {
                let t = 0.15 + 0.85 * level as f64 / (LEVELS - 1) as f64;
                palette.push(blend(WHITE, class_color(class, classes.max(2)), t));
            }
        }
    }
    for side in [-1.0, 1.0] {
        for level in 0..LEVELS * 4 {
            let t = side * level as f64 / (LEVELS * 4 - 1) as f64;
            palette.push(diverging(t, 1.0));
        }
    }
    palette
}

impl<'a> Animation<'a> {
    /// An animation of `model`'s task over `plane` (or, for inputs that are an `image`, of its
    /// first layer's weights), encoded into `path` (a temporary file the caller renames once
    /// the run's other files are written).
    ///
    /// # Errors
    /// If the file cannot be created.
    pub(crate) fn new(
        model: &Model,
        plane: &'a Plane,
        train: &'a Dataset,
        test: &'a Dataset,
        image: Option<ImageShape>,
        path: &Path,
    ) -> Result<Animation<'a>, PlotError> {
        let colors = palette(model.task(), model.classes());
        let bytes: Vec<u8> = colors.iter().flat_map(|c| [c.0, c.1, c.2]).collect();
        let file = File::create(path).map_err(plot_error)?;
        let mut encoder =
            gif::Encoder::new(BufWriter::new(file), WIDTH, HEIGHT, &bytes).map_err(plot_error)?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(plot_error)?;
        Ok(Animation {
            palette_size: colors.len(),
            encoder,
            pending: None,
            path: path.to_path_buf(),
            plane,
            task: model.task(),
            classes: model.classes(),
            reach: view::target_reach(train, test),
            train,
            test,
            image,
        })
    }

    /// The palette index of `class` at `level` (0 palest).
    fn class_index(&self, class: usize, level: usize) -> u8 {
        (GREYS + class * LEVELS + level.min(LEVELS - 1)) as u8
    }

    /// The palette index of `value` on the diverging scale reaching `reach`.
    fn value_index(&self, value: f64, reach: f64) -> u8 {
        let levels = LEVELS * 4;
        let t = (value / reach).clamp(-1.0, 1.0);
        let t = if t.is_finite() { t } else { 0.0 };
        let level = (t.abs() * (levels - 1) as f64).round() as usize;
        let side = if t < 0.0 { 0 } else { levels };
        let start = diverging_start(self.task, self.classes);
        (start + side + level) as u8
    }

    /// The first layer's weights as images on the frame below the caption: a tile per unit
    /// (at most 64), each on its own scale.
    fn draw_weights(&self, model: &Model, shape: ImageShape, frame: &mut [u8]) {
        let width = usize::from(WIDTH);
        let predictor = model.network.predictor();
        let units = predictor.weights(0);
        let shown = units.len().min(64);
        let columns = (shown as f64).sqrt().ceil().max(1.0) as usize;
        let cell = width / columns;
        let pixel = ((cell.saturating_sub(4)) / shape.width.max(shape.height)).max(1);
        for (k, weights) in units.iter().take(shown).enumerate() {
            let reach = view::reach(weights.iter().copied());
            let (x0, y0) = (
                (k % columns) * cell + 2,
                usize::from(CAPTION) + (k / columns) * cell + 2,
            );
            for (i, &w) in weights.iter().enumerate().take(shape.width * shape.height) {
                let index = self.value_index(w, reach);
                let (x, y) = (
                    x0 + (i % shape.width) * pixel,
                    y0 + (i / shape.width) * pixel,
                );
                for row in y..(y + pixel).min(usize::from(HEIGHT)) {
                    let start = row * width + x;
                    frame[start..(start + pixel).min((row + 1) * width)].fill(index);
                }
            }
        }
    }

    /// The palette index of the grey nearest `rgb`.
    fn grey_index(rgb: [u8; 3]) -> u8 {
        let luminance = (u32::from(rgb[0]) * 3 + u32::from(rgb[1]) * 6 + u32::from(rgb[2])) / 10;
        (luminance * (GREYS as u32 - 1) / 255) as u8
    }

    /// Adds a frame: `model` now, captioned with `caption`.
    ///
    /// # Errors
    /// If the caption cannot be drawn or the previous frame cannot be written.
    pub(crate) fn capture(&mut self, model: &Model, caption: &str) -> Result<(), PlotError> {
        let (width, height) = (usize::from(WIDTH), usize::from(HEIGHT));
        let mut frame = vec![(GREYS - 1) as u8; width * height];
        // the caption: drawn in RGB with the embedded font, then mapped to greys
        register_font();
        let strip = usize::from(CAPTION);
        let mut rgb = vec![255u8; width * strip * 3];
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (u32::from(WIDTH), u32::from(CAPTION)))
                .into_drawing_area();
            area.draw(&Text::new(
                caption.to_string(),
                (10, 10),
                (FONT, 20).into_font().color(&BLACK),
            ))
            .map_err(plot_error)?;
            area.present().map_err(plot_error)?;
        }
        for (pixel, chunk) in frame.iter_mut().zip(rgb.chunks_exact(3)) {
            *pixel = Self::grey_index([chunk[0], chunk[1], chunk[2]]);
        }
        if let Some(shape) = self.image {
            self.draw_weights(model, shape, &mut frame);
            if let Some(previous) = self.pending.replace(frame) {
                self.write(previous, 10)?;
            }
            return Ok(());
        }
        // the map, cell by cell (rows from the top), then pixel by pixel
        let cells = view::cells_within(model, CELLS);
        let map = view::map(model, self.plane, cells);
        let class_of = |cell: &MapCell| match cell {
            MapCell::Class { class, .. } => Some(*class),
            MapCell::Value(_) => None,
        };
        let indices: Vec<u8> = map
            .iter()
            .map(|cell| match *cell {
                MapCell::Value(value) => self.value_index(value, self.reach),
                MapCell::Class { class, confidence } => {
                    let level = (confidence * 0.65 * (LEVELS - 1) as f64).round() as usize;
                    self.class_index(class, level)
                }
            })
            .collect();
        for j in 0..cells {
            for i in 0..cells {
                let here = j * cells + i;
                // a border where the class changes to the right or below
                let border = (i + 1 < cells && class_of(&map[here + 1]) != class_of(&map[here]))
                    || (j + 1 < cells && class_of(&map[here + cells]) != class_of(&map[here]));
                let index = if border && self.task == Task::Classification {
                    4 // a dark grey
                } else {
                    indices[here]
                };
                let (x0, x1) = (i * width / cells, (i + 1) * width / cells);
                for y in j * width / cells..(j + 1) * width / cells {
                    let row = strip + y;
                    frame[row * width + x0..row * width + x1].fill(index);
                }
            }
        }
        self.draw_points(&mut frame);
        if let Some(previous) = self.pending.replace(frame) {
            self.write(previous, 10)?;
        }
        Ok(())
    }

    /// Draws the points: training filled with a dark outline, held-out as rings.
    fn draw_points(&self, frame: &mut [u8]) {
        let (width, height) = (usize::from(WIDTH), usize::from(HEIGHT));
        let strip = usize::from(CAPTION);
        let plane = self.plane;
        let to_pixel = |(x, y): (f64, f64)| -> Option<(i64, i64)> {
            let fx = x / (plane.x.1 - plane.x.0) - plane.x.0 / (plane.x.1 - plane.x.0);
            let fy = y / (plane.y.1 - plane.y.0) - plane.y.0 / (plane.y.1 - plane.y.0);
            (fx.is_finite()
                && fy.is_finite()
                && (0.0..=1.0).contains(&fx)
                && (0.0..=1.0).contains(&fy))
            .then(|| {
                (
                    (fx * width as f64) as i64,
                    strip as i64 + ((1.0 - fy) * width as f64) as i64,
                )
            })
        };
        for (data, filled) in [(self.train, true), (self.test, false)] {
            for (row, &label) in data.rows().zip(&data.labels) {
                let Some((cx, cy)) = to_pixel(plane.position(row)) else {
                    continue;
                };
                let color = match self.task {
                    Task::Regression => self.value_index(label, self.reach),
                    Task::Classification => self.class_index(label as usize, LEVELS - 1),
                };
                for dy in -4i64..=4 {
                    for dx in -4i64..=4 {
                        let distance = dx * dx + dy * dy;
                        let (x, y) = (cx + dx, cy + dy);
                        if x < 0
                            || y < strip as i64
                            || x >= width as i64
                            || y >= height as i64
                            || distance > 16
                        {
                            continue;
                        }
                        let ring = distance > 9;
                        let index = match (filled, ring) {
                            (true, true) => 3,
                            (true, false) => color,
                            (false, true) => color,
                            (false, false) => continue,
                        };
                        frame[y as usize * width + x as usize] = index;
                    }
                }
            }
        }
    }

    /// Encodes one frame shown for `delay` hundredths of a second.
    fn write(&mut self, pixels: Vec<u8>, delay: u16) -> Result<(), PlotError> {
        debug_assert!(pixels.iter().all(|&p| usize::from(p) < self.palette_size));
        let mut frame = gif::Frame::from_indexed_pixels(WIDTH, HEIGHT, pixels, None);
        frame.delay = delay;
        self.encoder.write_frame(&frame).map_err(plot_error)
    }

    /// Writes the last frame (held for 2 s) and the GIF's end; returns the temporary file's
    /// path.
    ///
    /// # Errors
    /// If writing fails.
    pub(crate) fn finish(mut self) -> Result<PathBuf, PlotError> {
        if let Some(last) = self.pending.take() {
            self.write(last, 200)?;
        }
        let writer = self.encoder.into_inner().map_err(plot_error)?;
        let file = writer.into_inner().map_err(|e| plot_error(e.error()))?;
        file.sync_all().map_err(plot_error)?;
        Ok(self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_evenly_spaced_and_include_both_ends() {
        assert_eq!(frame_steps(5, 100), vec![0, 25, 50, 75, 100]);
        assert_eq!(
            frame_steps(50, 3),
            vec![0, 1, 2, 3],
            "never more than steps + 1"
        );
        assert_eq!(frame_steps(0, 100), Vec::<usize>::new());
        assert_eq!(frame_steps(1, 10), vec![10]);
        let many = frame_steps(50, 100);
        assert_eq!((many.len(), many[0], many[49]), (50, 0, 100));
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }
}
