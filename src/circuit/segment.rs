//! The step circuit of a training run proven in segments: the training
//! step of [`TrainStep`], with the whole private state behind one hiding
//! commitment.
//!
//! # State
//!
//! `z = [C_S, C, C_test, batch, epoch]` ([`SealedLayout`]), where
//! `C_S = H_S(C_W, h, salt_S)` commits to the weights commitment
//! `C_W = H_W(packed weights and bias, salt_W)` and to the running row hash
//! `h` of the epoch, under a salt of its own. A segment of the run is a
//! Nova proof of its range of steps: the verifier sees only `z_0` and
//! `z_N` of each, so at a boundary it learns the counters (a function of
//! the step index) and a commitment that, under a fresh salt, hides the
//! weights, the bias and the row hash there.
//!
//! # One step
//!
//! Before the first step of the run (both counters zero) the weights and
//! the hash are zero, whatever `C_S` the state holds; at every later step
//! the prover opens the incoming `C_S` with the weights, their salt
//! `salt_W`, the hash and `salt_S`: `(1 - first) * (H_S(H_W(packed,
//! salt_W), h, salt_S) - C_S) = 0`. The training itself is the training
//! step's ([`TrainStep::train_batches`] and the seal at the epoch's end).
//! The outgoing state is `H_S(H_W(packed', salt_W), h', salt_S')` under a
//! fresh `salt_S'`; `salt_W` is the same, carried inside `C_S` (by
//! induction, the first step's), so the last boundary opens to a `C_W` of
//! the run's one salt: the model's.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;

use super::cost::Scope;
use super::gadgets::{enforce_mul, is_zero, Lin};
use super::{
    alloc_weights, commit_weights, hash, last_batch, packed_lins, value_lin, zero_start, Batch,
    State, StepWitness, TrainStep, WeightPacking,
};
use crate::commitment::{self, Salt, STATE_DOMAIN};
use crate::error::{Error, Result};
use crate::fixed::Scalar;
use crate::recipe::Recipe;
use crate::train::BoundedWeights;

/// Where each part of a segment's state sits in `z`.
pub struct SealedLayout;

impl SealedLayout {
    /// `C_S`.
    pub const STATE: usize = 0;
    /// The training rows' commitment.
    pub const COMMITMENT: usize = 1;
    /// The test rows' commitment.
    pub const TEST_COMMITMENT: usize = 2;
    /// The index of the next batch within the epoch.
    pub const BATCH: usize = 3;
    /// The number of completed epochs.
    pub const EPOCH: usize = 4;
    /// The number of elements of `z`.
    pub const ARITY: usize = 5;
}

/// `C_S = H_S(C_W, h, salt_S)` (native twin of the circuit's).
pub fn seal_state(weights_commitment: Scalar, hash: Scalar, salt: &Salt) -> Scalar {
    commitment::poseidon(STATE_DOMAIN, &[weights_commitment, hash, salt.0])
}

/// A training state with the salt of its commitment: what a segment's
/// prover carries from step to step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedState {
    /// The state; its `weights_salt` is `salt_W` (required).
    pub state: State,
    /// `salt_S` of this state's `C_S`.
    pub salt: Salt,
}

impl SealedState {
    /// `C_W` of the state's weights under its `salt_W`. Refused when a
    /// weight is outside the recipe's range or no `salt_W` is held.
    pub fn weights_commitment(&self, recipe: &Recipe) -> Result<Scalar> {
        let salt = self
            .state
            .weights_salt
            .ok_or_else(|| Error::Internal("a segment's state holds no weights salt".into()))?;
        let bounded = BoundedWeights::new(self.state.weights.clone(), &recipe.format)
            .map_err(|e| Error::Diverged(format!("the state's {e}")))?;
        Ok(super::ModelCommitment::of(&bounded, &salt).0)
    }

    /// `C_S` as `z` shows it: 0 before the first step (the circuit starts
    /// from zero by the counters; the verifier builds that `z_0` itself).
    pub fn commitment(&self, recipe: &Recipe) -> Result<Scalar> {
        if self.state.is_start() {
            return Ok(Scalar::ZERO);
        }
        Ok(seal_state(
            self.weights_commitment(recipe)?,
            self.state.hash,
            &self.salt,
        ))
    }

    /// The native twin of one step: the training step's, with the next
    /// state sealed under `salt_out`.
    pub fn next(
        &self,
        recipe: &Recipe,
        batches: &[Batch],
        data_salt: &Salt,
        salt_out: Salt,
    ) -> Result<SealedState> {
        Ok(SealedState {
            state: self.state.next(recipe, batches, data_salt)?,
            salt: salt_out,
        })
    }

    /// The step circuit from this state on `batches` (its witness computed
    /// natively), sealing the next state under `salt_out`.
    pub fn circuit(
        &self,
        recipe: &Arc<Recipe>,
        batches: Vec<Batch>,
        data_salt: Salt,
        salt_out: Salt,
    ) -> SegmentStep {
        SegmentStep {
            step: TrainStep {
                recipe: recipe.clone(),
                witness: Arc::new(StepWitness::new(
                    recipe,
                    self.state.clone(),
                    batches,
                    data_salt,
                )),
            },
            salt_in: self.salt,
            salt_out,
        }
    }

