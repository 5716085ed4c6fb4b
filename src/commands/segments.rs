//! `plan`, `prove-segment` and `join`: a training run proven in segments,
//! each segment by its own process (on this machine, or on any machine a
//! job runner starts), and `prove --segments K`, which runs the three here
//! with the segments as parallel processes.
//!
//! A plan folder holds, beside what `prove` writes at the end:
//! - `private/segments.json` (owner-only): the run (recipe, data path and
//!   digest, split, the commitments' salts), the cuts and the secrets (the
//!   weights salt and one salt a boundary). Every worker needs it and the
//!   data; nothing else.
//! - `segments/segment-I.proof`: segment `I`'s proof, bound to its plan (a
//!   proof left by an earlier plan in the folder is refused by name).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::prove::{
    default_out_dir, load_inputs, refuse_other_commitment_file, reload, run_info, trained_model,
    write_trained, ProveArgs, ProveReport,
};
use super::{private_dir, CommitmentFile, Loaded, COMMITMENT_FILE, PROVE_OUTPUTS};
use crate::artifact::{self, Refusal, Visibility};
use crate::circuit::cost;
use crate::commitment::{Commitment, Opening};
use crate::error::{Error, Result};
use crate::ivc::checkpoint::RunInfo;
use crate::ivc::keys::KeyFile;
use crate::ivc::params;
use crate::ivc::prover::{self, Job, Keys, Observer, Phase, Silent};
use crate::output::{self, OutputDir};
use crate::recipe::WeightsVisibility;
use crate::segment::{
    self, Cuts, Secrets, SegmentJob, SegmentProof, SegmentSpec, SegmentedBundle,
    MAX_SEGMENT_PROOF_BYTES,
};
use crate::statement::Verifier;
use crate::train;

/// The private plan, in the plan folder's `private/`.
pub const PLAN_FILE: &str = "segments.json";
/// The folder of segment proofs, in the plan folder.
pub const SEGMENTS_DIR: &str = "segments";

/// What every segment of a run needs besides the data: `private/segments.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentPlan {
    pub kind: String,
    pub version: u32,
    /// The run: recipe, data path and digest, split, the commitments' salts.
    pub run: RunInfo,
    pub commitment: Commitment,
    pub test_commitment: Commitment,
    pub cuts: Cuts,
    pub secrets: Secrets,
}

impl SegmentPlan {
    pub const KIND: &'static str = "foldtrain-segment-plan";
    pub const VERSION: u32 = 1;

    /// Where a plan folder keeps its plan.
    pub fn path(dir: &Path) -> PathBuf {
        private_dir(dir).join(PLAN_FILE)
    }

    /// Where a plan folder keeps segment `index`'s proof.
    pub fn proof_path(dir: &Path, index: usize) -> PathBuf {
        dir.join(SEGMENTS_DIR)
            .join(format!("segment-{index}.proof"))
    }

