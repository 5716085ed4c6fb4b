//! The inference step circuits: what a trained model *does*, proven with
//! the same gadgets as training.
//!
//! # Evaluation (`Task::Evaluate(split)`)
//!
//! `z = [model, h, C_split, step, TP, FP, TN, FN]`. Each step reads `R`
//! rows of the committed split (the spec's `rows_per_step`, a multiple of
//! [`BLOCK_ROWS`]): for each row, the label is a bit and the features are
//! range-checked through their bits, the very bits that extend the block
//! chain `h = H_block(h, bits)` (so the evaluated rows are the committed
//! rows, block for block as [`crate::commitment::chain`] hashes them); the
//! logit `z = floor(w . x / 2^Fx) + b` is computed and range-checked as in
//! training, and the decision `d = [z >= 0]` is the sign bit of its
//! range check. The counts advance by `m d y`, `m d (1 - y)`, `m (1 - d)
//! (1 - y)`, `m (1 - d) y` with the row mask `m` (0 only for the padding
//! rows of the last step, by the step counter). The last step (`step = S -
//! 1`) seals the chain with the split's domain, the salt and the row count
//! and requires the split's commitment; the chain then resets.
//!
//! # Predictions (`Task::Predict`)
//!
//! `z = [model, h, step]`. Each row's features are range-checked, its logit
//! and decision computed as above, and every block of [`BLOCK_ROWS`] rows
//! extends `h = H_pred(h, feature bits, outputs)` with one output element a
//! row, masked by `m`: with public weights `m (2 (z + 2^(k-1)) + d)`, the
//! logit and the decision; with committed weights `m d`, the decision
//! alone, because exact logits of chosen inputs give the weights back
//! (`d + 1` rows suffice: one at zero gives `b`, one per feature at an end
//! of its range gives `w_j`). The inputs and outputs are public
//! ([`Outputs`]): the verifier recomputes `h` from them natively
//! ([`predict_chain`]).
//!
//! # The model
//!
//! Public weights travel in `z` packed ([`WeightPacking`]) and unchanged:
//! each step unpacks them into bits (the range check) tied to `z`. With
//! committed weights, `z` holds `C_W` unchanged and every step opens it:
//! `H_W(packed weights, salt_W) = C_W`, the training proof's commitment.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, AllocatedBit, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;
use serde::{Deserialize, Serialize};

use super::cost::Scope;
use super::gadgets::{alloc_lin, enforce_eq, enforce_mul, is_zero, mul, Lin, Signed};
use super::{
    alloc_features, alloc_weights, commit_weights, hash, logit_gadget, value_lin, LogitInputs,
    ModelCommitment, ModelPart, WeightPacking,
};
use crate::commitment::{self, Commitment, Salt, Split, BLOCK_DOMAIN, BLOCK_ROWS};
use crate::error::{Error, Result};
use crate::fixed::{from_field, to_field, FixedFormat, Scalar};
use crate::recipe::{WeightsVisibility, MAX_ROWS};
use crate::train::{self, Confusion, Weights};

/// Version of the inference spec (bound in the circuit by its tag).
/// Version 2: with committed weights, a prediction's output is its decision
/// only (version 1 hashed, and published, the exact logit).
pub const INFER_VERSION: u32 = 2;
/// Domain of the predictions' block hash.
pub const PREDICT_DOMAIN: u32 = 0x7072_6431; // "prd1"
/// Most rows one predictions proof takes (they are in its statement).
pub const MAX_PREDICT_ROWS: usize = 4096;
/// Most rows a step reads.
pub const MAX_ROWS_PER_STEP: usize = 1024;
/// Constraints aimed at for one step when the spec chooses `R` itself: the
/// step plus Nova's verifier (about 22,000) stays under `2^16`.
const STEP_BUDGET: usize = 40_000;

/// What an inference proof computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// The confusion counts over a committed split.
    Evaluate(Split),
    /// The decisions (and, with public weights, the logits) on public
    /// inputs.
    Predict,
}

/// What fixes an inference circuit: the task, the model's shape and
/// format, and the rows. Built through [`InferSpec::new`] or read through
/// [`InferSpec::try_from`], which checks every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "InferSpecFields", into = "InferSpecFields")]
pub struct InferSpec {
    pub version: u32,
    pub task: Task,
    pub features: usize,
    pub format: FixedFormat,
    pub weights: WeightsVisibility,
    /// Rows evaluated or predicted.
    pub rows: usize,
    /// Rows a folded step reads (a multiple of [`BLOCK_ROWS`]).
    pub rows_per_step: usize,
}

