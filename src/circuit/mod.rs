//! The step circuit: `K` mini-batch gradient-descent steps of the native
//! trainer ([`crate::train::step_trace`]), with the rows they train on
//! re-hashed into the dataset commitment's chain.
//!
//! # State
//!
//! `z = [packed weights and bias, h, C, C_test, batch, epoch]` (positions
//! in [`StateLayout`]): the weights and bias (packed, see [`WeightPacking`]),
//! the running block hash of the current epoch, the training and the test
//! commitments (the test one carried unchanged, so the proof binds it), the
//! index of the next batch within the epoch and the number of completed
//! epochs. With committed weights (the recipe's `weights: committed`) the
//! packed weights are replaced by one element, `C_W = H_W(packed weights
//! and bias, salt_W)`: the step opens the incoming `C_W` (or, at the step
//! whose counters are both zero, forces zero weights) and outputs the new
//! one under the same salt. The verifier builds `z_0` (zero weights or
//! `C_W = 0`, `h = 0`, the commitments, zero counters) itself.
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
//!
//! `synthesize` reads as this text: `unpack_weights`, then for each batch
//! `row` (steps 1 to 4), `absorb_blocks` and `update_weights`, then
//! `seal_and_advance`. The witness follows the native trace, computed once
//! by [`StepWitness::new`].

pub mod cost;
pub mod gadgets;
pub mod hash;
pub mod infer;
mod paths;
pub mod prep;
pub mod segment;
pub mod sigmoid;
mod state;
#[cfg(test)]
pub mod testing;

pub use state::{ModelCommitment, ModelPart, PublicState, State, StateLayout, WeightPacking};

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, AllocatedBit, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;

use crate::commitment::{Commitment, Salt, BLOCK_DOMAIN, BLOCK_ROWS, SEAL_DOMAIN, WEIGHTS_DOMAIN};
use crate::dataset::FixedDataset;
use crate::error::Result;
use crate::fixed::{to_field, Scalar};
use crate::recipe::{Recipe, WeightsVisibility};
use crate::train::{self, BoundedWeights, StepTrace, Weights};
use cost::Scope;
use gadgets::{
    alloc_bits, alloc_lin, alloc_signed, bits_lin, enforce_eq, enforce_floor_shift, enforce_mul,
    is_zero, mul, pow2, Lin, Signed,
};
use state::weights_then_bias;

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

/// The private inputs of one step, with the native trace that the
/// circuit's witness follows.
#[derive(Clone, Debug)]
pub struct StepWitness {
    pub state: State,
    /// The step's `K` batches.
    pub batches: Vec<Batch>,
    pub salt: Salt,
    /// The native trace of each batch.
    traces: Vec<StepTrace>,
}

impl StepWitness {
    /// The witness of the step from `state` on `batches`, its trace computed
    /// natively. When the native step fails (diverged weights) the traces
    /// are blank: the circuit is still synthesized, and is unsatisfied.
    pub fn new(recipe: &Recipe, state: State, batches: Vec<Batch>, salt: Salt) -> Self {
        let traces = match state.step_values(recipe, &batches) {
            Ok((traces, _)) => traces,
            Err(_) => blank_traces(recipe, &batches),
        };
        StepWitness {
            state,
            batches,
            salt,
            traces,
        }
    }

    /// Blank batches and traces from zero weights: enough for the shape.
    fn blank(recipe: &Recipe) -> Self {
        let batches = vec![Batch::blank(recipe); recipe.batches_per_step];
        StepWitness {
            state: State::initial(
                recipe.features,
                Commitment(Scalar::ZERO),
                Commitment(Scalar::ZERO),
                None,
            ),
            traces: blank_traces(recipe, &batches),
            batches,
            salt: Salt(Scalar::ZERO),
        }
    }