    /// What a segment proof file is bound to: the sha256 of the plan (its
    /// salts make every plan's different).
    fn id(&self) -> Result<[u8; 32]> {
        use sha2::Digest;
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::Internal(format!("a plan does not encode: {e}")))?;
        Ok(sha2::Sha256::digest(bytes).into())
    }

    /// Reads and checks the plan of the folder `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = Self::path(dir);
        if !path.is_file() {
            return Err(Error::artifact(
                &path,
                "does not exist: give the folder `foldtrain plan --segments K --out DIR` wrote \
                 (every worker needs its private/segments.json, and the data)",
            ));
        }
        let plan: SegmentPlan = artifact::read_json(&path, Self::KIND)?;
        let bad = |why: String| Err(Error::artifact(&path, format!("{why}; plan again")));
        if plan.version != Self::VERSION {
            return bad(format!(
                "has layout version {}, this build reads version {}",
                plan.version,
                Self::VERSION
            ));
        }
        let total = plan.run.recipe.total_steps();
        let b = &plan.cuts.bounds;
        let tiles =
            b.first() == Some(&0) && b.last() == Some(&total) && b.windows(2).all(|w| w[0] < w[1]);
        if !tiles {
            return bad(format!(
                "its cuts {b:?} do not tile the run's {total} steps"
            ));
        }
        if plan.secrets.boundary_salts.len() != plan.cuts.count() + 1 {
            return bad("its salts do not match its segments".into());
        }
        Ok(plan)
    }

    /// The plan's data, loaded from `data` or the recorded path and checked
    /// to be the run's (recipe, rows, both commitments).
    fn load(&self, dir: &Path, data: Option<&Path>) -> Result<(Loaded, Opening)> {
        let path = Self::path(dir);
        let refuse = |what: String| {
            Error::Mismatch(format!(
                "{} was made with {what}; give --data the CSV the plan was made from",
                path.display()
            ))
        };
        let (_, loaded, opening) = reload(&self.run, "the plan", data, &refuse)?;
        if opening.commitment() != self.commitment
            || opening.test.commitment != self.test_commitment
        {
            return Err(refuse(
                "commitments its data and salts do not reproduce".into(),
            ));
        }
        Ok((loaded, opening))
    }

    fn spec(&self) -> SegmentSpec {
        SegmentSpec {
            recipe: self.run.recipe.clone(),
        }
    }

    /// The salt of `C_W`, when the recipe commits to its weights.
    fn weights_salt(&self) -> Option<crate::commitment::Salt> {
        (self.run.recipe.weights == WeightsVisibility::Committed)
            .then_some(self.secrets.weights_salt)
    }
}

/// One segment's range.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentRange {
    pub index: usize,
    /// Its first step, of the run's.
    pub start: usize,
    pub steps: usize,
}

/// `plan`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct PlanReport {
    pub out_dir: PathBuf,
    pub plan_path: PathBuf,
    pub commitment_path: PathBuf,
    pub commitment: Commitment,
    pub test_commitment: Commitment,
    /// Folded steps of the whole run.
    pub steps: usize,
    pub segments: Vec<SegmentRange>,
    pub warnings: Vec<String>,
}

/// Plans a run in `segments` segments: commits to both splits (or opens
/// the commitment `args.commitment` names), cuts the run's folded steps
/// into balanced ranges, draws the boundary salts, and writes
/// `commitment.json`, `private/opening.json` and `private/segments.json`
/// into the output folder. Proves nothing.
pub fn plan(args: &ProveArgs, segments: usize) -> Result<PlanReport> {
    let (data_args, loaded, opening, warnings) = load_inputs(args)?;
    let total = loaded.recipe.total_steps();
    let cuts = Cuts::balanced(total, segments)?;
    let secrets = Secrets::random(segments, None);
    let out_dir = (args.run.out_dir.clone()).unwrap_or_else(|| default_out_dir(&data_args.data));
    let out = OutputDir::lock(&out_dir)?;
    let opening_plan = out.plan_opening(&opening.commitment())?;
    let plan_path = SegmentPlan::path(&out_dir);
    if plan_path.symlink_metadata().is_ok() && !args.run.force {
        return Err(Error::artifact(
            &plan_path,
            "holds a plan already (and its segment proofs belong to it); choose another --out, \
             or --force to plan afresh (the old plan's segment proofs are then removed)",
        ));
    }
    out.refuse_existing_public(PROVE_OUTPUTS, args.run.force)?;
    refuse_other_commitment_file(&out_dir, &opening, args.run.force)?;
    out.begin()?;
    if opening_plan == output::OpeningPlan::Write {
        let path = private_dir(&out_dir).join(output::OPENING);
        artifact::write_json(&path, &opening, Visibility::Private)?;
    }
    let commitment_path = out_dir.join(COMMITMENT_FILE);
    let public = CommitmentFile::of(&opening);
    artifact::write_json(&commitment_path, &public, Visibility::Public)?;
    let proofs = out_dir.join(SEGMENTS_DIR);
    if proofs.is_dir() {
        // Only with --force (refused above otherwise): an earlier plan's.
        std::fs::remove_dir_all(&proofs).map_err(|e| Error::io(&proofs, e))?;
    }
    artifact::ensure_dir(&proofs)?;
    let mut run = run_info(&data_args, &loaded, &opening, args.private_normalizer);
    // Workers start in other folders: the recorded path is absolute.
    if let Ok(absolute) = std::fs::canonicalize(&run.data_path) {
        run.data_path = absolute;
    }
    let plan = SegmentPlan {
        kind: SegmentPlan::KIND.into(),
        version: SegmentPlan::VERSION,
        run,
        commitment: opening.commitment(),
        test_commitment: opening.test.commitment,
        cuts,
        secrets,
    };
    artifact::write_json(&plan_path, &plan, Visibility::Private)?;
    let segments = (0..plan.cuts.count())
        .filter_map(|index| {
            let (start, steps) = plan.cuts.range(index)?;
            Some(SegmentRange {
                index,
                start,
                steps,
            })
        })
        .collect();
    Ok(PlanReport {
        out_dir,
        plan_path,
        commitment_path,
        commitment: plan.commitment,
        test_commitment: plan.test_commitment,
        steps: total,
        segments,
        warnings,
    })
}