/// The fields of an [`InferSpec`] as they are written and read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferSpecFields {
    pub version: u32,
    pub task: Task,
    pub features: usize,
    pub format: FixedFormat,
    pub weights: WeightsVisibility,
    pub rows: usize,
    pub rows_per_step: usize,
}

impl From<InferSpec> for InferSpecFields {
    fn from(s: InferSpec) -> Self {
        InferSpecFields {
            version: s.version,
            task: s.task,
            features: s.features,
            format: s.format,
            weights: s.weights,
            rows: s.rows,
            rows_per_step: s.rows_per_step,
        }
    }
}

impl TryFrom<InferSpecFields> for InferSpec {
    type Error = Error;

    fn try_from(f: InferSpecFields) -> Result<Self> {
        let spec = InferSpec {
            version: f.version,
            task: f.task,
            features: f.features,
            format: f.format,
            weights: f.weights,
            rows: f.rows,
            rows_per_step: f.rows_per_step,
        };
        spec.validate()?;
        Ok(spec)
    }
}

impl InferSpec {
    /// The spec of `task` on `rows` rows of a model of `features` weights;
    /// `rows_per_step` chosen by the constraint budget when `None`.
    pub fn new(
        task: Task,
        features: usize,
        format: FixedFormat,
        weights: WeightsVisibility,
        rows: usize,
        rows_per_step: Option<usize>,
    ) -> Result<Self> {
        let mut spec = InferSpec {
            version: INFER_VERSION,
            task,
            features,
            format,
            weights,
            rows,
            rows_per_step: BLOCK_ROWS,
        };
        spec.validate()?;
        spec.rows_per_step = match rows_per_step {
            Some(r) => r,
            None => spec.auto_rows_per_step(),
        };
        spec.validate()?;
        Ok(spec)
    }

    /// A multiple of [`BLOCK_ROWS`] whose step fits the budget, no larger
    /// than the rows rounded up to a block.
    fn auto_rows_per_step(&self) -> usize {
        let f = &self.format;
        let per_row = self.features * (f.feature_bits() as usize + 1)
            + self.logit_bits() as usize
            + f.feature_frac_bits as usize
            + 48;
        let blocks = (STEP_BUDGET / (BLOCK_ROWS * per_row)).max(1);
        let all = self.rows.div_ceil(BLOCK_ROWS);
        blocks.min(all).min(MAX_ROWS_PER_STEP / BLOCK_ROWS) * BLOCK_ROWS
    }

    /// Checks every field against the limits the circuit assumes.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidRecipe(m));
        crate::recipe::validate_head(
            ("inference spec", self.version, INFER_VERSION),
            &self.format,
            self.features,
        )?;
        let max_rows = match self.task {
            Task::Evaluate(_) => MAX_ROWS,
            Task::Predict => MAX_PREDICT_ROWS,
        };
        if !(1..=max_rows).contains(&self.rows) {
            let advice = match self.task {
                Task::Predict if self.rows > 0 => {
                    "; split the inputs into files of at most that many rows, one proof each"
                }
                _ => "",
            };
            return bad(format!(
                "rows must be in 1..={max_rows}, got {}{advice}",
                self.rows
            ));
        }
        let r = self.rows_per_step;
        if r == 0 || !r.is_multiple_of(BLOCK_ROWS) || r > MAX_ROWS_PER_STEP {
            return bad(format!(
                "rows per step must be a multiple of {BLOCK_ROWS} in {BLOCK_ROWS}..={MAX_ROWS_PER_STEP}, got {r}"
            ));
        }
        if r > self.rows.div_ceil(BLOCK_ROWS) * BLOCK_ROWS {
            return bad(format!(
                "rows per step ({r}) exceed the {} rows rounded up to a block; use --rows-per-step {} or less",
                self.rows,
                self.rows.div_ceil(BLOCK_ROWS) * BLOCK_ROWS
            ));
        }
        if r * self.features > crate::recipe::MAX_BATCH_CELLS * 4 {
            return bad(format!(
                "a step of {r} rows of {} features is too large; use a smaller --rows-per-step",
                self.features
            ));
        }
        Ok(())
    }

    /// Folded steps: `ceil(rows / R)`.
    pub fn steps(&self) -> usize {
        self.rows.div_ceil(self.rows_per_step)
    }

    /// Real rows in the last step (the rest is padding).
    pub fn last_step_rows(&self) -> usize {
        self.rows - (self.steps() - 1) * self.rows_per_step
    }

    /// Bits of the range-checked logit.
    pub fn logit_bits(&self) -> u32 {
        self.format.logit_bits(self.features)
    }

    /// How public weights are packed in `z`.
    pub fn packing(&self) -> WeightPacking {
        WeightPacking::for_shape(self.features, &self.format)
    }

    /// Where each part of the state sits in `z`.
    pub fn layout(&self) -> InferLayout {
        let p = match self.weights {
            WeightsVisibility::Public => self.packing().elements,
            WeightsVisibility::Committed => 1,
        };
        match self.task {
            Task::Evaluate(_) => InferLayout {
                model: 0..p,
                hash: p,
                commitment: Some(p + 1),
                step: p + 2,
                counts: Some(p + 3),
                arity: p + 7,
            },
            Task::Predict => InferLayout {
                model: 0..p,
                hash: p,
                commitment: None,
                step: p + 1,
                counts: None,
                arity: p + 2,
            },
        }
    }

    /// A field element naming the spec (sha256 of its encoding under a
    /// domain of its own, so no training recipe shares it).
    pub fn tag(&self) -> Scalar {
        use ff::PrimeField;
        use sha2::Digest;
        let bytes =
            bincode::serde::encode_to_vec(self, bincode::config::standard()).unwrap_or_default();
        let mut h = sha2::Sha256::new();
        h.update(b"foldtrain inference spec");
        h.update(&bytes);
        let digest = h.finalize();
        let mut repr = <Scalar as PrimeField>::Repr::default();
        repr.as_mut()[..31].copy_from_slice(&digest[..31]);
        Option::from(Scalar::from_repr(repr)).unwrap_or_default()
    }

    /// One line for messages.
    pub fn summary(&self) -> String {
        let task = match self.task {
            Task::Evaluate(split) => format!("evaluation on the {} split", split_name(split)),
            Task::Predict => "predictions".into(),
        };
        format!(
            "{task}, {} rows x {} features, {} rows a step, {} weights",
            self.rows,
            self.features,
            self.rows_per_step,
            match self.weights {
                WeightsVisibility::Public => "public",
                WeightsVisibility::Committed => "committed",
            }
        )
    }
}

