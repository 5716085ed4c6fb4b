//! The library's reports as Python objects: each class wraps the library's
//! own typed value, and each attribute reads one of its fields (a
//! commitment or an enum as the string the CLI's JSON writes, a nested
//! report as its class). `to_dict()` gives the value as `foldtrain --json`
//! prints it. Nothing here computes a figure: every one is the library's.

use std::path::PathBuf;

use foldtrain::circuit::infer::{InferSpec, Task};
use foldtrain::commands::audit::{AuditOf, AuditReport, Audited, ChainReport, Link};
use foldtrain::commands::infer::{
    EvalReport, InferProof, InferSummary, InferVerifyReport, PredictReport, PredictionRow,
};
use foldtrain::commands::prep::{PrepReport, PrepSummary};
use foldtrain::commands::verify::{
    InferInspectReport, InspectReport, KindInspectReport, PrepVerifyReport, StatementSummary,
};
use foldtrain::commands::{
    CommitReport, CommitmentFile, EstimateReport, PlanReport, ProveReport, SegmentReport,
    SplitCommitment, VerifyReport,
};
use foldtrain::fixed::FixedFormat;
use foldtrain::model::{Model as LibModel, PublicModel};
use foldtrain::output::Completeness;
use foldtrain::recipe::Recipe as LibRecipe;
use foldtrain::train::Confusion as LibConfusion;
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use serde::Serialize;

use crate::values::{text, to_python};

/// A Python class wrapping a library value: `Class(Inner), |r, py| { name:
/// Type = expression; ... }` makes one read-only attribute a line, the
/// expression reading `r`, the wrapped value (`py` at hand for values
/// built in Python). Every class also has `to_dict()` and a `repr`; extra
/// methods go in a trailing `methods { ... }`.
macro_rules! wrap {
    (
        $(#[$doc:meta])*
        $class:ident($inner:ty), |$r:ident, $py:ident| {
            $( $(#[$fdoc:meta])* $field:ident: $ty:ty = $get:expr; )*
        }
        $(methods { $($extra:tt)* })?
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "foldtrain._foldtrain")]
        pub struct $class(pub $inner);

        #[pymethods]
        impl $class {
            $(
                $(#[$fdoc])*
                #[getter]
                #[allow(unused_variables)]
                fn $field(&self, $py: Python<'_>) -> PyResult<$ty> {
                    let $r = &self.0;
                    Ok($get)
                }
            )*

            /// The value as `foldtrain --json` prints it.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                to_python(py, &self.0)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields = to_python(py, &self.0)?;
                Ok(format!("{}({})", stringify!($class), fields.bind(py).repr()?))
            }

            $($($extra)*)?
        }
    };
}

/// An optional commitment (or any hex value) as its string.
fn opt_text<T: Serialize>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(text)
}

/// Bytes that are numbers (0/1 labels and decisions) as a list of ints,
/// not a Python `bytes`.
fn ints(values: &[u8]) -> Vec<u32> {
    values.iter().map(|&v| u32::from(v)).collect()
}

/// The status of an output folder: "complete", "incomplete" or
/// "standalone".
fn folder_status(c: &Completeness) -> String {
    match c {
        Completeness::Complete => "complete",
        Completeness::Incomplete(_) => "incomplete",
        Completeness::Standalone => "standalone",
    }
    .into()
}

/// Why an output folder is incomplete, if it is.
fn folder_reason(c: &Completeness) -> Option<String> {
    match c {
        Completeness::Incomplete(reason) => Some(reason.clone()),
        _ => None,
    }
}

wrap! {
    /// A fixed-point format: `F`, `Fx` and the integer bounds.
    Format(FixedFormat), |r, py| {
        frac_bits: u32 = r.frac_bits;
        feature_frac_bits: u32 = r.feature_frac_bits;
        feature_int_bits: u32 = r.feature_int_bits;
        weight_int_bits: u32 = r.weight_int_bits;
    }
}

wrap! {
    /// A training recipe, as a statement binds it.
    Recipe(LibRecipe), |r, py| {
        version: u32 = r.version;
        features: usize = r.features;
        rows: usize = r.rows;
        batch: usize = r.batch;
        batches_per_step: usize = r.batches_per_step;
        epochs: usize = r.epochs;
        learning_rate: f64 = r.learning_rate;
        /// The L2 penalty lambda on the weights (0: none).
        l2: f64 = r.l2;
        /// The weights of class 0 and 1 (None: unweighted).
        class_weights: Option<[f64; 2]> = r.class_weights;
        format: Format = Format(r.format);
        sigmoid: String = text(&r.sigmoid);
        /// "public" or "committed".
        weights: String = text(&r.weights);
    }
}

