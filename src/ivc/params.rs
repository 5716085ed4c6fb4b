//! Public parameters, rebuilt deterministically from the recipe. Nova's setup
//! is transparent (no trusted setup): the same recipe always gives the same
//! parameters and digest, so a verifier never needs a shipped key.

use std::sync::Arc;

use ff::PrimeField;
use nova_snark::frontend::shape_cs::ShapeCS;
use nova_snark::traits::snark::RelaxedR1CSSNARKTrait;

use super::{Params, E1, S1, S2};
use crate::circuit::TrainStep;
use crate::commitment::scalar_to_hex;
use crate::error::{Error, Result};
use crate::recipe::Recipe;

/// Builds the public parameters of `recipe`'s step circuit.
pub fn setup(recipe: &Recipe) -> Result<Params> {
    recipe.validate()?;
    let circuit = TrainStep::blank(Arc::new(recipe.clone()));
    Ok(Params::setup(&circuit, &*S1::ck_floor(), &*S2::ck_floor())?)
}

/// Hex of the parameters' digest (it binds the circuit, hence the recipe).
pub fn digest_hex(pp: &Params) -> String {
    scalar_to_hex(&pp.digest())
}

/// Constraints of the step circuit alone, without Nova's augmentation,
/// counted by synthesizing its shape (fast: no proving, no parameters).
pub fn step_constraints(recipe: &Recipe) -> Result<usize> {
    let mut cs = ShapeCS::<E1>::new();
    crate::circuit::synthesize_blank(&mut cs, recipe)?;
    Ok(cs.num_constraints())
}

/// First bytes of a cached parameters file.
const CACHE_MAGIC: &[u8; 16] = b"foldtrain-pp\0\0\0\0";
/// Largest cached parameters file read.
const MAX_CACHE_BYTES: usize = 1 << 32;

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

/// [`setup`], through an on-disk cache keyed by the recipe's tag. A cached
/// file carries the digest it was written with and is used only when the
/// loaded parameters hash to it; anything else is rebuilt and rewritten.
/// The cache is this machine's own: a verifier trusts it as it trusts its
/// own binary.
pub fn cached_setup(recipe: &Recipe) -> Result<Params> {
    cached_setup_in(cache_dir().as_deref(), recipe)
}

/// [`cached_setup`] with an explicit cache folder (`None`: no cache).
pub fn cached_setup_in(dir: Option<&std::path::Path>, recipe: &Recipe) -> Result<Params> {
    recipe.validate()?;
    let Some(dir) = dir else {
        return setup(recipe);
    };
    let path = dir.join(format!(
        "params-v{}-{}.bin",
        crate::recipe::FORMAT_VERSION,
        scalar_to_hex(&recipe.tag())
    ));
    if let Some(pp) = load_cached(&path) {
        return Ok(pp);
    }
    let pp = setup(recipe)?;
    // Best effort: a cache that cannot be written only costs time.
    let _ = store_cached(dir, &path, &pp);
    Ok(pp)
}

fn load_cached(path: &std::path::Path) -> Option<Params> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 48 || bytes.len() > MAX_CACHE_BYTES || &bytes[..16] != CACHE_MAGIC {
        return None;
    }
    let config = bincode::config::standard().with_limit::<MAX_CACHE_BYTES>();
    let decoded = std::panic::catch_unwind(|| {
        bincode::serde::decode_from_slice::<Params, _>(&bytes[48..], config)
    })
    .ok()?;
    let (pp, used) = decoded.ok()?;
    (used == bytes.len() - 48 && pp.digest().to_repr().as_ref() == &bytes[16..48]).then_some(pp)
}

fn store_cached(dir: &std::path::Path, path: &std::path::Path, pp: &Params) -> Result<()> {
    crate::artifact::ensure_dir(dir)?;
    let config = bincode::config::standard().with_limit::<MAX_CACHE_BYTES>();
    let body = bincode::serde::encode_to_vec(pp, config)
        .map_err(|e| Error::Nova(format!("cannot encode parameters: {e}")))?;
    let mut bytes = CACHE_MAGIC.to_vec();
    bytes.extend_from_slice(pp.digest().to_repr().as_ref());
    bytes.extend(body);
    crate::artifact::write_atomic(path, &bytes, crate::artifact::Visibility::Public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;

    #[test]
    fn cached_parameters_match_a_fresh_setup_and_corruption_is_rebuilt() {
        let hyper = Hyper {
            batch: 8,
            batches_per_step: Some(1),
            ..Hyper::default()
        };
        let recipe = Recipe::new(&hyper, 2, 16).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let fresh = digest_hex(&setup(&recipe).unwrap());
        let stored = digest_hex(&cached_setup_in(Some(dir.path()), &recipe).unwrap());
        let loaded = digest_hex(&cached_setup_in(Some(dir.path()), &recipe).unwrap());
        assert_eq!(
            (stored.as_str(), loaded.as_str()),
            (fresh.as_str(), fresh.as_str())
        );
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(load_cached(&file).map(|pp| digest_hex(&pp)), None);
        let rebuilt = digest_hex(&cached_setup_in(Some(dir.path()), &recipe).unwrap());
        assert_eq!(rebuilt, fresh);
        assert!(
            load_cached(&file).is_some(),
            "the corrupt file was rewritten"
        );
    }
}
