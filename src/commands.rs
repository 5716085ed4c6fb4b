//! One library function per command. The binary only parses arguments,
//! calls these and prints their reports; tests call them directly.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;

use crate::artifact::{self, Visibility};
use crate::commitment::{Commitment, Opening};
use crate::dataset::{Dataset, FixedDataset, Prepared};
use crate::error::Result;
use crate::model::Model;
use crate::output::{self, OutputDir};
use crate::recipe::{Hyper, Recipe};
use crate::train;

/// The shipped default dataset: German credit, the credit-scoring case.
pub const DEFAULT_DATASET: &str = "datasets/german_credit.csv";

/// Default share of rows that train (file order); the rest test.
pub const DEFAULT_TRAIN_FRACTION: f64 = 0.8;

/// The default dataset's path: relative to the working folder when it exists
/// there, else inside the source tree this binary was built from.
pub fn default_dataset() -> PathBuf {
    let local = PathBuf::from(DEFAULT_DATASET);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_DATASET)
    }
}

/// What every data-driven command needs: the CSV and how to prepare it.
#[derive(Clone, Debug)]
pub struct DataArgs {
    pub data: PathBuf,
    pub train_fraction: f64,
    pub hyper: Hyper,
}

/// Loaded, split and quantized data with its recipe.
pub struct Loaded {
    pub dataset: Dataset,
    pub prepared: Prepared,
    pub recipe: Recipe,
    pub source_sha256: String,
}

impl DataArgs {
    /// Loads the CSV, splits, normalizes, quantizes and builds the recipe.
    pub fn load(&self) -> Result<Loaded> {
        // The format decides the quantization: check it before using it.
        self.hyper.format.validate()?;
        let bytes = artifact::read_limited(&self.data, crate::dataset::MAX_CSV_BYTES)?;
        let dataset = Dataset::parse(&self.data, &bytes)?;
        let prepared = Prepared::new(&dataset, self.train_fraction, &self.hyper.format)?;
        let recipe = Recipe::new(&self.hyper, dataset.features(), prepared.train_fixed.len())?;
        Ok(Loaded {
            source_sha256: artifact::sha256_hex(&bytes),
            dataset,
            prepared,
            recipe,
        })
    }
}

/// `train`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    pub data: PathBuf,
    pub recipe: Recipe,
    pub train_rows: usize,
    pub test_rows: usize,
    pub train_accuracy: f64,
    pub test_accuracy: Option<f64>,
    pub float_train_accuracy: f64,
    pub float_test_accuracy: Option<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub model_path: Option<PathBuf>,
}

/// Trains natively in fixed point (the proven computation) and in f64.
pub fn train(args: &DataArgs, out: Option<&Path>) -> Result<(TrainReport, Model)> {
    let loaded = args.load()?;
    let p = &loaded.prepared;
    let recipe = &loaded.recipe;
    let weights = train::train_fixed(recipe, &p.train_fixed)?;
    let model = Model::new(
        recipe.clone(),
        loaded.dataset.feature_names.clone(),
        args.train_fraction,
        p.normalizer.clone(),
        &weights,
    );
    let float = train::train_float(recipe, &p.train, &p.normalizer);
    let f = recipe.format.feature_frac_bits;
    let test_fixed = FixedDataset::quantize(&p.test, &p.normalizer, &recipe.format);
    if let Some(path) = out {
        artifact::write_json(path, &model, Visibility::Public)?;
    }
    let report = TrainReport {
        data: args.data.clone(),
        recipe: recipe.clone(),
        train_rows: p.train.rows.len(),
        test_rows: p.test.rows.len(),
        train_accuracy: train::accuracy_fixed(&weights, &p.train_fixed, f).unwrap_or(0.0),
        test_accuracy: train::accuracy_fixed(&weights, &test_fixed, f),
        float_train_accuracy: train::accuracy_float(&float, &p.train, &p.normalizer).unwrap_or(0.0),
        float_test_accuracy: train::accuracy_float(&float, &p.test, &p.normalizer),
        weights: model.weights.clone(),
        bias: model.bias,
        model_path: out.map(Path::to_path_buf),
    };
    Ok((report, model))
}

/// The public commitment file.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CommitmentFile {
    pub kind: String,
    pub version: u32,
    pub commitment: Commitment,
    pub rows: usize,
    pub features: usize,
}

impl CommitmentFile {
    pub const KIND: &'static str = "foldtrain-commitment";
}

/// `commit`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct CommitReport {
    pub commitment: Commitment,
    pub rows: usize,
    pub features: usize,
    pub commitment_path: PathBuf,
    pub opening_path: PathBuf,
}

pub use crate::output::{private_dir, PRIVATE_DIR};

