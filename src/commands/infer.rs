//! `prove-eval` and `prove-predict`: proofs of what a trained model does,
//! and how `verify` and `inspect` show them.

use crate::fairness::Fairness;
use crate::group::GroupColumn;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::prove::open_commitment;
use super::DataArgs;
use crate::artifact::{self, Visibility};
use crate::circuit::infer::{split_name, InferSpec, Outputs, Prediction, Task};
use crate::circuit::ModelCommitment;
use crate::commitment::{Commitment, Split};
use crate::dataset::{Dataset, FixedDataset, RawDataset};
use crate::error::{Error, Result};
use crate::inference::{Claim, InferBundle, InferJob, InferStatement, InferTimings};
use crate::ivc::params::Cache;
use crate::ivc::prover::Observer;
use crate::model::Model;
use crate::proof::PublishedModel;
use crate::recipe::{Hyper, WeightsVisibility};
use crate::statement::Verifier;
use crate::train::{self, Confusion, Weights};

/// The evaluation bundle's file name (`eval-test.bundle`).
pub fn eval_bundle_name(split: Split) -> String {
    format!("eval-{}.bundle", split.name())
}
/// The predictions bundle's file name.
pub const PREDICT_BUNDLE_FILE: &str = "predict.bundle";
/// The predictions, as people read them: at the top of the output folder
/// what the statement publishes; with committed weights also under
/// `private/`, with the raw inputs and the logits.
pub const PREDICTIONS_FILE: &str = "predictions.json";

/// What `prove-eval` and `prove-predict` share: the model proven, where
/// its proof goes and how it is folded.
#[derive(Clone, Debug, clap::Args)]
pub struct InferArgs {
    /// model.json (public weights) or private/model.json (committed).
    #[arg(long, value_name = "MODEL")]
    pub model: PathBuf,
    /// Output folder (default: the model's output folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Rows folded per step, a multiple of 8 (default: chosen by size).
    #[arg(long, value_name = "R")]
    pub rows_per_step: Option<usize>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

impl InferArgs {
    /// The model (with committed weights, with the salt that opens its
    /// `C_W`) and the output folder.
    fn open(&self) -> Result<(Model, PathBuf)> {
        let model = read_model(&self.model)?;
        let out = (self.out.clone()).unwrap_or_else(|| model_out_dir(&self.model));
        Ok((model, out))
    }
}

/// `prove-eval`'s settings: its flags, as the binary parses them.
#[derive(Clone, Debug, clap::Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub infer: InferArgs,
    /// The folder commit or prove wrote commitment.json and
    /// private/opening.json into (or the commitment.json).
    #[arg(long, value_name = "DIR")]
    pub commitment: PathBuf,
    /// The CSV that was committed.
    #[arg(long)]
    pub data: PathBuf,
    /// Which committed split to evaluate on: test or train.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Also prove the counts of each group of the protected attribute the
    /// commitment holds (`commit --group COLUMN`; the test split): the
    /// approval rate, true- and false-positive rates of each group, and the
    /// demographic-parity, equal-opportunity and disparate-impact figures.
    #[arg(long, value_name = "COLUMN")]
    pub group: Option<String>,
}

/// `prove-predict`'s settings: its flags, as the binary parses them.
#[derive(Clone, Debug, clap::Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub infer: InferArgs,
    /// CSV with the model's feature columns (a `label` column is ignored).
    #[arg(long, value_name = "CSV")]
    pub inputs: PathBuf,
    /// Prove from the raw values: the statement lists the applicant's own
    /// values (as integers x 2^16) and the model's normalizer, and the
    /// circuit normalizes and quantizes them (default: the statement lists
    /// the quantized inputs).
    #[arg(long)]
    pub raw: bool,
}

