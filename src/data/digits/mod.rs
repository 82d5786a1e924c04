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

#[cfg(test)]
mod tests {
    use super::*;

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