/// The proof bundle, at the top of an output folder.
pub const BUNDLE_FILE: &str = "proof.bundle";
/// The model, at the top of an output folder.
pub const MODEL_FILE: &str = "model.json";
/// The public files `prove` and `resume` write; a run refuses to start if
/// one exists, unless `--force`.
const PROVE_OUTPUTS: &[&str] = &[BUNDLE_FILE, MODEL_FILE, output::MANIFEST];

/// Commits to the training rows: writes `commitment.json` (public) into
/// `out_dir` and `opening.json` (0600) into its `private/` folder.
///
/// Refuses a folder that holds an opening already (it may open a published
/// commitment), or a `commitment.json` unless `force`.
pub fn commit(args: &DataArgs, out_dir: &Path, force: bool) -> Result<CommitReport> {
    let loaded = args.load()?;
    let opening = Opening::commit(
        &loaded.prepared.train_fixed,
        &args.hyper.format,
        args.train_fraction,
        loaded.source_sha256.clone(),
    );
    let out = OutputDir::lock(out_dir)?;
    out.refuse_existing_public(&["commitment.json", output::MANIFEST], force)?;
    // A fresh salt: any opening already here is another commitment's.
    out.plan_opening(&opening.commitment)?;
    out.begin()?;
    let opening_path = private_dir(out_dir).join(output::OPENING);
    let commitment_path = out_dir.join("commitment.json");
    artifact::write_json(&opening_path, &opening, Visibility::Private)?;
    let public = CommitmentFile {
        kind: CommitmentFile::KIND.into(),
        version: crate::recipe::FORMAT_VERSION,
        commitment: opening.commitment,
        rows: opening.rows,
        features: opening.features,
    };
    artifact::write_json(&commitment_path, &public, Visibility::Public)?;
    out.finish("commit", &["commitment.json"], &[output::OPENING])?;
    Ok(CommitReport {
        commitment: opening.commitment,
        rows: opening.rows,
        features: opening.features,
        commitment_path,
        opening_path,
    })
}

/// `evaluate`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct EvaluateReport {
    pub model: PathBuf,
    pub data: PathBuf,
    pub rows: usize,
    pub accuracy: f64,
}

/// Accuracy of a saved model on a CSV.
pub fn evaluate(model_path: &Path, data: &Path) -> Result<EvaluateReport> {
    let model: Model = artifact::read_json(model_path, Model::KIND)?;
    model.validate()?;
    let dataset = Dataset::load(data)?;
    Ok(EvaluateReport {
        model: model_path.into(),
        data: data.into(),
        rows: dataset.rows.len(),
        accuracy: model.accuracy(&dataset)?,
    })
}

/// When to write checkpoints while folding.
#[derive(Clone, Debug)]
pub struct CheckpointPolicy {
    /// Folder for checkpoint files (private: they hold the witness).
    pub dir: PathBuf,
    /// Every this many steps; `None`: by time, every [`CheckpointPolicy::interval`].
    pub every_steps: Option<usize>,
    /// Time between checkpoints when `every_steps` is `None`.
    pub interval: std::time::Duration,
}

/// Default time between checkpoints: a stop loses at most this much folding.
pub const DEFAULT_CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(120);

/// Settings of `prove` beyond the data and recipe.
#[derive(Clone, Debug)]
pub struct ProveArgs {
    pub data: DataArgs,
    /// Output folder; default: the dataset's file stem in the working folder.
    pub out_dir: Option<PathBuf>,
    /// Hide the progress bar.
    pub quiet: bool,
    /// Every this many steps (default: every two minutes of folding).
    pub checkpoint_every: Option<usize>,
    /// Checkpoint folder (default: `private/checkpoints` in the output folder).
    pub checkpoint_dir: Option<PathBuf>,
    /// Set (by a Ctrl-C handler) to stop after the current step with a
    /// checkpoint.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Replace existing public outputs (never a private opening).
    pub force: bool,
}

/// Settings of `resume`.
#[derive(Clone, Debug)]
pub struct ResumeArgs {
    pub checkpoint_dir: PathBuf,
    /// The CSV; default: the path recorded in the checkpoint.
    pub data: Option<PathBuf>,
    /// Output folder; default: the dataset's file stem.
    pub out_dir: Option<PathBuf>,
    pub quiet: bool,
    pub checkpoint_every: Option<usize>,
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Replace existing public outputs (never a private opening).
    pub force: bool,
}

