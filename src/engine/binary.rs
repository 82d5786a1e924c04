//! The ops of two inputs, `Op::Binary(a, b, BinaryOp)`, and of one input and a constant kept in
//! the op, `Op::WithConstant(a, c, ConstantOp)`: each op's name, value and local derivatives, side
//! by side. Adding one is a variant and one arm per method (the compiler lists them).

use super::scalar::Scalar;

/// Declares an op enum and its list `ALL` from one list of variants.
macro_rules! listed_ops {
    ($(#[doc = $enum_doc:literal])* $name:ident { $($(#[doc = $doc:literal])* $variant:ident,)* }) => {
        $(#[doc = $enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[doc = $doc])* $variant,)*
        }

        impl $name {
            /// Every op of this kind, in declaration order (the tests take their ops from here).
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
        }
    };
}

listed_ops! {
    /// An op of two nodes.
    ///
    /// ```
    /// use scalargrad::{Node, engine::{BinaryOp, binary}};
    /// let (a, b) = (Node::new(6.0), Node::new(3.0));
    /// let y = binary(&a, &b, BinaryOp::Div); // what `&a / &b` makes
    /// y.backward();
    /// assert_eq!((y.value(), a.grad(), b.grad()), (2.0, 1.0 / 3.0, -6.0 / 9.0));
    /// ```
    BinaryOp {
        /// `a + b`
        Add,
        /// `a - b`
        Sub,
        /// `a * b`
        Mul,
        /// `a / b` (IEEE 754 at b = 0: `±inf` or NaN)
        Div,
        /// `a ^ b`, the exponent a node too
        Pow,
    }
}

impl BinaryOp {
    /// A short name for printing (`+`, `*`, `pow`, ...).
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "pow",
        }
    }

    /// The op's value at `(a, b)`.
    #[inline(always)]
    pub fn value(self, a: f64, b: f64) -> f64 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Pow => a.powf(b),
        }
    }

    /// (d(out)/da, d(out)/db) at `(a, b)`, where `out` is the op's value there. The inputs come
    /// from closures, read only by the ops that need them (the backward sweep's reads are
    /// bounds-checked, so an unused one would not be optimised away).
    #[inline(always)]
    pub fn derivatives<S: Scalar>(self, a: impl Fn() -> S, b: impl Fn() -> S, out: &S) -> (S, S) {
        let one = || S::constant(1.0);
        match self {
            // d(a+b)/da = 1, d(a+b)/db = 1
            BinaryOp::Add => (one(), one()),
            // d(a-b)/da = 1, d(a-b)/db = -1
            BinaryOp::Sub => (one(), S::constant(-1.0)),
            // d(ab)/da = b, d(ab)/db = a
            BinaryOp::Mul => (b(), a()),
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b
            BinaryOp::Div => {
                let b = b();
                (one().over(&b), S::constant(-1.0).times(out).over(&b))
            }
            // d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a. For b = 0 the first is 0 (not
            // 0 * 0^-1 = NaN); at a = 0 with b >= 0 the second is 0 (the limit), not 0 * -inf.
            BinaryOp::Pow => {
                let (a, b) = (a(), b());
                let d_base = if b.number() == 0.0 {
                    S::constant(0.0)
                } else {
                    b.times(&a.power_of(&b.plus(&S::constant(-1.0))))
                };
                let d_exponent = if a.number() == 0.0 && b.number() >= 0.0 {
                    S::constant(0.0)
                } else {
                    out.times(&a.unary(super::UnaryOp::Log))
                };
                (d_base, d_exponent)
            }
        }
    }
}

listed_ops! {
    /// An op of one node and a constant that lives in the op (`x + 3.0` is one node, not a
    /// lifted leaf and an addition).
    ///
    /// ```
    /// use scalargrad::{Node, engine::{ConstantOp, with_constant}};
    /// let x = Node::new(2.0);
    /// let y = with_constant(&x, 3.0, ConstantOp::Pow); // what `x.pow(3.0)` makes
    /// y.backward();
    /// assert_eq!((y.value(), x.grad()), (8.0, 12.0));
    /// ```
    ConstantOp {
        /// `a + c`
        Add,
        /// `a * c`
        Mul,
        /// `a ^ c` (IEEE 754: `0 ^ -1` is `inf`, a negative base with a fractional exponent NaN)
        Pow,
        /// `max(0, 1 - c a)`: the hinge loss of score `a` against label `c`, micrograd's
        /// `(1 + -y * score).relu()` as one node instead of three
        Hinge,
    }
}

impl ConstantOp {
    /// A short name for printing (`+`, `*`, `pow`).
    pub fn name(self) -> &'static str {
        match self {
            ConstantOp::Add => "+",
            ConstantOp::Mul => "*",
            ConstantOp::Pow => "pow",
            ConstantOp::Hinge => "hinge",
        }
    }

    /// The op's value at `a` with constant `c`.
    #[inline(always)]
    pub fn value(self, a: f64, c: f64) -> f64 {
        match self {
            ConstantOp::Add => a + c,
            ConstantOp::Mul => a * c,
            ConstantOp::Pow => a.powf(c),
            // the same bits as `(a * -c + 1.0).max(0.0)`, the three ops it replaces: negation
            // is exact and `1 - x` is `1 + -x`
            ConstantOp::Hinge => (1.0 - c * a).max(0.0),
        }
    }

    /// d(out)/da at `a` with constant `c`, where `out` is the op's value there (`a` and `out`
    /// read only where needed, as in `BinaryOp`).
    #[inline(always)]
    pub fn derivative<S: Scalar>(self, a: impl Fn() -> S, out: &S, c: f64) -> S {
        match self {
            // d(a+c)/da = 1
            ConstantOp::Add => S::constant(1.0),
            // d(ac)/da = c
            ConstantOp::Mul => S::constant(c),
            // d(a^c)/da = c a^(c-1); for c = 0 the function is constant, so 0 (not 0 * 0^-1 = NaN)
            ConstantOp::Pow => {
                if c == 0.0 {
                    S::constant(0.0)
                } else {
                    S::constant(c).times(&a().power(c - 1.0))
                }
            }
            // d max(0, 1 - ca)/da = -c where the output is > 0 (the margin is violated), else 0
            // (also at the kink, as ReLU)
            ConstantOp::Hinge => S::constant(if out.number() > 0.0 { -c } else { 0.0 }),
        }
    }
}
