//! The generated datasets: points in the plane (two columns, `x1` and `x2`), for
//! classification (2 to 10 classes) and regression.

use std::f64::consts::PI;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use super::{Dataset, MAX_CLASSES, Task, numbered_classes};

/// A built-in dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// Two interleaving half circles (sklearn's make_moons), as in micrograd's demo; 2 classes.
    Moons,
    /// A ring around a disc (sklearn's make_circles with factor 0.5); 2 classes.
    Circles,
    /// Four quadrants, labelled by the sign of x1 * x2; 2 classes.
    Xor,
    /// K spiral arms (CS231n's recipe; the noise is on the angle); 2 to 10 classes.
    Spiral,
    /// K Gaussian blobs on a circle around the origin; 2 to 10 classes.
    Blobs,
    /// A yin-yang sign: yin, yang and its two dots (EurekaLabs' micrograd); 3 classes.
    Yinyang,
    /// Regression: a plane, the target rising from -1.2 to 1.2 across [-1, 1]^2 (TF
    /// Playground's regress-plane, its [-6, 6]^2 scaled to [-1, 1]^2).
    Plane,
    /// Regression: six bumps of height +1 or -1 over [-1, 1]^2 (TF Playground's
    /// regress-gaussian, scaled the same way).
    Gauss,
}

/// `n` evenly spaced numbers from `start` to `end` inclusive, like numpy's `linspace`.
fn linspace(start: f64, end: f64, n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 {
        (end - start) / (n - 1) as f64
    } else {
        0.0
    };
    (0..n).map(move |i| start + step * i as f64)
}

/// How many of `samples` points each of `classes` classes gets: as equal as can be, the last
/// classes taking one more where it does not divide.
fn class_sizes(samples: usize, classes: usize) -> Vec<usize> {
    let (each, extra) = (samples / classes, samples % classes);
    (0..classes)
        .map(|j| each + usize::from(j >= classes - extra))
        .collect()
}

impl Generator {
    /// Every built-in dataset.
    pub const ALL: [Generator; 8] = [
        Generator::Moons,
        Generator::Circles,
        Generator::Xor,
        Generator::Spiral,
        Generator::Blobs,
        Generator::Yinyang,
        Generator::Plane,
        Generator::Gauss,
    ];

    /// Classification or regression.
    pub fn task(self) -> Task {
        match self {
            Generator::Moons
            | Generator::Circles
            | Generator::Xor
            | Generator::Spiral
            | Generator::Blobs
            | Generator::Yinyang => Task::Classification,
            Generator::Plane | Generator::Gauss => Task::Regression,
        }
    }

    /// The numbers of classes this dataset can make; `None` for regression.
    pub fn class_range(self) -> Option<std::ops::RangeInclusive<usize>> {
        match self {
            Generator::Moons | Generator::Circles | Generator::Xor => Some(2..=2),
            Generator::Spiral | Generator::Blobs => Some(2..=MAX_CLASSES),
            Generator::Yinyang => Some(3..=3),
            Generator::Plane | Generator::Gauss => None,
        }
    }

