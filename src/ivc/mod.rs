//! Nova folding of the step circuit: public parameters, the prover loop,
//! compression and checkpoints. Nothing here knows the proof bundle format.

pub mod checkpoint;
pub mod keys;
pub mod params;
pub mod prover;

use nova_snark::nova::{CompressedSNARK, PublicParams, RecursiveSNARK};
use nova_snark::provider::{ipa_pc::EvaluationEngine, PallasEngine, VestaEngine};
use nova_snark::spartan::snark::RelaxedR1CSSNARK;

use crate::circuit::TrainStep;

/// Primary curve (the step circuit lives in its scalar field).
pub type E1 = PallasEngine;
/// Secondary curve.
pub type E2 = VestaEngine;
/// Spartan with IPA over the primary curve.
pub type S1 = RelaxedR1CSSNARK<E1, EvaluationEngine<E1>>;
/// Spartan with IPA over the secondary curve.
pub type S2 = RelaxedR1CSSNARK<E2, EvaluationEngine<E2>>;
/// Nova public parameters of the training step.
pub type Params = PublicParams<E1, E2, TrainStep>;
/// The running (private) folded proof.
pub type Recursive = RecursiveSNARK<E1, E2, TrainStep>;
/// The published zero-knowledge proof.
pub type Compressed = CompressedSNARK<E1, E2, TrainStep, S1, S2>;
/// Verifier key of the compressed proof.
pub type VerifierKey = nova_snark::nova::VerifierKey<E1, E2, TrainStep, S1, S2>;
/// Prover key of the compressed proof.
pub type ProverKey = nova_snark::nova::ProverKey<E1, E2, TrainStep, S1, S2>;
