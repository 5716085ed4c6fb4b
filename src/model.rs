//! The published model: weights, bias, preprocessing parameters and recipe.

use serde::{Deserialize, Serialize};

use crate::circuit::ModelCommitment;
use crate::commitment::Salt;
use crate::dataset::{Dataset, FixedDataset, Normalizer, TrainFraction};
use crate::error::{Error, Result};
use crate::recipe::Recipe;
use crate::train::{accuracy_fixed, Weights};

/// A trained model as written to `model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Artifact kind, always [`Model::KIND`].
    pub kind: String,
    /// The recipe that produced the weights.
    pub recipe: Recipe,
    /// Feature column names, in order.
    pub feature_names: Vec<String>,
    /// Share of the CSV's rows (file order) used for training.
    pub train_fraction: TrainFraction,
    /// z-scoring fitted on the training rows (not proven; see README).
    pub normalizer: Normalizer,
    /// Weights as decimals (`weights_fixed / 2^F`).
    pub weights: Vec<f64>,
    /// Bias as a decimal.
    pub bias: f64,
    /// The exact fixed-point weights, scaled by `2^F`.
    pub weights_fixed: Vec<i64>,
    /// The exact fixed-point bias.
    pub bias_fixed: i64,
    /// With committed weights: the published `C_W` of these weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_commitment: Option<ModelCommitment>,
    /// With committed weights: the salt that opens `C_W` (secret: such a
    /// model lives under `private/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_salt: Option<Salt>,
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
}

impl PublicModel {
    /// The `kind` field of a public model file.
    pub const KIND: &'static str = "foldtrain-model-public";
}

impl Model {
    /// The `kind` field of a model file.
    pub const KIND: &'static str = "foldtrain-model";

    /// Wraps trained weights.
    pub fn new(
        recipe: Recipe,
        feature_names: Vec<String>,
        train_fraction: TrainFraction,
        normalizer: Normalizer,
        weights: &Weights,
    ) -> Self {
        let (w, b) = weights.to_f64(&recipe.format);
        Model {
            kind: Self::KIND.into(),
            feature_names,
            train_fraction,
            normalizer,
            weights: w,
            bias: b,
            weights_fixed: weights.w.clone(),
            bias_fixed: weights.b,
            weights_commitment: None,
            weights_salt: None,
            recipe,
        }
    }

    /// This model with its weights committed under `salt` (`C_W` computed
    /// from the weights).
    pub fn committed(mut self, salt: Salt) -> Self {
        self.weights_commitment = Some(ModelCommitment::of(
            &self.fixed_weights(),
            &salt,
            &self.recipe,
        ));
        self.weights_salt = Some(salt);
        self
    }

    /// What may be published of this model: `C_W`, the recipe and, when
    /// `normalizer` is set, the preprocessing. `None` unless committed.
    pub fn public(&self, normalizer: bool) -> Option<PublicModel> {
        Some(PublicModel {
            kind: PublicModel::KIND.into(),
            recipe: self.recipe.clone(),
            feature_names: self.feature_names.clone(),
            train_fraction: self.train_fraction,
            weights_commitment: self.weights_commitment?,
            normalizer: normalizer.then(|| self.normalizer.clone()),
        })
    }

    /// `C_W` of this model's weights under its salt, if it has one.
    pub fn opened_commitment(&self) -> Option<ModelCommitment> {
        let salt = self.weights_salt?;
        Some(ModelCommitment::of(
            &self.fixed_weights(),
            &salt,
            &self.recipe,
        ))
    }

    /// The exact weights.
    pub fn fixed_weights(&self) -> Weights {
        Weights {
            w: self.weights_fixed.clone(),
            b: self.bias_fixed,
        }
    }

    /// Checks internal consistency of a model read from a file.
    pub fn validate(&self) -> Result<()> {
        let d = self.recipe.features;
        if self.feature_names.len() != d
            || self.weights_fixed.len() != d
            || self.normalizer.means.len() != d
            || self.normalizer.stds.len() != d
        {
            return Err(Error::InvalidRecipe(format!(
                "the model declares {d} features but its names, weights or normalizer disagree"
            )));
        }
        Ok(())
    }

    /// Confusion counts on a labelled dataset, with the model's own
    /// preprocessing (the native twin of `prove-eval`).
    pub fn confusion(&self, data: &Dataset) -> Result<crate::train::Confusion> {
        self.accuracy(data)?;
        let fixed = FixedDataset::quantize(data, &self.normalizer, &self.recipe.format);
        Ok(crate::train::confusion_fixed(
            &self.fixed_weights(),
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
        let fixed = FixedDataset::quantize(data, &self.normalizer, &self.recipe.format);
        accuracy_fixed(
            &self.fixed_weights(),
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
