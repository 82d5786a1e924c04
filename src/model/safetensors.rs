//! Weights in the safetensors format, named as `torch.nn.Sequential(Linear, Act, ..., Linear)`
//! names them: layer l's weight is tensor `"{2l}.weight"` of shape [outputs, inputs] and its bias
//! `"{2l}.bias"` of shape `[outputs]` (the activations take the odd indices), so
//! `model.load_state_dict(safetensors.torch.load_file(path))` loads them into PyTorch.
//!
//! The format (written and read here, so no crate is needed): 8 bytes, the little-endian length
//! of a JSON header; the header, naming each tensor's dtype, shape and byte range, plus an
//! optional `__metadata__` map of strings; then the tensors' bytes, little-endian.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::values;
use crate::nn::Mlp;

/// The number type of the tensors written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "app", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 32-bit floats (each weight rounded to the nearest f32).
    F32,
    /// 64-bit floats (exact).
    F64,
}

/// Why bytes could not be read as safetensors weights.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetensorsError {
    /// The bytes are not in the safetensors format.
    #[error("not a safetensors file: {0}")]
    Format(String),
    /// A tensor the network needs is not there.
    #[error("the tensor {0:?} is missing")]
    Missing(String),
    /// A tensor has another shape than the network's.
    #[error("the tensor {name:?} has shape {found:?}, but the network needs {expected:?}")]
    Shape {
        /// The tensor's name.
        name: String,
        /// Its shape in the file.
        found: Vec<usize>,
        /// The shape the network needs.
        expected: Vec<usize>,
    },
}

/// One tensor's entry in the header.
#[derive(Serialize, Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The tensors of a file, as f64, with their shapes, and its metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tensors {
    /// Each tensor's shape and values (row-major), by name.
    pub tensors: BTreeMap<String, (Vec<usize>, Vec<f64>)>,
    /// The file's `__metadata__` strings.
    pub metadata: BTreeMap<String, String>,
}

/// The tensor names and shapes of a network of `inputs` inputs and layers `widths`, in file
/// order: (`"0.weight"`, `[w0, inputs]`), (`"0.bias"`, `[w0]`), (`"2.weight"`, `[w1, w0]`), ...
pub fn layout(inputs: usize, widths: &[usize]) -> Vec<(String, Vec<usize>)> {
    let mut names = Vec::new();
    let mut fan_in = inputs;
    for (l, &width) in widths.iter().enumerate() {
        names.push((format!("{}.weight", 2 * l), vec![width, fan_in]));
        names.push((format!("{}.bias", 2 * l), vec![width]));
        fan_in = width;
    }
    names
}

/// The network's weights as safetensors bytes, with `metadata`.
pub fn to_bytes(network: &Mlp, dtype: Dtype, metadata: &BTreeMap<String, String>) -> Vec<u8> {
    // parameters() order is per neuron its weights then its bias: split into the two tensors
    let parameters = values(network.parameters_borrowed());
    let mut rest = parameters.as_slice();
    let mut data: Vec<(String, Vec<usize>, Vec<f64>)> = Vec::new();
    for (name, shape) in layout(network.input_count(), &network.widths()) {
        if name.ends_with(".weight") {
            let (outputs, fan_in) = (shape[0], shape[1]);
            let (layer, after) = rest.split_at(outputs * (fan_in + 1));
            rest = after;
            let rows = layer.chunks_exact(fan_in + 1);
            let weights = rows
                .clone()
                .flat_map(|row| &row[..fan_in])
                .copied()
                .collect();
            let biases = rows.map(|row| row[fan_in]).collect();
            let bias_name = name.replace(".weight", ".bias");
            data.push((name, shape.clone(), weights));
            data.push((bias_name, vec![outputs], biases));
        }
    }
    let size = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 => 8,
    };
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        header.insert(
            "__metadata__".into(),
            serde_json::to_value(metadata).expect("a map of strings is JSON"),
        );
    }
    let mut offset = 0;
    for (name, shape, values) in &data {
        let entry = Entry {
            dtype: format!("{dtype:?}").to_uppercase(),
            shape: shape.clone(),
            data_offsets: [offset, offset + values.len() * size],
        };
        offset += values.len() * size;
        header.insert(
            name.clone(),
            serde_json::to_value(entry).expect("an entry is JSON"),
        );
    }
    let mut header = serde_json::to_vec(&header).expect("a JSON map serialises");
    // padded with spaces to a multiple of 8 bytes, as the reference writer does
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + header.len() + offset);
    bytes.extend((header.len() as u64).to_le_bytes());
    bytes.extend(header);
    for (_, _, values) in &data {
        for &value in values {
            match dtype {
                Dtype::F32 => bytes.extend((value as f32).to_le_bytes()),
                Dtype::F64 => bytes.extend(value.to_le_bytes()),
            }
        }
    }
    bytes
}

