//! The training recipe: every setting that decides the trained weights. It is
//! validated once, baked into the step circuit (so the Nova parameter digest
//! binds it) and recorded in every artifact.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fixed::{FixedFormat, Sigmoid, BLOCK_ROWS};

/// Version of the recipe: what its fields mean. It is part of
/// [`Recipe::tag`], which the circuit binds, so changing it changes every
/// parameter digest; a recipe of another version is refused. Each file
/// format has its own version beside its magic or `kind`. Version 3: the
/// rows are quantized by the integer rule of [`crate::dataset::Normalizer`]
/// (floor of the exact quotient), not by rounding a float z-score. Version
/// 4: the L2 penalty `l2` on the weights and the class weights.
pub const RECIPE_VERSION: u32 = 4;

/// Class weights are fixed point at `2^-8`: each row's error is scaled by
/// its class's weight as an integer, and the update's truncation grows by
/// these bits (one truncation still).
pub const CLASS_WEIGHT_FRAC_BITS: u32 = 8;
/// Largest class weight (a class of 1 row in 512 would be weighted 256).
pub const MAX_CLASS_WEIGHT: f64 = 256.0;

/// Most features a recipe may declare; bounds the logit width
/// (see [`crate::fixed`]).
pub const MAX_FEATURES: usize = 1024;
/// Largest batch.
pub const MAX_BATCH: usize = 4096;
/// Cap on `rows per folded step * (features + 1)`: the step circuit costs
/// roughly 15 constraints per cell, so this keeps one step below about half a
/// million constraints and public parameters within a few GiB. A statement
/// from an untrusted bundle is checked against it before any parameters are
/// built.
pub const MAX_BATCH_CELLS: usize = 32_768;
/// Most rows folded in one Nova step when the batches per step are chosen
/// automatically: enough that Nova's fixed cost per step (about 21,700
/// constraints) is small beside the training work, few enough that one step
/// stays near 2^18 constraints.
pub const AUTO_ROWS_PER_STEP: usize = 256;
/// Most epochs.
pub const MAX_EPOCHS: usize = 10_000;
/// Most training rows (also bounds the hash chain's row counter).
pub const MAX_ROWS: usize = 1 << 24;
/// Learning rates are limited to `(0, 16]`; larger rates diverge anyway.
pub const MAX_LEARNING_RATE: f64 = 16.0;

/// A recipe's fields as a file holds them: not yet validated. A [`Recipe`]
/// is made from them only through [`Recipe::try_from`], which checks every
/// limit; both serialize identically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecipeFields {
    /// Recipe version, [`RECIPE_VERSION`].
    pub version: u32,
    /// Number of features `d`.
    pub features: usize,
    /// Number of training rows `n`.
    pub rows: usize,
    /// Batch size `B` (a multiple of [`BLOCK_ROWS`]).
    pub batch: usize,
    /// Mini-batches folded in one Nova step, `K`; divides the batches per
    /// epoch.
    pub batches_per_step: usize,
    /// Epochs `E`.
    pub epochs: usize,
    /// Learning rate, as given (the circuit uses [`Recipe::eta_full`] and
    /// [`Recipe::eta_last`], derived from it).
    pub learning_rate: f64,
    /// L2 penalty `lambda` on the weights (not the bias): each batch's
    /// update is `w -= lr (grad + lambda w)`, the circuit's constant
    /// [`Recipe::l2_step`]. 0: none. scikit-learn's `C` is `1 / (lambda
    /// n)`.
    pub l2: f64,
    /// Weights of class 0 and class 1 (scikit-learn's `class_weight`): each
    /// row's error, and so its gradient, is scaled by its class's weight,
    /// a multiple of `2^-8` ([`CLASS_WEIGHT_FRAC_BITS`]) in `(0,
    /// 256]`. `None`: both 1, the unweighted circuit. Required in a file
    /// (`null` when unweighted), as every other field.
    #[serde(deserialize_with = "required")]
    pub class_weights: Option<[f64; 2]>,
    /// Fixed-point format.
    pub format: FixedFormat,
    /// Sigmoid approximation.
    pub sigmoid: Sigmoid,
    /// How the trained weights are published: in the clear, or only as a
    /// hiding commitment `C_W` (a different circuit, so a different digest).
    pub weights: WeightsVisibility,
}