/// `train` or `test`.
pub fn split_name(split: Split) -> &'static str {
    match split {
        Split::Train => "training",
        Split::Test => "test",
    }
}

impl crate::ivc::Spec for InferSpec {
    type Step = InferStep;

    fn blank(&self) -> InferStep {
        InferStep::blank(Arc::new(self.clone()))
    }

    fn tag(&self) -> Scalar {
        InferSpec::tag(self)
    }

    const KEY_MAGIC: &'static [u8; crate::artifact::MAGIC_LEN] = crate::ivc::keys::INFER_KEY_MAGIC;

    fn kind_name(&self) -> &'static str {
        match self.task {
            Task::Evaluate(_) => "evaluation",
            Task::Predict => "predictions",
        }
    }

    fn summary(&self) -> String {
        InferSpec::summary(self)
    }
}

/// Positions in `z` (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferLayout {
    pub model: std::ops::Range<usize>,
    pub hash: usize,
    /// Evaluation: the split's commitment.
    pub commitment: Option<usize>,
    pub step: usize,
    /// Evaluation: TP, FP, TN, FN from here.
    pub counts: Option<usize>,
    pub arity: usize,
}

/// What `z` shows, as the verifier builds `z_0` and decodes `z_N`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferState {
    pub model: ModelPart,
    pub hash: Scalar,
    /// Evaluation: the split's commitment.
    pub commitment: Option<Commitment>,
    pub step: u64,
    /// Evaluation: the counts so far.
    pub counts: Option<Confusion>,
}

impl InferState {
    /// The state before the first step.
    pub fn initial(spec: &InferSpec, model: ModelPart, commitment: Option<Commitment>) -> Self {
        InferState {
            model,
            hash: Scalar::ZERO,
            commitment,
            step: 0,
            counts: matches!(spec.task, Task::Evaluate(_)).then(Confusion::default),
        }
    }

    /// As field elements, in the order of `z`.
    pub fn to_z(&self, spec: &InferSpec) -> Vec<Scalar> {
        let layout = spec.layout();
        let mut z = vec![Scalar::ZERO; layout.arity];
        match &self.model {
            ModelPart::Weights(w) => z[layout.model.clone()].copy_from_slice(&w.packed()),
            ModelPart::Committed(c) => z[layout.model.start] = c.0,
        }
        z[layout.hash] = self.hash;
        if let (Some(i), Some(c)) = (layout.commitment, self.commitment) {
            z[i] = c.0;
        }
        z[layout.step] = Scalar::from(self.step);
        if let (Some(i), Some(c)) = (layout.counts, self.counts) {
            for (k, v) in c.as_array().into_iter().enumerate() {
                z[i + k] = Scalar::from(v);
            }
        }
        z
    }

