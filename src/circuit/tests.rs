//! Step-circuit tests: agreement with the native trainer over whole runs,
//! the pinned shape, and the soundness checklist (SOUNDNESS.md): for each
//! rule, the honest witness satisfies the circuit and a named wrong witness
//! does not.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, ConstraintSystem};
use nova_snark::traits::circuit::StepCircuit;

use super::testing::TamperCs;
use super::*;
use crate::commitment::Opening;
use crate::fixed::FixedFormat;
use crate::recipe::Hyper;

/// 10 rows of 3 features, batch 4: three batches per epoch, the last of two
/// rows (so two slots are masked), two epochs.
fn toy() -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    let fmt = FixedFormat::default();
    let one = fmt.one();
    let half = fmt.feature_half_range();
    let rows: Vec<Vec<i64>> = (0..10i64)
        .map(|i| {
            vec![
                (i - 5) * one / 2,
                (i % 3 - 1) * one / 3,
                if i == 7 { half - 1 } else { -half + i },
            ]
        })
        .collect();
    let labels = (0..10).map(|i| u8::from(i >= 5)).collect();
    let data = FixedDataset { rows, labels };
    let hyper = Hyper {
        batch: 4,
        epochs: 2,
        learning_rate: 0.5,
        ..Hyper::default()
    };
    let recipe = Arc::new(Recipe::new(&hyper, 3, 10).unwrap());
    let salt = Salt(Scalar::from(987_654_321u64));
    let opening = Opening::commit_with_salt(&data, &fmt, 1.0, String::new(), salt);
    (recipe, data, salt, opening.commitment)
}

/// Synthesizes one step into `cs` with `z` as given; returns the outputs.
fn synth(cs: &mut TamperCs, step: &TrainStep, z: &[Scalar]) -> Vec<Scalar> {
    let vars: Vec<AllocatedNum<Scalar>> = z
        .iter()
        .enumerate()
        .map(|(i, v)| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(*v)).unwrap())
        .collect();
    step.synthesize(&mut cs.namespace(|| "step"), &vars)
        .unwrap()
        .iter()
        .map(|o| o.get_value().unwrap())
        .collect()
}

fn circuit(recipe: &Arc<Recipe>, state: &State, batch: Batch, salt: Salt) -> TrainStep {
    TrainStep {
        recipe: recipe.clone(),
        witness: Arc::new(StepWitness {
            state: state.clone(),
            batch,
            salt,
        }),
    }
}

/// The honest states before each step of the run.
fn honest_states(recipe: &Recipe, data: &FixedDataset, salt: &Salt, c: Commitment) -> Vec<State> {
    let mut states = vec![State::initial(recipe.features, c)];
    for step in 0..recipe.total_steps() {
        let s = states.last().unwrap();
        let batch = Batch::of(recipe, data, step % recipe.steps_per_epoch());
        states.push(s.next(recipe, &batch, salt).unwrap());
    }
    states
}

#[test]
fn circuit_agrees_with_native_trainer_over_a_whole_run() {
    let (recipe, data, salt, c) = toy();
    let states = honest_states(&recipe, &data, &salt, c);
    for (step, pair) in states.windows(2).enumerate() {
        let batch = Batch::of(&recipe, &data, step % recipe.steps_per_epoch());
        let mut cs = TamperCs::honest();
        let out = synth(
            &mut cs,
            &circuit(&recipe, &pair[0], batch, salt),
            &pair[0].to_z(&recipe),
        );
        assert!(
            cs.is_satisfied(),
            "step {step}: {:?}",
            cs.which_is_unsatisfied()
        );
        assert_eq!(out, pair[1].to_z(&recipe), "step {step}");
    }
    let last = states.last().unwrap();
    assert_eq!(last.weights, train::train_fixed(&recipe, &data).unwrap());
    assert_eq!((last.batch, last.epoch, last.hash), (0, 2, Scalar::ZERO));
}