/// Reads a field as itself: with it, serde refuses a missing `Option`
/// field instead of reading it as `None`.
fn required<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d)
}

/// How a training proof publishes the trained weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsVisibility {
    /// The final weights and bias are in the statement.
    #[default]
    Public,
    /// Only `C_W = H(weights, bias, salt_W)` is in the statement; the
    /// weights and `salt_W` stay with the prover (`private/model.json`).
    Committed,
}

/// Settings of a training run, valid by construction: made only by
/// [`Recipe::new`], [`Recipe::try_from`] or [`Recipe::altered`], each of
/// which checks every limit, and deserialized only through the same check,
/// so a recipe read from an untrusted file is valid or refused. Its fields
/// read through [`RecipeFields`]; they cannot be changed in place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RecipeFields", into = "RecipeFields")]
pub struct Recipe(RecipeFields);

impl std::ops::Deref for Recipe {
    type Target = RecipeFields;

    fn deref(&self) -> &RecipeFields {
        &self.0
    }
}

impl From<Recipe> for RecipeFields {
    fn from(recipe: Recipe) -> Self {
        recipe.0
    }
}

impl TryFrom<RecipeFields> for Recipe {
    type Error = Error;

    /// Checks every field against the declared limits.
    fn try_from(fields: RecipeFields) -> Result<Self> {
        let recipe = Recipe(fields);
        recipe.validate()?;
        Ok(recipe)
    }
}

/// User-facing knobs with their defaults (the `train` and `prove` flags).
#[derive(Clone, Debug, PartialEq)]
pub struct Hyper {
    pub epochs: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights (0: none).
    pub l2: f64,
    /// Class weights (none, balanced on the training labels, or given).
    pub class_weight: ClassWeight,
    pub batch: usize,
    /// `None`: [`Recipe::new`] takes the largest divisor of the batches per
    /// epoch that keeps a folded step within [`AUTO_ROWS_PER_STEP`] rows,
    /// and the commands then plan it by cost ([`crate::plan::choose`]).
    pub batches_per_step: Option<usize>,
    pub sigmoid: Sigmoid,
    pub format: FixedFormat,
    /// Publish the weights, or only a commitment to them.
    pub weights: WeightsVisibility,
}

impl Default for Hyper {
    fn default() -> Self {
        Self {
            epochs: 10,
            learning_rate: 0.1,
            l2: 0.0,
            class_weight: ClassWeight::None,
            batch: 32,
            batches_per_step: None,
            sigmoid: Sigmoid::Hard4,
            format: FixedFormat::default(),
            weights: WeightsVisibility::Public,
        }
    }
}

impl Hyper {
    /// The knobs that rebuild `recipe` (from a checkpoint or a statement).
    pub fn of(recipe: &Recipe) -> Self {
        Hyper {
            epochs: recipe.epochs,
            learning_rate: recipe.learning_rate,
            l2: recipe.l2,
            class_weight: recipe
                .class_weights
                .map_or(ClassWeight::None, ClassWeight::Given),
            batch: recipe.batch,
            batches_per_step: Some(recipe.batches_per_step),
            sigmoid: recipe.sigmoid,
            format: recipe.format,
            weights: recipe.weights,
        }
    }
}

/// How rows are weighted by class, as asked (scikit-learn's
/// `class_weight`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ClassWeight {
    /// Every row weighs 1.
    #[default]
    None,
    /// `n / (2 n_c)` for class `c`, from the training labels
    /// ([`ClassWeight::resolve`]); the recipe records the two numbers.
    Balanced,
    /// The weights of class 0 and class 1.
    Given([f64; 2]),
}

