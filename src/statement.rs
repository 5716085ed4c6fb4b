//! The spine: what every kind of statement shares. A statement
//! ([`Proven`]: training in [`crate::proof`], evaluation and predictions in
//! [`crate::inference`]) states its circuit's spec, `z_0`, the step count
//! and the checks of `z_N`; one [`Bundle`] type carries any of them with its
//! proof, [`AnyBundle::read`] is the one place a file's kind is decided, and
//! one [`Verifier`] checks them all with one kind of key file
//! ([`KeyFile`]), whether the key was given and pinned, cached or derived.
//! A new kind of statement is its statement type, its circuit's [`Spec`]
//! and an arm of [`AnyBundle`].

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::artifact::{Refusal, MAGIC_LEN};
use crate::error::{Error, Rejection, Result};
use crate::fixed::Scalar;
use crate::inference::{InferBundle, INFER_MAGIC};
use crate::ivc::keys::{self, KeyFile};
use crate::ivc::{params, Compressed, Spec};

/// A kind of public statement: what its proof is checked against.
pub trait Proven: Serialize + DeserializeOwned + Sized {
    /// The spec of the kind's circuit (its constants; the key's identity).
    type Spec: Spec;
    /// Largest bundle of this kind read.
    const MAX_BUNDLE_BYTES: usize;
    /// The bundle's file bytes (its kind's container).
    fn seal(bundle: &Bundle<Self>) -> Result<Vec<u8>>;
    /// A bundle from untrusted bytes (strict; never panics).
    fn open(bytes: &[u8]) -> std::result::Result<Bundle<Self>, Refusal>;
    /// The spec the statement states.
    fn spec(&self) -> &Self::Spec;
    /// Folded steps the statement states.
    fn steps(&self) -> usize;
    /// Hex of the parameter digest the statement states.
    fn params_digest(&self) -> &str;
    /// Structural checks that need no cryptography (a `Rejection`).
    fn check_shape(&self) -> Result<()>;
    /// `z_0`, built from the statement alone.
    fn z0(&self) -> Result<Vec<Scalar>>;
    /// The proof's `z_N` against the statement, value by value.
    fn check_final_state(&self, zn: &[Scalar]) -> Result<()>;
}

/// A statement and its zero-knowledge proof.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Bundle<P: Proven> {
    pub statement: P,
    pub snark: Compressed<<P::Spec as Spec>::Step>,
}

impl<P: Proven> Bundle<P> {
    /// Serializes: magic, version, bincode 2 of the bundle.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        P::seal(self)
    }

    /// Parses untrusted bytes: strict (magic, version, size limit, no
    /// trailing bytes); never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > P::MAX_BUNDLE_BYTES {
            return Err(Error::Rejected(Rejection::TooLarge {
                limit: P::MAX_BUNDLE_BYTES,
            }));
        }
        P::open(bytes).map_err(|r| Error::Rejected(rejection(r)))
    }

    /// Reads a bundle file: an I/O problem is an I/O error, anything wrong
    /// with the contents a [`Rejection`]. Files above the size limit are
    /// refused without being read.
    pub fn read(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::artifact(path, "is a folder, not a proof bundle"));
        }
        if meta.len() > P::MAX_BUNDLE_BYTES as u64 {
            return Err(Error::Rejected(Rejection::TooLarge {
                limit: P::MAX_BUNDLE_BYTES,
            }));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes)
    }

    /// Bytes of the compressed proof alone.
    pub fn proof_bytes(&self) -> usize {
        bincode::serde::encode_to_vec(&self.snark, bincode::config::standard())
            .map(|v| v.len())
            .unwrap_or(0)
    }
}

/// A bundle of any kind, as read from a file.
pub enum AnyBundle {
    /// A training bundle, whole or proven in segments.
    Training(Box<crate::segment::TrainingBundle>),
    Inference(Box<InferBundle>),
    Preprocessing(Box<crate::preprocessing::PrepBundle>),
}

/// The kinds of bundle file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleKind {
    Training,
    Inference,
    Preprocessing,
}

impl BundleKind {
    /// The kind of the bundle file at `path`, by its first bytes (the only
    /// place that decides it): a file that is no evaluation or predictions
    /// bundle is read as a training bundle, whose reader refuses it.
    pub fn of(path: &Path) -> Self {
        if is_infer(path) {
            BundleKind::Inference
        } else if starts_with(path, crate::preprocessing::PREP_MAGIC) {
            BundleKind::Preprocessing
        } else {
            BundleKind::Training
        }
    }
}

