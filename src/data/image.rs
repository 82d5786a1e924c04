//! Inputs that are an image's pixels: a width and a height, given (`--image 8x8`) or read off
//! column names `r0c0 .. r7c7` (row and column of each pixel, row by row), as the digits'.

/// The shape of an image whose pixels are a row's columns, row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageShape {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// Largest side an image may have (pictures draw each pixel as a square).
pub const MAX_SIDE: usize = 256;

impl ImageShape {
    /// `WxH` (`8x8`, `28x28`).
    ///
    /// # Errors
    /// Not two whole numbers from 1 to [`MAX_SIDE`] joined by `x`.
    pub fn parse(text: &str) -> Result<ImageShape, String> {
        let usage =
            || format!("expected WIDTHxHEIGHT such as 8x8 (sides 1 to {MAX_SIDE}), got {text:?}");
        let (width, height) = text.trim().split_once(['x', 'X']).ok_or_else(usage)?;
        let side = |s: &str| {
            s.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_SIDE).contains(n))
        };
        match (side(width), side(height)) {
            (Some(width), Some(height)) => Ok(ImageShape { width, height }),
            _ => Err(usage()),
        }
    }

    /// The shape the column names spell, if they are `r{row}c{column}` for every pixel of a
    /// grid, row by row (`r0c0, r0c1, .., r1c0, ..`).
    ///
    /// ```
    /// use scalargrad::data::ImageShape;
    /// let names: Vec<String> = (0..2).flat_map(|r| (0..3).map(move |c| format!("r{r}c{c}"))).collect();
    /// assert_eq!(ImageShape::of_columns(&names), Some(ImageShape { width: 3, height: 2 }));
    /// assert_eq!(ImageShape::of_columns(&["x1".to_string(), "x2".to_string()]), None);
    /// ```
    pub fn of_columns(columns: &[String]) -> Option<ImageShape> {
        let pixel = |name: &str| -> Option<(usize, usize)> {
            let (row, column) = name.strip_prefix('r')?.split_once('c')?;
            Some((row.parse().ok()?, column.parse().ok()?))
        };
        let places: Vec<(usize, usize)> =
            columns.iter().map(|n| pixel(n)).collect::<Option<_>>()?;
        let width = places.iter().map(|&(_, c)| c).max()? + 1;
        let height = places.iter().map(|&(r, _)| r).max()? + 1;
        let row_by_row = places
            .iter()
            .enumerate()
            .all(|(i, &(r, c))| (r, c) == (i / width, i % width));
        (row_by_row && width * height == columns.len() && width <= MAX_SIDE && height <= MAX_SIDE)
            .then_some(ImageShape { width, height })
    }

    /// The image shape of data with `columns`: `given` (checked to hold every column), else
    /// what the names spell, else none.
    ///
    /// # Errors
    /// `given` not a shape, or one whose pixels are not the columns' count.
    pub fn of_data(given: Option<&str>, columns: &[String]) -> Result<Option<ImageShape>, String> {
        match given {
            None => Ok(ImageShape::of_columns(columns)),
            Some(text) => {
                let shape = ImageShape::parse(text)?;
                if shape.width * shape.height == columns.len() {
                    Ok(Some(shape))
                } else {
                    Err(format!(
                        "{}x{} is {} pixels but the data has {} input columns",
                        shape.width,
                        shape.height,
                        shape.width * shape.height,
                        columns.len()
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_read_and_checked() {
        assert_eq!(
            ImageShape::parse("8x8"),
            Ok(ImageShape {
                width: 8,
                height: 8
            })
        );
        assert_eq!(
            ImageShape::parse(" 28X14 "),
            Ok(ImageShape {
                width: 28,
                height: 14
            })
        );
        for bad in ["8", "0x8", "8x", "axb", "300x1", ""] {
            assert!(ImageShape::parse(bad).is_err(), "{bad}");
        }
        let columns: Vec<String> = (0..6).map(|i| format!("p{i}")).collect();
        assert_eq!(
            ImageShape::of_data(Some("3x2"), &columns),
            Ok(Some(ImageShape {
                width: 3,
                height: 2
            }))
        );
        assert!(
            ImageShape::of_data(Some("4x2"), &columns)
                .expect_err("8 != 6")
                .contains("8 pixels but the data has 6")
        );
        assert_eq!(ImageShape::of_data(None, &columns), Ok(None));
        // names out of row order are not an image
        let swapped: Vec<String> = ["r0c1", "r0c0"].iter().map(|s| s.to_string()).collect();
        assert_eq!(ImageShape::of_columns(&swapped), None);
    }
}