#[test]
fn extremes_of_every_range_satisfy_the_honest_circuit() {
    // SOUNDNESS 3: features at both ends of their range, labels of both kinds.
    let fmt = FixedFormat::default();
    let half = fmt.feature_half_range();
    let rows: Vec<Vec<i64>> = (0..4)
        .map(|i| {
            if i % 2 == 0 {
                vec![-half; 3]
            } else {
                vec![half - 1; 3]
            }
        })
        .collect();
    let data = FixedDataset {
        rows,
        labels: vec![0, 1, 1, 0],
    };
    let hyper = Hyper {
        batch: 4,
        epochs: 1,
        learning_rate: 1.0,
        ..Hyper::default()
    };
    let recipe = Arc::new(Recipe::new(&hyper, 3, 4).unwrap());
    let salt = Salt(Scalar::from(5u64));
    let c = Opening::commit_with_salt(&data, &fmt, 1.0, String::new(), salt).commitment;
    // Start from weights at the edge of their range too.
    let mut state = State::initial(3, c);
    state.weights.w = vec![fmt.weight_half_range() - 1, -fmt.weight_half_range(), 0];
    let batch = Batch::of(&recipe, &data, 0);
    let next = state.next(&recipe, &batch, &salt);
    let mut cs = TamperCs::honest();
    let out = synth(
        &mut cs,
        &circuit(&recipe, &state, batch, salt),
        &state.to_z(&recipe),
    );
    match next {
        Ok(next) => {
            assert!(cs.is_satisfied(), "{:?}", cs.which_is_unsatisfied());
            assert_eq!(out, next.to_z(&recipe));
        }
        // The update left the weight range: the circuit must refuse too.
        Err(_) => assert!(!cs.is_satisfied()),
    }
}

/// Runs step `step` of the toy run with the given overrides and reports
/// whether the circuit is satisfied. Panics if an override matched nothing.
fn tampered(step: usize, overrides: &[(&str, Scalar)]) -> bool {
    let (recipe, data, salt, c) = toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let batch = Batch::of(&recipe, &data, step % recipe.steps_per_epoch());
    let mut cs = TamperCs::with(overrides);
    synth(
        &mut cs,
        &circuit(&recipe, &states[step], batch, salt),
        &states[step].to_z(&recipe),
    );
    cs.assert_all_used();
    cs.is_satisfied()
}

const FIRST: usize = 0; // a full batch, not the epoch's last
const LAST: usize = 2; // the epoch's last batch: two rows and two masked slots

#[test]
fn honest_witness_satisfies_each_tamper_site() {
    assert!(tampered(FIRST, &[]));
    assert!(tampered(LAST, &[]));
}

fn n(v: i128) -> Scalar {
    to_field(v)
}

#[test]
fn soundness_labels_must_be_boolean() {
    // SOUNDNESS 6: y = 2 and y = p - 1.
    for bad in [n(2), n(-1)] {
        assert!(!tampered(FIRST, &[("step/row 0/label/boolean", bad)]));
    }
}

#[test]
fn soundness_features_must_be_in_range() {
    // SOUNDNESS 5: a feature is only its bits; a bit of 2 (a feature of
    // 2^k) or p - 1 is refused.
    for bad in [n(2), n(-1)] {
        assert!(!tampered(FIRST, &[("step/row 1/x2/bit 19/boolean", bad)]));
    }
}

#[test]
fn soundness_truncation_remainder_and_quotient() {
    // SOUNDNESS 1 and 2, in the step: a flipped remainder bit, a flipped
    // logit bit, a flipped bit of the update's remainder.
    assert!(!tampered(
        FIRST,
        &[("step/row 0/truncate dot/remainder/bit 0/boolean", n(1))]
    ));
    assert!(
        !tampered(
            FIRST,
            &[("step/row 0/truncate dot/remainder/bit 0/boolean", n(0))]
        ) || !tampered(
            FIRST,
            &[("step/row 0/truncate dot/remainder/bit 1/boolean", n(1))]
        )
    );
    assert!(
        !tampered(FIRST, &[("step/row 0/logit/bit 0/boolean", n(1))])
            || !tampered(FIRST, &[("step/row 0/logit/bit 0/boolean", n(0))])
    );
    assert!(
        !tampered(FIRST, &[("step/update 0/remainder/bit 3/boolean", n(1))])
            || !tampered(FIRST, &[("step/update 0/remainder/bit 3/boolean", n(0))])
    );
}

