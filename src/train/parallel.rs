//! Helper threads that share a batch: each builds the graph of its share on its own copy of
//! the network; the gradients are added up on the calling thread.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvError, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::step::{Share, ShareGradient, share_gradient};
use super::{BatchGradient, Examples, Objective, TrainError};
use crate::engine::{add_grads, gradients, set_values, values};
use crate::nn::{Activation, Mlp};

/// The network's shape and weights at one step, and the step's objective: what a worker
/// needs to rebuild the network and compute its share.
struct ModelSnapshot {
    inputs: usize,
    widths: Vec<usize>,
    activation: Activation,
    weights: Vec<f64>,
    objective: Objective,
    whole: usize,
}

/// One share of a batch for one worker.
struct Job {
    snapshot: Arc<ModelSnapshot>,
    share: usize,
    examples: Examples,
}

/// A worker's answer: its share's part of the objective, and the gradient of every parameter.
#[derive(Clone)]
struct ShareResult {
    share: usize,
    gradient: ShareGradient,
    grads: Vec<f64>,
}

/// Helper threads for `batch_gradient`: with `Workers::new(T)` a batch is split into T shares,
/// one for the calling thread and one for each of T - 1 helpers. Each helper keeps a copy of the
/// model on its own tape and lives as long as this value, so its memory is reused step to step.
pub struct Workers {
    senders: Vec<Sender<Job>>,
    results: Receiver<ShareResult>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Prepares for `threads` threads in all: starts `threads - 1` helper threads.
    pub fn new(threads: usize) -> Workers {
        let (result_sender, results) = channel();
        let mut senders = Vec::new();
        let mut helpers = Vec::new();
        for _ in 1..threads {
            let (sender, jobs) = channel::<Job>();
            let results = result_sender.clone();
            helpers.push(std::thread::spawn(move || work(&jobs, &results)));
            senders.push(sender);
        }
        Workers {
            senders,
            results,
            threads: helpers,
        }
    }
}

