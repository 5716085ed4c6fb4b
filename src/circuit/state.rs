//! The state carried from step to step, where each of its parts sits in `z`,
//! and how the weights are packed into it.

use std::ops::Range;

use ff::{Field, PrimeField};
use serde::{Deserialize, Serialize};

use super::gadgets::pow2;
use super::Batch;
use crate::commitment::{self, Commitment, Salt};
use crate::error::{Error, Result};
use crate::fixed::{from_field, to_field, FixedFormat, Scalar};
use crate::recipe::{Recipe, WeightsVisibility};
use crate::train::{self, BoundedWeights, StepTrace, Weights};

/// The state carried from step to step, as the prover knows it (native twin
/// of `z`; [`State::public`] is what `z` shows of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub weights: Weights,
    /// The salt of the weights commitment `C_W` (committed weights only).
    pub weights_salt: Option<Salt>,
    /// Running row hash of the current epoch.
    #[serde(with = "commitment::scalar_hex")]
    pub hash: Scalar,
    /// The training rows' commitment.
    pub commitment: Commitment,
    /// The test rows' commitment, carried unchanged so the proof binds it.
    pub test_commitment: Commitment,
    /// Index of the next batch within the epoch.
    pub batch: u64,
    /// Completed epochs.
    pub epoch: u64,
}

/// A hiding commitment to a model's weights and bias:
/// `C_W = Poseidon_W(packed weights and bias, salt_W)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelCommitment(pub Scalar);

impl Serialize for ModelCommitment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        commitment::scalar_hex::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for ModelCommitment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        commitment::scalar_hex::deserialize(d).map(ModelCommitment)
    }
}

impl std::fmt::Display for ModelCommitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&commitment::scalar_to_hex(&self.0))
    }
}

impl ModelCommitment {
    /// `C_W` of `weights` (in their format) under `salt` (native twin of
    /// the circuit's). Only in-range weights can be committed to: see
    /// [`BoundedWeights`].
    pub fn of(weights: &BoundedWeights, salt: &Salt) -> Self {
        let mut inputs = weights.packed();
        inputs.push(salt.0);
        ModelCommitment(commitment::poseidon_weights(
            commitment::WEIGHTS_DOMAIN,
            &inputs,
        ))
    }
}

/// What `z` shows of the model: the packed weights, or `C_W`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelPart {
    Weights(BoundedWeights),
    Committed(ModelCommitment),
}

/// What `z` shows: the state as a verifier decodes it from a proof's
/// `z_N` and as it builds `z_0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicState {
    pub model: ModelPart,
    pub hash: Scalar,
    pub commitment: Commitment,
    pub test_commitment: Commitment,
    pub batch: u64,
    pub epoch: u64,
}

/// Where each part of the state sits in `z`: the packed weights and bias
/// (or `C_W`), then the hash, the two commitments and the two counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLayout {
    /// The packed weights and bias (see [`WeightPacking`]), or the one
    /// element `C_W` with committed weights.
    pub model: Range<usize>,
    /// The running block hash of the current epoch.
    pub hash: usize,
    /// The training rows' commitment.
    pub commitment: usize,
    /// The test rows' commitment.
    pub test_commitment: usize,
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
        let p = match recipe.weights {
            WeightsVisibility::Public => WeightPacking::of(recipe).elements,
            WeightsVisibility::Committed => 1,
        };
        StateLayout {
            model: 0..p,
            hash: p,
            commitment: p + 1,
            test_commitment: p + 2,
            batch: p + 3,
            epoch: p + 4,
            arity: p + 5,
        }
    }
}

impl PublicState {
    /// As field elements, in the order of `z` ([`StateLayout`]).
    pub fn to_z(&self, recipe: &Recipe) -> Vec<Scalar> {
        let layout = StateLayout::of(recipe);
        let mut z = vec![Scalar::ZERO; layout.arity];
        match &self.model {
            ModelPart::Weights(w) => z[layout.model.clone()].copy_from_slice(&w.packed()),
            ModelPart::Committed(c) => z[layout.model.start] = c.0,
        }
        z[layout.hash] = self.hash;
        z[layout.commitment] = self.commitment.0;
        z[layout.test_commitment] = self.test_commitment.0;
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
        let model = match recipe.weights {
            WeightsVisibility::Public => ModelPart::Weights(WeightPacking::of(recipe).unpack(
                &z[layout.model.clone()],
                recipe.features,
                &recipe.format,
            )?),
            WeightsVisibility::Committed => {
                ModelPart::Committed(ModelCommitment(z[layout.model.start]))
            }
        };
        Some(PublicState {
            model,
            hash: z[layout.hash],
            commitment: Commitment(z[layout.commitment]),
            test_commitment: Commitment(z[layout.test_commitment]),
            batch: count(&z[layout.batch])?,
            epoch: count(&z[layout.epoch])?,
        })
    }
}

