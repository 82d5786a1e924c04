//! The `scalargrad._scalargrad` extension module: the engine's scalar as micrograd's `Value`,
//! micrograd's neuron made in one call, and the engine's inspection tools. The Python package
//! (`python/scalargrad/`) builds micrograd's modules on it.

mod children;
mod inspect;
mod neuron;
mod owner;
mod value;

use pyo3::prelude::*;

#[pymodule]
fn _scalargrad(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<value::Value>()?;
    module.add_function(wrap_pyfunction!(neuron::neuron, module)?)?;
    module.add_function(wrap_pyfunction!(neuron::fused_scores, module)?)?;
    module.add_function(wrap_pyfunction!(inspect::detect_anomalies, module)?)?;
    module.add_function(wrap_pyfunction!(inspect::take_anomaly, module)?)?;
    module.add_function(wrap_pyfunction!(inspect::record_contributions, module)?)?;
    module.add_function(wrap_pyfunction!(inspect::explain, module)?)?;
    module.add_function(wrap_pyfunction!(inspect::tape_length, module)?)?;
    Ok(())
}
