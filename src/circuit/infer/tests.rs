//! Inference circuit tests: agreement with the native twin over whole runs
//! and the soundness checklist for evaluation and predictions: a miscounted
//! row, a flipped decision, a row of another split, another model's `C_W`,
//! each a consistent wrong witness or a tampered variable that must fail.

use super::*;
use crate::circuit::testing::{Record, RecordCs, TamperCs};
use crate::commitment::SplitOpening;
use crate::dataset::FixedDataset;
use crate::train::BoundedWeights;

/// 20 rows of 3 features (labels by the first feature, not all
/// separable), evaluated 16 rows a step: the last step has 4 rows, a
/// block of padding rows and a block of padding only.
fn data(n: usize, shift: i64) -> FixedDataset {
    let fmt = FixedFormat::default();
    let one = fmt.feature_one();
    let half = fmt.feature_half_range();
    let rows = (0..n as i64)
        .map(|i| {
            vec![
                (i - 10 + shift) * one / 4,
                (i % 3 - 1) * one / 3,
                if i == 7 { half - 1 } else { -half + i },
            ]
        })
        .collect();
    let labels = (0..n).map(|i| u8::from(i >= 10 || i % 7 == 3)).collect();
    FixedDataset { rows, labels }
}

fn model() -> Weights {
    Weights {
        w: vec![70_000, -12_000, 300],
        b: -5_000,
    }
}

const SALT: u64 = 1_234_567;
const WEIGHTS_SALT: u64 = 777;

fn spec(task: Task, weights: WeightsVisibility, rows: usize) -> Arc<InferSpec> {
    Arc::new(InferSpec::new(task, 3, FixedFormat::default(), weights, rows, Some(16)).unwrap())
}

/// The protected attribute of the group tests: three groups.
fn group_column() -> GroupColumn {
    GroupColumn {
        name: "g".into(),
        rule: crate::group::GroupRule::Values {
            column: "g".into(),
            values: vec![0, 65_536, 131_072],
        },
        labels: vec!["g=0".into(), "g=1".into(), "g=2".into()],
    }
}

/// Row `i`'s group in the group tests.
fn group_codes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 3) as u8).collect()
}

const GROUP_SALT: u64 = 8_675_309;

/// An evaluation of the test split counted by the groups of
/// [`group_column`].
fn grouped_spec(weights: WeightsVisibility, rows: usize) -> Arc<InferSpec> {
    let plain = spec(Task::Evaluate(Split::Test), weights, rows);
    Arc::new(
        (*plain)
            .clone()
            .with_group(group_column(), Some(16))
            .unwrap(),
    )
}

/// `C_G` of `data` under `spec`'s attribute, rows grouped by `codes`.
fn group_commitment(spec: &InferSpec, data: &FixedDataset, codes: &[u8]) -> Commitment {
    let column = spec.group.clone().unwrap();
    crate::group::GroupOpening::commit(column, codes, &data.labels, Salt(Scalar::from(GROUP_SALT)))
        .commitment
}

/// The normalizer of the raw-input tests: a spread column, a constant
/// one (`sigma = 0`) and one of tiny spread (values clamp).
fn raw_normalizer() -> Normalizer {
    Normalizer::from_fixed(vec![3 * 65_536, -20_000, 1 << 40], vec![2 * 65_536, 0, 5]).unwrap()
}

/// The salt of the raw-input tests' `C_N`.
const NORMALIZER_SALT: u64 = 4_242;

/// What `z` carries of normalizer `n` under `spec`: its values, or `C_N`.
fn raw_claim(spec: &InferSpec, n: &Normalizer) -> NormalizerClaim {
    if spec.private_normalizer {
        NormalizerClaim::Committed(NormalizerCommitment::of(
            n,
            &Salt(Scalar::from(NORMALIZER_SALT)),
        ))
    } else {
        NormalizerClaim::Public(n.clone())
    }
}

/// Raw rows for those tests: values around each mean, and far out.
fn raw_rows(n: usize) -> FixedDataset {
    let rows = (0..n as i64)
        .map(|i| {
            vec![
                3 * 65_536 + (i - 6) * 40_000,
                -20_000 + (i % 3 - 1) * 65_536,
                (1 << 40) + (i % 5 - 2) * 3,
            ]
        })
        .collect();
    FixedDataset {
        rows,
        labels: vec![0; n],
    }
}