/// The output folder of a model file: its folder, or the one above when it
/// is under `private/`.
fn model_out_dir(model: &Path) -> PathBuf {
    let dir = model.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if dir
        .file_name()
        .is_some_and(|n| n == crate::output::PRIVATE_DIR)
    {
        dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Reads a model with its weights; with committed weights it must carry
/// the salt that opens its `C_W`.
fn read_model(path: &Path) -> Result<Model> {
    let model: Model = artifact::read_json(path, Model::KIND)?;
    if model.recipe.weights == WeightsVisibility::Committed {
        match (model.weights_commitment(), model.opened_commitment()) {
            (Some(c), Some(opened)) if c == opened => {}
            _ => {
                return Err(Error::artifact(
                    path,
                    "has committed weights without the salt that opens its C_W; give the \
                     private model (OUT/private/model.json) that prove --private-weights wrote",
                ))
            }
        }
    }
    Ok(model)
}

/// Refuses to replace `path` unless `force`.
fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::artifact(
            path,
            "exists; pass --force to replace it, or choose another --out",
        ));
    }
    Ok(())
}

/// What one inference proof report shares.
#[derive(Clone, Debug, Serialize)]
pub struct InferProof {
    pub bundle: PathBuf,
    pub spec: InferSpec,
    /// `C_W`, with committed weights.
    pub weights_commitment: Option<ModelCommitment>,
    pub steps: usize,
    pub proof_bytes: usize,
    pub timings: InferTimings,
    /// Seconds of the whole command.
    pub command_s: f64,
}

/// `prove-eval`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    #[serde(flatten)]
    pub proof: InferProof,
    pub split: Split,
    pub commitment: Commitment,
    pub counts: Confusion,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// With `--group`: `C_G` and the figures of each group.
    pub group_commitment: Option<Commitment>,
    pub fairness: Option<Fairness>,
}

/// An evaluation's protected attribute: the column, each test row's
/// group, `C_G` and its salt.
type EvalGroup<'a> = (
    &'a GroupColumn,
    &'a [u8],
    Commitment,
    crate::commitment::Salt,
);

/// The protected attribute `prove-eval --group NAME` asks for: the one the
/// commitment holds, on the test split.
fn eval_group<'a>(
    asked: Option<&str>,
    split: Split,
    opening: &'a crate::commitment::Opening,
    loaded: &'a super::Loaded,
    commitment: &Path,
) -> Result<Option<EvalGroup<'a>>> {
    let Some(name) = asked else {
        return Ok(None);
    };
    let (Some(g), Some((column, codes))) = (&opening.group, &loaded.prepared.group) else {
        return Err(Error::Mismatch(format!(
            "the commitment in {} holds no protected attribute; commit with `foldtrain commit \
             --group {name}` before training to evaluate by its groups",
            commitment.display()
        )));
    };
    if g.column.name != name {
        return Err(Error::Mismatch(format!(
            "the commitment in {} holds the protected attribute `{}`, not `{name}`; give \
             --group {}",
            commitment.display(),
            g.column.name,
            g.column.name
        )));
    }
    if split != Split::Test {
        return Err(Error::Mismatch(
            "the groups are committed with the test split; evaluate with --split test".into(),
        ));
    }
    Ok(Some((column, codes.as_slice(), g.commitment, g.salt)))
}

