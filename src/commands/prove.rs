//! `prove` and `resume`: load, set up, start or resume, fold, compress,
//! bundle, write.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::{
    private_dir, CommitmentFile, DataArgs, Loaded, BUNDLE_FILE, COMMITMENT_FILE, MODEL_FILE,
    PROVE_OUTPUTS, PUBLIC_MODEL_FILE,
};
use crate::artifact::{self, Visibility};
use crate::circuit::{cost, ModelCommitment, ModelPart, State};
use crate::commitment::{Commitment, CommittedRows, Opening, Salt};
use crate::error::{Error, Result};
use crate::ivc::checkpoint::{self, Cadence, Checkpoint, Checkpointer, RunInfo};
use crate::ivc::keys::KeyFile;
use crate::ivc::params;
use crate::ivc::prover::{self, Keys, Observer, Phase, Silent, Start, Steps};
use crate::model::Model;
use crate::output::{self, OutputDir};
use crate::proof::{ProofBundle, PublishedModel, Statement, StatementKind, Verifier};
use crate::recipe::{Hyper, WeightsVisibility};
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
    /// A folder written by `commit` (or its `commitment.json`): prove
    /// against that commitment, published before. Default: commit now.
    pub commitment: Option<PathBuf>,
    /// With committed weights, keep the normalizer out of
    /// `model.public.json` too.
    pub private_normalizer: bool,
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
    /// Which statement the bundle carries.
    pub kind: StatementKind,
    pub commitment: Commitment,
    pub test_commitment: Commitment,
    /// `C_W`, with committed weights.
    pub weights_commitment: Option<ModelCommitment>,
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
    /// The model: public `model.json`, or with committed weights the
    /// private `private/model.json` (the public part is `public_model_path`).
    pub model_path: PathBuf,
    pub public_model_path: Option<PathBuf>,
    pub commitment_path: PathBuf,
    pub opening_path: PathBuf,
    pub checkpoint_dir: PathBuf,
    /// Warnings met on the way (a skipped corrupt checkpoint, say).
    pub warnings: Vec<String>,
    /// For a run proven in segments (`join`), each segment as its worker
    /// measured it (then `prove_s` and `compress_s` are their sums: worker
    /// time, not what the user waited); empty for a whole run.
    pub segments: Vec<super::segments::SegmentTime>,
}

/// The default output folder for a dataset: its file stem.
pub fn default_out_dir(data: &Path) -> PathBuf {
    PathBuf::from(
        data.file_stem()
            .map_or_else(|| "proof".into(), |s| s.to_string_lossy().into_owned()),
    )
}

/// What a run proves: the data, its commitments' opening and, with
/// committed weights, the salt of `C_W`.
struct Inputs {
    data_args: DataArgs,
    loaded: Loaded,
    opening: Opening,
    weights_salt: Option<Salt>,
    private_normalizer: bool,
}

/// Everything a proving run needs, for `prove` and `resume` alike.
struct Run {
    started: Instant,
    data_args: DataArgs,
    loaded: Loaded,
    opening: Opening,
    /// The salt of `C_W` (committed weights only).
    weights_salt: Option<Salt>,
    private_normalizer: bool,
    out: OutputDir,
    opening_plan: output::OpeningPlan,
    checkpoints: Checkpointer,
    warnings: Vec<String>,
}

/// Commits to both splits (or takes the commitment `args.commitment`
/// names, published before), folds every training step (checkpointing as it
/// goes), compresses, checks the result and writes `proof.bundle`,
/// `commitment.json`, the model and the private `private/opening.json`.
/// Shows nothing; see [`prove_with`].
pub fn prove(args: &ProveArgs) -> Result<ProveReport> {
    prove_with(args, &Silent)
}