wrap! {
    /// Confusion counts at the decision `z >= 0`.
    Confusion(LibConfusion), |r, py| {
        tp: u64 = r.tp;
        fp: u64 = r.fp;
        tn: u64 = r.tn;
        #[pyo3(name = "fn")]
        fn_: u64 = r.fn_;
    }
}

wrap! {
    /// What an evaluation or predictions proof is about.
    Spec(InferSpec), |r, py| {
        version: u32 = r.version;
        /// "evaluate" or "predict".
        task: String = match r.task {
            Task::Evaluate(_) => "evaluate".into(),
            Task::Predict => "predict".into(),
        };
        /// The split evaluated on ("train" or "test"), for an evaluation.
        split: Option<String> = match r.task {
            Task::Evaluate(s) => Some(text(&s)),
            Task::Predict => None,
        };
        features: usize = r.features;
        format: Format = Format(r.format);
        weights: String = text(&r.weights);
        rows: usize = r.rows;
        rows_per_step: usize = r.rows_per_step;
    }
}

wrap! {
    /// A training statement, as people read it.
    Statement(StatementSummary), |r, py| {
        kind: String = text(&r.kind);
        recipe: Recipe = Recipe(r.recipe.clone());
        rows: usize = r.rows;
        features: usize = r.features;
        commitment: String = text(&r.commitment);
        test_commitment: String = text(&r.test_commitment);
        weights_commitment: Option<String> = opt_text(&r.weights_commitment);
        weights_sha256: Option<String> = r.weights_sha256.clone();
        weights: Option<Vec<f64>> = r.weights.clone();
        bias: Option<f64> = r.bias;
        weights_fixed: Option<Vec<i64>> = r.weights_fixed.clone();
        bias_fixed: Option<i64> = r.bias_fixed;
        steps: usize = r.steps;
        params_digest: String = r.params_digest.clone();
    }
}

wrap! {
    /// An evaluation or predictions statement, as people read it.
    InferStatement(InferSummary), |r, py| {
        /// "evaluation" or "predictions".
        kind: String = r.kind.into();
        spec: Spec = Spec(r.spec.clone());
        weights_commitment: Option<String> = opt_text(&r.weights_commitment);
        weights: Option<Vec<f64>> = r.weights.clone();
        bias: Option<f64> = r.bias;
        weights_fixed: Option<Vec<i64>> = r.weights_fixed.clone();
        bias_fixed: Option<i64> = r.bias_fixed;
        commitment: Option<String> = opt_text(&r.commitment);
        counts: Option<Confusion> = r.counts.map(Confusion);
        accuracy: Option<f64> = r.accuracy;
        precision: Option<f64> = r.precision;
        recall: Option<f64> = r.recall;
        /// The proven logits (predictions with public weights only).
        logits: Option<Vec<f64>> = r.logits.clone();
        decisions: Option<Vec<u32>> = r.decisions.as_deref().map(ints);
        steps: usize = r.steps;
        params_digest: String = r.params_digest.clone();
    }
}

wrap! {
    /// `commit`'s report.
    CommitResult(CommitReport), |r, py| {
        commitment: String = text(&r.commitment);
        rows: usize = r.rows;
        test_commitment: String = text(&r.test_commitment);
        test_rows: usize = r.test_rows;
        features: usize = r.features;
        /// The protected attribute committed with the test rows (`group=`).
        group: Option<String> = r.group.as_ref().map(|g| g.column.name.clone());
        /// Its CSV columns (left out of the features).
        group_columns: Vec<String> = r.group.as_ref().map_or_else(Vec::new, |g| g.column.columns());
        /// Its groups' labels, in code order.
        group_labels: Vec<String> = r.group.as_ref().map_or_else(Vec::new, |g| g.column.labels.clone());
        /// `C_G`, the commitment to the test rows' groups.
        group_commitment: Option<String> = r.group.as_ref().map(|g| g.commitment.to_string());
        commitment_path: PathBuf = r.commitment_path.clone();
        opening_path: PathBuf = r.opening_path.clone();
    }
}

