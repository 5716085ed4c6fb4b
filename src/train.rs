//! The native reference trainer (fixed point, bit for bit what the circuit
//! proves) and a float trainer with the same recipe, for comparison.
//!
//! Recipe: weights and bias start at zero; rows are visited in file order in
//! batches of `B`; the last batch of an epoch holds the remaining
//! `n - (ceil(n/B) - 1) * B` rows and its gradient is averaged over its own
//! size (no row is dropped). One step, in integers scaled by `2^F`:
//!
//! ```text
//! z_i  = floor(sum_j w_j x_ij / 2^Fx) + b     (features scaled by 2^Fx)
//! s_i  = sigmoid(z_i)                       in [0, 2^F]
//! e_i  = c_(y_i) (s_i - y_i * 2^F)
//! G_j  = sum_i e_i x_ij,   G_b = sum_i e_i * 2^Fx
//! w_j -= floor((eta * G_j + k w_j) / 2^S),  b -= floor(eta * G_b / 2^S)
//! ```
//!
//! with `eta = round(lr / rows_in_batch * 2^F)`, the class weights `c_0,
//! c_1` as integers at `2^-Fc` (1 and 1 with `Fc = 0` unweighted; see
//! [`Recipe::class_scale`]), the shift `S = F + Fx + Fc` and the L2 step `k
//! = round(lr * l2 * 2^(F+Fx)) * 2^Fc` (0 without a penalty; never on the
//! bias).

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, FixedDataset, Normalizer};
use crate::error::{Error, Result};
use crate::fixed::{floor_shift, FixedFormat};
use crate::recipe::Recipe;

/// Fixed-point weights and bias, scaled by `2^F`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Weights {
    pub w: Vec<i64>,
    pub b: i64,
}

impl Weights {
    /// All zero: the recipe's starting point.
    pub fn zero(features: usize) -> Self {
        Weights {
            w: vec![0; features],
            b: 0,
        }
    }

    /// Weights and bias as real numbers.
    pub fn to_f64(&self, format: &FixedFormat) -> (Vec<f64>, f64) {
        (
            self.w.iter().map(|&w| format.to_f64(w)).collect(),
            format.to_f64(self.b),
        )
    }

    /// sha256 of the weights then the bias, each as i64 little-endian: a
    /// short name for a model that people can compare.
    pub fn sha256_hex(&self) -> String {
        let bytes: Vec<u8> = self
            .w
            .iter()
            .chain(std::iter::once(&self.b))
            .flat_map(|v| v.to_le_bytes())
            .collect();
        crate::artifact::sha256_hex(&bytes)
    }
}

/// A weight or bias outside the range its format holds, named by field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} is {value}, outside the range [-2^{bits}, 2^{bits}) that the circuit holds")]
pub struct OutOfRange {
    /// `weight i` or `bias`.
    pub field: String,
    /// The fixed-point value, scaled by `2^F`.
    pub value: i64,
    /// `F + cw`: the range is `[-2^bits, 2^bits)`.
    pub bits: u32,
}

/// Weights and bias each inside `[-2^(F+cw), 2^(F+cw))` of their format:
/// the only values the circuit's state can hold, and so the only ones that
/// can be packed into `z` or committed to as `C_W` (SOUNDNESS 16 and 19).
///
/// It can only be built by [`BoundedWeights::new`] (or the zero weights),
/// which checks every value: a model file, a statement or a checkpoint is
/// parsed into this type once, and [`BoundedWeights::packed`] and
/// [`crate::circuit::ModelCommitment::of`] take nothing else. A weight
/// outside the range would let a carry between two packed neighbours
/// (`w_k + 2^bits`, `w_(k+1) - 1`) give the same packed elements, and so
/// the same `C_W`, as other weights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundedWeights {
    weights: Weights,
    format: FixedFormat,
}

impl BoundedWeights {
    /// Checks every weight and the bias against `format`'s range.
    pub fn new(weights: Weights, format: &FixedFormat) -> std::result::Result<Self, OutOfRange> {
        let half = format.weight_half_range();
        let named = weights
            .w
            .iter()
            .enumerate()
            .map(|(i, &v)| (Some(i), v))
            .chain(std::iter::once((None, weights.b)));
        for (index, value) in named {
            if !(-half..half).contains(&value) {
                return Err(OutOfRange {
                    field: index.map_or_else(|| "bias".to_string(), |i| format!("weight {i}")),
                    value,
                    bits: format.frac_bits + format.weight_int_bits,
                });
            }
        }
        Ok(BoundedWeights {
            weights,
            format: *format,
        })
    }