fn model_part(spec: &InferSpec, w: &Weights) -> ModelPart {
    let bounded = BoundedWeights::new(w.clone(), &spec.format).unwrap();
    match spec.weights {
        WeightsVisibility::Public => ModelPart::Weights(bounded),
        WeightsVisibility::Committed => ModelPart::Committed(ModelCommitment::of(
            &bounded,
            &Salt(Scalar::from(WEIGHTS_SALT)),
        )),
    }
}

/// The honest witnesses and states of a whole run of `spec` on `data`.
struct Run {
    states: Vec<InferState>,
    witnesses: Vec<InferWitness>,
}

fn run(spec: Arc<InferSpec>, data: &FixedDataset, w: &Weights) -> Run {
    let salt = Salt(Scalar::from(SALT));
    let commitment = match spec.task {
        Task::Evaluate(split) => {
            Some(SplitOpening::commit(split, data, &spec.format, salt).commitment)
        }
        Task::Predict => None,
    };
    let weights_salt =
        (spec.weights == WeightsVisibility::Committed).then_some(Salt(Scalar::from(WEIGHTS_SALT)));
    let labels: &[u8] = match spec.task {
        Task::Evaluate(_) => &data.labels,
        Task::Predict => &[],
    };
    let normalizer = spec.raw_inputs.then(raw_normalizer);
    let codes = group_codes(data.len());
    let mut states = vec![InferState::initial(
        &spec,
        model_part(&spec, w),
        normalizer.as_ref().map(|n| raw_claim(&spec, n)),
        commitment,
        spec.group
            .as_ref()
            .map(|_| group_commitment(&spec, data, &codes)),
    )];
    let mut witnesses = Vec::new();
    for step in 0..spec.steps() {
        let wit = InferWitness {
            normalizer: normalizer.clone(),
            normalizer_salt: Salt(Scalar::from(NORMALIZER_SALT)),
            ..InferWitness::of(&spec, w, weights_salt, (&data.rows, labels), step, salt)
        };
        let wit = match spec.group {
            Some(_) => wit.with_groups(&spec, &codes, step, Salt(Scalar::from(GROUP_SALT))),
            None => wit,
        };
        let next = next_state(&spec, states.last().unwrap(), &wit, spec.rows).unwrap();
        states.push(next);
        witnesses.push(wit);
    }
    Run { states, witnesses }
}

/// Synthesizes step `step` of `run` from `z` into `cs`; the outputs.
fn synth_into<C: ConstraintSystem<Scalar>>(
    cs: &mut C,
    spec: &Arc<InferSpec>,
    wit: &InferWitness,
    z: &[Scalar],
) -> Vec<Scalar> {
    let vars: Vec<AllocatedNum<Scalar>> = z
        .iter()
        .enumerate()
        .map(|(i, v)| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(*v)).unwrap())
        .collect();
    let circuit = InferStep {
        spec: spec.clone(),
        witness: Arc::new(wit.clone()),
    };
    circuit
        .synthesize(&mut cs.namespace(|| "step"), &vars)
        .unwrap()
        .iter()
        .map(|o| o.get_value().unwrap())
        .collect()
}

/// Whether step `step` is satisfied with `wit` from `z`, with `overrides`;
/// and its outputs.
fn satisfied(
    spec: &Arc<InferSpec>,
    wit: &InferWitness,
    z: &[Scalar],
    overrides: &[(&str, Scalar)],
) -> (bool, Vec<Scalar>) {
    let mut cs = TamperCs::with(overrides);
    let out = synth_into(&mut cs, spec, wit, z);
    cs.assert_all_used();
    (cs.is_satisfied(), out)
}

fn all_specs() -> Vec<Arc<InferSpec>> {
    let mut specs = Vec::new();
    for w in [WeightsVisibility::Public, WeightsVisibility::Committed] {
        specs.push(spec(Task::Evaluate(Split::Test), w, 20));
        specs.push(spec(Task::Predict, w, 20));
    }
    for w in [WeightsVisibility::Public, WeightsVisibility::Committed] {
        specs.push(grouped_spec(w, 20));
    }
    specs
}