/// Settings of `prove-segment`.
#[derive(Clone, Debug, clap::Args)]
pub struct SegmentArgs {
    /// The plan folder `foldtrain plan --out DIR` wrote.
    pub dir: PathBuf,
    /// Which segment, from 0: a Slurm array's $SLURM_ARRAY_TASK_ID, a
    /// Kubernetes Indexed Job's $JOB_COMPLETION_INDEX.
    #[arg(long)]
    pub index: usize,
    /// The CSV (default: the path recorded in the plan).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Prove the segment again even if its proof is in the folder already.
    #[arg(long)]
    pub force: bool,
}

/// `prove-segment`'s report.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentReport {
    pub index: usize,
    pub segments: usize,
    pub start: usize,
    pub steps: usize,
    pub path: PathBuf,
    /// The folder held this segment's proof of this plan already: nothing
    /// was proven (a job runner's retry is free).
    pub reused: bool,
    pub command_s: f64,
    pub setup_s: f64,
    pub fold_s: f64,
    pub compress_s: f64,
    pub file_bytes: usize,
}

/// Reads segment `index`'s proof of `plan` in `dir`: `None` if the folder
/// has none; an error naming the file and the way out if it is not one.
fn read_segment(
    dir: &Path,
    plan_id: &[u8; 32],
    index: usize,
) -> Result<Option<(SegmentProof, usize)>> {
    let path = SegmentPlan::proof_path(dir, index);
    if path.symlink_metadata().is_err() {
        return Ok(None);
    }
    let again = format!(
        "prove it again with `foldtrain prove-segment {} --index {index} --force`",
        output::shell_word(dir)
    );
    let bytes = artifact::read_limited(&path, MAX_SEGMENT_PROOF_BYTES as u64)?;
    let proof = SegmentProof::from_file_bytes(&bytes, plan_id).map_err(|r| {
        let why = match r {
            Refusal::Binding => "is a proof of another plan (an earlier one in this folder)".into(),
            other => format!("is not a segment proof: {other}"),
        };
        Error::artifact(&path, format!("{why}; {again}"))
    })?;
    if proof.index != index {
        return Err(Error::artifact(
            &path,
            format!("holds the proof of segment {}; {again}", proof.index),
        ));
    }
    Ok(Some((proof, bytes.len())))
}

/// Proves one segment of a plan and writes its proof into the plan
/// folder's `segments/` (atomically; several workers write side by side).
/// Shows nothing; see [`prove_segment_with`].
pub fn prove_segment(args: &SegmentArgs) -> Result<SegmentReport> {
    prove_segment_with(args, &Silent)
}

