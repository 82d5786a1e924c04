//! Running a lab program on the engine, statement by statement: every node its expressions make
//! (`evaluate.rs`) recorded, and each `backward` the engine's, replayed edge by edge from the
//! contributions it recorded.

use std::collections::HashMap;
use std::time::Instant;

use super::evaluate::{Maker, Plain, STATEMENTS, Val, evaluate, fail, lift, names};
use super::parse::{Expr, Line, Span, Statement, parse};
use super::{
    Check, Event, LabError, LabNode, LabRun, MAX_EVENTS, MAX_NODES, MAX_PROGRAM_BYTES,
    MAX_RUN_TIME, Variable,
};
use crate::Node;
use crate::engine::{self, python_repr};

/// A number as the notebook's Python prints it: ints without a point (`20`), floats as `repr`
/// (`2.718281828459045`, `2.0`, `1e-05`).
fn notebook_number(x: f64, integral: bool) -> String {
    if integral && x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x}")
    } else {
        python_repr(x)
    }
}

/// A node's value or gradient as the notebook printed them: the notebook's nodes held ints
/// while every number that made them was an int, so an integral number prints as one.
fn node_number(x: f64) -> String {
    notebook_number(x, true)
}

/// A program running: its nodes, events and variables so far.
struct Interpreter<'p> {
    program: &'p str,
    line: usize,
    handles: Vec<Node>,
    nodes: Vec<LabNode>,
    position: HashMap<usize, usize>,
    /// Each node's gradient as the timeline has it so far, and in the notebook's engine.
    grads: Vec<f64>,
    notebook_grads: Vec<f64>,
    events: Vec<Event>,
    output: String,
    variables: Vec<(String, Node)>,
    checks: Vec<Check>,
    focus: Option<usize>,
}

impl Maker for Interpreter<'_> {
    fn made(
        &mut self,
        node: Node,
        op: &'static str,
        operands: &[&Node],
        span: Span,
    ) -> Result<Node, LabError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(LabError::Limit(format!(
                "line {}: the program made more than {MAX_NODES} nodes (the lab's limit: a graph \
                 small enough to watch)",
                span.line
            )));
        }
        let id = node.id();
        let label = (op == "leaf").then(|| node_number(node.value()));
        self.position.insert(id, self.nodes.len());
        self.nodes.push(LabNode {
            id,
            label,
            op,
            operands: operands.iter().map(|n| n.id()).collect(),
            exponent: None,
            value: node.value(),
            grad: 0.0,
            notebook_grad: 0.0,
            line: self.line,
        });
        self.grads.push(0.0);
        self.notebook_grads.push(0.0);
        self.handles.push(node.clone());
        self.event(Event::Create {
            line: self.line,
            node: id,
        })?;
        Ok(node)
    }

    fn lookup(&self, name: &str) -> Option<Node> {
        self.variables
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node.clone())
    }

    fn exponent(&mut self, node: &Node, n: f64) {
        if let Some(&position) = self.position.get(&node.id()) {
            self.nodes[position].exponent = Some(n);
        }
    }
}

impl<'p> Interpreter<'p> {
    fn event(&mut self, event: Event) -> Result<(), LabError> {
        if self.events.len() >= MAX_EVENTS {
            return Err(LabError::Limit(format!(
                "line {}: the program made more than {MAX_EVENTS} steps to show (creations, \
                 backward edges, resets and prints)",
                self.line
            )));
        }
        self.events.push(event);
        Ok(())
    }

    fn name_of(&self, position: usize) -> String {
        let node = &self.nodes[position];
        match &node.label {
            Some(label) => label.clone(),
            None => format!("#{}", node.id),
        }
    }