    /// Reads `z` back; `None` unless it is canonical (length, weights in
    /// range, counters and counts small).
    pub fn from_z(z: &[Scalar], spec: &InferSpec) -> Option<Self> {
        let layout = spec.layout();
        if z.len() != layout.arity {
            return None;
        }
        let count = |f: &Scalar| from_field(f).and_then(|v| u64::try_from(v).ok());
        let model = match spec.weights {
            WeightsVisibility::Public => ModelPart::Weights(spec.packing().unpack(
                &z[layout.model.clone()],
                spec.features,
                &spec.format,
            )?),
            WeightsVisibility::Committed => {
                ModelPart::Committed(ModelCommitment(z[layout.model.start]))
            }
        };
        let counts = match layout.counts {
            Some(i) => Some(Confusion {
                tp: count(&z[i])?,
                fp: count(&z[i + 1])?,
                tn: count(&z[i + 2])?,
                fn_: count(&z[i + 3])?,
            }),
            None => None,
        };
        Some(InferState {
            model,
            hash: z[layout.hash],
            commitment: layout.commitment.map(|i| Commitment(z[i])),
            step: count(&z[layout.step])?,
            counts,
        })
    }
}

/// One prediction as the model computes it, and as a statement of public
/// weights states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    /// The fixed-point logit, scaled by `2^F`.
    pub logit: i64,
    /// `logit >= 0`.
    pub decision: bool,
}

impl Prediction {
    /// The prediction of `weights` on a quantized row.
    pub fn of(weights: &Weights, row: &[i64], format: &FixedFormat) -> Self {
        let logit = train::logit(weights, row, format.feature_frac_bits);
        Prediction {
            logit,
            decision: logit >= 0,
        }
    }

    /// The element a row's output contributes to the hash with public
    /// weights: `2 (z + 2^(k-1)) + d`; `None` when the logit is outside `k`
    /// signed bits.
    fn element(&self, k: u32) -> Option<Scalar> {
        let offset = 1i128 << (k - 1);
        let shifted = i128::from(self.logit) + offset;
        (0..2 * offset)
            .contains(&shifted)
            .then(|| to_field(2 * shifted + i128::from(self.decision)))
    }

    /// The element this row's output contributes to `spec`'s hash: the
    /// logit and decision with public weights, the decision alone with
    /// committed weights.
    fn element_in(&self, spec: &InferSpec) -> Option<Scalar> {
        match spec.weights {
            WeightsVisibility::Public => self.element(spec.logit_bits()),
            WeightsVisibility::Committed => Some(decision_element(self.decision)),
        }
    }
}

/// The element a decision alone contributes to the hash: `d`.
fn decision_element(decision: bool) -> Scalar {
    Scalar::from(u64::from(decision))
}

/// What a predictions statement publishes of its rows' outputs, in row
/// order. The kind is fixed by the weights' visibility (a statement of the
/// other kind is refused), so a statement of committed weights has no place
/// for a logit: with the weights private, exact logits of chosen inputs
/// would give them back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outputs {
    /// Public weights: each row's logit and decision (anyone can compute
    /// them from the weights).
    Logits(Vec<Prediction>),
    /// Committed weights: each row's decision (`logit >= 0`) and nothing
    /// else of the logit.
    Decisions(Vec<bool>),
}

impl Outputs {
    /// What a statement of `spec` publishes of the model's `predictions`.
    pub fn published(spec: &InferSpec, predictions: &[Prediction]) -> Self {
        match spec.weights {
            WeightsVisibility::Public => Outputs::Logits(predictions.to_vec()),
            WeightsVisibility::Committed => {
                Outputs::Decisions(predictions.iter().map(|p| p.decision).collect())
            }
        }
    }

    /// The weights' visibility whose statements publish this kind.
    pub fn visibility(&self) -> WeightsVisibility {
        match self {
            Outputs::Logits(_) => WeightsVisibility::Public,
            Outputs::Decisions(_) => WeightsVisibility::Committed,
        }
    }

    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            Outputs::Logits(p) => p.len(),
            Outputs::Decisions(d) => d.len(),
        }
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The decisions, in row order.
    pub fn decisions(&self) -> Vec<bool> {
        match self {
            Outputs::Logits(p) => p.iter().map(|p| p.decision).collect(),
            Outputs::Decisions(d) => d.clone(),
        }
    }

    /// The logits, with public weights.
    pub fn logits(&self) -> Option<Vec<i64>> {
        match self {
            Outputs::Logits(p) => Some(p.iter().map(|p| p.logit).collect()),
            Outputs::Decisions(_) => None,
        }
    }

    /// Each row's hash element under `spec`; `None` when the kind is not
    /// the spec's or a logit is outside the circuit's range.
    fn elements(&self, spec: &InferSpec) -> Option<Vec<Scalar>> {
        if self.visibility() != spec.weights {
            return None;
        }
        match self {
            Outputs::Logits(p) => p.iter().map(|p| p.element_in(spec)).collect(),
            Outputs::Decisions(d) => Some(d.iter().map(|&d| decision_element(d)).collect()),
        }
    }
}

