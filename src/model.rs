//! The published model: weights, bias, preprocessing parameters and recipe.

use serde::{Deserialize, Serialize};

use crate::circuit::ModelCommitment;
use crate::commitment::{NormalizerCommitment, Salt};
use crate::dataset::{Dataset, FixedDataset, Normalizer, RawDataset, TrainFraction};
use crate::error::{Error, Result};
use crate::recipe::Recipe;
use crate::train::{accuracy_fixed, BoundedWeights, Weights};

/// The probability of class 1 that a logit stands for, `1 / (1 + e^-z)`:
/// what reports and the Python package show beside a decision (a float for
/// people; the decision itself is `logit >= 0`, proven in fixed point).
pub fn probability(logit: f64) -> f64 {
    1.0 / (1.0 + (-logit).exp())
}

/// A trained model as written to `model.json`.
///
/// Its weights are a [`BoundedWeights`]: a model read from any file (by
/// the CLI, Python, `audit` or the chain audit: all read through serde,
/// and so through [`ModelJson`]'s checks) holds only weights the circuit's
/// range holds, decimals that are exactly the fixed-point values over
/// `2^F`, as many as its recipe's features, and a `C_W` its weights and
/// salt open. A model that breaks one of these is refused when it is
/// parsed, with the field named (SOUNDNESS 19).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelJson", into = "ModelJson")]
pub struct Model {
    /// Artifact kind, always [`Model::KIND`].
    pub kind: String,
    /// The recipe that produced the weights.
    pub recipe: Recipe,
    /// Feature column names, in order.
    pub feature_names: Vec<String>,
    /// Share of the CSV's rows (file order) used for training.
    pub train_fraction: TrainFraction,
    /// The integer z-scoring fitted on the training rows (proven by
    /// `prove-preprocessing`; see [`Normalizer`]).
    pub normalizer: Normalizer,
    /// The exact fixed-point weights and bias, in the recipe's range.
    weights: BoundedWeights,
    /// With committed weights: the published `C_W` of these weights.
    weights_commitment: Option<ModelCommitment>,
    /// With committed weights: the salt that opens `C_W` (secret: such a
    /// model lives under `private/`).
    weights_salt: Option<Salt>,
    /// With committed weights: the salt of the normalizer's commitment
    /// `C_N`, which `model.public.json` lists when the normalizer is kept
    /// private (secret, as `weights_salt`).
    normalizer_salt: Option<Salt>,
}

/// `model.json` as written: [`Model`] with its weights twice, as decimals
/// (`weights_fixed / 2^F`, for people) and as the exact integers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelJson {
    pub kind: String,
    pub recipe: Recipe,
    pub feature_names: Vec<String>,
    pub train_fraction: TrainFraction,
    pub normalizer: Normalizer,
    /// Weights as decimals (`weights_fixed / 2^F`).
    pub weights: Vec<f64>,
    /// Bias as a decimal.
    pub bias: f64,
    /// The exact fixed-point weights, scaled by `2^F`.
    pub weights_fixed: Vec<i64>,
    /// The exact fixed-point bias.
    pub bias_fixed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_commitment: Option<ModelCommitment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_salt: Option<Salt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalizer_salt: Option<Salt>,
}

impl TryFrom<ModelJson> for Model {
    type Error = String;