    /// `z` of this state ([`SealedLayout`]).
    pub fn to_z(&self, recipe: &Recipe) -> Result<Vec<Scalar>> {
        Ok(vec![
            self.commitment(recipe)?,
            self.state.commitment.0,
            self.state.test_commitment.0,
            Scalar::from(self.state.batch),
            Scalar::from(self.state.epoch),
        ])
    }
}

/// The segment step circuit: a training step whose state is sealed.
#[derive(Clone, Debug)]
pub struct SegmentStep {
    /// The training step (recipe, incoming state with `salt_W`, batches,
    /// the data salt).
    pub step: TrainStep,
    /// `salt_S` of the incoming `C_S`.
    pub salt_in: Salt,
    /// `salt_S'` of the outgoing `C_S`.
    pub salt_out: Salt,
}

impl SegmentStep {
    /// A circuit with a blank witness: enough to synthesize the shape.
    pub fn blank(recipe: Arc<Recipe>) -> Self {
        SegmentStep {
            step: TrainStep::blank(recipe),
            salt_in: Salt(Scalar::ZERO),
            salt_out: Salt(Scalar::ZERO),
        }
    }

    /// `H_S(H_W(packed, salt_W), h, salt_S)`, with `salt_S` allocated here.
    fn seal<CS: ConstraintSystem<Scalar>>(
        cs: &mut CS,
        packed: &[Lin],
        weights_salt: &AllocatedNum<Scalar>,
        h: AllocatedNum<Scalar>,
        salt: &Salt,
    ) -> Result<AllocatedNum<Scalar>, SynthesisError> {
        let c_w = commit_weights(&mut cs.namespace(|| "weights"), packed, weights_salt)?;
        let salt = AllocatedNum::alloc(cs.namespace(|| "state salt"), || Ok(salt.0))?;
        hash::poseidon(cs.namespace(|| "seal state"), STATE_DOMAIN, &[c_w, h, salt])
    }
}

impl StepCircuit<Scalar> for SegmentStep {
    fn arity(&self) -> usize {
        SealedLayout::ARITY
    }

    /// Open the incoming `C_S` (or start from zero), train as the training
    /// step does, seal the outgoing state.
    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let step = &self.step;
        step.check_sizes(z.len(), SealedLayout::ARITY)?;
        let recipe = &*step.recipe;
        let state = &step.witness.state;
        let batch_index = Lin::num(&z[SealedLayout::BATCH], Scalar::from(state.batch));
        let epoch = Lin::num(&z[SealedLayout::EPOCH], Scalar::from(state.epoch));
        let salt_w = state.weights_salt.unwrap_or(Salt(Scalar::ZERO));
        let weights_salt = AllocatedNum::alloc(cs.namespace(|| "weights salt"), || Ok(salt_w.0))?;

        let values = {
            let mut cs = cs.namespace(|| Scope::Unpack.to_string());
            let (values, packed) = alloc_weights(
                &mut cs,
                WeightPacking::of(recipe),
                &recipe.format,
                &state.weights,
            )?;
            let h_in = AllocatedNum::alloc(cs.namespace(|| "hash in"), || Ok(state.hash))?;
            // Both counters are small non-negative integers (the verifier
            // builds them in each z_0 and they advance by constants), so
            // their sum is zero only before the run's first step.
            let first = is_zero(cs.namespace(|| "first step"), &batch_index.add(&epoch))?;
            zero_start(&mut cs, recipe, &first, &packed);
            enforce_mul(
                cs.namespace(|| "zero hash at start"),
                &first,
                &value_lin(&h_in),
                &Lin::int::<CS>(0),
            );
            let opened = Self::seal(
                &mut cs.namespace(|| "open"),
                &packed,
                &weights_salt,
                h_in.clone(),
                &self.salt_in,
            )?;
            let not_first = Lin::constant::<CS>(Scalar::ONE).sub(&first);
            enforce_mul(
                cs.namespace(|| "opens C_S"),
                &not_first,
                &value_lin(&opened).sub(&value_lin(&z[SealedLayout::STATE])),
                &Lin::int::<CS>(0),
            );
            (values, h_in)
        };
        let (values, h_in) = values;
        let last = last_batch(cs, recipe, &batch_index)?;
        let (h, new_bits) = step.train_batches(cs, values, h_in, &last)?;
        // [h', C, C_test, batch', epoch'], the training step's outputs
        // after its model part.
        let rest = step.seal_and_advance(
            cs,
            &h,
            [&batch_index, &epoch],
            [
                &z[SealedLayout::COMMITMENT],
                &z[SealedLayout::TEST_COMMITMENT],
            ],
            &last,
        )?;
        let packed = packed_lins(WeightPacking::of(recipe), &new_bits);
        let sealed = Self::seal(
            &mut cs.namespace(|| Scope::WeightsOut(0).to_string()),
            &packed,
            &weights_salt,
            rest[0].clone(),
            &self.salt_out,
        )?;
        let mut out = vec![sealed];
        out.extend(rest.into_iter().skip(1));
        Ok(out)
    }
}
