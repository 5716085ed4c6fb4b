//! A training run proven in segments: the run's folded steps cut into `K`
//! contiguous ranges, each proven on its own (another process, another
//! machine) with the segment step circuit ([`crate::circuit::segment`]),
//! and the `K` proofs gathered into one segmented bundle.
//!
//! Every segment of a recipe is checked with the one verifier key of its
//! [`SegmentSpec`]. The verifier builds each segment's `z_0` itself: the
//! first from zero (the circuit starts from zero weights by the counters),
//! each next from the previous segment's end commitment `C_S` and the
//! counters of its first step, which the step counts fix; and it checks
//! each `z_N` by value. The last boundary opens to the published model:
//! `C_S = H_S(C_W, 0, salt)` with `C_W` the stated one, or (public
//! weights) `H_W` of the stated weights under their stated salt.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::artifact::{Kind, Refusal, MAGIC_LEN};
use crate::circuit::segment::{seal_state, SealedLayout, SealedState, SegmentStep};
use crate::circuit::{ModelCommitment, State};
use crate::commitment::{self, Commitment, Salt};
use crate::error::{Error, Rejection, Result, StateField};
use crate::fixed::Scalar;
use crate::ivc::prover::{self, Job, Observer, Progress, Start, Steps};
use crate::ivc::{Compressed, Params, Spec};
use crate::proof::{ProofBundle, PublishedModel, Statement};
use crate::recipe::{Recipe, WeightsVisibility};
use crate::statement::{snark_check, Verified, Verifier};
use crate::train::{BoundedWeights, Weights};

/// The spec of the segment step circuit: a training recipe, proven in
/// segments (its own circuit, parameters and key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentSpec {
    pub recipe: Recipe,
}

/// First bytes of a segment circuit's verifier key file.
pub const SEGMENT_KEY_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-svkey\0";

impl Spec for SegmentSpec {
    type Step = SegmentStep;

    fn blank(&self) -> SegmentStep {
        SegmentStep::blank(Arc::new(self.recipe.clone()))
    }

    /// sha256 of the recipe's encoding under a domain of its own, so no
    /// unsegmented recipe shares it.
    fn tag(&self) -> Scalar {
        crate::ivc::domain_tag(b"foldtrain segment spec", &self.recipe)
    }

    const KEY_MAGIC: &'static [u8; MAGIC_LEN] = SEGMENT_KEY_MAGIC;

    fn kind_name(&self) -> &'static str {
        "training in segments"
    }

    fn summary(&self) -> String {
        format!("{}, proven in segments", self.recipe.summary())
    }
}

/// Where the run is cut: `K + 1` step indices from 0 to the run's total,
/// increasing; segment `i` proves steps `bounds[i]..bounds[i + 1]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cuts {
    pub bounds: Vec<usize>,
}

impl Cuts {
    /// `segments` contiguous ranges of `total` steps as equal as can be
    /// (boundaries at any step, not only at epoch ends).
    pub fn balanced(total: usize, segments: usize) -> Result<Self> {
        let most = total.min(MAX_SEGMENTS);
        if segments == 0 || segments > most {
            return Err(Error::InvalidRecipe(format!(
                "{segments} segments of a run of {total} folded steps: give --segments \
                 from 1 to {most}"
            )));
        }
        let bounds = (0..=segments).map(|i| i * total / segments).collect();
        Ok(Cuts { bounds })
    }

    /// The number of segments.
    pub fn count(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// Segment `i`'s first step and step count.
    pub fn range(&self, i: usize) -> Option<(usize, usize)> {
        let (a, b) = (*self.bounds.get(i)?, *self.bounds.get(i + 1)?);
        Some((a, b.checked_sub(a)?))
    }
}

/// The secret side of a plan: `salt_W` and one fresh `salt_S` a boundary
/// (index 0, the run's start, is never used: the start is zero).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    pub weights_salt: Salt,
    pub boundary_salts: Vec<Salt>,
}

