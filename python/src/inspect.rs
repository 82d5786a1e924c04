//! Looking inside a graph from Python: explanations of a gradient, anomaly detection with the
//! Python line that made the first NaN or infinity, and the tape's size.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use pyo3::prelude::*;
use scalargrad::Node;
use scalargrad::engine::{self, AnomalyKind};

use crate::value::Value;

thread_local! {
    static DETECTING: Cell<bool> = const { Cell::new(false) };
    /// While detecting: the Python `file:line` that made each node, by tape index.
    static ORIGINS: RefCell<HashMap<usize, String>> = RefCell::new(HashMap::new());
}

/// Remembers the Python line that is making `node`, while anomaly detection is on (otherwise
/// costs one thread-local read).
pub fn note_origin(py: Python<'_>, node: &Node) -> PyResult<()> {
    if !DETECTING.with(Cell::get) {
        return Ok(());
    }
    let frame = py.import("sys")?.call_method1("_getframe", (0,))?;
    let file: String = frame.getattr("f_code")?.getattr("co_filename")?.extract()?;
    let line: u32 = frame.getattr("f_lineno")?.extract()?;
    let index = node.id();
    ORIGINS.with(|origins| origins.borrow_mut().insert(index, format!("{file}:{line}")));
    Ok(())
}

fn origin(index: usize) -> String {
    ORIGINS
        .with(|origins| origins.borrow().get(&index).cloned())
        .unwrap_or_else(|| "an unknown line (detection was off when it was made)".into())
}

/// A number as Python prints the special ones (`nan`, `inf`, `-inf`).
fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        x.to_string()
    }
}

/// Starts (or stops) anomaly detection: while it is on, the first Value or gradient that becomes
/// NaN or infinite is kept, with its op, its inputs and the Python line that made it, for
/// `take_anomaly()`. Costs a little time per Value.
#[pyfunction]
pub fn detect_anomalies(on: bool) {
    DETECTING.with(|detecting| detecting.set(on));
    if !on {
        ORIGINS.with(|origins| origins.borrow_mut().clear());
    }
    engine::detect_anomalies(on);
}

/// The first anomaly since detection started (or since the last call), as a sentence, or None;
/// clears it.
#[pyfunction]
pub fn take_anomaly() -> Option<String> {
    let anomaly = engine::take_anomaly()?;
    let inputs: Vec<String> = anomaly.inputs.iter().take(8).map(|&v| number(v)).collect();
    let name = anomaly
        .label
        .as_ref()
        .map_or_else(String::new, |l| format!(" {l:?}"));
    let at = origin(anomaly.node_index());
    Some(match anomaly.kind {
        AnomalyKind::Value => format!(
            "value {} of a Value{name} made by `{}` at {at} from inputs [{}]",
            number(anomaly.number),
            anomaly.op,
            inputs.join(", ")
        ),
        AnomalyKind::Gradient => {
            let through = anomaly.via.map_or_else(String::new, |via| {
                format!(
                    " through `{}`: local derivative {} x upstream {}",
                    via.op,
                    number(via.local),
                    number(via.upstream)
                )
            });
            format!(
                "gradient contribution {} to a Value{name} made by `{}` at {at} (value {}){through}",
                number(anomaly.number),
                anomaly.op,
                inputs.join(", ")
            )
        }
    })
}

/// Starts (or stops) recording what each `backward()` adds to each gradient, for `explain`.
#[pyfunction]
pub fn record_contributions(on: bool) {
    engine::record_contributions(on);
}

/// Why `value.grad` is what it is: every contribution the recorded backward passes added to
/// it, edge by edge (`local derivative x upstream gradient`), and their sum.
#[pyfunction]
pub fn explain(value: &Bound<'_, Value>) -> PyResult<String> {
    Ok(engine::explain(value.get().node()?).to_string())
}

/// The number of nodes alive on this thread's tape (flat from step to step when graphs are
/// freed).
#[pyfunction]
pub fn tape_length() -> usize {
    engine::tape_length()
}
