//! `Value`: micrograd's scalar, held on the engine's tape.
//!
//! Every operator makes the nodes micrograd's `engine.py` makes, in the same order, with the same
//! operands: a number operand becomes a leaf `Value` (as micrograd lifts it), `a - b` is
//! `a + (b * -1)`, `a / b` is `a * b**-1`. So code that walks `_prev` sees micrograd's graph, and
//! every value is computed by the same floating-point operations as micrograd's.

use std::borrow::Cow;

use pyo3::exceptions::{PyTypeError, PyValueError, PyZeroDivisionError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PySet};
use scalargrad::Node;
use scalargrad::engine;

use crate::children::{self, Children};
use crate::inspect;
use crate::owner::Owned;

/// A scalar with a gradient, as micrograd's `Value`: `data`, `grad`, `_prev`, `_op`,
/// `backward()`, and the operators, computed by scalargrad's engine.
#[pyclass(frozen, weakref, module = "scalargrad", name = "Value")]
pub struct Value {
    owned: Owned,
    children: Children,
    op: Cow<'static, str>,
}

/// The Value made from `node` (just made on this thread by an op on `children`).
pub fn made<'py>(
    py: Python<'py>,
    node: Node,
    children: Children,
    op: impl Into<Cow<'static, str>>,
) -> PyResult<Bound<'py, Value>> {
    inspect::note_origin(py, &node)?;
    Bound::new(
        py,
        Value {
            owned: Owned::new(node),
            children,
            op: op.into(),
        },
    )
}

/// A new leaf holding `x`: what micrograd's `Value(x)` makes.
pub fn leaf(py: Python<'_>, x: f64) -> PyResult<Bound<'_, Value>> {
    made(py, Node::new(x), Children::None, "")
}

/// `other` as a Value: itself if it is one, a new leaf if it is a number (an int, a float, a
/// numpy scalar: anything with `__float__`), else `None` (so the operator returns
/// `NotImplemented` and Python raises its usual `TypeError`).
pub fn operand<'py>(
    py: Python<'py>,
    other: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, Value>>> {
    if let Ok(value) = other.cast::<Value>() {
        return Ok(Some(value.clone()));
    }
    match other.extract::<f64>() {
        Ok(x) => Ok(Some(leaf(py, x)?)),
        Err(_) => Ok(None),
    }
}

/// Whether `operand` would take `other`.
fn is_operand(other: &Bound<'_, PyAny>) -> bool {
    other.cast::<Value>().is_ok() || other.extract::<f64>().is_ok()
}

fn object(value: &Bound<'_, Value>) -> Py<PyAny> {
    value.clone().into_any().unbind()
}

/// `a + b`: micrograd's `'+'` node.
pub fn add<'py>(a: &Bound<'py, Value>, b: &Bound<'py, Value>) -> PyResult<Bound<'py, Value>> {
    let node = engine::add(a.get().node()?, b.get().node()?);
    made(a.py(), node, Children::Two(object(a), object(b)), "+")
}

/// `a * b`: micrograd's `'*'` node.
pub fn mul<'py>(a: &Bound<'py, Value>, b: &Bound<'py, Value>) -> PyResult<Bound<'py, Value>> {
    let node = engine::mul(a.get().node()?, b.get().node()?);
    made(a.py(), node, Children::Two(object(a), object(b)), "*")
}

/// `a ** n` for a number `n`, named as micrograd names it (`**2`, `**-1`, `**0.5`).
fn power<'py>(a: &Bound<'py, Value>, n: f64, shown: &str) -> PyResult<Bound<'py, Value>> {
    let node = engine::pow(a.get().node()?, n);
    made(a.py(), node, Children::One(object(a)), format!("**{shown}"))
}

/// `-a`, as micrograd makes it: `a * -1`.
fn negative<'py>(a: &Bound<'py, Value>) -> PyResult<Bound<'py, Value>> {
    mul(a, &leaf(a.py(), -1.0)?)
}

/// A one-operand op.
fn unary<'py>(
    a: &Bound<'py, Value>,
    op: fn(&Node) -> Node,
    name: &'static str,
) -> PyResult<Bound<'py, Value>> {
    let node = op(a.get().node()?);
    made(a.py(), node, Children::One(object(a)), name)
}

/// Python's `x ** -1` for a number: `ZeroDivisionError` at 0, as micrograd's `a / 0` raises.
fn reciprocal(x: f64) -> PyResult<f64> {
    if x == 0.0 {
        return Err(PyZeroDivisionError::new_err(
            "0.0 cannot be raised to a negative power (a Value divided by 0)",
        ));
    }
    Ok(x.powf(-1.0))
}

