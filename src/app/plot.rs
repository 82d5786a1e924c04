//! The pictures a run leaves behind, drawn with plotters into memory and encoded as PNG.
//!
//! Text is drawn with a font compiled into the binary (Noto Sans, through `ab_glyph`), so no
//! system font library is needed at build or run time.

use std::fmt;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use scalargrad::data::Dataset;
use scalargrad::nn::Mlp;
use scalargrad::train::StepMetrics;

/// Width of every picture, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every picture, in pixels.
pub const HEIGHT: u32 = 600;

const FONT: &str = "sans-serif";
const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
const TEST_COLOR: RGBColor = RGBColor(255, 127, 14);
const NEGATIVE_COLOR: RGBColor = RGBColor(59, 76, 192);
const POSITIVE_COLOR: RGBColor = RGBColor(180, 4, 38);

/// A picture could not be drawn or encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotError(String);

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot draw the plot: {}", self.0)
    }
}

impl std::error::Error for PlotError {}

fn plot_error(error: impl fmt::Display) -> PlotError {
    PlotError(error.to_string())
}

/// Registers the embedded font once per process.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to be valid; if it were not, text would be missing
        // from the pictures but nothing else would fail.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR);
    });
}

/// Draws with `draw` on a white WIDTH x HEIGHT canvas and returns it as PNG bytes.
fn render(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    register_font();
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    encode_png(&pixels, WIDTH, HEIGHT)
}

/// Encodes RGB pixels as a PNG file.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(plot_error)?;
    writer.write_image_data(pixels).map_err(plot_error)?;
    writer.finish().map_err(plot_error)?;
    Ok(bytes)
}

/// One line of a chart: a name for the legend, a colour, and (step, value) points.
struct Series {
    name: &'static str,
    color: RGBColor,
    points: Vec<(usize, f64)>,
}

/// A line chart of one or two series over the steps.
fn curves(
    legend_position: SeriesLabelPosition,
    title: &str,
    y_label: &str,
    series: &[Series],
    log_scale: bool,
) -> Result<Vec<u8>, PlotError> {
    // a point the axis cannot show (NaN, infinite, or <= 0 on a log scale) is left out
    let shown = |y: f64| y.is_finite() && (!log_scale || y > 0.0);
    let series: Vec<Series> = series
        .iter()
        .map(|line| Series {
            points: line
                .points
                .iter()
                .filter(|&&(_, y)| shown(y))
                .copied()
                .collect(),
            ..*line
        })
        .collect();
    let series = &series[..];
    let all_y = series
        .iter()
        .flat_map(|line| line.points.iter().map(|&(_, y)| y));
    let (low, high) = all_y.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (low, high) = if low <= high {
        (low, high)
    } else {
        (1e-3, 1.0)
    };
    let steps = series
        .iter()
        .map(|line| line.points.len())
        .max()
        .unwrap_or(0)
        .max(2);
    if log_scale {
        render(|root| {
            draw_curves(
                root,
                legend_position,
                title,
                y_label,
                // from just below a power of ten, so every decade the data spans gets a labelled line
                (0.999 * 10f64.powf(low.log10().floor())..high * 1.25).log_scale(),
                steps,
                series,
            )
        })
    } else {
        let margin = ((high - low) * 0.05).max(1e-3);
        render(|root| {
            draw_curves(
                root,
                legend_position,
                title,
                y_label,
                (low - margin)..(high + margin),
                steps,
                series,
            )
        })
    }
}

/// An axis label with at most 3 significant digits (`0.3`, not `0.30000000000000004`).
fn tick_label(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (2 - value.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Draws `series` over steps 0..steps with the y axis `y_range` (linear or logarithmic).
fn draw_curves<Y>(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    legend_position: SeriesLabelPosition,
    title: &str,
    y_label: &str,
    y_range: Y,
    steps: usize,
    series: &[Series],
) -> Result<(), PlotError>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 28))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0..steps - 1, y_range)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(y_label)
        .y_labels(10)
        .y_label_formatter(&|v: &f64| tick_label(*v))
        .label_style((FONT, 16))
        .draw()
        .map_err(plot_error)?;
    for line in series {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(line.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    legend(&mut chart, legend_position)
}

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(plot_error)
}

/// Training and held-out loss per step, on a log scale.
///
/// # Errors
/// If drawing or encoding fails.
pub fn loss_png(metrics: &[StepMetrics]) -> Result<Vec<u8>, PlotError> {
    let series = train_and_test(metrics, |m| m.loss, |m| m.test_loss);
    curves(
        SeriesLabelPosition::UpperRight,
        "Loss per step (log scale)",
        "loss (mean + L2 term)",
        &series,
        true,
    )
}