#[test]
fn circuit_agrees_with_native_twin_over_whole_runs() {
    let d = data(20, 0);
    for spec in all_specs() {
        let r = run(spec.clone(), &d, &model());
        assert_eq!(r.witnesses.len(), 2);
        for (step, wit) in r.witnesses.iter().enumerate() {
            let (ok, out) = satisfied(&spec, wit, &r.states[step].to_z(&spec), &[]);
            assert!(ok, "{} step {step}", spec.summary());
            assert_eq!(out, r.states[step + 1].to_z(&spec), "{}", spec.summary());
        }
        let last = r.states.last().unwrap();
        match spec.task {
            Task::Evaluate(_) => {
                let native =
                    crate::train::confusion_fixed(&model(), &d, spec.format.feature_frac_bits);
                assert_eq!(last.counts, Some(native));
                assert!(native.tp > 0 && native.fp + native.fn_ > 0 && native.tn > 0);
                assert_eq!(last.hash, Scalar::ZERO);
                if let Some(g) = &last.group {
                    // Each row counted in its own group, natively.
                    let codes = group_codes(d.len());
                    let mut want = vec![crate::train::Confusion::default(); 3];
                    for (i, (row, &y)) in d.rows.iter().zip(&d.labels).enumerate() {
                        let p = Prediction::of(&model(), row, &spec.format);
                        want[codes[i] as usize].add(p.decision, y == 1);
                    }
                    assert_eq!(g.counts, want);
                    assert!(g.counts.iter().all(|c| c.total() > 0));
                    assert_eq!(g.hash, Scalar::ZERO);
                }
            }
            Task::Predict => {
                let predictions: Vec<Prediction> = (d.rows.iter())
                    .map(|r| Prediction::of(&model(), r, &spec.format))
                    .collect();
                let outputs = Outputs::published(&spec, &predictions);
                assert_eq!(
                    Some(last.hash),
                    predict_chain(&spec, &d.rows, &outputs),
                    "the verifier's native chain is the circuit's"
                );
            }
        }
    }
}

#[test]
fn soundness_a_miscounted_row_fails() {
    // The outgoing counts are what the circuit computes: a step that claims
    // one more TP (or moves a row from TN to FN) is refused.
    let d = data(20, 0);
    for w in [WeightsVisibility::Public, WeightsVisibility::Committed] {
        let spec = spec(Task::Evaluate(Split::Test), w, 20);
        let r = run(spec.clone(), &d, &model());
        let z = r.states[0].to_z(&spec);
        for k in 0..4 {
            let path = format!("step/count {k} out/value/num");
            let (_, honest) = satisfied(&spec, &r.witnesses[0], &z, &[]);
            let i = spec.layout().counts.unwrap() + k;
            let (ok, _) = satisfied(
                &spec,
                &r.witnesses[0],
                &z,
                &[(&path, honest[i] + Scalar::ONE)],
            );
            assert!(!ok, "count {k} + 1 accepted");
        }
    }
}

#[test]
fn soundness_a_flipped_decision_fails() {
    // The decision is the sign bit of the range-checked logit: flipping
    // that bit (the logit moves by 2^(k-1), out of its recomposition) fails
    // in evaluation and in predictions.
    let d = data(20, 0);
    for spec in all_specs() {
        let r = run(spec.clone(), &d, &model());
        let z = r.states[0].to_z(&spec);
        let k = spec.logit_bits();
        for row in [0, 12] {
            let path = format!("step/row {row}/logit/bit {}/boolean", k - 1);
            let honest = {
                let p = Prediction::of(&model(), &d.rows[row], &spec.format);
                Scalar::from(u64::from(p.decision))
            };
            let (ok, _) = satisfied(&spec, &r.witnesses[0], &z, &[(&path, Scalar::ONE - honest)]);
            assert!(!ok, "{}: row {row}'s decision flipped", spec.summary());
        }
    }
}

#[test]
fn soundness_rows_of_another_split_or_order_fail() {
    // Consistent wrong witnesses: the counts and chain follow the rows the
    // prover chose, but the last step's seal must open the commitment.
    let spec = spec(Task::Evaluate(Split::Test), WeightsVisibility::Public, 20);
    let honest = data(20, 0);
    let commitment =
        SplitOpening::commit(Split::Test, &honest, &spec.format, Salt(Scalar::from(SALT)))
            .commitment;
    let mut swapped = honest.clone();
    swapped.rows.swap(3, 4);
    swapped.labels.swap(3, 4);
    let mut relabelled = honest.clone();
    relabelled.labels[5] ^= 1;
    // The same rows committed as the training split: another seal domain.
    let train_c = SplitOpening::commit(
        Split::Train,
        &honest,
        &spec.format,
        Salt(Scalar::from(SALT)),
    )
    .commitment;
    let cases: [(&str, FixedDataset, Commitment); 4] = [
        ("other rows", data(20, 1), commitment),
        ("two rows swapped", swapped, commitment),
        ("a label flipped", relabelled, commitment),
        (
            "the training commitment of the same rows",
            honest.clone(),
            train_c,
        ),
    ];
    for (name, rows, c) in cases {
        let mut state =
            InferState::initial(&spec, model_part(&spec, &model()), None, Some(c), None);
        let mut all_ok = true;
        for step in 0..spec.steps() {
            let wit = InferWitness::of(
                &spec,
                &model(),
                None,
                (&rows.rows, &rows.labels),
                step,
                Salt(Scalar::from(SALT)),
            );
            let (ok, out) = satisfied(&spec, &wit, &state.to_z(&spec), &[]);
            all_ok &= ok;
            state = InferState::from_z(&out, &spec).unwrap();
        }
        assert!(!all_ok, "{name}: accepted");
    }
}

