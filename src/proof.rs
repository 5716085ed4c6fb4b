//! The public statement, the proof bundle (statement + compressed SNARK) and
//! verification, used by `verify`, `audit` and the tests alike.

use serde::{Deserialize, Serialize};

use crate::artifact::{Kind, Refusal, MAGIC_LEN};
use crate::circuit::{ModelCommitment, ModelPart, PublicState};
use crate::commitment::Commitment;
use crate::error::{Error, Rejection, Result, StateField};
use crate::fixed::Scalar;
use crate::recipe::{Recipe, WeightsVisibility};
use crate::statement::{Bundle, Proven};
pub use crate::statement::{KeyOrigin, Verified, Verifier};
use crate::train::{BoundedWeights, Weights};

/// First bytes of a proof bundle file.
pub const BUNDLE_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-proof\0";
/// Version of the bundle file's layout. It is not the recipe's version
/// ([`crate::recipe::RECIPE_VERSION`], bound in the circuit): a change of the
/// file layout changes no parameter digest.
pub const BUNDLE_VERSION: u32 = 2;
/// Largest bundle accepted: a proof is about 10 KB, a statement at most a few
/// tens of KB at [`crate::recipe::MAX_FEATURES`]; nothing larger is read.
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;
/// The bundle file: magic, version, bincode 2 of the [`ProofBundle`], no body
/// digest (a changed byte that still decodes changes the statement or the
/// proof, and verification refuses it).
pub const BUNDLE: Kind<MAX_BUNDLE_BYTES> = Kind {
    magic: BUNDLE_MAGIC,
    version: BUNDLE_VERSION,
    body_digest: false,
};

/// The kinds of statement a bundle can carry. The kind is recorded in the
/// bundle (the model's variant, and the recipe's weights visibility, which
/// the circuit and so the parameter digest bind): a bundle of one kind is
/// never read as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementKind {
    /// Training, with the final weights public.
    TrainPublicWeights,
    /// Training, with only a hiding commitment `C_W` to the final weights.
    TrainCommittedWeights,
}

impl std::fmt::Display for StatementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StatementKind::TrainPublicWeights => "training, public weights",
            StatementKind::TrainCommittedWeights => "training, committed weights (C_W)",
        })
    }
}

/// The trained model as a statement publishes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishedModel {
    /// The final weights and bias, scaled by `2^F`.
    Weights(Weights),
    /// `C_W`, a hiding commitment to the final weights and bias.
    Committed(ModelCommitment),
}

/// What a proof claims, in public.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// The training recipe (its constants are baked into the circuit; its
    /// weights visibility says which kind of model the statement holds).
    pub recipe: Recipe,
    /// Commitment to the training rows.
    pub commitment: Commitment,
    /// Commitment to the test rows, published with the training
    /// commitment; the proof carries it unchanged (it binds it, and
    /// nothing more: no test row is read).
    pub test_commitment: Commitment,
    /// Starting weights and bias (zero in this version), scaled by `2^F`.
    pub initial: Weights,
    /// The trained model: its weights, or their commitment `C_W`.
    pub model: PublishedModel,
    /// Folded steps; must equal the recipe's
    /// `epochs * ceil(rows / batch) / batches_per_step` (K mini-batches a step).
    pub steps: usize,
    /// Hex of the Nova public-parameter digest of the recipe's circuit.
    pub params_digest: String,
}

impl Statement {
    /// The kind of statement (from the recipe, which the circuit binds).
    pub fn kind(&self) -> StatementKind {
        match self.recipe.weights {
            WeightsVisibility::Public => StatementKind::TrainPublicWeights,
            WeightsVisibility::Committed => StatementKind::TrainCommittedWeights,
        }
    }

    /// The final weights, when the statement publishes them.
    pub fn final_weights(&self) -> Option<&Weights> {
        match &self.model {
            PublishedModel::Weights(w) => Some(w),
            PublishedModel::Committed(_) => None,
        }
    }

