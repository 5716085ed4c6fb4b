//! What a trained model does, proven: the statements of an evaluation (the
//! confusion counts over a committed split) and of a batch of predictions
//! (decisions on public inputs, and the logits with public weights), their
//! bundles, the prover loop and verification. The circuit is [`crate::circuit::infer`].

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::artifact::{Kind, Refusal, MAGIC_LEN};
use crate::circuit::infer::GroupState;
use crate::circuit::infer::{
    model_features, next_state, predict_chain, InferSpec, InferState, InferStep, InferWitness,
    Outputs, Prediction, Task,
};
use crate::circuit::prep::NormalizerClaim;
use crate::circuit::{ModelCommitment, ModelPart};
use crate::commitment::{Commitment, NormalizerCommitment, Salt};
use crate::dataset::Normalizer;
use crate::error::{Error, Rejection, Result, StateField};
use crate::fixed::Scalar;
use crate::ivc::keys::KeyFile;
use crate::ivc::params::{self, Cache};
use crate::ivc::prover::{compress, secs, timed, Keys, Observer, Phase, Start, Steps};
use crate::proof::{model_differences, PublishedModel};
use crate::recipe::WeightsVisibility;
use crate::statement::{Bundle, Proven};
use crate::train::{BoundedWeights, Confusion, Weights};

/// First bytes of an evaluation or predictions bundle.
pub const INFER_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-infer\0";
/// Version of the bundle's layout. Version 2: a predictions statement's
/// outputs are [`Outputs`] (decisions only with committed weights).
/// Version 3: a predictions statement may carry the normalizer of raw
/// inputs. Version 4: or its commitment `C_N`. Version 5: an evaluation
/// may carry each group's counts and `C_G`.
pub const INFER_BUNDLE_VERSION: u32 = 5;
/// Largest bundle read: the statement of [`crate::circuit::infer::MAX_PREDICT_ROWS`] rows
/// of many features, and a proof of about 10 KB.
pub const MAX_INFER_BUNDLE_BYTES: usize = 1 << 24;
/// The bundle file: magic, version, bincode 2 of the [`InferBundle`].
pub const INFER_BUNDLE: Kind<MAX_INFER_BUNDLE_BYTES> = Kind {
    magic: INFER_MAGIC,
    version: INFER_BUNDLE_VERSION,
    body_digest: false,
};

/// An evaluation's counts for each group of its protected attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// `C_G`, the commitment to the test rows' groups (`commitment.json`
    /// lists it).
    pub commitment: Commitment,
    /// Each group's counts, in the order of the spec's labels.
    pub counts: Vec<Confusion>,
}

/// What the proof establishes beyond the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// The model's confusion counts over the rows behind `commitment`; with
    /// a protected attribute (the spec's `group`), also each group's, over
    /// the groups behind `C_G`.
    Evaluation {
        commitment: Commitment,
        counts: Confusion,
        groups: Option<GroupCounts>,
    },
    /// The model's output on each input row: its decision, and with public
    /// weights its logit ([`Outputs`]). The inputs are quantized features,
    /// or with a spec of raw inputs the applicant's raw integers (`x 2^16`)
    /// with the `normalizer` the circuit quantized them by (its values, or
    /// with a private normalizer its commitment `C_N`).
    Predictions {
        inputs: Vec<Vec<i64>>,
        outputs: Outputs,
        normalizer: Option<NormalizerClaim>,
    },
}

/// An evaluation or predictions statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InferStatement {
    /// Task, shape, format and rows: baked into the circuit.
    pub spec: InferSpec,
    /// The model: its weights, or `C_W` (the one a training proof published).
    pub model: PublishedModel,
    pub claim: Claim,
    /// Folded steps: `ceil(rows / rows_per_step)`.
    pub steps: usize,
    /// Hex of the Nova public-parameter digest of the spec's circuit.
    pub params_digest: String,
}

fn shape(why: impl Into<String>) -> Error {
    Error::Rejected(Rejection::Shape(why.into()))
}

impl InferStatement {
    /// What `z` shows of the model; SOUNDNESS 16: public weights outside
    /// the circuit's range are refused, named, before anything is packed.
    fn model_part(&self) -> Result<ModelPart> {
        Ok(match &self.model {
            PublishedModel::Weights(w) => ModelPart::Weights(
                BoundedWeights::new(w.clone(), &self.spec.format)
                    .map_err(|e| shape(format!("the statement's {e}")))?,
            ),
            PublishedModel::Committed(c) => ModelPart::Committed(*c),
        })
    }

