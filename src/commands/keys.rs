//! `keys`: derive a statement's verifier key from scratch and write it to a
//! file, so that an auditor derives it once, pins its hash and checks any
//! number of proofs with `verify --vk` (or `audit --vk`): the key of a
//! training recipe, or of an evaluation's or a predictions batch's spec.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::DataArgs;
use crate::circuit::infer::InferSpec;
use crate::error::{Error, Result};
use crate::ivc::keys::KeyFile;
use crate::ivc::{params, Spec};
use crate::recipe::Recipe;
use crate::segment::{SegmentSpec, TrainingBundle};
use crate::statement::AnyBundle;

/// Whose spec `keys` derives the key of.
#[derive(Clone, Debug)]
pub enum RecipeSource {
    /// The spec a bundle of any kind states (the bundle is not verified).
    Bundle(PathBuf),
    /// The recipe of a dataset and settings, as `prove` would build it.
    Data(DataArgs),
}

/// `keys`' report.
#[derive(Clone, Debug, Serialize)]
pub struct KeysReport {
    /// The key file written.
    pub path: PathBuf,
    /// The bundle whose recipe was used, when one was given.
    pub bundle: Option<PathBuf>,
    /// sha256 of the key file: what to publish and pin.
    pub sha256: String,
    pub bytes: usize,
    /// `training`, `evaluation` or `predictions`.
    pub kind: &'static str,
    /// The statement's spec in one line.
    pub summary: String,
    /// The training recipe, for a training key.
    pub recipe: Option<Recipe>,
    /// The evaluation or predictions spec, for such a key.
    pub spec: Option<InferSpec>,
    /// The parameter digest a statement of this recipe must state.
    pub params_digest: String,
    /// Seconds to build the parameters and derive the key (a phase).
    pub derive_s: f64,
    /// Seconds of the whole command.
    pub command_s: f64,
}

/// Derives the verifier key of `source`'s recipe from scratch (no cache is
/// read), writes it to `out` atomically and stores it in the key cache.
/// Refuses to replace an existing file unless `force`.
pub fn keys(source: &RecipeSource, out: &Path, force: bool) -> Result<KeysReport> {
    let started = Instant::now();
    let which = match source {
        RecipeSource::Bundle(path) => match AnyBundle::read_as_input(path)? {
            AnyBundle::Training(b) => match *b {
                TrainingBundle::Whole(b) => Which::Training(b.statement.recipe),
                TrainingBundle::Segmented(b) => Which::Segmented(b.statement.spec()),
            },
            AnyBundle::Inference(b) => Which::Inference(b.statement.spec),
            AnyBundle::Preprocessing(b) => Which::Preprocessing(b.statement.spec),
        },
        RecipeSource::Data(args) => Which::Training(args.load()?.recipe),
    };
    if out.is_dir() {
        return Err(Error::artifact(
            out,
            "is a folder; give a file name for the key, for example --out vk.bin",
        ));
    }
    if out.exists() && !force {
        return Err(Error::artifact(
            out,
            "exists; pass --force to replace it, or choose another --out",
        ));
    }
    let (derived, recipe, spec) = match which {
        Which::Training(r) => (derive_and_write(&r, out)?, Some(r), None),
        Which::Segmented(s) => (derive_and_write(&s, out)?, Some(s.recipe), None),
        Which::Inference(s) => (derive_and_write(&s, out)?, None, Some(s)),
        Which::Preprocessing(s) => (derive_and_write(&s, out)?, None, None),
    };
    Ok(KeysReport {
        path: out.to_path_buf(),
        bundle: match source {
            RecipeSource::Bundle(path) => Some(path.clone()),
            RecipeSource::Data(_) => None,
        },
        sha256: crate::artifact::sha256_hex(&derived.bytes),
        bytes: derived.bytes.len(),
        kind: derived.kind,
        summary: derived.summary,
        params_digest: derived.params_digest,
        recipe,
        spec,
        derive_s: derived.derive_s,
        command_s: started.elapsed().as_secs_f64(),
    })
}

/// The statement whose key is derived.
enum Which {
    Training(Recipe),
    /// A training run proven in segments: the segment circuit's key.
    Segmented(SegmentSpec),
    Inference(InferSpec),
    Preprocessing(crate::circuit::prep::PrepSpec),
}

/// A key derived and written by [`derive_and_write`].
struct Derived {
    bytes: Vec<u8>,
    kind: &'static str,
    summary: String,
    params_digest: String,
    derive_s: f64,
}

/// Derives `spec`'s key from scratch (no cache is read), writes it to
/// `out` atomically and stores it in the key cache.
fn derive_and_write<S: Spec>(spec: &S, out: &Path) -> Result<Derived> {
    let derive = Instant::now();
    let key = KeyFile::derive(spec)?;
    let derive_s = derive.elapsed().as_secs_f64();
    let bytes = key.to_bytes()?;
    crate::artifact::write_atomic(out, &bytes, crate::artifact::Visibility::Public)?;
    // Derived here from scratch: as trustworthy as this binary.
    if let Some(cache) = params::Cache::from_env() {
        if let Err(e) = cache.store_key(spec, &bytes) {
            eprintln!("foldtrain: warning: the key was not cached: {e}");
        }
    }
    Ok(Derived {
        bytes,
        kind: spec.kind_name(),
        summary: spec.summary(),
        params_digest: key.params_digest,
        derive_s,
    })
}

impl fmt::Display for KeysReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verifier key {} ({} bytes)",
            self.path.display(),
            self.bytes
        )?;
        writeln!(f, "sha256       {}", self.sha256)?;
        writeln!(f, "statement    {}: {}", self.kind, self.summary)?;
        writeln!(f, "parameters   {}", self.params_digest)?;
        writeln!(
            f,
            "time         {:.1} s in all, {:.1} s of it deriving the key",
            self.command_s, self.derive_s
        )?;
        // Runnable as printed when the recipe came from a bundle.
        write!(
            f,
            "verify with  foldtrain verify {} --vk {} --vk-sha256 {}",
            self.bundle
                .as_deref()
                .map_or_else(|| "BUNDLE".into(), |b| b.display().to_string()),
            self.path.display(),
            self.sha256
        )
    }
}