    /// The final weights to change, when the statement publishes them (for
    /// tools that build statements, and the tamper tests).
    pub fn final_weights_mut(&mut self) -> Option<&mut Weights> {
        match &mut self.model {
            PublishedModel::Weights(w) => Some(w),
            PublishedModel::Committed(_) => None,
        }
    }

    /// `z_0`, built from the statement alone (with committed weights, 0 in
    /// `C_W`'s place: the circuit starts from zero weights by the counters).
    /// Refused when an initial weight is outside the recipe's range.
    pub fn z0(&self) -> Result<Vec<Scalar>> {
        let initial = self.bounded("initial", &self.initial)?;
        Ok(PublicState {
            model: match self.recipe.weights {
                WeightsVisibility::Public => ModelPart::Weights(initial),
                WeightsVisibility::Committed => {
                    ModelPart::Committed(ModelCommitment(Scalar::from(0u64)))
                }
            },
            hash: Scalar::from(0u64),
            commitment: self.commitment,
            test_commitment: self.test_commitment,
            batch: 0,
            epoch: 0,
        }
        .to_z(&self.recipe))
    }

    /// `weights` of this statement as the circuit's range holds them;
    /// SOUNDNESS 16: a weight the circuit's state cannot hold is refused,
    /// named, before anything is packed or compared.
    fn bounded(&self, which: &str, weights: &Weights) -> Result<BoundedWeights> {
        BoundedWeights::new(weights.clone(), &self.recipe.format)
            .map_err(|e| Error::Rejected(Rejection::Shape(format!("the statement's {which} {e}"))))
    }

    /// The state an honest run of the recipe ends in: the final model, an
    /// empty chain (reset after the last epoch's seal check), the two
    /// commitments, batch counter 0 and every epoch done. The verifier
    /// compares the proof's decoded `z_N` with it value by value.
    pub fn final_state(&self) -> Result<PublicState> {
        Ok(PublicState {
            model: match &self.model {
                PublishedModel::Weights(w) => ModelPart::Weights(self.bounded("final", w)?),
                PublishedModel::Committed(c) => ModelPart::Committed(*c),
            },
            hash: Scalar::from(0u64),
            commitment: self.commitment,
            test_commitment: self.test_commitment,
            batch: 0,
            epoch: self.recipe.epochs as u64,
        })
    }

    /// Checks a proof's `z_N` against the statement. SOUNDNESS 13 and 16:
    /// `z_N` is decoded canonically (every packed weight inside its range,
    /// counters small) and compared value by value, never as packed field
    /// elements: a carry between two packed weights (`w_k + 2^bits`,
    /// `w_(k+1) - 1`) leaves the packed element unchanged.
    pub fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        let got = PublicState::from_z(zn, &self.recipe)
            .ok_or(Error::Rejected(Rejection::NonCanonicalState))?;
        let expected = self.final_state()?;
        if got != expected {
            return Err(Error::Rejected(Rejection::FinalState(differing_fields(
                &got, &expected,
            ))));
        }
        Ok(())
    }

    /// Structural checks that need no cryptography.
    /// (The recipe was checked against its limits when it was read.)
    pub fn check_shape(&self) -> Result<()> {
        let d = self.recipe.features;
        match (&self.model, self.recipe.weights) {
            (PublishedModel::Weights(_), WeightsVisibility::Public)
            | (PublishedModel::Committed(_), WeightsVisibility::Committed) => {}
            (PublishedModel::Weights(_), WeightsVisibility::Committed) => {
                return Err(Error::Rejected(Rejection::Shape(
                    "the statement's recipe commits to its weights, but the statement \
                     carries weights instead of C_W"
                        .into(),
                )))
            }
            (PublishedModel::Committed(_), WeightsVisibility::Public) => {
                return Err(Error::Rejected(Rejection::Shape(
                    "the statement's recipe publishes its weights, but the statement \
                     carries C_W instead of weights"
                        .into(),
                )))
            }
        }
        let final_count = self.final_weights().map_or(d, |w| w.w.len());
        if self.initial.w.len() != d || final_count != d {
            return Err(Error::Rejected(Rejection::Shape(format!(
                "the statement declares {d} features but carries {} initial and {final_count} final weights",
                self.initial.w.len(),
            ))));
        }
        // SOUNDNESS 16: every weight the statement names must be one the
        // circuit's state can hold. The value comparison in `verify` would
        // refuse an out-of-range weight anyway; saying so here names it.
        self.bounded("initial", &self.initial)?;
        if let Some(w) = self.final_weights() {
            self.bounded("final", w)?;
        }
        if self.initial != Weights::zero(d) {
            return Err(Error::Rejected(Rejection::Shape(
                "initial weights other than zero are not supported by this version".into(),
            )));
        }
        if self.steps != self.recipe.total_steps() {
            return Err(Error::Rejected(Rejection::StepCount {
                claimed: self.steps,
                expected: self.recipe.total_steps(),
            }));
        }
        Ok(())
    }
}

