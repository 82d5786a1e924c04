//! What a page may ask of a session: every setting in its own range (the vocabulary of
//! `crate::settings`), within the playground's budget (layers, widths, points, columns), and the
//! settings a session starts with.

use std::time::Duration;

use crate::nn::Activation;
use crate::settings::{SETTINGS, SettingError, Settings};

/// The most hidden layers a session's network may have (TF Playground: 6).
pub const MAX_LAYERS: usize = 8;
/// The most neurons per hidden layer (TF Playground: 8).
pub const MAX_WIDTH: usize = 32;
/// The most points a built-in dataset may have.
pub const MAX_POINTS: usize = 5_000;
/// The largest CSV file that can be uploaded, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1 << 20;
/// The most rows an uploaded CSV file may have.
pub const MAX_UPLOAD_ROWS: usize = 10_000;
/// The most input columns an uploaded table may give the network.
pub const MAX_COLUMNS: usize = 64;
/// The most connections the server serves at once (a browser opens at most 6 to one server,
/// for all its tabs); one more is answered 503. Each may hold a body of up to the upload limit.
pub const MAX_CONNECTIONS: usize = 32;
/// A client must send a request's head within this (the connection is closed), and its body
/// within this again (answered 408).
pub const REQUEST_WITHIN: Duration = Duration::from_secs(10);
/// A connection with no request for this long is closed (the browser opens another).
pub const IDLE_CONNECTION: Duration = Duration::from_secs(30);

/// TF Playground's start: 500 points, half held out, hidden layers of 4 and 2 tanh neurons,
/// batches of 10, learning rate 0.1, no regularisation (on the moons, with this engine's default
/// loss), seed 1, 100 steps a second.
pub fn starting_settings() -> Settings {
    Settings {
        samples: 500,
        test_fraction: 0.5,
        hidden: vec![4, 2],
        activation: Activation::Tanh,
        lr: Some(0.1),
        batch_size: Some(10),
        l2: 0.0,
        seed: 1,
        ..Settings::default()
    }
}

/// Checks `settings` against every setting's range and the playground's budget, and that no
/// setting of the program alone (steps, schedule, threads, init) is changed from its default.
///
/// # Errors
/// The first setting out of range, named (`hidden: at most 8 layers`).
pub fn check(settings: &Settings) -> Result<(), SettingError> {
    settings.check()?;
    let refuse = |key: &'static str, message: String| Err(SettingError { key, message });
    let defaults = Settings::default();
    if let Some(setting) = SETTINGS
        .iter()
        .find(|s| !s.scope.in_playground() && s.value_in(settings) != s.value_in(&defaults))
    {
        return refuse(
            setting.key,
            "is a setting of the program (`scalargrad --help`), not of the playground".into(),
        );
    }
    if settings.hidden.len() > MAX_LAYERS {
        return refuse("hidden", format!("at most {MAX_LAYERS} layers"));
    }
    if settings.hidden.iter().any(|&w| w > MAX_WIDTH) {
        return refuse("hidden", format!("each layer has 1 to {MAX_WIDTH} neurons"));
    }
    if settings.samples > MAX_POINTS {
        return refuse("samples", format!("from 2 to {MAX_POINTS}"));
    }
    Ok(())
}

/// True when `b` trains the very same network on the same data as `a`: only settings that apply
/// live (the learning rate, regularisation, batch size, speed, the plane's columns) differ.
pub fn same_run(a: &Settings, b: &Settings) -> bool {
    SETTINGS
        .iter()
        .filter(|s| !s.live)
        .all(|s| s.value_in(a) == s.value_in(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = starting_settings();
        change(&mut settings);
        settings
    }

    #[test]
    fn every_bad_setting_is_named() {
        let cases: Vec<(Settings, &str)> = vec![
            (with(|s| s.samples = 1), "samples"),
            (with(|s| s.samples = MAX_POINTS + 1), "samples"),
            (with(|s| s.noise = f64::NAN), "noise"),
            (with(|s| s.test_fraction = 0.95), "test_fraction"),
            (with(|s| s.hidden = vec![4; MAX_LAYERS + 1]), "hidden"),
            (with(|s| s.hidden = vec![MAX_WIDTH + 1]), "hidden"),
            (with(|s| s.hidden = vec![0]), "hidden"),
            (with(|s| s.lr = Some(0.0)), "lr"),
            (with(|s| s.lr = Some(f64::INFINITY)), "lr"),
            (with(|s| s.l2 = -1.0), "l2"),
            (with(|s| s.batch_size = Some(0)), "batch_size"),
            (with(|s| s.classes = Some(11)), "classes"),
            (with(|s| s.steps = 5), "steps"),
            (with(|s| s.threads = 2), "threads"),
            (with(|s| s.speed = 1_000_000), "speed"),
        ];
        for (settings, field) in cases {
            let why = check(&settings).expect_err(field);
            assert_eq!(why.key, field, "{why}");
        }
        assert_eq!(check(&starting_settings()), Ok(()));
    }

    #[test]
    fn live_settings_do_not_start_over() {
        let start = starting_settings();
        assert!(same_run(&start, &with(|s| s.lr = Some(0.03))));
        assert!(same_run(&start, &with(|s| (s.l1, s.l2) = (0.1, 0.2))));
        assert!(same_run(&start, &with(|s| s.batch_size = Some(3))));
        assert!(same_run(&start, &with(|s| s.speed = 7)));
        assert!(!same_run(&start, &with(|s| s.hidden = vec![3])));
        assert!(!same_run(&start, &with(|s| s.seed = 2)));
    }
}