impl ClassWeight {
    /// The weights of class 0 and 1 for these training labels (`None`:
    /// unweighted), rounded to the recipe's `2^-8`; weights that round to
    /// 1 and 1 are no weighting.
    pub fn resolve(self, labels: &[u8]) -> Result<Option<[f64; 2]>> {
        let given = match self {
            ClassWeight::None => return Ok(None),
            ClassWeight::Given(w) => w,
            ClassWeight::Balanced => {
                let ones = labels.iter().filter(|&&y| y == 1).count();
                let zeros = labels.len() - ones;
                if ones == 0 || zeros == 0 {
                    return Err(Error::InvalidRecipe(
                        "balanced class weights need both classes among the training rows;                          give --class-weight W0,W1 instead"
                            .into(),
                    ));
                }
                let n = labels.len() as f64;
                [n / (2.0 * zeros as f64), n / (2.0 * ones as f64)]
            }
        };
        let scale = f64::from(1u32 << CLASS_WEIGHT_FRAC_BITS);
        let rounded = given.map(|w| (w * scale).round() / scale);
        Ok((rounded != [1.0, 1.0]).then_some(rounded))
    }
}

impl std::str::FromStr for ClassWeight {
    type Err = String;

    /// `balanced`, `none` or `W0,W1`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "balanced" => return Ok(ClassWeight::Balanced),
            "none" => return Ok(ClassWeight::None),
            _ => {}
        }
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        match parts.as_slice() {
            [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(w0), Ok(w1)) => Ok(ClassWeight::Given([w0, w1])),
                _ => Err(format!(
                    "`{s}`: give `balanced`, `none` or two numbers W0,W1 (the weights of class 0 \
                     and class 1)"
                )),
            },
            _ => Err(format!(
                "`{s}`: give `balanced`, `none` or two numbers W0,W1 (the weights of class 0 and \
                 class 1)"
            )),
        }
    }
}

impl Recipe {
    /// Builds and validates a recipe for a dataset of `features` x `rows`.
    /// Balanced class weights must be resolved first
    /// ([`ClassWeight::resolve`], which needs the labels).
    pub fn new(hyper: &Hyper, features: usize, rows: usize) -> Result<Self> {
        let class_weights = match hyper.class_weight {
            ClassWeight::Balanced => {
                return Err(Error::InvalidRecipe(
                    "balanced class weights are resolved from the training labels before the \
                     recipe is built"
                        .into(),
                ))
            }
            other => other.resolve(&[])?,
        };
        let mut fields = RecipeFields {
            version: RECIPE_VERSION,
            features,
            rows,
            batch: hyper.batch,
            batches_per_step: hyper.batches_per_step.unwrap_or(1),
            epochs: hyper.epochs,
            learning_rate: hyper.learning_rate,
            l2: hyper.l2,
            class_weights,
            format: hyper.format,
            sigmoid: hyper.sigmoid,
            weights: hyper.weights,
        };
        if hyper.batches_per_step.is_none() && fields.batch > 0 && fields.batch <= fields.rows {
            fields.batches_per_step = Recipe(fields.clone()).auto_batches_per_step();
        }
        Recipe::try_from(fields)
    }

    /// This recipe with `edit` applied to its fields, checked again.
    pub fn altered(&self, edit: impl FnOnce(&mut RecipeFields)) -> Result<Self> {
        let mut fields = self.0.clone();
        edit(&mut fields);
        Recipe::try_from(fields)
    }

    /// The largest divisor `K` of the batches per epoch with
    /// `K * B <= AUTO_ROWS_PER_STEP` and within [`MAX_BATCH_CELLS`].
    fn auto_batches_per_step(&self) -> usize {
        let per_epoch = self.batches_per_epoch();
        (1..=per_epoch)
            .filter(|k| per_epoch.is_multiple_of(*k))
            .filter(|k| k * self.batch <= AUTO_ROWS_PER_STEP.max(self.batch))
            .filter(|k| k * self.batch * (self.features + 1) <= MAX_BATCH_CELLS)
            .max()
            .unwrap_or(1)
    }