impl Secrets {
    /// Fresh salts from the OS RNG for `segments` segments (`weights_salt`
    /// the model's, when the recipe commits to its weights).
    pub fn random(segments: usize, weights_salt: Option<Salt>) -> Self {
        Secrets {
            weights_salt: weights_salt.unwrap_or_else(Salt::random),
            boundary_salts: (0..=segments).map(|_| Salt::random()).collect(),
        }
    }
}

/// What proving one segment needs: the run's recipe and rows, the data
/// salt (the seal at each epoch's end), the commitments, the cuts and the
/// secrets.
pub struct SegmentJob<'a> {
    pub job: Job<'a>,
    pub test_commitment: Commitment,
    pub commitment: Commitment,
    pub cuts: &'a Cuts,
    pub secrets: &'a Secrets,
    pub index: usize,
}

/// One proven segment, as `prove-segment` writes it.
#[derive(Serialize, Deserialize)]
pub struct SegmentProof {
    pub index: usize,
    pub start: usize,
    pub steps: usize,
    /// `C_S` at the segment's end.
    #[serde(with = "commitment::scalar_hex")]
    pub end: Scalar,
    pub snark: Compressed<SegmentStep>,
    /// Seconds the prover spent folding and compressing (what the worker
    /// reports; not part of any statement).
    pub fold_s: f64,
    pub compress_s: f64,
}

/// First bytes of a segment proof file (`prove-segment`'s output).
pub const SEGMENT_PROOF_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-sproof";
/// Largest segment proof file read (one proof of about 11 KB).
pub const MAX_SEGMENT_PROOF_BYTES: usize = 1 << 20;
/// The segment proof file: magic, version, the plan it belongs to (the
/// sha256 of its plan file), the body's digest, bincode 2 of the proof.
pub const SEGMENT_PROOF_FILE: Kind<MAX_SEGMENT_PROOF_BYTES> = Kind {
    magic: SEGMENT_PROOF_MAGIC,
    version: 1,
    body_digest: true,
};

/// Bytes of a compressed segment proof.
pub fn proof_bytes(snark: &Compressed<SegmentStep>) -> usize {
    bincode::serde::encode_to_vec(snark, bincode::config::standard()).map_or(0, |v| v.len())
}

impl SegmentProof {
    /// The file bytes of this proof, bound to the plan `plan_id`.
    pub fn to_file_bytes(&self, plan_id: &[u8; 32]) -> Result<Vec<u8>> {
        Ok(SEGMENT_PROOF_FILE.seal(self, Some(plan_id))?)
    }

    /// A proof from the untrusted bytes of a file that must belong to the
    /// plan `plan_id` (strict; never panics). The refusal says why.
    pub fn from_file_bytes(bytes: &[u8], plan_id: &[u8; 32]) -> std::result::Result<Self, Refusal> {
        SEGMENT_PROOF_FILE.open(bytes, Some(plan_id))
    }
}