/// `prove`'s and `resume`'s report (also their `--json` output).
#[derive(Clone, Debug, Serialize)]
pub struct ProveReport {
    pub data: PathBuf,
    pub commitment: Commitment,
    pub steps: usize,
    /// Steps folded by this run (fewer than `steps` after a resume).
    pub steps_folded_now: usize,
    /// Constraints of the step circuit alone.
    pub step_constraints: usize,
    /// Constraints folded per step: the augmented primary circuit (step +
    /// Nova's verifier) plus the secondary circuit.
    pub constraints_per_step: usize,
    /// `constraints_per_step * steps / (rows * features * epochs)`.
    pub constraints_per_sample_feature_epoch: f64,
    pub params_digest: String,
    pub setup_s: f64,
    pub prove_s: f64,
    pub compress_s: f64,
    pub verify_s: f64,
    pub proof_bytes: usize,
    pub bundle_bytes: usize,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub bundle_path: PathBuf,
    pub model_path: PathBuf,
    pub opening_path: PathBuf,
    pub checkpoint_dir: PathBuf,
    /// Warnings met on the way (a skipped corrupt checkpoint, say).
    pub warnings: Vec<String>,
}

/// The default output folder for a dataset: its file stem.
pub fn default_out_dir(data: &Path) -> PathBuf {
    PathBuf::from(
        data.file_stem()
            .map_or_else(|| "proof".into(), |s| s.to_string_lossy().into_owned()),
    )
}

/// Everything a proving run needs, for `prove` and `resume` alike.
struct Run<'a> {
    data_args: &'a DataArgs,
    loaded: Loaded,
    opening: Opening,
    out: OutputDir,
    opening_plan: output::OpeningPlan,
    policy: CheckpointPolicy,
    quiet: bool,
    interrupt: Option<Arc<AtomicBool>>,
    warnings: Vec<String>,
}

/// Commits to the training rows, folds every training step (checkpointing
/// as it goes), compresses, checks the result and writes `proof.bundle`,
/// `model.json` and the private `private/opening.json`.
pub fn prove(args: &ProveArgs) -> Result<ProveReport> {
    let loaded = args.data.load()?;
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.data.data));
    let out = OutputDir::lock(&out_dir)?;
    out.refuse_existing_public(PROVE_OUTPUTS, args.force)?;
    let opening = Opening::commit(
        &loaded.prepared.train_fixed,
        &loaded.recipe.format,
        args.data.train_fraction,
        loaded.source_sha256.clone(),
    );
    let policy = CheckpointPolicy {
        dir: args
            .checkpoint_dir
            .clone()
            .unwrap_or_else(|| private_dir(&out_dir).join("checkpoints")),
        every_steps: args.checkpoint_every,
        interval: DEFAULT_CHECKPOINT_INTERVAL,
    };
    // A fresh salt: any opening already here is another commitment's.
    let opening_plan = out.plan_opening(&opening.commitment)?;
    Run {
        data_args: &args.data,
        loaded,
        opening,
        out,
        opening_plan,
        policy,
        quiet: args.quiet,
        interrupt: args.interrupt.clone(),
        warnings: Vec::new(),
    }
    .execute(None)
}

/// Continues `prove` from the newest valid checkpoint in a folder.
pub fn resume(args: &ResumeArgs) -> Result<ProveReport> {
    use crate::ivc::checkpoint;
    let (ckpt, path, warnings) = checkpoint::newest_valid(&args.checkpoint_dir)?;
    let data_args = DataArgs {
        data: args.data.clone().unwrap_or_else(|| ckpt.data_path.clone()),
        train_fraction: ckpt.train_fraction,
        hyper: Hyper::of(&ckpt.recipe),
    };
    let loaded = data_args.load()?;
    let refuse = |what: String| {
        Err(crate::Error::Checkpoint(format!(
            "{} was made with {what}; resume with the data and settings of the original run",
            path.display()
        )))
    };
    if loaded.recipe != ckpt.recipe {
        return refuse(format!(
            "another recipe ({} rows x {} features in the checkpoint, {} x {} in {})",
            ckpt.recipe.rows,
            ckpt.recipe.features,
            loaded.recipe.rows,
            loaded.recipe.features,
            data_args.data.display()
        ));
    }
    if checkpoint::data_digest(&loaded.prepared.train_fixed) != ckpt.data_digest {
        return refuse(format!(
            "other data than {} (the training rows differ)",
            data_args.data.display()
        ));
    }
    let opening = Opening::commit_with_salt(
        &loaded.prepared.train_fixed,
        &loaded.recipe.format,
        ckpt.train_fraction,
        loaded.source_sha256.clone(),
        ckpt.salt,
    );
    if opening.commitment != ckpt.commitment {
        return refuse("a commitment its data and salt do not reproduce".into());
    }
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| default_out_dir(&data_args.data));
    let out = OutputDir::lock(&out_dir)?;
    out.refuse_existing_public(PROVE_OUTPUTS, args.force)?;
    // The run's own opening (same salt) is kept; another is refused.
    let opening_plan = out.plan_opening(&opening.commitment)?;
    let policy = CheckpointPolicy {
        dir: args.checkpoint_dir.clone(),
        every_steps: args.checkpoint_every,
        interval: DEFAULT_CHECKPOINT_INTERVAL,
    };
    Run {
        data_args: &data_args,
        loaded,
        opening,
        out,
        opening_plan,
        policy,
        quiet: args.quiet,
        interrupt: args.interrupt.clone(),
        warnings,
    }
    .execute(Some(ckpt))
}

