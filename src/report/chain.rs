//! The chain audit's page: what [`ChainReport`] found, as the plain data
//! [`super::render`] draws (each statement with what its proof does and does
//! not establish, the links, the charts and the caveats).

use std::path::Path;

use crate::artifact;
use crate::circuit::prep::NormalizerClaim;
use crate::commands::audit::model_text;
use crate::commands::ChainReport;
use crate::error::Result;

impl ChainReport {
    /// Writes the HTML report to `path` (atomically, public), stamped with
    /// the time now.
    pub fn write_html(&self, path: &Path) -> Result<()> {
        let html = self.html(&crate::report::utc_now());
        artifact::write_atomic(path, html.as_bytes(), artifact::Visibility::Public)
    }

    /// The self-contained HTML report of the audit (see [`crate::report`]).
    pub fn html(&self, generated: &str) -> String {
        use crate::report::{
            AuditReport as Page, EvaluationView, LinkCheck, PredictionRow, PredictionsView,
            StatementSection, WeightsView,
        };
        let mut statements = Vec::new();
        let t = &self.training;
        let s = &t.statement;
        let mut fields = vec![
            ("kind".to_string(), s.kind.to_string()),
            ("recipe".into(), s.recipe.summary()),
            ("training commitment".into(), s.commitment.to_string()),
            ("test commitment".into(), s.test_commitment.to_string()),
        ];
        match (&s.weights_commitment, &s.weights_sha256) {
            (Some(c), _) => fields.push(("weights commitment C_W".into(), c.to_string())),
            (None, Some(sha)) => fields.push(("weights sha256".into(), sha.clone())),
            _ => {}
        }
        fields.push(("folded steps".into(), s.steps.to_string()));
        fields.push(("parameter digest".into(), s.params_digest.clone()));
        let mut train_does_not = vec![
            "That the committed rows are the real records: the commitment binds the rows, the data owner vouches for them.".to_string(),
            "The preprocessing: the rows are committed after z-scoring and quantization, which are not proven.".into(),
        ];
        if s.weights_commitment.is_some() {
            train_does_not.push("Revealed: the recipe, both row counts and commitments, and C_W; the weights stay private.".into());
        } else {
            train_does_not.push(
                "Revealed: the recipe, both row counts and commitments, and the weights.".into(),
            );
        }
        statements.push(StatementSection {
            role: "Training".into(),
            file: t.bundle.display().to_string(),
            kind: s.kind.to_string(),
            verified: t.passed(),
            verdict: match (&t.reason, t.verify_s) {
                (Some(r), _) => format!("rejected: {r}"),
                (None, Some(v)) if t.passed() => format!("verified: the proof checks (in {v:.2} s)"),
                (None, _) => format!("verified, but: {}", t.problems.join("; ")),
            },
            fields,
            establishes: vec![
                "The published model is exactly what the recipe's mini-batch gradient descent computes from zero weights on the rows behind the training commitment, in the stated fixed-point arithmetic.".into(),
                "The test commitment was fixed together with the training commitment, before training (the proof carries it unchanged).".into(),
            ],
            does_not: train_does_not,
        });
        let infer_section =
            |role: &str,
             r: &crate::commands::infer::InferVerifyReport,
             st: Option<&crate::inference::InferStatement>| {
                let mut fields = Vec::new();
                if let Some(st) = st {
                    fields.push(("spec".to_string(), st.spec.summary()));
                    fields.push(("model".into(), model_text(&st.model)));
                    if let crate::inference::Claim::Evaluation {
                        commitment, counts, ..
                    } = &st.claim
                    {
                        fields.push(("split commitment".into(), commitment.to_string()));
                        fields.push((
                            "counts".into(),
                            format!(
                                "TP {} FP {} TN {} FN {}",
                                counts.tp, counts.fp, counts.tn, counts.fn_
                            ),
                        ));
                    }
                    let summary = crate::commands::infer::InferSummary::of(st);
                    if let (Some(c), Some(fair)) = (summary.group_commitment, &summary.fairness) {
                        fields.extend(fairness_fields(c, fair));
                    }
                    fields.push(("folded steps".into(), st.steps.to_string()));
                    fields.push(("parameter digest".into(), st.params_digest.clone()));
                }
                let grouped = st.and_then(|s| s.spec.group.as_ref());
                let (establishes, does_not) = if role == "Evaluation" {
                    let mut yes = vec!["The stated model classifies the rows behind the split's commitment with exactly these counts at the decision logit z >= 0.".to_string()];
                    let mut no = vec!["The rows and labels are not revealed; accuracy on any other data is not established.".to_string()];
                    if let Some(g) = grouped {
                        yes.push(format!("The counts of each group of `{}`, over the groups behind C_G, which was published with the data's commitment before training; every rate and difference shown is computed from those proven counts.", g.name));
                        no.push(format!("Each row's group is revealed to no one; each group's size and counts are. The attribute `{}` is not a feature of the model, but a correlated feature may stand in for it: no proof covers that.", g.name));
                    }
                    (yes, no)
                } else {
                    let raw = st.is_some_and(|s| s.spec.raw_inputs);
                    let rows = if raw {
                        "raw input row (the applicant's own values, normalized and quantized in the proof by the stated normalizer)"
                    } else {
                        "listed (quantized) input row"
                    };
                    (vec![match st.map(|s| s.spec.weights) {
                        Some(crate::recipe::WeightsVisibility::Committed) => format!("For each {rows}, the stated model's decision (its logit stays private with the weights)."),
                        _ => format!("For each {rows}, the stated model's logit and decision."),
                    }],
                 vec![if raw { "That the inputs are the applicant's true data.".to_string() } else { "That the inputs are the applicant's true data; the raw values' normalization is applied outside this proof (prove-predict --raw proves it).".to_string() }])
                };
                StatementSection {
                    role: role.into(),
                    file: r.bundle.display().to_string(),
                    kind: st.map_or("unreadable".into(), |s| s.spec.summary()),
                    verified: r.accepted,
                    verdict: match &r.reason {
                        Some(why) => format!("rejected: {why}"),
                        None => format!("verified in {:.1} s (whole check)", r.command_s),
                    },
                    fields,
                    establishes,
                    does_not,
                }
            };
        if let Some(r) = &self.preprocessing {
            let mut fields = Vec::new();
            if let Some(st) = &self.statements.preprocessing {
                let c = &st.commitments;
                fields.push(("spec".to_string(), st.spec.summary()));
                fields.push(("raw training commitment".into(), c.raw_train.to_string()));
                fields.push(("raw test commitment".into(), c.raw_test.to_string()));
                fields.push(("quantized training commitment".into(), c.train.to_string()));
                fields.push(("quantized test commitment".into(), c.test.to_string()));
                let names = self.feature_names.clone().unwrap_or_default();
                match &st.normalizer {
                    NormalizerClaim::Public(n) => {
                        for (j, (m, sd)) in n.means_f64().iter().zip(n.stds_f64()).enumerate() {
                            let name = names
                                .get(j)
                                .cloned()
                                .unwrap_or_else(|| format!("feature {j}"));
                            fields.push((
                                format!("normalizer: {name}"),
                                format!("mean {m}, sd {sd}"),
                            ));
                        }
                    }
                    NormalizerClaim::Committed(c) => {
                        fields.push(("normalizer".into(), format!("private, committed: C_N {c}")));
                    }
                }
                fields.push(("folded steps".into(), st.steps.to_string()));
                fields.push(("parameter digest".into(), st.params_digest.clone()));
            }
            statements.push(StatementSection {
                role: "Preprocessing".into(),
                file: r.bundle.display().to_string(),
                kind: self.statements.preprocessing.as_ref().map_or("unreadable".into(), |s| s.spec.summary()),
                verified: r.accepted,
                verdict: match &r.reason {
                    Some(why) => format!("rejected: {why}"),
                    None => format!("verified in {:.1} s (whole check)", r.command_s),
                },
                fields,
                establishes: vec![
                    "The normalizer (each feature's mean and standard deviation, by the stated integer rule) is exactly what the rows behind the raw training commitment give.".into(),
                    "The quantized training and test commitments hold exactly those raw rows, in order, normalized with it, quantized and clamped.".into(),
                ],
                does_not: vec!["That the raw rows are the genuine records: that rests on the data owner.".into()],
            });
        }
        if let Some(r) = &self.evaluation {
            statements.push(infer_section(
                "Evaluation",
                r,
                self.statements.evaluation.as_ref(),
            ));
        }
        if let Some(r) = &self.predictions {
            statements.push(infer_section(
                "Predictions",
                r,
                self.statements.predictions.as_ref(),
            ));
        }
        let evaluation = self.statements.evaluation.as_ref().and_then(|st| {
            let c = st.counts()?;
            let split = match st.spec.task {
                crate::circuit::infer::Task::Evaluate(s) => crate::circuit::infer::split_name(s),
                crate::circuit::infer::Task::Predict => "?",
            };
            Some(EvaluationView {
                split: split.into(),
                threshold: "logit z >= 0 (probability >= 0.5)".into(),
                tp: c.tp,
                fp: c.fp,
                tn: c.tn,
                fn_: c.fn_,
            })
        });
        let weights = match (&s.weights, s.bias) {
            (Some(w), Some(b)) => Some(WeightsView {
                names: self
                    .feature_names
                    .clone()
                    .unwrap_or_else(|| (0..w.len()).map(|i| format!("feature {i}")).collect()),
                weights: w.clone(),
                bias: b,
            }),
            _ => None,
        };
        let predictions = self
            .statements
            .predictions
            .as_ref()
            .and_then(|st| match &st.claim {
                crate::inference::Claim::Predictions { outputs, .. } => Some(PredictionsView {
                    rows: (outputs.decisions().into_iter().enumerate())
                        .map(|(index, decision)| {
                            let logit = (outputs.logits())
                                .and_then(|l| l.get(index).map(|&z| st.spec.format.to_f64(z)));
                            PredictionRow {
                                index,
                                logit,
                                probability: logit.map(crate::model::probability),
                                decision,
                            }
                        })
                        .collect(),
                }),
                _ => None,
            });
        let page = Page {
            title: "foldtrain audit".into(),
            generated: generated.into(),
            tool_version: format!("foldtrain {}", env!("CARGO_PKG_VERSION")),
            passed: self.passed(),
            statements,
            links: self.links.iter().map(|l| LinkCheck { name: l.name.clone(), ok: l.ok, detail: l.detail.clone() }).collect(),
            evaluation,
            weights,
            predictions,
            caveats: vec![
                if self.preprocessing.is_some() {
                    "Preprocessing is proven by the preprocessing statement above: from the raw rows behind its raw commitments to the quantized rows training and evaluation read.".into()
                } else {
                    "Preprocessing (z-scoring with the training normalizer, clamping, quantization) is not covered by this audit: give --preprocessing with the commitment's preprocessing.bundle.".into()
                },
                "The probabilities shown are sigmoid(logit) computed in floating point from the proven logits; the proofs establish the logits and decisions.".into(),
                "A commitment binds the data it was made from; that those rows are the genuine records rests on the data owner.".into(),
            ],
        };
        crate::report::render(&page)
    }
}

/// The fields of an evaluation by groups: `C_G`, each group's figures and
/// the differences between groups.
fn fairness_fields(
    c: crate::commitment::Commitment,
    fair: &crate::fairness::Fairness,
) -> Vec<(String, String)> {
    let mut fields = vec![(
        format!("groups of {}: commitment C_G", fair.attribute),
        c.to_string(),
    )];
    let groups = fair.groups.len();
    for (k, (name, text)) in fair.rows().into_iter().enumerate() {
        let name = if k < groups {
            format!("group {name}")
        } else {
            name
        };
        fields.push((name, text));
    }
    fields
}