/// [`prove_segment`], reporting progress to `observer`.
pub fn prove_segment_with(args: &SegmentArgs, observer: &dyn Observer) -> Result<SegmentReport> {
    let started = Instant::now();
    let plan = SegmentPlan::read(&args.dir)?;
    let count = plan.cuts.count();
    let (start, steps) = plan.cuts.range(args.index).ok_or_else(|| {
        Error::Mismatch(format!(
            "the plan in {} has {count} segments: give --index from 0 to {}",
            args.dir.display(),
            count - 1
        ))
    })?;
    let path = SegmentPlan::proof_path(&args.dir, args.index);
    let id = plan.id()?;
    let report = |reused, times: [f64; 3], file_bytes| SegmentReport {
        index: args.index,
        segments: count,
        start,
        steps,
        path: path.clone(),
        reused,
        command_s: started.elapsed().as_secs_f64(),
        setup_s: times[0],
        fold_s: times[1],
        compress_s: times[2],
        file_bytes,
    };
    if !args.force {
        if let Ok(Some((p, bytes))) = read_segment(&args.dir, &id, args.index) {
            return Ok(report(true, [0.0, p.fold_s, p.compress_s], bytes));
        }
    }
    let (loaded, opening) = plan.load(&args.dir, args.data.as_deref())?;
    let recipe = Arc::new(plan.run.recipe.clone());
    observer.begun(&format!(
        "proving segment {} of {count} (steps {start} to {} of {}) of training on {}; this \
         takes minutes",
        args.index,
        start + steps - 1,
        recipe.total_steps(),
        plan.run.data_path.display()
    ));
    observer.phase(Phase::Setup);
    let keys = Keys::setup(&plan.spec())?;
    let job = SegmentJob {
        job: Job {
            recipe,
            data: &loaded.prepared.train_fixed,
            salt: opening.train.salt,
        },
        commitment: plan.commitment,
        test_commitment: plan.test_commitment,
        cuts: &plan.cuts,
        secrets: &plan.secrets,
        index: args.index,
    };
    let result = job.prove(&keys.pp, &keys.pk, observer);
    observer.finished();
    let (proof, _) = result?;
    let bytes = proof.to_file_bytes(&id)?;
    artifact::ensure_dir(&args.dir.join(SEGMENTS_DIR))?;
    artifact::write_atomic(&path, &bytes, Visibility::Public)?;
    let times = [prover::secs(keys.setup), proof.fold_s, proof.compress_s];
    Ok(report(false, times, bytes.len()))
}

/// Settings of `join`.
#[derive(Clone, Debug, clap::Args)]
pub struct JoinArgs {
    /// The plan folder, with every segment proven.
    pub dir: PathBuf,
    /// The CSV (default: the path recorded in the plan).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Replace the public results of an earlier join.
    #[arg(long)]
    pub force: bool,
}

/// Gathers a plan's segment proofs into `proof.bundle` (a segmented
/// training bundle), checks it from its bytes as a verifier would, and
/// writes the model and the manifest as `prove` does. Shows nothing; see
/// [`join_with`].
pub fn join(args: &JoinArgs) -> Result<ProveReport> {
    join_with(args, &Silent)
}