impl Run<'_> {
    fn execute(self, from: Option<crate::ivc::checkpoint::Checkpoint>) -> Result<ProveReport> {
        use crate::circuit::State;
        use crate::ivc::{checkpoint, params, prover, Compressed};
        use crate::proof::{ProofBundle, Statement, Verifier};

        let recipe = Arc::new(self.loaded.recipe.clone());
        let data = &self.loaded.prepared.train_fixed;
        // The native run first: fast, and it tells of divergence before any
        // proving time is spent.
        let command = if from.is_some() { "resume" } else { "prove" };
        let expected = train::train_fixed(&recipe, data)?;
        // From here until the manifest, the folder is incomplete.
        self.out.begin()?;
        let out_dir = self.out.path().to_path_buf();
        let opening_path = private_dir(&out_dir).join(output::OPENING);
        if self.opening_plan == output::OpeningPlan::Write {
            artifact::write_json(&opening_path, &self.opening, Visibility::Private)?;
        }

        let (pp, setup) = prover::timed(|| params::cached_setup(&recipe))?;
        let ((pk, vk), key_setup) = prover::timed(|| Ok(Compressed::setup(&pp)?))?;
        let (primary, secondary) = pp.num_constraints();
        let job = prover::Job {
            recipe: recipe.clone(),
            data,
            salt: self.opening.salt,
        };
        let initial = State::initial(recipe.features, self.opening.commitment);
        let z0 = initial.to_z(&recipe);
        let data_digest = checkpoint::data_digest(data);
        let total = recipe.total_steps();
        let bar = prover::progress_bar(total, self.quiet);
        let mut last_checkpoint = std::time::Instant::now();
        let save = |p: &prover::Progress| -> Result<PathBuf> {
            let ckpt = checkpoint::Checkpoint {
                recipe: (*recipe).clone(),
                data_digest: data_digest.clone(),
                data_path: self.data_args.data.clone(),
                train_fraction: self.data_args.train_fraction,
                commitment: self.opening.commitment,
                salt: self.opening.salt,
                done: p.done,
                weights: p.state.weights.clone(),
                hash_hex: crate::commitment::scalar_to_hex(&p.state.hash),
                batch: p.state.batch,
                epoch: p.state.epoch,
                recursive: p.recursive.clone(),
            };
            checkpoint::write(&self.policy.dir, &ckpt)
        };
        // After every folded step: a checkpoint when due, and a clean stop
        // (with a checkpoint) when interrupted.
        let mut after_step = |p: &prover::Progress| -> Result<()> {
            let stop = self
                .interrupt
                .as_ref()
                .is_some_and(|f| f.load(Ordering::SeqCst));
            let due = match self.policy.every_steps {
                Some(n) => n > 0 && p.done.is_multiple_of(n),
                None => last_checkpoint.elapsed() >= self.policy.interval,
            };
            if (due || stop) && p.done < total {
                let path = save(p)?;
                last_checkpoint = std::time::Instant::now();
                if stop {
                    return Err(crate::Error::Interrupted(format!(
                        "checkpoint of step {}/{total} written to {}; continue with `foldtrain resume --checkpoint-dir {}`",
                        p.done,
                        path.display(),
                        self.policy.dir.display()
                    )));
                }
            }
            Ok(())
        };
        let (done, fold) = prover::timed(|| {
            let (first, start_step) = match from {
                Some(ckpt) => {
                    let state = ckpt.state()?;
                    let recursive = ckpt.recursive;
                    // The checkpoint's proof must be one of these parameters
                    // and of the state it claims.
                    recursive.verify(&pp, ckpt.done, &z0).map_err(|e| {
                        crate::Error::Checkpoint(format!(
                            "its folded proof does not verify under this recipe's parameters: {e}"
                        ))
                    })?;
                    if recursive.outputs() != state.to_z(&recipe).as_slice() {
                        return Err(crate::Error::Checkpoint(
                            "its recorded state differs from its folded proof's".into(),
                        ));
                    }
                    let done = ckpt.done;
                    (
                        prover::Progress {
                            recursive,
                            state,
                            done,
                        },
                        done,
                    )
                }
                None => {
                    // The first step is folded by Nova's constructor; it
                    // gets the same after-step treatment as the others.
                    let first = job.start(&pp, &initial)?;
                    after_step(&first)?;
                    (first, 0)
                }
            };
            let end = job.fold_all(&pp, first, &bar, &mut after_step)?;
            Ok((end, start_step))
        })?;
        let (done, start_step) = done;
        bar.finish_and_clear();
        if done.state.weights != expected {
            return Err(crate::Error::Nova(
                "the folded weights differ from the native trainer's; this is a bug".into(),
            ));
        }
        let (snark, compress) = prover::timed(|| prover::compress(&pp, &pk, &done, &z0))?;
        let proof_bytes = bincode::serde::encode_to_vec(&snark, bincode::config::standard())
            .map_err(|e| crate::Error::Nova(e.to_string()))?
            .len();
        let bundle = ProofBundle {
            statement: Statement {
                recipe: (*recipe).clone(),
                commitment: self.opening.commitment,
                initial: train::Weights::zero(recipe.features),
                final_weights: done.state.weights.clone(),
                steps: done.done,
                params_digest: params::digest_hex(&pp),
            },
            snark,
        };
        let bytes = bundle.to_bytes()?;
        // Verify what will be published, from its bytes, as a verifier would.
        let mut verifier = Verifier::primed((*recipe).clone(), params::digest_hex(&pp), vk);
        let verified = verifier.verify(&ProofBundle::from_bytes(&bytes)?)?;

        let model = Model::new(
            (*recipe).clone(),
            self.loaded.dataset.feature_names.clone(),
            self.data_args.train_fraction,
            self.loaded.prepared.normalizer.clone(),
            &done.state.weights,
        );
        // The model first, the bundle next, the manifest last: a failure at
        // any point leaves a folder without a manifest, visibly incomplete.
        let model_path = out_dir.join(MODEL_FILE);
        artifact::write_json(&model_path, &model, Visibility::Public)?;
        let bundle_path = out_dir.join(BUNDLE_FILE);
        artifact::write_atomic(&bundle_path, &bytes, Visibility::Public)?;
        self.out
            .finish(command, &[MODEL_FILE, BUNDLE_FILE], &[output::OPENING])?;

        let per_step = primary + secondary;
        let cells = (recipe.rows * recipe.features * recipe.epochs) as f64;
        Ok(ProveReport {
            data: self.data_args.data.clone(),
            commitment: self.opening.commitment,
            steps: done.done,
            steps_folded_now: done.done - start_step,
            step_constraints: params::step_constraints(&recipe)?,
            constraints_per_step: per_step,
            constraints_per_sample_feature_epoch: (per_step * done.done) as f64 / cells,
            params_digest: verified.params_digest,
            setup_s: prover::secs(setup + key_setup),
            prove_s: prover::secs(fold),
            compress_s: prover::secs(compress),
            verify_s: verified.verify_s,
            proof_bytes,
            bundle_bytes: bytes.len(),
            weights: model.weights.clone(),
            bias: model.bias,
            bundle_path,
            model_path,
            opening_path,
            checkpoint_dir: self.policy.dir.clone(),
            warnings: self.warnings.clone(),
        })
    }
}

