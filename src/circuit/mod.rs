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

    /// The number of elements of `z` for `features` features.
    pub fn arity(features: usize) -> usize {
        features + 5
    }

    /// As field elements, in the order of `z`.
    pub fn to_z(&self) -> Vec<Scalar> {
        let mut z: Vec<Scalar> = self.weights.w.iter().map(|&w| to_field(w.into())).collect();
        z.push(to_field(self.weights.b.into()));
        z.push(self.hash);
        z.push(self.commitment.0);
        z.push(Scalar::from(self.batch));
        z.push(Scalar::from(self.epoch));
        z
    }

    /// Reads `z` back; `None` when it is not the state of an honest run
    /// (wrong length, weights or counters that are not small integers).
    pub fn from_z(z: &[Scalar], features: usize) -> Option<Self> {
        if z.len() != Self::arity(features) {
            return None;
        }
        let int = |f: &Scalar| from_field(f).and_then(|v| i64::try_from(v).ok());
        let count = |f: &Scalar| from_field(f).and_then(|v| u64::try_from(v).ok());
        Some(State {
            weights: Weights {
                w: z[..features].iter().map(int).collect::<Option<_>>()?,
                b: int(&z[features])?,
            },
            hash: z[features + 1],
            commitment: Commitment(z[features + 2]),
            batch: count(&z[features + 3])?,
            epoch: count(&z[features + 4])?,
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
        State::arity(self.recipe.features)
    }

    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let recipe = &*self.recipe;
        let wit = &*self.witness;
        let d = recipe.features;
        if z.len() != State::arity(d) {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state has {} elements, expected {}",
                z.len(),
                State::arity(d)
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

        let w: Vec<Lin> = (0..d)
            .map(|j| Lin::num(&z[j], to_field(state.weights.w[j].into())))
            .collect();
        let b = Lin::num(&z[d], to_field(state.weights.b.into()));
        let mut h = z[d + 1].clone();
        let commitment = &z[d + 2];
        let batch_index = Lin::num(&z[d + 3], Scalar::from(state.batch));
        let epoch = Lin::num(&z[d + 4], Scalar::from(state.epoch));
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
        let mut out = Vec::with_capacity(State::arity(d));
        let w_off = recipe.format.weight_half_range();
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
                (i128::from(next[j]) + i128::from(w_off)) - i128::from(w_off),
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
            out.push(alloc_lin(cs.namespace(|| "output"), &new.lin)?);
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
        let _ = enforce_eq::<CS>;
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
