//! Maps of the plane (two input columns, the others at their training mean): the decision map
//! of a classifier and the surface of a regression, with the data's points.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use scalargrad::data::Dataset;
use scalargrad::model::Model;
use scalargrad::view::{self, MapCell, Plane};

use super::{
    FONT, PlotError, WIDTH, blend, class_color, diverging, legend, plot_error, render,
    tick_label_in,
};

/// Cells per side of the grid a map is drawn on (fewer for a network too wide to evaluate so
/// often: `view::cells_within`).
const CELLS: usize = 150;

/// The plane's axes, named for its columns, ticks labelled for its extent.
fn plane_axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    plane: &Plane,
) -> Result<(), PlotError> {
    let y_name = match plane.y_column {
        Some(_) => plane.y_name().to_string(),
        None => "(one input column: the map is the same at every height)".to_string(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(plane.x_name())
        .y_desc(y_name)
        .x_label_formatter(&|v: &f64| tick_label_in(*v, plane.x.1 - plane.x.0))
        .y_label_formatter(&|v: &f64| tick_label_in(*v, plane.y.1 - plane.y.0))
        .label_style((FONT, 16))
        .draw()
        .map_err(plot_error)
}

/// A map's chart over the plane, its caption naming what the map shows and, for a slice, the
/// columns held at their mean.
fn map_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    what: &str,
    plane: &Plane,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, PlotError> {
    let caption = if plane.is_slice() {
        format!("{what} over {}", plane.title())
    } else {
        format!("{what} over the plane")
    };
    // a slice's caption is long: smaller letters so it fits the width
    let size = if caption.chars().count() > 60 { 16 } else { 26 };
    ChartBuilder::on(area)
        .caption(caption, (FONT, size))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(plane.x.0..plane.x.1, plane.y.0..plane.y.1)
        .map_err(plot_error)
}

/// Draws cell (`i`, `j`) of a `cells` x `cells` grid (row `j` from the top) in `color`.
fn cell_rectangle(
    plane: &Plane,
    (i, j): (usize, usize),
    cells: usize,
    color: RGBColor,
) -> Rectangle<(f64, f64)> {
    let (x, y) = plane.cell(i, j, cells);
    let (dx, dy) = plane.cell_size(cells);
    let corner = (x - dx / 2.0, y - dy / 2.0);
    Rectangle::new([corner, (corner.0 + dx, corner.1 + dy)], color.filled())
}

/// Draws `data`'s rows where they lie on the plane, in their class colours (`color_of(label)`):
/// filled with an outline for training points, hollow rings for held-out ones.
fn draw_points<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    plane: &Plane,
    data: &Dataset,
    held_out: bool,
    color_of: &dyn Fn(f64) -> RGBColor,
) -> Result<(), PlotError> {
    let points = data
        .rows()
        .map(|row| plane.position(row))
        .zip(&data.labels)
        .filter(|((x, y), _)| x.is_finite() && y.is_finite());
    for (at, &label) in points {
        let color = color_of(label);
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
pub(crate) fn decision_boundary_png(
    model: &Model,
    plane: &Plane,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<u8>, PlotError> {
    let classes = model.classes().max(2);
    let cells = view::cells_within(model, CELLS);
    let grid: Vec<(usize, f64)> = view::map(model, plane, cells)
        .into_iter()
        .map(|cell| match cell {
            MapCell::Class { class, confidence } => (class, confidence),
            MapCell::Value(_) => (0, 0.0),
        })
        .collect();
    let class_at = |i: usize, j: usize| grid[j * cells + i].0;
    render(|root| {
        let mut chart = map_chart(root, "Decision map: the predicted class", plane)?;
        let all = (0..cells).flat_map(|j| (0..cells).map(move |i| (i, j)));
        chart
            .draw_series(all.map(|(i, j)| {
                let (class, confidence) = grid[j * cells + i];
                // a border where the class changes to the right or below
                let border = (i + 1 < cells && class_at(i + 1, j) != class)
                    || (j + 1 < cells && class_at(i, j + 1) != class);
                let color = if border {
                    RGBColor(60, 60, 60)
                } else {
                    blend(WHITE, class_color(class, classes), 0.15 + 0.55 * confidence)
                };
                cell_rectangle(plane, (i, j), cells, color)
            }))
            .map_err(plot_error)?;
        plane_axes(&mut chart, plane)?;
        let color_of = |class: f64| class_color(class as usize, classes);
        draw_points(&mut chart, plane, train, false, &color_of)?;
        draw_points(&mut chart, plane, test, true, &color_of)?;
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

/// A regression model's prediction over the plane as a diverging heatmap with a colour bar, the
/// points coloured by their target on the same scale (training filled, held-out hollow).
///
/// # Errors
/// If drawing or encoding fails.
pub(crate) fn surface_png(
    model: &Model,
    plane: &Plane,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<u8>, PlotError> {
    let reach = view::target_reach(train, test);
    let cells = view::cells_within(model, CELLS);
    let values: Vec<f64> = view::map(model, plane, cells)
        .into_iter()
        .map(|cell| match cell {
            MapCell::Value(value) => value,
            MapCell::Class { .. } => f64::NAN,
        })
        .collect();
    render(|root| {
        let (map, bar) = root.split_horizontally(WIDTH - 110);
        let mut chart = map_chart(&map, "Prediction", plane)?;
        let all = (0..cells).flat_map(|j| (0..cells).map(move |i| (i, j)));
        chart
            .draw_series(all.map(|(i, j)| {
                let value = values[j * cells + i];
                let color = if value.is_finite() {
                    diverging(value, reach)
                } else {
                    RGBColor(60, 60, 60)
                };
                cell_rectangle(plane, (i, j), cells, color)
            }))
            .map_err(plot_error)?;
        plane_axes(&mut chart, plane)?;
        let color_of = |target: f64| diverging(target, reach);
        draw_points(&mut chart, plane, train, false, &color_of)?;
        draw_points(&mut chart, plane, test, true, &color_of)?;
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
