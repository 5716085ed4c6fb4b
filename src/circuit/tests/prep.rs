//! The preprocessing step circuit: it agrees with the native normalizer and
//! quantization over whole runs, refuses a normalizer other than the
//! data's, a quantized row that is not its raw row's quotient, other raw
//! rows and non-zero padding, and leaves no free witness.

use super::*;
use crate::circuit::prep::{
    prep_step, NormalizerClaim, Pass, PrepCommitments, PrepRows, PrepSalts, PrepSpec, PrepState,
    PrepStep, PrepWitness,
};
use crate::commitment::NormalizerCommitment;
use crate::dataset::{Normalizer, RawDataset};
use proptest::prelude::*;

/// A toy of `train` and `test` rows of three features: one spread over
/// large values with outliers that clamp, one constant (`sigma = 0`), one
/// of small negative fractions.
fn raw_rows(n: usize, seed: i64) -> RawDataset {
    let rows = (0..n as i64)
        .map(|i| {
            let k = i + seed;
            vec![
                ((k * 7919) % 101 - 50) * 65_536 * 1_000 + if k % 9 == 0 { 1 << 45 } else { 0 },
                3 * 65_536,
                -((k * 31) % 17) * 4_099,
            ]
        })
        .collect();
    let labels = (0..n)
        .map(|i| u8::from((i * 5 + seed as usize).is_multiple_of(3)))
        .collect();
    RawDataset::from_rows(rows, labels).unwrap()
}

struct Toy {
    spec: Arc<PrepSpec>,
    train: RawDataset,
    test: RawDataset,
    normalizer: Normalizer,
    salts: PrepSalts,
    commitments: PrepCommitments,
}

fn salt(k: u64) -> Salt {
    Salt(Scalar::from(9_000 + k))
}

/// The toy's commitments as `commit` makes them, over quantized rows
/// `train_q` (honest unless a test forges them).
fn commitments(
    spec: &PrepSpec,
    train: &RawDataset,
    test: &RawDataset,
    train_q: &FixedDataset,
    test_q: &FixedDataset,
    salts: &PrepSalts,
) -> PrepCommitments {
    PrepCommitments {
        raw_train: SplitOpening::commit_raw(Split::Train, train, salts.raw_train).commitment,
        raw_test: SplitOpening::commit_raw(Split::Test, test, salts.raw_test).commitment,
        train: SplitOpening::commit(Split::Train, train_q, &spec.format, salts.train).commitment,
        test: SplitOpening::commit(Split::Test, test_q, &spec.format, salts.test).commitment,
    }
}

fn toy(train_rows: usize, test_rows: usize, rows_per_step: usize) -> Toy {
    toy_of(train_rows, test_rows, rows_per_step, false)
}

/// The toy with its normalizer public, or committed (`C_N` in `z`).
fn toy_of(train_rows: usize, test_rows: usize, rows_per_step: usize, private: bool) -> Toy {
    let spec = Arc::new(
        PrepSpec::new(
            3,
            FixedFormat::default(),
            train_rows,
            test_rows,
            Some(rows_per_step),
            private,
        )
        .unwrap(),
    );
    let train = raw_rows(train_rows, 0);
    let test = raw_rows(test_rows, 40);
    let normalizer = Normalizer::fit(&train).unwrap();
    let salts = PrepSalts {
        raw_train: salt(1),
        raw_test: salt(2),
        train: salt(3),
        test: salt(4),
        normalizer: salt(5),
    };
    let train_q = FixedDataset::quantize(&train, &normalizer, &spec.format);
    let test_q = FixedDataset::quantize(&test, &normalizer, &spec.format);
    let commitments = commitments(&spec, &train, &test, &train_q, &test_q, &salts);
    Toy {
        spec,
        train,
        test,
        normalizer,
        salts,
        commitments,
    }
}