    /// Checks every field against the declared limits (in the order that
    /// makes the derived counts safe to compute).
    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidRecipe(m));
        validate_head(
            ("recipe", self.version, RECIPE_VERSION),
            &self.format,
            self.features,
        )?;
        if !(1..=MAX_ROWS).contains(&self.rows) {
            return bad(format!(
                "training rows must be in 1..={MAX_ROWS}, got {}",
                self.rows
            ));
        }
        if !(1..=MAX_BATCH).contains(&self.batch) {
            return bad(format!(
                "batch size must be in 1..={MAX_BATCH}, got {}",
                self.batch
            ));
        }
        if !self.batch.is_multiple_of(BLOCK_ROWS) {
            return bad(format!(
                "batch size must be a multiple of {BLOCK_ROWS} (rows are committed in blocks of {BLOCK_ROWS}), got {}",
                self.batch
            ));
        }
        if self.batch > self.rows {
            return bad(format!(
                "batch size {} is larger than the {} training rows; use --batch {} or less",
                self.batch, self.rows, self.rows
            ));
        }
        if self.batches_per_step == 0
            || !self
                .batches_per_epoch()
                .is_multiple_of(self.batches_per_step)
        {
            return bad(format!(
                "batches per step must divide the {} batches of an epoch, got {}",
                self.batches_per_epoch(),
                self.batches_per_step
            ));
        }
        let cells = self.batches_per_step * self.batch * (self.features + 1);
        if cells > MAX_BATCH_CELLS {
            return bad(format!(
                "batches per step x batch x (features + 1) = {cells} exceeds {MAX_BATCH_CELLS}; use a smaller --batch or --batches-per-step"
            ));
        }
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return bad(format!(
                "epochs must be in 1..={MAX_EPOCHS}, got {}",
                self.epochs
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= MAX_LEARNING_RATE) {
            return bad(format!(
                // Debug prints 1e-300 as such, where Display writes 300 zeros.
                "learning rate must be in (0, {MAX_LEARNING_RATE}], got {:?}",
                self.learning_rate
            ));
        }
        if !(self.l2 >= 0.0 && self.l2 * self.learning_rate <= 1.0) {
            return bad(format!(
                "the L2 penalty must be at least 0 with lr x l2 at most 1 (a weight may not \
                 shrink past 0 in one step), got --l2 {:?} at --lr {:?}",
                self.l2, self.learning_rate
            ));
        }
        if self.l2 > 0.0 && self.l2_step() == 0 {
            return bad(format!(
                "the L2 penalty {:?} x learning rate {:?} rounds to zero at 2^-{} (weights) x \
                 2^-{} (features); raise --l2 or use more fractional bits",
                self.l2, self.learning_rate, self.format.frac_bits, self.format.feature_frac_bits
            ));
        }
        if let Some(weights) = self.class_weights {
            let scale = f64::from(1u32 << CLASS_WEIGHT_FRAC_BITS);
            for (class, w) in weights.into_iter().enumerate() {
                if !(w > 0.0 && w <= MAX_CLASS_WEIGHT && (w * scale).fract() == 0.0) {
                    return bad(format!(
                        "the weight of class {class} must be a multiple of 2^-{CLASS_WEIGHT_FRAC_BITS} \
                         in (0, {MAX_CLASS_WEIGHT}], got {w:?}; give --class-weight W0,W1 within it"
                    ));
                }
            }
        }
        if self.eta_full() == 0 {
            return bad(format!(
                "learning rate {:?} / batch {} rounds to zero with {} fractional bits; raise --lr",
                self.learning_rate, self.batch, self.format.frac_bits
            ));
        }
        Ok(())
    }

    /// The recipe in one line, for people.
    pub fn summary(&self) -> String {
        format!(
            "{} rows x {} features, batch {} ({} a step), {} epochs, learning rate {}{}, \
             sigmoid {}, weights at 2^-{} ({} integer bits), features at 2^-{}, {} weights, \
             recipe v{}",
            self.rows,
            self.features,
            self.batch,
            self.batches_per_step,
            self.epochs,
            self.learning_rate,
            match (self.l2 > 0.0, self.class_weights) {
                (false, None) => String::new(),
                (true, None) => format!(", L2 {}", self.l2),
                (false, Some([w0, w1])) => format!(", class weights {w0} and {w1}"),
                (true, Some([w0, w1])) => format!(", L2 {}, class weights {w0} and {w1}", self.l2),
            },
            self.sigmoid,
            self.format.frac_bits,
            self.format.weight_int_bits,
            self.format.feature_frac_bits,
            match self.weights {
                WeightsVisibility::Public => "public",
                WeightsVisibility::Committed => "committed",
            },
            self.version
        )
    }

    /// Batches per epoch, `ceil(n / B)`.
    pub fn batches_per_epoch(&self) -> usize {
        self.rows.div_ceil(self.batch)
    }

    /// Rows in the last batch of an epoch (`B` when `B` divides `n`).
    pub fn last_batch_rows(&self) -> usize {
        self.rows - (self.batches_per_epoch() - 1) * self.batch
    }

    /// Gradient steps (mini-batches) of the whole run.
    pub fn total_batches(&self) -> usize {
        self.batches_per_epoch() * self.epochs
    }

    /// Folded Nova steps, each `batches_per_step` mini-batches.
    pub fn steps_per_epoch(&self) -> usize {
        self.batches_per_epoch() / self.batches_per_step
    }

    /// Folded Nova steps of the whole run.
    pub fn total_steps(&self) -> usize {
        self.steps_per_epoch() * self.epochs
    }

    /// `round(lr / rows * 2^F)`: the step size of a batch of `rows` rows, so
    /// that the update is `floor(eta * G / 2^(2F))` with `G` the gradient sum.
    fn eta_for(&self, rows: usize) -> i64 {
        (self.learning_rate / rows as f64 * self.format.one() as f64).round() as i64
    }

    /// A field element that stands for the whole recipe: sha256 of its
    /// canonical encoding (bincode 2), cut to 248 bits. The circuit fixes a
    /// variable to it, so the parameter digest binds every field of the
    /// recipe, including those (such as the exact learning rate) that reach
    /// the arithmetic only through rounded constants.
    pub fn tag(&self) -> crate::fixed::Scalar {
        crate::ivc::domain_tag(b"", self)
    }

    /// `round(lr * l2 * 2^(F+Fx))`: the L2 term of a weight's update is
    /// `l2_step * w`, under the same shift as `eta * G` (so the update is
    /// `floor((eta G + l2_step w) / 2^(F+Fx))`, one truncation).
    pub fn l2_step(&self) -> i64 {
        let scale = (self.format.frac_bits + self.format.feature_frac_bits) as i32;
        (self.learning_rate * self.l2 * 2f64.powi(scale)).round() as i64
    }

    /// The class weights as integers at `2^-Fc` and `Fc`: `(c_0, c_1,
    /// Fc)`, `(1, 1, 0)` unweighted. A row's error is `c_y (s - y 2^F)`
    /// and the update's truncation is by `2^(F+Fx+Fc)`.
    pub fn class_scale(&self) -> (i64, i64, u32) {
        match self.class_weights {
            None => (1, 1, 0),
            Some([w0, w1]) => {
                let scale = f64::from(1u32 << CLASS_WEIGHT_FRAC_BITS);
                (
                    (w0 * scale).round() as i64,
                    (w1 * scale).round() as i64,
                    CLASS_WEIGHT_FRAC_BITS,
                )
            }
        }
    }

    /// The shift of a weight's update: `F + Fx`, plus `Fc` with class
    /// weights.
    pub fn update_shift(&self) -> u32 {
        self.format.frac_bits + self.format.feature_frac_bits + self.class_scale().2
    }

    /// The L2 term's constant at the update's shift: `l2_step * 2^Fc`.
    pub fn l2_at_shift(&self) -> i64 {
        self.l2_step() << self.class_scale().2
    }

    /// Step size of a full batch.
    pub fn eta_full(&self) -> i64 {
        self.eta_for(self.batch)
    }

    /// Step size of the last batch of an epoch (averaged over its own size).
    pub fn eta_last(&self) -> i64 {
        self.eta_for(self.last_batch_rows())
    }
}