    /// All zero: in range in every format.
    pub fn zero(features: usize, format: &FixedFormat) -> Self {
        BoundedWeights {
            weights: Weights::zero(features),
            format: *format,
        }
    }

    /// The weights (read only: a changed value would need the check again).
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The format whose range the weights are in.
    pub fn format(&self) -> &FixedFormat {
        &self.format
    }

    /// The plain weights, for code that computes new ones from them.
    pub fn into_weights(self) -> Weights {
        self.weights
    }

    /// The weights then the bias, packed into field elements (native twin
    /// of the circuit's packing, [`crate::circuit::WeightPacking`]).
    pub fn packed(&self) -> Vec<crate::fixed::Scalar> {
        crate::circuit::WeightPacking::for_shape(self.weights.w.len(), &self.format).pack(self)
    }
}

impl std::ops::Deref for BoundedWeights {
    type Target = Weights;
    fn deref(&self) -> &Weights {
        &self.weights
    }
}

/// `z = floor(w . x / 2^Fx) + b`, with `feature_frac_bits` = `Fx`.
pub fn logit(weights: &Weights, row: &[i64], feature_frac_bits: u32) -> i64 {
    let dot: i128 = weights
        .w
        .iter()
        .zip(row)
        .map(|(&w, &x)| i128::from(w) * i128::from(x))
        .sum();
    floor_shift(dot, feature_frac_bits) as i64 + weights.b
}

/// The values of one gradient step that the step circuit's witness takes
/// from the native trainer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepTrace {
    /// `z_i` of each row.
    pub logits: Vec<i64>,
    /// `G_j = sum_i e_i x_ij`, scaled by `2^(F+Fx)`.
    pub grads: Vec<i128>,
    /// `G_b = sum_i e_i * 2^Fx`, scaled by `2^(F+Fx)`.
    pub grad_bias: i128,
    /// The weights after the update.
    pub next: Weights,
}

/// One gradient step on a batch, with its trace (the new weights are its
/// `next`); `eta` is the batch's step size.
pub fn step_trace(
    recipe: &Recipe,
    weights: &Weights,
    rows: &[Vec<i64>],
    labels: &[u8],
    eta: i64,
) -> Result<StepTrace> {
    let f = recipe.format.frac_bits;
    let fx = recipe.format.feature_frac_bits;
    let one = recipe.format.one();
    let (c0, c1, _) = recipe.class_scale();
    let shift = recipe.update_shift();
    let mut trace = StepTrace {
        logits: Vec::with_capacity(rows.len()),
        grads: vec![0i128; weights.w.len()],
        grad_bias: 0,
        next: weights.clone(),
    };
    for (row, &y) in rows.iter().zip(labels) {
        let z = logit(weights, row, fx);
        let s = recipe.sigmoid.eval_fixed(z, f);
        let e = (s - i64::from(y) * one) * if y == 1 { c1 } else { c0 };
        for (g, &x) in trace.grads.iter_mut().zip(row) {
            *g += i128::from(e) * i128::from(x);
        }
        trace.grad_bias += i128::from(e) * i128::from(recipe.format.feature_one());
        trace.logits.push(z);
    }
    let half = recipe.format.weight_half_range();
    // `l2`: the L2 step for a weight, 0 for the bias.
    let update = |w: i64, g: i128, l2: i64| -> Result<i64> {
        let next =
            w - floor_shift(i128::from(eta) * g + i128::from(l2) * i128::from(w), shift) as i64;
        if !(-half..half).contains(&next) {
            return Err(Error::Diverged(format!(
                "a weight reached {:.3}, outside the declared range ±{}; lower --lr",
                recipe.format.to_f64(next),
                1u64 << recipe.format.weight_int_bits
            )));
        }
        Ok(next)
    };
    trace.next = Weights {
        w: weights
            .w
            .iter()
            .zip(&trace.grads)
            .map(|(&w, &g)| update(w, g, recipe.l2_at_shift()))
            .collect::<Result<_>>()?,
        b: update(weights.b, trace.grad_bias, 0)?,
    };
    Ok(trace)
}

/// The rows of batch `index` within an epoch and its step size.
pub fn batch_range(recipe: &Recipe, index: usize) -> (std::ops::Range<usize>, i64) {
    let start = index * recipe.batch;
    let end = (start + recipe.batch).min(recipe.rows);
    let eta = if index + 1 == recipe.batches_per_epoch() {
        recipe.eta_last()
    } else {
        recipe.eta_full()
    };
    (start..end, eta)
}