/// `verify`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub bundle: PathBuf,
    /// The proof verifies against its statement (and, with `--model`, the
    /// model file is the statement's model).
    pub accepted: bool,
    /// Why the proof (or the model file) was rejected.
    pub reason: Option<String>,
    /// What was verified: present only when the proof verified.
    pub statement: Option<StatementSummary>,
    /// The model file checked against the statement, when one was given.
    pub model: Option<PathBuf>,
    /// Seconds of the SNARK check alone (not the whole command).
    pub verify_s: Option<f64>,
    /// Whether the bundle's output folder is a finished run's.
    pub folder: output::Completeness,
}

/// A statement, as people read it: what an accepted proof establishes.
#[derive(Clone, Debug, Serialize)]
pub struct StatementSummary {
    pub recipe: Recipe,
    /// Training rows and features (public in the statement).
    pub rows: usize,
    pub features: usize,
    pub commitment: Commitment,
    /// sha256 of the fixed-point weights then bias, i64 little-endian.
    pub weights_sha256: String,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub weights_fixed: Vec<i64>,
    pub bias_fixed: i64,
    pub steps: usize,
    pub params_digest: String,
}

impl StatementSummary {
    pub fn of(st: &crate::proof::Statement) -> Self {
        let (weights, bias) = st.final_weights.to_f64(&st.recipe.format);
        StatementSummary {
            recipe: st.recipe.clone(),
            rows: st.recipe.rows,
            features: st.recipe.features,
            commitment: st.commitment,
            weights_sha256: weights_sha256(&st.final_weights),
            weights,
            bias,
            weights_fixed: st.final_weights.w.clone(),
            bias_fixed: st.final_weights.b,
            steps: st.steps,
            params_digest: st.params_digest.clone(),
        }
    }
}

