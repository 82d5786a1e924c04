//! Predicted against target for every row of a regression, with the line y = x.

use plotters::prelude::*;

use scalargrad::data::Dataset;
use scalargrad::model::Model;
use scalargrad::view::{axis_range, finite_bounds};

use super::{FONT, PlotError, TEST_COLOR, TRAIN_COLOR, legend, plot_error, render, tick_label_in};

/// A regression model's prediction against the target for every row, with the line y = x.
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn fit_png(
    model: &Model,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<u8>, PlotError> {
    let predictor = model.predictor();
    let pairs = |data: &Dataset| -> Vec<(f64, f64)> {
        data.rows()
            .zip(&data.labels)
            .map(|(row, &target)| (target, predictor.outputs(row)[0]))
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
    let (low, high) = axis_range(low, high);
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