#[test]
fn soundness_sigmoid_output_is_the_right_piece() {
    // SOUNDNESS 8: a sigmoid output or selector other than the honest one.
    assert!(!tampered(FIRST, &[("step/row 0/sigmoid/s/num", n(1))]));
    assert!(
        !tampered(FIRST, &[("step/row 0/sigmoid/hi/product/num", n(1))])
            || !tampered(FIRST, &[("step/row 0/sigmoid/hi/product/num", n(0))])
    );
    assert!(
        !tampered(
            FIRST,
            &[("step/row 0/sigmoid/none of the middle bits/out/num", n(0))]
        ) || !tampered(
            FIRST,
            &[("step/row 0/sigmoid/none of the middle bits/out/num", n(1))]
        )
    );
}

#[test]
fn soundness_new_weights_are_the_update() {
    // Altered weights between steps: the step's output weight is forced.
    assert!(
        !tampered(FIRST, &[("step/update 1/new weight/bit 0/boolean", n(1))])
            || !tampered(FIRST, &[("step/update 1/new weight/bit 0/boolean", n(0))])
    );
    assert!(!tampered(
        FIRST,
        &[("step/weights out 0/value/num", n(12345))]
    ));
    // The incoming weights are the packed state's: unpacking them into other
    // bits fails.
    assert!(
        !tampered(FIRST, &[("step/unpack weights/w1/bit 0/boolean", n(1))])
            || !tampered(FIRST, &[("step/unpack weights/w1/bit 0/boolean", n(0))])
    );
}

#[test]
fn soundness_mask_comes_from_the_counter() {
    // SOUNDNESS 11: slot 3 of a full batch is a real row; zeroing its error
    // (dropping it from the gradient) fails.
    assert!(!tampered(FIRST, &[("step/row 3/mask/product/num", n(0))]));
    // In the last batch it is padding: claiming it is live fails too.
    assert!(!tampered(LAST, &[("step/row 3/mask/product/num", n(1))]));
    // And the batch counter's test cannot be lied about.
    assert!(!tampered(FIRST, &[("step/is last batch/out/num", n(1))]));
}

#[test]
fn soundness_salt_must_open_the_commitment() {
    // SOUNDNESS 12: another salt at the epoch's end.
    assert!(!tampered(LAST, &[("step/salt/num", n(1))]));
}

/// Runs a whole epoch natively on `rows` (without checking the seal) and the
/// epoch's last step in the circuit, committed to the honest data.
fn epoch_end_with(mutate: impl Fn(&mut FixedDataset)) -> bool {
    let (recipe, data, salt, c) = toy();
    let mut other = data.clone();
    mutate(&mut other);
    let mut state = State::initial(recipe.features, c);
    for step in 0..LAST {
        let batch = Batch::of(&recipe, &other, step);
        let (trace, hash) = state.step_values(&recipe, &batch).unwrap();
        state = State {
            weights: trace.next,
            hash,
            batch: state.batch + 1,
            ..state
        };
    }
    let batch = Batch::of(&recipe, &other, LAST);
    let mut cs = TamperCs::honest();
    synth(
        &mut cs,
        &circuit(&recipe, &state, batch, salt),
        &state.to_z(&recipe),
    );
    cs.is_satisfied()
}