wrap! {
    /// `prove`'s and `resume`'s report.
    ProveResult(ProveReport), |r, py| {
        data: PathBuf = r.data.clone();
        kind: String = text(&r.kind);
        commitment: String = text(&r.commitment);
        test_commitment: String = text(&r.test_commitment);
        weights_commitment: Option<String> = opt_text(&r.weights_commitment);
        steps: usize = r.steps;
        /// Steps folded by this run (fewer than `steps` after a resume).
        steps_folded_now: usize = r.steps_folded_now;
        step_constraints: usize = r.step_constraints;
        constraints_per_step: usize = r.constraints_per_step;
        constraints_per_sample_feature_epoch: f64 = r.constraints_per_sample_feature_epoch;
        params_digest: String = r.params_digest.clone();
        verifier_key_sha256: String = r.verifier_key_sha256.clone();
        command_s: f64 = r.command_s;
        setup_s: f64 = r.setup_s;
        prove_s: f64 = r.prove_s;
        compress_s: f64 = r.compress_s;
        verify_s: f64 = r.verify_s;
        proof_bytes: usize = r.proof_bytes;
        bundle_bytes: usize = r.bundle_bytes;
        weights: Vec<f64> = r.weights.clone();
        bias: f64 = r.bias;
        bundle_path: PathBuf = r.bundle_path.clone();
        model_path: PathBuf = r.model_path.clone();
        public_model_path: Option<PathBuf> = r.public_model_path.clone();
        commitment_path: PathBuf = r.commitment_path.clone();
        opening_path: PathBuf = r.opening_path.clone();
        checkpoint_dir: PathBuf = r.checkpoint_dir.clone();
        warnings: Vec<String> = r.warnings.clone();
        /// A run proven in segments: each segment as its worker measured
        /// it, as dicts (empty for a whole run).
        segments: Py<PyAny> = to_python(py, &r.segments)?;
    }
}

wrap! {
    /// `plan`'s report: a run cut into segments, nothing proven yet.
    PlanResult(PlanReport), |r, py| {
        out_dir: PathBuf = r.out_dir.clone();
        plan_path: PathBuf = r.plan_path.clone();
        commitment_path: PathBuf = r.commitment_path.clone();
        commitment: String = text(&r.commitment);
        test_commitment: String = text(&r.test_commitment);
        steps: usize = r.steps;
        /// Each segment's index, first step and step count, as dicts.
        segments: Py<PyAny> = to_python(py, &r.segments)?;
        warnings: Vec<String> = r.warnings.clone();
    }
}

wrap! {
    /// `prove-segment`'s report.
    SegmentResult(SegmentReport), |r, py| {
        index: usize = r.index;
        segments: usize = r.segments;
        start: usize = r.start;
        steps: usize = r.steps;
        path: PathBuf = r.path.clone();
        /// The folder held this segment's proof already: nothing was proven.
        reused: bool = r.reused;
        command_s: f64 = r.command_s;
        setup_s: f64 = r.setup_s;
        fold_s: f64 = r.fold_s;
        compress_s: f64 = r.compress_s;
        file_bytes: usize = r.file_bytes;
    }
}

wrap! {
    /// `estimate`'s report: what a prove would cost on this machine.
    EstimateResult(EstimateReport), |r, py| {
        data: PathBuf = r.data.clone();
        recipe: Recipe = Recipe(r.recipe.clone());
        steps: usize = r.steps;
        step_constraints: usize = r.step_constraints;
        /// The step circuit's constraints by part, as dicts.
        breakdown: Py<PyAny> = to_python(py, &r.breakdown)?;
        primary_constraints: usize = r.primary_constraints;
        secondary_constraints: usize = r.secondary_constraints;
        constraints_per_step: usize = r.constraints_per_step;
        total_constraints: usize = r.total_constraints;
        constraints_per_sample_feature_epoch: f64 = r.constraints_per_sample_feature_epoch;
        setup_s: f64 = r.setup_s;
        step_s: f64 = r.step_s;
        calibration_steps: usize = r.calibration_steps;
        estimated_prove_s: f64 = r.estimated_prove_s;
        estimated_compress_s: f64 = r.estimated_compress_s;
        estimated_total_s: f64 = r.estimated_total_s;
        padded_constraints: usize = r.padded_constraints;
        estimated_peak_bytes: f64 = r.estimated_peak_bytes;
        speed_factor: f64 = r.speed_factor;
        /// The cost model's coefficients, as a dict.
        model: Py<PyAny> = to_python(py, &r.model)?;
        /// The batches-per-step candidates weighed, as dicts.
        plan: Py<PyAny> = to_python(py, &r.plan)?;
    }
}

