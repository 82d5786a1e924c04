//! How the tape stores each node's [`Op`]: 8 bytes per node, with side tables for what does not
//! fit.
//!
//! The rest of the engine matches on `Op` (`ops.rs`); the tape keeps it packed into one `u64`, a
//! 5-bit kind and two 29-bit fields, because a node's record is read by every backward pass and
//! every pop, and an `Op` with a constant or a neuron's four fields takes 16 bytes. Packed, a
//! node takes 28 bytes (value, gradient, record, handle count) instead of 36
//! (`cargo bench -p scalargrad-bench --bench engine` prints the bytes per node of a chain).
//!
//! | `Op`                    | kind              | field a            | field b                  |
//! |-------------------------|-------------------|--------------------|--------------------------|
//! | `Leaf`                  | `LEAF`            | 0                  | 0                        |
//! | `Constant`              | `CONSTANT`        | 0                  | 0                        |
//! | `Unary(a, op)`          | `UNARY`           | a                  | `op`'s place in `ALL`    |
//! | `Binary(a, b, op)`      | `BINARY` + op     | a                  | b                        |
//! | `WithConstant(a, c, op)`| `WITH_CONSTANT`+op| a                  | `c`'s slot in constants  |
//! | `Sum`, `Linear`         | `SUM`, `LINEAR`   | start in operands  | len                      |
//! | `Dense`                 | `DENSE`           | its layer's slot   | neurons below it (k)     |
//! | `SoftmaxCrossEntropies` | `SOFTMAX_CE`      | its batch's slot   | 0                        |
//! | `SumOfSquares`          | `SQUARES`         | first term         | len                      |
//!
//! Every side-table entry remembers the node that owns it, so that popping nodes shrinks the
//! tables without reading the popped records.

use super::binary::{BinaryOp, ConstantOp};
use super::dense::Activation;
use super::ops::Op;
use super::tape::Idx;
use super::unary::UnaryOp;

/// How many items at the end of `items` match, counted four at a time (the four tests joined
/// with `&`, not `&&`, so the compiler tests them together), then one at a time.
#[inline(always)]
pub(crate) fn trailing<T>(items: &[T], matches: impl Fn(&T) -> bool) -> usize {
    let quads = items
        .rchunks_exact(4)
        .take_while(|quad| {
            matches(&quad[0]) & matches(&quad[1]) & matches(&quad[2]) & matches(&quad[3])
        })
        .count();
    let rest = &items[..items.len() - 4 * quads];
    4 * quads + rest.iter().rev().take_while(|&item| matches(item)).count()
}

/// Bits of a record's kind: 32 kinds, of which the table above uses 17.
const KIND_BITS: u32 = 5;
/// Bits of each of a record's two index fields (5 + 2 * 29 of the 64 bits; one is spare).
const FIELD_BITS: u32 = 29;
/// The mask of one field.
const FIELD: u64 = (1 << FIELD_BITS) - 1;

/// Nodes alive on one thread at most, and entries of `operands` at most: every index fits a
/// 29-bit field (half a billion nodes is 14 GiB of tape).
pub(crate) const MAX_NODES: usize = 1 << FIELD_BITS;

// The kinds, in the low `KIND_BITS` bits. The ops of `BinaryOp` and `ConstantOp` each take a kind of their
// own (their place in `ALL` added to the first), since both fields hold indices.
// The two kinds of leaf first, so that "a leaf" is one comparison (`is_leaf`).
const LEAF: u64 = 0;
const CONSTANT: u64 = 1;
const UNARY: u64 = 2;
const BINARY: u64 = 3;
const WITH_CONSTANT: u64 = BINARY + BinaryOp::ALL.len() as u64;
const SUM: u64 = WITH_CONSTANT + ConstantOp::ALL.len() as u64;
const LINEAR: u64 = SUM + 1;
const DENSE: u64 = LINEAR + 1;
const SOFTMAX_CE: u64 = DENSE + 1;
const SQUARES: u64 = SOFTMAX_CE + 1;
const _: () = assert!(SQUARES < 1 << KIND_BITS, "the kinds fit KIND_BITS bits");
const _: () = assert!(KIND_BITS + 2 * FIELD_BITS <= 64, "a record fits 8 bytes");
// Each binary op's kind by name, so that reading a record is one match whose arms each build an
// op of a known kind (see `Records::with_op`).
const ADD: u64 = BINARY + BinaryOp::Add as u64;
const SUB: u64 = BINARY + BinaryOp::Sub as u64;
const MUL: u64 = BINARY + BinaryOp::Mul as u64;
const DIV: u64 = BINARY + BinaryOp::Div as u64;
const POW: u64 = BINARY + BinaryOp::Pow as u64;
const ADD_CONSTANT: u64 = WITH_CONSTANT + ConstantOp::Add as u64;
const MUL_CONSTANT: u64 = WITH_CONSTANT + ConstantOp::Mul as u64;
const POW_CONSTANT: u64 = WITH_CONSTANT + ConstantOp::Pow as u64;
const HINGE_CONSTANT: u64 = WITH_CONSTANT + ConstantOp::Hinge as u64;

