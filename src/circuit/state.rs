//! The state carried from step to step, where each of its parts sits in `z`,
//! and how the weights are packed into it.

use std::ops::Range;

use ff::{Field, PrimeField};
use serde::{Deserialize, Serialize};

use super::gadgets::pow2;
use super::Batch;
use crate::commitment::{self, Commitment, Salt, BLOCK_ROWS};
use crate::error::{Error, Result};
use crate::fixed::{from_field, to_field, FixedFormat, Scalar};
use crate::recipe::Recipe;
use crate::train::{self, StepTrace, Weights};

/// The state carried from step to step (native twin of `z`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub weights: Weights,
    /// Running row hash of the current epoch.
    #[serde(with = "commitment::scalar_hex")]
    pub hash: Scalar,
    pub commitment: Commitment,
    /// Index of the next batch within the epoch.
    pub batch: u64,
    /// Completed epochs.
    pub epoch: u64,
}

/// Where each part of the state sits in `z`: the packed weights and bias,
/// then the hash, the commitment and the two counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLayout {
    /// The packed weights and bias (see [`WeightPacking`]).
    pub weights: Range<usize>,
    /// The running block hash of the current epoch.
    pub hash: usize,
    /// The dataset commitment.
    pub commitment: usize,
    /// The index of the next batch within the epoch.
    pub batch: usize,
    /// The number of completed epochs.
    pub epoch: usize,
    /// The number of elements of `z`.
    pub arity: usize,
}

impl StateLayout {
    /// The layout of a recipe's state.
    pub fn of(recipe: &Recipe) -> Self {
        let p = WeightPacking::of(recipe).elements;
        StateLayout {
            weights: 0..p,
            hash: p,
            commitment: p + 1,
            batch: p + 2,
            epoch: p + 3,
            arity: p + 4,
        }
    }
}

impl State {
    /// `z_0`: zero weights, empty chain, the commitment, zero counters.
    pub fn initial(features: usize, commitment: Commitment) -> Self {
        State {
            weights: Weights::zero(features),
            hash: Scalar::ZERO,
            commitment,
            batch: 0,
            epoch: 0,
        }
    }

    /// The number of elements of `z` for a recipe.
    pub fn arity(recipe: &Recipe) -> usize {
        StateLayout::of(recipe).arity
    }

    /// As field elements, in the order of `z` ([`StateLayout`]).
    pub fn to_z(&self, recipe: &Recipe) -> Vec<Scalar> {
        let layout = StateLayout::of(recipe);
        let mut z = vec![Scalar::ZERO; layout.arity];
        z[layout.weights]
            .copy_from_slice(&WeightPacking::of(recipe).pack(&self.weights, &recipe.format));
        z[layout.hash] = self.hash;
        z[layout.commitment] = self.commitment.0;
        z[layout.batch] = Scalar::from(self.batch);
        z[layout.epoch] = Scalar::from(self.epoch);
        z
    }

    /// Reads `z` back; `None` when it is not the state of an honest run
    /// (wrong length, weights out of range, counters that are not small).
    pub fn from_z(z: &[Scalar], recipe: &Recipe) -> Option<Self> {
        let layout = StateLayout::of(recipe);
        if z.len() != layout.arity {
            return None;
        }
        let count = |f: &Scalar| from_field(f).and_then(|v| u64::try_from(v).ok());
        Some(State {
            weights: WeightPacking::of(recipe).unpack(
                &z[layout.weights],
                recipe.features,
                &recipe.format,
            )?,
            hash: z[layout.hash],
            commitment: Commitment(z[layout.commitment]),
            batch: count(&z[layout.batch])?,
            epoch: count(&z[layout.epoch])?,
        })
    }

    /// The native twin of one step: train on its `K` batches, extend the
    /// chain, and at the end of an epoch check the seal and reset.
    pub fn next(&self, recipe: &Recipe, batches: &[Batch], salt: &Salt) -> Result<State> {
        let (traces, hash) = self.step_values(recipe, batches)?;
        let weights = traces
            .last()
            .map(|t| t.next.clone())
            .ok_or_else(|| Error::InvalidRecipe("a step needs at least one batch".into()))?;
        if !self.ends_epoch(recipe) {
            return Ok(State {
                weights,
                hash,
                batch: self.batch + recipe.batches_per_step as u64,
                ..*self
            });
        }
        if commitment::seal(salt, hash, recipe.rows) != self.commitment {
            return Err(Error::Mismatch(
                "the epoch's rows do not match the commitment".into(),
            ));
        }
        Ok(State {
            weights,
            hash: Scalar::ZERO,
            batch: 0,
            epoch: self.epoch + 1,
            ..*self
        })
    }

    /// True when the step from this state folds the epoch's last batch.
    pub fn ends_epoch(&self, recipe: &Recipe) -> bool {
        self.batch + recipe.batches_per_step as u64 == recipe.batches_per_epoch() as u64
    }

