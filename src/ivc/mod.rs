//! Nova folding of the step circuit: public parameters, the prover loop,
//! compression and checkpoints. Nothing here knows the proof bundle format.

pub mod checkpoint;
pub mod keys;
pub mod params;
pub mod prover;

use nova_snark::nova::{CompressedSNARK, PublicParams, RecursiveSNARK};
use nova_snark::provider::{ipa_pc::EvaluationEngine, PallasEngine, VestaEngine};
use nova_snark::spartan::snark::RelaxedR1CSSNARK;

use serde::{de::DeserializeOwned, Serialize};

use crate::circuit::TrainStep;
use crate::fixed::Scalar;
use nova_snark::traits::circuit::StepCircuit;

/// Primary curve (the step circuit lives in its scalar field).
pub type E1 = PallasEngine;
/// Secondary curve.
pub type E2 = VestaEngine;
/// Spartan with IPA over the primary curve.
pub type S1 = RelaxedR1CSSNARK<E1, EvaluationEngine<E1>>;
/// Spartan with IPA over the secondary curve.
pub type S2 = RelaxedR1CSSNARK<E2, EvaluationEngine<E2>>;
/// Nova public parameters of a step circuit (the training step unless
/// named).
pub type Params<C = TrainStep> = PublicParams<E1, E2, C>;
/// The running (private) folded proof.
pub type Recursive<C = TrainStep> = RecursiveSNARK<E1, E2, C>;
/// The published zero-knowledge proof.
pub type Compressed<C = TrainStep> = CompressedSNARK<E1, E2, C, S1, S2>;
/// Verifier key of the compressed proof.
pub type VerifierKey<C = TrainStep> = nova_snark::nova::VerifierKey<E1, E2, C, S1, S2>;
/// Prover key of the compressed proof.
pub type ProverKey<C = TrainStep> = nova_snark::nova::ProverKey<E1, E2, C, S1, S2>;

/// A field element that names a spec: sha256 of `domain` and then the
/// value's canonical encoding (bincode 2), cut to 248 bits.
pub(crate) fn domain_tag<T: Serialize>(domain: &[u8], value: &T) -> Scalar {
    use ff::PrimeField;
    use sha2::Digest;
    let bytes =
        bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap_or_default();
    let mut h = sha2::Sha256::new();
    h.update(domain);
    h.update(&bytes);
    let digest = h.finalize();
    let mut repr = <Scalar as PrimeField>::Repr::default();
    repr.as_mut()[..31].copy_from_slice(&digest[..31]);
    Option::from(Scalar::from_repr(repr)).unwrap_or_default()
}

/// What fixes one step circuit: the training [`crate::recipe::Recipe`], or
/// the [`crate::circuit::infer::InferSpec`] of an evaluation or a batch of
/// predictions. Its constants are baked into the circuit, so the public
/// parameters (and their cache file, named by [`Spec::tag`] and bound to
/// the synthesized shape) are a function of the spec alone.
pub trait Spec: Clone + PartialEq + Serialize + DeserializeOwned + Send + 'static {
    /// The step circuit.
    type Step: StepCircuit<Scalar>;
    /// The circuit with a blank witness: enough for its shape.
    fn blank(&self) -> Self::Step;
    /// A field element that identifies the spec (hash of its encoding,
    /// domain-separated by the kind of spec).
    fn tag(&self) -> Scalar;
    /// First bytes of this kind of spec's verifier key file: one kind of
    /// key is never read as another.
    const KEY_MAGIC: &'static [u8; crate::artifact::MAGIC_LEN];
    /// What a statement of this spec is about, in a few words (`training`,
    /// `evaluation`, `predictions`).
    fn kind_name(&self) -> &'static str;
    /// One line for messages.
    fn summary(&self) -> String;
}
