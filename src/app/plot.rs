//! The pictures a run leaves behind, drawn with plotters into memory and encoded as PNG.
//!
//! Text is drawn with a font compiled into the binary (Noto Sans, through `ab_glyph`), so no
//! system font library is needed at build or run time.

use std::fmt;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use plotters::coord::types::RangedCoordf64;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use scalargrad::data::{Dataset, class_index};
use scalargrad::model::Model;
use scalargrad::nn::metrics;
use scalargrad::train::StepMetrics;

/// Width of every picture, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every picture, in pixels.
pub const HEIGHT: u32 = 600;

pub(crate) const FONT: &str = "sans-serif";
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

pub(crate) fn plot_error(error: impl fmt::Display) -> PlotError {
    PlotError(error.to_string())
}

/// Registers the embedded font once per process.
pub(crate) fn register_font() {
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
    render_sized((WIDTH, HEIGHT), draw)
}

/// Draws with `draw` on a white canvas of `size` pixels and returns it as PNG bytes.
pub(crate) fn render_sized(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    register_font();
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    encode_png(&pixels, size.0, size.1)
}

/// The largest span an axis is given: beyond it the arithmetic of tick placement overflows.
const WIDEST: f64 = f64::MAX / 8.0;

/// An axis range around `low..=high` with `fraction` of its span added on each side, bounded
/// whatever the numbers: no NaN, no infinity, no zero width (all values equal, or none), and
/// no span the tick arithmetic cannot handle (values near 1e308).
fn axis_range(low: f64, high: f64, fraction: f64) -> (f64, f64) {
    let (low, high) = if low <= high && low.is_finite() && high.is_finite() {
        (low, high)
    } else {
        (-1.0, 1.0)
    };
    // halves first, so the span of -1e308..1e308 does not overflow
    let half_span = high / 2.0 - low / 2.0;
    let centre = low / 2.0 + high / 2.0;
    // at least a millionth of the centre's size (all values equal), at most what ticks can take
    let smallest = (centre.abs() * 1e-6).clamp(1e-9, WIDEST / 2.0);
    let half = (half_span * (1.0 + 2.0 * fraction)).clamp(smallest, WIDEST / 2.0);
    let centre = centre.clamp(-WIDEST, WIDEST);
    (centre - half, centre + half)
}

/// The smallest and largest of `values` that are finite (`(inf, -inf)` for none).
fn finite_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// Encodes RGB pixels as a PNG file.
pub(crate) fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
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
    render(|root| panel(root, legend_position, title, y_label, series, log_scale))
}

/// Draws a line chart of `series` over the steps on `area`, its y axis linear or logarithmic,
/// bounded whatever the numbers.
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    legend_position: SeriesLabelPosition,
    title: &str,
    y_label: &str,
    series: &[Series],
    log_scale: bool,
) -> Result<(), PlotError> {
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
    let (low, high) = finite_bounds(
        series
            .iter()
            .flat_map(|line| line.points.iter().map(|&(_, y)| y)),
    );
    // the x axis runs to the last step shown (at least two steps wide)
    let steps = series
        .iter()
        .flat_map(|line| line.points.last().map(|&(step, _)| step + 1))
        .max()
        .unwrap_or(0)
        .max(2);
    if log_scale && low <= high {
        // at most 12 decades below the top: a log axis over hundreds of decades makes the tick
        // search take forever; what lies lower is clipped
        let top = (high * 1.25).min(WIDEST);
        let bottom = (0.999 * 10f64.powf(low.log10().floor())).max(top * 1e-12);
        // from just below a power of ten, so every decade the data spans gets a labelled line
        let range = (bottom..top).log_scale();
        draw_curves(area, legend_position, title, y_label, range, steps, series)
    } else {
        let (bottom, top) = axis_range(low, high, 0.05);
        draw_curves(
            area,
            legend_position,
            title,
            y_label,
            bottom..top,
            steps,
            series,
        )
    }
}

/// An axis label for an axis spanning `span`: a tick within rounding error of 0 reads `0`, not
/// `-1.11e-16`.
fn tick_label_in(value: f64, span: f64) -> String {
    tick_label(if value.abs() < span.abs() * 1e-9 {
        0.0
    } else {
        value
    })
}

