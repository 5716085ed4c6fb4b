//! The segment step circuit: the sealed state `C_S` agrees with the native
//! twin over whole runs, opens only to the honest state, starts from zero
//! by the counters, and leaves no free witness.

use super::*;
use crate::circuit::segment::{seal_state, SealedLayout, SealedState, SegmentStep};

/// A distinct `salt_S` for the state after step `t`.
fn salt_after(t: usize) -> Salt {
    Salt(Scalar::from(5_000 + t as u64))
}

/// The toy run's sealed states before each step (`salt_W` set whatever the
/// recipe publishes: a segment's state always carries `C_W`).
fn sealed_states(
    recipe: &Recipe,
    data: &FixedDataset,
    salt: &Salt,
    c: Commitment,
) -> Vec<SealedState> {
    let mut first = start(recipe, c);
    first.weights_salt = Some(Salt(Scalar::from(WEIGHTS_SALT)));
    let mut states = vec![SealedState {
        state: first,
        salt: Salt(Scalar::ZERO),
    }];
    for step in 0..recipe.total_steps() {
        let s = states.last().unwrap();
        let next = s
            .next(recipe, &batches(recipe, data, step), salt, salt_after(step))
            .unwrap();
        states.push(next);
    }
    states
}

fn segment_circuit(
    recipe: &Arc<Recipe>,
    data: &FixedDataset,
    salt: Salt,
    step: usize,
    from: &SealedState,
) -> SegmentStep {
    from.circuit(recipe, batches(recipe, data, step), salt, salt_after(step))
}

/// Whether the step from `witness` (the prover's view) satisfies the
/// circuit when `z` is the incoming state.
fn sealed_satisfied(
    recipe: &Arc<Recipe>,
    data: &FixedDataset,
    salt: Salt,
    step: usize,
    witness: &SealedState,
    z: &[Scalar],
) -> bool {
    let mut cs = TamperCs::honest();
    synth(
        &mut cs,
        &segment_circuit(recipe, data, salt, step, witness),
        z,
    );
    cs.is_satisfied()
}

#[test]
fn sealed_steps_agree_with_the_native_trainer_over_whole_runs() {
    for (batch, k, n, weights) in [
        (16, 1, 20, WeightsVisibility::Public),
        (8, 2, 28, WeightsVisibility::Committed),
    ] {
        let (recipe, data, salt, c) = toy_in(batch, k, n, weights);
        let states = sealed_states(&recipe, &data, &salt, c);
        for (step, pair) in states.windows(2).enumerate() {
            let mut cs = TamperCs::honest();
            let out = synth(
                &mut cs,
                &segment_circuit(&recipe, &data, salt, step, &pair[0]),
                &pair[0].to_z(&recipe).unwrap(),
            );
            assert!(
                cs.is_satisfied(),
                "step {step}: {:?}",
                cs.which_is_unsatisfied()
            );
            assert_eq!(out, pair[1].to_z(&recipe).unwrap(), "step {step}");
        }
        let last = states.last().unwrap();
        assert_eq!(
            last.state.weights,
            train::train_fixed(&recipe, &data).unwrap()
        );
        // The last boundary opens to C_W, an empty chain and its salt.
        let z = last.to_z(&recipe).unwrap();
        assert_eq!(
            z[SealedLayout::STATE],
            seal_state(
                last.weights_commitment(&recipe).unwrap(),
                Scalar::ZERO,
                &last.salt
            )
        );
        assert_eq!(z.len(), SealedLayout::ARITY);
    }
}

#[test]
fn soundness_a_sealed_state_opens_only_to_the_honest_state() {
    let (recipe, data, salt, c) = toy_in(8, 1, 28, WeightsVisibility::Public);
    let states = sealed_states(&recipe, &data, &salt, c);
    // Step 1 is inside the first epoch: its row hash is not zero.
    let honest = &states[1];
    assert_ne!(honest.state.hash, Scalar::ZERO);
    let z = honest.to_z(&recipe).unwrap();
    assert!(sealed_satisfied(&recipe, &data, salt, 1, honest, &z));
    let mut forgeries: Vec<(&str, SealedState)> = Vec::new();
    for j in 0..=recipe.features {
        let mut f = honest.clone();
        if j < recipe.features {
            f.state.weights.w[j] += 1;
        } else {
            f.state.weights.b -= 1;
        }
        forgeries.push(("a weight or the bias moved by one", f));
    }
    let mut f = honest.clone();
    f.state.hash += Scalar::ONE;
    forgeries.push(("another row hash", f));
    let mut f = honest.clone();
    f.state.hash = Scalar::ZERO;
    forgeries.push(("the row hash of a fresh epoch", f));
    let mut f = honest.clone();
    f.salt = Salt(f.salt.0 + Scalar::ONE);
    forgeries.push(("another state salt", f));
    let mut f = honest.clone();
    f.state.weights_salt = Some(Salt(Scalar::from(WEIGHTS_SALT + 1)));
    forgeries.push(("another weights salt", f));
    let mut f = honest.clone();
    f.state.weights.w[0] += 1 << recipe.format.weight_bits();
    f.state.weights.w[1] -= 1;
    forgeries.push(("a carry between packed weights", f));
    for (what, forged) in &forgeries {
        assert!(
            !sealed_satisfied(&recipe, &data, salt, 1, forged, &z),
            "{what} opened the honest C_S"
        );
    }
    // An altered C_S in z: the honest witness does not open it.
    let mut altered = z.clone();
    altered[SealedLayout::STATE] += Scalar::ONE;
    assert!(!sealed_satisfied(&recipe, &data, salt, 1, honest, &altered));
}