    /// Batch `k` as the circuit trains on it.
    fn batch(&self, k: usize) -> BatchStep<'_> {
        BatchStep {
            batch: &self.batches[k],
            trace: &self.traces[k],
            weights: match k {
                0 => &self.state.weights,
                _ => &self.traces[k - 1].next,
            },
            is_final: k + 1 == self.batches.len(),
        }
    }
}

/// Traces for batches whose native step is not run or failed.
fn blank_traces(recipe: &Recipe, batches: &[Batch]) -> Vec<StepTrace> {
    let blank = |batch: &Batch| StepTrace {
        logits: vec![0; batch.active],
        grads: vec![0; recipe.features],
        grad_bias: 0,
        next: Weights::zero(recipe.features),
    };
    batches.iter().map(blank).collect()
}

/// What the circuit knows natively of one batch: its rows, its trace and
/// the weights it starts from.
struct BatchStep<'a> {
    batch: &'a Batch,
    trace: &'a StepTrace,
    weights: &'a Weights,
    /// The step's final batch: the only one that can be the epoch's last.
    is_final: bool,
}

/// Whether this step ends the epoch, from the batch counter.
struct LastBatch {
    /// `batch == S - K`.
    is_last: Lin,
    /// `1 - is_last`.
    not_last: Lin,
}

/// What one row contributes: its bits (label, then features), which the
/// blocks hash, and its gradient terms `e * x_j` and `e`.
struct RowTerms {
    bits: Vec<AllocatedBit>,
    products: Vec<Lin>,
    error: Lin,
}

