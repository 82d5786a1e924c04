//! The 1,797 8x8 handwritten digits shipped with the program (`digits.txt` beside this file;
//! its README gives the format, the source and the licence): 64 pixel columns `r0c0 .. r7c7`
//! scaled to [0, 1], ten classes `0`..`9`.

use super::Dataset;

/// The images, one per line: the digit, a space, 64 pixel counts as characters of [`PIXELS`].
const DIGITS: &str = include_str!("digits.txt");
/// The characters that write the counts 0 to 16.
const PIXELS: &str = "0123456789abcdefg";
/// Pixels per side.
pub const SIDE: usize = 8;

/// The digits as a dataset: pixel `rRcC` is the count of row R, column C over 16.
///
/// ```
/// let digits = scalargrad::data::digits::digits();
/// assert_eq!((digits.len(), digits.width(), digits.classes()), (1797, 64, 10));
/// assert_eq!(digits.columns[9], "r1c1");
/// ```
pub fn digits() -> Dataset {
    let columns: Vec<String> = (0..SIDE * SIDE)
        .map(|k| format!("r{}c{}", k / SIDE, k % SIDE))
        .collect();
    let mut inputs = Vec::with_capacity(1797 * SIDE * SIDE);
    let mut labels = Vec::with_capacity(1797);
    for line in DIGITS.lines() {
        let (digit, pixels) = line
            .split_once(' ')
            .expect("digits.txt: each line is a digit, a space and the pixels");
        labels.push(f64::from(
            digit
                .parse::<u8>()
                .expect("digits.txt: the digit is a number"),
        ));
        inputs.extend(pixels.chars().map(|c| {
            let count = PIXELS
                .find(c)
                .expect("digits.txt: every pixel is one of the 17 characters");
            count as f64 / 16.0
        }));
    }
    Dataset {
        columns,
        inputs,
        labels,
        class_names: (0..10).map(|d| d.to_string()).collect(),
        label: "digit".to_string(),
    }
}

/// Pixels a side of the bitmaps the digits were drawn on.
pub const BITMAP_SIDE: usize = 32;

/// A drawn 32x32 bitmap (row by row, `true` for ink) reduced the way the data set was made:
/// the ink counted in each 4x4 block, giving 8x8 counts from 0 to 16 (row by row).
///
/// ```
/// use scalargrad::data::digits::reduce;
/// let mut bitmap = [false; 32 * 32];
/// bitmap[0] = true;              // block (0, 0)
/// bitmap[32 + 1] = true;         // block (0, 0)
/// bitmap[32 * 31 + 31] = true;   // block (7, 7)
/// let counts = reduce(&bitmap).expect("32 x 32");
/// assert_eq!((counts[0], counts[63], counts.iter().map(|&c| u32::from(c)).sum::<u32>()), (2, 1, 3));
/// ```
///
/// # Errors
/// A bitmap that is not 32 x 32.
pub fn reduce(bitmap: &[bool]) -> Result<Vec<u8>, String> {
    if bitmap.len() != BITMAP_SIDE * BITMAP_SIDE {
        return Err(format!(
            "a bitmap of {BITMAP_SIDE} x {BITMAP_SIDE} = {} pixels, not {}",
            BITMAP_SIDE * BITMAP_SIDE,
            bitmap.len()
        ));
    }
    let block = BITMAP_SIDE / SIDE;
    let mut counts = vec![0u8; SIDE * SIDE];
    for (i, _) in bitmap.iter().enumerate().filter(|(_, ink)| **ink) {
        let (row, column) = (i / BITMAP_SIDE, i % BITMAP_SIDE);
        counts[(row / block) * SIDE + column / block] += 1;
    }
    Ok(counts)
}

/// Counts from [`reduce`] as a row of the dataset (each over 16, as [`digits`] scales them).
pub fn row_of_counts(counts: &[u8]) -> Vec<f64> {
    counts.iter().map(|&c| f64::from(c) / 16.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_stroke_reduces_to_hand_counted_blocks() {
        // a vertical stroke 2 pixels wide down columns 13 and 14 (blocks 3), rows 4 to 27
        let mut bitmap = vec![false; BITMAP_SIDE * BITMAP_SIDE];
        for row in 4..28 {
            for column in [13, 14] {
                bitmap[row * BITMAP_SIDE + column] = true;
            }
        }
        let counts = reduce(&bitmap).expect("32 x 32");
        // by hand: block column 3 holds pixels 12..16, so both columns; each block row of
        // rows 4..28 (block rows 1 to 6) has 4 rows x 2 columns = 8; block row 0 and 7 none
        let mut expected = vec![0u8; 64];
        for block_row in 1..7 {
            expected[block_row * 8 + 3] = 8;
        }
        assert_eq!(counts, expected);
        // a full block counts 16, the most a pixel of the data set holds
        let full = vec![true; BITMAP_SIDE * BITMAP_SIDE];
        assert!(reduce(&full).expect("32 x 32").iter().all(|&c| c == 16));
        assert_eq!(row_of_counts(&[16, 8, 0]), [1.0, 0.5, 0.0]);
        assert!(
            reduce(&[true; 10])
                .expect_err("not 32 x 32")
                .contains("not 10")
        );
    }

    #[test]
    fn shipped_intact_and_scaled_as_documented() {
        let digits = digits();
        assert_eq!(digits.len(), 1797);
        assert_eq!(digits.width(), 64);
        let mut counts = [0usize; 10];
        for &label in &digits.labels {
            counts[label as usize] += 1;
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        // every pixel a count 0..16 over 16, and both ends used
        assert!(
            digits
                .inputs
                .iter()
                .all(|&p| (0.0..=1.0).contains(&p) && (p * 16.0).fract() == 0.0)
        );
        assert!(digits.inputs.contains(&0.0) && digits.inputs.contains(&1.0));
        // the first image, as the source's first row writes it: a 0
        let first: Vec<f64> = [
            0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4,
            12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10,
            12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
        ]
        .iter()
        .map(|&count| f64::from(count) / 16.0)
        .collect();
        assert_eq!(digits.row(0), &first[..]);
        assert_eq!(digits.labels[0], 0.0);
    }
}