/// One node's op, packed (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed(u64);

impl Packed {
    /// The record of `kind` with fields `a` and `b`, each below `MAX_NODES` (the callers'
    /// contract: node indices, slots and lengths are checked against it where they are made).
    #[inline(always)]
    fn new(kind: u64, a: Idx, b: Idx) -> Packed {
        debug_assert!(
            (a as usize) < MAX_NODES && (b as usize) < MAX_NODES,
            "{a} {b}"
        );
        Packed(kind | u64::from(a) << KIND_BITS | u64::from(b) << (KIND_BITS + FIELD_BITS))
    }

    fn kind(self) -> u64 {
        self.0 & ((1 << KIND_BITS) - 1)
    }

    fn a(self) -> Idx {
        (self.0 >> KIND_BITS & FIELD) as Idx
    }

    fn b(self) -> Idx {
        (self.0 >> (KIND_BITS + FIELD_BITS) & FIELD) as Idx
    }
}

/// What the neurons of one layer share: a `Dense` record holds its layer's slot and k, the
/// number of the layer's neurons below it on its example, and whose parameters start at
/// `first_parameter + k * (len + 1)`.
///
/// A layer recorded over a batch (`push_layer` with several rows) is one entry: its `rows`
/// examples lie one after another from `first_node`, `count` neurons each, with the same
/// parameters, example r reading the inputs from `inputs + r * len`. Every example's records are
/// then the same (slot, k), so the batch's records are copies of its first example's. A layer
/// of one example (`rows` 1) needs no `count`.
#[derive(Clone, Copy, Debug)]
struct Layer {
    first_node: Idx,
    first_parameter: Idx,
    inputs: Idx,
    len: Idx,
    activation: Activation,
    rows: Idx,
    count: Idx,
}

impl Layer {
    /// The example of this layer that node `index`, k neurons into its example, belongs to
    /// (0 for a layer of one example).
    fn row(&self, index: Idx, k: Idx) -> Idx {
        if self.rows > 1 {
            (index - k - self.first_node) / self.count
        } else {
            0
        }
    }
}

/// What a `SoftmaxCrossEntropies` record holds beyond its slot: the op's fields, and the node
/// that owns them.
#[derive(Clone, Copy, Debug)]
struct CrossEntropies {
    node: Idx,
    logits: Idx,
    width: Idx,
    examples: Idx,
    classes: Idx,
    probabilities: Idx,
}

/// The op of every node on the tape, oldest first, and the side tables they refer to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Records {
    packed: Vec<Packed>,
    /// Parent lists of n-ary ops (`sum`, `linear`); each such op owns a contiguous range.
    pub(crate) operands: Vec<Idx>,
    /// Where each n-ary op's range in `operands` starts, as (node index, start), oldest first.
    operand_starts: Vec<(Idx, Idx)>,
    /// The constants of `WithConstant` ops, and the node that owns each.
    constants: Vec<f64>,
    constant_nodes: Vec<Idx>,
    /// Layers of `Dense` nodes (a lone neuron is a layer of one), oldest first.
    layers: Vec<Layer>,
    /// The batches of `SoftmaxCrossEntropies` nodes, oldest first.
    cross_entropies: Vec<CrossEntropies>,
    /// Each example's class, of every `SoftmaxCrossEntropies` node, oldest first.
    pub(crate) classes: Vec<Idx>,
    /// Each example's softmax as the forward pass computed it, of every `SoftmaxCrossEntropies`
    /// node, oldest first: its backward pass reads it instead of computing the exponentials
    /// again.
    pub(crate) probabilities: Vec<f64>,
}