/// An allocated number as a linear expression with its value.
pub(crate) fn value_lin(n: &AllocatedNum<Scalar>) -> Lin {
    Lin::num(n, n.get_value().unwrap_or(Scalar::ZERO))
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
        let witness = Arc::new(StepWitness::blank(&recipe));
        TrainStep { recipe, witness }
    }

    /// Bits of the logit for this recipe (at least `F + 4` so the sigmoid's
    /// breakpoints fit; see [`crate::fixed`] for the bound).
    pub fn logit_bits(recipe: &Recipe) -> u32 {
        recipe
            .format
            .logit_bits(recipe.features)
            .max(recipe.format.frac_bits + 4)
    }

    /// Refuses a state or witness of another shape than the recipe's.
    fn check_sizes(&self, z: usize, arity: usize) -> Result<(), SynthesisError> {
        let recipe = &*self.recipe;
        let wit = &*self.witness;
        let steps = recipe.batches_per_step;
        if z != arity || wit.batches.len() != steps || wit.state.weights.w.len() != recipe.features
        {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state has {z} elements and {} weights and the witness {} batches, \
                 expected {arity}, {} and {steps}",
                wit.state.weights.w.len(),
                wit.batches.len(),
                recipe.features
            )));
        }
        Ok(())
    }

    /// The incoming weights and bias, from `z`'s model part: allocated
    /// as bits (which range-checks them) and tied to `z`, either to its
    /// packed elements (public weights) or to the commitment `C_W` they
    /// open (committed weights). Returns the weights, then the bias.
    fn incoming_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        model: &[AllocatedNum<Scalar>],
        counters: [&Lin; 2],
        weights_salt: Option<&AllocatedNum<Scalar>>,
    ) -> Result<Vec<Lin>, SynthesisError> {
        let mut cs = cs.namespace(|| Scope::Unpack.to_string());
        let (values, packed) = alloc_weights(
            &mut cs,
            WeightPacking::of(&self.recipe),
            &self.recipe.format,
            &self.witness.state.weights,
        )?;
        match weights_salt {
            None => {
                for (e, (lin, element)) in packed.iter().zip(model).enumerate() {
                    enforce_eq(
                        cs.namespace(|| format!("element {e}")),
                        lin,
                        &value_lin(element),
                    );
                }
            }
            Some(salt) => self.open_weights(&mut cs, &packed, &model[0], counters, salt)?,
        }
        Ok(values)
    }

    /// Committed weights: before the first step (both counters zero) the
    /// weights are zero, whatever `z_0` holds; at every later step they
    /// open the incoming `C_W` with the salt: `(1 - first) * (H_W(packed,
    /// salt) - C_W) = 0`. The same salt commits the outgoing weights, so by
    /// induction one salt, the first step's, serves the whole run.
    fn open_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        packed: &[Lin],
        c_w: &AllocatedNum<Scalar>,
        counters: [&Lin; 2],
        salt: &AllocatedNum<Scalar>,
    ) -> Result<(), SynthesisError> {
        let recipe = &*self.recipe;
        let [batch_index, epoch] = counters;
        // Both counters are small non-negative integers (they start at zero
        // in z_0 and advance by constants), so their sum is zero only there.
        let first = is_zero(cs.namespace(|| "first step"), &batch_index.add(epoch))?;
        zero_start(cs, recipe, &first, packed);
        let opened = commit_weights(&mut cs.namespace(|| "open"), packed, salt)?;
        let not_first = Lin::constant::<CS>(Scalar::ONE).sub(&first);
        enforce_mul(
            cs.namespace(|| "opens C_W"),
            &not_first,
            &value_lin(&opened).sub(&value_lin(c_w)),
            &Lin::int::<CS>(0),
        );
        Ok(())
    }

    /// For each batch of the step, its rows, its blocks and the update,
    /// from the incoming weights `values` and chain `h`: the chain after the
    /// step's blocks and the bits of the final batch's new weights.
    fn train_batches<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        mut values: Vec<Lin>,
        mut h: AllocatedNum<Scalar>,
        last: &LastBatch,
    ) -> Result<(AllocatedNum<Scalar>, Vec<AllocatedBit>), SynthesisError> {
        let recipe = &*self.recipe;
        let wit = &*self.witness;
        let mut new_bits: Vec<AllocatedBit> = Vec::new();
        for k in 0..wit.batches.len() {
            let mut cs = cs.namespace(|| Scope::Batch(k).to_string());
            let batch = wit.batch(k);
            let rows = (0..recipe.batch)
                .map(|i| self.row(&mut cs, &batch, i, &values, last))
                .collect::<Result<Vec<_>, _>>()?;
            h = self.absorb_blocks(&mut cs, h, &rows, &batch, last)?;
            let new = self.update_weights(&mut cs, &batch, &values, &rows, last)?;
            values = new.iter().map(|v| v.lin.clone()).collect();
            if batch.is_final {
                new_bits = new.into_iter().flat_map(|v| v.bits).collect();
            }
        }
        Ok((h, new_bits))
    }

    /// Row `i` of a batch: 1. the label bit and the feature bits (the range
    /// check); 2. the logit; 3. `s = sigmoid(z)`, `e = m * (s - y 2^F)`;
    /// 4. the gradient terms `e * x_j`.
    fn row<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        batch: &BatchStep,
        i: usize,
        values: &[Lin],
        last: &LastBatch,
    ) -> Result<RowTerms, SynthesisError> {
        let mut cs = cs.namespace(|| Scope::Row(i).to_string());
        let format = &self.recipe.format;
        let (y, x, bits) = self.inputs(&mut cs, batch, i)?;

        let logit = self.logit(&mut cs, batch, i, values, &x)?;

        let s = sigmoid::sigmoid(
            cs.namespace(|| Scope::Sigmoid.to_string()),
            self.recipe.sigmoid,
            format.frac_bits,
            &logit,
        )?;
        let error = s.sub(&Lin::bit(&y).scale(to_field(format.one().into())));
        // Padding in the epoch's last batch: its error is masked.
        let error = if batch.is_final && i >= self.recipe.last_batch_rows() {
            mul(
                cs.namespace(|| Scope::Mask.to_string()),
                &last.not_last,
                &error,
            )?
        } else {
            error
        };
        // With class weights: `e = c_y (s - y 2^F)`, `c_y = c_0 + y (c_1 -
        // c_0)` (constants of the recipe, at `2^-Fc`).
        let error = match self.recipe.class_weights {
            Some(_) => {
                let (c0, c1, _) = self.recipe.class_scale();
                let weight = Lin::int::<CS>(c0.into())
                    .add(&Lin::bit(&y).scale(to_field(i128::from(c1 - c0))));
                mul(
                    cs.namespace(|| Scope::ClassWeight.to_string()),
                    &error,
                    &weight,
                )?
            }
            None => error,
        };

        let products = x
            .iter()
            .enumerate()
            .map(|(j, xj)| {
                mul(
                    cs.namespace(|| Scope::ErrorProduct(j).to_string()),
                    &error,
                    xj,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(RowTerms {
            bits,
            products,
            error,
        })
    }

    /// The label bit and the features `x_j`, range-checked through their
    /// bits; with all those bits (the label's first), which the blocks hash.
    fn inputs<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        batch: &BatchStep,
        i: usize,
    ) -> Result<(AllocatedBit, Vec<Lin>, Vec<AllocatedBit>), SynthesisError> {
        let label = batch.batch.labels[i] == 1;
        let y = AllocatedBit::alloc(cs.namespace(|| Scope::Label.to_string()), Some(label))?;
        let mut bits = vec![y.clone()];
        let (x, feature_bits) = alloc_features(cs, &self.recipe.format, &batch.batch.rows[i])?;
        bits.extend(feature_bits);
        Ok((y, x, bits))
    }

    /// `z = floor(w . x / 2^Fx) + b`, with both the remainder (`Fx` bits)
    /// and the logit (`k` signed bits) range-checked.
    fn logit<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        batch: &BatchStep,
        i: usize,
        values: &[Lin],
        x: &[Lin],
    ) -> Result<Signed, SynthesisError> {
        let z_value = batch
            .trace
            .logits
            .get(i)
            .copied()
            .unwrap_or(batch.weights.b);
        logit_gadget(
            cs,
            LogitInputs {
                values,
                x,
                weights: batch.weights,
                row: &batch.batch.rows[i],
                z: z_value,
            },
            Self::logit_bits(&self.recipe),
            self.recipe.format.feature_frac_bits,
        )
    }

    /// The trained rows are the hashed rows: their very bits extend the
    /// chain, a block of [`BLOCK_ROWS`] rows at a time, `h = H_block(h,
    /// bits)`. A block of padding only in the epoch's last batch leaves the
    /// chain as it was.
    fn absorb_blocks<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        mut h: AllocatedNum<Scalar>,
        rows: &[RowTerms],
        batch: &BatchStep,
        last: &LastBatch,
    ) -> Result<AllocatedNum<Scalar>, SynthesisError> {
        let last_rows = self.recipe.last_batch_rows();
        for (blk, block) in rows.chunks(BLOCK_ROWS).enumerate() {
            let mut cs = cs.namespace(|| Scope::Block(blk).to_string());
            let bits: Vec<AllocatedBit> = block.iter().flat_map(|r| r.bits.clone()).collect();
            let mut inputs = vec![h.clone()];
            inputs.extend(hash::pack_bits(cs.namespace(|| "pack"), &bits)?);
            let hashed = hash::poseidon(cs.namespace(|| "hash"), BLOCK_DOMAIN, &inputs)?;
            h = if batch.is_final && blk * BLOCK_ROWS >= last_rows {
                // h += not_last * (hashed - h)
                let h_lin = value_lin(&h);
                let step = value_lin(&hashed).sub(&h_lin);
                let delta = mul(cs.namespace(|| "gate"), &last.not_last, &step)?;
                alloc_lin(cs.namespace(|| "chain"), &h_lin.add(&delta))?
            } else {
                hashed
            };
        }
        Ok(h)
    }

    /// The batch's step size and its native value: the full one, except in
    /// the step's final batch, where it is `eta_full + is_last * (eta_last -
    /// eta_full)` (a constant per case).
    fn eta<CS: ConstraintSystem<Scalar>>(&self, batch: &BatchStep, last: &LastBatch) -> (Lin, i64) {
        let recipe = &*self.recipe;
        let (full, last_eta) = (recipe.eta_full(), recipe.eta_last());
        let eta = Lin::int::<CS>(full.into());
        if !batch.is_final {
            return (eta, full);
        }
        let native = if self.witness.state.ends_epoch(recipe) {
            last_eta
        } else {
            full
        };
        let change = last.is_last.scale(to_field(i128::from(last_eta - full)));
        (eta.add(&change), native)
    }

    /// `w_j' = w_j - floor((eta * G_j + k w_j) / 2^(F+Fx))` for the weights
    /// (`k` the recipe's L2 step, a constant) and `b' = b - floor(eta * G_b
    /// / 2^(F+Fx))`: `eta * G = (w - w') * 2^(F+Fx) + r - k w` with the
    /// remainder `r` (`F + Fx` bits, which also bounds the quotient) and the
    /// new weight (`F + cw + 1` bits) range-checked. Returns the new values.
    fn update_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        batch: &BatchStep,
        values: &[Lin],
        rows: &[RowTerms],
        last: &LastBatch,
    ) -> Result<Vec<Signed>, SynthesisError> {
        let format = &self.recipe.format;
        let shift = self.recipe.update_shift();
        let (eta, eta_int) = self.eta::<CS>(batch, last);
        let grads = gradient_sums::<CS>(rows, self.recipe.features, format.feature_one());
        let trace = batch.trace;
        let g_values: Vec<i128> = (trace.grads.iter().copied())
            .chain(std::iter::once(trace.grad_bias))
            .collect();
        let next = weights_then_bias(&trace.next);
        let current = weights_then_bias(batch.weights);
        let d = self.recipe.features;
        let l2 = i128::from(self.recipe.l2_at_shift());
        (0..values.len())
            .map(|j| {
                // The L2 step on a weight; none on the bias (j = d).
                let k = if j < d { l2 } else { 0 };
                let mut cs = cs.namespace(|| Scope::Update(j).to_string());
                // bits of next + 2^(F+cw): the packing's shift
                let new = alloc_signed(
                    cs.namespace(|| "new weight"),
                    i128::from(next.get(j).copied().unwrap_or(0)),
                    format.weight_bits(),
                )?;
                let w = i128::from(current.get(j).copied().unwrap_or(0));
                let r = (i128::from(eta_int) * g_values.get(j).copied().unwrap_or(0) + k * w)
                    .rem_euclid(1i128 << shift);
                let r_bits = alloc_bits(cs.namespace(|| "remainder"), &to_field(r), shift)?;
                let quotient = values[j].sub(&new.lin).scale(pow2(shift));
                let penalty = values[j].scale(to_field(k));
                enforce_mul(
                    cs.namespace(|| "eta G = (w - w') 2^S + r - k w"),
                    &eta,
                    &grads[j],
                    &quotient.add(&bits_lin(&r_bits)).sub(&penalty),
                );
                Ok(new)
            })
            .collect()
    }

    /// The recipe's tag; at the epoch's end `seal(salt, h, n) = C` and the
    /// reset; the counters. Returns the outputs that follow the weights in
    /// `z` ([`StateLayout`]): hash, the two commitments (unchanged), batch
    /// and epoch.
    fn seal_and_advance<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        h: &AllocatedNum<Scalar>,
        counters: [&Lin; 2],
        commitments: [&AllocatedNum<Scalar>; 2],
        last: &LastBatch,
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let recipe = &*self.recipe;
        let [batch_index, epoch] = counters;
        let [commitment, test_commitment] = commitments;
        // The recipe's tag, fixed as a constant: binds every recipe field into
        // the parameter digest (1 constraint).
        alloc_lin(
            cs.namespace(|| "recipe tag"),
            &Lin::constant::<CS>(recipe.tag()),
        )?;

        let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(self.witness.salt.0))?;
        let rows = alloc_lin(
            cs.namespace(|| "row count"),
            &Lin::int::<CS>(recipe.rows as i128),
        )?;
        let sealed = hash::poseidon(
            cs.namespace(|| "seal"),
            SEAL_DOMAIN,
            &[salt, h.clone(), rows],
        )?;
        let c = Lin::num(commitment, self.witness.state.commitment.0);
        // is_last * (sealed - C) = 0
        enforce_mul(
            cs.namespace(|| "seal matches commitment at epoch end"),
            &last.is_last,
            &value_lin(&sealed).sub(&c),
            &Lin::int::<CS>(0),
        );
        let h_next = mul(cs.namespace(|| "reset hash"), &last.not_last, &value_lin(h))?;
        // batch' = batch + K - is_last * S
        let batch_next = batch_index
            .add(&Lin::int::<CS>(recipe.batches_per_step as i128))
            .sub(
                &last
                    .is_last
                    .scale(Scalar::from(recipe.batches_per_epoch() as u64)),
            );
        Ok(vec![
            alloc_lin(cs.namespace(|| "hash out"), &h_next)?,
            commitment.clone(),
            test_commitment.clone(),
            alloc_lin(cs.namespace(|| "batch out"), &batch_next)?,
            alloc_lin(cs.namespace(|| "epoch out"), &epoch.add(&last.is_last))?,
        ])
    }
}