/// Proves the confusion counts of a model over a committed split.
pub fn prove_eval(args: &EvalArgs, observer: &dyn Observer) -> Result<EvalReport> {
    let started = Instant::now();
    let (model, out) = args.infer.open()?;
    let bundle_path = out.join(eval_bundle_name(args.split));
    refuse_existing(&bundle_path, args.infer.force)?;
    let data = DataArgs {
        data: args.data.clone(),
        train_fraction: model.train_fraction,
        hyper: Hyper::of(&model.recipe),
        group: None,
    };
    let (_, loaded, opening) = open_commitment(&args.commitment, &data)?;
    if opening.format != model.recipe.format {
        return Err(Error::Mismatch(format!(
            "the commitment's rows are quantized in another fixed-point format than {}'s",
            args.infer.model.display()
        )));
    }
    let (rows, split) = match args.split {
        Split::Train => (&loaded.prepared.train_fixed, &opening.train),
        Split::Test => (&loaded.test_fixed, &opening.test),
    };
    if rows.is_empty() {
        return Err(Error::Mismatch(format!(
            "the commitment's {} split has no rows: commit with a --train-fraction that leaves some",
            split_name(args.split)
        )));
    }
    let group = eval_group(
        args.group.as_deref(),
        args.split,
        &opening,
        &loaded,
        &args.commitment,
    )?;
    let spec = InferSpec::new(
        Task::Evaluate(args.split),
        model.recipe.features,
        model.recipe.format,
        model.recipe.weights,
        rows.len(),
        args.infer.rows_per_step,
    )?;
    let spec = match group {
        Some((column, ..)) => spec.with_group(column.clone(), args.infer.rows_per_step)?,
        None => spec,
    };
    let weights = model.fixed_weights();
    let job = InferJob {
        spec: Arc::new(spec),
        weights,
        weights_salt: model.weights_salt(),
        rows: &rows.rows,
        labels: &rows.labels,
        commitment: Some((split.commitment, split.salt)),
        groups: group.map(|(_, codes, c, salt)| (codes, c, salt)),
        normalizer: None,
        normalizer_salt: None,
    };
    observer.begun(&format!(
        "proving the evaluation of {} on the {} split, {} rows (setup, folding and \
         compression take a minute or more)",
        args.infer.model.display(),
        split_name(args.split),
        rows.len()
    ));
    let cache = Cache::from_env();
    let (bundle, timings) = job.prove(cache.as_ref(), observer)?;
    let counts = bundle
        .statement
        .counts()
        .ok_or_else(|| Error::Internal("an evaluation bundle without counts".into()))?;
    let native = train::confusion_fixed(weights, rows, model.recipe.format.feature_frac_bits);
    if counts != native {
        return Err(Error::Internal(format!(
            "the proven counts {counts:?} differ from the native evaluation's {native:?}"
        )));
    }
    let summary = InferSummary::of(&bundle.statement);
    let proof = write_bundle(&bundle, &bundle_path, timings, started)?;
    Ok(EvalReport {
        proof,
        split: args.split,
        commitment: split.commitment,
        counts,
        accuracy: counts.accuracy(),
        precision: counts.precision(),
        recall: counts.recall(),
        group_commitment: summary.group_commitment,
        fairness: summary.fairness,
    })
}

/// Writes a bundle atomically; what the report says of it.
fn write_bundle(
    bundle: &InferBundle,
    path: &Path,
    timings: InferTimings,
    started: Instant,
) -> Result<InferProof> {
    let bytes = bundle.to_bytes()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    artifact::write_atomic(path, &bytes, Visibility::Public)?;
    let st = &bundle.statement;
    Ok(InferProof {
        bundle: path.to_path_buf(),
        spec: st.spec.clone(),
        weights_commitment: match st.model {
            PublishedModel::Committed(c) => Some(c),
            PublishedModel::Weights(_) => None,
        },
        steps: st.steps,
        proof_bytes: bincode::serde::encode_to_vec(&bundle.snark, bincode::config::standard())
            .map(|v| v.len())
            .unwrap_or(0),
        timings,
        command_s: started.elapsed().as_secs_f64(),
    })
}

/// One row of the model's predictions as its holder sees them: the public
/// `predictions.json` with public weights, `private/predictions.json` with
/// committed weights (whose raw inputs, beside the quantized ones, give the
/// normalizer back, and whose logits give the weights back).
#[derive(Clone, Debug, Serialize)]
pub struct PredictionRow {
    /// The row's index in the inputs CSV (0 = the first data row).
    pub row: usize,
    /// The raw inputs as given.
    pub inputs: Vec<f64>,
    /// The quantized inputs the proof states.
    pub inputs_fixed: Vec<i64>,
    /// The proven logit, fixed point and decimal.
    pub logit_fixed: i64,
    pub logit: f64,
    /// sigmoid(logit), computed in f64 from the proven logit (not proven).
    pub probability: f64,
    /// The proven decision: 1 when the logit is at least 0.
    pub decision: u8,
}