impl Toy {
    fn rows(&self) -> PrepRows<'_> {
        PrepRows {
            raw_train: self.train.rows(),
            raw_test: self.test.rows(),
            train_labels: self.train.labels(),
            test_labels: self.test.labels(),
        }
    }

    /// The prover's state before the first step.
    fn initial(&self) -> PrepState {
        PrepState::initial(
            &self.spec,
            self.commitments,
            &self.normalizer,
            &self.salts.normalizer,
        )
    }

    /// What the statement states of the normalizer.
    fn claim(&self) -> NormalizerClaim {
        if self.spec.private_normalizer {
            NormalizerClaim::Committed(NormalizerCommitment::of(
                &self.normalizer,
                &self.salts.normalizer,
            ))
        } else {
            NormalizerClaim::Public(self.normalizer.clone())
        }
    }

    /// The last step of the training pass.
    fn last_train(&self) -> usize {
        self.spec.pass_start(Pass::Test) - 1
    }

    /// The states before each step and after the last.
    fn states(&self) -> Vec<PrepState> {
        let mut states = vec![self.initial()];
        for _ in 0..self.spec.steps() {
            let (_, next) =
                prep_step(&self.spec, states.last().unwrap(), &self.rows(), self.salts).unwrap();
            states.push(next);
        }
        states
    }

    /// The circuit of the step from `state` with the step's honest rows.
    fn circuit(&self, state: &PrepState) -> PrepStep {
        let (rows, labels) = self.rows().step(&self.spec, state.step as usize).unwrap();
        self.circuit_with(state, rows, labels)
    }

    fn circuit_with(&self, state: &PrepState, rows: Vec<Vec<i64>>, labels: Vec<u8>) -> PrepStep {
        PrepStep {
            spec: self.spec.clone(),
            witness: Arc::new(PrepWitness {
                state: state.clone(),
                rows,
                labels,
                salts: self.salts,
            }),
        }
    }
}

/// The runs the tests fold: partial last steps in every pass, a last step
/// with a block of padding only, one step a pass.
const RUNS: [(usize, usize, usize); 3] = [(13, 6, 8), (5, 11, 16), (16, 8, 8)];

fn satisfied(step: &PrepStep, z: &[Scalar], overrides: &[(&str, Scalar)]) -> bool {
    let mut cs = TamperCs::with(overrides);
    synth(&mut cs, step, z);
    cs.assert_all_used();
    cs.is_satisfied()
}

#[test]
fn the_circuit_agrees_with_the_native_normalizer_and_quantization() {
    for ((n, m, r), private) in RUNS.into_iter().flat_map(|run| [(run, false), (run, true)]) {
        let toy = toy_of(n, m, r, private);
        let states = toy.states();
        for state in &states[..states.len() - 1] {
            let step = toy.circuit(state);
            let mut cs = TamperCs::honest();
            let out = synth(&mut cs, &step, &state.to_z());
            assert!(
                cs.is_satisfied(),
                "run {n}/{m}/{r}, step {}: {:?}",
                state.step,
                cs.which_is_unsatisfied()
            );
            let next = &states[state.step as usize + 1];
            assert_eq!(out, next.to_z(), "run {n}/{m}/{r}, step {}", state.step);
        }
        // The run ends where the verifier's statement says (the
        // normalizer the native rule fits, or its C_N; sums and chains
        // zero), and z_0 is the verifier's too.
        let want = |step| PrepState::at(&toy.spec, step, toy.commitments, &toy.claim()).to_z();
        assert_eq!(states.last().unwrap().to_z(), want(toy.spec.steps()));
        assert_eq!(states[0].to_z(), want(0));
        assert!(toy.normalizer.stds()[1] == 0, "the constant column");
    }
}

#[test]
fn a_quantized_row_that_is_not_its_raw_rows_quotient_is_refused() {
    let (n, m, r) = RUNS[0];
    let mut toy = toy(n, m, r);
    let mut train_q = FixedDataset::quantize(&toy.train, &toy.normalizer, &toy.spec.format);
    let test_q = FixedDataset::quantize(&toy.test, &toy.normalizer, &toy.spec.format);
    // Row 11 (in the training pass's last step), feature 2, one unit up.
    train_q.rows[11][2] += 1;
    toy.commitments = commitments(
        &toy.spec, &toy.train, &toy.test, &train_q, &test_q, &toy.salts,
    );
    let mut states = vec![toy.initial()];
    let last_train = toy.last_train();
    for step in 0..last_train {
        let (_, next) = prep_step(&toy.spec, &states[step], &toy.rows(), toy.salts).unwrap();
        states.push(next);
    }
    // Natively the step refuses; in the circuit the seal fails.
    let from = &states[last_train];
    let e = prep_step(&toy.spec, from, &toy.rows(), toy.salts).unwrap_err();
    assert!(e.to_string().contains("quantized by the rule"), "{e}");
    assert!(!satisfied(&toy.circuit(from), &from.to_z(), &[]));
    // Nor can the prover write the forged value's bits itself.
    let forged = "step/row 3/value 2/quantized/bit 0/boolean";
    let honest_bit = {
        let mut cs = TamperCs::honest();
        synth(&mut cs, &toy.circuit(from), &from.to_z());
        cs.value_at(forged).unwrap()
    };
    assert!(!satisfied(
        &toy.circuit(from),
        &from.to_z(),
        &[(forged, Scalar::ONE - honest_bit)]
    ));
}