/// A training statement and its zero-knowledge proof.
pub type ProofBundle = Bundle<Statement>;

impl Proven for Statement {
    type Spec = Recipe;
    const MAX_BUNDLE_BYTES: usize = MAX_BUNDLE_BYTES;

    fn seal(bundle: &Bundle<Self>) -> Result<Vec<u8>> {
        Ok(BUNDLE.seal(bundle, None)?)
    }

    fn open(bytes: &[u8]) -> std::result::Result<Bundle<Self>, Refusal> {
        BUNDLE.open(bytes, None)
    }

    fn spec(&self) -> &Recipe {
        &self.recipe
    }

    fn steps(&self) -> usize {
        self.steps
    }

    fn params_digest(&self) -> &str {
        &self.params_digest
    }

    fn check_shape(&self) -> Result<()> {
        Statement::check_shape(self)
    }

    fn z0(&self) -> Result<Vec<Scalar>> {
        Statement::z0(self)
    }

    fn check_final_state(&self, zn: &[Scalar]) -> Result<()> {
        Statement::check_final_state(self, zn)
    }
}

/// Verifies one bundle of any kind with a default [`Verifier`].
pub fn verify<P: Proven>(bundle: &Bundle<P>) -> Result<Verified> {
    Verifier::default().verify(bundle)
}

/// The fields in which two states differ, by name.
fn differing_fields(got: &PublicState, want: &PublicState) -> Vec<StateField> {
    let mut diffs = model_differences(&got.model, &want.model);
    let checks = [
        (got.hash != want.hash, StateField::RowHash),
        (got.commitment != want.commitment, StateField::Commitment),
        (
            got.test_commitment != want.test_commitment,
            StateField::TestCommitment,
        ),
        (got.batch != want.batch, StateField::Batch),
        (got.epoch != want.epoch, StateField::Epoch),
    ];
    diffs.extend(checks.into_iter().filter(|(d, _)| *d).map(|(_, f)| f));
    diffs
}

