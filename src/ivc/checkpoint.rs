//! Checkpoints: everything needed to continue folding after a stop.
//!
//! A checkpoint holds the running RecursiveSNARK and the salt, so it is
//! witness data: files are created 0600 and must stay private. The file is
//! the common container ([`crate::artifact::Kind`]) with a body digest:
//! `magic (16) | version (4, LE) | sha256 of the body (32) | body`, the body
//! being bincode 2 of [`Checkpoint`]. Files are written atomically (temp
//! file, fsync, rename), so a crash leaves either a complete checkpoint or
//! none; a torn or altered one fails its digest and is skipped on resume.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::prover::{Checkpoints, Progress};
use super::{Params, Recursive};
use crate::artifact::{self, Kind, Refusal, Visibility, MAGIC_LEN};
use crate::circuit::{State, TrainStep};
use crate::commitment::{Commitment, Salts};
use crate::dataset::TrainFraction;
use crate::error::{Error, Result};
use crate::fixed::Scalar;
use crate::recipe::Recipe;

/// First bytes of a checkpoint file.
pub const CHECKPOINT_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-ckpt\0\0";
/// Version of the checkpoint file's layout (2: the state is one typed
/// field).
pub const CHECKPOINT_VERSION: u32 = 4;
/// Largest checkpoint read. A checkpoint is dominated by the folded witness
/// (two field vectors the size of the step circuit); at the recipe limits
/// ([`crate::recipe::MAX_BATCH_CELLS`]) that stays below 1 GiB.
pub const MAX_CHECKPOINT_BYTES: usize = 1 << 30;
/// The checkpoint file: magic, version, sha256 of the body, bincode 2 of the
/// [`Checkpoint`].
pub const CHECKPOINT: Kind<MAX_CHECKPOINT_BYTES> = Kind {
    magic: CHECKPOINT_MAGIC,
    version: CHECKPOINT_VERSION,
    body_digest: true,
};
/// Checkpoints kept in a folder; older ones are removed.
pub const KEEP: usize = 3;

/// What a checkpoint records: the run's identity and where folding stood.
#[derive(Serialize, Deserialize)]
pub struct Checkpoint {
    /// What every checkpoint of the run shares.
    pub run: RunInfo,
    /// Steps folded so far.
    pub done: usize,
    /// The state after `done` steps (also the folded proof's `z_done`; kept
    /// so a resume can check the two agree without trusting either).
    pub state: State,
    /// The running folded proof.
    pub recursive: Recursive,
}

/// What every checkpoint of one run shares: the run's identity. (Its fields
/// open a checkpoint's encoding, as they did when they were the
/// checkpoint's own: bincode gives a nested struct no framing.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The recipe being proven.
    pub recipe: Recipe,
    /// sha256 of the quantized training rows ([`data_digest`]).
    pub data_digest: String,
    /// Where the data came from (a default for `resume`).
    pub data_path: PathBuf,
    /// Share of the CSV's rows that train.
    pub train_fraction: TrainFraction,
    /// The secret salts of the two commitments (the commitments are in
    /// the state, as is the weights salt with committed weights).
    pub salts: Salts,
    /// Keep the normalizer out of `model.public.json` (committed weights).
    pub private_normalizer: bool,
    /// The protected attribute left out of the features (a commitment
    /// made with `commit --group`).
    pub group: Option<String>,
}

impl Checkpoint {
    /// The commitment the checkpointed run proves against.
    pub fn commitment(&self) -> Commitment {
        self.state.commitment
    }

    /// Where folding stood, after checking the checkpoint against the
    /// parameters (sonobe's `from_ivc_proof`): its folded proof must verify
    /// from `z0` under `pp` after `done` steps, and end in the state it
    /// records. A checkpoint is private data, but it may be stale, corrupt
    /// in ways its digest cannot see (written by another build) or another
    /// run's, so nothing in it is taken on trust.
    pub fn into_progress(self, pp: &Params, z0: &[Scalar]) -> Result<Progress> {
        let total = self.run.recipe.total_steps();
        if !(1..=total).contains(&self.done) {
            return Err(Error::Checkpoint(format!(
                "it claims {} folded steps of a run of {total}",
                self.done
            )));
        }
        self.recursive.verify(pp, self.done, z0).map_err(|e| {
            Error::Checkpoint(format!(
                "its folded proof does not verify under this recipe's parameters: {e}"
            ))
        })?;
        if self.recursive.outputs() != self.state.to_z(&self.run.recipe)?.as_slice() {
            return Err(Error::Checkpoint(
                "its recorded state differs from its folded proof's".into(),
            ));
        }
        Ok(Progress {
            recursive: self.recursive,
            state: self.state,
            done: self.done,
        })
    }
}