/// The bits of a row's shifted features, as the predictions hash them.
fn feature_bits(row: &[i64], format: &FixedFormat) -> Vec<bool> {
    let mut bits = commitment::row_bits(row, 0, format);
    bits.remove(0);
    bits
}

/// `H_pred(h, feature bits, outputs)` of one block, from each row's output
/// element (rows of padding: zeros, and the element 0).
fn predict_block(h: Scalar, rows: &[Vec<i64>], elements: &[Scalar], spec: &InferSpec) -> Scalar {
    let bits: Vec<bool> = rows
        .iter()
        .flat_map(|r| feature_bits(r, &spec.format))
        .collect();
    let mut inputs = vec![h];
    inputs.extend(commitment::pack_bits(&bits));
    inputs.extend_from_slice(elements);
    commitment::poseidon(PREDICT_DOMAIN, &inputs)
}

/// The predictions' final hash over `rows` and their published `outputs`
/// (native twin of the circuit's chain); `None` when the counts differ from
/// the spec's, the outputs are not of the spec's kind, or a row or logit is
/// outside the circuit's ranges.
pub fn predict_chain(spec: &InferSpec, rows: &[Vec<i64>], outputs: &Outputs) -> Option<Scalar> {
    if rows.len() != spec.rows || outputs.len() != spec.rows {
        return None;
    }
    let elements = outputs.elements(spec)?;
    let half = spec.format.feature_half_range();
    if rows
        .iter()
        .any(|r| r.len() != spec.features || r.iter().any(|&x| !(-half..half).contains(&x)))
    {
        return None;
    }
    let mut h = Scalar::ZERO;
    for step in 0..spec.steps() {
        let (step_rows, step_elements) = step_rows(spec, step, rows, &elements);
        for (block, (r, e)) in step_rows
            .chunks(BLOCK_ROWS)
            .zip(step_elements.chunks(BLOCK_ROWS))
            .enumerate()
        {
            if step + 1 < spec.steps() || block * BLOCK_ROWS < spec.last_step_rows() {
                h = predict_block(h, r, e, spec);
            }
        }
    }
    Some(h)
}

/// Step `step`'s rows and output elements, padded with zero rows and
/// zero elements.
fn step_rows(
    spec: &InferSpec,
    step: usize,
    rows: &[Vec<i64>],
    elements: &[Scalar],
) -> (Vec<Vec<i64>>, Vec<Scalar>) {
    let start = step * spec.rows_per_step;
    let end = (start + spec.rows_per_step).min(rows.len());
    let mut r = rows[start..end].to_vec();
    let mut e = elements[start..end].to_vec();
    r.resize(spec.rows_per_step, vec![0; spec.features]);
    e.resize(spec.rows_per_step, Scalar::ZERO);
    (r, e)
}

/// The private inputs of one inference step.
#[derive(Clone, Debug)]
pub struct InferWitness {
    /// The model's weights, and with committed weights the salt of `C_W`.
    pub weights: Weights,
    pub weights_salt: Option<Salt>,
    /// The step's rows, padded to `R` with zero rows.
    pub rows: Vec<Vec<i64>>,
    /// Their labels (evaluation; zeros for predictions and padding).
    pub labels: Vec<u8>,
    /// Evaluation: the split's salt, which the last step's seal takes.
    pub salt: Salt,
}

impl InferWitness {
    /// The witness of step `step` over `rows` (and `labels`, evaluation).
    pub fn of(
        spec: &InferSpec,
        model: &Weights,
        weights_salt: Option<Salt>,
        (rows, labels): (&[Vec<i64>], &[u8]),
        step: usize,
        salt: Salt,
    ) -> Self {
        let start = step * spec.rows_per_step;
        let end = (start + spec.rows_per_step).min(rows.len());
        let mut r = rows[start..end].to_vec();
        let mut y = match labels.is_empty() {
            true => vec![0; end - start],
            false => labels[start..end].to_vec(),
        };
        r.resize(spec.rows_per_step, vec![0; spec.features]);
        y.resize(spec.rows_per_step, 0);
        InferWitness {
            weights: model.clone(),
            weights_salt,
            rows: r,
            labels: y,
            salt,
        }
    }