impl Records {
    /// An empty list (`const`, for the thread-local tape).
    pub(crate) const fn new() -> Records {
        Records {
            packed: Vec::new(),
            operands: Vec::new(),
            operand_starts: Vec::new(),
            constants: Vec::new(),
            constant_nodes: Vec::new(),
            layers: Vec::new(),
            cross_entropies: Vec::new(),
            classes: Vec::new(),
            probabilities: Vec::new(),
        }
    }

    /// Number of records (nodes).
    pub(crate) fn len(&self) -> usize {
        self.packed.len()
    }

    /// Appends the record of the next node, made by `op`.
    ///
    /// The caller checks that the node's index is below `MAX_NODES` (`Tape::push`), and a
    /// `Dense` op keeps its contract on `below` (the neurons below it on the tape are its layer).
    #[inline(always)]
    pub(crate) fn push(&mut self, op: Op) {
        let index = self.packed.len() as Idx;
        let record = match op {
            Op::Leaf => Packed::new(LEAF, 0, 0),
            Op::Constant => Packed::new(CONSTANT, 0, 0),
            Op::Unary(a, op) => Packed::new(UNARY, a, op as Idx),
            Op::Binary(a, b, op) => Packed::new(BINARY + op as u64, a, b),
            Op::WithConstant(a, c, op) => {
                // fewer constants than nodes, so the slot fits a field
                let slot = self.constants.len() as Idx;
                self.constants.push(c);
                self.constant_nodes.push(index);
                Packed::new(WITH_CONSTANT + op as u64, a, slot)
            }
            Op::Sum { start, len } => {
                self.operand_starts.push((index, start));
                Packed::new(SUM, start, len)
            }
            Op::Linear { start, len } => {
                self.operand_starts.push((index, start));
                Packed::new(LINEAR, start, len)
            }
            Op::Dense {
                parameters,
                inputs,
                len,
                activation,
                below,
            } => {
                // the layer this neuron ends, found from `below`; a lone neuron starts its own
                let slot = match self.layers.last() {
                    Some(layer) if below > 0 && layer.first_node == index - below => {
                        self.layers.len() - 1
                    }
                    Some(_) | None => {
                        self.layers.push(Layer {
                            first_node: index - below,
                            first_parameter: parameters - below * (len + 1),
                            inputs,
                            len,
                            activation,
                            rows: 1,
                            count: 0,
                        });
                        self.layers.len() - 1
                    }
                };
                Packed::new(DENSE, slot as Idx, below)
            }
            Op::SoftmaxCrossEntropies {
                logits,
                width,
                examples,
                classes,
                probabilities,
            } => {
                // fewer batches than nodes, so the slot fits a field
                let slot = self.cross_entropies.len() as Idx;
                self.cross_entropies.push(CrossEntropies {
                    node: index,
                    logits,
                    width,
                    examples,
                    classes,
                    probabilities,
                });
                Packed::new(SOFTMAX_CE, slot, 0)
            }
            Op::SumOfSquares { first, len } => Packed::new(SQUARES, first, len),
        };
        self.packed.push(record);
    }

    /// Appends the records of `count` constants (a row of data).
    pub(crate) fn push_constants(&mut self, count: usize) {
        let constant = Packed::new(CONSTANT, 0, 0);
        self.packed.resize(self.packed.len() + count, constant);
    }