/// The toy with a claimed normalizer `forged` and commitments to the
/// rows quantized by it: a prover who quantized consistently by another
/// normalizer than the data's.
fn toy_claiming(forged: &Normalizer, private: bool) -> Toy {
    let (n, m, r) = RUNS[0];
    let mut toy = toy_of(n, m, r, private);
    let train_q = FixedDataset::quantize(&toy.train, forged, &toy.spec.format);
    let test_q = FixedDataset::quantize(&toy.test, forged, &toy.spec.format);
    toy.commitments = commitments(
        &toy.spec, &toy.train, &toy.test, &train_q, &test_q, &toy.salts,
    );
    toy.normalizer = forged.clone();
    toy
}

#[test]
fn a_normalizer_other_than_the_datas_is_refused() {
    let (n, m, r) = RUNS[0];
    let honest = toy(n, m, r);
    let fitted = &honest.normalizer;
    let moved = |mean: i64, std: i64, j: usize| {
        let (mut means, mut stds) = (fitted.means().to_vec(), fitted.stds().to_vec());
        means[j] += mean;
        stds[j] += std;
        Normalizer::from_fixed(means, stds).unwrap()
    };
    // A mean or a deviation one unit off (also the constant column's
    // deviation made 1), claimed from the start, public or committed, the
    // commitments of the rows it quantizes: every step until the training
    // pass's last holds, and that one refuses, natively and in the circuit,
    // by the derivation.
    for (forged, name) in [
        (moved(1, 0, 0), "mean"),
        (moved(-1, 0, 2), "mean"),
        (moved(0, 1, 0), "deviation"),
        (moved(0, 1, 1), "deviation"),
    ] {
        for private in [false, true] {
            let toy = toy_claiming(&forged, private);
            let mut state = toy.initial();
            for _ in 0..toy.last_train() {
                let (circuit, next) = prep_step(&toy.spec, &state, &toy.rows(), toy.salts).unwrap();
                assert!(satisfied(&circuit, &state.to_z(), &[]));
                state = next;
            }
            let e = prep_step(&toy.spec, &state, &toy.rows(), toy.salts).unwrap_err();
            assert!(e.to_string().contains("the raw training rows give"), "{e}");
            let mut cs = TamperCs::honest();
            synth(&mut cs, &toy.circuit(&state), &state.to_z());
            let failing = cs.which_is_unsatisfied().unwrap_or_default().to_string();
            assert!(
                failing.contains(&format!("the {name} the rows give")),
                "{name}, private {private}: {failing}"
            );
        }
    }
    // The honest claim, with the derivation's witness written one away
    // from the data's: some constraint fails (the mean's remainder, the
    // spread's, or the square-root bounds).
    let states = honest.states();
    let from = &states[honest.last_train()];
    let step = honest.circuit(from);
    assert!(satisfied(&step, &from.to_z(), &[]));
    for (path, delta) in [
        ("step/feature 0/mu/bit 0/boolean", 1u64),
        ("step/feature 0/sigma/bit 0/boolean", 1),
        ("step/feature 2/v/bit 0/boolean", 1),
        ("step/feature 2/mean remainder/bit 0/boolean", 1),
    ] {
        let mut cs = TamperCs::honest();
        synth(&mut cs, &step, &from.to_z());
        let v = cs.value_at(path).unwrap();
        let flipped = if v == Scalar::ZERO {
            Scalar::from(delta)
        } else {
            Scalar::ZERO
        };
        assert!(
            !satisfied(&step, &from.to_z(), &[(path, flipped)]),
            "{path}"
        );
    }
}

#[test]
fn a_committed_normalizer_opens_only_to_its_own_values() {
    let (n, m, r) = RUNS[0];
    let toy = toy_of(n, m, r, true);
    let states = toy.states();
    // At any step, quantizing with other values than C_N's (the witness
    // changed, z's C_N kept), or with another salt: the opening fails.
    for from in [&states[0], &states[toy.last_train() + 1]] {
        assert!(satisfied(&toy.circuit(from), &from.to_z(), &[]));
        let mut other = from.clone();
        other.means[2] += 1;
        let z = from.to_z();
        let mut cs = TamperCs::honest();
        synth(&mut cs, &toy.circuit(&other), &z);
        let failing = cs.which_is_unsatisfied().unwrap_or_default().to_string();
        assert!(failing.contains("opens C_N"), "{failing}");
        let mut salts = toy.salts;
        salts.normalizer = salt(6);
        let step = PrepStep {
            spec: toy.spec.clone(),
            witness: Arc::new(PrepWitness {
                salts,
                ..(*toy.circuit(from).witness).clone()
            }),
        };
        assert!(!satisfied(&step, &z, &[]));
    }
}