/// The weights and bias allocated as bits (which range-checks them into
/// `[-2^(F+cw), 2^(F+cw))`): their values, then the packed elements
/// ([`WeightPacking`]) those very bits make.
pub(crate) fn alloc_weights<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    packing: WeightPacking,
    format: &crate::fixed::FixedFormat,
    weights: &Weights,
) -> Result<(Vec<Lin>, Vec<Lin>), SynthesisError> {
    let shift = format.weight_half_range();
    let olds = weights_then_bias(weights);
    let mut values = Vec::with_capacity(olds.len());
    let mut packed = Vec::with_capacity(packing.elements);
    for (e, chunk) in olds.chunks(packing.per_element).enumerate() {
        let mut element_bits: Vec<AllocatedBit> = Vec::new();
        for (k, &v) in chunk.iter().enumerate() {
            let j = e * packing.per_element + k;
            let bits = alloc_bits(
                cs.namespace(|| format!("w{j}")),
                &to_field(i128::from(v) + i128::from(shift)),
                packing.bits,
            )?;
            values.push(bits_lin(&bits).sub(&Lin::int::<CS>(shift.into())));
            element_bits.extend(bits);
        }
        packed.push(bits_lin(&element_bits));
    }
    Ok((values, packed))
}

/// The features `x_j` of a row, range-checked through their bits
/// (`x + 2^(Fx+cx)` in `[0, 2^(Fx+cx+1))`), with those bits (what a block
/// hashes).
pub(crate) fn alloc_features<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    format: &crate::fixed::FixedFormat,
    row: &[i64],
) -> Result<(Vec<Lin>, Vec<AllocatedBit>), SynthesisError> {
    let half_x = format.feature_half_range();
    let mut bits = Vec::with_capacity(row.len() * format.feature_bits() as usize);
    let mut x: Vec<Lin> = Vec::with_capacity(row.len());
    for (j, &xj) in row.iter().enumerate() {
        let feature = alloc_bits(
            cs.namespace(|| Scope::Feature(j).to_string()),
            &to_field(i128::from(xj + half_x)),
            format.feature_bits(),
        )?;
        x.push(bits_lin(&feature).sub(&Lin::int::<CS>(half_x.into())));
        bits.extend(feature);
    }
    Ok((x, bits))
}