/// The ways a model file differs from a statement (empty: it is the
/// statement's model). The decimals are checked too, since that is what a
/// person reads: they must be exactly the fixed-point values over `2^F`.
pub fn model_differences(model: &Model, st: &crate::proof::Statement) -> Vec<String> {
    let mut diffs = Vec::new();
    if model.recipe != st.recipe {
        diffs.push("the recipe".to_string());
    }
    if model.weights_fixed.len() != st.final_weights.w.len() {
        diffs.push(format!(
            "{} weights where the statement has {}",
            model.weights_fixed.len(),
            st.final_weights.w.len()
        ));
        return diffs;
    }
    let (decimals, bias) = st.final_weights.to_f64(&st.recipe.format);
    for (i, (&fixed, decimal)) in st.final_weights.w.iter().zip(&decimals).enumerate() {
        if model.weights_fixed[i] != fixed {
            diffs.push(format!("weight {i}"));
        } else if model.weights.get(i).map(|v| v.to_bits()) != Some(decimal.to_bits()) {
            diffs.push(format!("the decimal of weight {i}"));
        }
    }
    if model.weights.len() != decimals.len() {
        diffs.push("the number of decimal weights".into());
    }
    if model.bias_fixed != st.final_weights.b {
        diffs.push("the bias".into());
    } else if model.bias.to_bits() != bias.to_bits() {
        diffs.push("the decimal of the bias".into());
    }
    diffs
}

/// Verifies a bundle file; with `model`, also checks that the model file
/// holds exactly the statement's weights, bias and recipe.
pub fn verify(path: &Path, model: Option<&Path>) -> Result<VerifyReport> {
    let rejected = |reason: String| VerifyReport {
        bundle: path.into(),
        accepted: false,
        reason: Some(reason),
        statement: None,
        model: model.map(Into::into),
        verify_s: None,
        folder: output::completeness_of(path),
    };
    // The model file is the user's input: a missing or malformed one is a
    // usage error (exit 2), found before any proof work.
    let model_file = match model {
        Some(m) => {
            let parsed: Model = artifact::read_json(m, Model::KIND)?;
            parsed
                .validate()
                .map_err(|e| crate::Error::artifact(m, e.to_string()))?;
            Some(parsed)
        }
        None => None,
    };
    let bundle = match crate::proof::ProofBundle::read(path) {
        Ok(b) => b,
        Err(crate::Error::Rejected(r)) => return Ok(rejected(r.to_string())),
        Err(e) => return Err(e),
    };
    // Only a rejection is "not accepted" (exit 1); any other failure while
    // verifying is an error (exit 2).
    let verified = match crate::proof::verify(&bundle) {
        Ok(v) => v,
        Err(crate::Error::Rejected(r)) => return Ok(rejected(r.to_string())),
        Err(e) => return Err(e),
    };
    if let (Some(m), Some(file)) = (&model_file, model) {
        let diffs = model_differences(m, &bundle.statement);
        if !diffs.is_empty() {
            return Ok(rejected(format!(
                "the proof verifies, but {} is not its model: {} differ{}",
                file.display(),
                diffs.join(", "),
                if diffs.len() == 1 { "s" } else { "" }
            )));
        }
    }
    Ok(VerifyReport {
        bundle: path.into(),
        accepted: true,
        reason: None,
        statement: Some(StatementSummary::of(&bundle.statement)),
        model: model.map(Into::into),
        verify_s: Some(verified.verify_s),
        folder: output::completeness_of(path),
    })
}

/// `inspect`'s report: the statement, for people and scripts.
#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    pub bundle: PathBuf,
    pub recipe: Recipe,
    pub rows: usize,
    pub features: usize,
    pub commitment: Commitment,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub weights_fixed: Vec<i64>,
    pub bias_fixed: i64,
    pub steps: usize,
    pub params_digest: String,
    pub proof_bytes: usize,
}

/// Reads a bundle's statement (without verifying it).
pub fn inspect(path: &Path) -> Result<InspectReport> {
    let bundle = crate::proof::ProofBundle::read(path).map_err(|e| match e {
        crate::Error::Rejected(r) => crate::Error::artifact(path, r.to_string()),
        other => other,
    })?;
    let st = bundle.statement;
    let (weights, bias) = st.final_weights.to_f64(&st.recipe.format);
    let proof_bytes = bincode::serde::encode_to_vec(&bundle.snark, bincode::config::standard())
        .map(|v| v.len())
        .unwrap_or(0);
    Ok(InspectReport {
        bundle: path.into(),
        rows: st.recipe.rows,
        features: st.recipe.features,
        commitment: st.commitment,
        weights,
        bias,
        weights_fixed: st.final_weights.w.clone(),
        bias_fixed: st.final_weights.b,
        steps: st.steps,
        params_digest: st.params_digest,
        recipe: st.recipe,
        proof_bytes,
    })
}

