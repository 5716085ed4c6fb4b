//! Verifier keys as files: what an auditor derives once, pins by its sha256
//! and checks any number of proofs with, without Nova's prover parameters.
//!
//! A key file is the common container ([`crate::artifact::Kind`]) holding the
//! spec of the circuit (a training recipe, or an evaluation's or a batch of
//! predictions' spec; each kind has its own magic bytes), the hex digest of the public parameters it was derived from and
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

use nova_snark::raw_serde;
use serde::{Deserialize, Serialize};

use super::{params, Compressed, Params, Spec, VerifierKey};
use crate::artifact::{self, Kind, Refusal, MAGIC_LEN};
use crate::circuit::infer::InferSpec;
use crate::error::{Error, Result};
use crate::recipe::Recipe;

/// First bytes of a training recipe's verifier key file.
pub const KEY_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-vkey\0\0";
/// First bytes of an evaluation's or a predictions batch's verifier key file.
pub const INFER_KEY_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-ivkey\0";
/// Version of the key file's layout. 2: Nova's key in the raw encoding
/// (see [`KeyFile::to_bytes`]); 1 had its generators compressed.
pub const KEY_VERSION: u32 = 2;
/// Largest key file read (keys are tens of MB at the largest recipes).
pub const MAX_KEY_BYTES: usize = 1 << 31;

/// A key file of `S`: its magic, version, sha256 of the body, bincode 2 of
/// [`KeyFile`].
fn container<S: Spec>() -> Kind<MAX_KEY_BYTES> {
    Kind {
        magic: S::KEY_MAGIC,
        version: KEY_VERSION,
        body_digest: true,
    }
}

/// A circuit's verifier key with what identifies it.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct KeyFile<S: Spec = Recipe> {
    /// The spec (training recipe, or evaluation or predictions spec) whose
    /// circuit the key verifies.
    pub spec: S,
    /// Hex digest of the public parameters the key was derived from (what a
    /// statement's `params_digest` must be).
    pub params_digest: String,
    /// Nova's verifier key of the compressed proof.
    pub vk: VerifierKey<S::Step>,
}

impl<S: Spec> KeyFile<S> {
    /// Derives `spec`'s key from scratch: builds the public parameters (no
    /// cache is read) and Nova's keys.
    pub fn derive(spec: &S) -> Result<Self> {
        let pp = params::setup(spec)?;
        Self::from_params(spec, &pp)
    }

    /// `spec`'s key from its public parameters `pp`.
    pub fn from_params(spec: &S, pp: &Params<S::Step>) -> Result<Self> {
        let (_, vk) = Compressed::<S::Step>::setup(pp)?;
        Ok(Self::new(spec, pp, vk))
    }

    /// The file of a key already derived from `pp`.
    pub fn new(spec: &S, pp: &Params<S::Step>, vk: VerifierKey<S::Step>) -> Self {
        KeyFile {
            spec: spec.clone(),
            params_digest: params::digest_hex(pp),
            vk,
        }
    }

    /// The file's bytes (deterministic). Nova's key is written in the raw
    /// encoding of the patched nova-snark (`third_party/nova-snark/PATCH.md`):
    /// its commitment generators as uncompressed points and its R1CS
    /// coefficients as one byte string, so that decoding costs no square
    /// root and no call per byte. Digests are unaffected: they never see the
    /// raw encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(raw_serde::with_raw(true, || {
            container::<S>().seal(self, None)
        })?)
    }

    /// The spec and parameter digest a key file states, without decoding
    /// the key itself. The container is checked as by
    /// [`KeyFile::from_bytes`].
    pub fn peek(bytes: &[u8]) -> std::result::Result<(S, String), Refusal> {
        container::<S>().open_prefix(bytes, None)
    }

    /// Decodes untrusted bytes; never panics. Every point is checked to be
    /// on its curve (in its group: the Pasta curves have cofactor 1) and
    /// every coordinate and field element to be canonical, as the compressed
    /// encoding was.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, Refusal> {
        raw_serde::with_raw(true, || container::<S>().open(bytes, None))
    }

    /// Reads a key file given by the user, with its sha256 (of the whole
    /// file); a file whose hash is not `pinned` is refused before it is
    /// decoded.
    pub fn read(path: &Path, pinned: &str) -> Result<(Self, String)> {
        let pinned = read_pinned(path, pinned)?;
        let key = pinned.open().map_err(|why| refused(path, why))?;
        Ok((key, pinned.sha256().to_string()))
    }

    /// Writes the key to `path` atomically (public: a key holds nothing
    /// secret) and returns its sha256.
    pub fn write(&self, path: &Path) -> Result<String> {
        let bytes = self.to_bytes()?;
        artifact::write_atomic(path, &bytes, artifact::Visibility::Public)?;
        Ok(artifact::sha256_hex(&bytes))
    }
}

