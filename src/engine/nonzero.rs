//! Which hidden units are alive: [`NonzeroUnits`], marked from the values a recorded forward pass
//! writes (`dense::dense_layers_marking`), for the trainer's dead-unit fraction.

/// Which hidden neurons (every layer's but the last, layer after layer) have been nonzero on
/// some example recorded with [`dense_layers_marking`](super::dense_layers_marking): which
/// ReLU units are alive.
///
/// ```
/// use scalargrad::{Node, engine::{Activation, DenseLayer, NonzeroUnits, dense_layers_marking}};
/// // a hidden layer of two ReLUs (w00 w01 b0 w10 w11 b1), then one linear output
/// let hidden: Vec<Node> = [1.0, 0.0, 0.0, -1.0, 0.0, 0.0].iter().map(|&v| Node::new(v)).collect();
/// let output: Vec<Node> = [1.0, 1.0, 0.0].iter().map(|&v| Node::new(v)).collect();
/// let stack = [
///     DenseLayer::new(&hidden, 2, Activation::Relu).expect("consecutive"),
///     DenseLayer::new(&output, 2, Activation::Linear).expect("consecutive"),
/// ];
/// let mut nonzero = NonzeroUnits::default();
/// for x in [2.0, 3.0] {
///     let inputs = [Node::new(x), Node::new(0.0)];
///     dense_layers_marking(&inputs, &stack, &mut nonzero).expect("laid out");
/// }
/// // relu(x) > 0 on both examples, relu(-x) = 0 on both
/// assert_eq!(nonzero.flags(), [true, false]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NonzeroUnits {
    /// Per neuron, the OR of the bits of the values it took: a value is nonzero (NaN too)
    /// exactly when a bit other than the sign is set, and OR keeps every bit once set. One OR
    /// per value, where a flag per value would take a compare and a pack. Once every neuron is
    /// nonzero, the values of the batch's other examples are left out (they cannot change a
    /// flag).
    bits: Vec<u64>,
}

impl NonzeroUnits {
    /// Neurons tracked.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// True when no neuron is tracked (no example recorded, or no hidden layer).
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// One flag per neuron: true where it was nonzero on some example.
    pub fn flags(&self) -> Vec<bool> {
        self.bits
            .iter()
            .map(|&bits| bits & !SIGN_BIT != 0)
            .collect()
    }

    /// Tracks `count` neurons (the ones added: never nonzero yet).
    pub(crate) fn cover(&mut self, count: usize) {
        if self.bits.len() < count {
            self.bits.resize(count, 0);
        }
    }

    /// Marks neurons `at..at + values.len()` with their values on one example.
    pub(crate) fn mark(&mut self, at: usize, values: &[f64]) {
        self.mark_examples(at, values, values.len());
    }

    /// Marks neurons `at..at + width` with their values on every example of `values` (`width`
    /// each, example after example; a partial example at the end is ignored).
    pub(crate) fn mark_examples(&mut self, at: usize, values: &[f64], width: usize) {
        if width == 0 {
            return;
        }
        let bits = &mut self.bits[at..at + width];
        // four examples folded into one OR each (the flags read and written once for four
        // examples, not once each: marking example by example was 6% of a CE step through the
        // trainer), one from each quarter of the batch: a batch in order of class (the spiral's)
        // shows units of every class early
        let examples = values.len() / width;
        let quarter = examples / 4;
        let example = |e: usize| &values[e * width..(e + 1) * width];
        for e in 0..quarter {
            let four = example(e)
                .iter()
                .zip(example(e + quarter))
                .zip(example(e + 2 * quarter))
                .zip(example(e + 3 * quarter));
            for (bits, (((a, b), c), d)) in bits.iter_mut().zip(four) {
                *bits |= a.to_bits() | b.to_bits() | c.to_bits() | d.to_bits();
            }
            // once every neuron is marked, the other examples cannot change a flag (tested every
            // 16 examples, a pass over the flags)
            if e % 4 == 3 && all_marked(bits) {
                return;
            }
        }
        for e in 4 * quarter..examples {
            or_bits(bits, example(e));
        }
    }
}

/// True if every neuron of `bits` has been nonzero (see `NonzeroUnits::bits`).
fn all_marked(bits: &[u64]) -> bool {
    bits.iter()
        .fold(true, |all, &bits| all & (bits & !SIGN_BIT != 0))
}

/// `bits[k] |= values[k]`'s bits, for each k of the shorter of the two.
fn or_bits(bits: &mut [u64], values: &[f64]) {
    // four at a time, which the compiler turns into vector ORs (one at a time, it kept a scalar
    // loop: 2.4% of a program W step under perf)
    let mut bit_chunks = bits.chunks_exact_mut(4);
    let mut value_chunks = values.chunks_exact(4);
    for (bits, values) in (&mut bit_chunks).zip(&mut value_chunks) {
        for lane in 0..4 {
            bits[lane] |= values[lane].to_bits();
        }
    }
    let rest = bit_chunks.into_remainder().iter_mut();
    for (bits, value) in rest.zip(value_chunks.remainder()) {
        *bits |= value.to_bits();
    }
}

