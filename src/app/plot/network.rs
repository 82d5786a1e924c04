//! The network as a picture: a column per layer, each shown unit a tile of its output over the
//! plane, links coloured by the weight's sign and thicker for larger |w|.

use plotters::prelude::*;

use scalargrad::model::Model;
use scalargrad::view::{self, Plane};

use super::{FONT, PlotError, diverging, plot_error, render_sized};

/// Most neurons a column of network.png shows; wider layers show those with the largest
/// outgoing weights, and "+N more".
const SHOWN: usize = 16;

/// Colours of a link: weight > 0 and weight < 0 (TF Playground's blue and orange).
const LINK_POSITIVE: RGBColor = RGBColor(33, 102, 172);
const LINK_NEGATIVE: RGBColor = RGBColor(230, 97, 1);

/// The network as a picture: a column per layer, input features first, each shown unit a tile
/// with its output over the plane of the decision map, links coloured by the weight's sign and
/// drawn thicker for larger |w|, and a legend. A column of more than 16 units (64 inputs, a wide
/// layer) shows the 16 with the largest outgoing weights and "+N more".
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn network_png(model: &Model, plane: &Plane) -> Result<Vec<u8>, PlotError> {
    let predictor = model.network.predictor();
    // what every unit computes on a grid over the plane: the inputs, then each layer
    let grid = view::cells_within(model, 24);
    let grids = view::unit_grids(model, plane, grid);
    let feature_names = model.inputs.feature_names();
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
                feature_names[unit].clone()
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
                let reach = view::reach(values.iter().copied());
                let cell = tile as f64 / grid as f64;
                let (x0, y0) = (left(c), top(c, k));
                for (n, &v) in values.iter().enumerate() {
                    let (i, j) = ((n % grid) as f64, (n / grid) as f64);
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
            "Each tile: that unit's value over the map's plane (red > 0, white 0, blue < 0).   Links:",
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
    let mut parts = vec![model.network.input_count().to_string()];
    parts.extend(model.network.widths().iter().map(ToString::to_string));
    parts.join("-")
}

/// The hidden activation's name.
fn name_of_activation(model: &Model) -> &'static str {
    model.network.hidden_activation().name()
}
