//! Which training examples each step takes: a random subset per step, or epochs (every example
//! once per epoch, in mini-batches after a seeded shuffle).

use rand::Rng;
use rand::seq::SliceRandom;
use rand::seq::index::sample;

/// How a run draws its mini-batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Batches {
    /// Each step a random subset of the batch size, drawn anew (examples may repeat between
    /// steps and some may wait long).
    Random,
    /// Epochs: the examples shuffled, then taken a batch at a time until each has been used
    /// once (the last batch of an epoch may be smaller), then shuffled again.
    Epochs {
        /// This epoch's order.
        order: Vec<usize>,
        /// How many of `order` earlier steps of this epoch took.
        taken: usize,
    },
}

impl Batches {
    /// Epochs, starting with a fresh shuffle at the first step.
    pub fn epochs() -> Batches {
        Batches::Epochs {
            order: Vec::new(),
            taken: 0,
        }
    }

    /// The rows the next step takes out of `rows`, for a batch of `size` (`None` for all of
    /// them, and when a batch would hold them all).
    pub fn next(
        &mut self,
        rows: usize,
        size: Option<usize>,
        rng: &mut impl Rng,
    ) -> Option<Vec<usize>> {
        let size = size.filter(|&size| size < rows)?;
        match self {
            Batches::Random => Some(sample(rng, rows, size).into_vec()),
            Batches::Epochs { order, taken } => {
                if *taken >= order.len() || order.len() != rows {
                    // a new epoch (or new data: the playground's edited points)
                    *order = (0..rows).collect();
                    order.shuffle(rng);
                    *taken = 0;
                }
                let end = (*taken + size).min(rows);
                let batch = order[*taken..end].to_vec();
                *taken = end;
                Some(batch)
            }
        }
    }
}

/// Steps in one epoch of `rows` examples in batches of `size` (`None`: one step of all).
pub fn steps_per_epoch(rows: usize, size: Option<usize>) -> usize {
    match size {
        Some(size) if size < rows => rows.div_ceil(size.max(1)),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn each_epoch_takes_every_example_once() {
        let mut batches = Batches::epochs();
        let mut rng = StdRng::seed_from_u64(7);
        let (rows, size) = (103, 10);
        assert_eq!(steps_per_epoch(rows, Some(size)), 11);
        let mut epochs = Vec::new();
        for _ in 0..3 {
            let mut seen: Vec<usize> = Vec::new();
            let mut sizes = Vec::new();
            for _ in 0..steps_per_epoch(rows, Some(size)) {
                let batch = batches.next(rows, Some(size), &mut rng).expect("a batch");
                sizes.push(batch.len());
                seen.extend(batch);
            }
            assert_eq!(sizes.iter().sum::<usize>(), rows);
            assert_eq!(*sizes.last().expect("steps"), 3); // 103 = 10 x 10 + 3
            epochs.push(seen.clone());
            seen.sort_unstable();
            assert_eq!(seen, (0..rows).collect::<Vec<_>>());
        }
        // a new shuffle each epoch
        assert_ne!(epochs[0], epochs[1]);
    }

    #[test]
    fn the_same_seed_gives_the_same_batches_and_a_full_batch_is_none() {
        let draw = |seed| {
            let mut batches = Batches::epochs();
            let mut rng = StdRng::seed_from_u64(seed);
            (0..5)
                .map(|_| batches.next(20, Some(8), &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        assert_eq!(
            Batches::epochs().next(20, Some(20), &mut StdRng::seed_from_u64(0)),
            None
        );
        assert_eq!(
            Batches::Random.next(20, None, &mut StdRng::seed_from_u64(0)),
            None
        );
        assert_eq!(steps_per_epoch(20, None), 1);
    }
}
