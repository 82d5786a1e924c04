//! The confusion matrices of the training and held-out sets, side by side.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, PlotError, TEST_COLOR, TRAIN_COLOR, blend, plot_error, render_sized};

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
