//! Gradient checking: the analytic gradient against a central finite difference.

use std::fmt;

use super::backward::{backward, zero_grad};
use super::node::Node;

/// The outcome of comparing one analytic derivative with a numerical one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// The point the derivative was taken at.
    pub x: f64,
    /// The derivative from `backward`.
    pub analytic: f64,
    /// The central difference `(f(x + eps) - f(x - eps)) / (2 eps)`.
    pub numeric: f64,
    /// `|analytic - numeric|`.
    pub diff: f64,
    /// `diff <= tol * max(1, |numeric|)`: an absolute tolerance near 0, a relative one for large
    /// derivatives (whose finite differences carry proportionally large rounding errors).
    pub passed: bool,
}

impl GradCheck {
    fn new(x: f64, analytic: f64, numeric: f64, tol: f64) -> GradCheck {
        let diff = (analytic - numeric).abs();
        GradCheck {
            x,
            analytic,
            numeric,
            diff,
            passed: diff <= tol * numeric.abs().max(1.0),
        }
    }
}

/// Checks d f/dx at `x0`: the gradient from `backward` against a central finite difference with
/// step `eps`, passing when they agree to `tol` (relative for derivatives above 1).
///
/// ```
/// use scalargrad::{Node, gradcheck};
/// let check = gradcheck(|x: &Node| (x + 1.0) * (x + 1.0), 2.0, 1e-4, 1e-4);
/// assert!(check.passed);
/// assert_eq!(check.analytic, 6.0);
/// println!("{check}"); // the notebook's report: x, autograd grad, numerical grad, diff, pass
/// ```
pub fn gradcheck(f: impl Fn(&Node) -> Node, x0: f64, eps: f64, tol: f64) -> GradCheck {
    let wrapped = |inputs: &[Node]| f(&inputs[0]);
    gradcheck_inputs(wrapped, &[x0], eps, tol).remove(0)
}

/// Checks every partial derivative of `f` at `point`, one [`GradCheck`] per input.
///
/// ```
/// use scalargrad::{Node, engine::gradcheck_inputs};
/// let checks = gradcheck_inputs(|v: &[Node]| &v[0] * v[1].sin(), &[2.0, 0.5], 1e-5, 1e-6);
/// assert!(checks.iter().all(|check| check.passed));
/// assert_eq!(checks[0].analytic, 0.5_f64.sin());
/// ```
pub fn gradcheck_inputs(
    f: impl Fn(&[Node]) -> Node,
    point: &[f64],
    eps: f64,
    tol: f64,
) -> Vec<GradCheck> {
    let inputs: Vec<Node> = point.iter().map(|&value| Node::new(value)).collect();
    let out = f(&inputs);
    zero_grad(&out);
    backward(&out);
    let analytic: Vec<f64> = inputs.iter().map(Node::grad).collect();
    drop((out, inputs));

    let value_at = |k: usize, shift: f64| {
        let shifted: Vec<Node> = point
            .iter()
            .enumerate()
            .map(|(j, &value)| Node::new(if j == k { value + shift } else { value }))
            .collect();
        f(&shifted).value()
    };
    (0..point.len())
        .map(|k| {
            let numeric = (value_at(k, eps) - value_at(k, -eps)) / (2.0 * eps);
            GradCheck::new(point[k], analytic[k], numeric, tol)
        })
        .collect()
}

/// Formats a number the way Python's `repr` does (`2.0`, `2.3305801732931286e-12`), so reports
/// read like the notebook's.
pub(crate) fn python_repr(x: f64) -> String {
    if x != 0.0 && x.is_finite() && (x.abs() < 1e-4 || x.abs() >= 1e16) {
        let text = format!("{x:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let (sign, digits) = match exponent.strip_prefix('-') {
                    Some(digits) => ('-', digits),
                    None => ('+', exponent),
                };
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => text,
        }
    } else if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:?}")
    }
}

impl fmt::Display for GradCheck {
    /// The notebook's report: the point, both gradients, their difference, and the verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "x = {}", python_repr(self.x))?;
        writeln!(f, "autograd grad = {}", self.analytic)?;
        writeln!(f, "numerical grad = {}", self.numeric)?;
        writeln!(f, "diff = {}", python_repr(self.diff))?;
        let verdict = if self.passed { "pass" } else { "fail" };
        write!(f, "grad check {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_matches_python() {
        assert_eq!(python_repr(2.0), "2.0");
        assert_eq!(
            python_repr(2.3305801732931286e-12),
            "2.3305801732931286e-12"
        );
        assert_eq!(python_repr(1e-5), "1e-05");
        assert_eq!(python_repr(0.1), "0.1");
        assert_eq!(python_repr(1e16), "1e+16");
        assert_eq!(python_repr(0.0), "0.0");
    }

    #[test]
    fn relative_tolerance_passes_large_exp() {
        // exp(15) ~ 3.3e6: the finite difference is off by far more than 1e-4 absolutely
        let check = gradcheck(|x: &Node| x.exp(), 15.0, 1e-4, 1e-4);
        assert!(check.diff > 1e-4, "diff {}", check.diff);
        assert!(check.passed, "{check}");
    }

    #[test]
    fn a_wrong_derivative_fails() {
        // relu at its kink: analytic 0, numeric 0.5
        let check = gradcheck(|x: &Node| x.relu(), 0.0, 1e-4, 1e-4);
        assert!(!check.passed);
        assert!(check.to_string().ends_with("grad check fail"));
    }
}
