//! The step circuit: one mini-batch gradient-descent step of the native
//! trainer ([`crate::train::step_trace`]), with the rows it trains on
//! re-hashed into the dataset commitment's chain.
//!
//! # State
//!
//! `z = [w_0 .. w_(d-1), b, h, C, batch, epoch]`: the weights and bias, the
//! running row hash of the current epoch, the commitment, the index of the
//! batch within the epoch and the number of completed epochs. The verifier
//! builds `z_0 = [0 .. 0, 0, 0, C, 0, 0]` itself.
//!
//! # One step
//!
//! For each of the `B` slots of the batch, with mask `m_i` (1, except for the
//! slots past the last partial batch's rows in the epoch's last step; derived
//! from the batch counter and the recipe, never chosen by the prover):
//!
//! 1. the label is a bit and each feature is range-checked through its bits
//!    (`x + 2^(F+cx)` in `[0, 2^(F+cx+1))`); the very same bits are packed
//!    into the row hash, so the trained row is the hashed row;
//! 2. `z = floor(w . x / 2^F) + b`, with both the remainder (`F` bits) and the
//!    logit (`k` signed bits) range-checked;
//! 3. `s = sigmoid(z)`, `e = m * (s - y * 2^F)`;
//! 4. `G_j += e * x_j`; `h = H_row(h, row)` when `m = 1`.
//!
//! Then `w_j' = w_j - floor(eta * G_j / 2^(2F))`, where `eta` is the full or
//! the last batch's step size by the counter; the new weight is range-checked
//! (`F + cw + 1` bits) and the remainder (`2F` bits), which also bounds the
//! quotient `w_j - w_j'`. At the last batch of an epoch the chain is sealed
//! with the salt (private advice) and must equal `C`; the hash then resets to
//! 0, the batch counter to 0 and the epoch counter advances.
//!
//! The recipe (shape, format, sigmoid, learning rate, batch size, row count)
//! fixes every constant here, so the public parameters' digest binds it.

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