/// What a key file says it is for, in words ("the training recipe ...",
/// "the evaluation ..."), read without decoding the key; the one place
/// that knows every kind of key file. A file that is no kind of key file
/// is refused as the training kind refuses it.
pub fn describe(bytes: &[u8]) -> std::result::Result<String, Refusal> {
    fn stated<S: Spec>(bytes: &[u8]) -> std::result::Result<String, Refusal> {
        KeyFile::<S>::peek(bytes)
            .map(|(spec, _)| format!("{} ({})", spec.kind_name(), spec.summary()))
    }
    // Every kind of key file: the first whose magic the bytes carry.
    type Stated = fn(&[u8]) -> std::result::Result<String, Refusal>;
    let kinds: [Stated; 4] = [
        stated::<Recipe>,
        stated::<InferSpec>,
        stated::<crate::segment::SegmentSpec>,
        stated::<crate::circuit::prep::PrepSpec>,
    ];
    let mut result = Err(Refusal::BadMagic);
    for kind in kinds {
        result = kind(bytes);
        if result != Err(Refusal::BadMagic) {
            break;
        }
    }
    result
}

/// The error for a file at `path` that is not a key file.
pub fn refused(path: &Path, why: Refusal) -> Error {
    Error::artifact(
        path,
        format!("is not a verifier key file ({why}); derive one with `foldtrain keys BUNDLE`"),
    )
}

/// A key file whose bytes, as a whole, hash to the sha256 the reader holds
/// (the pin given with it, or the one a cached key's header states) and
/// whose container (magic, version, body digest) is a key file's. Only
/// [`PinnedKey::check`] makes one, so decoding it later checks everything
/// again but the body digest, a sha256 of tens of MB that the bytes, held
/// unchanged, already passed (every kind of key file has the same layout:
/// no binding, a body digest).
pub struct PinnedKey {
    bytes: Vec<u8>,
    sha256: String,
    describes: String,
}

impl PinnedKey {
    /// The file's sha256 (the pin), in lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// What the file says it is for (see [`describe`]).
    pub fn describes(&self) -> &str {
        &self.describes
    }

    /// The spec and parameter digest the file states, if it is a key file
    /// of `S` (see [`KeyFile::peek`]).
    pub fn peek<S: Spec>(&self) -> std::result::Result<(S, String), Refusal> {
        container::<S>().open_prefix_digest_checked(&self.bytes, None)
    }

    /// The key, if the file is a key file of `S` (see
    /// [`KeyFile::from_bytes`]: every point and field element checked).
    pub fn open<S: Spec>(&self) -> std::result::Result<KeyFile<S>, Refusal> {
        raw_serde::with_raw(true, || {
            container::<S>().open_digest_checked(&self.bytes, None)
        })
    }
}

/// Why [`PinnedKey::check`] refused bytes.
pub(crate) enum Unpinned {
    /// Their sha256 (this one) is not the one expected.
    Sha256(String),
    /// Their container is not a key file's.
    Refused(Refusal),
}

impl PinnedKey {
    /// `bytes` if their sha256 is `expected` and their container is a key
    /// file's. The two passes over them (the whole file's sha256 and the
    /// body digest) run on two threads, so checking both costs one.
    pub(crate) fn check(bytes: Vec<u8>, expected: &str) -> std::result::Result<Self, Unpinned> {
        let (sha256, describes) = std::thread::scope(|s| {
            let whole = s.spawn(|| artifact::sha256_hex(&bytes));
            let describes = describe(&bytes);
            // A thread that cannot be joined gives no hash, which no pin is.
            (whole.join().unwrap_or_default(), describes)
        });
        if !expected.trim().eq_ignore_ascii_case(&sha256) {
            return Err(Unpinned::Sha256(sha256));
        }
        Ok(PinnedKey {
            describes: describes.map_err(Unpinned::Refused)?,
            bytes,
            sha256,
        })
    }
}

/// A key file given by the user, refused unless its sha256 is `pinned`
/// (whatever it holds), and then unless its container is a key file's.
pub fn read_pinned(path: &Path, pinned: &str) -> Result<PinnedKey> {
    let bytes = artifact::read_limited(path, MAX_KEY_BYTES as u64)?;
    PinnedKey::check(bytes, pinned).map_err(|why| match why {
        Unpinned::Sha256(sha256) => Error::artifact(
            path,
            format!(
                "its sha256 is {sha256}, not the pinned {}; use the key whose hash \
                 you pinned, or derive one with `foldtrain keys BUNDLE`",
                pinned.trim()
            ),
        ),
        Unpinned::Refused(why) => refused(path, why),
    })
}

/// Whether `pin` is a sha256 in hex (64 hex digits).
pub fn is_sha256_hex(pin: &str) -> bool {
    let pin = pin.trim();
    pin.len() == 64 && pin.bytes().all(|b| b.is_ascii_hexdigit())
}