/// One row of the public `predictions.json` with committed weights: what
/// the statement publishes of it, nothing more.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionRow {
    /// The row's index in the inputs CSV (0 = the first data row).
    pub row: usize,
    /// The inputs the proof states: the quantized features, or with
    /// `--raw` the applicant's raw integers (`x 2^16`), never both (beside
    /// each other they would give a private normalizer back).
    pub inputs_fixed: Vec<i64>,
    /// The proven decision: 1 when the logit is at least 0.
    pub decision: u8,
}

/// `predictions.json`: what an applicant or verifier reads (rows of
/// [`PredictionRow`] or [`DecisionRow`]).
#[derive(Clone, Debug, Serialize)]
pub struct PredictionsFile<R> {
    pub kind: String,
    pub bundle: PathBuf,
    pub feature_names: Vec<String>,
    pub weights_commitment: Option<ModelCommitment>,
    pub rows: Vec<R>,
}

impl<R> PredictionsFile<R> {
    pub const KIND: &'static str = "foldtrain-predictions";

    /// The file of `rows`, proven by the bundle at `bundle`.
    fn new(bundle: &Path, model: &Model, proof: &InferProof, rows: Vec<R>) -> Self {
        PredictionsFile {
            kind: Self::KIND.into(),
            bundle: bundle.to_path_buf(),
            feature_names: model.feature_names.clone(),
            weights_commitment: proof.weights_commitment,
            rows,
        }
    }
}

/// `prove-predict`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct PredictReport {
    #[serde(flatten)]
    pub proof: InferProof,
    /// The public predictions file.
    pub predictions_path: PathBuf,
    /// With committed weights: the private predictions file (raw inputs,
    /// logits, probabilities), under `private/`.
    pub private_predictions_path: Option<PathBuf>,
    pub rows: usize,
    pub positive: usize,
    /// Columns of the inputs that are not the model's (a protected
    /// attribute, an identifier), left out.
    pub ignored_columns: Vec<String>,
}