impl AnyBundle {
    /// Reads a bundle of any kind ([`BundleKind::of`]). Errors as
    /// [`Bundle::read`].
    pub fn read(path: &Path) -> Result<Self> {
        match BundleKind::of(path) {
            BundleKind::Inference => {
                InferBundle::read(path).map(|b| AnyBundle::Inference(Box::new(b)))
            }
            BundleKind::Preprocessing => crate::preprocessing::PrepBundle::read(path)
                .map(|b| AnyBundle::Preprocessing(Box::new(b))),
            BundleKind::Training => {
                crate::segment::TrainingBundle::read(path).map(|b| AnyBundle::Training(Box::new(b)))
            }
        }
    }

    /// Reads a bundle to report on it (`inspect`, `keys`, the audit): a
    /// bundle that cannot be read is the user's input error there (exit 2),
    /// not a verdict.
    pub fn read_as_input(path: &Path) -> Result<Self> {
        Self::read(path).map_err(|e| as_input_error(path, e))
    }
}

/// A rejection of a file read as input (not verified) is an error about
/// that file.
pub fn as_input_error(path: &Path, e: Error) -> Error {
    match e {
        Error::Rejected(r) => Error::artifact(path, r.to_string()),
        other => other,
    }
}

/// Whether the file at `path` starts as an evaluation or predictions
/// bundle does.
fn is_infer(path: &Path) -> bool {
    starts_with(path, INFER_MAGIC)
}

/// Whether the file at `path` starts with `magic`.
pub(crate) fn starts_with(path: &Path, magic: &[u8; MAGIC_LEN]) -> bool {
    use std::io::Read;
    let mut first = [0u8; MAGIC_LEN];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut first))
        .is_ok()
        && &first == magic
}

/// The rejection a bundle's container refusal is.
pub(crate) fn rejection(refusal: Refusal) -> Rejection {
    match refusal {
        Refusal::TooLarge { limit } => Rejection::TooLarge { limit },
        Refusal::BadMagic => Rejection::BadMagic,
        Refusal::Version { found, supported } => Rejection::Version { found, supported },
        Refusal::Malformed(why) => Rejection::Malformed(why),
        Refusal::Truncated(why) => Rejection::Truncated(why),
        Refusal::DecoderPanicked => Rejection::Malformed("its decoder failed".into()),
        Refusal::TrailingBytes(n) => Rejection::TrailingBytes(n),
        // A bundle carries neither a binding nor a digest.
        Refusal::Binding | Refusal::Digest => Rejection::Malformed(refusal.to_string()),
    }
}

/// Checks one compressed proof of `steps` steps from `z0` with `vk`: its
/// `z_N`, or the rejection (a verifier that panics on a malformed proof is
/// a rejection too).
pub(crate) fn snark_check<C: nova_snark::traits::circuit::StepCircuit<Scalar>>(
    snark: &Compressed<C>,
    vk: &crate::ivc::VerifierKey<C>,
    steps: usize,
    z0: &[Scalar],
) -> Result<Vec<Scalar>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| snark.verify(vk, steps, z0)))
        .map_err(|_| Error::Rejected(Rejection::SnarkPanicked))?
        .map_err(|e| Error::Rejected(Rejection::Snark(e.to_string())))
}

/// Where a verifier's key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// Given by the user (`verify --vk`, pinned).
    Given,
    /// Read from this user's key cache.
    Cached,
    /// Derived now from the statement's spec (Nova's setup, from scratch).
    Derived,
    /// Held already (an earlier bundle of the same spec, or the prover's
    /// own key).
    Held,
}

/// What verification established.
#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    pub params_digest: String,
    pub steps: usize,
    /// Where the verifier key came from.
    pub key_origin: KeyOrigin,
    /// sha256 of the key's file (see [`KeyFile`]), when it was read from
    /// one or written to the cache.
    pub key_sha256: Option<String>,
    /// Seconds to read or derive the key (a phase, not the whole command).
    pub key_s: f64,
    /// Seconds of the SNARK check alone (a phase, not the whole command).
    pub verify_s: f64,
}

/// Verifies bundles of every kind, keeping the verifier key of the last
/// spec seen of each kind, so that checking many bundles (an auditor's
/// batch, the chain, the tamper tests) reads or derives each key once.
///
/// The key comes, in this order, from one the verifier holds, from the
/// files the user gave (only those are used then, each only through its
/// pin), from the key cache, or it is derived from the statement's spec.
/// Prover parameters are never loaded: a key is all a verifier needs. A key
/// read from the cache whose parameter digest differs from the statement's
/// is not trusted to reject: the key is derived afresh first, so a stale
/// cache never rejects an honest bundle. Every bundle of a batch is
/// re-checked against the held key's spec and digest.
pub struct Verifier {
    /// One [`Held`] a kind of spec, by the spec's type.
    held: HashMap<TypeId, Box<dyn Any + Send>>,
    /// Keys the user gave: the only ones this verifier uses, if any.
    given: Vec<GivenKey>,
    /// Where keys are looked up and, once a bundle verified with a key
    /// derived here, stored.
    cache: Option<params::Cache>,
}