#[test]
fn soundness_every_committed_row_in_order() {
    // SOUNDNESS 9 and 10.
    assert!(epoch_end_with(|_| {}));
    assert!(!epoch_end_with(|d| d.rows[1][0] += 1), "changed feature");
    assert!(!epoch_end_with(|d| d.labels[4] ^= 1), "flipped label");
    assert!(
        !epoch_end_with(|d| {
            d.rows.swap(0, 1);
            d.labels.swap(0, 1);
        }),
        "reordered rows"
    );
    assert!(
        !epoch_end_with(|d| {
            d.rows[2] = d.rows[1].clone();
            d.labels[2] = d.labels[1];
        }),
        "repeated row"
    );
    assert!(
        !epoch_end_with(|d| {
            d.rows.remove(3);
            d.labels.remove(3);
            d.rows.push(vec![0, 0, 0]);
            d.labels.push(0);
        }),
        "skipped row"
    );
}

#[test]
fn soundness_stopping_early_is_visible_in_the_state() {
    // SOUNDNESS 10: the counters advance by exactly one batch per step and
    // the epoch counter only at the epoch's last batch.
    let (recipe, data, salt, c) = toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let epochs: Vec<u64> = states.iter().map(|s| s.epoch).collect();
    assert_eq!(epochs, vec![0, 0, 0, 1, 1, 1, 2]);
    assert!(!tampered(FIRST, &[("step/epoch out/value/num", n(1))]));
    assert!(!tampered(FIRST, &[("step/batch out/value/num", n(0))]));
    assert!(!tampered(LAST, &[("step/hash out/value/num", n(7))]));
}

#[test]
fn no_free_witness_in_the_step() {
    // SOUNDNESS 7: every variable the step allocates appears in a constraint.
    // Tampering any single variable of the step (other than the salt outside
    // the epoch's last step and the padding rows' inputs, which are
    // deliberately free) must break a constraint. Checked over a sample of
    // named variables, one per kind.
    for path in [
        "step/row 0/w0 x0/product/num",
        "step/row 0/e x1/product/num",
        "step/row 0/pack/element 0/value/num",
        "step/row 0/row hash/sponge/hash/ensure_allocated/num",
        "step/is last batch/inv/num",
    ] {
        assert!(!tampered(FIRST, &[(path, n(3))]), "{path}");
    }
}

#[test]
fn pinned_constraint_count() {
    // SOUNDNESS 15: any change to the circuit changes this number.
    let (recipe, ..) = toy();
    let mut cs = TamperCs::honest();
    let step = TrainStep::blank(recipe.clone());
    let z = State::initial(3, Commitment(Scalar::ZERO)).to_z(&recipe);
    synth(&mut cs, &step, &z);
    assert_eq!(cs.num_constraints(), PINNED_TOY_CONSTRAINTS);
}

/// Constraints of the toy recipe's step (3 features, batch 4).
const PINNED_TOY_CONSTRAINTS: usize = 2751;

#[test]
fn weight_packing_round_trips_and_refuses_non_canonical_elements() {
    let (recipe, ..) = toy();
    let fmt = recipe.format;
    let half = fmt.weight_half_range();
    let packing = WeightPacking::of(&recipe);
    let weights = Weights {
        w: vec![-half, half - 1, 0],
        b: 17,
    };
    let packed = packing.pack(&weights, &fmt);
    assert_eq!(packed.len(), packing.elements);
    assert_eq!(packing.unpack(&packed, 3, &fmt), Some(weights));
    let mut bad = packed.clone();
    bad[0] += pow2(packing.bits * 4); // a bit past the last weight
    assert_eq!(packing.unpack(&bad, 3, &fmt), None);
    bad[0] = -Scalar::ONE;
    assert_eq!(packing.unpack(&bad, 3, &fmt), None);
}

#[test]
fn blank_circuit_has_the_same_shape_as_a_real_one() {
    let (recipe, data, salt, c) = toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let mut real = TamperCs::honest();
    synth(
        &mut real,
        &circuit(&recipe, &states[2], Batch::of(&recipe, &data, 2), salt),
        &states[2].to_z(&recipe),
    );
    let mut blank = TamperCs::honest();
    synth(
        &mut blank,
        &TrainStep::blank(recipe.clone()),
        &states[0].to_z(&recipe),
    );
    assert_eq!(real.num_constraints(), blank.num_constraints());
    let _ = Scalar::ZERO.is_zero_vartime();
}