#[test]
fn soundness_another_models_c_w_fails() {
    // The step opens C_W with the weights it evaluates: another model's
    // weights (or the right weights under another salt) do not open it.
    let d = data(20, 0);
    for task in [Task::Evaluate(Split::Test), Task::Predict] {
        let spec = spec(task, WeightsVisibility::Committed, 20);
        let r = run(spec.clone(), &d, &model());
        let z = r.states[0].to_z(&spec);
        let mut other = r.witnesses[0].clone();
        other.weights.w[1] += 1;
        assert!(!satisfied(&spec, &other, &z, &[]).0, "other weights");
        let mut other = r.witnesses[0].clone();
        other.weights_salt = Some(Salt(Scalar::from(WEIGHTS_SALT + 1)));
        assert!(!satisfied(&spec, &other, &z, &[]).0, "other salt");
        assert!(satisfied(&spec, &r.witnesses[0], &z, &[]).0);
    }
}

#[test]
fn soundness_public_weights_are_the_states() {
    let d = data(20, 0);
    for task in [Task::Evaluate(Split::Test), Task::Predict] {
        let spec = spec(task, WeightsVisibility::Public, 20);
        let r = run(spec.clone(), &d, &model());
        let z = r.states[0].to_z(&spec);
        let mut other = r.witnesses[0].clone();
        other.weights.b += 1;
        assert!(!satisfied(&spec, &other, &z, &[]).0, "other bias");
    }
}

#[test]
fn soundness_padding_is_masked_by_the_counter() {
    // The last step's rows past the real ones count for nothing, and their
    // mask comes from the step counter: claiming the last step is not the
    // last (step counter 0 in z) makes the padding count and skips the seal,
    // which the verifier's final state (step = S, counts = n rows) refuses;
    // inside the circuit the mask itself cannot be changed.
    let d = data(20, 0);
    let spec = spec(Task::Evaluate(Split::Test), WeightsVisibility::Public, 20);
    let r = run(spec.clone(), &d, &model());
    let z = r.states[1].to_z(&spec);
    let (ok, _) = satisfied(
        &spec,
        &r.witnesses[1],
        &z,
        &[("step/is last step/out/num", Scalar::ZERO)],
    );
    assert!(!ok, "is_last forced to 0");
}

#[test]
fn no_free_witness_in_either_circuit() {
    // SOUNDNESS 7 for the inference circuits: every variable of every step,
    // changed alone, breaks a constraint, except the allow-list: the split's
    // salt before the last step, the inputs of rows in a block of padding
    // only, and the is_zero inverse where its argument is zero.
    const FREE_BY_DESIGN: &[&str] = &["/salt/num", "/inv/num"];
    let d = data(20, 0);
    let mut scanned = 0;
    for spec in all_specs() {
        let r = run(spec.clone(), &d, &model());
        for (step, wit) in r.witnesses.iter().enumerate() {
            let mut cs = RecordCs::new(Record::default());
            synth_into(&mut cs, &spec, wit, &r.states[step].to_z(&spec));
            assert_eq!(cs.sink.first_unsatisfied(), None);
            scanned += cs.sink.count_under("step/");
            let last_padding_block = |p: &str| {
                step + 1 == spec.steps()
                    && (8..16).any(|i| p.starts_with(&format!("step/row {i}/")))
            };
            for path in cs.sink.free_variables(|p| p.starts_with("step/")) {
                let allowed =
                    FREE_BY_DESIGN.iter().any(|s| path.ends_with(s)) || last_padding_block(&path);
                assert!(allowed, "{}: step {step}: {path} is free", spec.summary());
                if path.ends_with("/salt/num") {
                    assert!(step + 1 < spec.steps(), "the salt is free at the seal");
                }
            }
        }
    }
    assert!(scanned > 2_000, "scanned only {scanned}");
}

