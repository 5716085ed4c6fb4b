//! What fixes an inference circuit: the task, the model's shape and format,
//! the rows, and the limits each is checked against.

use super::*;

/// What fixes an inference circuit: the task, the model's shape and
/// format, and the rows. Built through [`InferSpec::new`]; read (from any
/// bundle, key or JSON) through its `Deserialize`, which checks every field.
// `remote = "Self"` makes serde's derives inherent functions, which the
// trait impls below wrap: one field list, read and then checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
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
    /// Predictions on raw values: each row is the applicant's raw
    /// integers, normalized and quantized in the circuit with the
    /// normalizer `z` carries (see [`crate::circuit::prep`]).
    pub raw_inputs: bool,
    /// Raw inputs under a private normalizer: `z` carries its commitment
    /// `C_N`, which each step opens with the normalizer as its witness.
    pub private_normalizer: bool,
    /// Evaluation on the test split with a protected attribute: its groups
    /// (whose labels the seal of `C_G` binds); `z` carries `C_G`, the
    /// group chain and each group's confusion counts.
    pub group: Option<GroupColumn>,
}

impl Serialize for InferSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        InferSpec::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for InferSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let spec = InferSpec::deserialize(d)?;
        spec.validate().map_err(serde::de::Error::custom)?;
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
        Self::build(
            task,
            features,
            format,
            weights,
            rows,
            rows_per_step,
            (false, false),
        )
    }

    /// This evaluation's spec with the counts of each group of `group`
    /// (the test split's protected attribute); `rows_per_step` chosen by
    /// the constraint budget again, with the groups' cost, when `None`.
    pub fn with_group(mut self, group: GroupColumn, rows_per_step: Option<usize>) -> Result<Self> {
        self.group = Some(group);
        self.rows_per_step = BLOCK_ROWS;
        self.validate()?;
        self.rows_per_step = match rows_per_step {
            Some(r) => r,
            None => self.auto_rows_per_step(),
        };
        self.validate()?;
        Ok(self)
    }

    /// The spec of predictions on `rows` rows of raw values, normalized in
    /// the circuit by a public normalizer, or one committed
    /// (`private_normalizer`).
    pub fn raw_predictions(
        features: usize,
        format: FixedFormat,
        weights: WeightsVisibility,
        rows: usize,
        rows_per_step: Option<usize>,
        private_normalizer: bool,
    ) -> Result<Self> {
        Self::build(
            Task::Predict,
            features,
            format,
            weights,
            rows,
            rows_per_step,
            (true, private_normalizer),
        )
    }

    fn build(
        task: Task,
        features: usize,
        format: FixedFormat,
        weights: WeightsVisibility,
        rows: usize,
        rows_per_step: Option<usize>,
        (raw_inputs, private_normalizer): (bool, bool),
    ) -> Result<Self> {
        let mut spec = InferSpec {
            version: INFER_VERSION,
            task,
            features,
            format,
            weights,
            rows,
            rows_per_step: BLOCK_ROWS,
            raw_inputs,
            private_normalizer,
            group: None,
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
        let raw = if self.raw_inputs {
            4 * RAW_BITS as usize
        } else {
            0
        };
        // By groups: about 6 a group (the one-hot bit and four counts) and
        // 140 for the row's share of the group chain's hashing (measured:
        // 171 a row at 4 groups, 167 at 3).
        let groups = self.group.as_ref().map_or(0, |g| 6 * g.groups() + 140);
        let per_row = self.features * (f.feature_bits() as usize + 1 + raw)
            + self.logit_bits() as usize
            + f.feature_frac_bits as usize
            + 48
            + groups;
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
        if self.raw_inputs && self.task != Task::Predict {
            return bad("raw inputs are for predictions only".into());
        }
        if self.private_normalizer && !self.raw_inputs {
            return bad("a private normalizer is for predictions on raw inputs only".into());
        }
        if let Some(group) = &self.group {
            if self.task != Task::Evaluate(Split::Test) {
                return bad(
                    "the counts of a protected attribute's groups are for evaluation on the test \
                     split only"
                        .into(),
                );
            }
            group.validate()?;
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
        let normalized = crate::circuit::prep::MAX_NORMALIZED_CELLS;
        if self.raw_inputs && r * self.features > normalized {
            return bad(format!(
                "a step of {r} raw rows of {} features normalizes more than {normalized} values; \
                 use a smaller --rows-per-step",
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
            Task::Evaluate(_) => {
                // With a protected attribute: C_G, the group chain and the
                // groups' counts after the counts.
                let g = self.group.as_ref().map_or(0, GroupColumn::groups);
                InferLayout {
                    model: 0..p,
                    normalizer: None,
                    hash: p,
                    commitment: Some(p + 1),
                    step: p + 2,
                    counts: Some(p + 3),
                    group: self.group.is_some().then_some(p + 7),
                    arity: p + 7 + if g > 0 { 2 + 4 * g } else { 0 },
                }
            }
            Task::Predict => {
                // Raw inputs: the normalizer's means then deviations, or
                // its commitment.
                let n = match (self.raw_inputs, self.private_normalizer) {
                    (false, _) => 0,
                    (true, false) => 2 * self.features,
                    (true, true) => 1,
                };
                InferLayout {
                    model: 0..p,
                    normalizer: self.raw_inputs.then_some(p..p + n),
                    hash: p + n,
                    commitment: None,
                    step: p + n + 1,
                    counts: None,
                    group: None,
                    arity: p + n + 2,
                }
            }
        }
    }

    /// A field element naming the spec (sha256 of its encoding under a
    /// domain of its own, so no training recipe shares it).
    pub fn tag(&self) -> Scalar {
        crate::ivc::domain_tag(b"foldtrain inference spec", self)
    }

    /// One line for messages.
    pub fn summary(&self) -> String {
        let task = match (self.task, &self.group) {
            (Task::Evaluate(split), Some(g)) => format!(
                "evaluation on the {} split by the {} groups of {}",
                split_name(split),
                g.groups(),
                g.name
            ),
            (task, _) => match task {
                Task::Evaluate(split) => format!("evaluation on the {} split", split_name(split)),
                Task::Predict if self.private_normalizer => {
                    "predictions on raw values, normalizer committed".into()
                }
                Task::Predict if self.raw_inputs => "predictions on raw values".into(),
                Task::Predict => "predictions".into(),
            },
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