/// The checks every spec (a training recipe, an inference spec) starts
/// with: its encoding version (`(name, version, supported)`), its
/// fixed-point format and its feature count.
pub(crate) fn validate_head(
    (name, version, supported): (&str, u32, u32),
    format: &FixedFormat,
    features: usize,
) -> Result<()> {
    if version != supported {
        return Err(Error::InvalidRecipe(format!(
            "{name} version {version} is not supported (this build reads version {supported})"
        )));
    }
    format.validate()?;
    if !(1..=MAX_FEATURES).contains(&features) {
        return Err(Error::InvalidRecipe(format!(
            "feature count must be in 1..={MAX_FEATURES}, got {features}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe() -> Recipe {
        Recipe::new(&Hyper::default(), 48, 800).unwrap()
    }

    #[test]
    fn derived_counts() {
        let r = recipe();
        assert_eq!(r.batches_per_epoch(), 25);
        assert_eq!(
            r.batches_per_step, 5,
            "largest divisor of 25 within 256 rows"
        );
        assert_eq!(r.steps_per_epoch(), 5);
        assert_eq!(r.last_batch_rows(), 32);
        assert_eq!(r.total_batches(), 250);
        assert_eq!(r.total_steps(), 50);
        let r = Recipe::new(&Hyper::default(), 30, 455).unwrap();
        assert_eq!(r.batches_per_epoch(), 15);
        assert_eq!(r.batches_per_step, 5);
        assert_eq!(r.last_batch_rows(), 7);
        let one = Hyper {
            batches_per_step: Some(1),
            ..Hyper::default()
        };
        assert_eq!(Recipe::new(&one, 30, 455).unwrap().total_steps(), 150);
        let bad = Hyper {
            batches_per_step: Some(4),
            ..Hyper::default()
        };
        assert!(Recipe::new(&bad, 30, 455).is_err(), "4 does not divide 15");
        assert_eq!(r.eta_full(), 205); // 0.1 / 32 * 65536 = 204.8
        assert_eq!(r.eta_last(), 936); // 0.1 / 7 * 65536 = 936.2
    }

    #[test]
    fn limits_are_enforced() {
        type Edit = fn(&mut RecipeFields);
        let edits: [Edit; 14] = [
            |r| r.version = RECIPE_VERSION + 1,
            // A recipe of version 1 (before the weights visibility) is refused.
            |r| r.version = 1,
            |r| r.features = 0,
            |r| r.features = MAX_FEATURES + 1,
            |r| r.batch = 0,
            |r| r.batch = 801,
            |r| r.batch = 12,
            |r| r.batches_per_step = 0,
            |r| r.batches_per_step = 3,
            |r| r.epochs = 0,
            |r| r.learning_rate = f64::NAN,
            |r| r.learning_rate = -1.0,
            |r| r.learning_rate = 1e-9,
            |r| r.rows = 0,
        ];
        for edit in edits {
            let mut fields = RecipeFields::from(recipe());
            edit(&mut fields);
            assert!(recipe().altered(edit).is_err(), "{fields:?}");
            // Nor can a file smuggle it in: deserializing checks the same.
            let json = serde_json::to_string(&fields).unwrap();
            assert!(serde_json::from_str::<Recipe>(&json).is_err(), "{json}");
        }
    }

    #[test]
    fn a_recipe_serializes_as_its_fields() {
        // The tag (bound in the circuit) hashes this encoding: wrapping the
        // fields must not change a byte of it.
        let r = recipe();
        let config = bincode::config::standard();
        assert_eq!(
            bincode::serde::encode_to_vec(&r, config).unwrap(),
            bincode::serde::encode_to_vec(RecipeFields::from(r.clone()), config).unwrap()
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Recipe>(&json).unwrap(), r);
    }
}