/// `n` rows of `features` features that reach both ends of the range
/// (every fifth value the lowest, the next the highest) and labels of both
/// kinds, the same on every run.
fn data_of(n: usize, features: usize) -> FixedDataset {
    let half = FixedFormat::default().feature_half_range();
    let rows = (0..n as i64)
        .map(|i| {
            (0..features as i64)
                .map(|j| match (i + j) % 5 {
                    0 => -half,
                    1 => half - 1,
                    _ => (i * 37 + j * 11) % (2 * half) - half,
                })
                .collect()
        })
        .collect();
    let labels = (0..n).map(|i| u8::from(i % 3 != 1)).collect();
    FixedDataset { rows, labels }
}

/// A model of `features` weights of both signs, some near the range's ends.
fn model_of(features: usize) -> Weights {
    let half = FixedFormat::default().weight_half_range();
    Weights {
        w: (0..features as i64)
            .map(|j| match j % 3 {
                0 => 50_000 + j,
                1 => -half + 1 + j,
                _ => half - 1 - j,
            })
            .collect(),
        b: -3_000,
    }
}

#[test]
fn committed_predictions_hash_the_decisions_only() {
    // Issue 29, row 2: with committed weights a row's exact logit, public,
    // gives back the weights (d + 1 chosen rows suffice). The chain the
    // circuit computes must take each row's decision bit and nothing else
    // of its output: recomputed here from the primitives (feature bits
    // packed, then one element a row, the decision; 0 for padding), not
    // from `predict_chain`.
    let d = data(20, 0);
    let spec = spec(Task::Predict, WeightsVisibility::Committed, 20);
    let r = run(spec.clone(), &d, &model());
    let mut z = r.states[0].to_z(&spec);
    for wit in &r.witnesses {
        let (ok, out) = satisfied(&spec, wit, &z, &[]);
        assert!(ok);
        z = out;
    }
    let circuit_hash = z[spec.layout().hash];
    let expected = |flip: Option<usize>| {
        let mut rows = d.rows.clone();
        let mut decisions: Vec<u64> = (d.rows.iter())
            .map(|r| {
                u64::from(crate::train::logit(&model(), r, spec.format.feature_frac_bits) >= 0)
            })
            .collect();
        if let Some(i) = flip {
            decisions[i] ^= 1;
        }
        rows.resize(24, vec![0; 3]);
        decisions.resize(24, 0);
        let mut h = Scalar::ZERO;
        for (block, outs) in rows.chunks(BLOCK_ROWS).zip(decisions.chunks(BLOCK_ROWS)) {
            let bits: Vec<bool> = block
                .iter()
                .flat_map(|r| commitment::row_bits(r, 0, &spec.format).split_off(1))
                .collect();
            let mut inputs = vec![h];
            inputs.extend(commitment::pack_bits(&bits));
            inputs.extend(outs.iter().map(|&o| Scalar::from(o)));
            h = commitment::poseidon(PREDICT_DOMAIN, &inputs);
        }
        h
    };
    assert_eq!(
        circuit_hash,
        expected(None),
        "the chain takes more than the decisions"
    );
    assert_ne!(circuit_hash, expected(Some(3)), "a forged decision");
    // The decision is still bound: the row's output replaced by the other
    // bit breaks a constraint.
    let z0 = r.states[0].to_z(&spec);
    let honest = u64::from(Prediction::of(&model(), &d.rows[3], &spec.format).decision);
    let (ok, _) = satisfied(
        &spec,
        &r.witnesses[0],
        &z0,
        &[("step/row 3/output/value/num", Scalar::from(1 - honest))],
    );
    assert!(!ok, "a forged decision satisfies the circuit");
}

/// The shapes the free-witness scan covers: 2 and 5 features; 3, 8, 11,
/// 16, 21 and 24 rows; 8 and 16 rows a step where the spec allows it (16
/// needs more than 8 rows); evaluation on both splits and predictions;
/// public and committed weights. Rows that are not a multiple of the rows a
/// step put padding rows beside real ones in a block (3, 11, 21) or a block
/// of padding only in the last step (21 and 24 at 16 a step).
fn scanned_shapes() -> Vec<Arc<InferSpec>> {
    let mut specs = Vec::new();
    for features in [2, 5] {
        for rows in [3, 8, 11, 16, 21, 24] {
            for rows_per_step in [8, 16] {
                for task in [
                    Task::Evaluate(Split::Train),
                    Task::Evaluate(Split::Test),
                    Task::Predict,
                ] {
                    for weights in [WeightsVisibility::Public, WeightsVisibility::Committed] {
                        let spec = InferSpec::new(
                            task,
                            features,
                            FixedFormat::default(),
                            weights,
                            rows,
                            Some(rows_per_step),
                        );
                        if let Ok(spec) = spec {
                            specs.push(Arc::new(spec));
                        }
                    }
                }
            }
        }
    }
    specs
}

