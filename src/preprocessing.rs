//! The preprocessing statement: the normalizer `N` is exactly what the
//! committed raw training rows give, and the quantized commitments of both
//! splits hold exactly those raw rows quantized with `N`, in order. Its
//! bundle, prover and checks; the circuit is [`crate::circuit::prep`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::artifact::{Kind, Refusal, MAGIC_LEN};
use crate::circuit::prep::{
    prep_step, NormalizerClaim, PrepCommitments, PrepLayout, PrepRows, PrepSalts, PrepSpec,
    PrepState, PrepStep,
};
use crate::commitment::NormalizerCommitment;
use crate::commitment::Opening;
use crate::dataset::Prepared;
use crate::error::{Error, Rejection, Result, StateField};
use crate::fixed::Scalar;
use crate::inference::InferTimings;
use crate::ivc::params::{self, Cache};
use crate::ivc::prover::{compress, timed, Keys, Observer, Phase, Start, Steps};
use crate::statement::{Bundle, Proven};

/// First bytes of a preprocessing bundle.
pub const PREP_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-prep\0\0";
/// Version of the bundle's layout.
pub const PREP_BUNDLE_VERSION: u32 = 2;
/// Largest bundle read: a normalizer of the most features and a proof.
pub const MAX_PREP_BUNDLE_BYTES: usize = 1 << 20;
/// The bundle file: magic, version, bincode 2 of the [`PrepBundle`].
pub const PREP_BUNDLE: Kind<MAX_PREP_BUNDLE_BYTES> = Kind {
    magic: PREP_MAGIC,
    version: PREP_BUNDLE_VERSION,
    body_digest: false,
};

/// A preprocessing statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrepStatement {
    /// Shape, format and row counts: baked into the circuit.
    pub spec: PrepSpec,
    /// The four commitments of `commitment.json`.
    pub commitments: PrepCommitments,
    /// The normalizer the raw training rows give, or its commitment `C_N`
    /// (`--private-normalizer`).
    pub normalizer: NormalizerClaim,
    /// Folded steps.
    pub steps: usize,
    /// Hex of the Nova public-parameter digest of the spec's circuit.
    pub params_digest: String,
}

/// A preprocessing statement and its zero-knowledge proof.
pub type PrepBundle = Bundle<PrepStatement>;

fn shape(why: impl Into<String>) -> Error {
    Error::Rejected(Rejection::Shape(why.into()))
}

impl PrepStatement {
    /// Structural checks that need no cryptography (the spec and the
    /// normalizer were checked when they were read).
    pub fn check_shape(&self) -> Result<()> {
        match &self.normalizer {
            NormalizerClaim::Public(n) if n.features() != self.spec.features => {
                return Err(shape(format!(
                    "the statement's normalizer has {} features, its spec {}",
                    n.features(),
                    self.spec.features
                )));
            }
            NormalizerClaim::Public(_) if self.spec.private_normalizer => {
                return Err(shape(
                    "the statement lists a normalizer, but its spec keeps it private",
                ));
            }
            NormalizerClaim::Committed(_) if !self.spec.private_normalizer => {
                return Err(shape(
                    "the statement lists a normalizer commitment, but its spec publishes the \
                     normalizer",
                ));
            }
            _ => {}
        }
        if self.steps != self.spec.steps() {
            return Err(Error::Rejected(Rejection::StepCount {
                claimed: self.steps,
                expected: self.spec.steps(),
            }));
        }
        Ok(())
    }

    /// `z_0`: nothing read, the four commitments, the normalizer (or
    /// `C_N`).
    pub fn z0(&self) -> Vec<Scalar> {
        PrepState::at(&self.spec, 0, self.commitments, &self.normalizer).to_z()
    }

    /// `C_N`, when the statement keeps the normalizer private.
    pub fn normalizer_commitment(&self) -> Option<NormalizerCommitment> {
        match &self.normalizer {
            NormalizerClaim::Committed(c) => Some(*c),
            NormalizerClaim::Public(_) => None,
        }
    }

    /// The proof's `z_N` against the statement, value by value: the step
    /// count, the chains and sums cleared, the commitments, the normalizer.
    pub fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        let want = PrepState::at(
            &self.spec,
            self.spec.steps(),
            self.commitments,
            &self.normalizer,
        )
        .to_z();
        if zn.len() != want.len() {
            return Err(Error::Rejected(Rejection::NonCanonicalState));
        }
        let layout = self.spec.layout();
        let field = |k: usize| match k {
            PrepLayout::STEP => StateField::Step,
            PrepLayout::H_RAW | PrepLayout::H_Q => StateField::RowHash,
            PrepLayout::RAW_TRAIN => StateField::RawCommitment,
            PrepLayout::RAW_TEST => StateField::RawTestCommitment,
            PrepLayout::TRAIN => StateField::Commitment,
            PrepLayout::TEST => StateField::TestCommitment,
            k if k < layout.normalizer() => StateField::Sums,
            _ if layout.private => StateField::NormalizerCommitment,
            k if k < layout.stds() => StateField::NormalizerMean(k - layout.normalizer()),
            k => StateField::NormalizerStd(k - layout.stds()),
        };
        let mut diffs: Vec<StateField> = Vec::new();
        for k in (0..want.len()).filter(|&k| zn[k] != want[k]) {
            let f = field(k);
            if !diffs.contains(&f) {
                diffs.push(f);
            }
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(Error::Rejected(Rejection::FinalState(diffs)))
        }
    }
}