    /// The traces of the step's batches and the chain after their blocks.
    pub(crate) fn step_values(
        &self,
        recipe: &Recipe,
        batches: &[Batch],
    ) -> Result<(Vec<StepTrace>, Scalar)> {
        let mut weights = self.weights.clone();
        let mut hash = self.hash;
        let mut traces = Vec::with_capacity(batches.len());
        for (k, batch) in batches.iter().enumerate() {
            let active = batch.active;
            let (_, eta) = train::batch_range(recipe, self.batch as usize + k);
            let trace = train::step_trace(
                recipe,
                &weights,
                &batch.rows[..active],
                &batch.labels[..active],
                eta,
            )?;
            // Every block holding an active row; padding rows are zeros, as in
            // the commitment's last block.
            for (block, (rows, labels)) in batch
                .rows
                .chunks(BLOCK_ROWS)
                .zip(batch.labels.chunks(BLOCK_ROWS))
                .enumerate()
            {
                if block * BLOCK_ROWS < active {
                    hash = commitment::hash_block(hash, rows, labels, &recipe.format);
                }
            }
            weights = trace.next.clone();
            traces.push(trace);
        }
        Ok((traces, hash))
    }
}

/// The weights then the bias, the order in which the circuit and the
/// packing hold them.
pub(crate) fn weights_then_bias(weights: &Weights) -> Vec<i64> {
    weights
        .w
        .iter()
        .copied()
        .chain(std::iter::once(weights.b))
        .collect()
}

/// How the weights and bias travel in `z`: each shifted to
/// `w + 2^(F+cw)` in `[0, 2^(F+cw+1))` and packed, `per_element` to a field
/// element of at most [`commitment::PACK_BITS`] bits. Fewer state elements
/// make Nova's per-step hashing of `z` cheaper and the proof (which carries
/// `z_N`) smaller; unpacking costs the bits that also range-check the
/// incoming weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightPacking {
    /// Bits per shifted weight.
    pub bits: u32,
    /// Weights per element.
    pub per_element: usize,
    /// Elements for `d + 1` values (weights, then bias).
    pub elements: usize,
}

impl WeightPacking {
    /// The packing of a recipe.
    pub fn of(recipe: &Recipe) -> Self {
        let bits = recipe.format.weight_bits();
        let per_element = commitment::PACK_BITS / bits as usize;
        WeightPacking {
            bits,
            per_element,
            elements: (recipe.features + 1).div_ceil(per_element),
        }
    }

    /// Packs weights then bias (native twin of the circuit's packing).
    pub fn pack(&self, weights: &Weights, format: &FixedFormat) -> Vec<Scalar> {
        let shift = i128::from(format.weight_half_range());
        let values: Vec<i128> = weights_then_bias(weights)
            .into_iter()
            .map(|w| i128::from(w) + shift)
            .collect();
        values
            .chunks(self.per_element)
            .map(|chunk| {
                chunk.iter().rev().fold(Scalar::ZERO, |acc, &v| {
                    acc * pow2(self.bits) + to_field::<Scalar>(v)
                })
            })
            .collect()
    }

    /// Unpacks; `None` unless every element is a canonical packing of
    /// in-range weights.
    pub fn unpack(
        &self,
        packed: &[Scalar],
        features: usize,
        format: &FixedFormat,
    ) -> Option<Weights> {
        let shift = i128::from(format.weight_half_range());
        let mut values = Vec::with_capacity(features + 1);
        for (e, element) in packed.iter().enumerate() {
            let count = (features + 1 - e * self.per_element).min(self.per_element);
            let repr = element.to_repr();
            let bytes = repr.as_ref();
            let bit = |i: usize| (bytes[i / 8] >> (i % 8)) & 1 == 1;
            let total = count * self.bits as usize;
            if (total..bytes.len() * 8).any(bit) {
                return None;
            }
            for k in 0..count {
                let v: i128 = (0..self.bits as usize)
                    .filter(|&i| bit(k * self.bits as usize + i))
                    .map(|i| 1i128 << i)
                    .sum();
                values.push(v - shift);
            }
        }
        let b = i64::try_from(values.pop()?).ok()?;
        let w = values
            .into_iter()
            .map(|v| i64::try_from(v).ok())
            .collect::<Option<Vec<_>>>()?;
        (w.len() == features).then_some(Weights { w, b })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            weights: Weights {
                w: vec![-3, 0, 70_000],
                b: 12,
            },
            hash: -Scalar::from(5u64),
            commitment: Commitment(Scalar::from(99u64)),
            batch: 4,
            epoch: 1,
        }
    }

    #[test]
    fn a_state_round_trips_through_bincode_and_json() {
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(state(), config).unwrap();
        let (back, used): (State, usize) =
            bincode::serde::decode_from_slice(&bytes, config).unwrap();
        assert_eq!((back, used), (state(), bytes.len()));
        let json = serde_json::to_string(&state()).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state());
    }

    #[test]
    fn a_bad_hash_string_is_refused() {
        let json = serde_json::to_string(&state()).unwrap();
        let hash = commitment::scalar_to_hex(&state().hash);
        for bad in ["ff".repeat(32), "zz".into(), "00".repeat(31), String::new()] {
            let text = json.replace(&hash, &bad);
            let err = serde_json::from_str::<State>(&text).unwrap_err();
            assert!(
                err.to_string().contains("canonical field element"),
                "{bad}: {err}"
            );
        }
    }
}