/// `audit`'s report: verification plus provenance.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    pub bundle: PathBuf,
    /// The proof verifies against its statement.
    pub verified: bool,
    /// Why verification failed.
    pub reason: Option<String>,
    /// The opening and data reproduce the commitment (null: not checked).
    pub commitment_opened: Option<bool>,
    /// Native training on the data reproduces the weights bit for bit
    /// (null: not checked).
    pub weights_reproduced: Option<bool>,
    /// What failed in the optional checks.
    pub problems: Vec<String>,
    pub recipe: Recipe,
    pub rows: usize,
    pub features: usize,
    pub commitment: Commitment,
    pub steps: usize,
    pub params_digest: String,
    /// sha256 of the fixed-point weights then bias (i64 little-endian).
    pub weights_sha256: String,
    pub verify_s: Option<f64>,
    /// sha256 of the CSV given with --data (compare with the opening's).
    pub data_sha256: Option<String>,
    /// Whether the bundle's output folder is a finished run's (an
    /// incomplete one fails the audit).
    pub folder: output::Completeness,
}

impl AuditReport {
    /// True when everything that was checked holds.
    pub fn passed(&self) -> bool {
        self.verified
            && self.commitment_opened != Some(false)
            && self.weights_reproduced != Some(false)
            && !matches!(self.folder, output::Completeness::Incomplete(_))
    }
}

/// sha256 of fixed-point weights then bias, as i64 little-endian.
pub fn weights_sha256(w: &train::Weights) -> String {
    let bytes: Vec<u8> =
        w.w.iter()
            .chain(std::iter::once(&w.b))
            .flat_map(|v| v.to_le_bytes())
            .collect();
    artifact::sha256_hex(&bytes)
}

/// Verifies a bundle and reports its provenance; given the data and the
/// opening, also opens the commitment and replays training natively.
pub fn audit(
    bundle_path: &Path,
    data: Option<&Path>,
    opening: Option<&Path>,
) -> Result<AuditReport> {
    let bundle = crate::proof::ProofBundle::read(bundle_path).map_err(|e| match e {
        crate::Error::Rejected(r) => crate::Error::artifact(bundle_path, r.to_string()),
        other => other,
    })?;
    let st = bundle.statement.clone();
    let (verified, reason, verify_s) = match crate::proof::verify(&bundle) {
        Ok(v) => (true, None, Some(v.verify_s)),
        Err(e) => (false, Some(e.to_string()), None),
    };
    let folder = output::completeness_of(bundle_path);
    let mut problems = Vec::new();
    if let output::Completeness::Incomplete(why) = &folder {
        problems.push(format!("the bundle's output folder is incomplete: {why}"));
    }
    let mut report = AuditReport {
        bundle: bundle_path.into(),
        verified,
        reason,
        commitment_opened: None,
        weights_reproduced: None,
        problems,
        folder,
        rows: st.recipe.rows,
        features: st.recipe.features,
        commitment: st.commitment,
        steps: st.steps,
        params_digest: st.params_digest.clone(),
        weights_sha256: weights_sha256(&st.final_weights),
        verify_s,
        data_sha256: None,
        recipe: st.recipe.clone(),
    };
    let (data, opening_path) = match (data, opening) {
        (None, None) => return Ok(report),
        (Some(d), Some(o)) => (d, o),
        _ => {
            return Err(crate::Error::InvalidRecipe(
                "give both --data and --opening to open the commitment, or neither".into(),
            ))
        }
    };
    let opening: Opening = artifact::read_json(opening_path, Opening::KIND)?;
    let args = DataArgs {
        data: data.into(),
        train_fraction: opening.train_fraction,
        hyper: Hyper::of(&st.recipe),
    };
    let loaded = args.load()?;
    report.data_sha256 = Some(loaded.source_sha256.clone());
    let fixed = &loaded.prepared.train_fixed;
    let opened = if opening.commitment != st.commitment {
        report
            .problems
            .push("the opening is for another commitment than the bundle's".into());
        false
    } else if let Err(e) = opening.check(fixed) {
        report.problems.push(e.to_string());
        false
    } else {
        true
    };
    report.commitment_opened = Some(opened);
    let reproduced = if loaded.recipe != st.recipe {
        report.problems.push(format!(
            "the data gives {} rows x {} features, the statement's recipe {} x {}",
            loaded.recipe.rows, loaded.recipe.features, st.recipe.rows, st.recipe.features
        ));
        false
    } else {
        match train::train_fixed(&st.recipe, fixed) {
            Ok(w) if w == st.final_weights => true,
            Ok(_) => {
                report
                    .problems
                    .push("native training on the data gives other weights".into());
                false
            }
            Err(e) => {
                report.problems.push(format!("native training failed: {e}"));
                false
            }
        }
    };
    report.weights_reproduced = Some(reproduced);
    Ok(report)
}