/// Proves a model's decisions (and, with public weights, its logits) on the
/// rows of a CSV.
pub fn prove_predict(args: &PredictArgs, observer: &dyn Observer) -> Result<PredictReport> {
    let started = Instant::now();
    let (model, out) = args.infer.open()?;
    let bundle_path = out.join(PREDICT_BUNDLE_FILE);
    let predictions_path = out.join(PREDICTIONS_FILE);
    let private_predictions_path = (model.recipe.weights == WeightsVisibility::Committed)
        .then(|| crate::output::private_dir(&out).join(PREDICTIONS_FILE));
    refuse_existing(&bundle_path, args.infer.force)?;
    refuse_existing(&predictions_path, args.infer.force)?;
    if let Some(path) = &private_predictions_path {
        refuse_existing(path, args.infer.force)?;
    }
    let private_normalizer = args.raw && keeps_normalizer_private(&args.infer.model, &model)?;
    let inputs = read_inputs(&model, &args.inputs)?;
    let (raw, fixed) = (&inputs.values, &inputs.fixed);
    let format = model.recipe.format;
    let (r, d, w) = (fixed.len(), model.recipe.features, model.recipe.weights);
    let rows_per_step = args.infer.rows_per_step;
    let spec = match args.raw {
        false => InferSpec::new(Task::Predict, d, format, w, r, rows_per_step),
        true => InferSpec::raw_predictions(d, format, w, r, rows_per_step, private_normalizer),
    }
    .map_err(|e| Error::Mismatch(format!("{}: {e}", args.inputs.display())))?;
    let weights = model.fixed_weights();
    let job = InferJob {
        spec: Arc::new(spec),
        weights,
        weights_salt: model.weights_salt(),
        rows: if args.raw { inputs.raw.rows() } else { fixed },
        labels: &[],
        commitment: None,
        groups: None,
        normalizer: args.raw.then_some(&model.normalizer),
        normalizer_salt: model.normalizer_salt(),
    };
    observer.begun(&format!(
        "proving the predictions of {} on {}, {} rows (setup, folding and compression \
         take a minute or more)",
        args.infer.model.display(),
        args.inputs.display(),
        fixed.len()
    ));
    let raw = raw.as_slice();
    let cache = Cache::from_env();
    let (bundle, timings) = job.prove(cache.as_ref(), observer)?;
    let Claim::Predictions { outputs, .. } = &bundle.statement.claim else {
        return Err(Error::Internal(
            "a predictions bundle without outputs".into(),
        ));
    };
    // The holder's view, computed natively, and what the proof states of it.
    let native: Vec<Prediction> = (fixed.iter())
        .map(|f| Prediction::of(weights, f, &format))
        .collect();
    if *outputs != Outputs::published(&bundle.statement.spec, &native) {
        return Err(Error::Internal(
            "the proven outputs differ from the native predictions".into(),
        ));
    }
    let rows: Vec<PredictionRow> = (raw.iter().zip(fixed).zip(&native).enumerate())
        .map(|(i, ((r, f), p))| prediction_row(i, r, f, p, &format))
        .collect();
    let proof = write_bundle(&bundle, &bundle_path, timings, started)?;
    match &private_predictions_path {
        None => artifact::write_json(
            &predictions_path,
            &PredictionsFile::new(&bundle_path, &model, &proof, rows.clone()),
            Visibility::Public,
        )?,
        Some(private) => {
            // Everything at the top of the folder is public: there, only
            // what the statement publishes. The raw inputs (which beside the
            // quantized ones give a private normalizer back) and the logits
            // (which give the weights back) stay under private/.
            let stated = match args.raw {
                true => inputs.raw.rows(),
                false => fixed.as_slice(),
            };
            let decisions: Vec<DecisionRow> = (rows.iter().zip(stated))
                .map(|(r, inputs)| DecisionRow {
                    row: r.row,
                    inputs_fixed: inputs.clone(),
                    decision: r.decision,
                })
                .collect();
            if let Some(dir) = private.parent() {
                artifact::ensure_private_dir(dir)?;
            }
            artifact::write_json(
                private,
                &PredictionsFile::new(&bundle_path, &model, &proof, rows.clone()),
                Visibility::Private,
            )?;
            artifact::write_json(
                &predictions_path,
                &PredictionsFile::new(&bundle_path, &model, &proof, decisions),
                Visibility::Public,
            )?;
        }
    }
    Ok(PredictReport {
        rows: rows.len(),
        positive: rows.iter().filter(|r| r.decision == 1).count(),
        proof,
        predictions_path,
        private_predictions_path,
        ignored_columns: inputs.ignored,
    })
}

/// Whether `--raw` normalizes by a private normalizer: the model keeps the
/// salt of `C_N` exactly when its run kept the normalizer private
/// (`--private-normalizer`), so the statement states `C_N`, never the
/// normalizer, whether or not `model.public.json` is beside the model.
/// When it is, its `C_N` must be the one the model opens; a public file
/// without normalizer or `C_N` (a run from before `C_N`) is refused with
/// what to do.
fn keeps_normalizer_private(path: &Path, model: &Model) -> Result<bool> {
    let public_path = model_out_dir(path).join(super::PUBLIC_MODEL_FILE);
    let public: Option<crate::model::PublicModel> = match public_path.is_file() {
        true => Some(artifact::read_json(
            &public_path,
            crate::model::PublicModel::KIND,
        )?),
        false => None,
    };
    let listed = public
        .as_ref()
        .map(|m| (m.normalizer.is_some(), m.normalizer_commitment));
    match (model.normalizer_commitment(), listed) {
        (Some(opened), Some((_, Some(c)))) if c != opened => Err(Error::Mismatch(format!(
            "{} lists the normalizer commitment C_N {c}, but {} opens to {opened}: give the \
             private model of the same run",
            public_path.display(),
            path.display()
        ))),
        (Some(_), _) => Ok(true),
        (None, Some((false, None))) => Err(Error::Mismatch(format!(
            "{} keeps its normalizer private but has no commitment C_N to it (a run from \
             before C_N): prove the model again (foldtrain prove --private-normalizer), or \
             predict without --raw",
            path.display()
        ))),
        (None, _) => Ok(false),
    }
}

