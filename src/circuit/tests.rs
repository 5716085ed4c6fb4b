//! Step-circuit tests: agreement with the native trainer over whole runs,
//! the pinned shape, and the soundness checklist (SOUNDNESS.md): for each
//! rule, the honest witness satisfies the circuit and a named wrong witness
//! does not.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, ConstraintSystem};
use nova_snark::traits::circuit::StepCircuit;

use super::testing::{Record, RecordCs, TamperCs};
use super::*;
use crate::commitment::{Split, SplitOpening};
use crate::fixed::FixedFormat;
use crate::recipe::Hyper;

/// The test rows' commitment the toy runs carry (the step never reads it).
const TEST_C: u64 = 4242;
/// The salt of `C_W` in the toy runs with committed weights.
const WEIGHTS_SALT: u64 = 31_337;

/// 20 rows of 3 features, batch 16: two batches per epoch, the last of four
/// rows (rows 4..8 are padding inside the first block, rows 8..16 a block of
/// padding only), two epochs, `k` batches per folded step.
fn toy_with(batch: usize, k: usize) -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    toy_rows(batch, k, 20)
}

/// [`toy_with`] with `n` rows.
fn toy_rows(batch: usize, k: usize, n: usize) -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    toy_in(batch, k, n, WeightsVisibility::Public)
}

/// [`toy_rows`] with the weights published as `weights` says.
fn toy_in(
    batch: usize,
    k: usize,
    n: usize,
    weights: WeightsVisibility,
) -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    let fmt = FixedFormat::default();
    let one = fmt.feature_one();
    let half = fmt.feature_half_range();
    let rows: Vec<Vec<i64>> = (0..n as i64)
        .map(|i| {
            vec![
                (i - 10) * one / 4,
                (i % 3 - 1) * one / 3,
                if i == 7 { half - 1 } else { -half + i },
            ]
        })
        .collect();
    let labels = (0..n).map(|i| u8::from(i >= 10)).collect();
    let data = FixedDataset { rows, labels };
    let hyper = Hyper {
        batch,
        batches_per_step: Some(k),
        epochs: 2,
        learning_rate: 0.5,
        weights,
        ..Hyper::default()
    };
    let recipe = Arc::new(Recipe::new(&hyper, 3, n).unwrap());
    let salt = Salt(Scalar::from(987_654_321u64));
    let commitment = commit(&data, &fmt, salt);
    (recipe, data, salt, commitment)
}

/// The training commitment to all of `data` under `salt`.
fn commit(data: &FixedDataset, fmt: &FixedFormat, salt: Salt) -> Commitment {
    SplitOpening::commit(Split::Train, data, fmt, salt).commitment
}

/// The state before the first step of a toy run against `c`.
fn start(recipe: &Recipe, c: Commitment) -> State {
    let weights_salt = (recipe.weights == WeightsVisibility::Committed)
        .then_some(Salt(Scalar::from(WEIGHTS_SALT)));
    State::initial(
        recipe.features,
        c,
        Commitment(Scalar::from(TEST_C)),
        weights_salt,
    )
}

fn toy() -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    toy_with(16, 1)
}