    fn statement(&mut self, line: &Line) -> Result<(), LabError> {
        self.line = line.span.line;
        match &line.statement {
            Statement::Assign(name, expr) => {
                let node = match evaluate(expr, self)? {
                    Val::Node(node) => node,
                    Val::Number(x, _) => self.made(Node::new(x), "leaf", &[], line.span)?,
                    Val::Text(_) => {
                        return Err(fail(line.span, "a variable holds a node, not a string"));
                    }
                };
                if let Some(&position) = self.position.get(&node.id()) {
                    let labelled = &mut self.nodes[position];
                    if labelled.label.is_none()
                        || labelled.op == "leaf" && labelled.line == self.line
                    {
                        labelled.label = Some(name.clone());
                    }
                }
                self.focus = Some(node.id());
                self.variables.retain(|(n, _)| n != name);
                self.variables.push((name.clone(), node));
                Ok(())
            }
            Statement::Expr(Expr::Call(name, arguments, span, places))
                if STATEMENTS.contains(&name.as_str()) =>
            {
                match name.as_str() {
                    "backward" | "zero_grad" => {
                        let [argument] = arguments.as_slice() else {
                            return Err(fail(
                                *span,
                                format!("`{name}` takes one node: `{name}(z)`"),
                            ));
                        };
                        let node = self.node_argument(argument, *span, name)?;
                        if name == "backward" {
                            self.backward(&node)
                        } else {
                            self.zero_grad(&node)
                        }
                    }
                    "print" => self.print(arguments),
                    _ => self.gradcheck(arguments, places, *span),
                }
            }
            Statement::Expr(Expr::Method(object, name, span)) => match name.as_str() {
                "backward" | "zero_grad" => {
                    let node = self.node_argument(object, *span, name)?;
                    if name == "backward" {
                        self.backward(&node)
                    } else {
                        self.zero_grad(&node)
                    }
                }
                _ => Err(fail(
                    *span,
                    format!(
                        "a node's methods are `.backward()` and `.zero_grad()`, not `.{name}()`"
                    ),
                )),
            },
            Statement::Expr(expr) => evaluate(expr, self).map(drop),
        }
    }

    fn node_argument(&mut self, expr: &Expr, span: Span, what: &str) -> Result<Node, LabError> {
        match evaluate(expr, self)? {
            Val::Node(node) => Ok(node),
            _ => Err(fail(
                span,
                format!("`{what}` needs a node, such as a variable assigned `Node(5)`"),
            )),
        }
    }

