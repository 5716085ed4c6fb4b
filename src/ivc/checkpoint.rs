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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Recursive;
use crate::artifact::{self, Kind, Refusal, Visibility, MAGIC_LEN};
use crate::circuit::State;
use crate::commitment::{Commitment, Salt};
use crate::error::{Error, Result};
use crate::recipe::Recipe;
use crate::train::Weights;

/// First bytes of a checkpoint file.
pub const CHECKPOINT_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-ckpt\0\0";
/// Version of the checkpoint file's layout.
pub const CHECKPOINT_VERSION: u32 = 1;
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

/// What a checkpoint records.
#[derive(Serialize, Deserialize)]
pub struct Checkpoint {
    /// The recipe being proven.
    pub recipe: Recipe,
    /// sha256 of the quantized training rows ([`data_digest`]).
    pub data_digest: String,
    /// Where the data came from (a default for `resume`).
    pub data_path: PathBuf,
    /// Share of the CSV's rows that train.
    pub train_fraction: f64,
    /// The commitment and its secret salt.
    pub commitment: Commitment,
    pub salt: Salt,
    /// Steps folded so far.
    pub done: usize,
    /// Weights after `done` steps (also inside `recursive`; kept for
    /// messages and checks without decoding the SNARK's state).
    pub weights: Weights,
    /// The state after `done` steps.
    pub hash_hex: String,
    pub batch: u64,
    pub epoch: u64,
    /// The running folded proof.
    pub recursive: Recursive,
}

impl Checkpoint {
    /// The native state after `done` steps.
    pub fn state(&self) -> Result<State> {
        let hash = crate::commitment::scalar_from_hex(&self.hash_hex)
            .ok_or_else(|| Error::Checkpoint("its running hash is not a field element".into()))?;
        Ok(State {
            weights: self.weights.clone(),
            hash,
            commitment: self.commitment,
            batch: self.batch,
            epoch: self.epoch,
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
/// bincode, then the recipe's limits.
pub fn decode(bytes: &[u8]) -> Result<Checkpoint> {
    let ckpt: Checkpoint = CHECKPOINT.open(bytes, None).map_err(refused)?;
    ckpt.recipe
        .validate()
        .map_err(|e| Error::Checkpoint(format!("its recipe is invalid: {e}")))?;
    Ok(ckpt)
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
    artifact::ensure_private_dir(dir)?;
    let path = dir.join(file_name(ckpt.done));
    artifact::write_atomic(&path, &encode(ckpt)?, Visibility::Private)?;
    let all = list(dir)?;
    for (_, old) in all.iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
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