/// [`join`], reporting progress to `observer`.
pub fn join_with(args: &JoinArgs, observer: &dyn Observer) -> Result<ProveReport> {
    let started = Instant::now();
    let dir = &args.dir;
    let plan = SegmentPlan::read(dir)?;
    let id = plan.id()?;
    // The proofs first: a missing one is said before anything is loaded.
    let mut proofs = Vec::new();
    let mut missing = Vec::new();
    for index in 0..plan.cuts.count() {
        match read_segment(dir, &id, index)? {
            Some((p, _)) => proofs.push(p),
            None => missing.push(index.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Mismatch(format!(
            "segment(s) {} of the {} in {} are not proven yet: run `foldtrain prove-segment {} \
             --index I` for each, then join again",
            missing.join(", "),
            plan.cuts.count(),
            dir.display(),
            output::shell_word(dir)
        )));
    }
    let (loaded, opening) = plan.load(dir, args.data.as_deref())?;
    let out = OutputDir::lock(dir)?;
    out.plan_opening(&opening.commitment())?;
    out.refuse_existing_public(PROVE_OUTPUTS, args.force)?;
    let recipe = &plan.run.recipe;
    observer.begun(&format!(
        "joining {} segment proofs of training on {}",
        proofs.len(),
        plan.run.data_path.display()
    ));
    // The native run gives the model the last boundary must open to.
    let weights = train::train_fixed(recipe, &loaded.prepared.train_fixed)?;
    let result = gather(&plan, &weights, proofs, observer);
    observer.finished();
    let g = result?;
    out.begin()?;
    let model = trained_model(
        &loaded,
        &weights,
        plan.weights_salt(),
        (&opening, plan.run.private_normalizer),
    )?;
    let written = write_trained(dir, &model, plan.run.private_normalizer, &g.bytes)?;
    let mut private_files = written.private_files.clone();
    private_files.push(PLAN_FILE);
    out.finish("join", &written.public_files, &private_files)?;

    let statement = &g.bundle.statement;
    let times = g.times;
    let (primary, secondary) = g.constraints;
    let cost = cost::Folding::of(recipe, primary, secondary);
    let (w, b) = model.decimal_weights();
    Ok(ProveReport {
        data: plan.run.data_path.clone(),
        kind: statement.claim().kind(),
        commitment: plan.commitment,
        test_commitment: plan.test_commitment,
        weights_commitment: model.weights_commitment(),
        steps: statement.steps(),
        steps_folded_now: statement.steps(),
        step_constraints: params::step_constraints(recipe)?,
        constraints_per_step: cost.per_step,
        constraints_per_sample_feature_epoch: cost.per_sample_feature_epoch,
        params_digest: statement.params_digest.clone(),
        verifier_key_sha256: artifact::sha256_hex(&g.key_bytes),
        command_s: started.elapsed().as_secs_f64(),
        setup_s: g.setup_s,
        prove_s: times.iter().map(|t| t.fold_s).sum(),
        compress_s: times.iter().map(|t| t.compress_s).sum(),
        verify_s: g.verify_s,
        proof_bytes: times.iter().map(|t| t.proof_bytes).sum(),
        bundle_bytes: g.bytes.len(),
        weights: w,
        bias: b,
        bundle_path: written.bundle_path,
        model_path: written.model_path,
        public_model_path: written.public_model_path,
        commitment_path: dir.join(COMMITMENT_FILE),
        opening_path: private_dir(dir).join(output::OPENING),
        checkpoint_dir: private_dir(dir).join(output::CHECKPOINTS),
        segments: times,
        warnings: Vec::new(),
    })
}

/// One segment's share of a joined run, as its worker measured it.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentTime {
    pub index: usize,
    pub steps: usize,
    pub fold_s: f64,
    pub compress_s: f64,
    pub proof_bytes: usize,
}

/// A joined and checked bundle.
struct Gathered {
    bundle: SegmentedBundle,
    /// Its file bytes.
    bytes: Vec<u8>,
    /// Constraints folded per step (primary, secondary), the setup's
    /// seconds and the verifier key file's bytes.
    constraints: (usize, usize),
    setup_s: f64,
    key_bytes: Vec<u8>,
    /// Seconds of the check.
    verify_s: f64,
    times: Vec<SegmentTime>,
}