impl Workers {
    /// `batch_gradient` on this thread and the helpers: share k takes examples k, k + T, ...
    ///
    /// # Errors
    /// `TrainError::WorkerStopped` if a helper thread has stopped.
    pub(super) fn batch_gradient(
        &self,
        objective: Objective,
        network: &Mlp,
        batch: &Examples,
    ) -> Result<BatchGradient, TrainError> {
        let workers = self;
        let parameters = network.parameters_borrowed();
        let snapshot = Arc::new(ModelSnapshot {
            inputs: network.input_count(),
            widths: network.widths(),
            activation: network.hidden_activation(),
            weights: values(parameters),
            objective,
            whole: batch.len(),
        });
        // Share k takes examples k, k + T, k + 2T, ... (T shares): neighbouring examples are often
        // alike (a sorted file), and alike examples cost alike (the same ReLUs off), so interleaving
        // balances the work where contiguous shares did not (the threads line of `cargo bench -p
        // scalargrad-bench --bench training`). Share 0 is this thread's.
        let count = (workers.senders.len() + 1).min(batch.len());
        for (share, sender) in (1..count).zip(&workers.senders) {
            let job = Job {
                snapshot: Arc::clone(&snapshot),
                share,
                examples: batch.every(share, count),
            };
            sender.send(job).map_err(|_| TrainError::WorkerStopped)?;
        }
        // share 0 and the penalty on this thread, on the network itself, while the workers run
        let own_examples = batch.every(0, count);
        let own = share_gradient(
            objective,
            network,
            &Share {
                examples: &own_examples,
                weight: own_examples.len() as f64 / batch.len() as f64,
                with_penalty: true,
            },
        );
        let width = own.outputs.len() / own_examples.len();
        let (mut loss, mut nodes, mut nonzero) = (own.loss, own.nodes, own.nonzero.clone());
        let mut all_outputs = vec![0.0; batch.len() * width];
        let mut place = |share: usize, outputs: &[f64]| {
            for (j, example) in outputs.chunks_exact(width).enumerate() {
                let at = (share + j * count) * width;
                all_outputs[at..at + width].copy_from_slice(example);
            }
        };
        place(0, &own.outputs);
        let mut shares: Vec<Option<ShareResult>> = vec![None; count];
        for _ in 1..count {
            let result = receive(&workers.results).map_err(|_| TrainError::WorkerStopped)?;
            let slot = result.share;
            shares[slot] = Some(result);
        }
        // in share order, so the sums do not depend on which worker finished first
        for result in shares.into_iter().flatten() {
            loss += result.gradient.loss;
            place(result.share, &result.gradient.outputs);
            nodes += result.gradient.nodes;
            for (flag, &other) in nonzero.iter_mut().zip(&result.gradient.nonzero) {
                *flag |= other;
            }
            add_grads(parameters, &result.grads);
        }
        Ok(BatchGradient {
            loss,
            outputs: all_outputs,
            nodes,
            nonzero,
        })
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.senders.clear(); // closes the channels: each worker's loop ends
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// How long a thread waiting for a job or a result polls its channel before it blocks.
const POLL: Duration = Duration::from_millis(1);

/// The next message of `channel`, polled for up to `POLL` before blocking on it; `Err` once every
/// sender is gone. Between two steps the wait is short, and a blocked thread of a virtual
/// machine takes long to wake (a good part of a step); between polls the thread yields, so
/// that with more threads than cores a polling thread does not keep the others from working
/// (`cargo run --release -p scalargrad-bench --example w_big_threads -- 4`; bench/RESULTS.md).
fn receive<T>(channel: &Receiver<T>) -> Result<T, RecvError> {
    let start = Instant::now();
    loop {
        match channel.try_recv() {
            Ok(message) => return Ok(message),
            Err(TryRecvError::Disconnected) => return Err(RecvError),
            Err(TryRecvError::Empty) if start.elapsed() >= POLL => return channel.recv(),
            Err(TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
}

/// A worker thread's loop: answer jobs until the channel closes.
fn work(jobs: &Receiver<Job>, results: &Sender<ShareResult>) {
    let mut copy: Option<Mlp> = None;
    while let Ok(job) = receive(jobs) {
        let snapshot = &job.snapshot;
        let fits = copy.as_ref().is_some_and(|model| {
            model.input_count() == snapshot.inputs
                && model.widths() == snapshot.widths
                && model.hidden_activation() == snapshot.activation
        });
        if !fits {
            drop(copy.take()); // the old copy goes first, so the new one sits at the tape's bottom
            // its weights are set from the job below, every step
            copy = Some(Mlp::of_shape(
                snapshot.inputs,
                &snapshot.widths,
                snapshot.activation,
            ));
        }
        let Some(model) = copy.as_ref() else { continue };
        let parameters = model.parameters_borrowed();
        set_values(parameters, &snapshot.weights);
        let share = Share {
            examples: &job.examples,
            weight: job.examples.len() as f64 / snapshot.whole as f64,
            with_penalty: false,
        };
        let gradient = share_gradient(snapshot.objective, model, &share);
        let result = ShareResult {
            share: job.share,
            gradient,
            grads: gradients(parameters),
        };
        if results.send(result).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `receive` gets a message that is already there, one that comes after it stopped polling,
    /// and reports a closed channel whether it closes before or while it waits.
    #[test]
    fn receive_gets_early_and_late_messages_and_sees_a_closed_channel() {
        for (delay, message) in [
            (Duration::ZERO, Some(1)),
            (POLL * 5, Some(2)),
            (Duration::ZERO, None),
            (POLL * 5, None),
        ] {
            let (sender, receiver) = channel();
            let thread = std::thread::spawn(move || {
                std::thread::sleep(delay);
                if let Some(message) = message {
                    sender.send(message).expect("the receiver waits");
                }
            });
            let received = receive(&receiver).ok();
            assert_eq!(received, message, "after {delay:?}");
            thread.join().expect("the sender does not panic");
        }
    }
}
