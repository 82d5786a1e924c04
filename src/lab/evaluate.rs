//! Evaluating an expression of the lab's language: the notebook's operators and functions on
//! the engine (a number beside a node is lifted into a leaf, `a - b` is `add(a, neg(b))`), each
//! node made handed to a [`Maker`] (the running program records it; a gradient check does not).

use super::LabError;
use super::parse::{Expr, Operator, Span};
use crate::Node;
use crate::engine::{self, UnaryOp};

/// A value while the program runs: a number (remembering whether Python would hold it as an
/// int), a node, or a string for `print`.
#[derive(Clone)]
pub(super) enum Val {
    Number(f64, bool),
    Node(Node),
    Text(String),
}

pub(super) fn fail(span: Span, message: impl Into<String>) -> LabError {
    LabError::Parse {
        line: span.line,
        column: span.column,
        message: message.into(),
    }
}

/// What evaluation needs from whoever runs it: names, and a place for each node it makes.
pub(super) trait Maker {
    /// Keeps a node just made by `op` from `operands`.
    fn made(
        &mut self,
        node: Node,
        op: &'static str,
        operands: &[&Node],
        span: Span,
    ) -> Result<Node, LabError>;
    /// The node a variable names.
    fn lookup(&self, name: &str) -> Option<Node>;
    /// Notes that `node` (just made) is a power with the constant exponent `n`.
    fn exponent(&mut self, node: &Node, n: f64);
}

/// `x` as a node: itself, or a new leaf for a number (the notebook's `lifter`).
pub(super) fn lift(value: Val, maker: &mut dyn Maker, span: Span) -> Result<Node, LabError> {
    match value {
        Val::Node(node) => Ok(node),
        Val::Number(x, _) => maker.made(Node::new(x), "leaf", &[], span),
        Val::Text(_) => Err(fail(span, "a string cannot be used in arithmetic")),
    }
}

/// Two numbers, as Python computes them.
fn numbers(
    op: Operator,
    (x, xi): (f64, bool),
    (y, yi): (f64, bool),
    span: Span,
) -> Result<Val, LabError> {
    let both = xi && yi;
    Ok(match op {
        Operator::Add => Val::Number(x + y, both),
        Operator::Sub => Val::Number(x - y, both),
        Operator::Mul => Val::Number(x * y, both),
        Operator::Div => {
            if y == 0.0 {
                return Err(fail(span, "division by zero"));
            }
            Val::Number(x / y, false)
        }
        Operator::Pow => Val::Number(x.powf(y), both && y >= 0.0),
    })
}

/// `a op b` with at least one node: the notebook's operators, lifting a number beside a node.
fn binary(
    op: Operator,
    a: Val,
    b: Val,
    maker: &mut dyn Maker,
    span: Span,
) -> Result<Val, LabError> {
    if let (Val::Number(x, xi), Val::Number(y, yi)) = (&a, &b) {
        return numbers(op, (*x, *xi), (*y, *yi), span);
    }
    if let (Operator::Pow, Val::Node(base), Val::Number(n, _)) = (op, &a, &b) {
        // a constant exponent: one node with one operand, as the notebook's pow(a, n)
        let node = maker.made(engine::pow(base, *n), "pow", &[base], span)?;
        maker.exponent(&node, *n);
        return Ok(Val::Node(node));
    }
    let left = lift(a, maker, span)?;
    let right = lift(b, maker, span)?;
    let node = match op {
        Operator::Add => maker.made(engine::add(&left, &right), "+", &[&left, &right], span)?,
        Operator::Mul => maker.made(engine::mul(&left, &right), "*", &[&left, &right], span)?,
        Operator::Sub => {
            // the notebook's __sub__: add(self, -other)
            let negated = maker.made(engine::neg(&right), "neg", &[&right], span)?;
            maker.made(engine::add(&left, &negated), "+", &[&left, &negated], span)?
        }
        Operator::Div => maker.made(engine::div(&left, &right), "/", &[&left, &right], span)?,
        Operator::Pow => maker.made(
            engine::pow_node(&left, &right),
            "pow",
            &[&left, &right],
            span,
        )?,
    };
    Ok(Val::Node(node))
}

/// Statements written as calls: an error inside an expression.
pub(super) const STATEMENTS: [&str; 4] = ["backward", "zero_grad", "print", "gradcheck"];

