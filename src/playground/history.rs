//! What a session keeps of its past while it plays: bounded, evenly spaced rows.

/// Rows kept at a spacing that doubles whenever they reach a limit, so that a session that
/// plays for hours keeps a bounded, evenly spaced history.
#[derive(Clone, Debug)]
pub(super) struct Thinned<T> {
    pub(super) every: usize,
    pub(super) limit: usize,
    pub(super) rows: Vec<(usize, T)>,
}

impl<T> Thinned<T> {
    pub(super) fn new(limit: usize) -> Thinned<T> {
        Thinned {
            every: 1,
            limit,
            rows: Vec::new(),
        }
    }

    /// Whether step `step` is kept at the current spacing.
    pub(super) fn wants(&self, step: usize) -> bool {
        step.is_multiple_of(self.every)
    }

    pub(super) fn push(&mut self, step: usize, row: T) {
        if !self.wants(step) {
            return;
        }
        self.rows.push((step, row));
        if self.rows.len() >= self.limit {
            self.every *= 2;
            let every = self.every;
            self.rows.retain(|(s, _)| s.is_multiple_of(every));
        }
    }
}

/// One point of the loss curves: the whole training and test sets after a step.
#[derive(Clone, Copy, Debug)]
pub(super) struct CurvePoint {
    pub(super) train_loss: f64,
    pub(super) test_loss: f64,
    /// Accuracy (classification) or RMSE (regression) on each set.
    pub(super) train_metric: f64,
    pub(super) test_metric: f64,
}
