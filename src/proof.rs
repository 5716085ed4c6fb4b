//! The public statement, the proof bundle (statement + compressed SNARK) and
//! verification, used by `verify`, `audit` and the tests alike.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::circuit::State;
use crate::commitment::Commitment;
use crate::error::{Error, Result};
use crate::fixed::Scalar;
use crate::ivc::{params, Compressed, VerifierKey};
use crate::recipe::{Recipe, FORMAT_VERSION};
use crate::train::Weights;

/// First bytes of a proof bundle file.
pub const BUNDLE_MAGIC: &[u8; 16] = b"foldtrain-proof\0";
/// Largest bundle accepted: a proof is about 10 KB, a statement at most a few
/// tens of KB at [`crate::recipe::MAX_FEATURES`]; nothing larger is read.
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;

/// What a proof claims, in public.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// The training recipe (its constants are baked into the circuit).
    pub recipe: Recipe,
    /// Commitment to the training rows.
    pub commitment: Commitment,
    /// Starting weights and bias (zero in this version), scaled by `2^F`.
    pub initial: Weights,
    /// Trained weights and bias, scaled by `2^F`.
    pub final_weights: Weights,
    /// Folded steps; must equal the recipe's `epochs * ceil(rows / batch)`.
    pub steps: usize,
    /// Hex of the Nova public-parameter digest of the recipe's circuit.
    pub params_digest: String,
}

impl Statement {
    /// `z_0`, built from the statement alone.
    pub fn z0(&self) -> Vec<Scalar> {
        State {
            weights: self.initial.clone(),
            ..State::initial(self.recipe.features, self.commitment)
        }
        .to_z(&self.recipe)
    }

    /// The `z_N` an honest run of the recipe ends in: the final weights, an
    /// empty chain (reset after the last epoch's seal check), the commitment,
    /// batch counter 0 and every epoch done.
    pub fn expected_zn(&self) -> Vec<Scalar> {
        State {
            weights: self.final_weights.clone(),
            hash: Scalar::from(0u64),
            commitment: self.commitment,
            batch: 0,
            epoch: self.recipe.epochs as u64,
        }
        .to_z(&self.recipe)
    }

    /// Structural checks that need no cryptography.
    pub fn check_shape(&self) -> Result<()> {
        self.recipe
            .validate()
            .map_err(|e| Error::Rejected(format!("the statement's recipe is invalid: {e}")))?;
        let d = self.recipe.features;
        if self.initial.w.len() != d || self.final_weights.w.len() != d {
            return Err(Error::Rejected(format!(
                "the statement declares {d} features but carries {} initial and {} final weights",
                self.initial.w.len(),
                self.final_weights.w.len()
            )));
        }
        if self.initial != Weights::zero(d) {
            return Err(Error::Rejected(
                "initial weights other than zero are not supported by this version".into(),
            ));
        }
        if self.steps != self.recipe.total_steps() {
            return Err(Error::Rejected(format!(
                "the statement claims {} steps but its recipe takes {} (epochs x ceil(rows / batch))",
                self.steps,
                self.recipe.total_steps()
            )));
        }
        Ok(())
    }
}

/// A statement and its zero-knowledge proof.
#[derive(Serialize, Deserialize)]
pub struct ProofBundle {
    pub statement: Statement,
    pub snark: Compressed,
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_BUNDLE_BYTES>()
}

impl ProofBundle {
    /// Serializes: magic, format version, bincode 2 of the bundle.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = BUNDLE_MAGIC.to_vec();
        out.extend(FORMAT_VERSION.to_le_bytes());
        let body = bincode::serde::encode_to_vec(self, bincode_config())
            .map_err(|e| Error::Nova(format!("cannot encode the bundle: {e}")))?;
        out.extend(body);
        Ok(out)
    }

    /// Parses untrusted bytes: strict (magic, version, size limit, no
    /// trailing bytes); never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |m: String| Error::Rejected(m);
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(bad(format!(
                "the bundle is larger than {MAX_BUNDLE_BYTES} bytes"
            )));
        }
        if bytes.len() < BUNDLE_MAGIC.len() + 4 || &bytes[..BUNDLE_MAGIC.len()] != BUNDLE_MAGIC {
            return Err(bad("not a foldtrain proof bundle (bad magic bytes)".into()));
        }
        let v = &bytes[BUNDLE_MAGIC.len()..BUNDLE_MAGIC.len() + 4];
        let version = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "bundle format version {version} is not supported (this build reads {FORMAT_VERSION})"
            )));
        }
        let body = &bytes[BUNDLE_MAGIC.len() + 4..];
        let decoded = std::panic::catch_unwind(|| {
            bincode::serde::decode_from_slice::<ProofBundle, _>(body, bincode_config())
        })
        .map_err(|_| bad("the bundle is malformed (its decoder failed)".into()))?;
        let (bundle, used) =
            decoded.map_err(|e| bad(format!("the bundle is malformed or truncated: {e}")))?;
        if used != body.len() {
            return Err(bad(format!(
                "the bundle has {} trailing bytes",
                body.len() - used
            )));
        }
        Ok(bundle)
    }
}

