//! Public parameters, rebuilt deterministically from the recipe. Nova's setup
//! is transparent (no trusted setup): the same recipe always gives the same
//! parameters and digest, so a verifier never needs a shipped key.

use std::sync::Arc;

use ff::PrimeField;
use nova_snark::frontend::shape_cs::ShapeCS;
use nova_snark::raw_serde;
use nova_snark::traits::snark::RelaxedR1CSSNARKTrait;

use nova_snark::traits::circuit::StepCircuit;

use super::{Params, Spec, E1, S1, S2};
use crate::artifact::{Kind, DIGEST_LEN, MAGIC_LEN};
use crate::circuit::TrainStep;
use crate::commitment::scalar_to_hex;
use crate::error::{Error, Result};
use crate::recipe::Recipe;

/// Builds the public parameters of `spec`'s step circuit.
pub fn setup<S: Spec>(spec: &S) -> Result<Params<S::Step>> {
    Ok(Params::setup(
        &spec.blank(),
        &*S1::ck_floor(),
        &*S2::ck_floor(),
    )?)
}

/// Hex of the parameters' digest (it binds the circuit, hence the recipe).
pub fn digest_hex<C: StepCircuit<crate::fixed::Scalar>>(pp: &Params<C>) -> String {
    scalar_to_hex(&pp.digest())
}

impl Spec for Recipe {
    type Step = TrainStep;

    fn blank(&self) -> TrainStep {
        TrainStep::blank(Arc::new(self.clone()))
    }

    fn tag(&self) -> crate::fixed::Scalar {
        Recipe::tag(self)
    }

    const KEY_MAGIC: &'static [u8; crate::artifact::MAGIC_LEN] = super::keys::KEY_MAGIC;

    fn kind_name(&self) -> &'static str {
        "training"
    }

    fn summary(&self) -> String {
        Recipe::summary(self)
    }
}

/// Constraints of the step circuit alone, without Nova's augmentation,
/// counted by synthesizing its shape (fast: no proving, no parameters).
pub fn step_constraints(recipe: &Recipe) -> Result<usize> {
    Ok(step_size(recipe)?.0)
}

/// Constraints and variables (witness, not inputs) of the step circuit alone.
pub fn step_size(recipe: &Recipe) -> Result<(usize, usize)> {
    let mut cs = ShapeCS::<E1>::new();
    crate::circuit::synthesize_blank(&mut cs, recipe)?;
    Ok((cs.num_constraints(), cs.num_aux()))
}

/// First bytes of a cached parameters file.
const CACHE_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-params";
/// Version of the cache file's layout. 5: headed by the build's binding
/// (no synthesis; see [`binding`]); 4: the parameters in the raw encoding
/// of the patched nova-snark (see [`Cache::load`]); 3: the common container
/// (v2 was `foldtrain-pp-v2` magic, binding, Nova's digest; v1 had no
/// binding).
const CACHE_VERSION: u32 = 5;
/// Largest cached parameters file read.
const MAX_CACHE_BYTES: usize = 1 << 32;
/// A cached parameters file: magic, version, the recipe's [`binding`], sha256
/// of the body, bincode 2 of the parameters.
const CACHE: Kind<MAX_CACHE_BYTES> = Kind {
    magic: CACHE_MAGIC,
    version: CACHE_VERSION,
    body_digest: true,
};

/// The folder of cached parameters: `$FOLDTRAIN_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/foldtrain`, else `~/.cache/foldtrain`; `None` disables
/// the cache (`FOLDTRAIN_CACHE_DIR=` set to the empty string does too).
pub fn cache_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("FOLDTRAIN_CACHE_DIR") {
        return (!dir.is_empty()).then(|| dir.into());
    }
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(std::path::PathBuf::from(xdg).join("foldtrain"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| std::path::PathBuf::from(h).join(".cache").join("foldtrain"))
}

/// Where a set of parameters came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Read from the cache, after its checks.
    Cache,
    /// Built now by [`setup`] (not yet stored).
    Built,
}