    /// The one place a model file's values enter: every check a model's
    /// weights need before they are compared, committed or used.
    fn try_from(m: ModelJson) -> std::result::Result<Self, String> {
        let d = m.recipe.features;
        if m.kind != Model::KIND {
            return Err(format!("its kind is {:?}, not {:?}", m.kind, Model::KIND));
        }
        if m.feature_names.len() != d || m.weights_fixed.len() != d || m.normalizer.features() != d
        {
            return Err(format!(
                "the model declares {d} features but its names, weights or normalizer disagree"
            ));
        }
        let format = m.recipe.format;
        let weights = BoundedWeights::new(
            Weights {
                w: m.weights_fixed,
                b: m.bias_fixed,
            },
            &format,
        )
        .map_err(|e| format!("its {e} (weights_fixed/bias_fixed)"))?;
        // The decimals are what a person reads: exactly the fixed-point
        // values, or the file says two different things.
        let (decimals, bias) = weights.to_f64(&format);
        if m.weights.len() != d {
            return Err(format!(
                "it has {} decimal weights for {d} features",
                m.weights.len()
            ));
        }
        for (i, (given, exact)) in m.weights.iter().zip(&decimals).enumerate() {
            if given.to_bits() != exact.to_bits() {
                return Err(format!(
                    "its decimal weight {i} is {given}, but weights_fixed[{i}] / 2^{} is {exact}",
                    format.frac_bits
                ));
            }
        }
        if m.bias.to_bits() != bias.to_bits() {
            return Err(format!(
                "its decimal bias is {}, but bias_fixed / 2^{} is {bias}",
                m.bias, format.frac_bits
            ));
        }
        if let (Some(c), Some(salt)) = (m.weights_commitment, m.weights_salt) {
            if ModelCommitment::of(&weights, &salt) != c {
                return Err(
                    "its weights and salt do not open the C_W it records (weights_commitment)"
                        .into(),
                );
            }
        }
        Ok(Model {
            kind: m.kind,
            recipe: m.recipe,
            feature_names: m.feature_names,
            train_fraction: m.train_fraction,
            normalizer: m.normalizer,
            weights,
            weights_commitment: m.weights_commitment,
            weights_salt: m.weights_salt,
            normalizer_salt: m.normalizer_salt,
        })
    }
}

impl From<Model> for ModelJson {
    fn from(m: Model) -> Self {
        let (weights, bias) = m.weights.to_f64(m.weights.format());
        let fixed = m.weights.into_weights();
        ModelJson {
            kind: m.kind,
            recipe: m.recipe,
            feature_names: m.feature_names,
            train_fraction: m.train_fraction,
            normalizer: m.normalizer,
            weights,
            bias,
            weights_fixed: fixed.w,
            bias_fixed: fixed.b,
            weights_commitment: m.weights_commitment,
            weights_salt: m.weights_salt,
            normalizer_salt: m.normalizer_salt,
        }
    }
}

/// What may be shown of a model whose weights are committed
/// (`model.public.json`): the recipe, `C_W` and, unless it is kept private
/// too, the normalizer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublicModel {
    /// Artifact kind, always [`PublicModel::KIND`].
    pub kind: String,
    pub recipe: Recipe,
    pub feature_names: Vec<String>,
    pub train_fraction: TrainFraction,
    /// `C_W`: the commitment to the weights and bias the proof binds.
    pub weights_commitment: ModelCommitment,
    /// The preprocessing, unless `--private-normalizer` kept it private.
    pub normalizer: Option<Normalizer>,
    /// `C_N`, the commitment to the normalizer kept private (the one a
    /// private preprocessing statement proves and raw predictions open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalizer_commitment: Option<NormalizerCommitment>,
}

impl PublicModel {
    /// The `kind` field of a public model file.
    pub const KIND: &'static str = "foldtrain-model-public";
}

impl Model {
    /// The `kind` field of a model file.
    pub const KIND: &'static str = "foldtrain-model";

    /// Wraps trained weights; refused when one is outside the recipe's
    /// range (no run of the recipe can end there).
    pub fn new(
        recipe: Recipe,
        feature_names: Vec<String>,
        train_fraction: TrainFraction,
        normalizer: Normalizer,
        weights: &Weights,
    ) -> Result<Self> {
        let weights = BoundedWeights::new(weights.clone(), &recipe.format)
            .map_err(|e| Error::Diverged(format!("the model's {e}")))?;
        Ok(Model {
            kind: Self::KIND.into(),
            feature_names,
            train_fraction,
            normalizer,
            weights,
            weights_commitment: None,
            weights_salt: None,
            normalizer_salt: None,
            recipe,
        })
    }

    /// This model with its weights committed under `salt` (`C_W` computed
    /// from the weights).
    pub fn committed(mut self, salt: Salt) -> Self {
        self.weights_commitment = Some(ModelCommitment::of(&self.weights, &salt));
        self.weights_salt = Some(salt);
        self
    }

    /// This model with its normalizer's salt (`C_N` computed from it when
    /// asked).
    pub fn with_normalizer_salt(mut self, salt: Salt) -> Self {
        self.normalizer_salt = Some(salt);
        self
    }

