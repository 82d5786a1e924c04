//! training.gif: the decision map (or regression surface) of the model as it trains, one frame
//! every few steps, written with the `gif` crate directly.
//!
//! Frames are drawn straight into palette indices: every colour a frame uses is known in advance
//! (each class colour at a few confidence levels, or the diverging scale at a few levels, and
//! greys for text), so no per-frame colour quantisation is needed, which is what keeps the
//! animation cheap enough to render while training.

use plotters::prelude::*;

use scalargrad::data::{Dataset, Task, class_index};
use scalargrad::model::Model;

use super::plot::{
    Extent, FONT, PlotError, blend, class_and_confidence, class_color, diverging, plot_error,
    register_font, target_reach,
};

/// Width of a frame, in pixels.
pub(crate) const WIDTH: u16 = 480;
/// Height of the caption strip above the map.
const CAPTION: u16 = 40;
/// Height of a frame.
pub(crate) const HEIGHT: u16 = WIDTH + CAPTION;
/// Cells per side of the map (each drawn as a square of `WIDTH / CELLS` pixels).
const CELLS: usize = 120;
/// Shades of each colour (confidence or size levels).
const LEVELS: usize = 12;
/// Greys, black to white, for the caption and borders.
const GREYS: usize = 16;

/// The frames of a run, as palette indices, and the palette.
pub(crate) struct Animation {
    palette: Vec<RGBColor>,
    frames: Vec<Vec<u8>>,
    extent: Extent,
    classes: usize,
    reach: f64,
    train: Dataset,
    test: Dataset,
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

impl Animation {
    /// An empty animation of `model`'s task over the extent of `train` and `test`.
    pub(crate) fn new(model: &Model, train: &Dataset, test: &Dataset) -> Animation {
        let classes = model.classes();
        let mut palette: Vec<RGBColor> = (0..GREYS)
            .map(|k| {
                let v = (255 * k / (GREYS - 1)) as u8;
                RGBColor(v, v, v)
            })
            .collect();
        match model.task() {
            Task::Classification => {
                for class in 0..classes.max(2) {
                    for level in 0..LEVELS {
                        let t = 0.15 + 0.85 * level as f64 / (LEVELS - 1) as f64;
                        palette.push(blend(WHITE, class_color(class, classes.max(2)), t));
                    }
                }
            }
            Task::Regression => {
                for side in [-1.0, 1.0] {
                    for level in 0..LEVELS * 4 {
                        let t = side * level as f64 / (LEVELS * 4 - 1) as f64;
                        palette.push(diverging(t, 1.0));
                    }
                }
            }
        }
        Animation {
            palette,
            frames: Vec::new(),
            extent: Extent::of(train, test),
            classes,
            reach: target_reach(train, test),
            train: train.clone(),
            test: test.clone(),
        }
    }

    /// The palette index of `class` at `level` (0 palest).
    fn class_index(&self, class: usize, level: usize) -> u8 {
        (GREYS + class * LEVELS + level.min(LEVELS - 1)) as u8
    }

    /// The palette index of a regression value.
    fn value_index(&self, value: f64) -> u8 {
        let levels = LEVELS * 4;
        let t = (value / self.reach).clamp(-1.0, 1.0);
        let t = if t.is_finite() { t } else { 0.0 };
        let level = (t.abs() * (levels - 1) as f64).round() as usize;
        let side = if t < 0.0 { 0 } else { levels };
        (GREYS + side + level) as u8
    }

    /// The palette index of the grey nearest `rgb`.
    fn grey_index(rgb: [u8; 3]) -> u8 {
        let luminance = (u32::from(rgb[0]) * 3 + u32::from(rgb[1]) * 6 + u32::from(rgb[2])) / 10;
        (luminance * (GREYS as u32 - 1) / 255) as u8
    }

    /// Adds a frame: `model` now, captioned with `caption`.
    ///
    /// # Errors
    /// If the caption cannot be drawn.
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
        // the map, cell by cell; rows from the top, so y runs downwards
        let predictor = model.predictor();
        let scale = width / CELLS;
        let task = model.task();
        let mut cells = vec![0u8; CELLS * CELLS];
        let mut classes = vec![0usize; CELLS * CELLS];
        for j in 0..CELLS {
            for i in 0..CELLS {
                let (centre, _, _) = self.extent.cell(i, CELLS - 1 - j, CELLS);
                let outputs = predictor.outputs(centre);
                cells[j * CELLS + i] = match task {
                    Task::Regression => self.value_index(outputs[0]),
                    Task::Classification => {
                        let (class, confidence) = class_and_confidence(&outputs);
                        classes[j * CELLS + i] = class;
                        let level = (confidence * 0.65 * (LEVELS - 1) as f64).round() as usize;
                        self.class_index(class, level)
                    }
                };
            }
        }
        for j in 0..CELLS {
            for i in 0..CELLS {
                let mut index = cells[j * CELLS + i];
                let border = task == Task::Classification
                    && ((i + 1 < CELLS && classes[j * CELLS + i + 1] != classes[j * CELLS + i])
                        || (j + 1 < CELLS
                            && classes[(j + 1) * CELLS + i] != classes[j * CELLS + i]));
                if border {
                    index = 4; // a dark grey
                }
                for dy in 0..scale {
                    let row = strip + j * scale + dy;
                    frame[row * width + i * scale..row * width + (i + 1) * scale].fill(index);
                }
            }
        }
        // the points: training filled with a dark outline, held-out as rings
        let to_pixel = |p: [f64; 2]| -> Option<(i64, i64)> {
            let fx = (p[0] - self.extent.x.0) / (self.extent.x.1 - self.extent.x.0);
            let fy = (p[1] - self.extent.y.0) / (self.extent.y.1 - self.extent.y.0);
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
        for (data, filled) in [(&self.train, true), (&self.test, false)] {
            for (&p, &label) in data.points.iter().zip(&data.labels) {
                let Some((cx, cy)) = to_pixel(p) else {
                    continue;
                };
                let color = match task {
                    Task::Regression => self.value_index(label),
                    Task::Classification => {
                        self.class_index(class_index(label, self.classes.max(2)), LEVELS - 1)
                    }
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
        self.frames.push(frame);
        Ok(())
    }

    /// The GIF: every frame 0.1 s, the last held for 2 s, looping forever.
    ///
    /// # Errors
    /// If encoding fails.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, PlotError> {
        let palette: Vec<u8> = self.palette.iter().flat_map(|c| [c.0, c.1, c.2]).collect();
        let mut bytes = Vec::new();
        {
            let mut encoder =
                gif::Encoder::new(&mut bytes, WIDTH, HEIGHT, &palette).map_err(plot_error)?;
            encoder
                .set_repeat(gif::Repeat::Infinite)
                .map_err(plot_error)?;
            for (k, pixels) in self.frames.iter().enumerate() {
                let mut frame =
                    gif::Frame::from_indexed_pixels(WIDTH, HEIGHT, pixels.clone(), None);
                frame.delay = if k + 1 == self.frames.len() { 200 } else { 10 };
                encoder.write_frame(&frame).map_err(plot_error)?;
            }
        }
        Ok(bytes)
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