/// Rows as read from a CSV, as raw integers, and quantized by the model's
/// normalizer.
struct Inputs {
    values: Vec<Vec<f64>>,
    raw: RawDataset,
    fixed: Vec<Vec<i64>>,
    /// The columns left out (not the model's).
    ignored: Vec<String>,
}

/// The positions of the model's columns among `names`: every one of them,
/// in the model's order; other columns (a protected attribute left out of
/// the features, an identifier) may stand between them and are left out.
fn model_columns(names: &[String], model: &[String]) -> Option<Vec<usize>> {
    let mut at = 0;
    model
        .iter()
        .map(|m| {
            let k = at + names[at..].iter().position(|n| n == m)?;
            at = k + 1;
            Some(k)
        })
        .collect()
}

/// Reads an inputs CSV with the model's columns (in its order; others are
/// left out).
fn read_inputs(model: &Model, inputs: &Path) -> Result<Inputs> {
    let bytes = artifact::read_limited(inputs, crate::dataset::MAX_CSV_BYTES)?;
    let (all_names, all_rows) = Dataset::parse_inputs(inputs, &bytes)?;
    let Some(picked) = model_columns(&all_names, &model.feature_names) else {
        return Err(Error::Mismatch(format!(
            "{} has the columns {all_names:?}; the model takes {:?} (each of them, in that \
             order; other columns are left out, and a last column `label` is ignored)",
            inputs.display(),
            model.feature_names
        )));
    };
    let ignored: Vec<String> = (0..all_names.len())
        .filter(|j| !picked.contains(j))
        .map(|j| all_names[j].clone())
        .collect();
    let names: Vec<String> = picked.iter().map(|&j| all_names[j].clone()).collect();
    let raw: Vec<Vec<f64>> = (all_rows.iter())
        .map(|r| picked.iter().map(|&j| r[j]).collect())
        .collect();
    let format = model.recipe.format;
    let table = crate::dataset::Dataset {
        path: inputs.to_path_buf(),
        feature_names: names,
        rows: raw,
        labels: Vec::new(),
    };
    let raw = RawDataset::of(&table)?;
    let fixed = FixedDataset::quantize(&raw, &model.normalizer, &format).rows;
    Ok(Inputs {
        values: table.rows,
        raw,
        fixed,
        ignored,
    })
}

/// The model's predictions on an inputs CSV, computed natively: the same
/// fixed-point arithmetic `prove-predict` proves, with no proof. Takes a
/// public model, or a private one with committed weights.
pub fn predict(model_path: &Path, inputs: &Path) -> Result<Vec<PredictionRow>> {
    let model: Model = artifact::read_json(model_path, Model::KIND)?;
    let inputs = read_inputs(&model, inputs)?;
    let format = model.recipe.format;
    let weights = model.fixed_weights();
    Ok((inputs.values.iter().zip(&inputs.fixed).enumerate())
        .map(|(i, (r, f))| prediction_row(i, r, f, &Prediction::of(weights, f, &format), &format))
        .collect())
}

fn prediction_row(
    row: usize,
    raw: &[f64],
    fixed: &[i64],
    p: &Prediction,
    format: &crate::fixed::FixedFormat,
) -> PredictionRow {
    let logit = format.to_f64(p.logit);
    PredictionRow {
        row,
        inputs: raw.to_vec(),
        inputs_fixed: fixed.to_vec(),
        logit_fixed: p.logit,
        logit,
        probability: crate::model::probability(logit),
        decision: u8::from(p.decision),
    }
}

