//! The native twin of the inference circuits: predictions, the outputs a
//! statement publishes and their hash chain, each step's witness and the
//! state after it, computed without constraints.

use super::*;

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

/// How a predictions statement's input values become bits: quantized
/// features, or raw integers.
pub(super) fn input_code(spec: &InferSpec) -> CellCode {
    if spec.raw_inputs {
        CellCode::RAW
    } else {
        CellCode::quantized(&spec.format)
    }
}

/// The domain of a predictions block hash.
pub(super) fn predict_domain(spec: &InferSpec) -> u32 {
    if spec.raw_inputs {
        PREDICT_RAW_DOMAIN
    } else {
        PREDICT_DOMAIN
    }
}

/// `H_pred(h, input bits, outputs)` of one block, from each row's output
/// element (rows of padding: zeros, and the element 0).
fn predict_block(h: Scalar, rows: &[Vec<i64>], elements: &[Scalar], spec: &InferSpec) -> Scalar {
    let code = input_code(spec);
    let bits: Vec<bool> = rows
        .iter()
        .flat_map(|r| commitment::coded_row_bits(r, 0, code).split_off(1))
        .collect();
    let mut inputs = vec![h];
    inputs.extend(commitment::pack_bits(&bits));
    inputs.extend_from_slice(elements);
    commitment::poseidon(predict_domain(spec), &inputs)
}

/// The features the model reads of an input row: the row itself, or with
/// raw inputs its quantization by `normalizer`.
pub fn model_features(spec: &InferSpec, normalizer: Option<&Normalizer>, row: &[i64]) -> Vec<i64> {
    match (spec.raw_inputs, normalizer) {
        (true, Some(n)) => n.quantize_row(row, &spec.format),
        _ => row.to_vec(),
    }
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
    let code = input_code(spec);
    let (low, high) = (-code.offset, (1i64 << code.bits) - code.offset);
    if rows
        .iter()
        .any(|r| r.len() != spec.features || r.iter().any(|&x| !(low..high).contains(&x)))
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
    /// Predictions on raw values: the normalizer `z` carries (or opens).
    pub normalizer: Option<Normalizer>,
    /// Predictions under a private normalizer: the salt of `C_N`.
    pub normalizer_salt: Salt,
    /// Evaluation by groups: each row's group code (0 for padding) and the
    /// salt of `C_G`, which the last step's seal takes.
    pub groups: Vec<u8>,
    pub group_salt: Salt,
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
            normalizer: None,
            normalizer_salt: Salt(Scalar::ZERO),
            groups: vec![0; spec.rows_per_step],
            group_salt: Salt(Scalar::ZERO),
        }
    }

    /// This witness with step `step`'s rows' group codes (padded with 0)
    /// and the salt of `C_G`.
    pub fn with_groups(mut self, spec: &InferSpec, codes: &[u8], step: usize, salt: Salt) -> Self {
        let start = (step * spec.rows_per_step).min(codes.len());
        let end = (start + spec.rows_per_step).min(codes.len());
        self.groups = codes[start..end].to_vec();
        self.groups.resize(spec.rows_per_step, 0);
        self.group_salt = salt;
        self
    }

    pub(super) fn blank(spec: &InferSpec) -> Self {
        InferWitness {
            weights: Weights::zero(spec.features),
            weights_salt: None,
            rows: vec![vec![0; spec.features]; spec.rows_per_step],
            labels: vec![0; spec.rows_per_step],
            salt: Salt(Scalar::ZERO),
            normalizer: spec.raw_inputs.then(|| Normalizer::zero(spec.features)),
            normalizer_salt: Salt(Scalar::ZERO),
            groups: vec![0; spec.rows_per_step],
            group_salt: Salt(Scalar::ZERO),
        }
    }

    /// The features the model reads of row `i`.
    pub(super) fn features(&self, spec: &InferSpec, i: usize) -> Vec<i64> {
        model_features(spec, self.normalizer.as_ref(), &self.rows[i])
    }
}

/// The group chain over a step's active blocks of `(label, group)`.
fn group_blocks(h: Scalar, codes: &[u8], labels: &[u8], active: usize) -> Scalar {
    let rows: Vec<Vec<i64>> = codes.iter().map(|&g| vec![i64::from(g)]).collect();
    crate::group::group_chain_kind().hash_active(h, &rows, labels, active)
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
            let mut group = state.group.clone();
            for (i, (row, &y)) in wit.rows.iter().zip(&wit.labels).take(active).enumerate() {
                let decision = Prediction::of(&wit.weights, row, &spec.format).decision;
                counts.add(decision, y == 1);
                if let Some(g) = &mut group {
                    let code = wit.groups.get(i).copied().unwrap_or(u8::MAX) as usize;
                    g.counts
                        .get_mut(code)
                        .ok_or_else(|| {
                            Error::Mismatch(format!("row {i} of the step has no group {code}"))
                        })?
                        .add(decision, y == 1);
                }
            }
            if let (Some(g), Some(column)) = (&mut group, &spec.group) {
                g.hash = group_blocks(g.hash, &wit.groups, &wit.labels, active);
                if last {
                    let sealed = crate::group::seal_groups(
                        &wit.group_salt,
                        g.hash,
                        split_rows,
                        column.tag(),
                    );
                    if sealed != g.commitment {
                        return Err(Error::Mismatch(format!(
                            "the test rows' groups do not open the commitment C_G of `{}`",
                            column.name
                        )));
                    }
                    g.hash = Scalar::ZERO;
                }
            }
            next.group = group;
            let h = commitment::hash_active_blocks(
                state.hash,
                &wit.rows,
                &wit.labels,
                active,
                &spec.format,
            );
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
                    true => Prediction::of(&wit.weights, &wit.features(spec, i), &spec.format)
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
