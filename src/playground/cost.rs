//! What a request will compute, known before it starts. The costly requests of a session, a
//! training step and an explanation (which computes the last step again), pass every example of
//! the batch through every parameter; [`check_step`] measures that against [`MAX_STEP_WORK`]
//! when the settings are applied, so that no request a session accepts afterwards can exceed it.
//! What an answer lists is bounded too: an explanation shows at most [`MAX_TERMS`] terms.

use crate::nn::Mlp;
use crate::settings::SettingError;

/// The most work one training step may take: examples in the batch times the edges of one
/// example's graph (a weight's use, a neuron's bias and activation). An explanation computes
/// the step again, observing each edge: `tests/integration/playground.rs` runs one at this size.
pub const MAX_STEP_WORK: u64 = 50_000_000;

/// The most contributions an explanation lists; the rest are counted and summed in one line.
pub const MAX_TERMS: usize = 500;

/// The edges one example's graph has in `network`: each parameter is used once per example,
/// and each neuron adds its activation.
pub fn edges_per_example(network: &Mlp) -> u64 {
    let parameters = network.parameters_borrowed().len() as u64;
    let neurons: u64 = network
        .layers()
        .iter()
        .map(|layer| layer.neurons().len() as u64)
        .sum();
    parameters + neurons
}

/// The work of one step of `network` on `batch` examples.
pub fn step_work(network: &Mlp, batch: usize) -> u64 {
    edges_per_example(network).saturating_mul(batch as u64)
}

/// Checks that one step of `network` on `batch` examples is within [`MAX_STEP_WORK`].
///
/// # Errors
/// Past it: the work named, and the largest batch this network may take.
pub fn check_step(network: &Mlp, batch: usize) -> Result<(), SettingError> {
    let work = step_work(network, batch);
    if work <= MAX_STEP_WORK {
        return Ok(());
    }
    let largest_batch = MAX_STEP_WORK / edges_per_example(network);
    Err(SettingError {
        key: "batch_size",
        message: format!(
            "a step would pass {batch} examples through a network of {} edges each ({work} in \
             all); the playground takes at most {MAX_STEP_WORK} a step: use a batch size of at \
             most {largest_batch}, or fewer or narrower layers",
            edges_per_example(network)
        ),
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn edges_count_parameters_and_neurons() {
        let network = Mlp::new(3, &[4, 2, 1], &mut StdRng::seed_from_u64(1));
        // (3+1)*4 + (4+1)*2 + (2+1)*1 parameters, 4 + 2 + 1 neurons
        assert_eq!(edges_per_example(&network), 16 + 10 + 3 + 7);
        assert_eq!(step_work(&network, 10), 360);
    }

    #[test]
    fn a_step_past_the_budget_is_refused_with_the_largest_batch_that_fits() {
        let network = Mlp::new(
            64,
            &[32, 32, 32, 32, 32, 32, 32, 32, 1],
            &mut StdRng::seed_from_u64(1),
        );
        let edges = edges_per_example(&network);
        let largest = (MAX_STEP_WORK / edges) as usize;
        assert!(check_step(&network, largest).is_ok());
        let error = check_step(&network, largest + 1).expect_err("one example too many");
        assert_eq!(error.key, "batch_size");
        assert!(
            error.message.contains(&format!("at most {largest}")),
            "{}",
            error.message
        );
    }
}