/// The training series, and the held-out one if any step measured it.
fn train_and_test(
    metrics: &[StepMetrics],
    train: fn(&StepMetrics) -> f64,
    test: fn(&StepMetrics) -> f64,
) -> Vec<Series> {
    let mut series = vec![Series {
        name: "train",
        color: TRAIN_COLOR,
        points: metrics.iter().map(|m| (m.step, train(m))).collect(),
    }];
    if metrics.iter().any(|m| test(m).is_finite()) {
        series.push(Series {
            name: "test",
            color: TEST_COLOR,
            points: metrics.iter().map(|m| (m.step, test(m))).collect(),
        });
    }
    series
}

/// Training and held-out accuracy per step.
///
/// # Errors
/// If drawing or encoding fails.
pub fn accuracy_png(metrics: &[StepMetrics]) -> Result<Vec<u8>, PlotError> {
    let series = train_and_test(metrics, |m| 100.0 * m.accuracy, |m| 100.0 * m.test_accuracy);
    curves(
        SeriesLabelPosition::LowerRight,
        "Accuracy per step",
        "accuracy (%)",
        &series,
        false,
    )
}

/// Blends two colours: `t` = 0 gives `a`, 1 gives `b`.
fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The colour of a score: blue for negative, red for positive, white at the boundary.
fn score_color(score: f64) -> RGBColor {
    let strength = score.tanh().abs() * 0.6;
    let target = if score > 0.0 {
        POSITIVE_COLOR
    } else {
        NEGATIVE_COLOR
    };
    blend(WHITE, target, strength)
}

/// The model's score over a grid as a colour map, the decision boundary (score 0) emphasised,
/// and the training (filled) and held-out (hollow) points on top, like micrograd's demo picture.
///
/// # Errors
/// If drawing or encoding fails.
pub fn decision_boundary_png(
    model: &Mlp,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<u8>, PlotError> {
    let all = train.points.iter().chain(&test.points);
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for p in all {
        x_min = x_min.min(p[0]);
        x_max = x_max.max(p[0]);
        y_min = y_min.min(p[1]);
        y_max = y_max.max(p[1]);
    }
    if x_min > x_max {
        (x_min, x_max, y_min, y_max) = (-1.0, 1.0, -1.0, 1.0);
    }
    let pad_x = (x_max - x_min).max(1e-3) * 0.1;
    let pad_y = (y_max - y_min).max(1e-3) * 0.1;
    let (x_min, x_max, y_min, y_max) = (x_min - pad_x, x_max + pad_x, y_min - pad_y, y_max + pad_y);
    const CELLS: usize = 150;
    let dx = (x_max - x_min) / CELLS as f64;
    let dy = (y_max - y_min) / CELLS as f64;
    let [negative_name, positive_name] = &train.label_names;
    let predictor = model.predictor();
    render(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Decision boundary: model score over the plane", (FONT, 26))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(plot_error)?;
        let cells = (0..CELLS).flat_map(|i| (0..CELLS).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let x = x_min + dx * i as f64;
                let y = y_min + dy * j as f64;
                let score = predictor.predict(&[x + dx / 2.0, y + dy / 2.0])[0];
                let color = if score.abs() < 0.02 {
                    RGBColor(60, 60, 60)
                } else {
                    score_color(score)
                };
                Rectangle::new([(x, y), (x + dx, y + dy)], color.filled())
            }))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x1")
            .y_desc("x2")
            .label_style((FONT, 16))
            .draw()
            .map_err(plot_error)?;
        for (data, filled, suffix) in [(train, true, "train"), (test, false, "test")] {
            for (label, color, name) in [
                (-1.0, NEGATIVE_COLOR, negative_name),
                (1.0, POSITIVE_COLOR, positive_name),
            ] {
                let points: Vec<(f64, f64)> = data
                    .points
                    .iter()
                    .zip(&data.labels)
                    .filter(|&(_, &y)| y == label)
                    .map(|(p, _)| (p[0], p[1]))
                    .collect();
                if points.is_empty() {
                    continue;
                }
                let style = if filled {
                    color.filled()
                } else {
                    color.stroke_width(2)
                };
                chart
                    .draw_series(points.into_iter().map(move |p| Circle::new(p, 5, style)))
                    .map_err(plot_error)?
                    .label(format!("{name} ({suffix})"))
                    .legend(move |(x, y)| Circle::new((x + 10, y), 5, style));
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.30000000000000004), "0.3");
        assert_eq!(tick_label(0.01), "0.01");
        assert_eq!(tick_label(2.0), "2");
        assert_eq!(tick_label(97.5), "97.5");
        assert_eq!(tick_label(1234.0), "1234");
        assert_eq!(tick_label(0.000123456), "0.000123");
    }
}
