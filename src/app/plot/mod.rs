//! The pictures a run leaves behind, drawn with plotters into memory and encoded as PNG: one
//! module per kind (`curves.rs` the loss and accuracy per step, `plane.rs` the decision map and
//! the regression surface over the plane, `fit.rs` predicted against target, `confusion.rs` the
//! confusion matrices, `network.rs` every neuron), and here what they share (canvas, colours,
//! axis labels, the legend).
//!
//! Text is drawn with a font compiled into the binary (Noto Sans, through `ab_glyph`), so no
//! system font library is needed at build or run time. What a map shows where (the plane, the
//! class and confidence of a cell, every unit's values) comes from the library's `view`, which
//! the playground's page uses too.

mod confusion;
mod curves;
mod fit;
mod images;
mod network;
mod plane;

use std::fmt;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

pub(crate) use confusion::confusion_png;
pub(crate) use curves::{accuracy_png, loss_png};
pub(crate) use fit::fit_png;
pub(crate) use images::{mistakes_png, saliency_png, weights_png};
pub(crate) use network::network_png;
pub(crate) use plane::{decision_boundary_png, surface_png};

/// Width of every picture, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every picture, in pixels.
pub const HEIGHT: u32 = 600;

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
pub(crate) const TEST_COLOR: RGBColor = RGBColor(255, 127, 14);
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
pub(crate) fn render(
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

/// Encodes RGB pixels as a PNG file.
pub(crate) fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // pictures are flat colours and lines: the fast encoder packs them nearly as small, in a
    // fraction of the default's time (a digits run's network.png took most of its pictures' time)
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(plot_error)?;
    writer.write_image_data(pixels).map_err(plot_error)?;
    writer.finish().map_err(plot_error)?;
    Ok(bytes)
}

/// An axis label for an axis spanning `span`: a tick within rounding error of 0 reads `0`, not
/// `-1.11e-16`.
pub(crate) fn tick_label_in(value: f64, span: f64) -> String {
    tick_label(if value.abs() < span.abs() * 1e-9 {
        0.0
    } else {
        value
    })
}

/// An axis label with at most 3 significant digits (`0.3`, not `0.30000000000000004`).
pub(crate) fn tick_label(value: f64) -> String {
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

pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
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