/// Synthesizes one step into `cs` with `z` as given; returns the outputs.
fn synth<C: StepCircuit<Scalar>>(cs: &mut TamperCs, step: &C, z: &[Scalar]) -> Vec<Scalar> {
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

/// The batches of folded step `step` (global).
fn batches(recipe: &Recipe, data: &FixedDataset, step: usize) -> Vec<Batch> {
    let k = recipe.batches_per_step;
    let first = (step % recipe.steps_per_epoch()) * k;
    (first..first + k)
        .map(|i| Batch::of(recipe, data, i))
        .collect()
}

fn circuit(recipe: &Arc<Recipe>, state: &State, batches: Vec<Batch>, salt: Salt) -> TrainStep {
    TrainStep {
        recipe: recipe.clone(),
        witness: Arc::new(StepWitness::new(recipe, state.clone(), batches, salt)),
    }
}

/// The honest states before each step of the run.
fn honest_states(recipe: &Recipe, data: &FixedDataset, salt: &Salt, c: Commitment) -> Vec<State> {
    let mut states = vec![start(recipe, c)];
    for step in 0..recipe.total_steps() {
        let s = states.last().unwrap();
        states.push(s.next(recipe, &batches(recipe, data, step), salt).unwrap());
    }
    states
}

fn agrees_over_a_whole_run(batch: usize, k: usize) {
    agrees_over_a_whole_run_in(batch, k, WeightsVisibility::Public);
}

fn agrees_over_a_whole_run_in(batch: usize, k: usize, weights: WeightsVisibility) {
    let (recipe, data, salt, c) = toy_in(batch, k, 20, weights);
    agreeing_states(&recipe, &data, salt, c);
}

/// The honest states of a whole run of `recipe`, each step's circuit
/// checked satisfied with the native twin's outputs, ending in the native
/// trainer's weights after two epochs.
fn agreeing_states(
    recipe: &Arc<Recipe>,
    data: &FixedDataset,
    salt: Salt,
    c: Commitment,
) -> Vec<State> {
    let (recipe, data) = (recipe.clone(), data.clone());
    let states = honest_states(&recipe, &data, &salt, c);
    for (step, pair) in states.windows(2).enumerate() {
        let mut cs = TamperCs::honest();
        let out = synth(
            &mut cs,
            &circuit(&recipe, &pair[0], batches(&recipe, &data, step), salt),
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
    assert_eq!(last.weights, train::train_fixed(&recipe, &data).unwrap());
    assert_eq!((last.batch, last.epoch, last.hash), (0, 2, Scalar::ZERO));
    states
}

#[test]
fn circuit_agrees_with_native_trainer_over_a_whole_run() {
    agrees_over_a_whole_run(16, 1);
}

#[test]
fn several_batches_per_step_agree_with_native_trainer() {
    // 20 rows in batches of 8: three batches, all folded in one step.
    agrees_over_a_whole_run(8, 3);
}

#[test]
fn extremes_of_every_range_satisfy_the_honest_circuit() {
    // SOUNDNESS 3: features at both ends of their range, labels of both kinds.
    let fmt = FixedFormat::default();
    let data = FixedDataset {
        rows: super::testing::extreme_rows(8, 3, &fmt),
        labels: vec![0, 1, 1, 0, 1, 0, 0, 1],
    };
    let hyper = Hyper {
        batch: 8,
        epochs: 1,
        learning_rate: 1.0,
        ..Hyper::default()
    };
    let recipe = Arc::new(Recipe::new(&hyper, 3, 8).unwrap());
    let salt = Salt(Scalar::from(5u64));
    let c = commit(&data, &fmt, salt);
    // Start from weights at the edge of their range too.
    // Past the first step (non-zero counters would do as well): the
    // incoming weights are the state's, not zero.
    let mut state = start(&recipe, c);
    state.weights.w = vec![fmt.weight_half_range() - 1, -fmt.weight_half_range(), 0];
    let step = batches(&recipe, &data, 0);
    let next = state.next(&recipe, &step, &salt);
    let mut cs = TamperCs::honest();
    let out = synth(
        &mut cs,
        &circuit(&recipe, &state, step, salt),
        &state.to_z(&recipe).unwrap(),
    );
    match next {
        Ok(next) => {
            assert!(cs.is_satisfied(), "{:?}", cs.which_is_unsatisfied());
            assert_eq!(out, next.to_z(&recipe).unwrap());
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
    let mut cs = TamperCs::with(overrides);
    synth(
        &mut cs,
        &circuit(&recipe, &states[step], batches(&recipe, &data, step), salt),
        &states[step].to_z(&recipe).unwrap(),
    );
    cs.assert_all_used();
    cs.is_satisfied()
}

const FIRST: usize = 0; // a full batch, not the epoch's last
const LAST: usize = 1; // the epoch's last batch: four rows and twelve of padding

#[test]
fn honest_witness_satisfies_each_tamper_site() {
    assert!(tampered(FIRST, &[]));
    assert!(tampered(LAST, &[]));
}

fn n(v: i128) -> Scalar {
    to_field(v)
}

/// True when setting the variable to either bit value breaks the circuit
/// (one of the two is the honest value, so the other must fail).
fn bit_is_forced(step: usize, path: &str) -> bool {
    !tampered(step, &[(path, n(0))]) || !tampered(step, &[(path, n(1))])
}

/// True when the variable at `path` holding 2 or `p - 1` (neither a bit)
/// breaks the circuit, each.
fn only_bits_pass(path: &str) -> bool {
    [n(2), n(-1)]
        .into_iter()
        .all(|bad| !tampered(FIRST, &[(path, bad)]))
}

#[test]
fn soundness_labels_must_be_boolean() {
    // SOUNDNESS 6: y = 2 and y = p - 1.
    assert!(only_bits_pass("step/batch 0/row 0/label/boolean"));
}

#[test]
fn soundness_features_must_be_in_range() {
    // SOUNDNESS 5: a feature is only its bits; a bit of 2 (a feature of
    // 2^k) or p - 1 is refused.
    // The top bit: the sign of `x + 2^(Fx+cx)`.
    let top = crate::fixed::FixedFormat::default().feature_bits() - 1;
    assert!(only_bits_pass(&format!(
        "step/batch 0/row 1/x2/bit {top}/boolean"
    )));
}

#[test]
fn soundness_truncation_remainder_and_quotient() {
    // SOUNDNESS 1 and 2, in the step: a flipped remainder bit, a flipped
    // logit bit, a flipped bit of the update's remainder.
    assert!(bit_is_forced(
        FIRST,
        "step/batch 0/row 0/truncate dot/remainder/bit 0/boolean"
    ));
    assert!(bit_is_forced(
        FIRST,
        "step/batch 0/row 0/truncate dot/remainder/bit 1/boolean"
    ));
    assert!(bit_is_forced(
        FIRST,
        "step/batch 0/row 0/logit/bit 0/boolean"
    ));
    assert!(bit_is_forced(
        FIRST,
        "step/batch 0/update 0/remainder/bit 3/boolean"
    ));
}

#[test]
fn soundness_sigmoid_output_is_the_right_piece() {
    // SOUNDNESS 8: a sigmoid output or selector other than the honest one.
    assert!(!tampered(
        FIRST,
        &[("step/batch 0/row 0/sigmoid/s/num", n(1))]
    ));
    for path in [
        "step/batch 0/row 0/sigmoid/hi/product/num",
        "step/batch 0/row 0/sigmoid/lo/product/num",
        "step/batch 0/row 0/sigmoid/none of the middle bits/out/num",
    ] {
        assert!(bit_is_forced(FIRST, path), "{path}");
    }
}

#[test]
fn soundness_new_weights_are_the_update() {
    // Altered weights between steps: the step's output weight is forced.
    assert!(bit_is_forced(
        FIRST,
        "step/batch 0/update 1/new weight/bit 0/boolean"
    ));
    assert!(!tampered(
        FIRST,
        &[("step/weights out 0/value/num", n(12345))]
    ));
    // The incoming weights are the packed state's: unpacking them into other
    // bits fails.
    assert!(bit_is_forced(FIRST, "step/unpack weights/w1/bit 0/boolean"));
}

#[test]
fn soundness_mask_comes_from_the_counter() {
    // SOUNDNESS 11: row 5 of a full batch is a real row; zeroing its error
    // (dropping it from the gradient) fails.
    let mask = "step/batch 0/row 5/mask/product/num";
    assert!(!tampered(FIRST, &[(mask, n(0))]));
    // In the last batch it is padding: claiming it is live fails too.
    assert!(!tampered(LAST, &[(mask, n(1))]));
    // And the batch counter's test cannot be lied about.
    assert!(!tampered(FIRST, &[("step/is last batch/out/num", n(1))]));
    // Nor the gate of a block of padding only.
    let gate = "step/batch 0/block 1/gate/product/num";
    assert!(!tampered(FIRST, &[(gate, n(0))]));
    assert!(!tampered(LAST, &[(gate, n(5))]));
}

#[test]
fn soundness_salt_must_open_the_commitment() {
    // SOUNDNESS 12: another salt at the epoch's end.
    assert!(!tampered(LAST, &[("step/salt/num", n(1))]));
}

/// Runs the epoch's steps before the last natively (without the seal check)
/// on `mutate`d data, then the epoch's last step in the circuit, against the
/// commitment to the honest data; `pad` may alter the last step's batches.
fn epoch_end_with(mutate: impl Fn(&mut FixedDataset), pad: impl Fn(&mut Vec<Batch>)) -> bool {
    let (recipe, data, salt, c) = toy();
    let mut other = data.clone();
    mutate(&mut other);
    let mut state = start(&recipe, c);
    for step in 0..LAST {
        let (traces, hash) = state
            .step_values(&recipe, &batches(&recipe, &other, step))
            .unwrap();
        state = State {
            weights: traces.last().unwrap().next.clone(),
            hash,
            batch: state.batch + recipe.batches_per_step as u64,
            ..state
        };
    }
    let mut last = batches(&recipe, &other, LAST);
    pad(&mut last);
    let mut cs = TamperCs::honest();
    synth(
        &mut cs,
        &circuit(&recipe, &state, last, salt),
        &state.to_z(&recipe).unwrap(),
    );
    cs.is_satisfied()
}

#[test]
fn soundness_every_committed_row_in_order() {
    // SOUNDNESS 9 and 10.
    let same = |_: &mut Vec<Batch>| {};
    assert!(epoch_end_with(|_| {}, same));
    assert!(
        !epoch_end_with(|d| d.rows[1][0] += 1, same),
        "changed feature"
    );
    assert!(!epoch_end_with(|d| d.labels[4] ^= 1, same), "flipped label");
    assert!(
        !epoch_end_with(|d| d.rows[17][2] -= 1, same),
        "changed row of the last batch"
    );
    assert!(
        !epoch_end_with(
            |d| {
                d.rows.swap(0, 1);
                d.labels.swap(0, 1);
            },
            same
        ),
        "reordered rows"
    );
    assert!(
        !epoch_end_with(
            |d| {
                d.rows[2] = d.rows[1].clone();
                d.labels[2] = d.labels[1];
            },
            same
        ),
        "repeated row"
    );
    assert!(
        !epoch_end_with(
            |d| {
                d.rows.remove(3);
                d.labels.remove(3);
                d.rows.push(vec![0, 0, 0]);
                d.labels.push(0);
            },
            same
        ),
        "skipped row"
    );
    // Padding inside the last block is bound to zeros by the hash.
    assert!(
        !epoch_end_with(|_| {}, |b| b[0].rows[6][0] = 1),
        "padding row in a live block"
    );
    assert!(
        !epoch_end_with(|_| {}, |b| b[0].labels[7] = 1),
        "padding label in a live block"
    );
}

#[test]
fn soundness_stopping_early_is_visible_in_the_state() {
    // SOUNDNESS 10: the counters advance by exactly one step's batches and
    // the epoch counter only at the epoch's last batch.
    let (recipe, data, salt, c) = toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let epochs: Vec<u64> = states.iter().map(|s| s.epoch).collect();
    assert_eq!(epochs, vec![0, 0, 1, 1, 2]);
    assert!(!tampered(FIRST, &[("step/epoch out/value/num", n(1))]));
    assert!(!tampered(FIRST, &[("step/batch out/value/num", n(0))]));
    assert!(!tampered(LAST, &[("step/hash out/value/num", n(7))]));
}

#[test]
fn no_free_witness_in_the_step() {
    // SOUNDNESS 7: each kind of variable the step allocates is tied down:
    // changing it alone breaks a constraint. (Deliberately free: the salt
    // outside the epoch's last step, and the inputs of rows in a block of
    // padding only, whose errors are masked and whose block is not hashed.)
    for path in [
        "step/batch 0/row 0/w0 x0/product/num",
        "step/batch 0/row 0/e x1/product/num",
        "step/batch 0/block 0/pack/element 0/value/num",
        "step/batch 0/block 0/hash/sponge/hash/ensure_allocated/num",
        "step/is last batch/inv/num",
        "step/row count/value/num",
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
    let z = start(&recipe, Commitment(Scalar::ZERO))
        .to_z(&recipe)
        .unwrap();
    synth(&mut cs, &step, &z);
    assert_eq!(cs.num_constraints(), PINNED_TOY_CONSTRAINTS);
    // With committed weights: the zero start, the opening of C_W and the
    // outgoing C_W on top.
    let (recipe, ..) = toy_in(16, 1, 20, WeightsVisibility::Committed);
    let mut cs = TamperCs::honest();
    let z = start(&recipe, Commitment(Scalar::ZERO))
        .to_z(&recipe)
        .unwrap();
    synth(&mut cs, &TrainStep::blank(recipe.clone()), &z);
    assert_eq!(cs.num_constraints(), PINNED_TOY_COMMITTED_CONSTRAINTS);
}

/// Constraints of the toy recipe's step (3 features, batch 16). 3,901
/// before features went from 10 to 8 bits (`Fx` 6 to 4): 2 bits fewer for
/// each of the 48 features (96), for each row's truncation remainder (32)
/// and for each update's remainder (8).
const PINNED_TOY_CONSTRAINTS: usize = 3765;
/// The same with committed weights (4,681 before, the same 136 fewer).
const PINNED_TOY_COMMITTED_CONSTRAINTS: usize = 4545;

#[test]
fn weight_packing_round_trips_and_refuses_non_canonical_elements() {
    let (recipe, ..) = toy();
    let fmt = recipe.format;
    let half = fmt.weight_half_range();
    let packing = WeightPacking::of(&recipe);
    let weights = BoundedWeights::new(
        Weights {
            w: vec![-half, half - 1, 0],
            b: 17,
        },
        &fmt,
    )
    .unwrap();
    let packed = weights.packed();
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
        &circuit(&recipe, &states[LAST], batches(&recipe, &data, LAST), salt),
        &states[LAST].to_z(&recipe).unwrap(),
    );
    let mut blank = TamperCs::honest();
    synth(
        &mut blank,
        &TrainStep::blank(recipe.clone()),
        &states[0].to_z(&recipe).unwrap(),
    );
    assert_eq!(real.num_constraints(), blank.num_constraints());
}

/// The variables that the scan may find free, each with why. All four are
/// the inverse of an [`is_zero`](super::gadgets::is_zero) whose argument is
/// zero: `a * inv = 1 - out` and `a * out = 0` then hold for any `inv`, and
/// `out` (which is what the circuit uses) is forced to one. The test checks
/// that condition for every variable it lets through.
const FREE_BY_DESIGN: [(&str, &str); 4] = [
    (
        "step/is last batch/inv/num",
        "at the epoch's last step the batch-counter difference is zero",
    ),
    (
        "step/unpack weights/first step/inv/num",
        "committed weights: at the first step both counters are zero",
    ),
    (
        "/sigmoid/none of the middle bits/inv/num",
        "a logit whose middle bits are all clear (zero logits: fresh weights, padding rows)",
    ),
    (
        "/sigmoid/all of the middle bits/inv/num",
        "a small negative logit, whose middle bits are all set",
    ),
];

#[test]
fn free_witness_scan_over_whole_runs() {
    // SOUNDNESS 7: every variable the step allocates, changed alone (to
    // v + 1 and to v + 2^100 + 7), breaks a constraint it appears in, except
    // the allow-list. Two recipes, both with two batches a step:
    // - 20 rows in batches of 16: every step ends an epoch (the seal), its
    //   second batch is partial with a block of padding only;
    // - 28 rows in batches of 8: steps inside and at the end of an epoch;
    // each with public and with committed weights (the zero start, the
    // opening of C_W and the salt).
    let mut seen = [false; FREE_BY_DESIGN.len()];
    let mut scanned = 0;
    let runs = [(16, 20), (8, 28)].into_iter().flat_map(|run| {
        [WeightsVisibility::Public, WeightsVisibility::Committed].map(|w| (run, w))
    });
    for ((batch, n), weights) in runs {
        let (recipe, data, salt, c) = toy_in(batch, 2, n, weights);
        let states = honest_states(&recipe, &data, &salt, c);
        assert!(states.len() > 2);
        for (step, state) in states[..states.len() - 1].iter().enumerate() {
            let step_circuit = circuit(&recipe, state, batches(&recipe, &data, step), salt);
            scanned += scan(
                &step_circuit,
                &state.to_z(&recipe).unwrap(),
                &format!("batch {batch}, step {step}"),
                &mut seen,
            );
        }
    }
    assert!(scanned > 10_000, "scanned only {scanned} variables");
    for ((suffix, why), seen) in FREE_BY_DESIGN.iter().zip(seen) {
        assert!(
            seen,
            "allow-list entry {suffix} ({why}) matched nothing: remove it"
        );
    }
}

/// Synthesizes `circuit` from `z` into a recording system, checks that the
/// honest witness satisfies it and that no variable of the step is free but
/// those of [`FREE_BY_DESIGN`] (marked in `seen`); the number of variables
/// scanned.
fn scan<C: StepCircuit<Scalar>>(
    circuit: &C,
    z: &[Scalar],
    label: &str,
    seen: &mut [bool; FREE_BY_DESIGN.len()],
) -> usize {
    scan_with(circuit, z, label, &FREE_BY_DESIGN, seen)
}

/// [`scan`] with another allow-list (suffix, why) and its `seen` marks.
fn scan_with<C: StepCircuit<Scalar>>(
    circuit: &C,
    z: &[Scalar],
    label: &str,
    allowed: &[(&str, &str)],
    seen: &mut [bool],
) -> usize {
    let mut cs = RecordCs::new(Record::default());
    let z: Vec<AllocatedNum<Scalar>> = z
        .iter()
        .enumerate()
        .map(|(i, v)| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(*v)).unwrap())
        .collect();
    circuit
        .synthesize(&mut cs.namespace(|| "step"), &z)
        .unwrap();
    assert_eq!(cs.sink.first_unsatisfied(), None, "{label}");
    // The inputs z_i are bound by Nova's augmented circuit (it hashes
    // them), not by the step: they are not scanned.
    for path in cs.sink.free_variables(|p| p.starts_with("step/")) {
        let entry = allowed
            .iter()
            .position(|(suffix, _)| path.ends_with(suffix));
        let Some(entry) = entry else {
            panic!("{label}: {path} is free");
        };
        let out = path.replace("/inv/num", "/out/num");
        let out_value = (cs.sink.names.iter())
            .position(|p| *p == out)
            .map(|i| cs.sink.values[i]);
        assert_eq!(
            out_value,
            Some(Scalar::ONE),
            "{label}: {path} is free while its argument is not zero"
        );
        seen[entry] = true;
    }
    cs.sink.count_under("step/")
}

mod prep;
mod segment;

// Committed weights (`--private-weights`): the state carries
// `C_W = H(packed weights, salt_W)` instead of the weights.

fn committed_toy() -> (Arc<Recipe>, FixedDataset, Salt, Commitment) {
    toy_in(16, 1, 20, WeightsVisibility::Committed)
}

/// Whether the step from `witness_state` (the prover's view, its witness
/// computed honestly from it) on step `step`'s batches satisfies the
/// circuit when `z` is the incoming state.
fn satisfied_from(
    recipe: &Arc<Recipe>,
    data: &FixedDataset,
    salt: Salt,
    step: usize,
    witness_state: &State,
    z: &[Scalar],
) -> bool {
    let mut cs = TamperCs::honest();
    synth(
        &mut cs,
        &circuit(recipe, witness_state, batches(recipe, data, step), salt),
        z,
    );
    cs.is_satisfied()
}

#[test]
fn committed_weights_agree_with_native_trainer_over_a_whole_run() {
    agrees_over_a_whole_run_in(16, 1, WeightsVisibility::Committed);
    agrees_over_a_whole_run_in(8, 3, WeightsVisibility::Committed);
    // z holds one element for the model, C_W, and it hides the weights: the
    // same weights under another salt give another C_W.
    let (recipe, data, salt, c) = committed_toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let last = states.last().unwrap();
    let layout = StateLayout::of(&recipe);
    assert_eq!(layout.model.len(), 1);
    let z = last.to_z(&recipe).unwrap();
    let bounded = BoundedWeights::new(last.weights.clone(), &recipe.format).unwrap();
    let c_w = ModelCommitment::of(&bounded, &last.weights_salt.unwrap());
    assert_eq!(z[layout.model.start], c_w.0);
    let other = ModelCommitment::of(&bounded, &Salt(Scalar::from(1u64)));
    assert_ne!(other, c_w);
    // z_0 holds 0 in C_W's place: the verifier builds it without the salt.
    assert_eq!(
        states[0].to_z(&recipe).unwrap()[layout.model.start],
        Scalar::ZERO
    );
}

#[test]
fn soundness_committed_weights_must_open_c_w() {
    // A wrong opening: the incoming C_W is the honest one, the prover's
    // weights are not (each weight and the bias moved by one, in turn).
    let (recipe, data, salt, c) = committed_toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let honest = &states[1];
    let z = honest.to_z(&recipe).unwrap();
    assert!(satisfied_from(&recipe, &data, salt, 1, honest, &z));
    for j in 0..=recipe.features {
        let mut forged = honest.clone();
        if j < recipe.features {
            forged.weights.w[j] += 1;
        } else {
            forged.weights.b -= 1;
        }
        assert!(
            !satisfied_from(&recipe, &data, salt, 1, &forged, &z),
            "value {j} moved by one"
        );
    }
    // A carry between packed weights opens nothing either: C_W hashes the
    // packed elements, but the bits are range-checked, so no other weights
    // give the same elements.
    let mut carried = honest.clone();
    carried.weights.w[0] += 1 << recipe.format.weight_bits();
    carried.weights.w[1] -= 1;
    assert!(!satisfied_from(&recipe, &data, salt, 1, &carried, &z));
    // Another salt: the prover cannot open C_W without the salt it chose.
    let mut resalted = honest.clone();
    resalted.weights_salt = Some(Salt(Scalar::from(WEIGHTS_SALT + 1)));
    assert!(!satisfied_from(&recipe, &data, salt, 1, &resalted, &z));
    // The same test by tampering: another salt variable, another bit.
    let (recipe_t, data_t, salt_t, c_t) = committed_toy();
    let states_t = honest_states(&recipe_t, &data_t, &salt_t, c_t);
    let tamper = |path: &str, v: Scalar| {
        let mut cs = TamperCs::with(&[(path, v)]);
        synth(
            &mut cs,
            &circuit(
                &recipe_t,
                &states_t[1],
                batches(&recipe_t, &data_t, 1),
                salt_t,
            ),
            &states_t[1].to_z(&recipe_t).unwrap(),
        );
        cs.assert_all_used();
        cs.is_satisfied()
    };
    assert!(!tamper("step/weights salt/num", n(5)));
    assert!(
        !tamper("step/unpack weights/w1/bit 0/boolean", n(0))
            || !tamper("step/unpack weights/w1/bit 0/boolean", n(1))
    );
    assert!(!tamper("step/unpack weights/first step/out/num", n(1)));
}

#[test]
fn soundness_committed_weights_start_from_zero() {
    // Before the first step z_0 holds C_W = 0 and zero counters: the
    // circuit starts from zero weights whatever the prover holds, and
    // whatever C_W z_0 were given.
    let (recipe, data, salt, c) = committed_toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let z0 = states[0].to_z(&recipe).unwrap();
    assert!(satisfied_from(&recipe, &data, salt, 0, &states[0], &z0));
    let mut head_start = states[0].clone();
    head_start.weights.w[2] = 1 << 10;
    assert!(!satisfied_from(&recipe, &data, salt, 0, &head_start, &z0));
    // Even with a C_W that these weights do open in z_0.
    let mut z = z0.clone();
    let layout = StateLayout::of(&recipe);
    z[layout.model.start] = ModelCommitment::of(
        &BoundedWeights::new(head_start.weights.clone(), &recipe.format).unwrap(),
        &head_start.weights_salt.unwrap(),
    )
    .0;
    assert!(!satisfied_from(&recipe, &data, salt, 0, &head_start, &z));
    // Nor can a later step pretend to be the first (to skip the opening):
    // the counters are the state's, and a prover's zero weights do not open
    // the honest C_W.
    let mut restart = states[1].clone();
    restart.weights = Weights::zero(recipe.features);
    assert!(!satisfied_from(
        &recipe,
        &data,
        salt,
        1,
        &restart,
        &states[1].to_z(&recipe).unwrap()
    ));
}

#[test]
fn soundness_commitments_cannot_be_swapped() {
    // The training and test commitments swapped in z: the epoch's seal is
    // checked against the training commitment's place, so the step that
    // ends the epoch fails; another model's C_W fails its opening.
    let (recipe, data, salt, c) = committed_toy();
    let states = honest_states(&recipe, &data, &salt, c);
    let layout = StateLayout::of(&recipe);
    let step = LAST;
    let honest_z = states[step].to_z(&recipe).unwrap();
    assert!(satisfied_from(
        &recipe,
        &data,
        salt,
        step,
        &states[step],
        &honest_z
    ));
    let mut swapped = honest_z.clone();
    swapped.swap(layout.commitment, layout.test_commitment);
    let mut swapped_state = states[step].clone();
    std::mem::swap(
        &mut swapped_state.commitment,
        &mut swapped_state.test_commitment,
    );
    assert!(!satisfied_from(
        &recipe,
        &data,
        salt,
        step,
        &swapped_state,
        &swapped
    ));
    // Another model's C_W: the same recipe trained on other rows.
    let mut other_data = data.clone();
    other_data.labels.iter_mut().for_each(|y| *y ^= 1);
    let other_states = honest_states(
        &recipe,
        &other_data,
        &salt,
        commit(&other_data, &recipe.format, salt),
    );
    let mut foreign = honest_z.clone();
    foreign[layout.model.start] = other_states[step].to_z(&recipe).unwrap()[layout.model.start];
    assert_ne!(foreign, honest_z);
    assert!(!satisfied_from(
        &recipe,
        &data,
        salt,
        step,
        &states[step],
        &foreign
    ));
    // The test commitment passes through unchanged: the outputs carry it.
    let mut cs = TamperCs::honest();
    let out = synth(
        &mut cs,
        &circuit(&recipe, &states[0], batches(&recipe, &data, 0), salt),
        &states[0].to_z(&recipe).unwrap(),
    );
    assert_eq!(out[layout.test_commitment], Scalar::from(TEST_C));
}

#[test]
fn an_l2_penalty_is_proven_as_the_native_trainer_applies_it() {
    // Issue 35: with --l2 every weight (not the bias) also shrinks by
    // `l2_step w / 2^(F+Fx)` each batch. The circuit agrees with the native
    // trainer over a whole run, and a step whose new weights leave the
    // penalty out (the unpenalized recipe's witness) is refused.
    let (base, data, salt, c) = toy_in(16, 1, 20, WeightsVisibility::Public);
    let recipe = Arc::new(base.altered(|f| f.l2 = 0.05).unwrap());
    assert!(recipe.l2_step() > 0 && recipe.tag() != base.tag());
    let states = agreeing_states(&recipe, &data, salt, c);
    let last = states.last().unwrap();
    let plain = train::train_fixed(&base, &data).unwrap();
    assert_ne!(last.weights.w, plain.w, "the penalty changed the weights");
    // The second step (the weights are no longer zero, so the penalty
    // bites): the witness of the unpenalized recipe under the L2 circuit.
    let from = &states[1];
    let unpenalized = TrainStep {
        recipe: recipe.clone(),
        witness: Arc::new(StepWitness::new(
            &base,
            from.clone(),
            batches(&recipe, &data, 1),
            salt,
        )),
    };
    let honest = circuit(&recipe, from, batches(&recipe, &data, 1), salt);
    assert_ne!(
        unpenalized.witness.traces[0].next,
        honest.witness.traces[0].next
    );
    let mut cs = TamperCs::honest();
    synth(&mut cs, &unpenalized, &from.to_z(&recipe).unwrap());
    assert!(!cs.is_satisfied(), "the penalty left out of an update");
    // Limits: a penalty that rounds to zero, or shrinks past zero in one
    // step, is refused with what to do.
    let e = base.altered(|f| f.l2 = 1e-12).unwrap_err().to_string();
    assert!(e.contains("rounds to zero") && e.contains("--l2"), "{e}");
    let e = base.altered(|f| f.l2 = 3.0).unwrap_err().to_string();
    assert!(e.contains("at most 1"), "{e}");
    assert!(base.altered(|f| f.l2 = -0.1).is_err());
    assert!(base.altered(|f| f.l2 = f64::NAN).is_err());
}

#[test]
fn class_weights_are_proven_as_the_native_trainer_applies_them() {
    // Issue 35: with class weights each row's error is `c_y (s - y 2^F)`
    // and the update truncates by `2^(F+Fx+Fc)`. The circuit agrees with
    // the native trainer over a whole run (also with an L2 penalty); the
    // unweighted witness, and one with the two classes' weights swapped,
    // are refused under the weighted circuit.
    let (base, data, salt, c) = toy_in(16, 1, 20, WeightsVisibility::Public);
    let weighted = |w: [f64; 2]| Arc::new(base.altered(|f| f.class_weights = Some(w)).unwrap());
    let recipe = weighted([0.5, 3.0]);
    assert_eq!(recipe.class_scale(), (128, 768, 8));
    assert_ne!(recipe.tag(), base.tag());
    let states = agreeing_states(&recipe, &data, salt, c);
    let plain = train::train_fixed(&base, &data).unwrap();
    assert_ne!(
        states.last().unwrap().weights,
        plain,
        "the weights changed the run"
    );
    let both = Arc::new(recipe.altered(|f| f.l2 = 0.05).unwrap());
    agreeing_states(&both, &data, salt, c);
    // The third step (the second epoch's first batch: both classes, with
    // errors that are not zero) under the weighted circuit, with the
    // witness of another recipe: unweighted, and the weights swapped.
    let from = &states[2];
    let honest = circuit(&recipe, from, batches(&recipe, &data, 2), salt);
    for other in [base.clone(), weighted([3.0, 0.5])] {
        let forged = TrainStep {
            recipe: recipe.clone(),
            witness: Arc::new(StepWitness::new(
                &other,
                from.clone(),
                batches(&recipe, &data, 2),
                salt,
            )),
        };
        assert_ne!(forged.witness.traces[0].next, honest.witness.traces[0].next);
        let mut cs = TamperCs::honest();
        synth(&mut cs, &forged, &from.to_z(&recipe).unwrap());
        assert!(!cs.is_satisfied(), "another recipe's class weights");
    }
    // Limits: zero, negative, beyond 256 or not a multiple of 2^-8 refused
    // by name; weights that round to 1 and 1 are no weighting.
    for bad in [
        [0.0, 1.0],
        [1.0, -2.0],
        [1.0, 300.0],
        [0.3, 1.0],
        [f64::NAN, 1.0],
    ] {
        let e = base
            .altered(|f| f.class_weights = Some(bad))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--class-weight"), "{e}");
    }
    use crate::recipe::ClassWeight;
    assert_eq!(ClassWeight::Given([1.0, 1.001]).resolve(&[]).unwrap(), None);
    assert_eq!(
        ClassWeight::Given([0.3, 2.0]).resolve(&[]).unwrap(),
        Some([77.0 / 256.0, 2.0])
    );
    // Balanced: n / (2 n_c), as scikit-learn's.
    let labels = [1, 0, 0, 0, 0, 0, 0, 1];
    assert_eq!(
        ClassWeight::Balanced.resolve(&labels).unwrap(),
        Some([171.0 / 256.0, 2.0]) // 8 / 12 = 0.667 is 170.67 / 256
    );
    assert!(ClassWeight::Balanced.resolve(&[1, 1]).is_err());
    assert_eq!(
        "balanced".parse::<ClassWeight>().unwrap(),
        ClassWeight::Balanced
    );
    assert_eq!(
        "0.5,2".parse::<ClassWeight>().unwrap(),
        ClassWeight::Given([0.5, 2.0])
    );
    assert!("1".parse::<ClassWeight>().is_err());
}
