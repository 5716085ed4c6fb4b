//! The step circuit: `K` mini-batch gradient-descent steps of the native
//! trainer ([`crate::train::step_trace`]), with the rows they train on
//! re-hashed into the dataset commitment's chain.
//!
//! # State
//!
//! `z = [packed weights and bias, h, C, batch, epoch]`: the weights and bias
//! (packed, see [`WeightPacking`]), the running block hash of the current
//! epoch, the commitment, the index of the next batch within the epoch and
//! the number of completed epochs. The verifier builds `z_0` (zero weights,
//! `h = 0`, `C`, zero counters) itself.
//!
//! # One step
//!
//! The incoming weights are unpacked into bits (which range-checks them).
//! Then for each of the `K` batches, and each of its `B` rows, with mask `m_i`
//! (1, except for the rows past the epoch's last partial batch; derived from
//! the batch counter and the recipe, never chosen by the prover):
//!
//! 1. the label is a bit and each feature is range-checked through its bits
//!    (`x + 2^(Fx+cx)` in `[0, 2^(Fx+cx+1))`); the very same bits are packed
//!    into the block hash, so the trained row is the hashed row;
//! 2. `z = floor(w . x / 2^Fx) + b`, with both the remainder (`Fx` bits) and
//!    the logit (`k` signed bits) range-checked;
//! 3. `s = sigmoid(z)`, `e = m * (s - y * 2^F)`;
//! 4. `G_j += e * x_j`;
//!
//! each block of [`BLOCK_ROWS`] rows extends the chain `h = H_block(h, bits)`
//! (blocks of padding only in the epoch's last batch are skipped; padding
//! rows inside a block are bound to zeros by the hash), and the batch ends
//! with `w_j' = w_j - floor(eta * G_j / 2^(F+Fx))`, where `eta` is the full or
//! the last batch's step size by the counter; the new weight is range-checked
//! (`F + cw + 1` bits) and the remainder (`F + Fx` bits), which also bounds
//! the quotient `w_j - w_j'`. When the step holds the epoch's last batch, the
//! chain is sealed with the salt (private advice) and the row count and must
//! equal `C`; the hash then resets to 0, the batch counter to 0 and the epoch
//! counter advances.
//!
//! The recipe (shape, format, sigmoid, learning rate, batch size, batches per
//! step, row count) fixes every constant here, so the public parameters'
//! digest binds it.

pub mod cost;
pub mod fixed;
pub mod hash;
pub mod sigmoid;
#[cfg(test)]
pub mod testing;

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, AllocatedBit, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;

use crate::commitment::{self, Commitment, Salt, BLOCK_DOMAIN, BLOCK_ROWS, SEAL_DOMAIN};
use crate::dataset::FixedDataset;
use crate::error::{Error, Result};
use crate::fixed::{from_field, to_field, Scalar};
use crate::recipe::Recipe;
use crate::train::{self, Weights};
use fixed::{
    alloc_bits, alloc_lin, alloc_signed, bits_lin, enforce_eq, enforce_floor_shift, enforce_mul,
    is_zero, mul, pow2, Lin,
};