    /// `z_0`, from the statement alone.
    pub fn z0(&self) -> Result<Vec<Scalar>> {
        let (commitment, normalizer, group) = match &self.claim {
            Claim::Evaluation {
                commitment, groups, ..
            } => (
                Some(*commitment),
                None,
                groups.as_ref().map(|g| g.commitment),
            ),
            Claim::Predictions { normalizer, .. } => (None, normalizer.clone(), None),
        };
        Ok(InferState::initial(
            &self.spec,
            self.model_part()?,
            normalizer,
            commitment,
            group,
        )
        .to_z(&self.spec))
    }

    /// The state an honest run ends in; refused when the model or the
    /// predictions are outside the circuit's ranges (as
    /// [`Self::check_shape`] refuses them).
    pub fn final_state(&self) -> Result<InferState> {
        let steps = self.spec.steps() as u64;
        Ok(match &self.claim {
            Claim::Evaluation {
                commitment,
                counts,
                groups,
            } => InferState {
                model: self.model_part()?,
                normalizer: None,
                hash: Scalar::from(0u64),
                commitment: Some(*commitment),
                step: steps,
                counts: Some(*counts),
                group: groups.as_ref().map(|g| GroupState {
                    commitment: g.commitment,
                    hash: Scalar::from(0u64),
                    counts: g.counts.clone(),
                }),
            },
            Claim::Predictions {
                inputs,
                outputs,
                normalizer,
            } => InferState {
                model: self.model_part()?,
                normalizer: normalizer.clone(),
                hash: predict_chain(&self.spec, inputs, outputs)
                    .ok_or_else(|| shape("the predictions are outside the circuit's range"))?,
                commitment: None,
                step: steps,
                counts: None,
                group: None,
            },
        })
    }

    /// Structural checks that need no cryptography (the spec was checked
    /// when it was read).
    pub fn check_shape(&self) -> Result<()> {
        let spec = &self.spec;
        match (&self.model, spec.weights) {
            (PublishedModel::Weights(w), WeightsVisibility::Public) => {
                check_weights(w, spec)?;
            }
            (PublishedModel::Committed(_), WeightsVisibility::Committed) => {}
            _ => {
                return Err(shape(
                    "the statement's model (weights or C_W) is not the kind its spec states",
                ))
            }
        }
        match (&self.claim, spec.task) {
            (Claim::Evaluation { counts, groups, .. }, Task::Evaluate(_)) => {
                if counts.total() != spec.rows as u64 {
                    return Err(shape(format!(
                        "the counts add up to {} rows, but the evaluation is of {}",
                        counts.total(),
                        spec.rows
                    )));
                }
                check_groups(spec, counts, groups.as_ref())?;
            }
            (
                Claim::Predictions {
                    inputs,
                    outputs,
                    normalizer,
                },
                Task::Predict,
            ) => {
                match normalizer {
                    Some(NormalizerClaim::Public(n))
                        if spec.raw_inputs
                            && !spec.private_normalizer
                            && n.features() == spec.features => {}
                    Some(NormalizerClaim::Committed(_)) if spec.private_normalizer => {}
                    None if !spec.raw_inputs => {}
                    _ => {
                        return Err(shape(
                            "the statement's normalizer does not match its spec (raw inputs \
                             carry one normalizer of the spec's features, or its commitment \
                             when the spec keeps it private; quantized inputs none)",
                        ))
                    }
                }
                if outputs.visibility() != spec.weights {
                    return Err(shape(
                        "the statement's outputs are not the kind its spec states (logits and \
                         decisions with public weights, decisions only with committed weights)",
                    ));
                }
                if inputs.len() != spec.rows || outputs.len() != spec.rows {
                    return Err(shape(format!(
                        "the statement has {} inputs and {} outputs, its spec {} rows",
                        inputs.len(),
                        outputs.len(),
                        spec.rows
                    )));
                }
                if let Outputs::Logits(predictions) = outputs {
                    if let Some(i) = predictions
                        .iter()
                        .position(|p| p.decision != (p.logit >= 0))
                    {
                        return Err(shape(format!(
                            "prediction {i}: the decision is not the sign of the logit \
                             (decision 1 exactly when z >= 0)"
                        )));
                    }
                }
                if predict_chain(spec, inputs, outputs).is_none() {
                    return Err(shape(
                        "an input row has the wrong width or a value outside the circuit's range",
                    ));
                }
            }
            _ => {
                return Err(shape(
                    "the statement's claim is not the task its spec states",
                ))
            }
        }
        if self.steps != spec.steps() {
            return Err(Error::Rejected(Rejection::StepCount {
                claimed: self.steps,
                expected: spec.steps(),
            }));
        }
        Ok(())
    }