/// Runs `batches` gradient steps from `start`, beginning at global batch
/// `first` (so a run can continue mid-epoch).
pub fn train_steps(
    recipe: &Recipe,
    data: &FixedDataset,
    start: &Weights,
    first: usize,
    batches: usize,
) -> Result<Weights> {
    let mut weights = start.clone();
    for global in first..first + batches {
        let (range, eta) = batch_range(recipe, global % recipe.batches_per_epoch());
        let (rows, labels) = (&data.rows[range.clone()], &data.labels[range]);
        weights = step_trace(recipe, &weights, rows, labels, eta)?.next;
    }
    Ok(weights)
}

/// The whole recipe from zero weights.
pub fn train_fixed(recipe: &Recipe, data: &FixedDataset) -> Result<Weights> {
    check_shape(recipe, data)?;
    train_steps(
        recipe,
        data,
        &Weights::zero(recipe.features),
        0,
        recipe.total_batches(),
    )
}

/// Checks that `data` has the recipe's shape.
pub fn check_shape(recipe: &Recipe, data: &FixedDataset) -> Result<()> {
    if data.len() != recipe.rows || data.rows.iter().any(|r| r.len() != recipe.features) {
        return Err(Error::InvalidRecipe(format!(
            "the data has {} rows of {} features but the recipe declares {} x {}",
            data.len(),
            data.features(),
            recipe.rows,
            recipe.features
        )));
    }
    Ok(())
}

/// Accuracy of fixed-point weights on quantized rows (predict 1 when `z >= 0`).
pub fn accuracy_fixed(weights: &Weights, data: &FixedDataset, frac_bits: u32) -> Option<f64> {
    if data.is_empty() {
        return None;
    }
    let correct = data
        .rows
        .iter()
        .zip(&data.labels)
        .filter(|(row, &y)| (logit(weights, row, frac_bits) >= 0) == (y == 1))
        .count();
    Some(correct as f64 / data.len() as f64)
}

