//! The playground's pace: how many training steps a session takes per second while the page
//! redraws its map 15 times a second (what a playing tab asks of the server).
//!
//! `cargo bench -p scalargrad-bench --bench playground`. For each network it times, in
//! interleaved rounds, one training step and one state (the map, every neuron's tile, the
//! network's weights and gradients, the curve, serialised to the JSON the page receives), and
//! reports medians and the steps per second left after 15 states a second.

use std::time::{Duration, Instant};

use scalargrad::playground::{Session, starting_settings};
use scalargrad::settings::Settings;

/// Redraws per second the page asks for while playing (page.js polls every 66 ms).
const REDRAWS_PER_SECOND: f64 = 15.0;
const ROUNDS: usize = 15;
/// TF Playground's seven input features.
const SEVEN: &str = "x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)";

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Median seconds per step and per state, over interleaved rounds of about 0.1 s each.
fn measure(settings: &Settings) -> (f64, f64, usize) {
    let mut session = Session::new(settings.clone(), None).expect("valid settings");
    session.step(20); // warm up
    let (mut steps, mut states) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut taken = 0;
        while started.elapsed() < Duration::from_millis(100) {
            taken += session.step(10);
        }
        steps.push(started.elapsed().as_secs_f64() / taken.max(1) as f64);
        let started = Instant::now();
        let mut drawn = 0;
        while started.elapsed() < Duration::from_millis(100) {
            let state = session.state(Some(session.steps_done()), session.data_version());
            bytes = state.to_string().len();
            drawn += 1;
        }
        states.push(started.elapsed().as_secs_f64() / f64::from(drawn));
    }
    (median(steps), median(states), bytes)
}

fn main() {
    let networks: Vec<(&str, Settings)> = vec![
        (
            "default: 2-4-2-1 tanh, 500 points, batch 10",
            starting_settings(),
        ),
        (
            "TF Playground's largest: 6 x 8 ReLU, 7 features",
            Settings {
                hidden: vec![8; 6],
                activation: scalargrad::nn::Activation::Relu,
                features: Some(SEVEN.into()),
                lr: Some(0.03),
                ..starting_settings()
            },
        ),
        (
            "the limit: 8 x 32 ReLU, 7 features, 3-class spiral",
            Settings {
                dataset: scalargrad::data::Builtin::named("spiral").expect("a dataset"),
                classes: Some(3),
                hidden: vec![32; 8],
                activation: scalargrad::nn::Activation::Relu,
                features: Some(SEVEN.into()),
                lr: Some(0.01),
                ..starting_settings()
            },
        ),
    ];
    println!(
        "{:<52} {:>12} {:>12} {:>10} {:>22}",
        "network", "step (us)", "state (ms)", "state KB", "steps/s at 15 states/s"
    );
    for (name, settings) in &networks {
        let (step, state, bytes) = measure(settings);
        let left = (1.0 - REDRAWS_PER_SECOND * state).max(0.0);
        println!(
            "{name:<52} {:>12.1} {:>12.2} {:>10.1} {:>22.0}",
            step * 1e6,
            state * 1e3,
            bytes as f64 / 1e3,
            left / step
        );
    }
}