/// `estimate`'s report: what a proof will cost before proving it.
#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub data: PathBuf,
    pub recipe: Recipe,
    pub steps: usize,
    /// Constraints of the step circuit alone.
    pub step_constraints: usize,
    /// The step circuit's constraints by part.
    pub breakdown: Vec<crate::circuit::cost::PartCost>,
    /// The augmented primary circuit (step + Nova's verifier).
    pub primary_constraints: usize,
    /// Nova's secondary circuit, folded alongside every step.
    pub secondary_constraints: usize,
    /// `primary + secondary`: constraints folded per step.
    pub constraints_per_step: usize,
    /// `constraints_per_step * steps`.
    pub total_constraints: usize,
    /// `total_constraints / (rows * features * epochs)`.
    pub constraints_per_sample_feature_epoch: f64,
    /// Measured: building the public parameters and compression keys.
    pub setup_s: f64,
    /// Measured: mean time of the calibration steps folded here.
    pub step_s: f64,
    pub calibration_steps: usize,
    /// `steps * step_s`.
    pub estimated_prove_s: f64,
    /// A model, not a measurement: `step_s * COMPRESS_STEP_RATIO` (the
    /// ratio measured end to end; it varies with the circuit's size).
    pub estimated_compress_s: f64,
    pub estimated_total_s: f64,
}

/// Steps folded to calibrate the time estimate.
pub const CALIBRATION_STEPS: usize = 3;
/// Compression time in units of one folded step: 97.8 (german_credit) and
/// 127.1 (adult) in `experiments/results/end_to_end.csv`; the earlier 40 made
/// the estimate 3.8 times low on adult.
pub const COMPRESS_STEP_RATIO: f64 = 110.0;

/// Counts the constraints of a recipe and times a few folded steps.
pub fn estimate(args: &DataArgs) -> Result<EstimateReport> {
    use crate::circuit::State;
    use crate::ivc::{params, prover, Compressed};
    let loaded = args.load()?;
    let recipe = Arc::new(loaded.recipe.clone());
    let step_constraints = params::step_constraints(&recipe)?;
    let (pp, setup) = prover::timed(|| params::cached_setup(&recipe))?;
    let (_, key_setup) = prover::timed(|| Ok(Compressed::setup(&pp)?))?;
    let (primary, secondary) = pp.num_constraints();
    let data = &loaded.prepared.train_fixed;
    let opening = Opening::commit(
        data,
        &recipe.format,
        args.train_fraction,
        loaded.source_sha256.clone(),
    );
    let job = prover::Job {
        recipe: recipe.clone(),
        data,
        salt: opening.salt,
    };
    let mut progress = job.start(&pp, &State::initial(recipe.features, opening.commitment))?;
    let calibration = CALIBRATION_STEPS.min(recipe.total_steps().saturating_sub(1));
    let (_, folding) = prover::timed(|| {
        for _ in 0..calibration {
            job.fold_one(&pp, &mut progress)?;
        }
        Ok(())
    })?;
    let step_s = if calibration > 0 {
        folding.as_secs_f64() / calibration as f64
    } else {
        0.0
    };
    let steps = recipe.total_steps();
    let per_step = primary + secondary;
    let total = per_step * steps;
    let setup_s = (setup + key_setup).as_secs_f64();
    let estimated_prove_s = step_s * steps as f64;
    let estimated_compress_s = step_s * COMPRESS_STEP_RATIO;
    Ok(EstimateReport {
        data: args.data.clone(),
        steps,
        step_constraints,
        breakdown: crate::circuit::cost::breakdown(&recipe)?,
        primary_constraints: primary,
        secondary_constraints: secondary,
        constraints_per_step: per_step,
        total_constraints: total,
        constraints_per_sample_feature_epoch: total as f64
            / (recipe.rows * recipe.features * recipe.epochs) as f64,
        setup_s,
        step_s,
        calibration_steps: calibration,
        estimated_prove_s,
        estimated_compress_s,
        estimated_total_s: setup_s + estimated_prove_s + estimated_compress_s,
        recipe: (*recipe).clone(),
    })
}
