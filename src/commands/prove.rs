//! `prove` and `resume`: load, set up, start or resume, fold, compress,
//! bundle, write.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::{private_dir, DataArgs, Loaded, BUNDLE_FILE, MODEL_FILE, PROVE_OUTPUTS};
use crate::artifact::{self, Visibility};
use crate::circuit::{cost, State};
use crate::commitment::{Commitment, Opening};
use crate::error::Result;
use crate::ivc::checkpoint::{self, Cadence, Checkpoint, Checkpointer, RunInfo};
use crate::ivc::keys::KeyFile;
use crate::ivc::params;
use crate::ivc::prover::{self, Keys, Observer, Phase, Silent};
use crate::model::Model;
use crate::output::{self, OutputDir};
use crate::proof::{ProofBundle, Statement, Verifier};
use crate::recipe::Hyper;
use crate::train;

/// How a proving run writes its results, for `prove` and `resume` alike.
#[derive(Clone, Debug, Default)]
pub struct RunSettings {
    /// Output folder; default: the dataset's file stem in the working folder.
    pub out_dir: Option<PathBuf>,
    /// Every this many steps (default: every two minutes of folding; 0:
    /// none, not even after the last step).
    pub checkpoint_every: Option<usize>,
    /// Set (by a Ctrl-C handler) to stop after the current step with a
    /// checkpoint.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Replace existing public outputs (never a private opening).
    pub force: bool,
}

/// Settings of `prove`.
#[derive(Clone, Debug)]
pub struct ProveArgs {
    pub data: DataArgs,
    /// Checkpoint folder (default: `private/checkpoints` in the output folder).
    pub checkpoint_dir: Option<PathBuf>,
    pub run: RunSettings,
}

/// Settings of `resume`.
#[derive(Clone, Debug)]
pub struct ResumeArgs {
    /// The interrupted run's checkpoint folder (checkpoints continue there).
    pub checkpoint_dir: PathBuf,
    /// The CSV; default: the path recorded in the checkpoint.
    pub data: Option<PathBuf>,
    pub run: RunSettings,
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
    /// sha256 of the verifier key file `foldtrain keys` derives for this
    /// recipe (the prover's own key, byte for byte).
    pub verifier_key_sha256: String,
    /// Seconds of the whole command, from reading the data to the report
    /// (the phases below are parts of it).
    pub command_s: f64,
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
    started: Instant,
    data_args: &'a DataArgs,
    loaded: Loaded,
    opening: Opening,
    out: OutputDir,
    opening_plan: output::OpeningPlan,
    checkpoints: Checkpointer,
    warnings: Vec<String>,
}

/// Commits to the training rows, folds every training step (checkpointing
/// as it goes), compresses, checks the result and writes `proof.bundle`,
/// `model.json` and the private `private/opening.json`. Shows nothing; see
/// [`prove_with`].
pub fn prove(args: &ProveArgs) -> Result<ProveReport> {
    prove_with(args, &Silent)
}

/// [`prove`], reporting progress to `observer`.
pub fn prove_with(args: &ProveArgs, observer: &dyn Observer) -> Result<ProveReport> {
    let started = Instant::now();
    let loaded = args.data.load()?;
    let opening = loaded.commit();
    let checkpoint_dir = args.checkpoint_dir.clone();
    Run::open(
        started,
        &args.run,
        &args.data,
        loaded,
        opening,
        checkpoint_dir,
        Vec::new(),
    )?
    .execute(None, observer)
}

/// The checkpoint cadence of a `--checkpoint-every` flag (0: none).
fn cadence(every_steps: Option<usize>) -> Cadence {
    match every_steps {
        None => Cadence::default(),
        Some(0) => Cadence::Never,
        Some(n) => Cadence::Steps(n),
    }
}