/// The fields in which two models (weights or `C_W`) differ, by name.
pub(crate) fn model_differences(got: &ModelPart, want: &ModelPart) -> Vec<StateField> {
    let mut diffs = Vec::new();
    match (got, want) {
        (ModelPart::Weights(g), ModelPart::Weights(w)) => {
            if g.w.len() != w.w.len() {
                diffs.push(StateField::WeightCount {
                    got: g.w.len(),
                    want: w.w.len(),
                });
            } else {
                diffs.extend(
                    (0..g.w.len())
                        .filter(|&i| g.w[i] != w.w[i])
                        .map(StateField::Weight),
                );
            }
            if g.b != w.b {
                diffs.push(StateField::Bias);
            }
        }
        (ModelPart::Committed(g), ModelPart::Committed(w)) => {
            if g != w {
                diffs.push(StateField::ModelCommitment);
            }
        }
        _ => diffs.push(StateField::ModelKind),
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;
    use ff::Field;

    /// A statement of `honest`'s features (three: all four values packed in
    /// one element) and the `z_N` of an honest run ending in `honest`.
    fn statement(honest: &Weights) -> (Statement, Vec<Scalar>) {
        let hyper = Hyper {
            batch: 8,
            batches_per_step: Some(1),
            ..Hyper::default()
        };
        let features = honest.w.len();
        let recipe = Recipe::new(&hyper, features, 36).unwrap();
        let st = Statement {
            steps: recipe.total_steps(),
            initial: Weights::zero(features),
            model: PublishedModel::Weights(honest.clone()),
            commitment: Commitment(Scalar::from(99u64)),
            test_commitment: Commitment(Scalar::from(98u64)),
            params_digest: String::new(),
            recipe,
        };
        // An out-of-range `honest` has no z_N (no run can end there).
        let zn = st
            .final_state()
            .map(|s| s.to_z(&st.recipe))
            .unwrap_or_default();
        (st, zn)
    }

    fn honest() -> Weights {
        Weights {
            w: vec![1200, -3400, 56],
            b: -789,
        }
    }

    #[test]
    fn the_honest_final_state_is_accepted() {
        let (st, zn) = statement(&honest());
        st.check_final_state(&zn).unwrap();
        st.check_shape().unwrap();
    }

    #[test]
    fn a_carry_between_packed_weights_is_refused() {
        // SOUNDNESS 16: these forgeries pack to the very same field element
        // as the honest weights; only a value comparison sees them.
        let (st, zn) = statement(&honest());
        let bits = st.recipe.format.weight_bits();
        let mut forgeries = Vec::new();
        for k in 0..3 {
            let mut w = honest();
            w.w[k] += 1 << bits;
            let next = if k + 1 < 3 {
                w.w[k + 1] -= 1;
                StateField::Weight(k + 1)
            } else {
                w.b -= 1;
                StateField::Bias
            };
            let fields = vec![StateField::Weight(k), next];
            forgeries.push((format!("carry from weight {k}"), w, fields));
        }
        // The bias moved by +1.0 (2^F), borrowing from weight 2.
        let mut w = honest();
        w.b += 1 << st.recipe.format.frac_bits;
        w.w[2] -= (1i64 << st.recipe.format.frac_bits) << bits;
        let fields = vec![StateField::Weight(2), StateField::Bias];
        forgeries.push(("bias moved by borrowing".into(), w, fields));
        let packed = crate::circuit::StateLayout::of(&st.recipe).model;
        for (what, forged, fields) in forgeries {
            // The packing by hand (the crate's packs only in-range weights).
            let shift = i128::from(st.recipe.format.weight_half_range());
            let values: Vec<i128> = forged
                .w
                .iter()
                .chain([&forged.b])
                .map(|&v| i128::from(v))
                .collect();
            let element = values.iter().rev().fold(Scalar::ZERO, |acc, &v| {
                acc * Scalar::from(2u64).pow_vartime([u64::from(bits)])
                    + crate::fixed::to_field::<Scalar>(v + shift)
            });
            assert_eq!(
                vec![element],
                zn[packed.clone()],
                "{what}: the forgery must pack like the honest weights"
            );
            let mut bad = st.clone();
            bad.model = PublishedModel::Weights(forged);
            // Named by the first forged field outside the range, before
            // anything is packed or compared.
            let first = match fields[0] {
                StateField::Weight(i) => format!("weight {i} is"),
                _ => "bias is".to_string(),
            };
            let out_of_range = |r: Result<()>| {
                matches!(r, Err(Error::Rejected(Rejection::Shape(m)))
                    if m.contains("outside the range") && m.contains(&first))
            };
            assert!(
                out_of_range(bad.check_final_state(&zn)),
                "{what}: not refused as out of range at {first}"
            );
            assert!(
                out_of_range(bad.check_shape()),
                "{what}: accepted by the range check"
            );
        }
    }

    #[test]
    fn each_weight_at_its_bounds_and_one_past() {
        let (st, _) = statement(&honest());
        let half = st.recipe.format.weight_half_range();
        for k in 0..4 {
            for (v, in_range) in [
                (half - 1, true),
                (-half, true),
                (half, false),
                (-half - 1, false),
            ] {
                let mut w = honest();
                if k < 3 {
                    w.w[k] = v;
                } else {
                    w.b = v;
                }
                // A proof that really ends in `w` is accepted exactly when `w`
                // is in range; a statement claiming `w` against the honest
                // proof never is.
                let (claimed, zn_of_w) = statement(&w);
                assert_eq!(claimed.check_shape().is_ok(), in_range, "value {k} = {v}");
                if in_range {
                    claimed.check_final_state(&zn_of_w).unwrap();
                }
                let (_, honest_zn) = statement(&honest());
                assert!(
                    claimed.check_final_state(&honest_zn).is_err(),
                    "value {k} = {v} against the honest proof"
                );
            }
        }
    }

    #[test]
    fn container_refusals_are_the_rejections_of_today() {
        let refused = |bytes: &[u8]| match ProofBundle::from_bytes(bytes) {
            Err(Error::Rejected(r)) => r,
            other => panic!("not a rejection: {:?}", other.err()),
        };
        let header = |version: u32| [&BUNDLE_MAGIC[..], &version.to_le_bytes()].concat();
        assert_eq!(
            refused(&vec![0; MAX_BUNDLE_BYTES + 1]),
            Rejection::TooLarge {
                limit: MAX_BUNDLE_BYTES
            }
        );
        assert_eq!(refused(&header(BUNDLE_VERSION)[..19]), Rejection::BadMagic);
        assert_eq!(
            refused(b"foldtrain-ckpt\0\0\x01\0\0\0"),
            Rejection::BadMagic
        );
        assert_eq!(
            refused(&header(BUNDLE_VERSION + 1)),
            Rejection::Version {
                found: BUNDLE_VERSION + 1,
                supported: BUNDLE_VERSION
            }
        );
        assert!(matches!(
            refused(&header(BUNDLE_VERSION)),
            Rejection::Truncated(_)
        ));
    }

    #[test]
    fn a_mismatch_names_the_one_value_that_differs() {
        // Enough features for two packed elements.
        let honest = Weights {
            w: (0..14).map(|i| 100 * i - 650).collect(),
            b: 321,
        };
        let (st, zn) = statement(&honest);
        let per_element = crate::circuit::WeightPacking::of(&st.recipe).per_element;
        assert!(per_element < 14, "weight 13 must sit in the second element");
        let refused_as = |final_weights: Weights| {
            let claimed = Statement {
                model: PublishedModel::Weights(final_weights),
                ..st.clone()
            };
            match claimed.check_final_state(&zn) {
                Err(Error::Rejected(Rejection::FinalState(fields))) => fields,
                other => panic!("not a final-state mismatch: {other:?}"),
            }
        };
        for i in [0, per_element - 1, per_element, 13] {
            let mut claimed = honest.clone();
            claimed.w[i] += 1;
            assert_eq!(refused_as(claimed), [StateField::Weight(i)], "weight {i}");
        }
        let mut claimed = honest.clone();
        claimed.b -= 1;
        assert_eq!(refused_as(claimed), [StateField::Bias]);
    }

    #[test]
    fn non_canonical_final_states_are_refused() {
        let (st, zn) = statement(&honest());
        let layout = crate::circuit::StateLayout::of(&st.recipe);
        let mut cases = Vec::new();
        let mut z = zn.clone();
        // The first bit above the four packed values.
        z[0] += Scalar::from(2u64).pow_vartime([4 * u64::from(st.recipe.format.weight_bits())]);
        cases.push(("a high bit in the packed element", z));
        let mut z = zn.clone();
        z[layout.batch] = -Scalar::from(1u64);
        cases.push(("a negative batch counter", z));
        let mut z = zn.clone();
        z[layout.epoch] += Scalar::from(1u64);
        cases.push(("one more epoch", z));
        let mut z = zn.clone();
        z[layout.hash] = Scalar::from(5u64);
        cases.push(("a row hash not reset", z));
        let mut z = zn.clone();
        z.push(Scalar::from(0u64));
        cases.push(("one element too many", z));
        for (what, z) in cases {
            assert!(st.check_final_state(&z).is_err(), "{what}");
        }
    }
}