#[test]
fn no_free_witness_over_many_shapes() {
    // SOUNDNESS 7 over the shapes of `scanned_shapes`: every variable of
    // every step of an honest run, changed alone, breaks a constraint,
    // except the split's salt before the last step, `is_zero` inverses
    // where their argument is zero, and the inputs of the rows of a block
    // of padding only (the chain skips it and the counts mask it).
    let specs = scanned_shapes();
    assert_eq!(specs.len(), 2 * (6 + 4) * 3 * 2, "a shape was refused");
    let mut scanned = 0;
    let mut padding_only_blocks = 0;
    for spec in &specs {
        let d = data_of(spec.rows, spec.features);
        let w = model_of(spec.features);
        let r = run(spec.clone(), &d, &w);
        for (step, wit) in r.witnesses.iter().enumerate() {
            let mut cs = RecordCs::new(Record::default());
            let out = synth_into(&mut cs, spec, wit, &r.states[step].to_z(spec));
            assert_eq!(
                cs.sink.first_unsatisfied(),
                None,
                "{}: step {step}",
                spec.summary()
            );
            assert_eq!(out, r.states[step + 1].to_z(spec), "{}", spec.summary());
            let last = step + 1 == spec.steps();
            // The first row of the last step's first block of padding only.
            let padding_from = last.then(|| spec.last_step_rows().next_multiple_of(BLOCK_ROWS));
            if padding_from.is_some_and(|p| p < spec.rows_per_step) {
                padding_only_blocks += 1;
            }
            let in_padding_only_block = |p: &str| {
                padding_from.is_some_and(|from| {
                    (from..spec.rows_per_step).any(|i| p.starts_with(&format!("step/row {i}/")))
                })
            };
            scanned += cs.sink.count_under("step/");
            for path in cs.sink.free_variables(|p| p.starts_with("step/")) {
                let allowed = path.ends_with("/inv/num")
                    || (path == "step/salt/num" && !last)
                    || in_padding_only_block(&path);
                assert!(allowed, "{}: step {step}: {path} is free", spec.summary());
            }
        }
    }
    assert!(padding_only_blocks >= 4, "no block of padding only scanned");
    assert!(scanned > 100_000, "scanned only {scanned}");
}