#[test]
fn soundness_a_segment_starts_from_zero_only_at_the_runs_start() {
    let (recipe, data, salt, c) = toy_in(8, 1, 28, WeightsVisibility::Committed);
    let states = sealed_states(&recipe, &data, &salt, c);
    let z0 = states[0].to_z(&recipe).unwrap();
    assert_eq!(z0[SealedLayout::STATE], Scalar::ZERO);
    assert!(sealed_satisfied(&recipe, &data, salt, 0, &states[0], &z0));
    // A head start in the weights or the chain, whatever C_S z_0 holds.
    let mut head = states[0].clone();
    head.state.weights.w[2] = 1 << 10;
    assert!(!sealed_satisfied(&recipe, &data, salt, 0, &head, &z0));
    let mut chained = states[0].clone();
    chained.state.hash = Scalar::from(9u64);
    assert!(!sealed_satisfied(&recipe, &data, salt, 0, &chained, &z0));
    let mut opened = z0.clone();
    opened[SealedLayout::STATE] = seal_state(
        head.weights_commitment(&recipe).unwrap(),
        Scalar::ZERO,
        &head.salt,
    );
    assert!(!sealed_satisfied(&recipe, &data, salt, 0, &head, &opened));
    // A later segment cannot restart: its counters are the boundary's,
    // and zero weights do not open the honest C_S.
    let mut restart = states[3].clone();
    restart.state.weights = Weights::zero(recipe.features);
    restart.state.hash = Scalar::ZERO;
    let z3 = states[3].to_z(&recipe).unwrap();
    assert!(sealed_satisfied(&recipe, &data, salt, 3, &states[3], &z3));
    assert!(!sealed_satisfied(&recipe, &data, salt, 3, &restart, &z3));
}

#[test]
fn no_free_witness_in_the_segment_step() {
    // SOUNDNESS 7 for the sealed state: every step of two runs (steps
    // inside and at the end of epochs, the run's first step), public and
    // committed recipes.
    let mut seen = [false; FREE_BY_DESIGN.len()];
    let mut scanned = 0;
    for ((batch, n), weights) in [
        ((16, 20), WeightsVisibility::Public),
        ((8, 28), WeightsVisibility::Committed),
    ] {
        let (recipe, data, salt, c) = toy_in(batch, 2, n, weights);
        let states = sealed_states(&recipe, &data, &salt, c);
        for (step, state) in states[..states.len() - 1].iter().enumerate() {
            scanned += scan(
                &segment_circuit(&recipe, &data, salt, step, state),
                &state.to_z(&recipe).unwrap(),
                &format!("segment step {step} (batch {batch})"),
                &mut seen,
            );
        }
    }
    assert!(scanned > 5_000, "scanned only {scanned} variables");
    // The first step's is-zero inverse is among those seen.
    assert!(seen[1], "the first step's counter check was not reached");
}

#[test]
fn the_segment_circuit_has_the_blank_shape_and_its_own_arity() {
    let (recipe, data, salt, c) = toy_in(8, 2, 28, WeightsVisibility::Public);
    let states = sealed_states(&recipe, &data, &salt, c);
    let real = {
        let mut cs = TamperCs::honest();
        synth(
            &mut cs,
            &segment_circuit(&recipe, &data, salt, 1, &states[1]),
            &states[1].to_z(&recipe).unwrap(),
        );
        cs.num_constraints()
    };
    let blank = {
        let mut cs = TamperCs::honest();
        synth(
            &mut cs,
            &SegmentStep::blank(recipe.clone()),
            &[Scalar::ZERO; SealedLayout::ARITY],
        );
        cs.num_constraints()
    };
    assert_eq!(real, blank);
    assert_eq!(SegmentStep::blank(recipe).arity(), SealedLayout::ARITY);
}