/// The on-disk cache of public parameters, one file a recipe.
///
/// What it is trusted for, and why that is safe:
///
/// - A file is used only if its header carries the *binding* of the recipe
///   asked for: a hash of the recipe's tag, its kind, the cache format
///   version and the build's source identity (see [`binding`]). A file
///   copied from
///   another recipe's name carries that other recipe's binding and is
///   refused, so it cannot make a statement verify under a recipe it was
///   not proven under.
/// - The encoded parameters must hash (sha256) to the digest in the header,
///   which catches corruption before they are decoded.
/// - The header is not a signature: whoever can write the file can pair a
///   right header with wrong parameters. So, as ssh treats `~/.ssh`, the
///   folder and each file must belong to this user and be writable by no
///   one else, or the cache is not used (and nothing is written to it).
///   Files are written 0600 in a 0700 folder. An attacker who can write
///   your own files can also replace the `foldtrain` binary: the cache is
///   trusted exactly as far as the binary is.
/// - A verifier stores parameters only after a bundle verified, so a stream
///   of hostile bundles with fresh recipes cannot fill the disk.
/// - Verifier keys are held the same way: a cached key is named by its
///   spec's tag and the same binding, and headed by that binding, so a key
///   that another build cached for another circuit (even at the same
///   package version) is neither found nor, copied under this name, used.
pub struct Cache {
    dir: std::path::PathBuf,
}

impl Cache {
    /// The cache at [`cache_dir`], or `None` if disabled.
    pub fn from_env() -> Option<Cache> {
        cache_dir().map(Cache::at)
    }