impl SegmentJob<'_> {
    /// The segment's first step and step count.
    fn range(&self) -> Result<(usize, usize)> {
        self.cuts
            .range(self.index)
            .ok_or_else(|| Error::InvalidRecipe(format!("no segment {} in the plan", self.index)))
    }

    /// The sealed state at the segment's start: training replayed natively
    /// from the run's start (seconds, where proving takes minutes).
    pub fn start_state(&self) -> Result<SealedState> {
        let recipe = &self.job.recipe;
        let (start, _) = self.range()?;
        let mut state = State::initial(
            recipe.features,
            self.commitment,
            self.test_commitment,
            Some(self.secrets.weights_salt),
        );
        for t in 0..start {
            state = state.next(recipe, &self.job.batches(t), &self.job.salt)?;
        }
        let salt = self.boundary_salt(self.index)?;
        Ok(SealedState { state, salt })
    }

    fn boundary_salt(&self, boundary: usize) -> Result<Salt> {
        (self.secrets.boundary_salts.get(boundary).copied()).ok_or_else(|| {
            Error::InvalidRecipe(format!("the plan holds no salt of boundary {boundary}"))
        })
    }

    /// Folds and compresses the segment.
    pub fn prove(
        &self,
        pp: &Params<SegmentStep>,
        pk: &crate::ivc::ProverKey<SegmentStep>,
        observer: &dyn Observer,
    ) -> Result<(SegmentProof, SealedState)> {
        let (start, steps) = self.range()?;
        let initial = self.start_state()?;
        let z0 = initial.to_z(&self.job.recipe)?;
        let (done, fold): (Progress<SealedState, SegmentStep>, _) =
            prover::timed(|| self.fold(pp, Start::Fresh(initial), None, observer))?;
        observer.phase(prover::Phase::Compress);
        let (snark, compress) = prover::timed(|| prover::compress(pp, pk, &done, &z0))?;
        let end = done.state.commitment(&self.job.recipe)?;
        Ok((
            SegmentProof {
                index: self.index,
                start,
                steps,
                end,
                snark,
                fold_s: prover::secs(fold),
                compress_s: prover::secs(compress),
            },
            done.state,
        ))
    }
}

impl Steps for SegmentJob<'_> {
    type Circuit = SegmentStep;
    type State = SealedState;

    fn total(&self) -> usize {
        self.range().map_or(0, |(_, steps)| steps)
    }

    fn z(&self, state: &SealedState) -> Result<Vec<Scalar>> {
        state.to_z(&self.job.recipe)
    }

    /// Step `step` of the segment: the run's step `start + step`; its
    /// outgoing state sealed under a fresh salt, or at the segment's end
    /// under the boundary's.
    fn step(&self, state: &SealedState, step: usize) -> Result<(SegmentStep, SealedState)> {
        let (start, steps) = self.range()?;
        let batches = self.job.batches(start + step);
        let salt_out = if step + 1 == steps {
            self.boundary_salt(self.index + 1)?
        } else {
            Salt::random()
        };
        let next = state.next(&self.job.recipe, &batches, &self.job.salt, salt_out)?;
        let circuit = state.circuit(&self.job.recipe, batches, self.job.salt, salt_out);
        Ok((circuit, next))
    }
}

/// One segment as the statement states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentClaim {
    /// Folded steps of the segment (its range follows from the counts).
    pub steps: usize,
    /// `C_S` at its end: the next segment's start.
    #[serde(with = "commitment::scalar_hex")]
    pub end: Scalar,
}

/// What a segmented training proof claims, in public: a training
/// statement whose proof is `K` segment proofs linked by their boundary
/// commitments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentedStatement {
    pub recipe: Recipe,
    pub commitment: Commitment,
    pub test_commitment: Commitment,
    /// The trained model: its weights, or their commitment `C_W`.
    pub model: PublishedModel,
    /// With public weights, the salt of the `C_W` the last boundary holds
    /// (the weights are public, so it hides nothing).
    pub weights_salt: Option<Salt>,
    /// The salt of the last boundary's `C_S` (which holds the public model
    /// and an empty chain).
    pub final_salt: Salt,
    pub segments: Vec<SegmentClaim>,
    /// Hex of the segment circuit's parameter digest.
    pub params_digest: String,
}

/// A segmented statement and its segment proofs, in order.
#[derive(Serialize, Deserialize)]
pub struct SegmentedBundle {
    pub statement: SegmentedStatement,
    pub snarks: Vec<Compressed<SegmentStep>>,
}

/// First bytes of a segmented training bundle.
pub const SEGMENTED_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-segs\0\0";
/// Most segments a bundle may hold.
pub const MAX_SEGMENTS: usize = 1024;
/// Largest segmented bundle read: `MAX_SEGMENTS` proofs of about 11 KB.
pub const MAX_SEGMENTED_BYTES: usize = 16 << 20;
/// The segmented bundle file: magic, version, bincode 2 of the bundle.
pub const SEGMENTED_BUNDLE: Kind<MAX_SEGMENTED_BYTES> = Kind {
    magic: SEGMENTED_MAGIC,
    version: 1,
    body_digest: false,
};