    /// Its name, as `--dataset` takes it (`moons`, `spiral`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Generator::Moons => "moons",
            Generator::Circles => "circles",
            Generator::Xor => "xor",
            Generator::Spiral => "spiral",
            Generator::Blobs => "blobs",
            Generator::Yinyang => "yinyang",
            Generator::Plane => "plane",
            Generator::Gauss => "gauss",
        }
    }

    /// What it is, in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Generator::Moons => "two interleaving half circles (micrograd's demo); 2 classes",
            Generator::Circles => "a ring around a disc; 2 classes",
            Generator::Xor => "four quadrants labelled by the sign of x1 * x2; 2 classes",
            Generator::Spiral => "spiral arms (CS231n); 2 to 10 classes",
            Generator::Blobs => "Gaussian blobs on a circle; 2 to 10 classes",
            Generator::Yinyang => "a yin-yang sign with its two dots; 3 classes",
            Generator::Plane => "regression: a tilted plane (TF Playground's regress-plane)",
            Generator::Gauss => "regression: six bumps (TF Playground's regress-gaussian)",
        }
    }

    /// The names of its `classes` classes: `-1` and `+1` for two (micrograd's labels), yin,
    /// yang and dot for the yin-yang, else the class numbers.
    fn class_names(self, classes: usize) -> Vec<String> {
        match self {
            Generator::Yinyang => ["yin", "yang", "dot"].map(String::from).to_vec(),
            _ => numbered_classes(classes),
        }
    }

    /// `samples` points with the smallest number of classes this dataset makes (0 for
    /// regression); see [`Generator::generate_classes`].
    ///
    /// # Panics
    /// If `noise` is negative, NaN or infinite.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use scalargrad::data::Generator;
    /// let data = Generator::Moons.generate(100, 0.0, &mut StdRng::seed_from_u64(0));
    /// assert_eq!(data.len(), 100);
    /// assert_eq!(data.row(0), [1.0, 0.0]); // the outer moon starts at (cos 0, sin 0)
    /// assert_eq!(data.labels.iter().filter(|&&class| class == 1.0).count(), 50);
    /// ```
    pub fn generate(self, samples: usize, noise: f64, rng: &mut impl Rng) -> Dataset {
        let classes = self.class_range().map_or(0, |range| *range.start());
        self.generate_classes(samples, noise, classes, rng)
    }

    /// `samples` points in `classes` classes (ignored for regression) with Gaussian noise of
    /// standard deviation `noise` added to each coordinate (for `Spiral` to the angle, for the
    /// regression datasets to the target),
    /// drawn from `rng` (so the same seed gives the same data). The classes come in order, as
    /// equal in size as can be.
    ///
    /// # Panics
    /// If `noise` is negative, NaN or infinite, or `classes` is not in
    /// [`Generator::class_range`] for a classification dataset.
    pub fn generate_classes(
        self,
        samples: usize,
        noise: f64,
        classes: usize,
        rng: &mut impl Rng,
    ) -> Dataset {
        assert!(
            noise.is_finite() && noise >= 0.0,
            "the noise must be a finite standard deviation >= 0, not {noise}"
        );
        let normal = |sd: f64| Normal::new(0.0, sd).expect("a finite standard deviation >= 0");
        if self.task() == Task::Regression {
            return self.regression(samples, normal(noise), rng);
        }
        assert!(
            self.class_range()
                .is_some_and(|range| range.contains(&classes)),
            "{self:?} makes {:?} classes, not {classes}",
            self.class_range()
        );
        let sizes = class_sizes(samples, classes);
        let mut points: Vec<[f64; 2]> = Vec::with_capacity(samples);
        let mut jitter_points = true;
        match self {
            Generator::Moons => {
                points.extend(linspace(0.0, PI, sizes[0]).map(|t| [t.cos(), t.sin()]));
                points.extend(
                    linspace(0.0, PI, sizes[1]).map(|t| [1.0 - t.cos(), 1.0 - t.sin() - 0.5]),
                );
            }
            Generator::Circles => {
                let ring = |n: usize, radius: f64| {
                    (0..n).map(move |i| {
                        let t = 2.0 * PI * i as f64 / n as f64;
                        [radius * t.cos(), radius * t.sin()]
                    })
                };
                points.extend(ring(sizes[0], 1.0));
                points.extend(ring(sizes[1], 0.5));
            }
            Generator::Xor => {
                // draw points until each quadrant pair has its share, so labels stay balanced
                let (mut negative, mut positive) = (Vec::new(), Vec::new());
                while negative.len() < sizes[0] || positive.len() < sizes[1] {
                    let p: [f64; 2] = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
                    if p[0] * p[1] < 0.0 && negative.len() < sizes[0] {
                        negative.push(p);
                    } else if p[0] * p[1] > 0.0 && positive.len() < sizes[1] {
                        positive.push(p);
                    }
                }
                points.extend(negative);
                points.extend(positive);
            }
            Generator::Spiral => {
                // CS231n: for class j, r = linspace(0, 1, n), t = linspace(4j, 4(j + 1), n) + noise
                jitter_points = false;
                let angle_noise = normal(noise);
                for (j, &n) in sizes.iter().enumerate() {
                    let j = j as f64;
                    let radii = linspace(0.0, 1.0, n);
                    for (r, t) in radii.zip(linspace(4.0 * j, 4.0 * (j + 1.0), n)) {
                        let t = t + angle_noise.sample(rng);
                        points.push([r * t.sin(), r * t.cos()]);
                    }
                }
            }
            Generator::Blobs => {
                // centres on a circle of radius sqrt 2; with two classes (-1, -1) and (1, 1)
                let spread = normal(0.5);
                for (j, &n) in sizes.iter().enumerate() {
                    let angle = 1.25 * PI + 2.0 * PI * j as f64 / classes as f64;
                    let centre = [2f64.sqrt() * angle.cos(), 2f64.sqrt() * angle.sin()];
                    for _ in 0..n {
                        points.push([
                            centre[0] + spread.sample(rng),
                            centre[1] + spread.sample(rng),
                        ]);
                    }
                }
            }
            Generator::Yinyang => {
                for (class, &n) in sizes.iter().enumerate() {
                    points.extend((0..n).map(|_| yinyang_point(class, rng)));
                }
            }
            Generator::Plane | Generator::Gauss => unreachable!("regression returned above"),
        }
        if jitter_points && noise > 0.0 {
            let jitter = normal(noise);
            for point in &mut points {
                point[0] += jitter.sample(rng);
                point[1] += jitter.sample(rng);
            }
        }
        let labels = sizes
            .iter()
            .enumerate()
            .flat_map(|(class, &n)| std::iter::repeat_n(class as f64, n))
            .collect();
        Dataset::of_points(&points, labels, self.class_names(classes))
    }

    /// `samples` points uniform in [-1, 1]^2 (TF Playground's [-6, 6]^2 divided by 6, the scale
    /// of the other datasets), each target with `noise` added.
    fn regression(self, samples: usize, noise: Normal<f64>, rng: &mut impl Rng) -> Dataset {
        let mut points = Vec::with_capacity(samples);
        let mut labels = Vec::with_capacity(samples);
        for _ in 0..samples {
            // TF Playground's units, [-6, 6]^2, for its formulas
            let at = [rng.random_range(-6.0..6.0), rng.random_range(-6.0..6.0)];
            let target = match self {
                Generator::Gauss => gaussian_bumps(at),
                _ => (at[0] + at[1]) / 10.0,
            };
            labels.push(target + noise.sample(rng));
            points.push([at[0] / 6.0, at[1] / 6.0]);
        }
        Dataset::of_points(&points, labels, Vec::new())
    }
}