    /// Appends the records of one layer over `rows` examples, the next `rows * count` nodes, row
    /// after row: in row r, neuron k reads `inputs + r * len..` (`len` nodes) with its
    /// parameters from `first_parameter + k * (len + 1)` (the layout of `Op::Dense`'s contract,
    /// per row). One side-table entry for the whole batch (see `Layer`), and the first row's
    /// records copied to the others: a copy of that size the processor makes without reading the
    /// memory it overwrites, where a store per record read each line in first (a CE step's
    /// records 6.4 us, against 2.4 us to zero-fill its values).
    ///
    /// The caller checks that the nodes' indices are below `MAX_NODES` (`record_layers`).
    // Inlined into the recording of a stack: out of line, its loop over the neurons stayed
    // scalar and the call cost a one-example forward pass (W) 5% (callgrind: 95 instructions
    // a layer)
    #[inline(always)]
    pub(crate) fn push_layer(
        &mut self,
        first_parameter: Idx,
        inputs: Idx,
        len: Idx,
        activation: Activation,
        (count, rows): (usize, usize),
    ) {
        let slot = self.layers.len() as Idx;
        let first = self.packed.len();
        self.layers.push(Layer {
            first_node: first as Idx,
            first_parameter,
            inputs,
            len,
            activation,
            rows: rows as Idx,
            count: count as Idx,
        });
        self.packed
            .extend((0..count as Idx).map(|k| Packed::new(DENSE, slot, k)));
        // then the rows already written copied after them, doubling, until there are `rows`
        let end = first + rows * count;
        while self.packed.len() < end {
            let copied = (self.packed.len() - first).min(end - self.packed.len());
            self.packed.extend_from_within(first..first + copied);
        }
    }

    /// The op of node `index`.
    pub(crate) fn op(&self, index: Idx) -> Op {
        self.with_op(index, |op| op)
    }

    /// `then(op)` for the op of node `index`.
    ///
    /// Each kind calls `then` in an arm of its own, so that once `then` is inlined it is compiled
    /// once per kind, with the kind known (the backward sweep's match on the op folds away),
    /// where reading an `Op` back and matching on it again would cost every node of a sweep.
    ///
    /// The commonest kinds (a network's layers, a user's sums and products) are tested one by one
    /// before the match. The compiler folds these tests into the match's jump table, but the code
    /// it makes with them measures faster on a chain's backward pass
    /// (`cargo run --release -p scalargrad-bench --example chain_phases`; bench/RESULTS.md).
    #[inline(always)]
    pub(crate) fn with_op<R>(&self, index: Idx, then: impl FnOnce(Op) -> R) -> R {
        let record = self.packed[index as usize];
        let (a, b) = (record.a(), record.b());
        let kind = record.kind();
        if kind == DENSE {
            return then(self.dense(index, a, b));
        }
        if kind == ADD {
            return then(Op::Binary(a, b, BinaryOp::Add));
        }
        if kind == MUL {
            return then(Op::Binary(a, b, BinaryOp::Mul));
        }
        // `DENSE`, `ADD` and `MUL` never get here; their arms stay so that the match still names
        // every kind (the compiler drops them, as it knows the tests above)
        match kind {
            LEAF => then(Op::Leaf),
            CONSTANT => then(Op::Constant),
            UNARY => then(Op::Unary(a, UnaryOp::ALL[b as usize])),
            ADD => then(Op::Binary(a, b, BinaryOp::Add)),
            SUB => then(Op::Binary(a, b, BinaryOp::Sub)),
            MUL => then(Op::Binary(a, b, BinaryOp::Mul)),
            DIV => then(Op::Binary(a, b, BinaryOp::Div)),
            POW => then(Op::Binary(a, b, BinaryOp::Pow)),
            ADD_CONSTANT => then(Op::WithConstant(a, self.constant(b), ConstantOp::Add)),
            MUL_CONSTANT => then(Op::WithConstant(a, self.constant(b), ConstantOp::Mul)),
            POW_CONSTANT => then(Op::WithConstant(a, self.constant(b), ConstantOp::Pow)),
            HINGE_CONSTANT => then(Op::WithConstant(a, self.constant(b), ConstantOp::Hinge)),
            SUM => then(Op::Sum { start: a, len: b }),
            LINEAR => then(Op::Linear { start: a, len: b }),
            DENSE => then(self.dense(index, a, b)),
            SOFTMAX_CE => {
                let batch = self.cross_entropies[a as usize];
                then(Op::SoftmaxCrossEntropies {
                    logits: batch.logits,
                    width: batch.width,
                    examples: batch.examples,
                    classes: batch.classes,
                    probabilities: batch.probabilities,
                })
            }
            SQUARES => then(Op::SumOfSquares { first: a, len: b }),
            kind => unreachable!("scalargrad: no op has kind {kind} (a record was overwritten)"),
        }
    }

    /// The `Dense` op of node `index`, whose record's fields are `slot` (its layer) and `below`.
    fn dense(&self, index: Idx, slot: Idx, below: Idx) -> Op {
        let layer = self.layers[slot as usize];
        Op::Dense {
            parameters: layer.first_parameter + below * (layer.len + 1),
            inputs: layer.inputs + layer.row(index, below) * layer.len,
            len: layer.len,
            activation: layer.activation,
            below,
        }
    }