/// Joins the proofs for the final `weights` and checks the bundle from
/// its bytes with the segment circuit's key (cached for verifiers on this
/// machine).
fn gather(
    plan: &SegmentPlan,
    weights: &train::Weights,
    proofs: Vec<SegmentProof>,
    observer: &dyn Observer,
) -> Result<Gathered> {
    let spec = plan.spec();
    let mut times: Vec<SegmentTime> = proofs
        .iter()
        .map(|p| SegmentTime {
            index: p.index,
            steps: p.steps,
            fold_s: p.fold_s,
            compress_s: p.compress_s,
            proof_bytes: segment::proof_bytes(&p.snark),
        })
        .collect();
    times.sort_by_key(|t| t.index);
    observer.phase(Phase::Setup);
    let keys = Keys::setup(&spec)?;
    let commitments = [plan.commitment, plan.test_commitment];
    let digest = params::digest_hex(&keys.pp);
    let bundle = segment::join(
        &spec,
        commitments,
        &plan.cuts,
        &plan.secrets,
        weights,
        proofs,
        digest,
    )?;
    let bytes = bundle.to_bytes()?;
    observer.phase(Phase::Check);
    let (constraints, setup_s) = (keys.constraints(), prover::secs(keys.setup));
    let key = KeyFile::new(&spec, &keys.pp, keys.vk);
    let key_bytes = key.to_bytes()?;
    let verified = SegmentedBundle::from_bytes(&bytes)?
        .verify_with(&mut Verifier::primed(key))
        .map_err(|e| match e {
            Error::Rejected(r) => Error::Mismatch(format!(
                "the joined bundle is not accepted ({r}): a segment proof in the folder is not \
                 of this plan's run; prove the segment named again with `foldtrain \
                 prove-segment DIR --index I --force`"
            )),
            e => e,
        })?;
    if let Some(cache) = params::Cache::from_env() {
        if let Err(e) = cache.store_key(&spec, &key_bytes) {
            eprintln!("foldtrain: warning: the verifier key was not cached: {e}");
        }
    }
    Ok(Gathered {
        bundle,
        bytes,
        constraints,
        setup_s,
        key_bytes,
        verify_s: verified.verify_s,
        times,
    })
}