/// The state carried from step to step (native twin of `z`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    pub weights: Weights,
    /// Running row hash of the current epoch.
    #[serde(with = "crate::commitment::scalar_hex")]
    pub hash: Scalar,
    pub commitment: Commitment,
    /// Index of the next batch within the epoch.
    pub batch: u64,
    /// Completed epochs.
    pub epoch: u64,
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
        WeightPacking::of(recipe).elements + 4
    }

    /// As field elements, in the order of `z`: the packed weights and bias,
    /// then the hash, commitment and counters.
    pub fn to_z(&self, recipe: &Recipe) -> Vec<Scalar> {
        let packing = WeightPacking::of(recipe);
        let mut z = packing.pack(&self.weights, &recipe.format);
        z.push(self.hash);
        z.push(self.commitment.0);
        z.push(Scalar::from(self.batch));
        z.push(Scalar::from(self.epoch));
        z
    }

    /// Reads `z` back; `None` when it is not the state of an honest run
    /// (wrong length, weights out of range, counters that are not small).
    pub fn from_z(z: &[Scalar], recipe: &Recipe) -> Option<Self> {
        let packing = WeightPacking::of(recipe);
        if z.len() != Self::arity(recipe) {
            return None;
        }
        let p = packing.elements;
        let count = |f: &Scalar| from_field(f).and_then(|v| u64::try_from(v).ok());
        Some(State {
            weights: packing.unpack(&z[..p], recipe.features, &recipe.format)?,
            hash: z[p],
            commitment: Commitment(z[p + 1]),
            batch: count(&z[p + 2])?,
            epoch: count(&z[p + 3])?,
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
        if self.ends_epoch(recipe) {
            if commitment::seal(salt, hash, recipe.rows) != self.commitment {
                return Err(Error::Mismatch(
                    "the epoch's rows do not match the commitment".into(),
                ));
            }
            Ok(State {
                weights,
                hash: Scalar::ZERO,
                commitment: self.commitment,
                batch: 0,
                epoch: self.epoch + 1,
            })
        } else {
            Ok(State {
                weights,
                hash,
                commitment: self.commitment,
                batch: self.batch + recipe.batches_per_step as u64,
                epoch: self.epoch,
            })
        }
    }

    /// True when the step from this state folds the epoch's last batch.
    pub fn ends_epoch(&self, recipe: &Recipe) -> bool {
        self.batch + recipe.batches_per_step as u64 == recipe.batches_per_epoch() as u64
    }

    /// The traces of the step's batches and the chain after their blocks.
    fn step_values(
        &self,
        recipe: &Recipe,
        batches: &[Batch],
    ) -> Result<(Vec<train::StepTrace>, Scalar)> {
        let mut weights = self.weights.clone();
        let mut hash = self.hash;
        let mut traces = Vec::with_capacity(batches.len());
        for (k, batch) in batches.iter().enumerate() {
            let active = batch.active;
            let index = self.batch as usize + k;
            let eta = if index + 1 == recipe.batches_per_epoch() {
                recipe.eta_last()
            } else {
                recipe.eta_full()
            };
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
    pub fn pack(&self, weights: &Weights, format: &crate::fixed::FixedFormat) -> Vec<Scalar> {
        let shift = i128::from(format.weight_half_range());
        let values: Vec<i128> = weights
            .w
            .iter()
            .chain(std::iter::once(&weights.b))
            .map(|&w| i128::from(w) + shift)
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
        format: &crate::fixed::FixedFormat,
    ) -> Option<Weights> {
        use ff::PrimeField;
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

/// The rows of one step, padded to the batch size with zero rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub rows: Vec<Vec<i64>>,
    pub labels: Vec<u8>,
    /// Rows that train (the rest is padding).
    pub active: usize,
}

impl Batch {
    /// Batch `index` of an epoch of `data`.
    pub fn of(recipe: &Recipe, data: &FixedDataset, index: usize) -> Self {
        let (range, _) = train::batch_range(recipe, index);
        let mut rows = data.rows[range.clone()].to_vec();
        let mut labels = data.labels[range.clone()].to_vec();
        rows.resize(recipe.batch, vec![0; recipe.features]);
        labels.resize(recipe.batch, 0);
        Batch {
            rows,
            labels,
            active: range.len(),
        }
    }

    /// All-zero rows, for synthesizing the circuit's shape.
    pub fn blank(recipe: &Recipe) -> Self {
        Batch {
            rows: vec![vec![0; recipe.features]; recipe.batch],
            labels: vec![0; recipe.batch],
            active: recipe.batch,
        }
    }
}

/// The private inputs of one step.
#[derive(Clone, Debug)]
pub struct StepWitness {
    pub state: State,
    /// The step's `K` batches.
    pub batches: Vec<Batch>,
    pub salt: Salt,
}

/// The step circuit.
#[derive(Clone, Debug)]
pub struct TrainStep {
    pub recipe: Arc<Recipe>,
    pub witness: Arc<StepWitness>,
}

impl TrainStep {
    /// A circuit with a blank witness: enough to synthesize the shape.
    pub fn blank(recipe: Arc<Recipe>) -> Self {
        let witness = StepWitness {
            state: State::initial(recipe.features, Commitment(Scalar::ZERO)),
            batches: vec![Batch::blank(&recipe); recipe.batches_per_step],
            salt: Salt(Scalar::ZERO),
        };
        TrainStep {
            recipe,
            witness: Arc::new(witness),
        }
    }

    /// Bits of the logit for this recipe (at least `F + 4` so the sigmoid's
    /// breakpoints fit; see [`crate::fixed`] for the bound).
    pub fn logit_bits(recipe: &Recipe) -> u32 {
        recipe
            .format
            .logit_bits(recipe.features)
            .max(recipe.format.frac_bits + 4)
    }
}

impl StepCircuit<Scalar> for TrainStep {
    fn arity(&self) -> usize {
        State::arity(&self.recipe)
    }

    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let recipe = &*self.recipe;
        let wit = &*self.witness;
        let d = recipe.features;
        let steps = recipe.batches_per_step;
        let packing = WeightPacking::of(recipe);
        let p = packing.elements;
        if z.len() != State::arity(recipe) || wit.batches.len() != steps {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state has {} elements and the witness {} batches, expected {} and {steps}",
                z.len(),
                wit.batches.len(),
                State::arity(recipe)
            )));
        }
        let f = recipe.format.frac_bits;
        let fx = recipe.format.feature_frac_bits;
        let k_logit = Self::logit_bits(recipe);
        let one_fx = recipe.format.one();
        let half_x = recipe.format.feature_half_range();
        let per_epoch = recipe.batches_per_epoch() as u64;
        let state = &wit.state;
        // The honest trace; a prover that deviates from it fails a constraint.
        let traces = match state.step_values(recipe, &wit.batches) {
            Ok((traces, _)) => traces,
            Err(_) => wit.batches.iter().map(|b| blank_trace(recipe, b)).collect(),
        };

        // Unpack the weights and bias: their bits range-check them, and each
        // packed element of z must equal its bits (1 constraint each).
        let w_shift = recipe.format.weight_half_range();
        let mut unpacked: Vec<Lin> = Vec::with_capacity(d + 1);
        {
            let mut cs = cs.namespace(|| "unpack weights");
            let olds: Vec<i64> = state
                .weights
                .w
                .iter()
                .copied()
                .chain(std::iter::once(state.weights.b))
                .collect();
            for (e, chunk) in olds.chunks(packing.per_element).enumerate() {
                let mut element_bits: Vec<AllocatedBit> = Vec::new();
                for (k, &v) in chunk.iter().enumerate() {
                    let j = e * packing.per_element + k;
                    let bits = alloc_bits(
                        cs.namespace(|| format!("w{j}")),
                        &to_field(i128::from(v) + i128::from(w_shift)),
                        packing.bits,
                    )?;
                    unpacked.push(bits_lin(&bits).sub(&Lin::int::<CS>(w_shift.into())));
                    element_bits.extend(bits);
                }
                let packed = Lin::num(&z[e], z[e].get_value().unwrap_or(Scalar::ZERO));
                enforce_eq(
                    cs.namespace(|| format!("element {e}")),
                    &bits_lin(&element_bits),
                    &packed,
                );
            }
        }
        let mut b = unpacked.pop().ok_or(SynthesisError::AssignmentMissing)?;
        let mut w = unpacked;
        let mut h = z[p].clone();
        let commitment = &z[p + 1];
        let batch_index = Lin::num(&z[p + 2], Scalar::from(state.batch));
        let epoch = Lin::num(&z[p + 3], Scalar::from(state.epoch));
        let one = Lin::constant::<CS>(Scalar::ONE);

        // is_last = (batch == S - K): this step ends the epoch.
        let is_last = is_zero(
            cs.namespace(|| "is last batch"),
            &batch_index.sub(&Lin::int::<CS>(i128::from(per_epoch - steps as u64))),
        )?;
        let not_last = one.sub(&is_last);
        let ends_epoch = state.ends_epoch(recipe);
        let last_rows = recipe.last_batch_rows();

        let mut final_bits: Vec<AllocatedBit> = Vec::new();
        for (k, batch) in wit.batches.iter().enumerate() {
            let mut cs = cs.namespace(|| format!("batch {k}"));
            // Only the step's final batch can be the epoch's last.
            let final_batch = k + 1 == steps;
            let weights = if k == 0 {
                &state.weights
            } else {
                &traces[k - 1].next
            };
            let trace = &traces[k];
            let (eta, eta_int) = if final_batch {
                // eta_full + is_last * (eta_last - eta_full): a constant per case.
                let eta = Lin::int::<CS>(recipe.eta_full().into()).add(
                    &is_last.scale(to_field(i128::from(recipe.eta_last() - recipe.eta_full()))),
                );
                let eta_int = if ends_epoch {
                    recipe.eta_last()
                } else {
                    recipe.eta_full()
                };
                (eta, eta_int)
            } else {
                (Lin::int::<CS>(recipe.eta_full().into()), recipe.eta_full())
            };

            let mut grads: Vec<Lin> = vec![Lin::int::<CS>(0); d];
            let mut grad_bias = Lin::int::<CS>(0);
            let mut row_bits: Vec<AllocatedBit> = Vec::new();
            for i in 0..recipe.batch {
                let mut cs = cs.namespace(|| format!("row {i}"));
                let row = &batch.rows[i];
                let label = batch.labels[i];
                // Padding in the epoch's last batch: its error is masked.
                let masked = final_batch && i >= last_rows;

                // 1. inputs: label bit, feature bits (the range check)
                let y = AllocatedBit::alloc(cs.namespace(|| "label"), Some(label == 1))?;
                row_bits.push(y.clone());
                let mut x: Vec<Lin> = Vec::with_capacity(d);
                for (j, &xj) in row.iter().enumerate() {
                    let bits = alloc_bits(
                        cs.namespace(|| format!("x{j}")),
                        &to_field(i128::from(xj + half_x)),
                        recipe.format.feature_bits(),
                    )?;
                    x.push(bits_lin(&bits).sub(&Lin::int::<CS>(half_x.into())));
                    row_bits.extend(bits);
                }

                // 2. z = floor(w . x / 2^Fx) + b
                let mut dot = Lin::int::<CS>(0);
                let mut dot_int = 0i128;
                for j in 0..d {
                    dot = dot.add(&mul(cs.namespace(|| format!("w{j} x{j}")), &w[j], &x[j])?);
                    dot_int += i128::from(weights.w[j]) * i128::from(row[j]);
                }
                let z_value = trace.logits.get(i).copied().unwrap_or(weights.b);
                let logit = alloc_signed(cs.namespace(|| "logit"), z_value.into(), k_logit)?;
                enforce_floor_shift(
                    cs.namespace(|| "truncate dot"),
                    &dot,
                    dot_int,
                    fx,
                    &logit.lin.sub(&b),
                )?;

                // 3. s = sigmoid(z), e = m * (s - y 2^F)
                let s = sigmoid::sigmoid(cs.namespace(|| "sigmoid"), recipe.sigmoid, f, &logit)?;
                let err = s.sub(&Lin::bit(&y).scale(to_field(one_fx.into())));
                let err = if masked {
                    mul(cs.namespace(|| "mask"), &not_last, &err)?
                } else {
                    err
                };

                // 4. gradient sums
                for j in 0..d {
                    let g = mul(cs.namespace(|| format!("e x{j}")), &err, &x[j])?;
                    grads[j] = grads[j].add(&g);
                }
                grad_bias = grad_bias.add(&err.scale(to_field(recipe.format.feature_one().into())));
            }

            // The trained rows are the hashed rows: the same bits, by blocks.
            let per_row = 1 + d * recipe.format.feature_bits() as usize;
            for (blk, bits) in row_bits.chunks(BLOCK_ROWS * per_row).enumerate() {
                let mut cs = cs.namespace(|| format!("block {blk}"));
                let mut inputs = vec![h.clone()];
                inputs.extend(hash::pack_bits(cs.namespace(|| "pack"), bits)?);
                let hashed = hash::poseidon(cs.namespace(|| "hash"), BLOCK_DOMAIN, &inputs)?;
                h = if final_batch && blk * BLOCK_ROWS >= last_rows {
                    // Only padding in the epoch's last batch: h += not_last * (hashed - h)
                    let h_lin = Lin::num(&h, h.get_value().unwrap_or(Scalar::ZERO));
                    let hashed_lin = Lin::num(&hashed, hashed.get_value().unwrap_or(Scalar::ZERO));
                    let delta = mul(cs.namespace(|| "gate"), &not_last, &hashed_lin.sub(&h_lin))?;
                    alloc_lin(cs.namespace(|| "chain"), &h_lin.add(&delta))?
                } else {
                    hashed
                };
            }

            // Update: eta * G = (w - w') * 2^(F+Fx) + r, r in [0, 2^(F+Fx)), w' in range.
            let g_values: Vec<i128> = trace
                .grads
                .iter()
                .copied()
                .chain(std::iter::once(trace.grad_bias))
                .collect();
            let next: Vec<i64> = trace
                .next
                .w
                .iter()
                .copied()
                .chain(std::iter::once(trace.next.b))
                .collect();
            let olds: Vec<Lin> = w
                .iter()
                .cloned()
                .chain(std::iter::once(b.clone()))
                .collect();
            let gs: Vec<&Lin> = grads.iter().chain(std::iter::once(&grad_bias)).collect();
            let mut news: Vec<Lin> = Vec::with_capacity(d + 1);
            for j in 0..=d {
                let mut cs = cs.namespace(|| format!("update {j}"));
                // bits of next + 2^(F+cw): the packing's shift
                let new = alloc_signed(
                    cs.namespace(|| "new weight"),
                    i128::from(next.get(j).copied().unwrap_or(0)),
                    recipe.format.weight_bits(),
                )?;
                let r = (i128::from(eta_int) * g_values.get(j).copied().unwrap_or(0))
                    .rem_euclid(1i128 << (f + fx));
                let r_bits = alloc_bits(cs.namespace(|| "remainder"), &to_field(r), f + fx)?;
                // eta * G = (w - w') * 2^(F+Fx) + r
                enforce_mul(
                    cs.namespace(|| "eta G = (w - w') 2^(F+Fx) + r"),
                    &eta,
                    gs[j],
                    &olds[j]
                        .sub(&new.lin)
                        .scale(pow2(f + fx))
                        .add(&bits_lin(&r_bits)),
                );
                news.push(new.lin);
                if final_batch {
                    final_bits.extend(new.bits);
                }
            }
            b = news.pop().ok_or(SynthesisError::AssignmentMissing)?;
            w = news;
        }

        let mut out = Vec::with_capacity(State::arity(recipe));
        // Pack the new weights from their bits: one allocation per element.
        for (e, chunk) in final_bits
            .chunks(packing.per_element * packing.bits as usize)
            .enumerate()
        {
            out.push(alloc_lin(
                cs.namespace(|| format!("weights out {e}")),
                &bits_lin(chunk),
            )?);
        }

        // The recipe's tag, fixed as a constant: binds every recipe field into
        // the parameter digest (1 constraint).
        alloc_lin(
            cs.namespace(|| "recipe tag"),
            &Lin::constant::<CS>(recipe.tag()),
        )?;

        // End of epoch: seal(salt, h, n) = C, then reset.
        let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(wit.salt.0))?;
        let rows = alloc_lin(
            cs.namespace(|| "row count"),
            &Lin::int::<CS>(recipe.rows as i128),
        )?;
        let sealed = hash::poseidon(
            cs.namespace(|| "seal"),
            SEAL_DOMAIN,
            &[salt, h.clone(), rows],
        )?;
        let sealed = Lin::num(&sealed, sealed.get_value().unwrap_or(Scalar::ZERO));
        let c = Lin::num(commitment, state.commitment.0);
        // is_last * (sealed - C) = 0
        enforce_mul(
            cs.namespace(|| "seal matches commitment at epoch end"),
            &is_last,
            &sealed.sub(&c),
            &Lin::int::<CS>(0),
        );
        let h_lin = Lin::num(&h, h.get_value().unwrap_or(Scalar::ZERO));
        let h_next = mul(cs.namespace(|| "reset hash"), &not_last, &h_lin)?;
        out.push(alloc_lin(cs.namespace(|| "hash out"), &h_next)?);
        out.push(commitment.clone());
        // batch' = batch + K - is_last * S
        let batch_next = batch_index
            .add(&Lin::int::<CS>(steps as i128))
            .sub(&is_last.scale(Scalar::from(per_epoch)));
        out.push(alloc_lin(cs.namespace(|| "batch out"), &batch_next)?);
        out.push(alloc_lin(
            cs.namespace(|| "epoch out"),
            &epoch.add(&is_last),
        )?);
        Ok(out)
    }
}

/// Synthesizes the blank step circuit of `recipe` into `cs` (under the
/// namespace `step`, with zero inputs): how its shape is measured without
/// proving.
pub fn synthesize_blank<CS: ConstraintSystem<Scalar>>(cs: &mut CS, recipe: &Recipe) -> Result<()> {
    recipe.validate()?;
    let circuit = TrainStep::blank(Arc::new(recipe.clone()));
    let z: Vec<AllocatedNum<Scalar>> = (0..State::arity(recipe))
        .map(|i| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(Scalar::ZERO)))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Nova(e.to_string()))?;
    circuit
        .synthesize(&mut cs.namespace(|| "step"), &z)
        .map_err(|e| Error::Nova(e.to_string()))?;
    Ok(())
}

/// A trace for a witness whose native step fails (diverged weights): the
/// circuit is still synthesized, and is unsatisfied.
fn blank_trace(recipe: &Recipe, batch: &Batch) -> train::StepTrace {
    train::StepTrace {
        logits: vec![0; batch.active],
        sigmoids: vec![0; batch.active],
        errors: vec![0; batch.active],
        grads: vec![0; recipe.features],
        grad_bias: 0,
        next: Weights::zero(recipe.features),
    }
}
#[cfg(test)]
mod tests;