/// An inference statement as people read it.
#[derive(Clone, Debug, Serialize)]
pub struct InferSummary {
    /// `evaluation` or `predictions`.
    pub kind: &'static str,
    pub spec: InferSpec,
    pub weights_commitment: Option<ModelCommitment>,
    pub weights: Option<Vec<f64>>,
    pub bias: Option<f64>,
    pub weights_fixed: Option<Vec<i64>>,
    pub bias_fixed: Option<i64>,
    /// Evaluation: the split's commitment and the counts.
    pub commitment: Option<Commitment>,
    pub counts: Option<Confusion>,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// Evaluation by groups: `C_G` and the figures of each group, from the
    /// proven counts.
    pub group_commitment: Option<Commitment>,
    pub fairness: Option<Fairness>,
    /// Predictions with public weights: the proven logits (decimal). With
    /// committed weights the statement has none (nor this field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logits: Option<Vec<f64>>,
    /// Predictions: the proven decisions.
    pub decisions: Option<Vec<u8>>,
    pub steps: usize,
    pub params_digest: String,
}

impl InferSummary {
    pub fn of(st: &InferStatement) -> Self {
        let format = st.spec.format;
        let public: Option<&Weights> = match &st.model {
            PublishedModel::Weights(w) => Some(w),
            PublishedModel::Committed(_) => None,
        };
        let decimals = public.map(|w| w.to_f64(&format));
        let groups = match (&st.claim, &st.spec.group) {
            (
                Claim::Evaluation {
                    groups: Some(g), ..
                },
                Some(column),
            ) => Some((
                g.commitment,
                Fairness::of(&column.name, &column.labels, &g.counts),
            )),
            _ => None,
        };
        let (commitment, counts, logits, decisions) = match &st.claim {
            Claim::Evaluation {
                commitment, counts, ..
            } => (Some(*commitment), Some(*counts), None, None),
            Claim::Predictions { outputs, .. } => (
                None,
                None,
                (outputs.logits()).map(|l| l.iter().map(|&z| format.to_f64(z)).collect()),
                Some(outputs.decisions().into_iter().map(u8::from).collect()),
            ),
        };
        InferSummary {
            kind: match st.spec.task {
                Task::Evaluate(_) => "evaluation",
                Task::Predict => "predictions",
            },
            spec: st.spec.clone(),
            weights_commitment: match &st.model {
                PublishedModel::Committed(c) => Some(*c),
                PublishedModel::Weights(_) => None,
            },
            weights: decimals.as_ref().map(|(w, _)| w.clone()),
            bias: decimals.map(|(_, b)| b),
            weights_fixed: public.map(|w| w.w.clone()),
            bias_fixed: public.map(|w| w.b),
            commitment,
            counts,
            accuracy: counts.and_then(|c| c.accuracy()),
            precision: counts.and_then(|c| c.precision()),
            recall: counts.and_then(|c| c.recall()),
            group_commitment: groups.as_ref().map(|(c, _)| *c),
            fairness: groups.map(|(_, f)| f),
            logits,
            decisions,
            steps: st.steps,
            params_digest: st.params_digest.clone(),
        }
    }
}

/// `verify` of an inference bundle.
pub type InferVerifyReport = super::verify::KindVerifyReport<InferSummary>;

/// Verifies an inference bundle file with `verifier` (shared with the
/// other bundles of a batch): a rejection is a report, an unreadable file
/// an error.
pub fn verify_infer(verifier: &mut Verifier, path: &Path) -> Result<InferVerifyReport> {
    super::verify::verify_kind::<InferStatement, _>(verifier, path, InferSummary::of)
}

/// `inspect` of an inference bundle (not verified).
pub fn inspect_infer(path: &Path) -> Result<InferSummary> {
    let bundle = InferBundle::read(path).map_err(|e| crate::statement::as_input_error(path, e))?;
    Ok(InferSummary::of(&bundle.statement))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |a| format!("{:.2}%", a * 100.0))
}