fn shape(why: impl Into<String>) -> Error {
    Error::Rejected(Rejection::Shape(why.into()))
}

impl SegmentedStatement {
    /// The spec whose key checks every segment.
    pub fn spec(&self) -> SegmentSpec {
        SegmentSpec {
            recipe: self.recipe.clone(),
        }
    }

    /// Folded steps in all.
    pub fn steps(&self) -> usize {
        self.segments.iter().map(|s| s.steps).sum()
    }

    /// The counters before the run's step `t`: `[batch, epoch]`.
    fn counters(&self, t: usize) -> [u64; 2] {
        let per_epoch = self.recipe.steps_per_epoch();
        [
            ((t % per_epoch) * self.recipe.batches_per_step) as u64,
            (t / per_epoch) as u64,
        ]
    }

    fn z(&self, c_s: Scalar, t: usize) -> Vec<Scalar> {
        let [batch, epoch] = self.counters(t);
        vec![
            c_s,
            self.commitment.0,
            self.test_commitment.0,
            Scalar::from(batch),
            Scalar::from(epoch),
        ]
    }

    /// `C_W` of the published model.
    fn weights_commitment(&self) -> Result<Scalar> {
        match (&self.model, self.weights_salt) {
            (PublishedModel::Committed(c), None) => Ok(c.0),
            (PublishedModel::Weights(w), Some(salt)) => {
                let bounded = BoundedWeights::new(w.clone(), &self.recipe.format)
                    .map_err(|e| shape(format!("the statement's final {e}")))?;
                Ok(ModelCommitment::of(&bounded, &salt).0)
            }
            _ => Err(shape(
                "the statement's model and weights salt disagree: public weights come \
                 with the salt of their C_W, a committed model without one",
            )),
        }
    }

    /// Checks that need no cryptography: the model's kind is the recipe's,
    /// the segments tile the run (each at least one step, the counts
    /// summing to the recipe's steps), no more segments than allowed.
    pub fn check_shape(&self) -> Result<()> {
        let d = self.recipe.features;
        match (&self.model, self.recipe.weights) {
            (PublishedModel::Weights(w), WeightsVisibility::Public) if w.w.len() == d => {}
            (PublishedModel::Committed(_), WeightsVisibility::Committed) => {}
            _ => {
                return Err(shape(
                    "the statement's model is not of its recipe's kind (weights for a public \
                     recipe, C_W for a committed one) or not of its feature count",
                ))
            }
        }
        self.weights_commitment()?;
        if self.segments.is_empty() || self.segments.len() > MAX_SEGMENTS {
            return Err(shape(format!(
                "the statement has {} segments (1 to {MAX_SEGMENTS} are read)",
                self.segments.len()
            )));
        }
        if self.segments.iter().any(|s| s.steps == 0) {
            return Err(shape("a segment of no steps"));
        }
        let expected = self.recipe.total_steps();
        let claimed = self
            .segments
            .iter()
            .try_fold(0usize, |a, s| a.checked_add(s.steps))
            .unwrap_or(usize::MAX);
        if claimed != expected {
            return Err(Error::Rejected(Rejection::StepCount { claimed, expected }));
        }
        Ok(())
    }