use crate::commitment::{self, Commitment, Salt, ROW_DOMAIN, SEAL_DOMAIN};
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub weights: Weights,
    /// Running row hash of the current epoch.
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

    /// The native twin of one step: train on `batch`, extend the chain, and
    /// at the end of an epoch check the seal and reset.
    pub fn next(&self, recipe: &Recipe, batch: &Batch, salt: &Salt) -> Result<State> {
        let (trace, hash) = self.step_values(recipe, batch)?;
        let last = self.batch + 1 == recipe.steps_per_epoch() as u64;
        if last {
            if commitment::seal(salt, hash) != self.commitment {
                return Err(Error::Rejected(
                    "the epoch's rows do not match the commitment".into(),
                ));
            }
            Ok(State {
                weights: trace.next,
                hash: Scalar::ZERO,
                commitment: self.commitment,
                batch: 0,
                epoch: self.epoch + 1,
            })
        } else {
            Ok(State {
                weights: trace.next,
                hash,
                commitment: self.commitment,
                batch: self.batch + 1,
                epoch: self.epoch,
            })
        }
    }

    /// The step's trace and the chain after its active rows.
    fn step_values(&self, recipe: &Recipe, batch: &Batch) -> Result<(train::StepTrace, Scalar)> {
        let active = batch.active;
        let eta = if self.batch + 1 == recipe.steps_per_epoch() as u64 {
            recipe.eta_last()
        } else {
            recipe.eta_full()
        };
        let trace = train::step_trace(
            recipe,
            &self.weights,
            &batch.rows[..active],
            &batch.labels[..active],
            eta,
        )?;
        let hash = batch.rows[..active]
            .iter()
            .zip(&batch.labels)
            .fold(self.hash, |h, (row, &y)| {
                commitment::hash_row(h, row, y, &recipe.format)
            });
        Ok((trace, hash))
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
        let per_element = (commitment::PACK_BITS / bits) as usize;
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
    pub batch: Batch,
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
            batch: Batch::blank(&recipe),
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
        let packing = WeightPacking::of(recipe);
        let p = packing.elements;
        if z.len() != State::arity(recipe) {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state has {} elements, expected {}",
                z.len(),
                State::arity(recipe)
            )));
        }
        let f = recipe.format.frac_bits;
        let k_logit = Self::logit_bits(recipe);
        let one_fx = recipe.format.one();
        let half_x = recipe.format.feature_half_range();
        let steps = recipe.steps_per_epoch() as u64;
        let state = &wit.state;
        // The honest trace; a prover that deviates from it fails a constraint.
        let (trace, _) = state
            .step_values(recipe, &wit.batch)
            .unwrap_or_else(|_| (blank_trace(recipe, &wit.batch), Scalar::ZERO));

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
        let b = unpacked.pop().ok_or(SynthesisError::AssignmentMissing)?;
        let w = unpacked;
        let mut h = z[p].clone();
        let commitment = &z[p + 1];
        let batch_index = Lin::num(&z[p + 2], Scalar::from(state.batch));
        let epoch = Lin::num(&z[p + 3], Scalar::from(state.epoch));
        let one = Lin::constant::<CS>(Scalar::ONE);

        // is_last = (batch == S - 1)
        let is_last = is_zero(
            cs.namespace(|| "is last batch"),
            &batch_index.sub(&Lin::int::<CS>(i128::from(steps - 1))),
        )?;
        let not_last = one.sub(&is_last);
        // eta = eta_full + is_last * (eta_last - eta_full): a constant per case.
        let eta = Lin::int::<CS>(recipe.eta_full().into())
            .add(&is_last.scale(to_field(i128::from(recipe.eta_last() - recipe.eta_full()))));
        let last_rows = recipe.last_batch_rows();

        let mut grads: Vec<Lin> = vec![Lin::int::<CS>(0); d];
        let mut grad_bias = Lin::int::<CS>(0);
        for i in 0..recipe.batch {
            let mut cs = cs.namespace(|| format!("row {i}"));
            let row = &wit.batch.rows[i];
            let label = wit.batch.labels[i];
            let masked = i >= last_rows; // may be padding in the last batch

            // 1. inputs: label bit, feature bits
            let y = AllocatedBit::alloc(cs.namespace(|| "label"), Some(label == 1))?;
            let x_bits: Vec<Vec<AllocatedBit>> = (0..d)
                .map(|j| {
                    let shifted = to_field(i128::from(row[j] + half_x));
                    alloc_bits(
                        cs.namespace(|| format!("x{j}")),
                        &shifted,
                        recipe.format.feature_bits(),
                    )
                })
                .collect::<Result<_, _>>()?;
            let x: Vec<Lin> = x_bits
                .iter()
                .map(|bits| bits_lin(bits).sub(&Lin::int::<CS>(half_x.into())))
                .collect();

            // 2. z = floor(w . x / 2^F) + b
            let mut dot = Lin::int::<CS>(0);
            let mut dot_int = 0i128;
            for j in 0..d {
                dot = dot.add(&mul(cs.namespace(|| format!("w{j} x{j}")), &w[j], &x[j])?);
                dot_int += i128::from(state.weights.w[j]) * i128::from(row[j]);
            }
            let z_value = trace.logits.get(i).copied().unwrap_or(state.weights.b);
            let logit = alloc_signed(cs.namespace(|| "logit"), z_value.into(), k_logit)?;
            enforce_floor_shift(
                cs.namespace(|| "truncate dot"),
                &dot,
                dot_int,
                f,
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
            grad_bias = grad_bias.add(&err.scale(to_field(one_fx.into())));

            // the trained row is the hashed row
            let mut inputs = vec![h.clone()];
            inputs.extend(hash::pack_row(cs.namespace(|| "pack"), &y, &x_bits)?);
            let hashed = hash::poseidon(cs.namespace(|| "row hash"), ROW_DOMAIN, &inputs)?;
            h = if masked {
                // h = h + not_last * (hashed - h)
                let h_lin = Lin::num(&h, h.get_value().unwrap_or(Scalar::ZERO));
                let hashed_lin = Lin::num(&hashed, hashed.get_value().unwrap_or(Scalar::ZERO));
                let delta = mul(
                    cs.namespace(|| "gate hash"),
                    &not_last,
                    &hashed_lin.sub(&h_lin),
                )?;
                alloc_lin(cs.namespace(|| "hash"), &h_lin.add(&delta))?
            } else {
                hashed
            };
        }

        // Update: eta * G = (w - w') * 2^(2F) + r, r in [0, 2^(2F)), w' in range.
        let mut out = Vec::with_capacity(State::arity(recipe));
        let mut new_bits: Vec<AllocatedBit> = Vec::with_capacity((d + 1) * packing.bits as usize);
        let g_values: Vec<i128> = trace
            .grads
            .iter()
            .copied()
            .chain(std::iter::once(trace.grad_bias))
            .collect();
        let eta_int = i128::from(if state.batch + 1 == steps {
            recipe.eta_last()
        } else {
            recipe.eta_full()
        });
        let next: Vec<i64> = trace
            .next
            .w
            .iter()
            .copied()
            .chain(std::iter::once(trace.next.b))
            .collect();
        let olds: Vec<&Lin> = w.iter().chain(std::iter::once(&b)).collect();
        let gs: Vec<&Lin> = grads.iter().chain(std::iter::once(&grad_bias)).collect();
        for j in 0..=d {
            let mut cs = cs.namespace(|| format!("update {j}"));
            let new = alloc_signed(
                cs.namespace(|| "new weight"),
                i128::from(next[j]), // bits of next + 2^(F+cw): the packing's shift
                recipe.format.weight_bits(),
            )?;
            let r = (eta_int * g_values.get(j).copied().unwrap_or(0)).rem_euclid(1i128 << (2 * f));
            let r_bits = alloc_bits(cs.namespace(|| "remainder"), &to_field(r), 2 * f)?;
            // eta * G = (w - w') * 2^(2F) + r
            enforce_mul(
                cs.namespace(|| "eta G = (w - w') 2^2F + r"),
                &eta,
                gs[j],
                &olds[j]
                    .sub(&new.lin)
                    .scale(pow2(2 * f))
                    .add(&bits_lin(&r_bits)),
            );
            new_bits.extend(new.bits);
        }
        // Pack the new weights from their bits: free but for one allocation
        // per element.
        for (e, chunk) in new_bits
            .chunks(packing.per_element * packing.bits as usize)
            .enumerate()
        {
            out.push(alloc_lin(
                cs.namespace(|| format!("weights out {e}")),
                &bits_lin(chunk),
            )?);
        }

        // End of epoch: seal(salt, h) = C, then reset.
        let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(wit.salt.0))?;
        let sealed = hash::poseidon(cs.namespace(|| "seal"), SEAL_DOMAIN, &[salt, h.clone()])?;
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
        // batch' = batch + 1 - is_last * S
        let batch_next = batch_index
            .add(&one)
            .sub(&is_last.scale(Scalar::from(steps)));
        out.push(alloc_lin(cs.namespace(|| "batch out"), &batch_next)?);
        out.push(alloc_lin(
            cs.namespace(|| "epoch out"),
            &epoch.add(&is_last),
        )?);
        Ok(out)
    }
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