wrap! {
    /// `verify`'s report of a training bundle.
    VerifyResult(VerifyReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        accepted: bool = r.accepted;
        reason: Option<String> = r.reason.clone();
        detail: Option<String> = r.detail.clone();
        /// What the proof establishes: present only when it verified.
        statement: Option<Statement> = r.statement.clone().map(Statement);
        /// Segment proofs of an accepted run proven in segments (None: one).
        segments: Option<usize> = r.segments;
        model: Option<PathBuf> = r.model.clone();
        /// "given", "cached", "derived" or "held".
        key_origin: Option<String> = opt_text(&r.key_origin);
        key_sha256: Option<String> = r.key_sha256.clone();
        key_s: Option<f64> = r.key_s;
        verify_s: Option<f64> = r.verify_s;
        command_s: f64 = r.command_s;
        /// "complete", "incomplete" or "standalone".
        folder: String = folder_status(&r.folder);
        folder_reason: Option<String> = folder_reason(&r.folder);
    }
}

wrap! {
    /// `verify`'s report of an evaluation or predictions bundle.
    InferVerifyResult(InferVerifyReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        accepted: bool = r.accepted;
        reason: Option<String> = r.reason.clone();
        detail: Option<String> = r.detail.clone();
        statement: Option<InferStatement> = r.statement.clone().map(InferStatement);
        key_origin: Option<String> = opt_text(&r.key_origin);
        key_sha256: Option<String> = r.key_sha256.clone();
        key_s: Option<f64> = r.key_s;
        verify_s: Option<f64> = r.verify_s;
        command_s: f64 = r.command_s;
    }
}

wrap! {
    /// `inspect`'s report of a training bundle: what it claims, not
    /// verified. The statement's fields also read as attributes.
    Inspection(InspectReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        /// Always False: nothing here is verified.
        verified: bool = r.verified;
        statement: Statement = Statement(r.statement.clone());
        proof_bytes: usize = r.proof_bytes;
        /// Segment proofs of a run proven in segments (None: one proof).
        segments: Option<usize> = r.segments;
        verifier_key_sha256: Option<String> = r.verifier_key_sha256.clone();
    }
    methods {
        fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
            let statement = Bound::new(py, Statement(self.0.statement.clone()))?;
            statement_attribute(statement.into_any(), name)
        }
    }
}

wrap! {
    /// `inspect`'s report of an evaluation or predictions bundle: what it
    /// claims, not verified. The statement's fields also read as
    /// attributes.
    InferInspection(InferInspectReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        /// Always False: nothing here is verified.
        verified: bool = r.verified;
        statement: InferStatement = InferStatement(r.statement.clone());
        proof_bytes: usize = r.proof_bytes;
        verifier_key_sha256: Option<String> = r.verifier_key_sha256.clone();
    }
    methods {
        fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
            let statement = Bound::new(py, InferStatement(self.0.statement.clone()))?;
            statement_attribute(statement.into_any(), name)
        }
    }
}

wrap! {
    /// A preprocessing statement, as people read it: the normalizer the
    /// raw training rows give, and the four commitments it links.
    PrepStatement(PrepSummary), |r, py| {
        /// One line: rows, features and rows a step.
        summary: String = r.spec.summary();
        features: usize = r.spec.features;
        train_rows: usize = r.spec.train_rows;
        test_rows: usize = r.spec.test_rows;
        raw_train_commitment: String = text(&r.commitments.raw_train);
        raw_test_commitment: String = text(&r.commitments.raw_test);
        train_commitment: String = text(&r.commitments.train);
        test_commitment: String = text(&r.commitments.test);
        /// Each feature's training mean (exact: integers over 2^16); None
        /// when the statement keeps the normalizer private.
        means: Option<Vec<f64>> = r.means.clone();
        /// Each feature's training standard deviation (None when private).
        stds: Option<Vec<f64>> = r.stds.clone();
        /// C_N, when the normalizer is kept private.
        normalizer_commitment: Option<String> = opt_text(&r.normalizer_commitment);
        steps: usize = r.steps;
        params_digest: String = r.params_digest.clone();
    }
}