impl fmt::Display for InferSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "statement    {}", self.spec.summary())?;
        match (&self.weights_commitment, &self.weights, self.bias) {
            (Some(c), _, _) => writeln!(f, "model        C_W {c} (weights private)")?,
            (None, Some(w), Some(b)) => {
                let shown: Vec<String> = w.iter().take(8).map(|v| format!("{v:.4}")).collect();
                let more = if w.len() > 8 { ", ..." } else { "" };
                writeln!(
                    f,
                    "model        weights [{}{more}], bias {b:.4}",
                    shown.join(", ")
                )?
            }
            _ => {}
        }
        if let (Some(c), Some(n)) = (&self.commitment, &self.counts) {
            writeln!(f, "rows         {} (their commitment {c})", n.total())?;
            writeln!(
                f,
                "counts       TP {}  FP {}  TN {}  FN {} (decision: logit >= 0)",
                n.tp, n.fp, n.tn, n.fn_
            )?;
            writeln!(
                f,
                "accuracy     {}   precision {}   recall {}",
                pct(self.accuracy),
                pct(self.precision),
                pct(self.recall)
            )?;
        }
        if let (Some(c), Some(fair)) = (&self.group_commitment, &self.fairness) {
            writeln!(f, "groups       their commitment C_G {c}")?;
            for line in fair.lines() {
                writeln!(f, "  {line}")?;
            }
        }
        if let Some(d) = &self.decisions {
            let ones = d.iter().filter(|&&x| x == 1).count();
            writeln!(f, "predictions  {} rows, {ones} decided 1", d.len())?;
            if self.logits.is_none() {
                writeln!(
                    f,
                    "  (decisions only: the logits stay private with the weights)"
                )?;
            }
            for (i, y) in d.iter().take(10).enumerate() {
                match self.logits.as_ref().and_then(|l| l.get(i)) {
                    Some(z) => writeln!(f, "  row {i:>4}   logit {z:>9.4}   decision {y}")?,
                    None => writeln!(f, "  row {i:>4}   decision {y}")?,
                }
            }
            if d.len() > 10 {
                writeln!(f, "  ... ({} more in the statement)", d.len() - 10)?;
            }
        }
        write!(
            f,
            "steps        {}\nparams       {}",
            self.steps, self.params_digest
        )
    }
}

fn timing_line(p: &InferProof) -> String {
    format!(
        "{} steps of {} rows ({} constraints folded a step); proof {} bytes; {:.1} s in all \
         (setup {:.1}, folding {:.1}, compression {:.1}, check {:.1})",
        p.steps,
        p.spec.rows_per_step,
        p.timings.constraints_per_step,
        p.proof_bytes,
        p.command_s,
        p.timings.setup_s,
        p.timings.fold_s,
        p.timings.compress_s,
        p.timings.check_s
    )
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "proved the evaluation on the {} split: {} rows (commitment {})",
            split_name(self.split),
            c.total(),
            self.commitment
        )?;
        writeln!(
            f,
            "TP {}  FP {}  TN {}  FN {}: accuracy {}, precision {}, recall {} (equal to the native evaluation)",
            c.tp,
            c.fp,
            c.tn,
            c.fn_,
            pct(self.accuracy),
            pct(self.precision),
            pct(self.recall)
        )?;
        if let (Some(c), Some(fair)) = (&self.group_commitment, &self.fairness) {
            writeln!(f, "groups' commitment C_G {c}")?;
            for line in fair.lines() {
                writeln!(f, "{line}")?;
            }
        }
        if let Some(cw) = &self.proof.weights_commitment {
            writeln!(f, "model C_W {cw}")?;
        }
        writeln!(f, "{}", timing_line(&self.proof))?;
        write!(f, "bundle: {}", self.proof.bundle.display())
    }
}

impl fmt::Display for PredictReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proved {} predictions ({} decided 1)",
            self.rows, self.positive
        )?;
        if !self.ignored_columns.is_empty() {
            writeln!(
                f,
                "left out (not the model's columns): {}",
                self.ignored_columns.join(", ")
            )?;
        }
        if let Some(cw) = &self.proof.weights_commitment {
            writeln!(f, "model C_W {cw}")?;
        }
        writeln!(f, "{}", timing_line(&self.proof))?;
        writeln!(f, "bundle:      {}", self.proof.bundle.display())?;
        write!(f, "predictions: {}", self.predictions_path.display())?;
        if let Some(private) = &self.private_predictions_path {
            write!(
                f,
                " (decisions only)\nprivate:     {} (raw inputs and logits: keep it private)",
                private.display()
            )?;
        }
        Ok(())
    }
}