    fn blank(spec: &InferSpec) -> Self {
        InferWitness {
            weights: Weights::zero(spec.features),
            weights_salt: None,
            rows: vec![vec![0; spec.features]; spec.rows_per_step],
            labels: vec![0; spec.rows_per_step],
            salt: Salt(Scalar::ZERO),
        }
    }
}

/// The native twin of one step from `state`: the counts or outputs and the
/// chain; evaluation's last step checks the seal (the rows must open the
/// commitment) and resets the chain.
pub fn next_state(
    spec: &InferSpec,
    state: &InferState,
    wit: &InferWitness,
    split_rows: usize,
) -> Result<InferState> {
    let step = state.step as usize;
    let last = step + 1 == spec.steps();
    let active = if last {
        spec.last_step_rows()
    } else {
        spec.rows_per_step
    };
    let mut next = state.clone();
    match spec.task {
        Task::Evaluate(split) => {
            let mut counts = state.counts.unwrap_or_default();
            for (row, &y) in wit.rows.iter().zip(&wit.labels).take(active) {
                counts.add(
                    Prediction::of(&wit.weights, row, &spec.format).decision,
                    y == 1,
                );
            }
            let mut h = state.hash;
            for (block, (r, y)) in wit
                .rows
                .chunks(BLOCK_ROWS)
                .zip(wit.labels.chunks(BLOCK_ROWS))
                .enumerate()
            {
                if block * BLOCK_ROWS < active {
                    h = commitment::hash_block(h, r, y, &spec.format);
                }
            }
            next.counts = Some(counts);
            next.hash = h;
            if last {
                let sealed = commitment::seal_split(split, &wit.salt, h, split_rows);
                if Some(sealed) != state.commitment {
                    return Err(Error::Mismatch(format!(
                        "the {} rows do not open the {} commitment",
                        split_name(split),
                        split_name(split)
                    )));
                }
                next.hash = Scalar::ZERO;
            }
        }
        Task::Predict => {
            let elements = (0..spec.rows_per_step)
                .map(|i| match i < active {
                    true => Prediction::of(&wit.weights, &wit.rows[i], &spec.format)
                        .element_in(spec)
                        .ok_or_else(|| {
                            Error::Mismatch("a logit is outside the circuit's range".into())
                        }),
                    false => Ok(Scalar::ZERO),
                })
                .collect::<Result<Vec<_>>>()?;
            let mut h = state.hash;
            for (block, (r, e)) in wit
                .rows
                .chunks(BLOCK_ROWS)
                .zip(elements.chunks(BLOCK_ROWS))
                .enumerate()
            {
                if block * BLOCK_ROWS < active {
                    h = predict_block(h, r, e, spec);
                }
            }
            next.hash = h;
        }
    }
    next.step += 1;
    Ok(next)
}

/// The inference step circuit.
#[derive(Clone, Debug)]
pub struct InferStep {
    pub spec: Arc<InferSpec>,
    pub witness: Arc<InferWitness>,
}

/// One row inside the circuit: the bits a block hashes, and what the row
/// contributes (counts or the output element).
struct RowOut {
    bits: Vec<AllocatedBit>,
    /// Evaluation: `[TP, FP, TN, FN]` increments.
    counts: Option<[Lin; 4]>,
    /// Predictions: `m (2 (z + 2^(k-1)) + d)` with public weights, `m d`
    /// with committed weights.
    output: Option<AllocatedNum<Scalar>>,
}

impl InferStep {
    /// A circuit with a blank witness: enough for the shape.
    pub fn blank(spec: Arc<InferSpec>) -> Self {
        let witness = Arc::new(InferWitness::blank(&spec));
        InferStep { spec, witness }
    }

    /// The weights from `z`'s model part (bits tied to the packed elements,
    /// or opening `C_W`); their values, weights then bias.
    fn incoming_weights<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        model: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<Lin>, SynthesisError> {
        let spec = &*self.spec;
        let mut cs = cs.namespace(|| Scope::Unpack.to_string());
        let (values, packed) =
            alloc_weights(&mut cs, spec.packing(), &spec.format, &self.witness.weights)?;
        match spec.weights {
            WeightsVisibility::Public => {
                for (e, (lin, element)) in packed.iter().zip(model).enumerate() {
                    enforce_eq(
                        cs.namespace(|| format!("element {e}")),
                        lin,
                        &value_lin(element),
                    );
                }
            }
            WeightsVisibility::Committed => {
                let salt = self.witness.weights_salt.unwrap_or(Salt(Scalar::ZERO));
                let salt = AllocatedNum::alloc(cs.namespace(|| "weights salt"), || Ok(salt.0))?;
                let opened = commit_weights(&mut cs.namespace(|| "open"), &packed, &salt)?;
                enforce_eq(
                    cs.namespace(|| "opens C_W"),
                    &value_lin(&opened),
                    &value_lin(&model[0]),
                );
            }
        }
        Ok(values)
    }