wrap! {
    /// `verify`'s report of a preprocessing bundle.
    PrepVerifyResult(PrepVerifyReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        accepted: bool = r.accepted;
        reason: Option<String> = r.reason.clone();
        detail: Option<String> = r.detail.clone();
        statement: Option<PrepStatement> = r.statement.clone().map(PrepStatement);
        key_origin: Option<String> = opt_text(&r.key_origin);
        key_sha256: Option<String> = r.key_sha256.clone();
        key_s: Option<f64> = r.key_s;
        verify_s: Option<f64> = r.verify_s;
        command_s: f64 = r.command_s;
    }
}

/// `inspect`'s report of a preprocessing bundle.
pub type PrepInspectReport = KindInspectReport<PrepSummary>;

wrap! {
    /// `inspect`'s report of a preprocessing bundle: what it claims, not
    /// verified.
    PrepInspection(PrepInspectReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        /// Always False: nothing here is verified.
        verified: bool = r.verified;
        statement: PrepStatement = PrepStatement(r.statement.clone());
        proof_bytes: usize = r.proof_bytes;
        verifier_key_sha256: Option<String> = r.verifier_key_sha256.clone();
    }
}

wrap! {
    /// `prove-preprocessing`'s report.
    PrepResult(PrepReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        statement: PrepStatement = PrepStatement(r.statement.clone());
        proof_bytes: usize = r.proof_bytes;
        bundle_bytes: usize = r.bundle_bytes;
        /// The phases' seconds, as a dict.
        timings: Py<PyAny> = to_python(py, &r.timings)?;
        command_s: f64 = r.command_s;
    }
}

/// Attribute `name` of a statement, for a report that flattens it.
fn statement_attribute(statement: Bound<'_, PyAny>, name: &str) -> PyResult<Py<PyAny>> {
    (statement.getattr(name).map(Bound::unbind))
        .map_err(|_| PyAttributeError::new_err(name.to_string()))
}

wrap! {
    /// `audit`'s report of one training bundle.
    TrainingAudit(AuditReport), |r, py| {
        bundle: PathBuf = r.bundle.clone();
        verified: bool = r.verified;
        reason: Option<String> = r.reason.clone();
        commitment_opened: Option<bool> = r.commitment_opened;
        weights_opened: Option<bool> = r.weights_opened;
        weights_reproduced: Option<bool> = r.weights_reproduced;
        problems: Vec<String> = r.problems.clone();
        statement: Statement = Statement(r.statement.clone());
        verify_s: Option<f64> = r.verify_s;
        data_sha256: Option<String> = r.data_sha256.clone();
        folder: String = folder_status(&r.folder);
        folder_reason: Option<String> = folder_reason(&r.folder);
        /// Everything checked holds.
        passed: bool = r.passed();
    }
}

wrap! {
    /// One link of a chain: a fact two statements must agree on.
    ChainLink(Link), |r, py| {
        name: String = r.name.clone();
        ok: bool = r.ok;
        detail: String = r.detail.clone();
    }
}

wrap! {
    /// The chain audit's report.
    ChainAudit(ChainReport), |r, py| {
        training: TrainingAudit = TrainingAudit(r.training.clone());
        evaluation: Option<InferVerifyResult> = r.evaluation.clone().map(InferVerifyResult);
        predictions: Option<InferVerifyResult> = r.predictions.clone().map(InferVerifyResult);
        preprocessing: Option<PrepVerifyResult> = r.preprocessing.clone().map(PrepVerifyResult);
        links: Vec<ChainLink> = r.links.iter().cloned().map(ChainLink).collect();
        feature_names: Option<Vec<String>> = r.feature_names.clone();
        passed: bool = r.passed();
    }
}

wrap! {
    /// What `audit` found: the report (of one training bundle, or of a
    /// chain) and whether everything checked holds.
    AuditResult(Audited), |r, py| {
        passed: bool = r.passed;
        /// A `TrainingAudit`, or a `ChainAudit` when links were checked.
        report: Py<PyAny> = match &r.report {
            AuditOf::Training(t) => Py::new(py, TrainingAudit((**t).clone()))?.into_any(),
            AuditOf::Chain(c) => Py::new(py, ChainAudit((**c).clone()))?.into_any(),
        };
        /// The HTML report written, if one was asked for.
        html: Option<PathBuf> = r.html.clone();
    }
}