/// The confusion counts of a classifier at the decision `z >= 0`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Predicted 1, label 1.
    pub tp: u64,
    /// Predicted 1, label 0.
    pub fp: u64,
    /// Predicted 0, label 0.
    pub tn: u64,
    /// Predicted 0, label 1.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Confusion {
    /// Counts one row.
    pub fn add(&mut self, predicted: bool, label: bool) {
        match (predicted, label) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    /// `[TP, FP, TN, FN]`, the order of the evaluation circuit's state.
    pub fn as_array(&self) -> [u64; 4] {
        [self.tp, self.fp, self.tn, self.fn_]
    }

    /// Rows counted (saturating: counts read from a file may be anything).
    pub fn total(&self) -> u64 {
        self.as_array()
            .iter()
            .fold(0u64, |a, &c| a.saturating_add(c))
    }

    /// `(TP + TN) / n`, `None` for no rows.
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.tp.saturating_add(self.tn), self.total())
    }

    /// `TP / (TP + FP)`, `None` when nothing was predicted 1.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp.saturating_add(self.fp))
    }

    /// `TP / (TP + FN)`, `None` when no label is 1.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp.saturating_add(self.fn_))
    }

    /// `TN / (TN + FP)`, `None` when no label is 0.
    pub fn specificity(&self) -> Option<f64> {
        ratio(self.tn, self.tn.saturating_add(self.fp))
    }

    /// `FP / (FP + TN)` (the false-positive rate), `None` when no label is
    /// 0.
    pub fn false_positive_rate(&self) -> Option<f64> {
        ratio(self.fp, self.fp.saturating_add(self.tn))
    }

    /// `(TP + FP) / n`: the share of rows predicted 1 (approved), `None`
    /// for no rows.
    pub fn positive_rate(&self) -> Option<f64> {
        ratio(self.tp.saturating_add(self.fp), self.total())
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The confusion counts of fixed-point weights on quantized rows (predict
/// 1 when `z >= 0`), the native twin of the evaluation circuit.
pub fn confusion_fixed(
    weights: &Weights,
    data: &FixedDataset,
    feature_frac_bits: u32,
) -> Confusion {
    let mut c = Confusion::default();
    for (row, &y) in data.rows.iter().zip(&data.labels) {
        c.add(logit(weights, row, feature_frac_bits) >= 0, y == 1);
    }
    c
}

/// Float weights and bias.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloatWeights {
    pub w: Vec<f64>,
    pub b: f64,
}

/// Mini-batch gradient descent in f64 with the true sigmoid, on z-scored rows
/// (not clamped): the float reference of `datasets/README.md`, in ndarray's
/// matrix form (`z = X_b w + b`, `g = X_b^T (sigmoid(z) - y) / |b|`).
pub fn train_float(recipe: &Recipe, train: &Dataset, norm: &Normalizer) -> FloatWeights {
    use ndarray::{s, Array1, Array2};
    let normalized: Vec<Vec<f64>> = train.rows.iter().map(|r| norm.apply(r)).collect();
    let x = Array2::from_shape_fn((normalized.len(), recipe.features), |(i, j)| {
        normalized[i].get(j).copied().unwrap_or(0.0)
    });
    let y: Array1<f64> = train.labels.iter().map(|&l| f64::from(l)).collect();
    let mut w = Array1::<f64>::zeros(recipe.features);
    let mut b = 0.0;
    for _ in 0..recipe.epochs {
        for index in 0..recipe.batches_per_epoch() {
            let (range, _) = batch_range(recipe, index);
            let size = range.len() as f64;
            let xb = x.slice(s![range.clone(), ..]);
            let yb = y.slice(s![range]);
            let e = (xb.dot(&w) + b).mapv(|z| 1.0 / (1.0 + (-z).exp())) - yb;
            // Each row's error scaled by its class's weight.
            let e = match recipe.class_weights {
                Some([w0, w1]) => e * yb.mapv(|y| if y == 1.0 { w1 } else { w0 }),
                None => e,
            };
            let penalty = &w * recipe.l2;
            w = w - (xb.t().dot(&e) / size + penalty) * recipe.learning_rate;
            b -= recipe.learning_rate * e.sum() / size;
        }
    }
    FloatWeights { w: w.to_vec(), b }
}

/// Accuracy of float weights on raw rows normalized by `norm`.
pub fn accuracy_float(weights: &FloatWeights, data: &Dataset, norm: &Normalizer) -> Option<f64> {
    if data.rows.is_empty() {
        return None;
    }
    let correct = data
        .rows
        .iter()
        .zip(&data.labels)
        .filter(|(row, &y)| {
            let x = norm.apply(row);
            let z: f64 = weights.w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + weights.b;
            (z >= 0.0) == (y == 1)
        })
        .count();
    Some(correct as f64 / data.rows.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;

    fn toy() -> (Recipe, FixedDataset) {
        let one = FixedFormat::default().feature_one();
        let rows: Vec<Vec<i64>> = (0..20)
            .map(|i| vec![(i - 10) * one / 6, (i % 3 - 1) * one])
            .collect();
        let labels = (0..20).map(|i| u8::from(i >= 10)).collect();
        let hyper = Hyper {
            batch: 8,
            epochs: 3,
            ..Hyper::default()
        };
        (
            Recipe::new(&hyper, 2, 20).unwrap(),
            FixedDataset { rows, labels },
        )
    }

    #[test]
    fn training_is_deterministic_and_learns() {
        let (recipe, data) = toy();
        let a = train_fixed(&recipe, &data).unwrap();
        let b = train_fixed(&recipe, &data).unwrap();
        assert_eq!(a, b);
        assert!(a.w[0] > 0, "the first feature separates the classes: {a:?}");
        assert!(accuracy_fixed(&a, &data, recipe.format.feature_frac_bits).unwrap() >= 0.9);
    }

    #[test]
    fn steps_compose() {
        let (recipe, data) = toy();
        let all = train_fixed(&recipe, &data).unwrap();
        let zero = Weights::zero(2);
        let first = train_steps(&recipe, &data, &zero, 0, 4).unwrap();
        let rest = train_steps(&recipe, &data, &first, 4, recipe.total_batches() - 4).unwrap();
        assert_eq!(all, rest);
    }

    #[test]
    fn last_partial_batch_uses_its_own_size() {
        let (recipe, _) = toy();
        assert_eq!(recipe.last_batch_rows(), 4);
        assert_eq!(batch_range(&recipe, 2), (16..20, recipe.eta_last()));
        assert_eq!(batch_range(&recipe, 0), (0..8, recipe.eta_full()));
    }

    #[test]
    fn divergence_is_reported() {
        let (recipe, data) = toy();
        let recipe = recipe
            .altered(|r| {
                r.learning_rate = 16.0;
                r.epochs = 200;
                r.format.weight_int_bits = 0;
            })
            .unwrap();
        assert!(matches!(
            train_fixed(&recipe, &data),
            Err(Error::Diverged(_))
        ));
    }
}