/// The sign bit of an f64: the one bit that -0.0 has and 0.0 does not.
const SIGN_BIT: u64 = 1 << 63;

#[cfg(test)]
mod tests {
    use super::*;

    /// Marking a batch at once gives the flags of marking its examples one by one, whether
    /// every neuron is nonzero early (marking stops there), a neuron first on the last example,
    /// or a neuron never.
    #[test]
    fn marking_a_batch_flags_what_marking_each_example_does() {
        let width = 3;
        // each batch's value of neuron k on example e
        type Batch = Box<dyn Fn(usize, usize) -> f64>;
        let batches: [(&str, Batch); 4] = [
            ("all on at once", Box::new(|_, _| 1.0)),
            (
                "the last neuron on the last example only",
                Box::new(|e, k| if k < 2 || e == 39 { 0.5 } else { 0.0 }),
            ),
            (
                "one neuron never on",
                Box::new(|e, k| if k == 1 { -0.0 } else { e as f64 }),
            ),
            (
                "off, then NaN",
                Box::new(|e, _| if e < 20 { 0.0 } else { f64::NAN }),
            ),
        ];
        for (name, value) in batches {
            let values: Vec<f64> = (0..40)
                .flat_map(|e| (0..width).map(move |k| (e, k)))
                .map(|(e, k)| value(e, k))
                .collect();
            let (mut together, mut one_by_one) = (NonzeroUnits::default(), NonzeroUnits::default());
            together.cover(width);
            one_by_one.cover(width);
            together.mark_examples(0, &values, width);
            for example in values.chunks(width) {
                one_by_one.mark(0, example);
            }
            assert_eq!(together.flags(), one_by_one.flags(), "{name}");
        }
    }

    /// Every neuron's flag, in the four-wide part and the rest, at an offset: -0.0 and 0.0 are
    /// zero, anything else (the smallest subnormal, NaN) is not, and a flag once set stays.
    #[test]
    fn marking_flags_exactly_the_nonzero_values() {
        let values = [0.0, -0.0, 5e-324, f64::NAN, -0.0, 0.0, -2.0, 0.0, -0.0];
        let expected = [false, false, true, true, false, false, true, false, false];
        let mut nonzero = NonzeroUnits::default();
        nonzero.cover(values.len() + 1);
        nonzero.mark(1, &values);
        assert!(!nonzero.flags()[0], "neuron 0 was not marked");
        assert_eq!(nonzero.flags()[1..], expected);
        nonzero.mark(1, &[0.0; 9]);
        assert_eq!(nonzero.flags()[1..], expected, "zeros later clear nothing");
    }

    #[test]
    fn a_unit_is_nonzero_exactly_when_some_value_is_not_0() {
        // one neuron per column: the values it took on three examples, and whether any != 0
        let table: [([f64; 3], bool); 6] = [
            ([0.0, 0.0, 0.0], false),
            ([-0.0, 0.0, -0.0], false),
            ([0.0, 5e-324, 0.0], true), // the smallest subnormal
            ([-2.0, 0.0, 0.0], true),
            ([0.0, 0.0, f64::NAN], true),
            ([f64::INFINITY, -0.0, 1.0], true),
        ];
        let mut units = NonzeroUnits::default();
        units.cover(table.len());
        for example in 0..3 {
            let values: Vec<f64> = table.iter().map(|(v, _)| v[example]).collect();
            units.mark(0, &values);
        }
        let expected: Vec<bool> = table.iter().map(|&(_, any)| any).collect();
        assert_eq!(units.flags(), expected);
        // and what `!= 0.0` says of each value, the definition the flags follow
        for (values, any) in table {
            assert_eq!(values.iter().any(|&v| v != 0.0), any, "{values:?}");
        }
    }

    /// Examples marked together (four at a time, then the rest) flag the same neurons as the
    /// definition, for 1 to 9 examples: neuron k is nonzero on example k alone (so every place
    /// in a group of four is tested), 0 or -0.0 elsewhere.
    #[test]
    fn examples_marked_together_flag_what_some_example_has_nonzero() {
        let width = 9;
        let value = |e: usize, k: usize| match (e == k, (e + k) % 2) {
            (true, _) => [2.5, 5e-324, f64::NAN, -1.0][k % 4],
            (false, 0) => 0.0,
            (false, _) => -0.0,
        };
        for examples in 1..=9 {
            let values: Vec<f64> = (0..examples)
                .flat_map(|e| (0..width).map(move |k| value(e, k)))
                .collect();
            let mut units = NonzeroUnits::default();
            units.cover(width + 2);
            units.mark_examples(2, &values, width);
            let expected: Vec<bool> = (0..width).map(|k| k < examples).collect();
            assert_eq!(units.flags()[2..], expected, "{examples} examples");
            assert_eq!(units.flags()[..2], [false, false], "neurons before `at`");
        }
    }
}