/// What the logit of one row is computed from: the weights then bias and
/// the features as circuit values, with their native values and the
/// native logit.
pub(crate) struct LogitInputs<'a> {
    pub values: &'a [Lin],
    pub x: &'a [Lin],
    pub weights: &'a Weights,
    pub row: &'a [i64],
    pub z: i64,
}

/// `z = floor(w . x / 2^Fx) + b`, with both the remainder (`Fx` bits) and
/// the logit (`k` signed bits) range-checked (native twin:
/// [`train::logit`]).
pub(crate) fn logit_gadget<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    inputs: LogitInputs,
    k: u32,
    feature_frac_bits: u32,
) -> Result<Signed, SynthesisError> {
    let d = inputs.x.len();
    let mut dot = Lin::int::<CS>(0);
    for j in 0..d {
        let product = mul(
            cs.namespace(|| Scope::Product(j).to_string()),
            &inputs.values[j],
            &inputs.x[j],
        )?;
        dot = dot.add(&product);
    }
    let dot_int: i128 = (inputs.weights.w.iter().zip(inputs.row))
        .map(|(&w, &x)| i128::from(w) * i128::from(x))
        .sum();
    let logit = alloc_signed(
        cs.namespace(|| Scope::Logit.to_string()),
        inputs.z.into(),
        k,
    )?;
    enforce_floor_shift(
        cs.namespace(|| Scope::Truncate.to_string()),
        &dot,
        dot_int,
        feature_frac_bits,
        &logit.lin.sub(&inputs.values[d]),
    )?;
    Ok(logit)
}

