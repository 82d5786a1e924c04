//! The ops of one input, `Op::Unary(parent, UnaryOp)`: each op's name, value and local derivative,
//! side by side.
//!
//! Adding a unary op is a variant below and one arm in each of the three methods (the compiler
//! lists them: no match has a catch-all arm), then a constructor in `ops.rs` and a `Node` method.
//! The tests take their ops from [`UnaryOp::ALL`], so the new op is checked against finite
//! differences, dual numbers and `grad()` without editing them.

use super::scalar::Scalar;

/// Declares `UnaryOp` and its list `ALL` from one list of variants, so the list cannot miss one.
macro_rules! unary_ops {
    ($($(#[doc = $doc:literal])* $variant:ident,)*) => {
        /// An op of one input.
        ///
        /// ```
        /// use scalargrad::{Node, engine::{UnaryOp, unary}};
        /// let x = Node::new(-2.0);
        /// let y = unary(&x, UnaryOp::Abs); // the same node `x.abs()` makes
        /// y.backward();
        /// assert_eq!((y.value(), x.grad()), (2.0, -1.0));
        /// assert_eq!(UnaryOp::Abs.value(-2.0), 2.0);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum UnaryOp {
            $($(#[doc = $doc])* $variant,)*
        }

        impl UnaryOp {
            /// Every unary op, in declaration order (the tests take their ops from here).
            pub const ALL: &'static [UnaryOp] = &[$(UnaryOp::$variant,)*];
        }
    };
}

unary_ops! {
    /// `-x`
    Neg,
    /// `e ^ x`
    Exp,
    /// natural logarithm (IEEE 754: `-inf` at 0, NaN below)
    Log,
    /// `sin x`
    Sin,
    /// `cos x`
    Cos,
    /// `tanh x`
    Tanh,
    /// `max(x, 0)`
    Relu,
    /// `1 / (1 + e^-x)`, stable for large |x|
    Sigmoid,
    /// `|x|`
    Abs,
}

impl UnaryOp {
    /// A short name for printing (`exp`, `relu`, ...).
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Relu => "relu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Abs => "abs",
        }
    }

    /// The op's value at `x`: exactly what a node made by this op holds.
    #[inline(always)] // resolved at compile time in each constructor and in the backward sweep
    pub fn value(self, x: f64) -> f64 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            // finite for every finite input (no overflow at |x| = 1000)
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::Sigmoid => sigmoid(x),
            UnaryOp::Abs => x.abs(),
        }
    }

    /// d(out)/dx at input `x`, where `out` is the op's value there; `None` where it is exactly 0
    /// (a ReLU that is off, `abs` at 0), so nothing needs to flow back.
    ///
    /// The input comes from a closure, read only by the ops that need it (the backward sweep's
    /// reads are bounds-checked, so an unused one would not be optimised away).
    ///
    /// Contract: `Relu`, `Tanh` and `Sigmoid` state their derivative from `out` alone and never
    /// call `x`. A fused neuron (`engine::neuron`) keeps no value before its activation and
    /// relies on this (see `Activation::slope`).
    #[inline(always)]
    pub fn derivative<S: Scalar>(self, x: impl Fn() -> S, out: &S) -> Option<S> {
        let one = || S::constant(1.0);
        match self {
            // d(-x)/dx = -1
            UnaryOp::Neg => Some(S::constant(-1.0)),
            // d(e^x)/dx = e^x, which is the output itself
            UnaryOp::Exp => Some(out.clone()),
            // d(ln x)/dx = 1/x
            UnaryOp::Log => Some(one().over(&x())),
            // d(sin x)/dx = cos x
            UnaryOp::Sin => Some(x().unary(UnaryOp::Cos)),
            // d(cos x)/dx = -sin x
            UnaryOp::Cos => Some(S::constant(-1.0).times(&x().unary(UnaryOp::Sin))),
            // d(tanh x)/dx = 1 - tanh^2 x, from the output
            UnaryOp::Tanh => Some(one().plus(&S::constant(-1.0).times(&out.times(out)))),
            // d(relu x)/dx = 1 where the output is > 0 (the input is > 0), else 0 (also at the
            // kink, as PyTorch)
            UnaryOp::Relu => (out.number() > 0.0).then(one),
            // d(sigmoid x)/dx = s (1 - s), from the output s
            UnaryOp::Sigmoid => Some(out.times(&one().plus(&S::constant(-1.0).times(out)))),
            // d|x|/dx = sign x, and 0 at 0 (as PyTorch)
            UnaryOp::Abs => {
                let x = x().number();
                if x > 0.0 {
                    Some(one())
                } else if x < 0.0 {
                    Some(S::constant(-1.0))
                } else {
                    None
                }
            }
        }
    }
}

/// Numerically stable logistic function: never computes `e^x` for a large positive `x`.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_state_their_derivative_from_the_output_alone() {
        for op in [UnaryOp::Relu, UnaryOp::Tanh, UnaryOp::Sigmoid] {
            for x in [-2.0, -0.5, 0.0, 0.3, 4.0] {
                let out = op.value(x);
                let unread = || -> f64 { panic!("{op:?} read its input") };
                assert_eq!(
                    op.derivative(unread, &out),
                    op.derivative(|| x, &out),
                    "{op:?} at {x}"
                );
            }
        }
    }
}