impl State {
    /// `z_0`: zero weights, empty chain, the commitments, zero counters.
    /// With committed weights, `weights_salt` is the salt of every `C_W`
    /// after this state (`z_0` itself holds 0 in `C_W`'s place: the first
    /// step starts from zero weights by the counters).
    pub fn initial(
        features: usize,
        commitment: Commitment,
        test_commitment: Commitment,
        weights_salt: Option<Salt>,
    ) -> Self {
        State {
            weights: Weights::zero(features),
            weights_salt,
            hash: Scalar::ZERO,
            commitment,
            test_commitment,
            batch: 0,
            epoch: 0,
        }
    }

    /// The number of elements of `z` for a recipe.
    pub fn arity(recipe: &Recipe) -> usize {
        StateLayout::of(recipe).arity
    }

    /// True for the state before the first step (both counters zero).
    pub fn is_start(&self) -> bool {
        self.batch == 0 && self.epoch == 0
    }

    /// What `z` shows of this state: with committed weights `C_W` (0 before
    /// the first step, and a zero salt if none is held). Refused when a
    /// weight is outside the recipe's range (a diverged run, or a corrupt
    /// checkpoint): such weights have no honest encoding in `z`.
    pub fn public(&self, recipe: &Recipe) -> Result<PublicState> {
        let bounded = || {
            BoundedWeights::new(self.weights.clone(), &recipe.format)
                .map_err(|e| Error::Diverged(format!("the state's {e}")))
        };
        let model = match recipe.weights {
            WeightsVisibility::Public => ModelPart::Weights(bounded()?),
            WeightsVisibility::Committed if self.is_start() => {
                ModelPart::Committed(ModelCommitment(Scalar::ZERO))
            }
            WeightsVisibility::Committed => ModelPart::Committed(ModelCommitment::of(
                &bounded()?,
                &self.weights_salt.unwrap_or(Salt(Scalar::ZERO)),
            )),
        };
        Ok(PublicState {
            model,
            hash: self.hash,
            commitment: self.commitment,
            test_commitment: self.test_commitment,
            batch: self.batch,
            epoch: self.epoch,
        })
    }

    /// As field elements, in the order of `z` ([`StateLayout`]).
    pub fn to_z(&self, recipe: &Recipe) -> Result<Vec<Scalar>> {
        Ok(self.public(recipe)?.to_z(recipe))
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
            hash = commitment::hash_active_blocks(
                hash,
                &batch.rows,
                &batch.labels,
                active,
                &recipe.format,
            );
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
        Self::for_shape(recipe.features, &recipe.format)
    }

    /// The packing of `features` weights and a bias in `format`.
    pub fn for_shape(features: usize, format: &FixedFormat) -> Self {
        let bits = format.weight_bits();
        let per_element = commitment::PACK_BITS / bits as usize;
        WeightPacking {
            bits,
            per_element,
            elements: (features + 1).div_ceil(per_element),
        }
    }

    /// Packs weights then bias (native twin of the circuit's packing).
    /// Only [`BoundedWeights::packed`] calls it, with the packing of the
    /// weights' own shape and format: an out-of-range weight could carry
    /// into its neighbour.
    pub(crate) fn pack(&self, weights: &BoundedWeights) -> Vec<Scalar> {
        let shift = i128::from(weights.format().weight_half_range());
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
    ) -> Option<BoundedWeights> {
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
        if w.len() != features {
            return None;
        }
        BoundedWeights::new(Weights { w, b }, format).ok()
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
            weights_salt: Some(Salt(Scalar::from(17u64))),
            hash: -Scalar::from(5u64),
            commitment: Commitment(Scalar::from(99u64)),
            test_commitment: Commitment(Scalar::from(98u64)),
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