impl Proven for PrepStatement {
    type Spec = PrepSpec;
    const MAX_BUNDLE_BYTES: usize = MAX_PREP_BUNDLE_BYTES;

    fn seal(bundle: &Bundle<Self>) -> Result<Vec<u8>> {
        Ok(PREP_BUNDLE.seal(bundle, None)?)
    }

    fn open(bytes: &[u8]) -> std::result::Result<Bundle<Self>, Refusal> {
        PREP_BUNDLE.open(bytes, None)
    }

    fn spec(&self) -> &PrepSpec {
        &self.spec
    }

    fn steps(&self) -> usize {
        self.steps
    }

    fn params_digest(&self) -> &str {
        &self.params_digest
    }

    fn check_shape(&self) -> Result<()> {
        PrepStatement::check_shape(self)
    }

    fn z0(&self) -> Result<Vec<Scalar>> {
        Ok(PrepStatement::z0(self))
    }

    fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        PrepStatement::check_final_state(self, zn)
    }
}

/// What a preprocessing proof is made from: the prepared rows (raw and
/// quantized by the integer rule) and the opening of their commitments.
pub struct PrepJob<'a> {
    pub spec: Arc<PrepSpec>,
    pub prepared: &'a Prepared,
    pub opening: &'a Opening,
}

impl PrepJob<'_> {
    /// The spec of a prepared dataset (`rows_per_step` chosen unless given).
    pub fn spec_of(
        prepared: &Prepared,
        opening: &Opening,
        rows_per_step: Option<usize>,
        private_normalizer: bool,
    ) -> Result<PrepSpec> {
        PrepSpec::new(
            opening.features,
            opening.format,
            prepared.train_raw.len(),
            prepared.test_raw.len(),
            rows_per_step,
            private_normalizer,
        )
    }

    fn commitments(&self) -> PrepCommitments {
        PrepCommitments {
            raw_train: self.opening.raw_train.commitment,
            raw_test: self.opening.raw_test.commitment,
            train: self.opening.train.commitment,
            test: self.opening.test.commitment,
        }
    }

    fn salts(&self) -> PrepSalts {
        PrepSalts {
            raw_train: self.opening.raw_train.salt,
            raw_test: self.opening.raw_test.salt,
            train: self.opening.train.salt,
            test: self.opening.test.salt,
            normalizer: self.opening.normalizer_salt(),
        }
    }

    fn rows(&self) -> PrepRows<'_> {
        PrepRows {
            raw_train: self.prepared.train_raw.rows(),
            raw_test: self.prepared.test_raw.rows(),
            train_labels: self.prepared.train_raw.labels(),
            test_labels: self.prepared.test_raw.labels(),
        }
    }

    /// Folds every step, compresses and checks the bundle from its bytes.
    pub fn prove(
        &self,
        cache: Option<&Cache>,
        observer: &dyn Observer,
    ) -> Result<(PrepBundle, InferTimings)> {
        let spec = &*self.spec;
        observer.phase(Phase::Setup);
        let keys = Keys::setup_in(cache, spec)?;
        // The claim is the native rule's normalizer; the fold checks it
        // against the rows (natively at the training pass's end, as the
        // circuit does).
        let n = &self.prepared.normalizer;
        let initial = PrepState::initial(spec, self.commitments(), n, &self.salts().normalizer);
        let normalizer = match initial.commitment {
            Some(c) => NormalizerClaim::Committed(c),
            None => NormalizerClaim::Public(n.clone()),
        };
        let z0 = initial.to_z();
        let (done, fold) = timed(|| self.fold(&keys.pp, Start::Fresh(initial), None, observer))?;
        observer.phase(Phase::Compress);
        let (snark, compress) = timed(|| compress(&keys.pp, &keys.pk, &done, &z0))?;
        let bundle = PrepBundle {
            statement: PrepStatement {
                spec: spec.clone(),
                commitments: self.commitments(),
                normalizer,
                steps: done.done,
                params_digest: params::digest_hex(&keys.pp),
            },
            snark,
        };
        crate::inference::checked(spec, bundle, keys, (fold, compress), observer)
    }
}

impl Steps for PrepJob<'_> {
    type Circuit = PrepStep;
    type State = PrepState;

    fn total(&self) -> usize {
        self.spec.steps()
    }

    fn z(&self, state: &PrepState) -> Result<Vec<Scalar>> {
        Ok(state.to_z())
    }

    fn step(&self, state: &PrepState, _step: usize) -> Result<(PrepStep, PrepState)> {
        prep_step(&self.spec, state, &self.rows(), self.salts())
    }
}
