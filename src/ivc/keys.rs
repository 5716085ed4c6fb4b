//! Verifier keys as files: what an auditor derives once, pins by its sha256
//! and checks any number of proofs with, without Nova's prover parameters.
//!
//! A key file is the common container ([`crate::artifact::Kind`]) holding the
//! recipe, the hex digest of the public parameters it was derived from and
//! Nova's verifier key. Its sha256 (of the whole file) is what people
//! publish and pin: encoding is deterministic and so is Nova's setup, so the
//! same recipe always gives the same bytes.
//!
//! Trust. A key file is trusted only through its pin (SOUNDNESS 20): it is
//! read only with the sha256 the user holds (`--vk-sha256`, the hash
//! `foldtrain keys` prints when it derives the key), and a file of another
//! hash is refused before it is decoded. Its own label proves nothing:
//! whoever hands over a key and a bundle can relabel both (another learning
//! rate, the digest kept) and the proof still verifies against the genuine
//! key inside. So what a pinned key file is trusted for is exactly what the
//! pin names: Nova's verifier key of the circuit of the recipe it states,
//! as far as whoever derived the pinned key is trusted. What is checked
//! besides: the container (magic, version, body digest, no trailing bytes),
//! that the key is for the bundle's recipe, and that its parameter digest is
//! the one the statement states.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{params, Compressed, Params, VerifierKey};
use crate::artifact::{self, Kind, Refusal, MAGIC_LEN};
use crate::error::{Error, Result};
use crate::recipe::Recipe;

/// First bytes of a verifier key file.
pub const KEY_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-vkey\0\0";
/// Version of the key file's layout.
pub const KEY_VERSION: u32 = 1;
/// Largest key file read (keys are tens of MB at the largest recipes).
pub const MAX_KEY_BYTES: usize = 1 << 31;
/// A key file: magic, version, sha256 of the body, bincode 2 of [`KeyFile`].
pub const KEY: Kind<MAX_KEY_BYTES> = Kind {
    magic: KEY_MAGIC,
    version: KEY_VERSION,
    body_digest: true,
};

/// A recipe's verifier key with what identifies it.
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    /// The recipe whose circuit the key verifies.
    pub recipe: Recipe,
    /// Hex digest of the public parameters the key was derived from (what a
    /// statement's `params_digest` must be).
    pub params_digest: String,
    /// Nova's verifier key of the compressed proof.
    pub vk: VerifierKey,
}

impl KeyFile {
    /// Derives `recipe`'s key from scratch: builds the public parameters (no
    /// cache is read) and Nova's keys.
    pub fn derive(recipe: &Recipe) -> Result<Self> {
        let pp = params::setup(recipe)?;
        Self::from_params(recipe, &pp)
    }

    /// `recipe`'s key from its public parameters `pp`.
    pub fn from_params(recipe: &Recipe, pp: &Params) -> Result<Self> {
        let (_, vk) = Compressed::setup(pp)?;
        Ok(Self::new(recipe, pp, vk))
    }

    /// The file of a key already derived from `pp`.
    pub fn new(recipe: &Recipe, pp: &Params, vk: VerifierKey) -> Self {
        KeyFile {
            recipe: recipe.clone(),
            params_digest: params::digest_hex(pp),
            vk,
        }
    }

    /// The file's bytes (deterministic).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(KEY.seal(self, None)?)
    }

    /// The recipe and parameter digest a key file states, without decoding
    /// the key itself (fast: Nova's key costs a square root a generator to
    /// decode). The container is checked as by [`KeyFile::from_bytes`].
    pub fn peek(bytes: &[u8]) -> std::result::Result<(Recipe, String), Refusal> {
        KEY.open_prefix(bytes, None)
    }

    /// Decodes untrusted bytes; never panics.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, Refusal> {
        KEY.open(bytes, None)
    }

    /// Reads a key file given by the user, with its sha256 (of the whole
    /// file); a file whose hash is not `pinned` is refused before it is
    /// decoded.
    pub fn read(path: &Path, pinned: &str) -> Result<(Self, String)> {
        let (bytes, sha) = Self::read_checked(path, pinned)?;
        let key = Self::from_bytes(&bytes).map_err(|why| Self::refused(path, why))?;
        Ok((key, sha))
    }

    /// The error for a file at `path` that is not a key file.
    pub fn refused(path: &Path, why: Refusal) -> Error {
        Error::artifact(
            path,
            format!("is not a verifier key file ({why}); derive one with `foldtrain keys BUNDLE`"),
        )
    }

    /// A key file's bytes and their sha256, refused (before any decoding)
    /// unless the hash is `pinned`.
    pub fn read_checked(path: &Path, pinned: &str) -> Result<(Vec<u8>, String)> {
        let bytes = artifact::read_limited(path, MAX_KEY_BYTES as u64)?;
        let sha = artifact::sha256_hex(&bytes);
        if !pinned.trim().eq_ignore_ascii_case(&sha) {
            return Err(Error::artifact(
                path,
                format!(
                    "its sha256 is {sha}, not the pinned {}; use the key whose hash \
                     you pinned, or derive one with `foldtrain keys BUNDLE`",
                    pinned.trim()
                ),
            ));
        }
        Ok((bytes, sha))
    }

    /// Writes the key to `path` atomically (public: a key holds nothing
    /// secret) and returns its sha256.
    pub fn write(&self, path: &Path) -> Result<String> {
        let bytes = self.to_bytes()?;
        artifact::write_atomic(path, &bytes, artifact::Visibility::Public)?;
        Ok(artifact::sha256_hex(&bytes))
    }
}

/// Whether `pin` is a sha256 in hex (64 hex digits).
pub fn is_sha256_hex(pin: &str) -> bool {
    let pin = pin.trim();
    pin.len() == 64 && pin.bytes().all(|b| b.is_ascii_hexdigit())
}