/// An axis label with at most 3 significant digits (`0.3`, not `0.30000000000000004`).
fn tick_label(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    if !(1e-3..1e5).contains(&value.abs()) {
        return format!("{value:.2e}");
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
        .x_label_area_size(40)
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

/// Training and held-out loss per step, on a log scale, and below it the norm of the gradient
/// each step followed.
///
/// # Errors
/// If drawing or encoding fails.
pub fn loss_png(metrics: &[StepMetrics]) -> Result<Vec<u8>, PlotError> {
    let series = train_and_test(metrics, |m| m.loss, |m| m.test_loss);
    let norms = [Series {
        name: "gradient norm",
        color: RGBColor(80, 80, 80),
        points: metrics.iter().map(|m| (m.step, m.grad_norm)).collect(),
    }];
    render(|root| {
        let (upper, lower) = root.split_vertically(HEIGHT * 62 / 100);
        panel(
            &upper,
            SeriesLabelPosition::UpperRight,
            "Loss per step (log scale)",
            "loss (mean + penalty)",
            &series,
            true,
        )?;
        panel(
            &lower,
            SeriesLabelPosition::UpperRight,
            "Gradient norm per step (log scale)",
            "|gradient|",
            &norms,
            true,
        )
    })
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
pub(crate) fn blend(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Paul Tol's "muted" palette, designed to be told apart with any colour vision, for 3 to 10
/// classes; two classes get blue and red, as micrograd's picture.
const PALETTE: [RGBColor; 10] = [
    RGBColor(51, 34, 136),
    RGBColor(136, 204, 238),
    RGBColor(68, 170, 153),
    RGBColor(17, 119, 51),
    RGBColor(153, 153, 51),
    RGBColor(221, 204, 119),
    RGBColor(204, 102, 119),
    RGBColor(136, 34, 85),
    RGBColor(170, 68, 153),
    RGBColor(120, 120, 120),
];

/// The colour of class `k` of `classes`.
pub(crate) fn class_color(k: usize, classes: usize) -> RGBColor {
    match (classes, k) {
        (2, 0) => NEGATIVE_COLOR,
        (2, _) => POSITIVE_COLOR,
        _ => PALETTE[k % PALETTE.len()],
    }
}

/// The region of the plane a picture shows: every point of `train` and `test`, with a margin.
pub(crate) struct Extent {
    pub(crate) x: (f64, f64),
    pub(crate) y: (f64, f64),
}

impl Extent {
    pub(crate) fn of(train: &Dataset, test: &Dataset) -> Extent {
        let points = || train.points.iter().chain(&test.points);
        let (x_low, x_high) = finite_bounds(points().map(|p| p[0]));
        let (y_low, y_high) = finite_bounds(points().map(|p| p[1]));
        Extent {
            x: axis_range(x_low, x_high, 0.1),
            y: axis_range(y_low, y_high, 0.1),
        }
    }

    /// The centre of cell (i, j) of a `cells` x `cells` grid, and the cell's size.
    pub(crate) fn cell(&self, i: usize, j: usize, cells: usize) -> ([f64; 2], f64, f64) {
        let dx = self.x.1 / cells as f64 - self.x.0 / cells as f64;
        let dy = self.y.1 / cells as f64 - self.y.0 / cells as f64;
        let centre = [
            self.x.0 + dx * (i as f64 + 0.5),
            self.y.0 + dy * (j as f64 + 0.5),
        ];
        (centre, dx, dy)
    }
}

/// Cells per side of the grid a map is drawn on.
const CELLS: usize = 150;

/// The predicted class at a point and how sure the model is (0 for a tie, 1 for certain): with
/// one output, its sign and |tanh(score)|; with one per class, the largest softmax probability
/// rescaled from [1/K, 1] to [0, 1].
pub(crate) fn class_and_confidence(outputs: &[f64]) -> (usize, f64) {
    let class = metrics::predicted_class(outputs);
    let confidence = match outputs {
        [score] => score.tanh().abs(),
        _ => {
            let top = outputs.iter().fold(f64::NEG_INFINITY, |m, &z| m.max(z));
            let total: f64 = outputs.iter().map(|&z| (z - top).exp()).sum();
            let k = outputs.len() as f64;
            ((1.0 / total) - 1.0 / k) / (1.0 - 1.0 / k)
        }
    };
    (
        class,
        if confidence.is_finite() {
            confidence
        } else {
            0.0
        },
    )
}

/// The x1 and x2 axes of a map of the plane, ticks labelled for `extent`.
fn plane_axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    extent: &Extent,
) -> Result<(), PlotError> {
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .x_label_formatter(&|v: &f64| tick_label_in(*v, extent.x.1 - extent.x.0))
        .y_label_formatter(&|v: &f64| tick_label_in(*v, extent.y.1 - extent.y.0))
        .label_style((FONT, 16))
        .draw()
        .map_err(plot_error)
}

/// Draws `data`'s points on a chart in their class colours (`color_of(label)`): filled with an
/// outline for training points, hollow rings for held-out ones.
fn draw_points<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    data: &Dataset,
    held_out: bool,
    color_of: &dyn Fn(f64) -> RGBColor,
) -> Result<(), PlotError> {
    let shown = |p: &[f64; 2]| p[0].is_finite() && p[1].is_finite();
    let points = data
        .points
        .iter()
        .zip(&data.labels)
        .filter(|(p, _)| shown(p));
    for (p, &label) in points {
        let color = color_of(label);
        let at = (p[0], p[1]);
        if held_out {
            chart
                .draw_series([Circle::new(at, 5, color.stroke_width(2))])
                .map_err(plot_error)?;
        } else {
            chart
                .draw_series([
                    Circle::new(at, 5, color.filled()),
                    Circle::new(at, 5, BLACK.mix(0.6).stroke_width(1)),
                ])
                .map_err(plot_error)?;
        }
    }
    Ok(())
}

/// The model's predicted class over the plane, shaded by its confidence, region borders in dark
/// grey, training points filled and held-out points hollow, with a legend of the classes.
///
/// # Errors
/// If drawing or encoding fails.
pub fn decision_boundary_png(
    model: &Model,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<u8>, PlotError> {
    let extent = Extent::of(train, test);
    let predictor = model.predictor();
    let classes = model.classes().max(2);
    let grid: Vec<(usize, f64)> = (0..CELLS)
        .flat_map(|i| (0..CELLS).map(move |j| (i, j)))
        .map(|(i, j)| class_and_confidence(&predictor.outputs(extent.cell(i, j, CELLS).0)))
        .collect();
    let class_at = |i: usize, j: usize| grid[i * CELLS + j].0;
    render(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Decision map: the predicted class over the plane",
                (FONT, 26),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(extent.x.0..extent.x.1, extent.y.0..extent.y.1)
            .map_err(plot_error)?;
        let cells = (0..CELLS).flat_map(|i| (0..CELLS).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let (class, confidence) = grid[i * CELLS + j];
                // a border where the class changes to the right or above
                let border = (i + 1 < CELLS && class_at(i + 1, j) != class)
                    || (j + 1 < CELLS && class_at(i, j + 1) != class);
                let color = if border {
                    RGBColor(60, 60, 60)
                } else {
                    blend(WHITE, class_color(class, classes), 0.15 + 0.55 * confidence)
                };
                let (centre, dx, dy) = extent.cell(i, j, CELLS);
                let corner = (centre[0] - dx / 2.0, centre[1] - dy / 2.0);
                Rectangle::new([corner, (corner.0 + dx, corner.1 + dy)], color.filled())
            }))
            .map_err(plot_error)?;
        plane_axes(&mut chart, &extent)?;
        let color_of = |label: f64| class_color(class_index(label, classes), classes);
        draw_points(&mut chart, train, false, &color_of)?;
        draw_points(&mut chart, test, true, &color_of)?;
        // the legend: one entry per class, and what a hollow point is
        for (k, name) in model.class_names.iter().enumerate() {
            let color = class_color(k, classes);
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(plot_error)?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        if !test.is_empty() {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(plot_error)?
                .label("held out (hollow)")
                .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// A diverging colour for `value` on the scale -`reach`..`reach`: blue below 0, white at 0, red
/// above.
pub(crate) fn diverging(value: f64, reach: f64) -> RGBColor {
    let t = (value / reach).clamp(-1.0, 1.0);
    if t >= 0.0 {
        blend(WHITE, POSITIVE_COLOR, t)
    } else {
        blend(WHITE, NEGATIVE_COLOR, -t)
    }
}

/// The largest |target| of the data: the reach of the surface's colour scale (1 if none).
pub(crate) fn target_reach(train: &Dataset, test: &Dataset) -> f64 {
    let (low, high) = finite_bounds(train.labels.iter().chain(&test.labels).copied());
    let reach = low.abs().max(high.abs());
    if reach > 0.0 && reach.is_finite() {
        reach
    } else {
        1.0
    }
}

/// A regression model's prediction over the plane as a diverging heatmap with a colour bar, the
/// points coloured by their target on the same scale (training filled, held-out hollow).
///
/// # Errors
/// If drawing or encoding fails.
pub fn surface_png(model: &Model, train: &Dataset, test: &Dataset) -> Result<Vec<u8>, PlotError> {
    let extent = Extent::of(train, test);
    let predictor = model.predictor();
    let reach = target_reach(train, test);
    render(|root| {
        let (map, bar) = root.split_horizontally(WIDTH - 110);
        let mut chart = ChartBuilder::on(&map)
            .caption("Prediction over the plane", (FONT, 26))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(extent.x.0..extent.x.1, extent.y.0..extent.y.1)
            .map_err(plot_error)?;
        let cells = (0..CELLS).flat_map(|i| (0..CELLS).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let (centre, dx, dy) = extent.cell(i, j, CELLS);
                let value = predictor.outputs(centre)[0];
                let corner = (centre[0] - dx / 2.0, centre[1] - dy / 2.0);
                let color = if value.is_finite() {
                    diverging(value, reach)
                } else {
                    RGBColor(60, 60, 60)
                };
                Rectangle::new([corner, (corner.0 + dx, corner.1 + dy)], color.filled())
            }))
            .map_err(plot_error)?;
        plane_axes(&mut chart, &extent)?;
        let color_of = |target: f64| diverging(target, reach);
        draw_points(&mut chart, train, false, &color_of)?;
        draw_points(&mut chart, test, true, &color_of)?;
        // the colour bar: the scale from -reach to reach, drawn in units of reach (labelled in
        // the targets' units) so the axis arithmetic never meets huge numbers
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(60)
            .margin_bottom(60)
            .margin_right(50)
            .y_label_area_size(0)
            .right_y_label_area_size(50)
            .build_cartesian_2d(0.0..1.0, -1.0..1.0)
            .map_err(plot_error)?;
        const STEPS: usize = 100;
        scale
            .draw_series((0..STEPS).map(|k| {
                let low = -1.0 + 2.0 * k as f64 / STEPS as f64;
                let high = low + 2.0 / STEPS as f64;
                let color = diverging((low + high) / 2.0, 1.0);
                Rectangle::new([(0.0, low), (1.0, high)], color.filled())
            }))
            .map_err(plot_error)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc("prediction / target")
            .y_label_formatter(&|v: &f64| tick_label_in(*v * reach, reach))
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        Ok(())
    })
}

/// A regression model's prediction against the target for every point, with the line y = x.
///
/// # Errors
/// If drawing or encoding fails.
pub fn fit_png(model: &Model, train: &Dataset, test: &Dataset) -> Result<Vec<u8>, PlotError> {
    let predictor = model.predictor();
    let pairs = |data: &Dataset| -> Vec<(f64, f64)> {
        data.points
            .iter()
            .zip(&data.labels)
            .map(|(&p, &target)| (target, predictor.outputs(p)[0]))
            .filter(|(t, p)| t.is_finite() && p.is_finite())
            .collect()
    };
    let (train_pairs, test_pairs) = (pairs(train), pairs(test));
    let (low, high) = finite_bounds(
        train_pairs
            .iter()
            .chain(&test_pairs)
            .flat_map(|&(t, p)| [t, p]),
    );
    let (low, high) = axis_range(low, high, 0.05);
    render(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Predicted against target", (FONT, 26))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(low..high, low..high)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("target")
            .y_desc("prediction")
            .x_label_formatter(&|v: &f64| tick_label_in(*v, high - low))
            .y_label_formatter(&|v: &f64| tick_label_in(*v, high - low))
            .label_style((FONT, 16))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(
                [(low, low), (high, high)],
                BLACK.mix(0.5).stroke_width(2),
            ))
            .map_err(plot_error)?
            .label("y = x (a perfect fit)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
        for (points, color, name) in [
            (&train_pairs, TRAIN_COLOR, "train"),
            (&test_pairs, TEST_COLOR, "test"),
        ] {
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(points.iter().map(|&at| Circle::new(at, 3, color.filled())))
                .map_err(plot_error)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// A class name short enough for an axis (at most 10 characters).
fn short_name(name: &str) -> String {
    if name.chars().count() <= 10 {
        name.to_string()
    } else {
        name.chars().take(9).chain(['…']).collect()
    }
}

/// The confusion matrices of the training and held-out sets side by side, as heatmaps of counts
/// (rows the true class, columns the predicted one, shaded by the share of their row).
///
/// # Errors
/// If drawing or encoding fails.
pub fn confusion_png(
    class_names: &[String],
    train: &[Vec<usize>],
    test: &[Vec<usize>],
) -> Result<Vec<u8>, PlotError> {
    let classes = class_names.len().max(1);
    render_sized((1000, 520), |root| {
        let halves = root.split_evenly((1, 2));
        for (area, (title, counts)) in halves
            .iter()
            .zip([("training set", train), ("held-out set", test)])
        {
            let total: usize = counts.iter().flatten().sum();
            let caption = format!("Confusion, {title} ({total} examples)");
            let mut chart = ChartBuilder::on(area)
                .caption(caption, (FONT, 22))
                .margin(12)
                .x_label_area_size(56)
                .y_label_area_size(90)
                .build_cartesian_2d(0.0..classes as f64, 0.0..classes as f64)
                .map_err(plot_error)?;
            let name_at = |v: f64| {
                let k = v.floor() as usize;
                class_names
                    .get(k)
                    .map_or_else(String::new, |n| short_name(n))
            };
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("predicted class")
                .y_desc("true class")
                .x_labels(classes * 2 + 1)
                .y_labels(classes * 2 + 1)
                // a label at each cell's centre only
                .x_label_formatter(&|v: &f64| {
                    if v.fract() == 0.5 {
                        name_at(*v)
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|v: &f64| {
                    if v.fract() == 0.5 {
                        name_at(classes as f64 - *v)
                    } else {
                        String::new()
                    }
                })
                .label_style((FONT, 14))
                .draw()
                .map_err(plot_error)?;
            for (truth, row) in counts.iter().enumerate() {
                let row_total: usize = row.iter().sum();
                for (predicted, &count) in row.iter().enumerate() {
                    let share = if row_total == 0 {
                        0.0
                    } else {
                        count as f64 / row_total as f64
                    };
                    let color = if truth == predicted {
                        blend(WHITE, TRAIN_COLOR, share)
                    } else {
                        blend(WHITE, TEST_COLOR, share)
                    };
                    // the first class at the top, as a matrix is read
                    let (x, y) = (predicted as f64, (classes - 1 - truth) as f64);
                    chart
                        .draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled())])
                        .map_err(plot_error)?;
                    let size = if classes > 6 { 12 } else { 18 };
                    let text_color = if share > 0.6 { WHITE } else { BLACK };
                    chart
                        .draw_series([Text::new(
                            count.to_string(),
                            (x + 0.5, y + 0.5),
                            (FONT, size)
                                .into_font()
                                .color(&text_color)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )])
                        .map_err(plot_error)?;
                }
            }
        }
        Ok(())
    })
}

/// Most neurons a column of network.png shows; wider layers show those with the largest
/// outgoing weights, and "+N more".
const SHOWN: usize = 16;

/// Colours of a link: weight > 0 and weight < 0 (TF Playground's blue and orange).
const LINK_POSITIVE: RGBColor = RGBColor(33, 102, 172);
const LINK_NEGATIVE: RGBColor = RGBColor(230, 97, 1);

/// The network as a picture: a column per layer, input features first, each shown neuron a
/// tile with its output over the plane of the decision map, links coloured by the weight's sign
/// and drawn thicker for larger |w|, and a legend.
///
/// # Errors
/// If drawing or encoding fails.
pub fn network_png(model: &Model, train: &Dataset, test: &Dataset) -> Result<Vec<u8>, PlotError> {
    let extent = Extent::of(train, test);
    let predictor = model.network.predictor();
    let widths = model.network.widths();
    // what every unit computes on a grid over the plane: the inputs, then each layer
    const GRID: usize = 24;
    let mut grids: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); model.inputs.len()]];
    grids.extend(widths.iter().map(|&w| vec![Vec::new(); w]));
    for j in 0..GRID {
        for i in 0..GRID {
            let (centre, _, _) = extent.cell(i, GRID - 1 - j, GRID);
            let inputs = model.inputs.of(centre);
            let layers = predictor.layer_outputs(&inputs);
            for (column, values) in std::iter::once(&inputs).chain(&layers).enumerate() {
                for (unit, &v) in values.iter().enumerate() {
                    grids[column][unit].push(v);
                }
            }
        }
    }
    // which units each column shows: all, or the SHOWN with the largest outgoing |w|
    let columns = grids.len();
    let shown: Vec<Vec<usize>> = (0..columns)
        .map(|c| {
            let count = grids[c].len();
            if count <= SHOWN || c + 1 == columns {
                return (0..count.min(SHOWN)).collect();
            }
            let next = predictor.weights(c);
            let outgoing = |unit: usize| next.iter().map(|row| row[unit].abs()).sum::<f64>();
            let mut order: Vec<usize> = (0..count).collect();
            order.sort_by(|&a, &b| outgoing(b).total_cmp(&outgoing(a)));
            let mut kept: Vec<usize> = order[..SHOWN].to_vec();
            kept.sort_unstable();
            kept
        })
        .collect();
    let most = shown.iter().map(Vec::len).max().unwrap_or(1);
    // sizes that stay under 4000 pixels a side for any layer count the flags allow
    let pitch = ((3900 - 80) / columns as u32).clamp(60, 230);
    let tile = (pitch * 3 / 10).clamp(16, 64);
    let row_pitch = tile + 26;
    let width = (80 + columns as u32 * pitch).max(800);
    let height = (140 + most as u32 * row_pitch + 40).clamp(500, 4000);
    let left = |c: usize| 40 + c as i32 * pitch as i32;
    let top = |c: usize, k: usize| {
        let count = shown[c].len() as i32;
        let middle = (height as i32 - 60) / 2 + 20;
        middle - count * row_pitch as i32 / 2 + k as i32 * row_pitch as i32
    };
    render_sized((width, height), |root| {
        // the links first, under the tiles
        for c in 0..columns - 1 {
            let rows = predictor.weights(c);
            let largest = rows
                .iter()
                .flat_map(|r| r.iter())
                .fold(0.0f64, |m, w| m.max(w.abs()));
            for (to_k, &to) in shown[c + 1].iter().enumerate() {
                for (from_k, &from) in shown[c].iter().enumerate() {
                    let w = rows[to][from];
                    if !w.is_finite() || largest == 0.0 {
                        continue;
                    }
                    let color = if w > 0.0 {
                        LINK_POSITIVE
                    } else {
                        LINK_NEGATIVE
                    };
                    // the share first: 5 |w| overflows for weights near 1e308
                    let share = w.abs() / largest;
                    let thickness = 1 + (5.0 * share).round() as u32;
                    let start = (left(c) + tile as i32, top(c, from_k) + tile as i32 / 2);
                    let end = (left(c + 1), top(c + 1, to_k) + tile as i32 / 2);
                    root.draw(&PathElement::new(
                        vec![start, end],
                        color
                            .mix(0.25 + 0.6 * w.abs() / largest)
                            .stroke_width(thickness),
                    ))
                    .map_err(plot_error)?;
                }
            }
        }
        let names = |c: usize, unit: usize| -> String {
            if c == 0 {
                model.inputs.features[unit].name().to_string()
            } else if c + 1 == columns {
                match (grids[c].len(), model.class_names.get(unit)) {
                    (1, _) | (_, None) => "score".to_string(),
                    (_, Some(name)) => name.clone(),
                }
            } else {
                format!("h{c}.{}", unit + 1)
            }
        };
        let header_style = (FONT, 16).into_font().color(&BLACK);
        let label_style = (FONT, 12).into_font().color(&BLACK);
        for c in 0..columns {
            let title = if c == 0 {
                "inputs".to_string()
            } else if c + 1 == columns {
                "outputs".to_string()
            } else {
                format!("hidden {c} ({})", grids[c].len())
            };
            root.draw(&Text::new(title, (left(c) - 10, 50), header_style.clone()))
                .map_err(plot_error)?;
            for (k, &unit) in shown[c].iter().enumerate() {
                let values = &grids[c][unit];
                let reach = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let reach = if reach > 0.0 && reach.is_finite() {
                    reach
                } else {
                    1.0
                };
                let cell = tile as f64 / GRID as f64;
                let (x0, y0) = (left(c), top(c, k));
                for (n, &v) in values.iter().enumerate() {
                    let (i, j) = ((n % GRID) as f64, (n / GRID) as f64);
                    let corner = (x0 + (i * cell) as i32, y0 + (j * cell) as i32);
                    let far = (
                        x0 + ((i + 1.0) * cell) as i32,
                        y0 + ((j + 1.0) * cell) as i32,
                    );
                    let color = if v.is_finite() {
                        diverging(v, reach)
                    } else {
                        RGBColor(60, 60, 60)
                    };
                    root.draw(&Rectangle::new([corner, far], color.filled()))
                        .map_err(plot_error)?;
                }
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + tile as i32, y0 + tile as i32)],
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(plot_error)?;
                root.draw(&Text::new(
                    names(c, unit),
                    (x0, y0 + tile as i32 + 4),
                    label_style.clone(),
                ))
                .map_err(plot_error)?;
            }
            let hidden = grids[c].len() - shown[c].len();
            if hidden > 0 {
                let y = top(c, shown[c].len()) + 4;
                root.draw(&Text::new(
                    format!("+{hidden} more"),
                    (left(c), y),
                    header_style.clone(),
                ))
                .map_err(plot_error)?;
            }
        }
        // the legend
        let y = height as i32 - 34;
        root.draw(&Text::new(
            "Each tile: that unit's value over the plane (red > 0, white 0, blue < 0).   Links:",
            (20, y),
            label_style.clone(),
        ))
        .map_err(plot_error)?;
        let x = 560;
        for (k, (color, name)) in [(LINK_POSITIVE, "weight > 0"), (LINK_NEGATIVE, "weight < 0")]
            .into_iter()
            .enumerate()
        {
            let at = x + k as i32 * 130;
            root.draw(&PathElement::new(
                vec![(at, y + 7), (at + 30, y + 7)],
                color.stroke_width(4),
            ))
            .map_err(plot_error)?;
            root.draw(&Text::new(name, (at + 36, y), label_style.clone()))
                .map_err(plot_error)?;
        }
        root.draw(&Text::new(
            "thicker: larger |w|",
            (x + 270, y),
            label_style.clone(),
        ))
        .map_err(plot_error)?;
        root.draw(&Text::new(
            format!(
                "Network {} ({} activation)",
                shape_text(model),
                name_of_activation(model)
            ),
            (20, 14),
            (FONT, 20).into_font().color(&BLACK),
        ))
        .map_err(plot_error)?;
        Ok(())
    })
}

/// The network's shape as `2-16-16-1`.
fn shape_text(model: &Model) -> String {
    let mut parts = vec![model.network.inputs().to_string()];
    parts.extend(model.network.widths().iter().map(ToString::to_string));
    parts.join("-")
}

/// The hidden activation's name.
fn name_of_activation(model: &Model) -> String {
    serde_json::to_value(model.network.hidden_activation())
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
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
        assert_eq!(tick_label(0.000123456), "1.23e-4");
        assert_eq!(tick_label(1e308), "1.00e308", "not a 309-digit integer");
        assert_eq!(tick_label_in(-1.11e-16, 2.0), "0");
    }
}