wrap! {
    /// `prove-eval`'s report: the proven counts on a committed split.
    EvalResult(EvalReport), |r, py| {
        bundle: PathBuf = r.proof.bundle.clone();
        spec: Spec = Spec(r.proof.spec.clone());
        weights_commitment: Option<String> = opt_text(&r.proof.weights_commitment);
        steps: usize = r.proof.steps;
        proof_bytes: usize = r.proof.proof_bytes;
        /// The phases' seconds, as a dict.
        timings: Py<PyAny> = to_python(py, &r.proof.timings)?;
        command_s: f64 = r.proof.command_s;
        /// "train" or "test".
        split: String = text(&r.split);
        commitment: String = text(&r.commitment);
        counts: Confusion = Confusion(r.counts);
        accuracy: Option<f64> = r.accuracy;
        precision: Option<f64> = r.precision;
        recall: Option<f64> = r.recall;
        /// With `group=`: `C_G`.
        group_commitment: Option<String> = opt_text(&r.group_commitment);
        /// With `group=`: each group's counts and rates and the differences
        /// between groups, as a dict (None without).
        fairness: Py<PyAny> = to_python(py, &r.fairness)?;
    }
}

/// `prove-predict`'s report with the statement its bundle carries (the
/// proven decisions and, with public weights, logits).
#[derive(Serialize)]
pub struct Predicted {
    #[serde(flatten)]
    pub report: PredictReport,
    pub statement: InferSummary,
}

fn proof(r: &Predicted) -> &InferProof {
    &r.report.proof
}

wrap! {
    /// `prove-predict`'s report, with the statement its bundle carries.
    PredictResult(Predicted), |r, py| {
        bundle: PathBuf = proof(r).bundle.clone();
        spec: Spec = Spec(proof(r).spec.clone());
        weights_commitment: Option<String> = opt_text(&proof(r).weights_commitment);
        steps: usize = proof(r).steps;
        proof_bytes: usize = proof(r).proof_bytes;
        timings: Py<PyAny> = to_python(py, &proof(r).timings)?;
        command_s: f64 = proof(r).command_s;
        predictions_path: PathBuf = r.report.predictions_path.clone();
        private_predictions_path: Option<PathBuf> = r.report.private_predictions_path.clone();
        rows: usize = r.report.rows;
        positive: usize = r.report.positive;
        /// What the bundle states: the decisions and, with public weights,
        /// the logits.
        statement: InferStatement = InferStatement(r.statement.clone());
    }
}

wrap! {
    /// One row of a model's predictions, computed natively (not proven).
    Prediction(PredictionRow), |r, py| {
        row: usize = r.row;
        inputs: Vec<f64> = r.inputs.clone();
        inputs_fixed: Vec<i64> = r.inputs_fixed.clone();
        logit_fixed: i64 = r.logit_fixed;
        logit: f64 = r.logit;
        probability: f64 = r.probability;
        decision: u8 = r.decision;
    }
}

wrap! {
    /// One split's public commitment.
    SplitCommitted(SplitCommitment), |r, py| {
        commitment: String = text(&r.commitment);
        rows: usize = r.rows;
    }
}

wrap! {
    /// `commitment.json`, as the library reads it.
    Commitments(CommitmentFile), |r, py| {
        kind: String = r.kind.clone();
        version: u32 = r.version;
        train: SplitCommitted = SplitCommitted(r.train.clone());
        test: SplitCommitted = SplitCommitted(r.test.clone());
        features: usize = r.features;
        format: Format = Format(r.format);
        train_fraction: f64 = r.train_fraction.get();
        /// The split rule, in words.
        split: String = r.split.clone();
        preprocessing: String = r.preprocessing.clone();
        preprocessing_version: u32 = r.preprocessing_version;
    }
}

/// A model file of either kind, as the library reads it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum ModelOf {
    /// `model.json` (public weights, or the private one of committed
    /// weights).
    Full(Box<LibModel>),
    /// `model.public.json`: no weights.
    Public(Box<PublicModel>),
}

impl ModelOf {
    fn recipe(&self) -> &LibRecipe {
        match self {
            ModelOf::Full(m) => &m.recipe,
            ModelOf::Public(p) => &p.recipe,
        }
    }

    fn feature_names(&self) -> &[String] {
        match self {
            ModelOf::Full(m) => &m.feature_names,
            ModelOf::Public(p) => &p.feature_names,
        }
    }

    fn normalizer(&self) -> Option<&foldtrain::dataset::Normalizer> {
        match self {
            ModelOf::Full(m) => Some(&m.normalizer),
            ModelOf::Public(p) => p.normalizer.as_ref(),
        }
    }