    /// Checks a proof's `z_N` against the statement, value by value.
    pub fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        let got = InferState::from_z(zn, &self.spec)
            .ok_or(Error::Rejected(Rejection::NonCanonicalState))?;
        let want = self.final_state()?;
        let mut diffs = model_differences(&got.model, &want.model);
        if got.hash != want.hash {
            diffs.push(match self.claim {
                Claim::Evaluation { .. } => StateField::RowHash,
                Claim::Predictions { .. } => StateField::PredictionHash,
            });
        }
        if got.commitment != want.commitment {
            diffs.push(StateField::Commitment);
        }
        if got.step != want.step {
            diffs.push(StateField::Step);
        }
        if got.counts != want.counts {
            diffs.push(StateField::Counts);
        }
        match (&got.group, &want.group) {
            (Some(g), Some(w)) => {
                if g.commitment != w.commitment {
                    diffs.push(StateField::GroupCommitment);
                }
                if g.hash != w.hash {
                    diffs.push(StateField::RowHash);
                }
                if g.counts != w.counts {
                    diffs.push(StateField::GroupCounts);
                }
            }
            (None, None) => {}
            _ => diffs.push(StateField::GroupCounts),
        }
        if got.normalizer != want.normalizer {
            diffs.push(StateField::Normalizer);
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(Error::Rejected(Rejection::FinalState(diffs)))
        }
    }

    /// The evaluation's counts, if it is one.
    pub fn counts(&self) -> Option<Confusion> {
        match &self.claim {
            Claim::Evaluation { counts, .. } => Some(*counts),
            Claim::Predictions { .. } => None,
        }
    }
}

/// An evaluation's groups: there exactly when the spec has a protected
/// attribute, one count a group, adding up to the counts.
fn check_groups(spec: &InferSpec, counts: &Confusion, groups: Option<&GroupCounts>) -> Result<()> {
    match (&spec.group, groups) {
        (None, None) => Ok(()),
        (Some(column), Some(g)) => {
            if g.counts.len() != column.groups() {
                return Err(shape(format!(
                    "the statement counts {} groups, its spec's attribute `{}` has {}",
                    g.counts.len(),
                    column.name,
                    column.groups()
                )));
            }
            let mut sum = Confusion::default();
            for c in &g.counts {
                for (s, v) in [
                    (&mut sum.tp, c.tp),
                    (&mut sum.fp, c.fp),
                    (&mut sum.tn, c.tn),
                    (&mut sum.fn_, c.fn_),
                ] {
                    *s = s.saturating_add(v);
                }
            }
            if sum != *counts {
                return Err(shape(
                    "the groups' counts do not add up to the counts (every row is in one group)",
                ));
            }
            Ok(())
        }
        _ => Err(shape(
            "the statement's group counts do not match its spec (counts of each group exactly \
             when the spec names a protected attribute)",
        )),
    }
}

/// Public weights: as many as the spec's features, each in the range the
/// circuit holds.
fn check_weights(w: &Weights, spec: &InferSpec) -> Result<()> {
    if w.w.len() != spec.features {
        return Err(shape(format!(
            "the statement carries {} weights, its spec {} features",
            w.w.len(),
            spec.features
        )));
    }
    BoundedWeights::new(w.clone(), &spec.format)
        .map(|_| ())
        .map_err(|e| shape(format!("the statement's {e}")))
}

/// An evaluation or predictions statement and its zero-knowledge proof.
pub type InferBundle = Bundle<InferStatement>;

impl Proven for InferStatement {
    type Spec = InferSpec;
    const MAX_BUNDLE_BYTES: usize = MAX_INFER_BUNDLE_BYTES;

    fn seal(bundle: &Bundle<Self>) -> Result<Vec<u8>> {
        Ok(INFER_BUNDLE.seal(bundle, None)?)
    }