/// What identifies a run in its checkpoints.
fn run_info(args: &DataArgs, loaded: &Loaded, opening: &Opening) -> RunInfo {
    RunInfo {
        recipe: loaded.recipe.clone(),
        data_digest: checkpoint::data_digest(&loaded.prepared.train_fixed),
        data_path: args.data.clone(),
        train_fraction: loaded.prepared.train_fraction,
        salt: opening.salt,
    }
}

/// Continues `prove` from the newest valid checkpoint in a folder. Shows
/// nothing; see [`resume_with`].
pub fn resume(args: &ResumeArgs) -> Result<ProveReport> {
    resume_with(args, &Silent)
}

/// [`resume`], reporting progress to `observer`.
pub fn resume_with(args: &ResumeArgs, observer: &dyn Observer) -> Result<ProveReport> {
    let started = Instant::now();
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
    let opening = loaded.commit_with_salt(ckpt.salt);
    if opening.commitment != ckpt.commitment() {
        return refuse("a commitment its data and salt do not reproduce".into());
    }
    let checkpoint_dir = Some(args.checkpoint_dir.clone());
    Run::open(
        started,
        &args.run,
        &data_args,
        loaded,
        opening,
        checkpoint_dir,
        warnings,
    )?
    .execute(Some(ckpt), observer)
}

impl<'a> Run<'a> {
    /// Locks the output folder, refuses to overwrite what `settings` do not
    /// allow, and plans the checkpoints (by default under the output's
    /// `private/`).
    fn open(
        started: Instant,
        settings: &RunSettings,
        data_args: &'a DataArgs,
        loaded: Loaded,
        opening: Opening,
        checkpoint_dir: Option<PathBuf>,
        warnings: Vec<String>,
    ) -> Result<Self> {
        let out_dir = settings
            .out_dir
            .clone()
            .unwrap_or_else(|| default_out_dir(&data_args.data));
        let out = OutputDir::lock(&out_dir)?;
        out.refuse_existing_public(PROVE_OUTPUTS, settings.force)?;
        // A fresh salt's opening is written; a resumed run's own opening
        // (same salt) is kept; any other opening here is refused.
        let opening_plan = out.plan_opening(&opening.commitment)?;
        let checkpoints = Checkpointer::new(
            checkpoint_dir.unwrap_or_else(|| private_dir(&out_dir).join(output::CHECKPOINTS)),
            cadence(settings.checkpoint_every),
            settings.interrupt.clone(),
            run_info(data_args, &loaded, &opening),
        );
        Ok(Run {
            started,
            data_args,
            loaded,
            opening,
            out,
            opening_plan,
            checkpoints,
            warnings,
        })
    }

    /// Load, set up, start or resume, fold, compress, bundle, write.
    fn execute(self, from: Option<Checkpoint>, observer: &dyn Observer) -> Result<ProveReport> {
        let result = self.prove(from, observer);
        observer.finished();
        result
    }