    /// Row `i`: its inputs (label bit for evaluation, features), logit and
    /// decision, then its counts or its output, masked by `mask` when the
    /// row may be padding.
    fn row<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        i: usize,
        values: &[Lin],
        mask: Option<&Lin>,
    ) -> Result<RowOut, SynthesisError> {
        let spec = &*self.spec;
        let wit = &*self.witness;
        let mut cs = cs.namespace(|| Scope::Row(i).to_string());
        let evaluate = matches!(spec.task, Task::Evaluate(_));
        let y = if evaluate {
            let label = wit.labels[i] == 1;
            Some(AllocatedBit::alloc(
                cs.namespace(|| Scope::Label.to_string()),
                Some(label),
            )?)
        } else {
            None
        };
        let (x, feature_bits) = alloc_features(&mut cs, &spec.format, &wit.rows[i])?;
        let native = Prediction::of(&wit.weights, &wit.rows[i], &spec.format);
        let k = spec.logit_bits();
        let logit = logit_gadget(
            &mut cs,
            LogitInputs {
                values,
                x: &x,
                weights: &wit.weights,
                row: &wit.rows[i],
                z: native.logit,
            },
            k,
            spec.format.feature_frac_bits,
        )?;
        let mut bits: Vec<AllocatedBit> = y.iter().cloned().collect();
        bits.extend(feature_bits);
        let d = decision(&logit, k);
        match y {
            Some(y) => {
                let counts = self.counts(&mut cs, &d, &Lin::bit(&y), mask)?;
                Ok(RowOut {
                    bits,
                    counts: Some(counts),
                    output: None,
                })
            }
            None => {
                let out = match spec.weights {
                    // 2 (z + 2^(k-1)) + d, from the logit's bits
                    WeightsVisibility::Public => super::gadgets::bits_lin(&logit.bits)
                        .scale(Scalar::from(2u64))
                        .add(&d),
                    // d alone: the logit stays private with the weights
                    WeightsVisibility::Committed => d,
                };
                let out = match mask {
                    Some(m) => mul(cs.namespace(|| Scope::Mask.to_string()), m, &out)?,
                    None => out,
                };
                Ok(RowOut {
                    bits,
                    counts: None,
                    output: Some(alloc_lin(cs.namespace(|| "output"), &out)?),
                })
            }
        }
    }

    /// `[TP, FP, TN, FN]` increments of a row with decision `d` and label
    /// `y`, each times the mask when there is one.
    fn counts<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        d: &Lin,
        y: &Lin,
        mask: Option<&Lin>,
    ) -> Result<[Lin; 4], SynthesisError> {
        let dy = mul(cs.namespace(|| "d y"), d, y)?;
        let one = Lin::constant::<CS>(Scalar::ONE);
        let (m, md, my, mdy) = match mask {
            None => (one, d.clone(), y.clone(), dy),
            Some(m) => (
                m.clone(),
                mul(cs.namespace(|| "m d"), m, d)?,
                mul(cs.namespace(|| "m y"), m, y)?,
                mul(cs.namespace(|| "m d y"), m, &dy)?,
            ),
        };
        // TP = m d y, FP = m d (1 - y), TN = m (1 - d)(1 - y), FN = m (1 - d) y
        Ok([
            mdy.clone(),
            md.sub(&mdy),
            m.sub(&md).sub(&my).add(&mdy),
            my.sub(&mdy),
        ])
    }

    /// The chain over the step's blocks: the split's block hash of the rows'
    /// bits (evaluation) or the predictions' hash of feature bits and
    /// outputs. A block of padding only (last step) leaves the chain as it
    /// was.
    fn absorb_blocks<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        mut h: AllocatedNum<Scalar>,
        rows: &[RowOut],
        not_last: &Lin,
    ) -> Result<AllocatedNum<Scalar>, SynthesisError> {
        let spec = &*self.spec;
        let last_rows = spec.last_step_rows();
        for (blk, block) in rows.chunks(BLOCK_ROWS).enumerate() {
            let mut cs = cs.namespace(|| Scope::Block(blk).to_string());
            let bits: Vec<AllocatedBit> = block.iter().flat_map(|r| r.bits.clone()).collect();
            let mut inputs = vec![h.clone()];
            inputs.extend(hash::pack_bits(cs.namespace(|| "pack"), &bits)?);
            let domain = match spec.task {
                Task::Evaluate(_) => BLOCK_DOMAIN,
                Task::Predict => {
                    inputs.extend(block.iter().filter_map(|r| r.output.clone()));
                    PREDICT_DOMAIN
                }
            };
            let hashed = hash::poseidon(cs.namespace(|| "hash"), domain, &inputs)?;
            h = if blk * BLOCK_ROWS >= last_rows {
                let h_lin = value_lin(&h);
                let step = value_lin(&hashed).sub(&h_lin);
                let delta = mul(cs.namespace(|| "gate"), not_last, &step)?;
                alloc_lin(cs.namespace(|| "chain"), &h_lin.add(&delta))?
            } else {
                hashed
            };
        }
        Ok(h)
    }
}