    fn full(&self) -> Option<&LibModel> {
        match self {
            ModelOf::Full(m) => Some(m),
            ModelOf::Public(_) => None,
        }
    }
}

wrap! {
    /// A model file (`model.json`, or `model.public.json` without weights),
    /// read and checked by the library.
    Model(ModelOf), |r, py| {
        /// "foldtrain-model" or "foldtrain-model-public".
        kind: String = match r {
            ModelOf::Full(m) => m.kind.clone(),
            ModelOf::Public(p) => p.kind.clone(),
        };
        recipe: Recipe = Recipe(r.recipe().clone());
        feature_names: Vec<String> = r.feature_names().to_vec();
        train_fraction: f64 = match r {
            ModelOf::Full(m) => m.train_fraction.get(),
            ModelOf::Public(p) => p.train_fraction.get(),
        };
        /// The normalizer's training means (None when it is kept private).
        means: Option<Vec<f64>> = r.normalizer().map(|n| n.means_f64());
        /// The normalizer's training standard deviations.
        stds: Option<Vec<f64>> = r.normalizer().map(|n| n.stds_f64());
        /// The weights as decimals (None in a public model of committed
        /// weights).
        weights: Option<Vec<f64>> = r.full().map(|m| m.decimal_weights().0);
        bias: Option<f64> = r.full().map(|m| m.decimal_weights().1);
        weights_fixed: Option<Vec<i64>> = r.full().map(|m| m.fixed_weights().w.clone());
        bias_fixed: Option<i64> = r.full().map(|m| m.fixed_weights().b);
        weights_commitment: Option<String> = match r {
            ModelOf::Full(m) => opt_text(&m.weights_commitment()),
            ModelOf::Public(p) => Some(text(&p.weights_commitment)),
        };
        /// C_N, the commitment to a normalizer kept private (a public
        /// model file lists it; a private one computes it from its salt).
        normalizer_commitment: Option<String> = match r {
            ModelOf::Full(m) => opt_text(&m.normalizer_commitment()),
            ModelOf::Public(p) => opt_text(&p.normalizer_commitment),
        };
    }
}

/// Labelled rows of a CSV, as the library read them.
#[derive(Serialize)]
pub struct Rows {
    pub feature_names: Vec<String>,
    pub rows: Vec<Vec<f64>>,
    pub labels: Vec<u8>,
}

impl From<foldtrain::dataset::Dataset> for Rows {
    fn from(d: foldtrain::dataset::Dataset) -> Self {
        Rows {
            feature_names: d.feature_names,
            rows: d.rows,
            labels: d.labels,
        }
    }
}

wrap! {
    /// Labelled rows of a CSV (one split of it), as the library read them.
    Table(Rows), |r, py| {
        feature_names: Vec<String> = r.feature_names.clone();
        /// One list of feature values a row.
        rows: Vec<Vec<f64>> = r.rows.clone();
        /// 0 or 1 a row.
        labels: Vec<u32> = ints(&r.labels);
    }
}

/// Every class above, for the module.
pub fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Format>()?;
    m.add_class::<Recipe>()?;
    m.add_class::<Confusion>()?;
    m.add_class::<Spec>()?;
    m.add_class::<Statement>()?;
    m.add_class::<InferStatement>()?;
    m.add_class::<CommitResult>()?;
    m.add_class::<ProveResult>()?;
    m.add_class::<PlanResult>()?;
    m.add_class::<SegmentResult>()?;
    m.add_class::<EstimateResult>()?;
    m.add_class::<VerifyResult>()?;
    m.add_class::<InferVerifyResult>()?;
    m.add_class::<Inspection>()?;
    m.add_class::<InferInspection>()?;
    m.add_class::<PrepStatement>()?;
    m.add_class::<PrepVerifyResult>()?;
    m.add_class::<PrepInspection>()?;
    m.add_class::<PrepResult>()?;
    m.add_class::<TrainingAudit>()?;
    m.add_class::<ChainLink>()?;
    m.add_class::<ChainAudit>()?;
    m.add_class::<AuditResult>()?;
    m.add_class::<EvalResult>()?;
    m.add_class::<PredictResult>()?;
    m.add_class::<Prediction>()?;
    m.add_class::<SplitCommitted>()?;
    m.add_class::<Commitments>()?;
    m.add_class::<Model>()?;
    m.add_class::<Table>()?;
    Ok(())
}