    /// The salt of `C_N`, if this model records one.
    pub fn normalizer_salt(&self) -> Option<Salt> {
        self.normalizer_salt
    }

    /// `C_N` of this model's normalizer under its salt, if it has one.
    pub fn normalizer_commitment(&self) -> Option<NormalizerCommitment> {
        Some(NormalizerCommitment::of(
            &self.normalizer,
            &self.normalizer_salt?,
        ))
    }

    /// What may be published of this model: `C_W`, the recipe and, when
    /// `normalizer` is set, the preprocessing (else its `C_N`, when the
    /// model has its salt). `None` unless committed.
    pub fn public(&self, normalizer: bool) -> Option<PublicModel> {
        Some(PublicModel {
            kind: PublicModel::KIND.into(),
            recipe: self.recipe.clone(),
            feature_names: self.feature_names.clone(),
            train_fraction: self.train_fraction,
            weights_commitment: self.weights_commitment?,
            normalizer: normalizer.then(|| self.normalizer.clone()),
            normalizer_commitment: if normalizer {
                None
            } else {
                self.normalizer_commitment()
            },
        })
    }

    /// `C_W` of this model's weights under its salt, if it has one.
    pub fn opened_commitment(&self) -> Option<ModelCommitment> {
        Some(ModelCommitment::of(&self.weights, &self.weights_salt?))
    }

    /// The `C_W` this model records, if any (a model read from a file
    /// with a salt opens it: [`ModelJson`]'s checks).
    pub fn weights_commitment(&self) -> Option<ModelCommitment> {
        self.weights_commitment
    }

    /// The salt that opens `C_W`, if this is a private committed model.
    pub fn weights_salt(&self) -> Option<Salt> {
        self.weights_salt
    }

    /// The exact weights, in the recipe's range.
    pub fn fixed_weights(&self) -> &BoundedWeights {
        &self.weights
    }

    /// The weights and bias as decimals (`fixed / 2^F`).
    pub fn decimal_weights(&self) -> (Vec<f64>, f64) {
        self.weights.to_f64(self.weights.format())
    }

    /// Confusion counts on a labelled dataset, with the model's own
    /// preprocessing (the native twin of `prove-eval`).
    pub fn confusion(&self, data: &Dataset) -> Result<crate::train::Confusion> {
        self.accuracy(data)?;
        let fixed = FixedDataset::quantize(
            &RawDataset::of(data)?,
            &self.normalizer,
            &self.recipe.format,
        );
        Ok(crate::train::confusion_fixed(
            self.fixed_weights(),
            &fixed,
            self.recipe.format.feature_frac_bits,
        ))
    }

    /// Accuracy on a labelled dataset, with the model's own preprocessing.
    pub fn accuracy(&self, data: &Dataset) -> Result<f64> {
        if data.feature_names != self.feature_names {
            return Err(Error::Dataset {
                path: data.path.clone(),
                reason: format!(
                    "its {} feature columns do not match the model's {} (names and order must agree)",
                    data.features(),
                    self.feature_names.len()
                ),
            });
        }
        let fixed = FixedDataset::quantize(
            &RawDataset::of(data)?,
            &self.normalizer,
            &self.recipe.format,
        );
        accuracy_fixed(
            self.fixed_weights(),
            &fixed,
            self.recipe.format.feature_frac_bits,
        )
        .ok_or_else(|| Error::Dataset {
            path: data.path.clone(),
            reason: "no rows to evaluate".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    /// Found by trying the README's commands in a fresh clone: `verify
    /// --model` refused the honest model of the default job because
    /// serde_json's default float parser read its bias, 60057 / 2^16 =
    /// 0.9163970947265625, back one bit off. Every value of the fixed-point
    /// grid must survive the JSON round trip exactly (the crate's
    /// `float_roundtrip` feature).
    #[test]
    fn fixed_point_decimals_survive_the_json_round_trip() {
        let format = crate::fixed::FixedFormat::default();
        let mut values: Vec<i64> = vec![60057, -60057, 1, -1, i64::from(i32::MAX)];
        let mut seed = 5u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push((seed >> 36) as i64 - (1 << 27));
        }
        for v in values {
            let x = format.to_f64(v);
            let text = serde_json::to_string(&x).unwrap();
            let back: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{v} -> {text}");
        }
    }
}