/// Reads safetensors bytes: every F32 or F64 tensor, as f64, and the metadata.
///
/// # Errors
/// `SafetensorsError::Format` for anything that is not a well-formed file of F32/F64 tensors
/// (a short or truncated file, a header that is not JSON, a byte range outside the data or
/// overlapping another's, a shape that does not match its range, another dtype). Never panics,
/// whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<Tensors, SafetensorsError> {
    let bad = |why: String| SafetensorsError::Format(why);
    let length: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            bad(format!(
                "{} bytes, shorter than the 8-byte header length",
                bytes.len()
            ))
        })?;
    let length = u64::from_le_bytes(length);
    let header_end = usize::try_from(length)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            bad(format!(
                "a header of {length} bytes in a file of {}",
                bytes.len()
            ))
        })?;
    let header: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..header_end])
        .map_err(|error| bad(format!("the header is not a JSON object: {error}")))?;
    let data = &bytes[header_end..];
    let mut tensors = Tensors::default();
    // every tensor's byte range, to find two that share bytes
    let mut ranges: Vec<(usize, usize, String)> = Vec::new();
    for (name, value) in header {
        if name == "__metadata__" {
            tensors.metadata = serde_json::from_value(value)
                .map_err(|error| bad(format!("__metadata__ is not a map of strings: {error}")))?;
            continue;
        }
        let entry: Entry = serde_json::from_value(value)
            .map_err(|error| bad(format!("the entry of {name:?}: {error}")))?;
        let size = match entry.dtype.as_str() {
            "F32" => 4,
            "F64" => 8,
            other => {
                return Err(bad(format!(
                    "{name:?} is {other}; only F32 and F64 are read"
                )));
            }
        };
        let [begin, end] = entry.data_offsets;
        let count = entry
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| bad(format!("the shape of {name:?} is too large")))?;
        if begin > end || end > data.len() || count.checked_mul(size) != Some(end - begin) {
            return Err(bad(format!(
                "{name:?} of shape {:?} does not fit its byte range {begin}..{end} of {}",
                entry.shape,
                data.len()
            )));
        }
        ranges.push((begin, end, name.clone()));
        let raw = &data[begin..end];
        let values: Vec<f64> = if size == 4 {
            raw.chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect()
        } else {
            raw.chunks_exact(8)
                .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                .collect()
        };
        tensors.tensors.insert(name, (entry.shape, values));
    }
    ranges.retain(|(begin, end, _)| begin < end);
    ranges.sort();
    if let Some(pair) = ranges.windows(2).find(|pair| pair[1].0 < pair[0].1) {
        let ((a, a_end, first), (b, b_end, second)) = (&pair[0], &pair[1]);
        return Err(bad(format!(
            "{first:?} (bytes {a}..{a_end}) and {second:?} (bytes {b}..{b_end}) overlap: each \
             tensor has bytes of its own"
        )));
    }
    Ok(tensors)
}

impl Tensors {
    /// The weights of a network of `inputs` inputs and layers `widths`, in `Mlp::parameters()`
    /// order (per neuron its weights, then its bias).
    ///
    /// # Errors
    /// `Missing` or `Shape`, naming the tensor (and both shapes).
    pub fn weights_for(
        &self,
        inputs: usize,
        widths: &[usize],
    ) -> Result<Vec<f64>, SafetensorsError> {
        let mut found: Vec<&[f64]> = Vec::new();
        for (name, expected) in layout(inputs, widths) {
            let (shape, values) = self
                .tensors
                .get(&name)
                .ok_or_else(|| SafetensorsError::Missing(name.clone()))?;
            if *shape != expected {
                return Err(SafetensorsError::Shape {
                    name,
                    found: shape.clone(),
                    expected,
                });
            }
            found.push(values);
        }
        let mut weights = Vec::new();
        for pair in found.chunks_exact(2) {
            let (matrix, biases) = (pair[0], pair[1]);
            let fan_in = matrix.len() / biases.len().max(1);
            for (row, bias) in matrix.chunks_exact(fan_in.max(1)).zip(biases) {
                weights.extend_from_slice(if fan_in == 0 { &[] } else { row });
                weights.push(*bias);
            }
        }
        Ok(weights)
    }