    fn reachable(&self, from: usize) -> Vec<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![from];
        let mut found = Vec::new();
        while let Some(position) = stack.pop() {
            if std::mem::replace(&mut seen[position], true) {
                continue;
            }
            found.push(position);
            for operand in &self.nodes[position].operands {
                if let Some(&p) = self.position.get(operand) {
                    stack.push(p);
                }
            }
        }
        found.sort_unstable();
        found
    }

    fn backward(&mut self, out: &Node) -> Result<(), LabError> {
        let Some(&out_position) = self.position.get(&out.id()) else {
            return Err(fail(
                self.here(),
                "`backward` needs a node this program made",
            ));
        };
        // The engine starts every intermediate node made up to the output from 0 (so a second
        // pass adds exactly the same again); the timeline shows that reset first.
        let reset: Vec<usize> = (0..=out_position)
            .filter(|&p| self.nodes[p].op != "leaf" && self.grads[p] != 0.0)
            .collect();
        if !reset.is_empty() {
            for &p in &reset {
                self.grads[p] = 0.0;
            }
            let nodes = reset.iter().map(|&p| self.nodes[p].id).collect();
            self.event(Event::Reset {
                line: self.line,
                nodes,
                by: "backward",
            })?;
        }
        let before = self.grads[out_position];
        self.grads[out_position] = before + 1.0;
        // the notebook's backward assigns out.grad = 1
        self.notebook_grads[out_position] = 1.0;
        self.event(Event::Seed {
            line: self.line,
            node: out.id(),
            before,
            after: before + 1.0,
        })?;

        engine::record_contributions(true);
        engine::backward(out);
        let contributions = engine::take_contributions();
        engine::record_contributions(false);
        for contribution in contributions {
            let (Some(&target), Some(&from)) = (
                self.position.get(&contribution.target_id()),
                self.position.get(&contribution.consumer_id),
            ) else {
                continue; // a node the program does not show (none: every operand is recorded)
            };
            let before = self.grads[target];
            let after = before + contribution.product;
            self.grads[target] = after;
            let notebook_before = self.notebook_grads[target];
            let notebook_after = notebook_before + self.notebook_grads[from] * contribution.local;
            self.notebook_grads[target] = notebook_after;
            let text = format!(
                "{}.grad += {}.grad x local = {} x {} -> {}",
                self.name_of(target),
                self.name_of(from),
                node_number(contribution.upstream),
                node_number(contribution.local),
                node_number(after)
            );
            self.event(Event::Edge {
                line: self.line,
                node: self.nodes[target].id,
                from: self.nodes[from].id,
                local: contribution.local,
                upstream: contribution.upstream,
                before,
                after,
                notebook_before,
                notebook_after,
                text,
            })?;
        }
        self.focus = Some(out.id());
        Ok(())
    }

    fn zero_grad(&mut self, out: &Node) -> Result<(), LabError> {
        let Some(&out_position) = self.position.get(&out.id()) else {
            return Err(fail(
                self.here(),
                "`zero_grad` needs a node this program made",
            ));
        };
        engine::zero_grad(out);
        let reached = self.reachable(out_position);
        for &p in &reached {
            self.grads[p] = 0.0;
            self.notebook_grads[p] = 0.0;
        }
        let nodes = reached.iter().map(|&p| self.nodes[p].id).collect();
        self.event(Event::Reset {
            line: self.line,
            nodes,
            by: "zero_grad",
        })
    }

    fn here(&self) -> Span {
        Span {
            line: self.line,
            column: 1,
            start: 0,
            end: 0,
        }
    }

    fn print(&mut self, arguments: &[Expr]) -> Result<(), LabError> {
        let mut words = Vec::new();
        for argument in arguments {
            words.push(match evaluate(argument, self)? {
                Val::Number(x, integral) => notebook_number(x, integral),
                Val::Node(node) => format!(
                    "Node(value={}, grad={})",
                    node_number(node.value()),
                    node_number(node.grad())
                ),
                Val::Text(text) => text,
            });
        }
        let text = words.join(" ");
        self.output.push_str(&text);
        self.output.push('\n');
        self.event(Event::Print {
            line: self.line,
            text,
        })
    }

    /// `gradcheck([name,] expression, x0[, eps, tol])`: the notebook's table row for an
    /// expression in one variable.
    fn gradcheck(
        &mut self,
        arguments: &[Expr],
        places: &[Span],
        span: Span,
    ) -> Result<(), LabError> {
        let usage = "write gradcheck(expression, x0), optionally with a name first and eps, tol \
                     after: gradcheck(\"(x + 1)(x + 1)\", (x + 1) * (x + 1), 2.0, 1e-4, 1e-4)";
        let (name, rest, rest_places) = match arguments.first() {
            Some(Expr::Text(name)) => (
                Some(name.clone()),
                &arguments[1..],
                &places[1.min(places.len())..],
            ),
            _ => (None, arguments, places),
        };
        if !(2..=4).contains(&rest.len()) {
            return Err(fail(span, usage));
        }
        let expression = &rest[0];
        let mut numbers = Vec::new();
        for argument in &rest[1..] {
            match evaluate(argument, self)? {
                Val::Number(x, _) => numbers.push(x),
                _ => return Err(fail(span, usage)),
            }
        }
        let (x0, eps, tol) = (
            numbers[0],
            numbers.get(1).copied().unwrap_or(1e-4),
            numbers.get(2).copied().unwrap_or(1e-4),
        );
        if !(eps > 0.0 && eps.is_finite() && tol >= 0.0) {
            return Err(fail(
                span,
                "gradcheck's eps must be a positive number and tol at least 0",
            ));
        }
        let mut read = Vec::new();
        names(expression, &mut read);
        let [variable] = read.as_slice() else {
            return Err(fail(
                span,
                format!(
                    "gradcheck takes an expression in one variable, such as x ** 2; this one reads {}",
                    if read.is_empty() {
                        "none".to_string()
                    } else {
                        read.join(", ")
                    }
                ),
            ));
        };
        let written = rest_places
            .first()
            .and_then(|place| self.program.get(place.start..place.end))
            .unwrap_or_default()
            .to_string();
        let first_error = std::cell::RefCell::new(None);
        let check = engine::gradcheck(
            |x: &Node| {
                let mut plain = Plain {
                    variable,
                    x: x.clone(),
                };
                match evaluate(expression, &mut plain).and_then(|v| lift(v, &mut plain, span)) {
                    Ok(node) => node,
                    Err(error) => {
                        first_error.borrow_mut().get_or_insert(error);
                        Node::new(f64::NAN)
                    }
                }
            },
            x0,
            eps,
            tol,
        );
        if let Some(error) = first_error.into_inner() {
            return Err(error);
        }
        let title = name.unwrap_or_else(|| written.clone());
        let report = format!("Testing: {title}\n{check}\n{}", "-".repeat(40));
        for text in report.lines() {
            self.output.push_str(text);
            self.output.push('\n');
            self.event(Event::Print {
                line: self.line,
                text: text.to_string(),
            })?;
        }
        self.checks.push(Check {
            expression: title,
            variable: variable.clone(),
            x: check.x,
            analytic: check.analytic,
            numeric: check.numeric,
            diff: check.diff,
            eps,
            tol,
            passed: check.passed,
        });
        Ok(())
    }

    /// The focus's graph in the notebook's post-order DFS (`post_dfs`), without recursion.
    fn topo(&self) -> Vec<usize> {
        let Some(&root) = self.focus.as_ref().and_then(|id| self.position.get(id)) else {
            return Vec::new();
        };
        let mut order = Vec::new();
        let mut visited = vec![false; self.nodes.len()];
        // (node, operands visited so far)
        let mut stack = vec![(root, 0)];
        visited[root] = true;
        while let Some((position, next)) = stack.pop() {
            let operands = &self.nodes[position].operands;
            if next < operands.len() {
                stack.push((position, next + 1));
                if let Some(&child) = self.position.get(&operands[next])
                    && !std::mem::replace(&mut visited[child], true)
                {
                    stack.push((child, 0));
                }
            } else {
                order.push(self.nodes[position].id);
            }
        }
        order
    }

    fn finish(mut self) -> LabRun {
        for (position, node) in self.nodes.iter_mut().enumerate() {
            node.grad = self.handles[position].grad();
            node.notebook_grad = self.notebook_grads[position];
        }
        let topo = self.topo();
        LabRun {
            output: self.output,
            variables: self
                .variables
                .iter()
                .map(|(name, node)| Variable {
                    name: name.clone(),
                    node: node.id(),
                    value: node.value(),
                    grad: node.grad(),
                })
                .collect(),
            nodes: self.nodes,
            events: self.events,
            focus: self.focus,
            topo,
            checks: self.checks,
        }
    }
}