#[test]
fn other_raw_rows_and_live_padding_are_refused() {
    let (n, m, r) = RUNS[0];
    let toy = toy(n, m, r);
    let states = toy.states();
    // The training pass's last step with one raw value changed: its rows
    // do not open the raw commitment.
    let last_stats = toy.last_train();
    let from = &states[last_stats];
    let (mut rows, labels) = toy.rows().step(&toy.spec, last_stats).unwrap();
    rows[0][0] += 1;
    assert!(!satisfied(
        &toy.circuit_with(from, rows, labels.clone()),
        &from.to_z(),
        &[]
    ));
    // A padding row (row 5 of the last step: 13 = 8 + 5) made non-zero, in
    // the raw values or the label.
    let (mut rows, _) = toy.rows().step(&toy.spec, last_stats).unwrap();
    rows[5][1] = 7;
    assert!(!satisfied(
        &toy.circuit_with(from, rows, labels.clone()),
        &from.to_z(),
        &[]
    ));
    let (rows, mut labels) = toy.rows().step(&toy.spec, last_stats).unwrap();
    labels[6] = 1;
    assert!(!satisfied(
        &toy.circuit_with(from, rows, labels),
        &from.to_z(),
        &[]
    ));
    // An earlier training step fed other rows: the chain differs, and the
    // seal at the pass's end fails.
    let (mut rows, labels) = toy.rows().step(&toy.spec, 0).unwrap();
    rows.swap(0, 1);
    let swapped = toy.circuit_with(&states[0], rows, labels);
    let mut cs = TamperCs::honest();
    let z1 = synth(&mut cs, &swapped, &states[0].to_z());
    assert!(cs.is_satisfied(), "a step alone cannot tell");
    let mut bent = states[1].clone();
    bent.h_raw = z1[crate::circuit::prep::PrepLayout::H_RAW];
    assert_ne!(bent.h_raw, states[1].h_raw);
    let step = toy.circuit(&bent);
    assert!(!satisfied(&step, &bent.to_z(), &[]));
}

/// The variables the preprocessing scan may find free: is-zero inverses
/// whose argument is zero (the out flag is then forced to one).
const PREP_FREE: [(&str, &str); 2] = [
    (
        "is zero/inv/num",
        "a feature's sigma is zero (a constant column)",
    ),
    ("pass/is last/inv/num", "the pass's last step"),
];

#[test]
fn no_free_witness_in_the_preprocessing_step() {
    let mut seen = [false; PREP_FREE.len()];
    let mut scanned = 0;
    for ((n, m, r), private) in RUNS.into_iter().zip([false, true, false]) {
        let toy = toy_of(n, m, r, private);
        let states = toy.states();
        for state in &states[..states.len() - 1] {
            scanned += scan_with(
                &toy.circuit(state),
                &state.to_z(),
                &format!("preprocessing {n}/{m}/{r} step {}", state.step),
                &PREP_FREE,
                &mut seen,
            );
        }
    }
    assert!(scanned > 10_000, "scanned only {scanned} variables");
    assert!(seen.iter().all(|&s| s), "{seen:?}");
}