pub(super) fn evaluate(expr: &Expr, maker: &mut dyn Maker) -> Result<Val, LabError> {
    match expr {
        Expr::Number { value, integral } => Ok(Val::Number(*value, *integral)),
        Expr::Text(text) => Ok(Val::Text(text.clone())),
        Expr::Name(name, span) => maker.lookup(name).map(Val::Node).ok_or_else(|| {
            fail(
                *span,
                format!("`{name}` is not defined: assign it first (`{name} = Node(1)`)"),
            )
        }),
        Expr::Negate(operand, span) => match evaluate(operand, maker)? {
            Val::Number(x, integral) => Ok(Val::Number(-x, integral)),
            Val::Node(node) => Ok(Val::Node(maker.made(
                engine::neg(&node),
                "neg",
                &[&node],
                *span,
            )?)),
            Val::Text(_) => Err(fail(*span, "a string cannot be negated")),
        },
        Expr::Binary(op, left, right, span) => {
            let a = evaluate(left, maker)?;
            let b = evaluate(right, maker)?;
            binary(*op, a, b, maker, *span)
        }
        Expr::Call(name, arguments, span, _) => call(name, arguments, maker, *span),
        Expr::Attribute(object, name, span) => {
            let Val::Node(node) = evaluate(object, maker)? else {
                return Err(fail(*span, format!("only a node has `.{name}`")));
            };
            match name.as_str() {
                "grad" => Ok(Val::Number(node.grad(), true)),
                "value" | "data" => Ok(Val::Number(node.value(), true)),
                _ => Err(fail(
                    *span,
                    format!("a node has `.value` and `.grad`, not `.{name}`"),
                )),
            }
        }
        Expr::Method(_, name, span) => Err(fail(
            *span,
            format!("`.{name}()` is a statement: write it on its own line (`z.backward()`)"),
        )),
    }
}

fn call(
    name: &str,
    arguments: &[Expr],
    maker: &mut dyn Maker,
    span: Span,
) -> Result<Val, LabError> {
    let count = |wanted: usize| {
        if arguments.len() == wanted {
            Ok(())
        } else {
            Err(fail(
                span,
                format!(
                    "`{name}` takes {wanted} argument(s), not {}",
                    arguments.len()
                ),
            ))
        }
    };
    if STATEMENTS.contains(&name) {
        return Err(fail(
            span,
            format!("`{name}(...)` is a statement: write it on its own line"),
        ));
    }
    match name {
        "Node" => {
            count(1)?;
            match evaluate(&arguments[0], maker)? {
                Val::Number(x, _) => Ok(Val::Node(maker.made(Node::new(x), "leaf", &[], span)?)),
                _ => Err(fail(span, "`Node` takes a number: `Node(5)`")),
            }
        }
        "add" | "mul" | "pow" => {
            count(2)?;
            let op = match name {
                "add" => Operator::Add,
                "mul" => Operator::Mul,
                _ => Operator::Pow,
            };
            let a = evaluate(&arguments[0], maker)?;
            let b = evaluate(&arguments[1], maker)?;
            binary(op, a, b, maker, span)
        }
        _ => {
            // every one-operand op of the engine, by its name (neg, exp, log, sin, ...)
            let Some(&op) = UnaryOp::ALL.iter().find(|op| op.name() == name) else {
                let known: Vec<&str> = UnaryOp::ALL.iter().map(|op| op.name()).collect();
                return Err(fail(
                    span,
                    format!(
                        "unknown function `{name}`: the lab knows Node, add, mul, pow, {}",
                        known.join(", ")
                    ),
                ));
            };
            count(1)?;
            let value = evaluate(&arguments[0], maker)?;
            let node = lift(value, maker, span)?;
            Ok(Val::Node(maker.made(
                engine::unary(&node, op),
                op.name(),
                &[&node],
                span,
            )?))
        }
    }
}

/// Evaluation inside a gradient check: one variable, nothing recorded.
pub(super) struct Plain<'a> {
    /// The expression's one variable.
    pub(super) variable: &'a str,
    /// The node it stands for.
    pub(super) x: Node,
}

impl Maker for Plain<'_> {
    fn made(
        &mut self,
        node: Node,
        _: &'static str,
        _: &[&Node],
        _: Span,
    ) -> Result<Node, LabError> {
        Ok(node)
    }
    fn lookup(&self, name: &str) -> Option<Node> {
        (name == self.variable).then(|| self.x.clone())
    }
    fn exponent(&mut self, _: &Node, _: f64) {
        // nothing is drawn from a gradient check's nodes
    }
}

/// The names an expression reads, in order of first use.
pub(super) fn names(expr: &Expr, found: &mut Vec<String>) {
    match expr {
        Expr::Number { .. } | Expr::Text(_) => {}
        Expr::Name(name, _) => {
            if !found.contains(name) {
                found.push(name.clone());
            }
        }
        Expr::Negate(inner, _) | Expr::Attribute(inner, _, _) | Expr::Method(inner, _, _) => {
            names(inner, found)
        }
        Expr::Binary(_, left, right, _) => {
            names(left, found);
            names(right, found);
        }
        Expr::Call(_, arguments, _, _) => arguments.iter().for_each(|a| names(a, found)),
    }
}