    /// The cache in `dir`.
    pub fn at(dir: impl Into<std::path::PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The cache's folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The file that holds `recipe`'s parameters.
    pub fn path<S: Spec>(&self, spec: &S) -> std::path::PathBuf {
        self.dir.join(format!(
            "params-v{CACHE_VERSION}-{}.bin",
            scalar_to_hex(&spec.tag())
        ))
    }

    /// Why the cache folder may not be used, if it may not (a missing folder
    /// may be: it is created on store).
    fn folder_problem(&self) -> Option<String> {
        match std::fs::metadata(&self.dir) {
            Ok(meta) => crate::artifact::owner_only_problem(&self.dir, &meta, true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(format!("cannot read {}: {e}", self.dir.display())),
        }
    }

    /// The bytes of the cache file at `path` if it exists and passes the
    /// owner checks (folder and file), at most `limit` bytes; `Err` says why
    /// a file that exists was not used.
    fn read_owned(
        &self,
        path: &std::path::Path,
        limit: usize,
    ) -> std::result::Result<Option<Vec<u8>>, String> {
        use std::io::Read;
        if let Some(why) = self.folder_problem() {
            return Err(why);
        }
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
        };
        // The handle's metadata is the file that is read (a link resolved).
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if let Some(why) = crate::artifact::owner_only_problem(path, &meta, false) {
            return Err(why);
        }
        let mut bytes = Vec::new();
        file.take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(Some(bytes))
    }

    /// `recipe`'s parameters if the cache holds a file that passes every
    /// check; `Err` says why a file that exists was not used. The file holds
    /// them in the raw encoding of the patched nova-snark
    /// (`third_party/nova-snark/PATCH.md`), as a key file does: decoding
    /// checks every point and field element but costs no square root.
    pub fn load<S: Spec>(
        &self,
        recipe: &S,
    ) -> std::result::Result<Option<Params<S::Step>>, String> {
        let path = self.path(recipe);
        let Some(bytes) = self.read_owned(&path, MAX_CACHE_BYTES)? else {
            return Ok(None);
        };
        let binding = binding(recipe);
        raw_serde::with_raw(true, || CACHE.open(&bytes, Some(&binding)))
            .map(Some)
            .map_err(|why| format!("{} is not this recipe's parameters: {why}", path.display()))
    }

    /// Writes `recipe`'s parameters `pp` (built by [`setup`]) atomically,
    /// 0600 in a 0700 folder; refuses a folder that fails the owner check.
    pub fn store<S: Spec>(&self, recipe: &S, pp: &Params<S::Step>) -> Result<()> {
        let binding = binding(recipe);
        let bytes = raw_serde::with_raw(true, || CACHE.seal(pp, Some(&binding)))?;
        self.write_owned(&self.path(recipe), &bytes)
    }

    /// Writes a cache file atomically, 0600 in a 0700 folder; refuses a
    /// folder that fails the owner check.
    fn write_owned(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        crate::artifact::ensure_private_dir(&self.dir)?;
        if let Some(why) = self.folder_problem() {
            return Err(Error::artifact(&self.dir, why));
        }
        crate::artifact::write_atomic(path, bytes, crate::artifact::Visibility::Private)
    }

    /// The start of the names of `spec`'s cached key files: one file per
    /// circuit the spec has had (see [`Cache::key_path`]).
    fn key_prefix<S: Spec>(spec: &S) -> String {
        format!("vkey-v{KEY_CACHE_VERSION}-{}-", scalar_to_hex(&spec.tag()))
    }

    /// The file that holds `spec`'s verifier key for this build's circuit,
    /// with the binding it must carry: named by the spec's tag and its
    /// [`binding`] (which this build's sources determine), so a key cached
    /// by a build whose circuit may differ, even at the same package
    /// version, is never read.
    fn key_file<S: Spec>(&self, spec: &S) -> (std::path::PathBuf, [u8; DIGEST_LEN]) {
        let binding = binding(spec);
        let name = format!("{}{}.bin", Self::key_prefix(spec), hex::encode(binding));
        (self.dir.join(name), binding)
    }

    /// The file that holds `spec`'s verifier key for this build's circuit
    /// (see [`Cache::key_file`]).
    pub fn key_path<S: Spec>(&self, spec: &S) -> std::path::PathBuf {
        self.key_file(spec).0
    }

    /// The key file bytes (as `foldtrain keys` writes them) of `spec`'s
    /// cached key for this build's circuit, if the cache holds one that
    /// passes the owner checks and carries this circuit's binding; `Err`
    /// says why a file that exists was not used. Not decoded.
    pub fn key_bytes<S: Spec>(&self, spec: &S) -> std::result::Result<Option<Vec<u8>>, String> {
        Ok(self.key_file_bytes(spec)?.map(|(_, bytes, _)| bytes))
    }

    /// [`Cache::key_bytes`] with the path of the file they are in and the
    /// sha256 the header states for them (checked by [`Cache::load_key`]).
    fn key_file_bytes<S: Spec>(
        &self,
        spec: &S,
    ) -> std::result::Result<Option<(std::path::PathBuf, Vec<u8>, String)>, String> {
        let (path, binding) = self.key_file(spec);
        let Some(bytes) = self.read_owned(&path, super::keys::MAX_KEY_BYTES + KEY_HEADER_LEN)?
        else {
            return Ok(None);
        };
        match unseal_key(&bytes, &binding) {
            Ok((key, sha256)) => Ok(Some((path, key.to_vec(), sha256))),
            Err(why) => Err(format!(
                "{} is not this circuit's key: {why}",
                path.display()
            )),
        }
    }

    /// `spec`'s verifier key and the sha256 of its key file, if the cache
    /// holds one that passes the owner checks, carries the binding of this
    /// build's circuit for `spec`, opens and states `spec`. `Err` says why a
    /// file that exists was not used.
    ///
    /// The binding (computed, not synthesized: see [`binding`]) is what
    /// keeps a key cached by another build, whose circuit may differ
    /// without any version changing, from accepting that build's bundles.
    /// The key file is checked as a pinned key file is: its sha256 against
    /// the header's, its container, every point and field element.
    pub fn load_key<S: Spec>(
        &self,
        spec: &S,
    ) -> std::result::Result<Option<(super::keys::KeyFile<S>, String)>, String> {
        let Some((path, bytes, sha256)) = self.key_file_bytes(spec)? else {
            return Ok(None);
        };
        let not_a_key = |why| format!("{} is not a verifier key: {why}", path.display());
        let pinned = super::keys::PinnedKey::check(bytes, &sha256).map_err(|why| match why {
            super::keys::Unpinned::Sha256(_) => format!(
                "{} is corrupt (its key file's sha256 is not the one in its header)",
                path.display()
            ),
            super::keys::Unpinned::Refused(why) => not_a_key(why),
        })?;
        let key = pinned.open::<S>().map_err(not_a_key)?;
        if key.spec != *spec {
            return Err(format!("{} holds the key of another spec", path.display()));
        }
        Ok(Some((key, sha256)))
    }

    /// The sha256 of `spec`'s cached key file (as `foldtrain keys` writes
    /// it), if there is one that passes the checks of [`Cache::key_bytes`]
    /// and of [`PinnedKey::check`](super::keys::PinnedKey::check), and
    /// states `spec` (the key itself is not decoded).
    pub fn key_sha256<S: Spec>(&self, spec: &S) -> Option<String> {
        let (_, bytes, sha256) = self.key_file_bytes(spec).ok()??;
        let pinned = super::keys::PinnedKey::check(bytes, &sha256).ok()?;
        let (stated, _) = pinned.peek::<S>().ok()?;
        (stated == *spec).then_some(sha256)
    }

    /// Writes a key file's bytes as `spec`'s cached key for this build's
    /// circuit (headed by its binding), and removes the keys of `spec`
    /// that other circuits left (best effort).
    pub fn store_key<S: Spec>(&self, spec: &S, bytes: &[u8]) -> Result<()> {
        let (path, binding) = self.key_file(spec);
        self.write_owned(&path, &seal_key(bytes, &binding))?;
        let prefix = Self::key_prefix(spec);
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.filter_map(|e| e.ok()) {
                let stale = entry.file_name().to_string_lossy().starts_with(&prefix)
                    && entry.path() != path;
                if stale {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }
}

/// First bytes of a cached verifier key.
const KEY_CACHE_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-vcache";
/// Version of the cached key's layout, in its header and its file name. 4:
/// headed and named by the build's [`binding`] (no synthesis); 3:
/// the key file inside is version 2 (Nova's key in the raw encoding); 2 was
/// headed by the circuit's binding and named by it (1 was named by the
/// package version and the tag, and had no header).
const KEY_CACHE_VERSION: u32 = 4;
/// Bytes before the key file in a cached key: magic, version, binding, the
/// key file's sha256.
const KEY_HEADER_LEN: usize = MAGIC_LEN + crate::artifact::VERSION_LEN + 2 * DIGEST_LEN;

/// A cached key: magic, version, the circuit's [`binding`], the key file's
/// sha256, then the key file's bytes unchanged (so that their sha256 is the
/// one `foldtrain keys` prints for the same key).
fn seal_key(key_file: &[u8], binding: &[u8; DIGEST_LEN]) -> Vec<u8> {
    use sha2::Digest;
    let mut out = Vec::with_capacity(KEY_HEADER_LEN + key_file.len());
    out.extend_from_slice(KEY_CACHE_MAGIC);
    out.extend_from_slice(&KEY_CACHE_VERSION.to_le_bytes());
    out.extend_from_slice(binding);
    out.extend_from_slice(&sha2::Sha256::digest(key_file));
    out.extend_from_slice(key_file);
    out
}

/// The key file inside a cached key and the sha256 its header states for
/// it, in hex, if its header is this layout's and carries `binding`.
fn unseal_key<'a>(
    bytes: &'a [u8],
    binding: &[u8; DIGEST_LEN],
) -> std::result::Result<(&'a [u8], String), String> {
    let short = "it is shorter than its header";
    let (magic, rest) = bytes.split_first_chunk::<MAGIC_LEN>().ok_or(short)?;
    if magic != KEY_CACHE_MAGIC {
        return Err("bad magic".into());
    }
    let (version, rest) = rest
        .split_first_chunk::<{ crate::artifact::VERSION_LEN }>()
        .ok_or(short)?;
    if u32::from_le_bytes(*version) != KEY_CACHE_VERSION {
        return Err(format!(
            "layout version {} (this build reads {KEY_CACHE_VERSION})",
            u32::from_le_bytes(*version)
        ));
    }
    let (stated, rest) = rest.split_first_chunk::<DIGEST_LEN>().ok_or(short)?;
    if stated != binding {
        return Err("it was made for another circuit (its binding differs)".into());
    }
    let (sha256, key) = rest.split_first_chunk::<DIGEST_LEN>().ok_or(short)?;
    Ok((key, hex::encode(sha256)))
}

/// The sha256 of the sources this build's circuits are compiled from
/// (this crate's `src/`, the patched nova-snark, `Cargo.lock`), in hex;
/// computed by `build.rs`.
pub const SOURCE_IDENTITY: &str = env!("FOLDTRAIN_SOURCE_SHA256");

/// What ties a cache file to one spec's circuit in this build: sha256 of
/// the cache format version, the kind of spec, the spec's tag and the
/// build's [`SOURCE_IDENTITY`]. The circuits are pure integer functions of
/// the spec and those sources, so the same binding means the same circuit;
/// any change of source (a constraint, a constant, the sigmoid table, a
/// dependency's version) changes it, and a file another build cached is
/// then neither found nor, copied under this name, used. Until issue 32 it
/// hashed the step's R1CS shape, synthesized at every read: 0.5–0.6 s of
/// the 1.7 s a verify with a cached key took at the default recipe.
pub fn binding<S: Spec>(spec: &S) -> [u8; DIGEST_LEN] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"foldtrain cache binding v3");
    h.update(u64::from(CACHE_VERSION).to_le_bytes());
    h.update(S::KEY_MAGIC);
    h.update(spec.tag().to_repr().as_ref());
    h.update(SOURCE_IDENTITY.as_bytes());
    h.finalize().into()
}

