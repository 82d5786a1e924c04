//! Seeds: one random-number generator per purpose, derived from the run's seed.

use rand::{SeedableRng, rngs::StdRng};

/// A random-number generator for one purpose, derived from the run's seed, so that e.g. the
/// number of samples does not change the initial weights.
pub fn rng_for(seed: u64, purpose: u64) -> StdRng {
    StdRng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Seed purposes for `rng_for`.
pub mod purpose {
    /// Generating a built-in dataset.
    pub const DATA: u64 = 1;
    /// Splitting off the held-out set.
    pub const SPLIT: u64 = 2;
    /// Initial weights.
    pub const INIT: u64 = 3;
    /// Choosing mini-batches.
    pub const BATCHES: u64 = 4;
}