/// TF Playground's regress-gaussian target: of six bumps of height +1 or -1 falling linearly to 0
/// at distance 2, the one largest in size at `p`.
fn gaussian_bumps(p: [f64; 2]) -> f64 {
    const BUMPS: [(f64, f64, f64); 6] = [
        (-4.0, 2.5, 1.0),
        (0.0, 2.5, -1.0),
        (4.0, 2.5, 1.0),
        (-4.0, -2.5, -1.0),
        (0.0, -2.5, 1.0),
        (4.0, -2.5, -1.0),
    ];
    BUMPS.iter().fold(0.0, |best: f64, &(x, y, sign)| {
        let distance = ((p[0] - x).powi(2) + (p[1] - y).powi(2)).sqrt();
        let height = sign * (1.0 - distance / 2.0).clamp(0.0, 1.0);
        if height.abs() > best.abs() {
            height
        } else {
            best
        }
    })
}

/// A point of class `class` (0 yin, 1 yang, 2 the dots) of a yin-yang sign of radius 2 around
/// the origin, drawn by rejection from the disc.
fn yinyang_point(class: usize, rng: &mut impl Rng) -> [f64; 2] {
    // the sign in the unit square's disc of radius 0.5 around (0.5, 0.5), dots of radius 0.1
    let (r_small, r_big) = (0.1, 0.5);
    let distance = |x: f64, y: f64, cx: f64, cy: f64| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
    loop {
        let (x, y) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
        if distance(x, y, r_big, r_big) > r_big {
            continue;
        }
        let right = distance(x, y, 1.5 * r_big, r_big);
        let left = distance(x, y, 0.5 * r_big, r_big);
        let yin = right <= r_small
            || (left > r_small && left <= 0.5 * r_big)
            || (y > r_big && right > 0.5 * r_big);
        let found = if right < r_small || left < r_small {
            2
        } else if yin {
            0
        } else {
            1
        };
        if found == class {
            return [(x / r_big - 1.0) * 2.0, (y / r_big - 1.0) * 2.0];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn every_generator_makes_its_classes_in_equal_shares() {
        for generator in Generator::ALL {
            let counts: Vec<usize> = generator.class_range().map_or(vec![0], Iterator::collect);
            for classes in counts {
                let mut rng = StdRng::seed_from_u64(9);
                let data = generator.generate_classes(103, 0.1, classes, &mut rng);
                assert_eq!(data.len(), 103, "{generator:?}");
                assert_eq!(data.classes(), classes, "{generator:?}");
                assert!(data.inputs.iter().all(|v| v.is_finite() && v.abs() < 5.0));
                for class in 0..classes {
                    let share = data.labels.iter().filter(|&&y| y == class as f64).count();
                    assert!(
                        share == 103 / classes || share == 103 / classes + 1,
                        "{generator:?}"
                    );
                }
                if classes == 0 {
                    assert!(data.labels.iter().all(|y| y.is_finite() && y.abs() <= 1.5));
                }
            }
        }
    }

    #[test]
    fn generators_are_balanced_seeded_and_noisy() {
        for generator in [
            Generator::Moons,
            Generator::Circles,
            Generator::Xor,
            Generator::Spiral,
            Generator::Blobs,
        ] {
            let a = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(5));
            let b = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(5));
            let c = generator.generate(101, 0.1, &mut StdRng::seed_from_u64(6));
            assert_eq!(a, b, "{generator:?}");
            assert_ne!(a, c, "{generator:?}");
            assert_eq!(a.labels.iter().filter(|&&y| y == 0.0).count(), 50);
            assert!(a.inputs.iter().all(|v| v.is_finite() && v.abs() < 5.0));
        }
    }

    #[test]
    fn moons_follow_sklearn_without_noise() {
        let data = Generator::Moons.generate(4, 0.0, &mut StdRng::seed_from_u64(0));
        let expected = [
            [1.0, 0.0],
            [PI.cos(), PI.sin()],
            [0.0, 0.5],
            [1.0 - PI.cos(), 1.0 - PI.sin() - 0.5],
        ];
        assert_eq!(data.inputs, expected.concat());
        assert_eq!(data.labels, vec![0.0, 0.0, 1.0, 1.0]);
    }
}
