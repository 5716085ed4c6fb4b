//! Public parameters, rebuilt deterministically from the recipe. Nova's setup
//! is transparent (no trusted setup): the same recipe always gives the same
//! parameters and digest, so a verifier never needs a shipped key.

use std::sync::Arc;

use nova_snark::frontend::shape_cs::ShapeCS;
use nova_snark::frontend::{num::AllocatedNum, ConstraintSystem};
use nova_snark::traits::circuit::StepCircuit;
use nova_snark::traits::snark::RelaxedR1CSSNARKTrait;

use super::{Params, E1, S1, S2};
use crate::circuit::{State, TrainStep};
use crate::commitment::scalar_to_hex;
use crate::error::{Error, Result};
use crate::fixed::Scalar;
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
    recipe.validate()?;
    let circuit = TrainStep::blank(Arc::new(recipe.clone()));
    let mut cs = ShapeCS::<E1>::new();
    let z: Vec<AllocatedNum<Scalar>> = (0..State::arity(recipe))
        .map(|i| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(Scalar::from(0u64))))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Nova(e.to_string()))?;
    circuit
        .synthesize(&mut cs.namespace(|| "step"), &z)
        .map_err(|e| Error::Nova(e.to_string()))?;
    Ok(cs.num_constraints())
}