/// Says once a session that the cache was not used, and why.
pub(crate) fn warn_once(why: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        eprintln!(
            "foldtrain: warning: not using the parameter cache ({why}); building the \
             parameters now. A stale or foreign file is replaced once they are built; if \
             the cache folder is not yours alone, fix its owner or mode (chmod 700), or \
             point FOLDTRAIN_CACHE_DIR at a folder of your own (empty: no cache)."
        )
    });
}

/// `recipe`'s parameters from `cache` if it holds good ones, else built now.
pub fn load_or_setup<S: Spec>(
    cache: Option<&Cache>,
    recipe: &S,
) -> Result<(Params<S::Step>, Origin)> {
    if let Some(cache) = cache {
        match cache.load(recipe) {
            Ok(Some(pp)) => return Ok((pp, Origin::Cache)),
            Ok(None) => {}
            Err(why) => warn_once(&why),
        }
    }
    Ok((setup(recipe)?, Origin::Built))
}

/// Stores parameters that were just built; best effort (a cache that cannot
/// be written only costs time), so a failure is only warned about.
pub fn store_if_built<S: Spec>(
    cache: Option<&Cache>,
    recipe: &S,
    pp: &Params<S::Step>,
    origin: Origin,
) {
    if let (Some(cache), Origin::Built) = (cache, origin) {
        if let Err(e) = cache.store(recipe, pp) {
            warn_once(&e.to_string());
        }
    }
}