/// The decision `[z >= 0]`: the top bit of `z + 2^(k-1)`.
fn decision(logit: &Signed, k: u32) -> Lin {
    Lin::bit(&logit.bits[k as usize - 1])
}

impl StepCircuit<Scalar> for InferStep {
    fn arity(&self) -> usize {
        self.spec.layout().arity
    }

    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let spec = &*self.spec;
        let layout = spec.layout();
        let wit = &*self.witness;
        if z.len() != layout.arity
            || wit.rows.len() != spec.rows_per_step
            || wit.labels.len() != spec.rows_per_step
            || wit.weights.w.len() != spec.features
            || wit.rows.iter().any(|r| r.len() != spec.features)
        {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state or witness is not of the spec's shape ({})",
                spec.summary()
            )));
        }
        // The spec's tag as a constant: binds every field into the digest.
        alloc_lin(
            cs.namespace(|| "spec tag"),
            &Lin::constant::<CS>(spec.tag()),
        )?;
        let step = value_lin(&z[layout.step]);
        let values = self.incoming_weights(cs, &z[layout.model.clone()])?;
        let is_last = is_zero(
            cs.namespace(|| "is last step"),
            &step.sub(&Lin::int::<CS>(spec.steps() as i128 - 1)),
        )?;
        let not_last = Lin::constant::<CS>(Scalar::ONE).sub(&is_last);
        let last_rows = spec.last_step_rows();
        let rows = (0..spec.rows_per_step)
            .map(|i| {
                let mask = (i >= last_rows).then_some(&not_last);
                self.row(cs, i, &values, mask)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let h = self.absorb_blocks(cs, z[layout.hash].clone(), &rows, &not_last)?;

        let mut out: Vec<AllocatedNum<Scalar>> = z[layout.model.clone()].to_vec();
        match spec.task {
            Task::Evaluate(split) => {
                let (Some(ci), Some(ki)) = (layout.commitment, layout.counts) else {
                    return Err(SynthesisError::Unsatisfiable("no commitment in z".into()));
                };
                let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(wit.salt.0))?;
                let n = alloc_lin(
                    cs.namespace(|| "row count"),
                    &Lin::int::<CS>(spec.rows as i128),
                )?;
                let sealed = hash::poseidon(
                    cs.namespace(|| "seal"),
                    split.seal_domain(),
                    &[salt, h.clone(), n],
                )?;
                // is_last * (sealed - C) = 0
                enforce_mul(
                    cs.namespace(|| "seal matches commitment at the end"),
                    &is_last,
                    &value_lin(&sealed).sub(&value_lin(&z[ci])),
                    &Lin::int::<CS>(0),
                );
                let h_next = mul(cs.namespace(|| "reset hash"), &not_last, &value_lin(&h))?;
                out.push(alloc_lin(cs.namespace(|| "hash out"), &h_next)?);
                out.push(z[ci].clone());
                out.push(alloc_lin(
                    cs.namespace(|| "step out"),
                    &step.add(&Lin::int::<CS>(1)),
                )?);
                for k in 0..4 {
                    let total = rows
                        .iter()
                        .filter_map(|r| r.counts.as_ref())
                        .fold(value_lin(&z[ki + k]), |acc, c| acc.add(&c[k]));
                    out.push(alloc_lin(
                        cs.namespace(|| format!("count {k} out")),
                        &total,
                    )?);
                }
            }
            Task::Predict => {
                out.push(h);
                out.push(alloc_lin(
                    cs.namespace(|| "step out"),
                    &step.add(&Lin::int::<CS>(1)),
                )?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