    fn prove(mut self, from: Option<Checkpoint>, observer: &dyn Observer) -> Result<ProveReport> {
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

        observer.phase(Phase::Setup);
        let keys = Keys::setup(&recipe)?;
        let job = prover::Job {
            recipe: recipe.clone(),
            data,
            salt: self.opening.salt,
        };
        let initial = State::initial(recipe.features, self.opening.commitment);
        let z0 = initial.to_z(&recipe);
        let (done, fold) = prover::timed(|| {
            let (start, resumed_at) = match from {
                Some(ckpt) => {
                    let done = ckpt.done;
                    (ckpt.into_progress(&keys.pp, &z0)?, done)
                }
                None => (job.start(&keys.pp, &initial)?, 0),
            };
            let end = job.fold_all(&keys.pp, start, resumed_at, &mut self.checkpoints, observer)?;
            Ok((end, resumed_at))
        })?;
        let (done, resumed_at) = done;
        if done.state.weights != expected {
            return Err(crate::Error::Internal(
                "the folded weights differ from the native trainer's".into(),
            ));
        }
        observer.phase(Phase::Compress);
        let (snark, compress) = prover::timed(|| prover::compress(&keys.pp, &keys.pk, &done, &z0))?;
        let proof_bytes = bincode::serde::encode_to_vec(&snark, bincode::config::standard())?.len();
        let params_digest = params::digest_hex(&keys.pp);
        let bundle = ProofBundle {
            statement: Statement {
                recipe: (*recipe).clone(),
                commitment: self.opening.commitment,
                initial: train::Weights::zero(recipe.features),
                final_weights: done.state.weights.clone(),
                steps: done.done,
                params_digest: params_digest.clone(),
            },
            snark,
        };
        let bytes = bundle.to_bytes()?;
        // Verify what will be published, from its bytes, as a verifier would.
        observer.phase(Phase::Check);
        let (primary, secondary) = keys.constraints();
        let key = KeyFile::new(&recipe, &keys.pp, keys.vk);
        let key_bytes = key.to_bytes()?;
        let mut verifier = Verifier::primed(key);
        let verified = verifier.verify(&ProofBundle::from_bytes(&bytes)?)?;
        // The key just checked this bundle: a verifier on this machine can
        // use it, and its hash is what an auditor's own derivation gives.
        if let Some(cache) = params::Cache::from_env() {
            if let Err(e) = cache.store_key(&recipe, &key_bytes) {
                eprintln!("foldtrain: warning: the verifier key was not cached: {e}");
            }
        }

        let model = Model::new(
            (*recipe).clone(),
            self.loaded.dataset.feature_names.clone(),
            self.loaded.prepared.train_fraction,
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
        let checkpoint_dir = self.checkpoints.dir().to_path_buf();
        self.checkpoints.finish();

        let cost = cost::Folding::of(&recipe, primary, secondary);
        Ok(ProveReport {
            data: self.data_args.data.clone(),
            commitment: self.opening.commitment,
            steps: done.done,
            steps_folded_now: done.done - resumed_at,
            step_constraints: params::step_constraints(&recipe)?,
            constraints_per_step: cost.per_step,
            constraints_per_sample_feature_epoch: cost.per_sample_feature_epoch,
            params_digest: verified.params_digest,
            verifier_key_sha256: artifact::sha256_hex(&key_bytes),
            command_s: self.started.elapsed().as_secs_f64(),
            setup_s: prover::secs(keys.setup),
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
            checkpoint_dir,
            warnings: self.warnings,
        })
    }
}

impl fmt::Display for ProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proved {} training steps on {} ({} folded in this run)",
            self.steps,
            self.data.display(),
            self.steps_folded_now
        )?;
        writeln!(f, "commitment   {}", self.commitment)?;
        writeln!(
            f,
            "circuit      {} constraints per step ({} in the step circuit), {:.1} per sample-feature-epoch",
            self.constraints_per_step, self.step_constraints, self.constraints_per_sample_feature_epoch
        )?;
        writeln!(
            f,
            "time         {:.1} s in all: setup {:.1} s, folding {:.1} s, compression {:.1} s, \
             check {:.2} s",
            self.command_s, self.setup_s, self.prove_s, self.compress_s, self.verify_s
        )?;
        writeln!(
            f,
            "verifier key sha256 {} (`foldtrain keys` derives the same)",
            self.verifier_key_sha256
        )?;
        writeln!(
            f,
            "proof        {} bytes (bundle {} bytes)",
            self.proof_bytes, self.bundle_bytes
        )?;
        writeln!(f, "public       {}", self.bundle_path.display())?;
        writeln!(f, "public       {}", self.model_path.display())?;
        write!(
            f,
            "private      {} (keep it secret: it opens the commitment)",
            self.opening_path.display()
        )?;
        if self.checkpoint_dir.is_dir() {
            write!(
                f,
                "\nprivate      {} (checkpoints hold the witness; delete them when done)",
                self.checkpoint_dir.display()
            )?;
        }
        Ok(())
    }
}