#[test]
fn spec_limits_are_refused_with_advice() {
    let fmt = FixedFormat::default();
    // A raw step normalizes at most 8,192 values (a hostile bundle's spec
    // bounds the verifier's setup): 16 rows of 1,024 features is refused,
    // 8 rows of them (and the same step of quantized inputs) is not.
    let w = WeightsVisibility::Committed;
    let e = InferSpec::raw_predictions(1024, fmt, w, 16, Some(16), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("8192") && e.contains("--rows-per-step"), "{e}");
    assert!(InferSpec::raw_predictions(1024, fmt, w, 16, Some(8), false).is_ok());
    assert!(InferSpec::new(Task::Predict, 1024, fmt, w, 16, Some(16)).is_ok());
    // Chosen by the budget, a raw spec stays within it.
    let auto = InferSpec::raw_predictions(1024, fmt, w, 4096, None, false).unwrap();
    assert_eq!(auto.rows_per_step, 8);
    let e = InferSpec::new(
        Task::Predict,
        3,
        fmt,
        WeightsVisibility::Public,
        5,
        Some(24),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--rows-per-step 8"), "{e}");
    assert!(InferSpec::new(Task::Predict, 3, fmt, WeightsVisibility::Public, 5, Some(8)).is_ok());
    assert!(InferSpec::new(Task::Predict, 3, fmt, WeightsVisibility::Public, 0, None).is_err());
    assert!(InferSpec::new(
        Task::Predict,
        3,
        fmt,
        WeightsVisibility::Public,
        9,
        Some(12)
    )
    .is_err());
    let auto = InferSpec::new(
        Task::Evaluate(Split::Test),
        3,
        fmt,
        WeightsVisibility::Public,
        5,
        None,
    )
    .unwrap();
    assert_eq!(auto.rows_per_step, 8);
}

#[test]
fn pinned_constraint_counts() {
    // SOUNDNESS 15 for the inference circuits: any change to a circuit
    // changes its number. Evaluation and predictions of 3 features, 16 rows
    // a step, with public and with committed weights.
    let d = data(20, 0);
    let counts: Vec<(String, usize)> = all_specs()
        .into_iter()
        .map(|spec| {
            let r = run(spec.clone(), &d, &model());
            let mut cs = TamperCs::honest();
            synth_into(&mut cs, &spec, &r.witnesses[0], &r.states[0].to_z(&spec));
            (spec.summary(), cs.num_constraints())
        })
        .collect();
    let pinned: Vec<usize> = counts.iter().map(|c| c.1).collect();
    assert_eq!(pinned, PINNED_INFER_CONSTRAINTS, "{counts:?}");
}

/// Constraints of one step of evaluation (test split) and predictions, with
/// public then committed weights, then evaluation by three groups with
/// public and committed weights (2,675 more: the one-hot groups, their
/// counts, the group chain's two blocks and its seal), in the order of
/// `all_specs`.
const PINNED_INFER_CONSTRAINTS: [usize; 6] = [3471, 2645, 3860, 3034, 6146, 6535];

/// Predictions on raw values, with public and committed weights, and with
/// committed weights under a private normalizer.
fn raw_specs() -> Vec<Arc<InferSpec>> {
    [
        (WeightsVisibility::Public, false),
        (WeightsVisibility::Committed, false),
        (WeightsVisibility::Committed, true),
    ]
    .into_iter()
    .map(|(w, private)| {
        Arc::new(
            InferSpec::raw_predictions(3, FixedFormat::default(), w, 20, Some(16), private)
                .unwrap(),
        )
    })
    .collect()
}

#[test]
fn raw_predictions_quantize_in_the_circuit_as_the_rule_does() {
    let d = raw_rows(20);
    let n = raw_normalizer();
    for spec in raw_specs() {
        let r = run(spec.clone(), &d, &model());
        for (step, wit) in r.witnesses.iter().enumerate() {
            let (ok, out) = satisfied(&spec, wit, &r.states[step].to_z(&spec), &[]);
            assert!(ok, "{} step {step}", spec.summary());
            assert_eq!(out, r.states[step + 1].to_z(&spec));
        }
        // The decisions are the model's on the rows the rule quantizes,
        // and the verifier's chain over the raw rows is the circuit's.
        let predictions: Vec<Prediction> = (d.rows.iter())
            .map(|row| Prediction::of(&model(), &n.quantize_row(row, &spec.format), &spec.format))
            .collect();
        let outputs = Outputs::published(&spec, &predictions);
        let last = r.states.last().unwrap();
        assert_eq!(Some(last.hash), predict_chain(&spec, &d.rows, &outputs));
        assert_eq!(last.normalizer, Some(raw_claim(&spec, &n)));
        let decisions = outputs.decisions();
        assert!(decisions.contains(&true) && decisions.contains(&false));
        // Another normalizer in the circuit's state than the witness's
        // (or its C_N): refused (a raw prediction under another N).
        let mut other = r.states[0].clone();
        let mut means = n.means().to_vec();
        means[0] += n.stds()[0];
        let moved = Normalizer::from_fixed(means, n.stds().to_vec()).unwrap();
        other.normalizer = Some(raw_claim(&spec, &moved));
        let (ok, _) = satisfied(&spec, &r.witnesses[0], &other.to_z(&spec), &[]);
        assert!(!ok, "a prediction quantized by another normalizer than z's");
        // Under a private normalizer, the witness's values (or salt) other
        // than those C_N opens to: refused.
        if spec.private_normalizer {
            for wit in [
                InferWitness {
                    normalizer: Some(moved.clone()),
                    ..r.witnesses[0].clone()
                },
                InferWitness {
                    normalizer_salt: Salt(Scalar::from(1u64)),
                    ..r.witnesses[0].clone()
                },
            ] {
                let (ok, _) = satisfied(&spec, &wit, &r.states[0].to_z(&spec), &[]);
                assert!(!ok, "a witness that does not open C_N");
            }
        }
        // The quantized features the hash never sees: a changed one is
        // refused.
        let path = "step/row 2/x1/quantized/bit 0/boolean";
        let mut cs = TamperCs::honest();
        synth_into(&mut cs, &spec, &r.witnesses[0], &r.states[0].to_z(&spec));
        let bit = cs.value_at(path).unwrap();
        let (ok, _) = satisfied(
            &spec,
            &r.witnesses[0],
            &r.states[0].to_z(&spec),
            &[(path, Scalar::ONE - bit)],
        );
        assert!(!ok, "a quantized feature other than the rule's");
    }
}

#[test]
fn no_free_witness_in_raw_predictions() {
    let d = raw_rows(20);
    let mut scanned = 0;
    for spec in raw_specs() {
        let r = run(spec.clone(), &d, &model());
        for (step, wit) in r.witnesses.iter().enumerate() {
            let mut cs = RecordCs::new(Record::default());
            synth_into(&mut cs, &spec, wit, &r.states[step].to_z(&spec));
            assert_eq!(cs.sink.first_unsatisfied(), None);
            scanned += cs.sink.count_under("step/");
            for path in cs.sink.free_variables(|p| p.starts_with("step/")) {
                // Is-zero inverses of a zero argument: the constant
                // column's deviation, the counter at the last step.
                assert!(path.ends_with("/inv/num"), "{path} is free");
            }
        }
    }
    assert!(scanned > 5_000, "scanned only {scanned}");
}

#[test]
fn soundness_a_miscounted_group_fails() {
    // Issue 35: each group's outgoing counts are what the circuit computes:
    // one more of any count of any group is refused.
    let d = data(20, 0);
    for w in [WeightsVisibility::Public, WeightsVisibility::Committed] {
        let spec = grouped_spec(w, 20);
        let r = run(spec.clone(), &d, &model());
        let z = r.states[0].to_z(&spec);
        let (ok, honest) = satisfied(&spec, &r.witnesses[0], &z, &[]);
        assert!(ok);
        let start = spec.layout().group.unwrap() + 2;
        for k in 0..3 {
            for j in 0..4 {
                let path = format!("step/groups/group {k} count {j} out/value/num");
                let bumped = honest[start + 4 * k + j] + Scalar::ONE;
                let (ok, _) = satisfied(&spec, &r.witnesses[0], &z, &[(&path, bumped)]);
                assert!(!ok, "group {k} count {j} + 1 accepted");
            }
        }
    }
}

#[test]
fn soundness_a_row_is_in_exactly_its_committed_group() {
    // The one-hot vector sums to 1 and its code is the hashed bits': a row
    // in two groups, in none, or with code bits of another group is
    // refused inside the step; a consistent witness that moves a row to
    // another group (counts and chain follow it) fails at the seal, since
    // the chain no longer opens C_G; and so does the honest witness under
    // a spec whose labels are swapped (the seal binds them).
    let d = data(20, 0);
    let spec = grouped_spec(WeightsVisibility::Public, 20);
    let r = run(spec.clone(), &d, &model());
    let z = r.states[0].to_z(&spec);
    // Row 1 is in group 1.
    for (name, path, value) in [
        (
            "in two groups",
            "step/row 1/group/is group 2/boolean",
            Scalar::ONE,
        ),
        (
            "in none",
            "step/row 1/group/is group 1/boolean",
            Scalar::ZERO,
        ),
        (
            "code bits of group 0",
            "step/row 1/group/code bit 0/boolean",
            Scalar::ZERO,
        ),
    ] {
        let (ok, _) = satisfied(&spec, &r.witnesses[0], &z, &[(path, value)]);
        assert!(!ok, "{name}: accepted");
    }
    // Row 4 (group 1) moved to group 0, consistently.
    let mut codes = group_codes(20);
    codes[4] = 0;
    let moved = |step: usize| {
        r.witnesses[step]
            .clone()
            .with_groups(&spec, &codes, step, Salt(Scalar::from(GROUP_SALT)))
    };
    let mut state = r.states[0].clone();
    let mut all_ok = true;
    for step in 0..spec.steps() {
        let (ok, out) = satisfied(&spec, &moved(step), &state.to_z(&spec), &[]);
        all_ok &= ok;
        state = InferState::from_z(&out, &spec).unwrap();
    }
    assert!(!all_ok, "a row moved to another group accepted");
    // Natively too: the last step refuses the chain.
    let mut native = r.states[0].clone();
    let mut refused = false;
    for step in 0..spec.steps() {
        match next_state(&spec, &native, &moved(step), 20) {
            Ok(next) => native = next,
            Err(e) => {
                assert!(e.to_string().contains("C_G"), "{e}");
                refused = true;
            }
        }
    }
    assert!(
        refused,
        "the native twin accepted a row moved to another group"
    );
    // The labels swapped: the same rows and C_G, another tag in the seal.
    let mut column = group_column();
    column.labels.swap(0, 2);
    let swapped = Arc::new((*spec).clone().with_group(column, Some(16)).unwrap());
    let last = spec.steps() - 1;
    let z_last = r.states[last].to_z(&swapped);
    assert!(satisfied(&spec, &r.witnesses[last], &r.states[last].to_z(&spec), &[]).0);
    assert!(
        !satisfied(&swapped, &r.witnesses[last], &z_last, &[]).0,
        "relabelled groups accepted"
    );
}