/// The key held for one kind of spec.
struct Held<S: Spec> {
    key: KeyFile<S>,
    sha: Option<String>,
    /// How it was obtained: a cached key is not trusted to reject a
    /// statement of another digest.
    source: KeyOrigin,
}

/// A key file the user gave, pinned and checked but not yet decoded.
struct GivenKey {
    path: PathBuf,
    /// The file's bytes, whose sha256 is the pin given with it.
    pinned: keys::PinnedKey,
}

impl Default for Verifier {
    /// A verifier that uses the key cache at [`params::cache_dir`].
    fn default() -> Self {
        Verifier::with_cache(params::Cache::from_env())
    }
}

impl Verifier {
    /// A verifier that uses `cache` (`None`: derives every new spec's key).
    pub fn with_cache(cache: Option<params::Cache>) -> Self {
        Verifier {
            held: HashMap::new(),
            given: Vec::new(),
            cache,
        }
    }

    /// A verifier that uses only the key file at `path`, refused unless its
    /// sha256 is `pinned` (see [`Verifier::with_key_files`]).
    pub fn with_key_file(path: &Path, pinned: &str) -> Result<Self> {
        Self::with_key_files(&[(path, pinned)])
    }

    /// A verifier that uses only the given key files (of any kinds: a
    /// bundle is checked with the one of its spec), each refused unless its
    /// sha256 is the pin given with it. SOUNDNESS 20: a key file's own
    /// label (its spec) proves nothing, since whoever hands over a key and
    /// a bundle can relabel both; only a hash the user holds ties the file
    /// to a key they trust, so there is no unpinned way in.
    ///
    /// Each file is read, its hash checked and its container opened now;
    /// the key itself (a fraction of a second to decode, tens of MB held)
    /// only once a bundle of its spec
    /// comes, so a bundle of another spec is refused at once.
    pub fn with_key_files(keys: &[(&Path, &str)]) -> Result<Self> {
        let mut given = Vec::with_capacity(keys.len());
        for (path, pinned) in keys {
            given.push(GivenKey {
                path: path.to_path_buf(),
                pinned: keys::read_pinned(path, pinned)?,
            });
        }
        Ok(Verifier {
            held: HashMap::new(),
            given,
            cache: None,
        })
    }

    /// A verifier that already holds `key` (the prover's own, built from
    /// the same deterministic setup).
    pub fn primed<S: Spec>(key: KeyFile<S>) -> Self {
        let mut v = Verifier::with_cache(None);
        v.hold(Held {
            key,
            sha: None,
            source: KeyOrigin::Held,
        });
        v
    }

    fn hold<S: Spec>(&mut self, held: Held<S>) {
        self.held.insert(TypeId::of::<S>(), Box::new(held));
    }

    fn held<S: Spec>(&self) -> Option<&Held<S>> {
        self.held.get(&TypeId::of::<S>())?.downcast_ref()
    }

    /// Verifies a bundle: its statement's shape, that the key is its spec's
    /// and its parameter digest the stated one, and that the SNARK proves
    /// `z_0 -> z_N` with `z_0` and `z_N` exactly the ones the statement
    /// implies. `Err(Error::Rejected)` says why not; given key files none
    /// of which is for the bundle's spec are an error (`Error::Artifact`),
    /// not a verdict on the bundle.
    pub fn verify<P: Proven>(&mut self, bundle: &Bundle<P>) -> Result<Verified> {
        let st = &bundle.statement;
        st.check_shape()?;
        self.check_with(st.spec(), st.params_digest(), st.steps(), |vk| {
            let z0 = st.z0()?;
            let zn = snark_check(&bundle.snark, vk, st.steps(), &z0)?;
            st.check_final_state(&zn)
        })
    }