/// [`prove`], reporting progress to `observer`.
pub fn prove_with(args: &ProveArgs, observer: &dyn Observer) -> Result<ProveReport> {
    let started = Instant::now();
    let (data_args, loaded, opening, warnings) = load_inputs(args)?;
    let weights_salt = match loaded.recipe.weights {
        WeightsVisibility::Public => None,
        WeightsVisibility::Committed => Some(Salt::random()),
    };
    let inputs = Inputs {
        data_args,
        loaded,
        opening,
        weights_salt,
        private_normalizer: args.private_normalizer,
    };
    Run::open(
        started,
        &args.run,
        inputs,
        args.checkpoint_dir.clone(),
        warnings,
    )?
    .execute(None, observer)
}

/// The data a new run proves and its commitments' opening: committed now
/// under fresh salts, or opened from the commitment `args.commitment`
/// names (whose split and format are then used; a different train
/// fraction asked for is a warning).
pub(crate) fn load_inputs(args: &ProveArgs) -> Result<(DataArgs, Loaded, Opening, Vec<String>)> {
    let mut warnings = Vec::new();
    let (data_args, loaded, opening) = match &args.commitment {
        None => {
            let loaded = args.data.load()?;
            let opening = loaded.commit();
            (args.data.clone(), loaded, opening)
        }
        Some(dir) => {
            let opened = open_commitment(dir, &args.data)?;
            if opened.0.train_fraction != args.data.train_fraction {
                warnings.push(format!(
                    "the split is the commitment's: train fraction {} (not {})",
                    opened.0.train_fraction, args.data.train_fraction
                ));
            }
            opened
        }
    };
    Ok((data_args, loaded, opening, warnings))
}

/// Loads again the data of a run recorded in `run` (a checkpoint's, a
/// segment plan's), from `data` or the recorded path, and checks it is
/// the run's: the same recipe and the same training rows. Returns it with
/// its opening under the run's salts (the caller compares the commitments
/// with its own record). `refuse` words a mismatch for the caller's file.
pub(crate) fn reload(
    run: &RunInfo,
    recorded_in: &str,
    data: Option<&Path>,
    refuse: &dyn Fn(String) -> Error,
) -> Result<(DataArgs, Loaded, Opening)> {
    let data_args = DataArgs {
        data: data.map_or_else(|| run.data_path.clone(), Path::to_path_buf),
        train_fraction: run.train_fraction,
        hyper: Hyper::of(&run.recipe),
        group: run.group.clone(),
    };
    let loaded = data_args.load()?;
    if loaded.recipe != run.recipe {
        return Err(refuse(format!(
            "another recipe ({} rows x {} features in {recorded_in}, {} x {} in {})",
            run.recipe.rows,
            run.recipe.features,
            loaded.recipe.rows,
            loaded.recipe.features,
            data_args.data.display()
        )));
    }
    if checkpoint::data_digest(&loaded.prepared.train_fixed) != run.data_digest {
        return Err(refuse(format!(
            "other data than {} (the training rows differ)",
            data_args.data.display()
        )));
    }
    let opening = loaded.commit_with_salts(run.salts);
    Ok((data_args, loaded, opening))
}

/// The commitment folder `path` names (or whose `commitment.json` it is).
pub(crate) fn commitment_folder(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == COMMITMENT_FILE) && !path.is_dir() {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        path.to_path_buf()
    }
}