/// Stops recording contributions however the run ends.
struct RecordingOff;

impl Drop for RecordingOff {
    fn drop(&mut self) {
        engine::record_contributions(false);
    }
}

/// Runs a lab program on this thread's tape and returns what it printed and every step of its
/// timeline. Its nodes are freed when it returns.
///
/// # Errors
/// A parse error or a statement that cannot run (with its line and column), or a limit passed
/// ([`MAX_PROGRAM_BYTES`], [`MAX_NODES`], [`MAX_EVENTS`], [`MAX_RUN_TIME`]).
pub fn run(program: &str) -> Result<LabRun, LabError> {
    if program.len() > MAX_PROGRAM_BYTES {
        return Err(LabError::Limit(format!(
            "the program is {} bytes; the lab runs programs of up to {MAX_PROGRAM_BYTES}",
            program.len()
        )));
    }
    let lines = parse(program)?;
    let started = Instant::now();
    let _off = RecordingOff;
    let mut interpreter = Interpreter {
        program,
        line: 0,
        handles: Vec::new(),
        nodes: Vec::new(),
        position: HashMap::new(),
        grads: Vec::new(),
        notebook_grads: Vec::new(),
        events: Vec::new(),
        output: String::new(),
        variables: Vec::new(),
        checks: Vec::new(),
        focus: None,
    };
    for line in &lines {
        if started.elapsed() > MAX_RUN_TIME {
            return Err(LabError::Limit(format!(
                "line {}: the program ran longer than {} seconds, the lab's limit",
                line.span.line,
                MAX_RUN_TIME.as_secs()
            )));
        }
        interpreter.statement(line)?;
    }
    Ok(interpreter.finish())
}