    /// The network shape the tensors describe, read from `0.weight`, `2.weight`, ... up to the
    /// last layer any tensor is named after: (inputs, widths).
    ///
    /// # Errors
    /// `Missing` naming the first weight or bias of a layer up to the last that is not there
    /// (so a file with a tensor removed is never read as a smaller network), or `Format` for a
    /// weight that is not a matrix.
    pub fn shape(&self) -> Result<(usize, Vec<usize>), SafetensorsError> {
        // the layers named: `{k}.weight` and `{k}.bias` for even k
        let last = self
            .tensors
            .keys()
            .filter_map(|name| {
                let (index, kind) = name.split_once('.')?;
                matches!(kind, "weight" | "bias")
                    .then(|| index.parse::<usize>().ok())
                    .flatten()
            })
            .max()
            .ok_or_else(|| SafetensorsError::Missing("0.weight".to_string()))?;
        let mut inputs = 0;
        let mut widths = Vec::new();
        for l in 0..=last / 2 {
            for kind in ["weight", "bias"] {
                let name = format!("{}.{kind}", 2 * l);
                if !self.tensors.contains_key(&name) {
                    return Err(SafetensorsError::Missing(name));
                }
            }
            let (shape, _) = &self.tensors[&format!("{}.weight", 2 * l)];
            let [outputs, fan_in] = shape[..] else {
                return Err(SafetensorsError::Format(format!(
                    "the tensor \"{}.weight\" has shape {shape:?}, not [outputs, inputs]",
                    2 * l
                )));
            };
            if l == 0 {
                inputs = fan_in;
            }
            widths.push(outputs);
        }
        Ok((inputs, widths))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn a_network_round_trips_bit_for_bit_and_rounds_to_f32() {
        let network = Mlp::new(3, &[4, 2], &mut StdRng::seed_from_u64(1));
        let metadata = BTreeMap::from([("activation".to_string(), "relu".to_string())]);
        let bytes = to_bytes(&network, Dtype::F64, &metadata);
        let read = parse(&bytes).expect("well formed");
        assert_eq!(read.metadata, metadata);
        assert_eq!(read.shape(), Ok((3, vec![4, 2])));
        assert_eq!(read.tensors["0.weight"].0, vec![4, 3]);
        let weights = read.weights_for(3, &[4, 2]).expect("shapes match");
        assert_eq!(weights, values(network.parameters_borrowed()));
        let rounded = parse(&to_bytes(&network, Dtype::F32, &BTreeMap::new()))
            .expect("well formed")
            .weights_for(3, &[4, 2])
            .expect("shapes match");
        let expected: Vec<f64> = weights.iter().map(|&w| f64::from(w as f32)).collect();
        assert_eq!(rounded, expected);
        let error = read.weights_for(3, &[5, 2]).expect_err("wrong shape");
        assert_eq!(
            error.to_string(),
            "the tensor \"0.weight\" has shape [4, 3], but the network needs [5, 3]"
        );
    }

    #[test]
    fn truncated_or_corrupt_bytes_are_errors() {
        let network = Mlp::new(2, &[3, 1], &mut StdRng::seed_from_u64(2));
        let bytes = to_bytes(&network, Dtype::F64, &BTreeMap::new());
        for end in 0..bytes.len() {
            let result = parse(&bytes[..end]).and_then(|t| t.weights_for(2, &[3, 1]));
            assert!(result.is_err(), "{end} bytes");
        }
        let mut flipped = bytes.clone();
        flipped[0] ^= 0xff;
        assert!(parse(&flipped).is_err());
    }

    /// A tensor taken out of a 2-16-16-1 file is named, not read as a 2-16 network.
    #[test]
    fn a_missing_tensor_is_named_not_read_as_a_smaller_network() {
        let network = Mlp::new(2, &[16, 16, 1], &mut StdRng::seed_from_u64(3));
        let mut tensors = parse(&to_bytes(&network, Dtype::F64, &BTreeMap::new())).expect("valid");
        assert_eq!(tensors.shape(), Ok((2, vec![16, 16, 1])));
        for name in ["2.weight", "4.bias", "0.weight"] {
            let mut without = tensors.clone();
            without.tensors.remove(name);
            assert_eq!(
                without.shape(),
                Err(SafetensorsError::Missing(name.to_string())),
                "{name}"
            );
        }
        tensors.tensors.clear();
        assert!(tensors.shape().is_err());
    }
}