    /// Holds `spec`'s key (given, held, cached or derived), refuses a
    /// stated digest other than the key's, and runs `check` (the SNARK
    /// checks of a statement of `steps` steps in all) with it, timed.
    pub(crate) fn check_with<S: Spec>(
        &mut self,
        spec: &S,
        digest: &str,
        steps: usize,
        check: impl FnOnce(&crate::ivc::VerifierKey<S::Step>) -> Result<()>,
    ) -> Result<Verified> {
        let start = Instant::now();
        // Re-checked for every bundle of a batch: a held key is reused only
        // for its own spec, and a cached one only for its own digest.
        let reuse = self.held::<S>().is_some_and(|h| {
            h.key.spec == *spec && (h.source != KeyOrigin::Cached || h.key.params_digest == digest)
        });
        let origin = if reuse {
            match self.held::<S>().map(|h| h.source) {
                Some(KeyOrigin::Given) => KeyOrigin::Given,
                _ => KeyOrigin::Held,
            }
        } else if self.given.is_empty() {
            self.find_key(spec, digest)?
        } else {
            self.take_given(spec)?
        };
        let key_s = start.elapsed().as_secs_f64();
        let Some(held) = self.held::<S>() else {
            return Err(Error::Internal("the verifier's key was not kept".into()));
        };
        if held.key.params_digest != digest {
            return Err(Error::Rejected(Rejection::ParamsDigest {
                stated: digest.to_string(),
                rebuilt: held.key.params_digest.clone(),
            }));
        }
        let start = Instant::now();
        check(&held.key.vk)?;
        let verify_s = start.elapsed().as_secs_f64();
        let params_digest = held.key.params_digest.clone();
        let mut key_sha256 = held.sha.clone();
        if origin == KeyOrigin::Derived {
            key_sha256 = self.store_key::<S>();
        }
        Ok(Verified {
            params_digest,
            steps,
            key_origin: origin,
            key_sha256,
            key_s,
            verify_s,
        })
    }

    /// The error when no key given with `--vk` is `spec`'s: a refused key
    /// file (exit 2), naming what each given key is for.
    fn none_given_is_for<S: Spec>(&self, spec: &S) -> Error {
        let advice = "Derive its key with `foldtrain keys BUNDLE --out FILE` and give it \
                      with its pin, or leave out --vk";
        let states = format!(
            "the bundle states {} ({})",
            spec.kind_name(),
            spec.summary()
        );
        match self.given.as_slice() {
            [one] => Error::artifact(
                &one.path,
                format!(
                    "is the key of another recipe or statement: {}; {states}. {advice}",
                    one.pinned.describes()
                ),
            ),
            given => {
                let keys: Vec<String> = (given.iter())
                    .map(|g| {
                        format!(
                            "{} is the key of {}",
                            g.path.display(),
                            g.pinned.describes()
                        )
                    })
                    .collect();
                let first = given.first().map(|g| g.path.clone()).unwrap_or_default();
                Error::artifact(
                    first,
                    format!(
                        "no key given with --vk is this bundle's (each is the key of another \
                         recipe or statement): {}; {states}. {advice}",
                        keys.join("; ")
                    ),
                )
            }
        }
    }

    /// Holds the given key of `spec`; an error naming what each given key
    /// is for when none is `spec`'s.
    fn take_given<S: Spec>(&mut self, spec: &S) -> Result<KeyOrigin> {
        let found = self
            .given
            .iter()
            .find(|g| matches!(g.pinned.peek::<S>(), Ok((s, _)) if s == *spec));
        let Some(given) = found else {
            return Err(self.none_given_is_for(spec));
        };
        let key = (given.pinned.open::<S>()).map_err(|why| keys::refused(&given.path, why))?;
        let sha = Some(given.pinned.sha256().to_string());
        self.hold(Held {
            key,
            sha,
            source: KeyOrigin::Given,
        });
        Ok(KeyOrigin::Given)
    }

    /// Holds `spec`'s key: the cached one if its digest is the stated one,
    /// else one derived now.
    fn find_key<S: Spec>(&mut self, spec: &S, digest: &str) -> Result<KeyOrigin> {
        if let Some(cache) = &self.cache {
            match cache.load_key(spec) {
                Ok(Some((key, sha))) if key.params_digest == digest => {
                    self.hold(Held {
                        key,
                        sha: Some(sha),
                        source: KeyOrigin::Cached,
                    });
                    return Ok(KeyOrigin::Cached);
                }
                // Another digest: derive the key before rejecting anything.
                Ok(_) => {}
                Err(why) => params::warn_once(&why),
            }
        }
        // Limits were checked by check_shape, so this setup is bounded.
        self.hold(Held {
            key: KeyFile::derive(spec)?,
            sha: None,
            source: KeyOrigin::Derived,
        });
        Ok(KeyOrigin::Derived)
    }

    /// Stores the held key of `S`, just derived and now used to accept a
    /// bundle, in the cache; its file's sha256. Best effort: a cache that
    /// cannot be written only costs time next time.
    fn store_key<S: Spec>(&mut self) -> Option<String> {
        let cache = self.cache.as_ref();
        let held = self
            .held
            .get_mut(&TypeId::of::<S>())?
            .downcast_mut::<Held<S>>()?;
        let bytes = held.key.to_bytes().ok()?;
        let digest = crate::artifact::sha256_hex(&bytes);
        if let Some(cache) = cache {
            if let Err(e) = cache.store_key(&held.key.spec, &bytes) {
                params::warn_once(&e.to_string());
            }
        }
        held.sha = Some(digest.clone());
        Some(digest)
    }
}