    /// Checks every segment's proof with `vk`: segment `i` from `z_0` (0,
    /// or segment `i - 1`'s end, with the counters of its first step) to
    /// `z_N` (its stated end, with the counters after its last step); and
    /// that the last end opens to the published model.
    fn check_segments(
        &self,
        snarks: &[Compressed<SegmentStep>],
        vk: &crate::ivc::VerifierKey<SegmentStep>,
    ) -> Result<()> {
        if snarks.len() != self.segments.len() {
            return Err(shape(format!(
                "the bundle holds {} segment proofs for {} stated segments",
                snarks.len(),
                self.segments.len()
            )));
        }
        let mut start = 0;
        let mut c_s = Scalar::from(0u64);
        for (i, (claim, snark)) in self.segments.iter().zip(snarks).enumerate() {
            let z0 = self.z(c_s, start);
            let zn = snark_check(snark, vk, claim.steps, &z0).map_err(|e| match e {
                Error::Rejected(Rejection::Snark(why)) => {
                    Error::Rejected(Rejection::Snark(format!("segment {i}: {why}")))
                }
                other => other,
            })?;
            start += claim.steps;
            let want = self.z(claim.end, start);
            if zn != want {
                let fields = [
                    StateField::SegmentEnd(i),
                    StateField::Commitment,
                    StateField::TestCommitment,
                    StateField::Batch,
                    StateField::Epoch,
                ];
                let diffs = (zn.iter().zip(&want).zip(fields))
                    .filter(|((g, w), _)| g != w)
                    .map(|(_, f)| f)
                    .collect::<Vec<_>>();
                let diffs = if zn.len() != SealedLayout::ARITY {
                    vec![StateField::SegmentEnd(i)]
                } else {
                    diffs
                };
                return Err(Error::Rejected(Rejection::FinalState(diffs)));
            }
            c_s = claim.end;
        }
        if c_s
            != seal_state(
                self.weights_commitment()?,
                Scalar::from(0u64),
                &self.final_salt,
            )
        {
            return Err(Error::Rejected(Rejection::FinalState(vec![
                StateField::ModelCommitment,
            ])));
        }
        Ok(())
    }

    /// The final weights, when the statement publishes them.
    pub fn final_weights(&self) -> Option<&Weights> {
        match &self.model {
            PublishedModel::Weights(w) => Some(w),
            PublishedModel::Committed(_) => None,
        }
    }
}

impl SegmentedStatement {
    /// The training statement this one proves: the same recipe,
    /// commitments, model and steps, from zero weights (what `verify`
    /// reports and `--model` compares).
    pub fn claim(&self) -> Statement {
        Statement {
            recipe: self.recipe.clone(),
            commitment: self.commitment,
            test_commitment: self.test_commitment,
            initial: Weights::zero(self.recipe.features),
            model: self.model.clone(),
            steps: self.steps(),
            params_digest: self.params_digest.clone(),
        }
    }
}

/// A training bundle of either proof: one Nova proof of the whole run, or
/// a run proven in segments. Both state the same training claim.
pub enum TrainingBundle {
    Whole(Box<ProofBundle>),
    Segmented(Box<SegmentedBundle>),
}

impl TrainingBundle {
    /// Reads a training bundle of either kind (by its first bytes); errors
    /// as [`crate::statement::Bundle::read`].
    pub fn read(path: &Path) -> Result<Self> {
        if !crate::statement::starts_with(path, SEGMENTED_MAGIC) {
            return ProofBundle::read(path).map(|b| TrainingBundle::Whole(Box::new(b)));
        }
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > MAX_SEGMENTED_BYTES as u64 {
            return Err(Error::Rejected(Rejection::TooLarge {
                limit: MAX_SEGMENTED_BYTES,
            }));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        SegmentedBundle::from_bytes(&bytes).map(|b| TrainingBundle::Segmented(Box::new(b)))
    }

    /// The training claim.
    pub fn statement(&self) -> Statement {
        match self {
            TrainingBundle::Whole(b) => b.statement.clone(),
            TrainingBundle::Segmented(b) => b.statement.claim(),
        }
    }

    /// Verifies the bundle with `verifier`.
    pub fn verify_with(&self, verifier: &mut Verifier) -> Result<Verified> {
        match self {
            TrainingBundle::Whole(b) => verifier.verify(b),
            TrainingBundle::Segmented(b) => b.verify_with(verifier),
        }
    }

    /// Bytes of its proof or proofs.
    pub fn proof_bytes(&self) -> usize {
        match self {
            TrainingBundle::Whole(b) => b.proof_bytes(),
            TrainingBundle::Segmented(b) => b.snarks.iter().map(proof_bytes).sum(),
        }
    }

    /// How many segment proofs it holds (`None`: one proof of the whole run).
    pub fn segments(&self) -> Option<usize> {
        match self {
            TrainingBundle::Whole(_) => None,
            TrainingBundle::Segmented(b) => Some(b.snarks.len()),
        }
    }
}

impl SegmentedBundle {
    /// The bundle's file bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(SEGMENTED_BUNDLE.seal(self, None)?)
    }