    fn open(bytes: &[u8]) -> std::result::Result<Bundle<Self>, Refusal> {
        INFER_BUNDLE.open(bytes, None)
    }

    fn spec(&self) -> &InferSpec {
        &self.spec
    }

    fn steps(&self) -> usize {
        self.steps
    }

    fn params_digest(&self) -> &str {
        &self.params_digest
    }

    fn check_shape(&self) -> Result<()> {
        InferStatement::check_shape(self)
    }

    fn z0(&self) -> Result<Vec<Scalar>> {
        InferStatement::z0(self)
    }

    fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        InferStatement::check_final_state(self, zn)
    }
}

/// What an inference proof is made from.
pub struct InferJob<'a> {
    pub spec: Arc<InferSpec>,
    pub weights: &'a BoundedWeights,
    /// With committed weights: the salt that opens `C_W`.
    pub weights_salt: Option<Salt>,
    /// The quantized rows (and, evaluating, their labels).
    pub rows: &'a [Vec<i64>],
    pub labels: &'a [u8],
    /// Evaluating: the split's commitment and salt.
    pub commitment: Option<(Commitment, Salt)>,
    /// Evaluating by groups: each row's group code, `C_G` and its salt.
    pub groups: Option<(&'a [u8], Commitment, Salt)>,
    /// Predicting on raw values: the normalizer the circuit quantizes by
    /// (and, when the spec keeps it private, the salt of its `C_N`).
    pub normalizer: Option<&'a Normalizer>,
    pub normalizer_salt: Option<Salt>,
}

/// How long each phase of an inference proof took.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InferTimings {
    pub setup_s: f64,
    pub fold_s: f64,
    pub compress_s: f64,
    pub check_s: f64,
    /// Constraints folded per step (the step and Nova's verifier circuit).
    pub constraints_per_step: usize,
}

impl InferJob<'_> {
    /// The model as `z` shows it and a statement publishes it.
    fn model(&self) -> Result<(ModelPart, PublishedModel)> {
        match (self.spec.weights, self.weights_salt) {
            (WeightsVisibility::Public, _) => Ok((
                ModelPart::Weights(self.weights.clone()),
                PublishedModel::Weights(self.weights.weights().clone()),
            )),
            (WeightsVisibility::Committed, Some(salt)) => {
                let c = ModelCommitment::of(self.weights, &salt);
                Ok((ModelPart::Committed(c), PublishedModel::Committed(c)))
            }
            (WeightsVisibility::Committed, None) => Err(Error::Mismatch(
                "committed weights need the model's salt: give the private model \
                 (OUT/private/model.json)"
                    .into(),
            )),
        }
    }

    /// What the statement and `z` say of the normalizer of raw inputs.
    fn normalizer_claim(&self) -> Result<Option<NormalizerClaim>> {
        Ok(match (self.normalizer, self.spec.private_normalizer) {
            (None, _) => None,
            (Some(n), false) => Some(NormalizerClaim::Public(n.clone())),
            (Some(n), true) => {
                let salt = self.normalizer_salt.ok_or_else(|| {
                    Error::Mismatch(
                        "a private normalizer needs the salt of its commitment: give the \
                         private model (OUT/private/model.json)"
                            .into(),
                    )
                })?;
                Some(NormalizerClaim::Committed(NormalizerCommitment::of(
                    n, &salt,
                )))
            }
        })
    }

    /// Folds every step, compresses and checks the bundle from its bytes.
    pub fn prove(
        &self,
        cache: Option<&Cache>,
        observer: &dyn Observer,
    ) -> Result<(InferBundle, InferTimings)> {
        let spec = &*self.spec;
        let (model_z, model) = self.model()?;
        let expected = spec.rows;
        if self.rows.len() != expected
            || (matches!(spec.task, Task::Evaluate(_)) && self.labels.len() != expected)
        {
            return Err(Error::Internal(format!(
                "{} rows given for a spec of {expected}",
                self.rows.len()
            )));
        }
        let commitment = self.commitment.map(|(c, _)| c);
        observer.phase(Phase::Setup);
        let keys = Keys::setup_in(cache, spec)?;

        let claim = self.normalizer_claim()?;
        if spec.group.is_some() != self.groups.is_some()
            || self
                .groups
                .is_some_and(|(codes, _, _)| codes.len() != expected)
        {
            return Err(Error::Internal(
                "the groups given do not match the spec's protected attribute".into(),
            ));
        }
        let initial = InferState::initial(
            spec,
            model_z,
            claim.clone(),
            commitment,
            self.groups.map(|(_, c, _)| c),
        );
        let z0 = self.z(&initial)?;
        let (done, fold) = timed(|| self.fold(&keys.pp, Start::Fresh(initial), None, observer))?;

        observer.phase(Phase::Compress);
        let (snark, compress) = timed(|| compress(&keys.pp, &keys.pk, &done, &z0))?;

        let claim = match spec.task {
            Task::Evaluate(_) => Claim::Evaluation {
                commitment: commitment
                    .ok_or_else(|| Error::Internal("an evaluation without commitment".into()))?,
                counts: done.state.counts.unwrap_or_default(),
                groups: done.state.group.as_ref().map(|g| GroupCounts {
                    commitment: g.commitment,
                    counts: g.counts.clone(),
                }),
            },
            Task::Predict => Claim::Predictions {
                inputs: self.rows.to_vec(),
                outputs: Outputs::published(
                    spec,
                    &(self.rows.iter())
                        .map(|r| {
                            let x = model_features(spec, self.normalizer, r);
                            Prediction::of(self.weights, &x, &spec.format)
                        })
                        .collect::<Vec<_>>(),
                ),
                normalizer: claim,
            },
        };
        let bundle = InferBundle {
            statement: InferStatement {
                spec: spec.clone(),
                model,
                claim,
                steps: done.done,
                params_digest: params::digest_hex(&keys.pp),
            },
            snark,
        };
        checked(spec, bundle, keys, (fold, compress), observer)
    }
}