/// Before the first step (`first` = 1, both counters zero) the incoming
/// weights are zero, whatever the state holds: `first * (packed -
/// packed(0)) = 0` for each element.
fn zero_start<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    recipe: &Recipe,
    first: &Lin,
    packed: &[Lin],
) {
    let zero = BoundedWeights::zero(recipe.features, &recipe.format).packed();
    for (e, (lin, z)) in packed.iter().zip(zero).enumerate() {
        enforce_mul(
            cs.namespace(|| format!("zero start {e}")),
            first,
            &lin.sub(&Lin::constant::<CS>(z)),
            &Lin::int::<CS>(0),
        );
    }
}

/// `is_last = (batch == S - K)`: this step ends the epoch (2 constraints).
fn last_batch<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    recipe: &Recipe,
    batch_index: &Lin,
) -> Result<LastBatch, SynthesisError> {
    let last_start = recipe.batches_per_epoch() - recipe.batches_per_step;
    let is_last = is_zero(
        cs.namespace(|| "is last batch"),
        &batch_index.sub(&Lin::int::<CS>(last_start as i128)),
    )?;
    let not_last = Lin::constant::<CS>(Scalar::ONE).sub(&is_last);
    Ok(LastBatch { is_last, not_last })
}

/// `G_j = sum_i e_i x_ij` for each weight, then `G_b = sum_i e_i 2^Fx`.
fn gradient_sums<CS: ConstraintSystem<Scalar>>(
    rows: &[RowTerms],
    features: usize,
    feature_one: i64,
) -> Vec<Lin> {
    let mut sums: Vec<Lin> = (0..=features).map(|_| Lin::int::<CS>(0)).collect();
    for row in rows {
        for (sum, product) in sums.iter_mut().zip(&row.products) {
            *sum = sum.add(product);
        }
        sums[features] = sums[features].add(&row.error.scale(to_field(feature_one.into())));
    }
    sums
}