/// Proves a run in `segments` segments on this machine: plans into the
/// output folder, runs `prove-segment` for every segment as a child
/// process of `exe` (the `foldtrain` binary), `jobs` at a time (default:
/// all), then joins. The segment circuit's parameters are built (or
/// loaded) once first, so the workers share the parameter cache.
pub fn prove_in_segments(
    args: &ProveArgs,
    segments: usize,
    jobs: Option<usize>,
    exe: &Path,
    observer: &dyn Observer,
) -> Result<ProveReport> {
    let started = Instant::now();
    let planned = plan(args, segments)?;
    let dir = planned.out_dir.clone();
    let data = args.data.data.clone();
    let count = planned.segments.len();
    let jobs = jobs.unwrap_or(count).clamp(1, count);
    observer.begun(&format!(
        "proving training on {} in {count} segments, {jobs} at a time (this takes minutes)",
        data.display()
    ));
    let plan = SegmentPlan::read(&dir)?;
    if let Some(cache) = params::Cache::from_env() {
        observer.phase(Phase::Setup);
        params::cached_setup_in(Some(&cache), &plan.spec())?;
    }
    observer.finished();
    let interrupted = || (args.run.interrupt.as_ref()).is_some_and(|f| f.load(Ordering::SeqCst));
    let stopped = || {
        let dir = output::shell_word(&dir);
        Error::Interrupted(format!(
            "the segments proven so far are kept in {dir}/segments; prove the others with \
             `foldtrain prove-segment {dir} --index I` (a proven one returns at once), then \
             `foldtrain join {dir}`"
        ))
    };
    let mut waiting: Vec<usize> = (0..count).rev().collect();
    let mut running: Vec<(usize, Child, PathBuf, Instant)> = Vec::new();
    while !waiting.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some(index) = waiting.pop() else { break };
            let log = private_dir(&dir).join(format!("segment-{index}.log"));
            let file = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
            let child = Command::new(exe)
                .arg("--quiet")
                .arg("prove-segment")
                .arg(&dir)
                .arg("--index")
                .arg(index.to_string())
                .arg("--data")
                .arg(&data)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(file)
                .spawn()
                .map_err(|e| Error::io(exe, e))?;
            running.push((index, child, log, Instant::now()));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        if interrupted() {
            for (_, child, _, _) in &mut running {
                let _ = child.kill();
                let _ = child.wait();
            }
            return Err(stopped());
        }
        let mut i = 0;
        while i < running.len() {
            let (index, child, log, since) = &mut running[i];
            let Some(status) = child.try_wait().map_err(|e| Error::io(exe, e))? else {
                i += 1;
                continue;
            };
            let (index, log, since) = (*index, log.clone(), *since);
            running.swap_remove(i);
            if status.success() {
                let _ = std::fs::remove_file(&log);
                observer.note(&format!(
                    "segment {index} of {count} proven in {:.0} s",
                    since.elapsed().as_secs_f64()
                ));
                continue;
            }
            if interrupted() {
                // Ctrl-C reached the children too: said at the loop's top.
                continue;
            }
            for (_, other, _, _) in &mut running {
                let _ = other.kill();
                let _ = other.wait();
            }
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let last = said.lines().last().unwrap_or("").trim().to_string();
            return Err(Error::Segment(format!(
                "segment {index} of {count} failed ({status}): {last}; its log is {}. Prove it \
                 again with `foldtrain prove-segment {} --index {index}`, then `foldtrain join \
                 {}`",
                log.display(),
                output::shell_word(&dir),
                output::shell_word(&dir)
            )));
        }
    }
    if interrupted() {
        return Err(stopped());
    }
    let mut report = join_with(
        &JoinArgs {
            dir,
            data: Some(data),
            force: args.run.force,
        },
        observer,
    )?;
    report.command_s = started.elapsed().as_secs_f64();
    report.warnings.extend(planned.warnings);
    Ok(report)
}

impl fmt::Display for PlanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = output::shell_word(&self.out_dir);
        writeln!(
            f,
            "planned {} segments of the run's {} folded steps in {}",
            self.segments.len(),
            self.steps,
            self.out_dir.display()
        )?;
        for s in &self.segments {
            writeln!(
                f,
                "segment {:<4} steps {} to {} ({} steps)",
                s.index,
                s.start,
                s.start + s.steps - 1,
                s.steps
            )?;
        }
        writeln!(f, "commitment   {} (training rows)", self.commitment)?;
        writeln!(f, "             {} (test rows)", self.test_commitment)?;
        writeln!(f, "public       {}", self.commitment_path.display())?;
        writeln!(
            f,
            "private      {} (every boundary's salt: keep it secret; each worker needs it and \
             the data)",
            self.plan_path.display()
        )?;
        writeln!(
            f,
            "next         `foldtrain prove-segment {dir} --index I` for I from 0 to {}, on any \
             machines, then `foldtrain join {dir}`",
            self.segments.len() - 1
        )
    }
}

impl fmt::Display for SegmentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reused {
            return write!(
                f,
                "segment {} of {} was proven already: {} (--force proves it again)",
                self.index,
                self.segments,
                self.path.display()
            );
        }
        writeln!(
            f,
            "proved segment {} of {} (steps {} to {})",
            self.index,
            self.segments,
            self.start,
            self.start + self.steps - 1
        )?;
        writeln!(
            f,
            "time         {:.1} s in all: setup {:.1} s, folding {:.1} s, compression {:.1} s",
            self.command_s, self.setup_s, self.fold_s, self.compress_s
        )?;
        write!(
            f,
            "public       {} ({} bytes)",
            self.path.display(),
            self.file_bytes
        )
    }
}