fn not_implemented(py: Python<'_>) -> Py<PyAny> {
    py.NotImplemented()
}

fn answer(value: Option<Bound<'_, Value>>, py: Python<'_>) -> Py<PyAny> {
    value.map_or_else(|| not_implemented(py), |v| v.into_any().unbind())
}

impl Drop for Value {
    fn drop(&mut self) {
        children::release(std::mem::replace(&mut self.children, Children::None));
    }
}

impl Value {
    /// The engine's node, on the thread that made it.
    ///
    /// # Errors
    /// `RuntimeError` on another thread.
    pub fn node(&self) -> PyResult<&Node> {
        self.owned.node()
    }

    /// The Python objects this Value was made from.
    pub fn children(&self) -> &Children {
        &self.children
    }

    /// micrograd's name for the op that made this Value (`""` for a leaf).
    pub fn op(&self) -> &str {
        &self.op
    }
}

#[pymethods]
impl Value {
    /// `Value(data)`, or `Value(data, _children, _op)` as micrograd's own code calls it (the
    /// children are kept for `_prev`; on the tape the Value is a leaf, as micrograd's is until
    /// its `_backward` is set).
    #[new]
    #[pyo3(signature = (data, _children = None, _op = String::new()))]
    fn new(
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        _children: Option<&Bound<'_, PyAny>>,
        _op: String,
    ) -> PyResult<Value> {
        let x: f64 = data.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "Value(data): data must be a number (an int, a float or a numpy scalar), not {}",
                data.get_type()
                    .name()
                    .map_or_else(|_| "that".into(), |n| n.to_string())
            ))
        })?;
        let children = match _children {
            None => Children::None,
            Some(given) => {
                let all: Vec<Py<PyAny>> = given
                    .try_iter()?
                    .map(|child| child.map(Bound::unbind))
                    .collect::<PyResult<_>>()?;
                if all.is_empty() {
                    Children::None
                } else {
                    Children::Many(all)
                }
            }
        };
        let node = Node::new(x);
        inspect::note_origin(py, &node)?;
        Ok(Value {
            owned: Owned::new(node),
            children,
            op: Cow::Owned(_op),
        })
    }

    /// numpy defers to Value's own operators (`np.float64(2) * v` is `v.__rmul__(2.0)`, a Value)
    /// instead of making an object array.
    #[classattr]
    fn __array_ufunc__(py: Python<'_>) -> Py<PyAny> {
        py.None()
    }

    /// The forward value.
    #[getter]
    fn data(&self) -> PyResult<f64> {
        Ok(self.node()?.value())
    }

    /// Sets a leaf's value (`p.data -= lr * p.grad`).
    ///
    /// # Errors
    /// `ValueError` for a Value made by an op: its value is its op's result, and changing it
    /// would make the gradients of its graph wrong.
    #[setter]
    fn set_data(&self, data: f64) -> PyResult<()> {
        let node = self.node()?;
        if !node.is_leaf() {
            return Err(PyValueError::new_err(format!(
                "cannot set .data of a Value made by `{}`: its value is that op's result. Set \
                 .data on the leaves (inputs and parameters) and build the expression again",
                node.op_name()
            )));
        }
        node.set_value(data);
        Ok(())
    }

    /// The gradient the last `backward()` calls accumulated.
    #[getter]
    fn grad(&self) -> PyResult<f64> {
        Ok(self.node()?.grad())
    }

    /// Sets the gradient (`p.grad = 0` in `zero_grad`).
    #[setter]
    fn set_grad(&self, grad: f64) -> PyResult<()> {
        let node = self.node()?;
        node.zero_grad();
        node.add_grad(grad);
        Ok(())
    }

    /// The Values this one was made from, as a set (micrograd's `_prev`).
    #[getter]
    fn _prev<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        PySet::new(py, self.children.each())
    }

    /// The op that made this Value, as micrograd names it (`'+'`, `'*'`, `'**2'`, `'ReLU'`;
    /// `''` for a leaf).
    #[getter]
    fn _op(&self) -> &str {
        &self.op
    }

    /// A name, shown by `draw_dot` and `explain` (`''` if none was given).
    #[getter]
    fn label(&self) -> PyResult<String> {
        Ok(self.node()?.label().unwrap_or_default())
    }

    /// Names this Value.
    #[setter]
    fn set_label(&self, label: String) -> PyResult<()> {
        drop(self.node()?.clone().with_label(label));
        Ok(())
    }

    /// Computes the gradient of this Value with respect to every Value it depends on, adding it
    /// to their `.grad` (call `zero_grad` between steps, as in micrograd). Unlike micrograd's, a
    /// second call on the same graph adds exactly the same gradients again.
    fn backward(&self) -> PyResult<()> {
        engine::backward(self.node()?);
        Ok(())
    }

    fn __add__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let result = match operand(py, other)? {
            Some(other) => Some(add(slf, &other)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    fn __radd__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Self::__add__(slf, other)
    }

    fn __mul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let result = match operand(py, other)? {
            Some(other) => Some(mul(slf, &other)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    fn __rmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Self::__mul__(slf, other)
    }

    fn __neg__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        negative(slf)
    }

    /// `self + (-other)`, as micrograd.
    fn __sub__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let negated = if let Ok(value) = other.cast::<Value>() {
            Some(negative(value)?)
        } else if let Ok(x) = other.extract::<f64>() {
            Some(leaf(py, -x)?)
        } else {
            None
        };
        let result = match negated {
            Some(negated) => Some(add(slf, &negated)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    /// `other + (-self)`, as micrograd.
    fn __rsub__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        if !is_operand(other) {
            return Ok(not_implemented(py));
        }
        // micrograd negates first, then lifts the number
        let negated = negative(slf)?;
        let result = match operand(py, other)? {
            Some(other) => Some(add(&negated, &other)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    /// `self * other**-1`, as micrograd.
    fn __truediv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let inverse = if let Ok(value) = other.cast::<Value>() {
            Some(power(value, -1.0, "-1")?)
        } else if let Ok(x) = other.extract::<f64>() {
            Some(leaf(py, reciprocal(x)?)?)
        } else {
            None
        };
        let result = match inverse {
            Some(inverse) => Some(mul(slf, &inverse)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    /// `other * self**-1`, as micrograd.
    fn __rtruediv__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        if !is_operand(other) {
            return Ok(not_implemented(py));
        }
        // micrograd takes the power first, then lifts the number
        let inverse = power(slf, -1.0, "-1")?;
        let result = match operand(py, other)? {
            Some(other) => Some(mul(&inverse, &other)?),
            None => None,
        };
        Ok(answer(result, py))
    }

    /// `self ** n` for a number `n` (micrograd's `'**n'` node), or for a Value exponent (a
    /// `'**'` node whose exponent gets a gradient too).
    fn __pow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        if modulo.is_some() {
            return Ok(not_implemented(py));
        }
        if let Ok(exponent) = other.cast::<Value>() {
            let node = engine::pow_node(slf.get().node()?, exponent.get().node()?);
            let children = Children::Two(object(slf), object(exponent));
            return Ok(made(py, node, children, "**")?.into_any().unbind());
        }
        let Ok(n) = other.extract::<f64>() else {
            return Ok(not_implemented(py));
        };
        let shown = other.str()?.to_string();
        Ok(power(slf, n, &shown)?.into_any().unbind())
    }

    /// `other ** self` for a number `other`: a `'**'` node whose base is a new leaf.
    fn __rpow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let base = match (modulo, operand(py, other)?) {
            (None, Some(base)) => base,
            _ => return Ok(not_implemented(py)),
        };
        let node = engine::pow_node(base.get().node()?, slf.get().node()?);
        let children = Children::Two(object(&base), object(slf));
        Ok(made(py, node, children, "**")?.into_any().unbind())
    }

    /// `max(self, 0)`: micrograd's `'ReLU'` node.
    fn relu<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::relu, "ReLU")
    }

    /// `tanh(self)`.
    fn tanh<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::tanh, "tanh")
    }

    /// `e ** self`.
    fn exp<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::exp, "exp")
    }

    /// The natural logarithm (IEEE 754: `-inf` at 0, `nan` below, as in Rust; no exception).
    fn log<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::log, "log")
    }

    /// `1 / (1 + e ** -self)`, without overflow for large |self|.
    fn sigmoid<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::sigmoid, "sigmoid")
    }

    /// `sin(self)`.
    fn sin<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::sin, "sin")
    }

    /// `cos(self)`.
    fn cos<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::cos, "cos")
    }

    /// `|self|` (its derivative is 0 at 0).
    fn __abs__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Value>> {
        unary(slf, engine::abs, "abs")
    }

    /// `Value(data=..., grad=...)`, as micrograd prints it.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let node = self.node()?;
        let data = PyFloat::new(py, node.value()).repr()?;
        let grad = PyFloat::new(py, node.grad()).repr()?;
        Ok(format!("Value(data={data}, grad={grad})"))
    }
}