/// A bundle just made, checked as a verifier would check it (from its
/// bytes, with the key just derived), with the phases' times: the last
/// step of every prover of a statement other than training's.
pub(crate) fn checked<P: Proven>(
    spec: &P::Spec,
    bundle: Bundle<P>,
    keys: Keys<<P::Spec as crate::ivc::Spec>::Step>,
    (fold, compress): (std::time::Duration, std::time::Duration),
    observer: &dyn Observer,
) -> Result<(Bundle<P>, InferTimings)> {
    let constraints_per_step = keys.constraints().0;
    observer.phase(Phase::Check);
    let t = Instant::now();
    let bytes = bundle.to_bytes()?;
    let reread = Bundle::<P>::from_bytes(&bytes)?;
    crate::statement::Verifier::primed(KeyFile::new(spec, &keys.pp, keys.vk))
        .verify(&reread)
        .map_err(|e| Error::Internal(format!("the bundle just made does not verify: {e}")))?;
    let timings = InferTimings {
        setup_s: secs(keys.setup),
        fold_s: secs(fold),
        compress_s: secs(compress),
        check_s: secs(t.elapsed()),
        constraints_per_step,
    };
    observer.finished();
    Ok((reread, timings))
}

impl Steps for InferJob<'_> {
    type Circuit = InferStep;
    type State = InferState;

    fn total(&self) -> usize {
        self.spec.steps()
    }

    fn z(&self, state: &InferState) -> Result<Vec<Scalar>> {
        Ok(state.to_z(&self.spec))
    }

    /// The rows of step `step` (and, evaluating, their labels and the
    /// split's salt), and the state after them.
    fn step(&self, state: &InferState, step: usize) -> Result<(InferStep, InferState)> {
        let spec = &*self.spec;
        // Predicting, no commitment is opened: the salt is unused.
        let salt = self.commitment.map_or(Salt(Scalar::from(0u64)), |(_, s)| s);
        let witness = InferWitness {
            normalizer: self.normalizer.cloned(),
            normalizer_salt: self.normalizer_salt.unwrap_or(Salt(Scalar::from(0u64))),
            ..InferWitness::of(
                spec,
                self.weights,
                self.weights_salt,
                (self.rows, self.labels),
                step,
                salt,
            )
        };
        let witness = match self.groups {
            Some((codes, _, salt)) => witness.with_groups(spec, codes, step, salt),
            None => witness,
        };
        let next = next_state(spec, state, &witness, spec.rows)?;
        let circuit = InferStep {
            spec: self.spec.clone(),
            witness: Arc::new(witness),
        };
        Ok((circuit, next))
    }
}