/// `C_W = H_W(packed weights and bias, salt_W)` (native twin:
/// [`ModelCommitment::of`]).
pub(crate) fn commit_weights<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    packed: &[Lin],
    salt: &AllocatedNum<Scalar>,
) -> Result<AllocatedNum<Scalar>, SynthesisError> {
    let mut inputs = packed
        .iter()
        .enumerate()
        .map(|(e, lin)| alloc_lin(cs.namespace(|| format!("packed {e}")), lin))
        .collect::<Result<Vec<_>, _>>()?;
    inputs.push(salt.clone());
    hash::poseidon_weights(cs.namespace(|| "hash"), WEIGHTS_DOMAIN, &inputs)
}

/// The new weights packed from their bits, `per_element` weights to an
/// element.
fn packed_lins(packing: WeightPacking, bits: &[AllocatedBit]) -> Vec<Lin> {
    bits.chunks(packing.per_element * packing.bits as usize)
        .map(bits_lin)
        .collect()
}

impl TrainStep {
    /// The model part of the outgoing `z`: the new weights packed (one
    /// allocation an element), or their commitment `C_W`.
    fn outgoing_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        bits: &[AllocatedBit],
        weights_salt: Option<&AllocatedNum<Scalar>>,
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let packed = packed_lins(WeightPacking::of(&self.recipe), bits);
        match weights_salt {
            None => packed
                .iter()
                .enumerate()
                .map(|(e, lin)| alloc_lin(cs.namespace(|| Scope::WeightsOut(e).to_string()), lin))
                .collect(),
            Some(salt) => {
                let mut cs = cs.namespace(|| Scope::WeightsOut(0).to_string());
                Ok(vec![commit_weights(&mut cs, &packed, salt)?])
            }
        }
    }
}