    /// For the `Dense` node `index`: how many examples of its layer lie directly below its own
    /// on the tape (recorded together by `push_layer`), and how many neurons each has; (0, 0)
    /// for a layer recorded on its own. Those examples are then whole layers: in the j-th below,
    /// neuron k is node `first - j * count + k`, where `first` is the first neuron of `index`'s
    /// example, and it reads the inputs of `index`'s example moved `j * len` lower, with the
    /// same parameters.
    pub(crate) fn rows_below(&self, index: Idx) -> (Idx, Idx) {
        let record = self.packed[index as usize];
        let layer = self.layers[record.a() as usize];
        match layer.row(index, record.b()) {
            0 => (0, 0),
            row => (row, layer.count),
        }
    }

    fn constant(&self, slot: Idx) -> f64 {
        self.constants[slot as usize]
    }

    /// True if node `index` is a leaf, of either kind (a test of its record alone).
    pub(crate) fn is_leaf(&self, index: usize) -> bool {
        self.packed[index].kind() <= CONSTANT
    }

    /// True if node `index` is a constant (a leaf that takes no gradient).
    pub(crate) fn is_constant(&self, index: usize) -> bool {
        self.packed[index].kind() == CONSTANT
    }

    /// True if the nodes of `range` are all leaves made by `Node::new` (none a constant, whose
    /// gradient reads 0 whatever its slot holds).
    pub(crate) fn are_plain_leaves(&self, range: std::ops::Range<usize>) -> bool {
        // every record tested, as `are_consecutive` (vector instructions)
        self.packed[range]
            .iter()
            .fold(true, |all, record| all & (record.kind() == LEAF))
    }

    /// True if the `len` nodes from `first` are all constants: a neuron whose inputs they are
    /// need not pass its gradient on to them.
    pub(crate) fn are_constants(&self, first: Idx, len: Idx) -> bool {
        let first = first as usize;
        self.packed[first..first + len as usize]
            .iter()
            .all(|record| record.kind() == CONSTANT)
    }

    /// How many records directly below `end` are leaves of either kind, counting down from
    /// `end - 1` (0 if that one is not a leaf), with `trailing`, as the backward sweep's scan for
    /// zero gradients.
    pub(crate) fn leaves_below(&self, end: usize) -> usize {
        trailing(&self.packed[..end], |record| record.kind() <= CONSTANT)
    }

    /// Keeps the first `len` records, and of the side tables what they refer to.
    pub(crate) fn truncate(&mut self, len: usize) {
        let popped = |node: Idx| node as usize >= len;
        while let Some(&(node, start)) = self.operand_starts.last() {
            if !popped(node) {
                break;
            }
            self.operands.truncate(start as usize);
            self.operand_starts.pop();
        }
        let constants = self.constant_nodes.partition_point(|&node| !popped(node));
        self.constants.truncate(constants);
        self.constant_nodes.truncate(constants);
        let layers = self
            .layers
            .partition_point(|layer| !popped(layer.first_node));
        self.layers.truncate(layers);
        let batches = self
            .cross_entropies
            .partition_point(|batch| !popped(batch.node));
        if let Some(&first_popped) = self.cross_entropies.get(batches) {
            self.classes.truncate(first_popped.classes as usize);
            self.probabilities
                .truncate(first_popped.probabilities as usize);
            self.cross_entropies.truncate(batches);
        }
        self.packed.truncate(len);
    }

    /// Gives back the memory held beyond what the records use.
    pub(crate) fn shrink(&mut self) {
        self.packed.shrink_to_fit();
        self.operands.shrink_to_fit();
        self.operand_starts.shrink_to_fit();
        self.constants.shrink_to_fit();
        self.constant_nodes.shrink_to_fit();
        self.layers.shrink_to_fit();
        self.cross_entropies.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.probabilities.shrink_to_fit();
    }

