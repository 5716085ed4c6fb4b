//! The inference state `z`: its layout and its values between steps.

use super::*;

/// Positions in `z` (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferLayout {
    pub model: std::ops::Range<usize>,
    /// Predictions on raw values: the normalizer's `d` means then `d`
    /// deviations, or its commitment `C_N`.
    pub normalizer: Option<std::ops::Range<usize>>,
    pub hash: usize,
    /// Evaluation: the split's commitment.
    pub commitment: Option<usize>,
    pub step: usize,
    /// Evaluation: TP, FP, TN, FN from here.
    pub counts: Option<usize>,
    /// Evaluation by groups: `C_G`, `h_G`, then each group's four counts
    /// from here.
    pub group: Option<usize>,
    pub arity: usize,
}

/// An evaluation's protected attribute in `z`: `C_G`, the group chain and
/// each group's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupState {
    pub commitment: Commitment,
    pub hash: Scalar,
    pub counts: Vec<Confusion>,
}

/// What `z` shows, as the verifier builds `z_0` and decodes `z_N`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferState {
    pub model: ModelPart,
    /// Predictions on raw values: the normalizer (or `C_N`), carried
    /// unchanged.
    pub normalizer: Option<NormalizerClaim>,
    pub hash: Scalar,
    /// Evaluation: the split's commitment.
    pub commitment: Option<Commitment>,
    pub step: u64,
    /// Evaluation: the counts so far.
    pub counts: Option<Confusion>,
    /// Evaluation by groups.
    pub group: Option<GroupState>,
}

impl InferState {
    /// The state before the first step.
    pub fn initial(
        spec: &InferSpec,
        model: ModelPart,
        normalizer: Option<NormalizerClaim>,
        commitment: Option<Commitment>,
        group_commitment: Option<Commitment>,
    ) -> Self {
        InferState {
            model,
            normalizer,
            hash: Scalar::ZERO,
            commitment,
            step: 0,
            counts: matches!(spec.task, Task::Evaluate(_)).then(Confusion::default),
            group: spec.group.as_ref().map(|g| GroupState {
                commitment: group_commitment.unwrap_or(Commitment(Scalar::ZERO)),
                hash: Scalar::ZERO,
                counts: vec![Confusion::default(); g.groups()],
            }),
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
        match (&layout.normalizer, &self.normalizer) {
            (Some(range), Some(NormalizerClaim::Public(n))) => {
                let values = n
                    .means()
                    .iter()
                    .chain(n.stds())
                    .map(|&v| to_field::<Scalar>(v.into()));
                for (k, v) in range.clone().zip(values) {
                    z[k] = v;
                }
            }
            (Some(range), Some(NormalizerClaim::Committed(c))) => z[range.start] = c.0,
            _ => {}
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
        if let (Some(i), Some(g)) = (layout.group, &self.group) {
            z[i] = g.commitment.0;
            z[i + 1] = g.hash;
            let counts = g.counts.iter().flat_map(Confusion::as_array);
            for (k, v) in (i + 2..layout.arity).zip(counts) {
                z[k] = Scalar::from(v);
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
        let confusion = |i: usize| -> Option<Confusion> {
            Some(Confusion {
                tp: count(&z[i])?,
                fp: count(&z[i + 1])?,
                tn: count(&z[i + 2])?,
                fn_: count(&z[i + 3])?,
            })
        };
        let counts = match layout.counts {
            Some(i) => Some(confusion(i)?),
            None => None,
        };
        let group = match (layout.group, &spec.group) {
            (Some(i), Some(g)) => Some(GroupState {
                commitment: Commitment(z[i]),
                hash: z[i + 1],
                counts: (0..g.groups())
                    .map(|k| confusion(i + 2 + 4 * k))
                    .collect::<Option<Vec<_>>>()?,
            }),
            _ => None,
        };
        let normalizer = match &layout.normalizer {
            Some(range) if spec.private_normalizer => Some(NormalizerClaim::Committed(
                NormalizerCommitment(z[range.start]),
            )),
            Some(range) => {
                let ints = z[range.clone()]
                    .iter()
                    .map(|f| from_field(f).and_then(|v| i64::try_from(v).ok()))
                    .collect::<Option<Vec<i64>>>()?;
                let (means, stds) = ints.split_at(spec.features);
                Some(NormalizerClaim::Public(
                    Normalizer::from_fixed(means.to_vec(), stds.to_vec()).ok()?,
                ))
            }
            None => None,
        };
        Some(InferState {
            model,
            normalizer,
            hash: z[layout.hash],
            commitment: layout.commitment.map(|i| Commitment(z[i])),
            step: count(&z[layout.step])?,
            counts,
            group,
        })
    }
}