/// sha256 of the quantized rows and labels, identifying the training data.
pub fn data_digest(data: &crate::dataset::FixedDataset) -> String {
    let mut h = Sha256::new();
    h.update((data.rows.len() as u64).to_le_bytes());
    for (row, y) in data.rows.iter().zip(&data.labels) {
        h.update([*y]);
        for x in row {
            h.update(x.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// Serializes a checkpoint with its header and digest.
pub fn encode(ckpt: &Checkpoint) -> Result<Vec<u8>> {
    CHECKPOINT
        .seal(ckpt, None)
        .map_err(|e| Error::Checkpoint(format!("cannot encode: {e}")))
}

/// Parses untrusted checkpoint bytes: magic, version, digest, strict
/// bincode (which checks the recipe's limits as it reads it).
pub fn decode(bytes: &[u8]) -> Result<Checkpoint> {
    CHECKPOINT.open(bytes, None).map_err(refused)
}

/// The checkpoint error a container refusal is.
fn refused(refusal: Refusal) -> Error {
    Error::Checkpoint(match refusal {
        Refusal::BadMagic => "not a foldtrain checkpoint (bad magic bytes)".into(),
        Refusal::Version { .. } => format!("checkpoint {refusal}"),
        Refusal::TrailingBytes(_) => "trailing bytes after the checkpoint".into(),
        _ => refusal.to_string(),
    })
}

/// File name of the checkpoint after `done` steps (sorts by step).
pub fn file_name(done: usize) -> String {
    format!("checkpoint-{done:09}.ckpt")
}

/// Writes a checkpoint atomically, 0600, and prunes all but the newest
/// [`KEEP`].
pub fn write(dir: &Path, ckpt: &Checkpoint) -> Result<PathBuf> {
    let path = write_unpruned(dir, ckpt)?;
    for (_, old) in list(dir)?.iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// Writes a checkpoint atomically, 0600, leaving the others alone.
fn write_unpruned(dir: &Path, ckpt: &Checkpoint) -> Result<PathBuf> {
    artifact::ensure_private_dir(dir)?;
    let path = dir.join(file_name(ckpt.done));
    artifact::write_atomic(&path, &encode(ckpt)?, Visibility::Private)?;
    Ok(path)
}

/// Checkpoint files in `dir`, newest (most steps) first.
pub fn list(dir: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found: Vec<(usize, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step = name
                .strip_prefix("checkpoint-")?
                .strip_suffix(".ckpt")?
                .parse()
                .ok()?;
            Some((step, e.path()))
        })
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(found)
}

/// Reads one checkpoint file.
pub fn read(path: &Path) -> Result<Checkpoint> {
    let bytes = artifact::read_limited(path, MAX_CHECKPOINT_BYTES as u64)?;
    decode(&bytes).map_err(|e| match e {
        Error::Checkpoint(m) => Error::Checkpoint(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// The newest checkpoint in `dir` that decodes and passes its digest, with a
/// warning for each newer one skipped.
pub fn newest_valid(dir: &Path) -> Result<(Checkpoint, PathBuf, Vec<String>)> {
    let mut warnings = Vec::new();
    let files = list(dir)?;
    if files.is_empty() {
        return Err(Error::Checkpoint(format!(
            "no checkpoint files in {}; run `foldtrain prove` first",
            dir.display()
        )));
    }
    for (_, path) in files {
        match read(&path) {
            Ok(c) => return Ok((c, path, warnings)),
            Err(e) => warnings.push(format!("skipped a checkpoint: {e}")),
        }
    }
    Err(Error::Checkpoint(format!(
        "no valid checkpoint in {}: {}",
        dir.display(),
        warnings.join("; ")
    )))
}

/// When checkpoints are written while folding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// None at all, not even after the last step.
    Never,
    /// After every this many folded steps.
    Steps(usize),
    /// When this much time has passed since the last one.
    Interval(Duration),
}

/// Default time between checkpoints: a stop loses at most this much folding.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(120);

impl Default for Cadence {
    fn default() -> Self {
        Cadence::Interval(DEFAULT_INTERVAL)
    }
}

/// Writes a run's checkpoints: on its cadence while folding, when
/// interrupted (then stops the run), and once after the last folded step so
/// that a stop during the minutes of compression loses no folding. That last
/// one is removed by [`Checkpointer::finish`] once the proof is written.
pub struct Checkpointer {
    dir: PathBuf,
    cadence: Cadence,
    interrupt: Option<Arc<AtomicBool>>,
    run: RunInfo,
    /// Where the run writes its results (not recorded in a checkpoint: the
    /// resume hint names it when the checkpoints are elsewhere).
    out_dir: PathBuf,
    last_write: Instant,
    /// The checkpoint written after the last step, if any.
    last_step: Option<PathBuf>,
}

impl Checkpointer {
    /// Checkpoints of `run`, writing its results into `out_dir`, into
    /// `dir` (created 0700 when first written). Setting `interrupt` stops
    /// folding after the current step, with a checkpoint.
    pub fn new(
        dir: PathBuf,
        cadence: Cadence,
        interrupt: Option<Arc<AtomicBool>>,
        run: RunInfo,
        out_dir: PathBuf,
    ) -> Self {
        Checkpointer {
            dir,
            cadence,
            interrupt,
            run,
            out_dir,
            last_write: Instant::now(),
            last_step: None,
        }
    }

    /// The checkpoint folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The proof is written: removes the checkpoint of the last step (it
    /// holds the whole witness and guards nothing any more), and the
    /// checkpoint folder if that leaves it empty.
    pub fn finish(self) {
        if let Some(path) = self.last_step {
            let _ = std::fs::remove_file(path);
        }
        // Only the output's own checkpoint folder (never one the user
        // named); and removing fails, keeping it, when anything is left.
        let own = crate::output::out_dir_of_checkpoints(&self.dir)
            .is_some_and(|o| o.components().eq(self.out_dir.components()));
        if own {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }

    fn checkpoint_of(&self, progress: &Progress) -> Checkpoint {
        Checkpoint {
            run: self.run.clone(),
            done: progress.done,
            state: progress.state.clone(),
            recursive: progress.recursive.clone(),
        }
    }

    /// Whether the run was asked to stop (Ctrl-C).
    fn interrupted_now(&self) -> bool {
        (self.interrupt.as_ref()).is_some_and(|f| f.load(Ordering::SeqCst))
    }

    fn interrupted(&self, done: usize, path: &Path) -> Error {
        Error::Interrupted(format!(
            "checkpoint of step {done}/{} written to {}; continue with `{}`",
            self.run.recipe.total_steps(),
            path.display(),
            crate::output::resume_command(&self.dir, &self.out_dir)
        ))
    }
}

impl Checkpoints<State, TrainStep> for Checkpointer {
    /// After a folded step short of the last: writes a checkpoint when one is
    /// due, and when interrupted writes one and stops the run with
    /// [`Error::Interrupted`].
    fn after_step(&mut self, progress: &Progress) -> Result<()> {
        let stop = self.interrupted_now();
        let due = match self.cadence {
            Cadence::Never => false,
            Cadence::Steps(n) => progress.done.is_multiple_of(n),
            Cadence::Interval(t) => self.last_write.elapsed() >= t,
        };
        if !(due || stop) {
            return Ok(());
        }
        let path = write(&self.dir, &self.checkpoint_of(progress))?;
        self.last_write = Instant::now();
        if stop {
            return Err(self.interrupted(progress.done, &path));
        }
        Ok(())
    }

    /// After the last folded step, before compression: writes a checkpoint
    /// (unless `progress` was itself resumed from one, or the cadence is
    /// [`Cadence::Never`]), without pruning the periodic ones; stops the run
    /// when interrupted.
    fn before_compression(&mut self, progress: &Progress, resumed_at: usize) -> Result<()> {
        let path = self.dir.join(file_name(progress.done));
        if resumed_at != progress.done && self.cadence != Cadence::Never {
            write_unpruned(&self.dir, &self.checkpoint_of(progress))?;
        }
        self.last_step = Some(path.clone());
        if self.interrupted_now() {
            return Err(self.interrupted(progress.done, &path));
        }
        Ok(())
    }
}