    /// A bundle from untrusted bytes (strict; never panics).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_SEGMENTED_BYTES {
            return Err(Error::Rejected(Rejection::TooLarge {
                limit: MAX_SEGMENTED_BYTES,
            }));
        }
        SEGMENTED_BUNDLE
            .open(bytes, None)
            .map_err(|r: Refusal| Error::Rejected(crate::statement::rejection(r)))
    }

    /// Verifies every segment with `verifier`'s key of the segment spec.
    pub fn verify_with(&self, verifier: &mut Verifier) -> Result<Verified> {
        let st = &self.statement;
        st.check_shape()?;
        verifier.check_with(&st.spec(), &st.params_digest, st.steps(), |vk| {
            st.check_segments(&self.snarks, vk)
        })
    }
}

/// Gathers the segments' proofs (in any order, each once) into a
/// segmented bundle for the model `model` (the run's final state), whose
/// last boundary they must reach. The bundle is not checked here: verify
/// it ([`SegmentedBundle::verify_with`]) before publishing it.
pub fn join(
    spec: &SegmentSpec,
    commitments: [Commitment; 2],
    cuts: &Cuts,
    secrets: &Secrets,
    final_weights: &Weights,
    mut proofs: Vec<SegmentProof>,
    params_digest: String,
) -> Result<SegmentedBundle> {
    let recipe = &spec.recipe;
    proofs.sort_by_key(|p| p.index);
    let indices: Vec<usize> = proofs.iter().map(|p| p.index).collect();
    if indices != (0..cuts.count()).collect::<Vec<_>>() {
        return Err(Error::Mismatch(format!(
            "the plan has {} segments but the proofs given are of segments {indices:?}: \
             prove the missing ones with `foldtrain prove-segment`",
            cuts.count()
        )));
    }
    for p in &proofs {
        if cuts.range(p.index) != Some((p.start, p.steps)) {
            return Err(Error::Mismatch(format!(
                "the proof of segment {} is of steps {}..{}, not of this plan's range",
                p.index,
                p.start,
                p.start + p.steps
            )));
        }
    }
    let final_salt = *secrets
        .boundary_salts
        .get(cuts.count())
        .ok_or_else(|| Error::InvalidRecipe("the plan holds no final salt".into()))?;
    let bounded = BoundedWeights::new(final_weights.clone(), &recipe.format)
        .map_err(|e| Error::Diverged(format!("the final {e}")))?;
    let (model, weights_salt) = match recipe.weights {
        WeightsVisibility::Public => (
            PublishedModel::Weights(final_weights.clone()),
            Some(secrets.weights_salt),
        ),
        WeightsVisibility::Committed => (
            PublishedModel::Committed(ModelCommitment::of(&bounded, &secrets.weights_salt)),
            None,
        ),
    };
    let [commitment, test_commitment] = commitments;
    let segments = proofs
        .iter()
        .map(|p| SegmentClaim {
            steps: p.steps,
            end: p.end,
        })
        .collect();
    Ok(SegmentedBundle {
        statement: SegmentedStatement {
            recipe: recipe.clone(),
            commitment,
            test_commitment,
            model,
            weights_salt,
            final_salt,
            segments,
            params_digest,
        },
        snarks: proofs.into_iter().map(|p| p.snark).collect(),
    })
}

#[cfg(test)]
mod tests;