/// Reads a commitment published before (`commitment.json` and its private
/// opening) and loads the data against it: the split and quantization are
/// the commitment's, and the data must open both commitments, else nothing
/// is proven (the error names the split and the first block that differs).
pub(crate) fn open_commitment(path: &Path, data: &DataArgs) -> Result<(DataArgs, Loaded, Opening)> {
    let dir = commitment_folder(path);
    let public_path = dir.join(COMMITMENT_FILE);
    let public = CommitmentFile::read(&dir)?;
    let opening_path = private_dir(&dir).join(output::OPENING);
    if !opening_path.is_file() {
        return Err(Error::artifact(
            &opening_path,
            "does not exist: proving against a commitment needs its private opening, which \
             `foldtrain commit` wrote beside it; copy it there from the folder commit wrote",
        ));
    }
    let opening = Opening::read(&opening_path)?;
    if CommitmentFile::of(&opening) != public {
        return Err(Error::artifact(
            &opening_path,
            format!(
                "does not open {}: they are of different commitments",
                public_path.display()
            ),
        ));
    }
    if data.hyper.format != opening.format {
        return Err(Error::Mismatch(format!(
            "{} committed rows quantized with {} fractional bits of features ({} of weights); \
             prove with --feature-frac-bits {} --frac-bits {}",
            public_path.display(),
            opening.format.feature_frac_bits,
            opening.format.frac_bits,
            opening.format.feature_frac_bits,
            opening.format.frac_bits
        )));
    }
    // The split and the protected attribute are the commitment's.
    let args = DataArgs {
        train_fraction: opening.train_fraction,
        group: opening.group.as_ref().map(|g| g.column.name.clone()),
        ..data.clone()
    };
    let loaded = args.load()?;
    opening
        .check(CommittedRows::of(&loaded.prepared))
        .map_err(|e| {
            Error::Mismatch(format!(
                "{} does not open the commitment in {}: {e}. Prove with the CSV that was \
                 committed, or commit this one with `foldtrain commit`",
                args.data.display(),
                dir.display()
            ))
        })?;
    Ok((args, loaded, opening))
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
pub(crate) fn run_info(
    args: &DataArgs,
    loaded: &Loaded,
    opening: &Opening,
    private_normalizer: bool,
) -> RunInfo {
    RunInfo {
        recipe: loaded.recipe.clone(),
        data_digest: checkpoint::data_digest(&loaded.prepared.train_fixed),
        data_path: args.data.clone(),
        train_fraction: loaded.prepared.train_fraction,
        salts: opening.salts(),
        private_normalizer,
        group: args.group.clone(),
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
    let private_normalizer = ckpt.run.private_normalizer;
    let refuse = |what: String| {
        crate::Error::Checkpoint(format!(
            "{} was made with {what}; resume with the data and settings of the original run",
            path.display()
        ))
    };
    let (data_args, loaded, opening) =
        reload(&ckpt.run, "the checkpoint", args.data.as_deref(), &refuse)?;
    if opening.commitment() != ckpt.commitment()
        || opening.test.commitment != ckpt.state.test_commitment
    {
        return Err(refuse(
            "commitments its data and salts do not reproduce".into(),
        ));
    }
    let weights_salt = ckpt.state.weights_salt;
    if weights_salt.is_some() != (loaded.recipe.weights == WeightsVisibility::Committed) {
        return Err(refuse("a weights salt that does not fit its recipe".into()));
    }
    let inputs = Inputs {
        data_args,
        loaded,
        opening,
        weights_salt,
        private_normalizer,
    };
    // By default the run resumes into the folder its checkpoints belong to.
    let mut settings = args.run.clone();
    if settings.out_dir.is_none() {
        settings.out_dir = output::out_dir_of_checkpoints(&args.checkpoint_dir);
    }
    let checkpoint_dir = Some(args.checkpoint_dir.clone());
    Run::open(started, &settings, inputs, checkpoint_dir, warnings)?.execute(Some(ckpt), observer)
}

impl Run {
    /// Locks the output folder, refuses to overwrite what `settings` do not
    /// allow, and plans the checkpoints (by default under the output's
    /// `private/`).
    fn open(
        started: Instant,
        settings: &RunSettings,
        inputs: Inputs,
        checkpoint_dir: Option<PathBuf>,
        warnings: Vec<String>,
    ) -> Result<Self> {
        let Inputs {
            data_args,
            loaded,
            opening,
            weights_salt,
            private_normalizer,
        } = inputs;
        let out_dir = settings
            .out_dir
            .clone()
            .unwrap_or_else(|| default_out_dir(&data_args.data));
        let out = OutputDir::lock(&out_dir)?;
        // A fresh salt's opening is written; a resumed run's own opening
        // (same salt) is kept; any other opening here is refused, whatever
        // --force says: so that is checked first, and the first refusal
        // gives the way that works.
        let opening_plan = out.plan_opening(&opening.commitment())?;
        out.refuse_existing_public(PROVE_OUTPUTS, settings.force)?;
        refuse_other_commitment_file(&out_dir, &opening, settings.force)?;
        let checkpoints = Checkpointer::new(
            checkpoint_dir.unwrap_or_else(|| private_dir(&out_dir).join(output::CHECKPOINTS)),
            cadence(settings.checkpoint_every),
            settings.interrupt.clone(),
            run_info(&data_args, &loaded, &opening, private_normalizer),
            out_dir.clone(),
        );
        Ok(Run {
            started,
            data_args,
            loaded,
            opening,
            weights_salt,
            private_normalizer,
            out,
            opening_plan,
            checkpoints,
            warnings,
        })
    }

    /// Load, set up, start or resume, fold, compress, bundle, write.
    fn execute(self, from: Option<Checkpoint>, observer: &dyn Observer) -> Result<ProveReport> {
        let data = self.data_args.data.display();
        observer.begun(&match &from {
            None => format!(
                "proving training on {data} (this takes minutes; Ctrl-C stops with a checkpoint)"
            ),
            Some(c) => format!(
                "resuming the proof of training on {data} from step {} of {} into {}",
                c.done,
                self.loaded.recipe.total_steps(),
                self.out.path().display()
            ),
        });
        if let Some(p) = crate::plan::prediction_of(&self.loaded.recipe) {
            observer.predicted(&p);
        }
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
        // The same public commitment file whether it was published before
        // (`--commitment`) or made now.
        let commitment_path = out_dir.join(COMMITMENT_FILE);
        artifact::write_json(
            &commitment_path,
            &CommitmentFile::of(&self.opening),
            Visibility::Public,
        )?;

        observer.phase(Phase::Setup);
        let keys = Keys::setup(&*recipe)?;
        let job = prover::Job {
            recipe: recipe.clone(),
            data,
            salt: self.opening.train.salt,
        };
        let initial = State::initial(
            recipe.features,
            self.opening.commitment(),
            self.opening.test.commitment,
            self.weights_salt,
        );
        let z0 = initial.to_z(&recipe)?;
        let resumed_at = from.as_ref().map_or(0, |ckpt| ckpt.done);
        let (done, fold) = prover::timed(|| {
            let from = match from {
                Some(ckpt) => Start::Resumed(Box::new(ckpt.into_progress(&keys.pp, &z0)?)),
                None => Start::Fresh(initial),
            };
            job.fold(&keys.pp, from, Some(&mut self.checkpoints), observer)
        })?;
        if done.state.weights != expected {
            return Err(crate::Error::Internal(
                "the folded weights differ from the native trainer's".into(),
            ));
        }
        observer.phase(Phase::Compress);
        let (snark, compress) = prover::timed(|| prover::compress(&keys.pp, &keys.pk, &done, &z0))?;
        let proof_bytes = bincode::serde::encode_to_vec(&snark, bincode::config::standard())?.len();
        let params_digest = params::digest_hex(&keys.pp);
        let published = match done.state.public(&recipe)?.model {
            ModelPart::Weights(w) => PublishedModel::Weights(w.into_weights()),
            ModelPart::Committed(c) => PublishedModel::Committed(c),
        };
        let bundle = ProofBundle {
            statement: Statement {
                recipe: (*recipe).clone(),
                commitment: self.opening.commitment(),
                test_commitment: self.opening.test.commitment,
                initial: train::Weights::zero(recipe.features),
                model: published,
                steps: done.done,
                params_digest: params_digest.clone(),
            },
            snark,
        };
        let bytes = bundle.to_bytes()?;
        // Verify what will be published, from its bytes, as a verifier would.
        observer.phase(Phase::Check);
        let (primary, secondary) = keys.constraints();
        let key = KeyFile::new(&*recipe, &keys.pp, keys.vk);
        let key_bytes = key.to_bytes()?;
        let mut verifier = Verifier::primed(key);
        let verified = verifier.verify(&ProofBundle::from_bytes(&bytes)?)?;
        // The key just checked this bundle: a verifier on this machine can
        // use it, and its hash is what an auditor's own derivation gives.
        if let Some(cache) = params::Cache::from_env() {
            if let Err(e) = cache.store_key(&*recipe, &key_bytes) {
                eprintln!("foldtrain: warning: the verifier key was not cached: {e}");
            }
        }

        let model = trained_model(
            &self.loaded,
            &done.state.weights,
            self.weights_salt,
            (&self.opening, self.private_normalizer),
        )?;
        let written = write_trained(&out_dir, &model, self.private_normalizer, &bytes)?;
        self.out
            .finish(command, &written.public_files, &written.private_files)?;
        let checkpoint_dir = self.checkpoints.dir().to_path_buf();
        self.checkpoints.finish();

        let cost = cost::Folding::of(&recipe, primary, secondary);
        Ok(ProveReport {
            data: self.data_args.data.clone(),
            kind: bundle.statement.kind(),
            commitment: self.opening.commitment(),
            test_commitment: self.opening.test.commitment,
            weights_commitment: model.weights_commitment(),
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
            weights: model.decimal_weights().0,
            bias: model.decimal_weights().1,
            bundle_path: written.bundle_path,
            model_path: written.model_path,
            public_model_path: written.public_model_path,
            commitment_path,
            opening_path,
            checkpoint_dir,
            warnings: self.warnings,
            segments: Vec::new(),
        })
    }
}

/// The trained model of `loaded`'s recipe and data with final `weights`
/// (committed under `weights_salt`, when the recipe commits to them; with
/// `private_normalizer`, its normalizer's `C_N` under `opening`'s
/// normalizer salt, which the model keeps: a model has that salt exactly
/// when its normalizer is private).
pub(crate) fn trained_model(
    loaded: &Loaded,
    weights: &train::Weights,
    weights_salt: Option<Salt>,
    (opening, private_normalizer): (&Opening, bool),
) -> Result<Model> {
    let model = Model::new(
        loaded.recipe.clone(),
        loaded.dataset.feature_names.clone(),
        loaded.prepared.train_fraction,
        loaded.prepared.normalizer.clone(),
        weights,
    )?;
    Ok(match weights_salt {
        Some(salt) if private_normalizer => model
            .committed(salt)
            .with_normalizer_salt(opening.normalizer_salt()),
        Some(salt) => model.committed(salt),
        None => model,
    })
}

/// Where [`write_trained`] put a training run's results, and the files
/// its manifest lists.
pub(crate) struct Written {
    pub bundle_path: PathBuf,
    /// The model: public `model.json`, or the private one with committed
    /// weights (whose public part is `public_model_path`).
    pub model_path: PathBuf,
    pub public_model_path: Option<PathBuf>,
    pub public_files: Vec<&'static str>,
    pub private_files: Vec<&'static str>,
}

/// Writes a training run's model and bundle (`bundle`'s bytes, checked
/// before) into `out_dir`, as `prove` and `join` do: the models first, the
/// bundle next, so that a failure leaves a folder without a manifest,
/// visibly incomplete. The manifest is the caller's, last.
pub(crate) fn write_trained(
    out_dir: &Path,
    model: &Model,
    private_normalizer: bool,
    bundle: &[u8],
) -> Result<Written> {
    let (model_path, public_model_path) = match model.public(!private_normalizer) {
        None => {
            let path = out_dir.join(MODEL_FILE);
            artifact::write_json(&path, model, Visibility::Public)?;
            (path, None)
        }
        Some(public) => {
            let path = private_dir(out_dir).join(MODEL_FILE);
            artifact::write_json(&path, model, Visibility::Private)?;
            let public_path = out_dir.join(PUBLIC_MODEL_FILE);
            artifact::write_json(&public_path, &public, Visibility::Public)?;
            (path, Some(public_path))
        }
    };
    let bundle_path = out_dir.join(BUNDLE_FILE);
    artifact::write_atomic(&bundle_path, bundle, Visibility::Public)?;
    let (public_files, private_files) = match public_model_path {
        None => (
            vec![MODEL_FILE, COMMITMENT_FILE, BUNDLE_FILE],
            vec![output::OPENING],
        ),
        Some(_) => (
            vec![PUBLIC_MODEL_FILE, COMMITMENT_FILE, BUNDLE_FILE],
            vec![output::OPENING, MODEL_FILE],
        ),
    };
    Ok(Written {
        bundle_path,
        model_path,
        public_model_path,
        public_files,
        private_files,
    })
}

/// Refuses an output folder whose `commitment.json` is of another
/// commitment than the run's (unless `force`); one of the same commitment
/// is rewritten identically.
pub(crate) fn refuse_other_commitment_file(
    out_dir: &Path,
    opening: &Opening,
    force: bool,
) -> Result<()> {
    let path = out_dir.join(COMMITMENT_FILE);
    if force || path.symlink_metadata().is_err() {
        return Ok(());
    }
    let same = artifact::read_json::<CommitmentFile>(&path, CommitmentFile::KIND)
        .is_ok_and(|c| c == CommitmentFile::of(opening));
    if same {
        return Ok(());
    }
    Err(Error::artifact(
        &path,
        "is of another commitment than this run's; choose another --out, or --force to \
         replace it",
    ))
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
        writeln!(f, "statement    {}", self.kind)?;
        writeln!(f, "commitment   {} (training rows)", self.commitment)?;
        writeln!(f, "             {} (test rows)", self.test_commitment)?;
        if let Some(c) = &self.weights_commitment {
            writeln!(f, "weights      committed: C_W {c}")?;
        }
        writeln!(
            f,
            "circuit      {} constraints per step ({} in the step circuit), {:.1} per sample-feature-epoch",
            self.constraints_per_step, self.step_constraints, self.constraints_per_sample_feature_epoch
        )?;
        if self.segments.is_empty() {
            writeln!(
                f,
                "time         {:.1} s in all: setup {:.1} s, folding {:.1} s, compression {:.1} \
                 s, check {:.2} s",
                self.command_s, self.setup_s, self.prove_s, self.compress_s, self.verify_s
            )?;
        } else {
            writeln!(
                f,
                "time         {:.1} s in all (this command); {} segment proofs joined: setup \
                 {:.1} s, check {:.2} s",
                self.command_s,
                self.segments.len(),
                self.setup_s,
                self.verify_s
            )?;
            for s in &self.segments {
                writeln!(
                    f,
                    "segment {:<4} {} steps: folding {:.1} s, compression {:.1} s, {} bytes \
                     (on its worker)",
                    s.index, s.steps, s.fold_s, s.compress_s, s.proof_bytes
                )?;
            }
        }
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
        writeln!(f, "public       {}", self.commitment_path.display())?;
        match &self.public_model_path {
            None => writeln!(f, "public       {}", self.model_path.display())?,
            Some(public) => {
                writeln!(f, "public       {} (C_W, no weights)", public.display())?;
                writeln!(
                    f,
                    "private      {} (the weights and the salt that opens C_W)",
                    self.model_path.display()
                )?;
            }
        }
        write!(
            f,
            "private      {} (keep it secret: it opens the commitment)",
            self.opening_path.display()
        )?;
        let holds_any =
            std::fs::read_dir(&self.checkpoint_dir).is_ok_and(|mut d| d.next().is_some());
        if holds_any {
            write!(
                f,
                "\nprivate      {} (checkpoints hold the witness; delete them when done)",
                self.checkpoint_dir.display()
            )?;
        }
        Ok(())
    }
}