impl StepCircuit<Scalar> for TrainStep {
    fn arity(&self) -> usize {
        State::arity(&self.recipe)
    }

    /// Unpack the weights; for each batch, its rows, its blocks and the
    /// update; then the seal and the counters.
    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        self.check_sizes(z.len(), State::arity(&self.recipe))?;
        let recipe = &*self.recipe;
        let wit = &*self.witness;
        let layout = StateLayout::of(recipe);
        let h = z[layout.hash].clone();
        let batch_index = Lin::num(&z[layout.batch], Scalar::from(wit.state.batch));
        let epoch = Lin::num(&z[layout.epoch], Scalar::from(wit.state.epoch));
        // Committed weights: the salt of C_W, private advice.
        let weights_salt = match recipe.weights {
            WeightsVisibility::Public => None,
            WeightsVisibility::Committed => {
                let salt = wit.state.weights_salt.unwrap_or(Salt(Scalar::ZERO));
                Some(AllocatedNum::alloc(
                    cs.namespace(|| "weights salt"),
                    || Ok(salt.0),
                )?)
            }
        };
        let values = self.incoming_weights(
            cs,
            &z[layout.model.clone()],
            [&batch_index, &epoch],
            weights_salt.as_ref(),
        )?;
        let last = last_batch(cs, recipe, &batch_index)?;
        let (h, new_bits) = self.train_batches(cs, values, h, &last)?;

        let mut out = self.outgoing_weights(cs, &new_bits, weights_salt.as_ref())?;
        out.extend(self.seal_and_advance(
            cs,
            &h,
            [&batch_index, &epoch],
            [&z[layout.commitment], &z[layout.test_commitment]],
            &last,
        )?);
        Ok(out)
    }
}

/// Synthesizes the blank step circuit of `recipe` into `cs` (under the
/// namespace `step`, with zero inputs): how its shape is measured without
/// proving.
pub fn synthesize_blank<CS: ConstraintSystem<Scalar>>(cs: &mut CS, recipe: &Recipe) -> Result<()> {
    let circuit = TrainStep::blank(Arc::new(recipe.clone()));
    let z: Vec<AllocatedNum<Scalar>> = (0..State::arity(recipe))
        .map(|i| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(Scalar::ZERO)))
        .collect::<std::result::Result<_, _>>()?;
    circuit.synthesize(&mut cs.namespace(|| "step"), &z)?;
    Ok(())
}

#[cfg(test)]
mod tests;