    /// Bytes of memory held (capacity, not only what is in use).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.packed.capacity() * size_of::<Packed>()
            + self.operands.capacity() * size_of::<Idx>()
            + self.operand_starts.capacity() * size_of::<(Idx, Idx)>()
            + self.constants.capacity() * size_of::<f64>()
            + self.constant_nodes.capacity() * size_of::<Idx>()
            + self.layers.capacity() * size_of::<Layer>()
            + self.cross_entropies.capacity() * size_of::<CrossEntropies>()
            + self.classes.capacity() * size_of::<Idx>()
            + self.probabilities.capacity() * size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_takes_8_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), 8);
    }

    /// Every kind of op, with fields at the ends of their ranges, comes back as it went in.
    #[test]
    fn every_op_comes_back_as_it_was_recorded() {
        let top = (MAX_NODES - 1) as Idx;
        let mut ops = vec![Op::Leaf, Op::Constant, Op::Leaf];
        ops.extend(UnaryOp::ALL.iter().map(|&op| Op::Unary(top, op)));
        ops.extend(BinaryOp::ALL.iter().map(|&op| Op::Binary(top, 1, op)));
        ops.extend(BinaryOp::ALL.iter().map(|&op| Op::Binary(0, top, op)));
        for (&op, c) in ConstantOp::ALL
            .iter()
            .zip([-0.0, 1e308, f64::MIN_POSITIVE, -1.0])
        {
            ops.push(Op::WithConstant(top, c, op));
        }
        ops.push(Op::Sum { start: top, len: 0 });
        ops.push(Op::Linear { start: 3, len: top });
        ops.push(Op::SoftmaxCrossEntropies {
            logits: top,
            width: top,
            examples: 1,
            classes: top,
            probabilities: 0,
        });
        ops.push(Op::SumOfSquares {
            first: top,
            len: top,
        });
        // a lone neuron, then a layer of three whose parameters start at node 0
        let n = ops.len() as Idx;
        for (below, activation) in [(0, Activation::Tanh)]
            .into_iter()
            .chain((0..3).map(|k| (k, Activation::Relu)))
        {
            ops.push(Op::Dense {
                parameters: below * 3,
                inputs: 1,
                len: 2,
                activation,
                below,
            });
        }
        let mut records = Records::new();
        for &op in &ops {
            records.push(op);
        }
        for (index, &op) in ops.iter().enumerate() {
            assert_eq!(records.op(index as Idx), op, "node {index}");
            let leaf = matches!(op, Op::Leaf | Op::Constant);
            assert_eq!(records.is_leaf(index), leaf, "node {index}");
            assert_eq!(
                records.is_constant(index),
                op == Op::Constant,
                "node {index}"
            );
        }
        assert_eq!(records.layers.len(), 2, "the three neurons share one layer");
        assert_eq!(records.layers[1].first_node, n + 1);
    }

    #[test]
    fn leaves_below_counts_the_leaves_down_to_the_first_other_record() {
        // nodes 0-1 leaves, 2 an op, 3-8 leaves of both kinds (more than a quad), 9 an op, 10 a
        // constant
        let mut records = Records::new();
        let ops = [0, 0, 2, 0, 1, 1, 0, 1, 0, 2, 1];
        for (index, &kind) in ops.iter().enumerate() {
            records.push(match kind {
                0 => Op::Leaf,
                1 => Op::Constant,
                _ => Op::Unary(index as Idx - 1, UnaryOp::Exp),
            });
        }
        for (end, leaves) in [
            (11, 1),
            (10, 0),
            (9, 6),
            (8, 5),
            (5, 2),
            (4, 1),
            (3, 0),
            (2, 2),
        ] {
            assert_eq!(records.leaves_below(end), leaves, "below {end}");
        }
    }

    /// A batch of cross-entropies reads back with its side tables, and popping it (but not a
    /// batch below it) gives back its classes and probabilities.
    #[test]
    fn the_side_tables_of_cross_entropies_follow_the_records() {
        let mut records = Records::new();
        for _ in 0..6 {
            records.push(Op::Leaf); // nodes 0..6: logits
        }
        let batch = |logits, width, examples, classes, probabilities| Op::SoftmaxCrossEntropies {
            logits,
            width,
            examples,
            classes,
            probabilities,
        };
        // node 6: two examples of three logits; node 7: one example of two
        records.classes.extend([2, 0, 1]);
        records.probabilities.extend([0.1; 8]);
        records.push(batch(0, 3, 2, 0, 0));
        records.push(batch(4, 2, 1, 2, 6));
        assert_eq!(records.op(6), batch(0, 3, 2, 0, 0));
        assert_eq!(records.op(7), batch(4, 2, 1, 2, 6));
        records.truncate(7);
        assert_eq!((records.classes.len(), records.probabilities.len()), (2, 6));
        assert_eq!(records.op(6), batch(0, 3, 2, 0, 0));
        records.truncate(6);
        assert_eq!((records.classes.len(), records.probabilities.len()), (0, 0));
        assert!(records.cross_entropies.is_empty());
    }

    /// A layer pushed over three examples reads back, example by example, as neurons of the
    /// same parameters on inputs `len` apart, and each example knows how many lie below it,
    /// also once the newest is cut short.
    #[test]
    fn a_layer_over_a_batch_reads_back_example_by_example() {
        let mut records = Records::new();
        for _ in 0..6 {
            records.push(Op::Leaf); // nodes 0..6: two neurons' parameters (3 each)
        }
        records.push_constants(6); // nodes 6..12: three examples of two inputs
        records.push_layer(0, 6, 2, Activation::Relu, (2, 3)); // nodes 12..18
        let neuron = |index: Idx| records.op(index);
        let dense = |parameters, inputs, below| Op::Dense {
            parameters,
            inputs,
            len: 2,
            activation: Activation::Relu,
            below,
        };
        let expected = [
            (0, 6, 0),
            (3, 6, 1),
            (0, 8, 0),
            (3, 8, 1),
            (0, 10, 0),
            (3, 10, 1),
        ];
        for (k, (parameters, inputs, below)) in expected.into_iter().enumerate() {
            assert_eq!(
                neuron(12 + k as Idx),
                dense(parameters, inputs, below),
                "node {k}"
            );
        }
        let rows_below: Vec<(Idx, Idx)> = (12..18).map(|i| records.rows_below(i)).collect();
        assert_eq!(rows_below, [(0, 0), (0, 0), (1, 2), (1, 2), (2, 2), (2, 2)]);
        // one side-table entry for the batch, and every example's records the first one's
        assert_eq!(records.layers.len(), 1);
        assert_eq!(records.packed[12..14], records.packed[16..18]);
        records.truncate(17); // the newest example keeps one neuron
        assert_eq!(records.rows_below(16), (2, 2));
        assert_eq!(records.op(16), dense(0, 10, 0));
        assert_eq!(records.layers.len(), 1);
        records.truncate(12); // the whole batch popped
        assert_eq!(records.layers.len(), 0);
    }

    /// A layer pushed whole reads back as the neurons `Op::Dense` describes, and popping part of
    /// the tape keeps exactly the side-table entries of the records left.
    #[test]
    fn a_layer_and_the_side_tables_follow_the_records() {
        let mut records = Records::new();
        for _ in 0..7 {
            records.push(Op::Leaf); // nodes 0..7: two neurons' parameters (3 each), an input
        }
        records.push_layer(0, 6, 2, Activation::Sigmoid, (2, 1)); // nodes 7, 8
        records.push(Op::WithConstant(7, 2.5, ConstantOp::Mul)); // 9
        records.push(Op::Sum { start: 0, len: 0 }); // 10
        records.operands.extend([7, 8]);
        records.push(Op::Sum { start: 0, len: 2 }); // 11
        records.push(Op::WithConstant(11, -1.0, ConstantOp::Add)); // 12
        assert_eq!(
            records.op(8),
            Op::Dense {
                parameters: 3,
                inputs: 6,
                len: 2,
                activation: Activation::Sigmoid,
                below: 1
            }
        );
        records.truncate(11);
        assert_eq!(
            (records.constants.clone(), records.operand_starts.len()),
            (vec![2.5], 1)
        );
        assert_eq!(records.op(9), Op::WithConstant(7, 2.5, ConstantOp::Mul));
        records.truncate(8); // the layer's first neuron stays, so its layer does
        assert_eq!((records.constants.len(), records.layers.len()), (0, 1));
        assert_eq!(
            records.op(7),
            Op::Dense {
                parameters: 0,
                inputs: 6,
                len: 2,
                activation: Activation::Sigmoid,
                below: 0
            }
        );
        records.truncate(7);
        assert_eq!((records.layers.len(), records.operand_starts.len()), (0, 0));
    }
}