#[test]
fn the_preprocessing_circuit_has_the_blank_shape() {
    let (n, m, r) = RUNS[1];
    let toy = toy(n, m, r);
    let states = toy.states();
    let count = |step: &PrepStep, z: &[Scalar]| {
        let mut cs = TamperCs::honest();
        synth(&mut cs, step, z);
        cs.num_constraints()
    };
    let blank = PrepStep::blank(toy.spec.clone());
    let zero = vec![Scalar::ZERO; toy.spec.layout().arity()];
    for state in &states[..states.len() - 1] {
        assert_eq!(
            count(&toy.circuit(state), &state.to_z()),
            count(&blank, &zero)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The circuit's case split computes the rule of
    /// [`Normalizer::quantize`], at every scale.
    #[test]
    fn the_circuits_quotient_is_the_rule(
        r in -(1i64 << 46)..(1i64 << 46),
        mu in -(1i64 << 46)..(1i64 << 46),
        sigma in prop_oneof![Just(0i64), 1i64..64, 1i64..(1i64 << 47)],
        fx in 4u32..=16,
        cx in 0u32..=4,
    ) {
        let format = FixedFormat { frac_bits: 16.max(fx), feature_frac_bits: fx, feature_int_bits: cx, weight_int_bits: 6 };
        let toy = toy(13, 6, 8);
        let n = Normalizer::from_fixed(vec![mu], vec![sigma]).unwrap();
        // One row, one feature, through the circuit's witness code.
        let spec = Arc::new(PrepSpec::new(1, format, 13, 6, Some(8), false).unwrap());
        let state = PrepState::initial(&spec, toy.commitments, &n, &toy.salts.normalizer);
        let mut rows = vec![vec![0i64]; 8];
        rows[0][0] = r;
        let step = PrepStep {
            spec: spec.clone(),
            witness: Arc::new(PrepWitness { state: state.clone(), rows, labels: vec![0; 8], salts: toy.salts }),
        };
        let mut cs = TamperCs::honest();
        synth(&mut cs, &step, &state.to_z());
        // The quantized value's bits, as the circuit allocated them.
        let h = format.feature_half_range();
        let mut c: i64 = 0;
        for k in 0..format.feature_bits() {
            let bit = cs.value_at(&format!("step/row 0/value 0/quantized/bit {k}/boolean")).unwrap();
            if bit == Scalar::ONE { c |= 1 << k; }
        }
        prop_assert_eq!(c - h, n.quantize(0, r, &format));
        // Every constraint but the pass-end seals (the toy's commitments
        // are of other rows) holds.
        let failing = cs.which_is_unsatisfied().unwrap_or_default().to_string();
        prop_assert!(failing.is_empty() || failing.contains("commitment at the pass's end"), "{}", failing);
    }
}

#[test]
fn the_preprocessing_circuit_has_a_pinned_constraint_count() {
    // SOUNDNESS 15: any change to the circuit changes this number (3
    // features, 8 rows a step, the default format, the normalizer public
    // and committed; raw predictions of 3 features, 16 rows a step,
    // committed weights). Update it deliberately.
    let (n, m, r) = RUNS[0];
    let toy = toy(n, m, r);
    let mut cs = TamperCs::honest();
    let blank = PrepStep::blank(toy.spec.clone());
    synth(
        &mut cs,
        &blank,
        &vec![Scalar::ZERO; toy.spec.layout().arity()],
    );
    let private = toy_of(n, m, r, true);
    let mut cs3 = TamperCs::honest();
    synth(
        &mut cs3,
        &PrepStep::blank(private.spec.clone()),
        &vec![Scalar::ZERO; private.spec.layout().arity()],
    );
    let spec = crate::circuit::infer::InferSpec::raw_predictions(
        3,
        FixedFormat::default(),
        crate::recipe::WeightsVisibility::Committed,
        16,
        Some(16),
        false,
    )
    .unwrap();
    let raw = crate::circuit::infer::InferStep::blank(Arc::new(spec.clone()));
    let mut cs2 = TamperCs::honest();
    synth(&mut cs2, &raw, &vec![Scalar::ZERO; spec.layout().arity]);
    assert_eq!(
        [
            cs.num_constraints(),
            cs3.num_constraints(),
            cs2.num_constraints()
        ],
        PINNED_PREP_CONSTRAINTS
    );
}

const PINNED_PREP_CONSTRAINTS: [usize; 3] = [11058, 11837, 13210];

#[test]
fn a_spec_beyond_the_normalized_cell_limit_is_refused() {
    // What a hostile bundle's spec can make a verifier set up is bounded:
    // at most 8,192 values normalized a step, also when read from bytes.
    let fmt = FixedFormat::default();
    let e = PrepSpec::new(1024, fmt, 100, 20, Some(16), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("8192") && e.contains("--rows-per-step"), "{e}");
    let ok = PrepSpec::new(1024, fmt, 100, 20, Some(8), false).unwrap();
    let mut json = serde_json::to_value(&ok).unwrap();
    json["rows_per_step"] = 16.into();
    assert!(serde_json::from_value::<PrepSpec>(json).is_err());
    // The budget's own choice stays within it at every feature count.
    for d in [1, 48, 80, 300, 1024] {
        let spec = PrepSpec::new(d, fmt, 100_000, 20_000, None, false).unwrap();
        assert!(
            spec.rows_per_step * d <= crate::circuit::prep::MAX_NORMALIZED_CELLS,
            "{d}"
        );
    }
}