/// [`setup`] through the cache at [`cache_dir`], for a prover (whose recipe
/// is its own): loads, or builds and stores.
pub fn cached_setup<S: Spec>(recipe: &S) -> Result<Params<S::Step>> {
    cached_setup_in(Cache::from_env().as_ref(), recipe)
}

/// [`cached_setup`] with an explicit cache (`None`: no cache).
pub fn cached_setup_in<S: Spec>(cache: Option<&Cache>, recipe: &S) -> Result<Params<S::Step>> {
    let (pp, origin) = load_or_setup(cache, recipe)?;
    store_if_built(cache, recipe, &pp, origin);
    Ok(pp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;

    fn recipe(learning_rate: f64) -> Recipe {
        let hyper = Hyper {
            batch: 8,
            batches_per_step: Some(1),
            learning_rate,
            ..Hyper::default()
        };
        Recipe::new(&hyper, 2, 16).unwrap()
    }

    fn private_tempdir() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("cache"));
        (dir, cache)
    }

    #[test]
    fn cached_parameters_match_a_fresh_setup_and_corruption_is_rebuilt() {
        let recipe = recipe(0.5);
        let (_dir, cache) = private_tempdir();
        let fresh = digest_hex(&setup(&recipe).unwrap());
        let (pp, origin) = load_or_setup(Some(&cache), &recipe).unwrap();
        assert_eq!((digest_hex(&pp), origin), (fresh.clone(), Origin::Built));
        assert!(cache.load(&recipe).unwrap().is_none(), "nothing stored yet");
        store_if_built(Some(&cache), &recipe, &pp, origin);
        let (pp, origin) = load_or_setup(Some(&cache), &recipe).unwrap();
        assert_eq!((digest_hex(&pp), origin), (fresh.clone(), Origin::Cache));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.dir), 0o700);
            assert_eq!(mode(&cache.path(&recipe)), 0o600);
        }
        let file = cache.path(&recipe);
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        crate::artifact::write_atomic(&file, &bytes, crate::artifact::Visibility::Private).unwrap();
        assert!(cache.load(&recipe).is_err(), "a corrupt file is refused");
        let rebuilt = digest_hex(&cached_setup_in(Some(&cache), &recipe).unwrap());
        assert_eq!(rebuilt, fresh);
        assert!(
            matches!(cache.load(&recipe), Ok(Some(_))),
            "the corrupt file was rewritten"
        );
    }

    /// The attack of issue 10: recipe A's honest file copied under recipe
    /// B's name. Before the binding, it loaded (its contents hash to the
    /// digest in its own header) and B's statements were checked against
    /// A's circuit.
    #[test]
    fn a_file_planted_under_another_recipes_name_is_refused() {
        let (a, b) = (recipe(0.5), recipe(0.25));
        assert_eq!(
            crate::circuit::State::arity(&a),
            crate::circuit::State::arity(&b)
        );
        let (_dir, cache) = private_tempdir();
        let pp_a = cached_setup_in(Some(&cache), &a).unwrap();
        std::fs::copy(cache.path(&a), cache.path(&b)).unwrap();
        let why = cache.load(&b).err().expect("the planted file is refused");
        assert!(why.contains("not this recipe's parameters"), "{why}");
        let (pp_b, origin) = load_or_setup(Some(&cache), &b).unwrap();
        assert_eq!(origin, Origin::Built);
        assert_eq!(digest_hex(&pp_b), digest_hex(&setup(&b).unwrap()));
        assert_ne!(digest_hex(&pp_b), digest_hex(&pp_a));
        // A file of the previous format (no binding) is not read either.
        let mut v1 = b"foldtrain-pp\0\0\0\0".to_vec();
        v1.extend_from_slice(pp_a.digest().to_repr().as_ref());
        v1.extend(bincode::serde::encode_to_vec(&pp_a, bincode::config::standard()).unwrap());
        crate::artifact::write_atomic(&cache.path(&a), &v1, crate::artifact::Visibility::Private)
            .unwrap();
        assert!(cache.load(&a).is_err());
        // Nor one of the v2 layout, with the right binding.
        let mut v2 = b"foldtrain-pp-v2\0".to_vec();
        v2.extend_from_slice(&binding(&a));
        v2.extend_from_slice(&v1[16..]);
        crate::artifact::write_atomic(&cache.path(&a), &v2, crate::artifact::Visibility::Private)
            .unwrap();
        let why = cache.load(&a).err().expect("a v2 file is refused");
        assert!(why.contains("bad magic"), "{why}");
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_others_may_write_is_neither_read_nor_written() {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &std::path::Path, mode: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        let r = recipe(0.5);
        let (_dir, cache) = private_tempdir();
        let pp = cached_setup_in(Some(&cache), &r).unwrap();
        let file = cache.path(&r);
        set(&file, 0o666);
        let why = cache
            .load(&r)
            .err()
            .expect("a file others may write is refused");
        assert!(why.contains("may write"), "{why}");
        set(&file, 0o600);
        assert!(matches!(cache.load(&r), Ok(Some(_))));
        set(&cache.dir, 0o777);
        let why = cache
            .load(&r)
            .err()
            .expect("a folder others may write is refused");
        assert!(why.contains("may write"), "{why}");
        std::fs::remove_file(&file).unwrap();
        assert!(cache.store(&r, &pp).is_err());
        store_if_built(Some(&cache), &r, &pp, Origin::Built);
        assert!(
            !file.exists(),
            "nothing is written into a folder others may write"
        );
    }
}
