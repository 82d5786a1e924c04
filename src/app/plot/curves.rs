//! Line charts over the steps: the loss (with the gradient's norm below it) and the accuracy.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use scalargrad::train::StepMetrics;
use scalargrad::view::{WIDEST, axis_range, finite_bounds};

use super::{
    FONT, HEIGHT, PlotError, TEST_COLOR, TRAIN_COLOR, legend, plot_error, render, tick_label,
};

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
        let (bottom, top) = axis_range(low, high);
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