/// What verification established.
#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    pub params_digest: String,
    pub steps: usize,
    pub setup_s: f64,
    pub verify_s: f64,
}

/// Verifies bundles, keeping the verifier key of the last recipe seen so
/// that checking many bundles of one recipe (an auditor's batch, the tamper
/// tests) builds the parameters once.
#[derive(Default)]
pub struct Verifier {
    cache: Option<(Recipe, String, VerifierKey)>,
}

impl Verifier {
    /// A verifier that already holds the key of `recipe` (the prover's own,
    /// built from the same deterministic setup).
    pub fn primed(recipe: Recipe, digest: String, vk: VerifierKey) -> Self {
        Verifier {
            cache: Some((recipe, digest, vk)),
        }
    }

    /// Verifies a bundle: the statement's recipe is within limits, the
    /// parameters rebuilt from it have the stated digest, the step count is
    /// the recipe's, and the SNARK proves `z_0 -> z_N` with `z_0` and `z_N`
    /// exactly the ones the statement implies. `Err(Error::Rejected)` says
    /// why not.
    pub fn verify(&mut self, bundle: &ProofBundle) -> Result<Verified> {
        let st = &bundle.statement;
        st.check_shape()?;
        let start = Instant::now();
        let cached = matches!(&self.cache, Some((r, _, _)) if *r == st.recipe);
        if !cached {
            // Limits were checked by check_shape, so this build is bounded.
            let pp = params::cached_setup(&st.recipe)?;
            let digest = params::digest_hex(&pp);
            let (_, vk) = Compressed::setup(&pp)?;
            self.cache = Some((st.recipe.clone(), digest, vk));
        }
        let Some((_, digest, vk)) = &self.cache else {
            return Err(Error::Nova("verifier key missing".into()));
        };
        let setup_s = start.elapsed().as_secs_f64();
        if *digest != st.params_digest {
            return Err(Error::Rejected(format!(
                "the statement's parameter digest {} is not the digest {digest} of its recipe's circuit",
                st.params_digest
            )));
        }
        let start = Instant::now();
        let zn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            bundle.snark.verify(vk, st.steps, &st.z0())
        }))
        .map_err(|_| Error::Rejected("the proof is malformed (the verifier failed on it)".into()))?
        .map_err(|e| Error::Rejected(format!("the proof does not verify: {e}")))?;
        let verify_s = start.elapsed().as_secs_f64();
        let expected = st.expected_zn();
        if zn != expected {
            let what = describe_mismatch(&zn, &expected, st.recipe.features);
            return Err(Error::Rejected(format!(
                "the proof's final state differs from the statement: {what}"
            )));
        }
        Ok(Verified {
            params_digest: digest.clone(),
            steps: st.steps,
            setup_s,
            verify_s,
        })
    }
}

/// Verifies one bundle (see [`Verifier::verify`]).
pub fn verify(bundle: &ProofBundle) -> Result<Verified> {
    Verifier::default().verify(bundle)
}

fn describe_mismatch(got: &[Scalar], want: &[Scalar], d: usize) -> String {
    if got.len() != want.len() {
        return format!("{} state elements, expected {}", got.len(), want.len());
    }
    let names = |i: usize| match i {
        i if i < d => format!("weight {i}"),
        i if i == d => "bias".into(),
        i if i == d + 1 => "row hash (not reset: an epoch was not completed)".into(),
        i if i == d + 2 => "commitment".into(),
        i if i == d + 3 => "batch counter".into(),
        _ => "epoch counter".into(),
    };
    let diffs: Vec<String> = (0..got.len())
        .filter(|&i| got[i] != want[i])
        .map(names)
        .collect();
    diffs.join(", ")
}
