//! What the model does, proven: `prove-eval` (confusion counts over the
//! committed test split), `prove-predict` (logits and decisions on public
//! inputs) and the chain audit that links them to the training proof. Each
//! bundle is attacked field by field; the chain audit must name the broken
//! link.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use foldtrain::circuit::infer::{Outputs, Prediction};
use foldtrain::circuit::ModelCommitment;
use foldtrain::commands::{self, ChainArgs, EvalArgs, InferArgs, PredictArgs};
use foldtrain::commitment::{Commitment, Split};
use foldtrain::fixed::{FixedFormat, Scalar};
use foldtrain::inference::{self, Claim, InferBundle};
use foldtrain::ivc::prover::Silent;
use foldtrain::proof::PublishedModel;
use foldtrain::recipe::WeightsVisibility;
use foldtrain::statement::Verifier;
use foldtrain::{train, Error, Rejection, StateField};

use common::bin::{arg, foldtrain};
use common::data;

/// One committed dataset, trained with public and with private weights,
/// each evaluated on the test split and run on 10 held-out rows.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    csv: PathBuf,
    inputs: PathBuf,
    commit_dir: PathBuf,
}

struct Run {
    out: PathBuf,
    eval: Vec<u8>,
    predict: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let csv = data::write_small_csv(&root.join("small.csv"), 45, &data::SCALES, 7);
        // Held-out applicants: other rows, with their label column (ignored).
        let inputs = data::write_small_csv(&root.join("applicants.csv"), 10, &data::SCALES, 99);
        let commit_dir = root.join("committed");
        commands::commit(&data::data_args(&csv, 1), &commit_dir, false).unwrap();
        Fixture {
            _dir: dir,
            root,
            csv,
            inputs,
            commit_dir,
        }
    })
}

/// Trains (1 epoch) against the fixture's commitment, then proves the
/// evaluation and the predictions; once per weights visibility.
fn run(weights: WeightsVisibility) -> &'static Run {
    static PUBLIC: OnceLock<Run> = OnceLock::new();
    static COMMITTED: OnceLock<Run> = OnceLock::new();
    let cell = match weights {
        WeightsVisibility::Public => &PUBLIC,
        WeightsVisibility::Committed => &COMMITTED,
    };
    cell.get_or_init(|| {
        let f = fixture();
        let mut args = data::data_args(&f.csv, 1);
        args.hyper.weights = weights;
        let out = f.root.join(match weights {
            WeightsVisibility::Public => "public",
            WeightsVisibility::Committed => "private",
        });
        let mut prove = data::prove_args(args, out.clone());
        prove.commitment = Some(f.commit_dir.clone());
        // The private run keeps the normalizer private too: nothing public
        // may then pair raw inputs with quantized ones.
        prove.private_normalizer = weights == WeightsVisibility::Committed;
        commands::prove(&prove).unwrap();
        let model = model_path(&out, weights);
        let eval = commands::prove_eval(
            &EvalArgs {
                infer: InferArgs {
                    model: model.clone(),
                    out: None,
                    rows_per_step: None,
                    force: false,
                },
                commitment: f.commit_dir.clone(),
                data: f.csv.clone(),
                split: Split::Test,
                group: None,
            },
            &Silent,
        )
        .unwrap();
        let predict = commands::prove_predict(
            &PredictArgs {
                infer: InferArgs {
                    model,
                    out: None,
                    rows_per_step: Some(8),
                    force: false,
                },
                inputs: f.inputs.clone(),
                raw: false,
            },
            &Silent,
        )
        .unwrap();
        Run {
            eval: std::fs::read(&eval.proof.bundle).unwrap(),
            predict: std::fs::read(&predict.proof.bundle).unwrap(),
            out,
        }
    })
}

fn model_path(out: &Path, weights: WeightsVisibility) -> PathBuf {
    match weights {
        WeightsVisibility::Public => out.join("model.json"),
        WeightsVisibility::Committed => out.join("private").join("model.json"),
    }
}

fn both() -> [WeightsVisibility; 2] {
    [WeightsVisibility::Public, WeightsVisibility::Committed]
}

fn rejection(bundle: &InferBundle) -> Rejection {
    common::infer_rejection(bundle)
}

#[test]
fn the_parameter_digests_of_evaluation_and_predictions_are_pinned() {
    // SOUNDNESS 15 for the inference circuits: the digest of each circuit
    // the fixture proves (3 features; evaluation of the test split, 16 rows
    // a step; predictions of 10 rows, 8 a step), with public then committed
    // weights. A change to a circuit or its spec's encoding changes it;
    // update it deliberately.
    let mut digests = Vec::new();
    for w in both() {
        for bytes in [&run(w).eval, &run(w).predict] {
            digests.push(
                InferBundle::from_bytes(bytes)
                    .unwrap()
                    .statement
                    .params_digest,
            );
        }
    }
    assert_eq!(digests, PINNED_INFER_DIGESTS);
}

/// Evaluation then predictions, public then committed weights. Changed
/// deliberately by issue 35 (inference spec version 5: the spec may name a
/// protected attribute, so its encoding, and its tag, changed; the
/// circuits without one are the same).
const PINNED_INFER_DIGESTS: [&str; 4] = [
    "a1ac895bc3311da56f7bb96e080b8e075df1595c24c5b8c2096ed24949be5903",
    "b3f625afa4ab5dccea9bfd2b069c573e0e5ef68c9a5ee96e0c0846b3f5ebb101",
    "15604c3392a153ff06e6917297a293955e7a82bd2d3d7ade9614cda2d8761301",
    "9594e43b9fc906c702aebef6939718b4b2aab4927520e9bc99224ecca8242603",
];

fn test_rows() -> foldtrain::dataset::FixedDataset {
    data::data_args(&fixture().csv, 1)
        .load()
        .unwrap()
        .test_fixed
}

#[test]
fn proven_counts_equal_the_native_evaluation_and_verify() {
    for w in both() {
        let b = InferBundle::from_bytes(&run(w).eval).unwrap();
        let model = foldtrain::commands::infer::inspect_infer(&run(w).out.join("eval-test.bundle"))
            .unwrap();
        let weights = read_weights(w);
        let native = train::confusion_fixed(
            &weights,
            &test_rows(),
            FixedFormat::default().feature_frac_bits,
        );
        assert_eq!(b.statement.counts(), Some(native), "{w:?}");
        assert_eq!(native.total(), 9);
        assert_eq!(model.counts, Some(native));
        Verifier::with_cache(None).verify(&b).unwrap();
        // The same through the binary: exit 0 and the counts printed.
        let v = foldtrain(&[
            "--json",
            "verify",
            &arg(&run(w).out.join("eval-test.bundle")),
        ])
        .ok()
        .json();
        assert_eq!(v["accepted"], true);
        assert_eq!(v["statement"]["counts"]["tp"], native.tp);
        // `evaluate --split test` computes the same counts natively from the
        // raw CSV with the model's preprocessing.
        let e = foldtrain(&[
            "--json",
            "evaluate",
            "--model",
            &arg(&model_path(&run(w).out, w)),
            "--data",
            &arg(&fixture().csv),
            "--split",
            "test",
        ])
        .ok()
        .json();
        for (k, v) in [
            ("tp", native.tp),
            ("fp", native.fp),
            ("tn", native.tn),
            ("fn", native.fn_),
        ] {
            assert_eq!(e["counts"][k], v, "{w:?} {k}");
        }
    }
}

fn read_weights(w: WeightsVisibility) -> train::Weights {
    let m: foldtrain::model::Model =
        foldtrain::artifact::read_json(&model_path(&run(w).out, w), "foldtrain-model").unwrap();
    m.fixed_weights().weights().clone()
}

#[test]
fn forged_evaluation_fields_are_rejected() {
    for w in both() {
        let honest = || InferBundle::from_bytes(&run(w).eval).unwrap();
        fn counts(b: &mut InferBundle) -> &mut foldtrain::train::Confusion {
            match &mut b.statement.claim {
                Claim::Evaluation { counts, .. } => counts,
                Claim::Predictions { .. } => unreachable!(),
            }
        }
        // Other counts, the total kept: one FN becomes a TP (or one FP a TN).
        let mut b = honest();
        let c = counts(&mut b);
        if c.fn_ > 0 {
            c.fn_ -= 1;
            c.tp += 1;
        } else if c.fp > 0 {
            c.fp -= 1;
            c.tn += 1;
        } else {
            // A perfect score on these rows: the forgery then claims a worse one.
            c.tp -= 1;
            c.fn_ += 1;
        }
        assert_eq!(
            rejection(&b),
            Rejection::FinalState(vec![StateField::Counts]),
            "{w:?}"
        );
        // A count moved past its field (a carry cannot exist: each count is
        // its own element), and a total that is not the rows.
        let mut b = honest();
        counts(&mut b).tp += 1;
        assert!(matches!(rejection(&b), Rejection::Shape(_)));
        // The training split's commitment in place of the test split's.
        let training = foldtrain::proof::ProofBundle::read(&run(w).out.join("proof.bundle"))
            .unwrap()
            .statement;
        let mut b = honest();
        if let Claim::Evaluation { commitment, .. } = &mut b.statement.claim {
            *commitment = training.commitment;
        }
        assert!(matches!(rejection(&b), Rejection::Snark(_)), "{w:?}");
        let mut b = honest();
        if let Claim::Evaluation { commitment, .. } = &mut b.statement.claim {
            *commitment = Commitment(commitment.0 + Scalar::from(1u64));
        }
        assert!(matches!(rejection(&b), Rejection::Snark(_)));
        // Another model.
        let mut b = honest();
        b.statement.model = match &b.statement.model {
            PublishedModel::Weights(m) => {
                let mut m = m.clone();
                m.w[0] += 1;
                PublishedModel::Weights(m)
            }
            PublishedModel::Committed(c) => {
                PublishedModel::Committed(ModelCommitment(c.0 + Scalar::from(1u64)))
            }
        };
        assert!(matches!(rejection(&b), Rejection::Snark(_)), "{w:?}");
        // The other kind of model, steps, digest, another split in the spec.
        let mut b = honest();
        b.statement.model = match &b.statement.model {
            PublishedModel::Weights(_) => {
                PublishedModel::Committed(ModelCommitment(Scalar::from(5u64)))
            }
            PublishedModel::Committed(_) => PublishedModel::Weights(read_weights(w)),
        };
        assert!(matches!(rejection(&b), Rejection::Shape(_)));
        let mut b = honest();
        b.statement.steps += 1;
        assert!(matches!(rejection(&b), Rejection::StepCount { .. }));
        let mut b = honest();
        b.statement.params_digest = "00".repeat(32);
        assert!(matches!(rejection(&b), Rejection::ParamsDigest { .. }));
        let mut b = honest();
        b.statement.spec.task = foldtrain::circuit::infer::Task::Evaluate(Split::Train);
        assert!(matches!(rejection(&b), Rejection::ParamsDigest { .. }));
        // Every byte of the file matters: the last byte of the counts'
        // region is inside the statement, a flipped byte anywhere is refused.
        let mut bytes = run(w).eval.clone();
        let mid = bytes.len() / 3;
        bytes[mid] ^= 0x40;
        let refused = match InferBundle::from_bytes(&bytes) {
            Err(_) => true,
            Ok(b) => Verifier::with_cache(None).verify(&b).is_err(),
        };
        assert!(refused);
    }
}

#[test]
fn predictions_are_the_native_models_and_forgeries_are_rejected() {
    for w in both() {
        let b = InferBundle::from_bytes(&run(w).predict).unwrap();
        Verifier::with_cache(None).verify(&b).unwrap();
        let Claim::Predictions {
            inputs, outputs, ..
        } = &b.statement.claim
        else {
            panic!("not predictions");
        };
        assert_eq!(outputs.len(), 10);
        let weights = read_weights(w);
        let native: Vec<Prediction> = (inputs.iter())
            .map(|row| Prediction::of(&weights, row, &FixedFormat::default()))
            .collect();
        // Logits and decisions with public weights, decisions only with
        // committed weights.
        match (w, outputs) {
            (WeightsVisibility::Public, Outputs::Logits(p)) => assert_eq!(*p, native),
            (WeightsVisibility::Committed, Outputs::Decisions(d)) => {
                assert_eq!(*d, native.iter().map(|p| p.decision).collect::<Vec<_>>())
            }
            _ => panic!("{w:?}: outputs of the other kind"),
        }
        let decisions = outputs.decisions();
        assert!(decisions.contains(&true) && decisions.contains(&false));
        type Edit<'a> = &'a dyn Fn(&mut Outputs, &mut Vec<Vec<i64>>);
        let edited = |f: Edit| {
            let mut b = InferBundle::from_bytes(&run(w).predict).unwrap();
            if let Claim::Predictions {
                outputs, inputs, ..
            } = &mut b.statement.claim
            {
                f(outputs, inputs);
            }
            b
        };
        let flip = |o: &mut Outputs, i: usize| match o {
            Outputs::Logits(p) => p[i].decision = !p[i].decision,
            Outputs::Decisions(d) => d[i] = !d[i],
        };
        let hash = Rejection::FinalState(vec![StateField::PredictionHash]);
        // A flipped decision alone: with a logit beside it, refused as
        // inconsistent; alone, the proof's hash of the outputs differs.
        let b = edited(&|o, _| flip(o, 3));
        match w {
            WeightsVisibility::Public => assert!(matches!(rejection(&b), Rejection::Shape(_))),
            WeightsVisibility::Committed => assert_eq!(rejection(&b), hash),
        }
        // A flipped decision with a logit to match: the hash differs.
        if w == WeightsVisibility::Public {
            let b = edited(&|o, _| {
                if let Outputs::Logits(p) = o {
                    p[3].logit = -p[3].logit - 1;
                    p[3].decision = p[3].logit >= 0;
                }
            });
            assert_eq!(rejection(&b), hash);
        }
        // Outputs of the other kind: the logits beside committed weights
        // (what version 1 published), decisions alone beside public ones.
        let b = edited(&|o, _| {
            *o = match o {
                Outputs::Logits(p) => Outputs::Decisions(p.iter().map(|p| p.decision).collect()),
                Outputs::Decisions(_) => Outputs::Logits(native.clone()),
            }
        });
        assert!(matches!(rejection(&b), Rejection::Shape(_)), "{w:?}");
        // Another applicant's row, rows swapped with their outputs.
        let b = edited(&|_, i| i[0][1] += 1);
        assert_eq!(rejection(&b), hash);
        let b = edited(&|o, i| {
            match o {
                Outputs::Logits(p) => p.swap(0, 1),
                Outputs::Decisions(d) => d.swap(0, 1),
            }
            i.swap(0, 1);
        });
        assert_eq!(rejection(&b), hash);
        // One row dropped.
        let b = edited(&|o, i| {
            match o {
                Outputs::Logits(p) => drop(p.pop()),
                Outputs::Decisions(d) => drop(d.pop()),
            }
            i.pop();
        });
        assert!(matches!(rejection(&b), Rejection::Shape(_)));
    }
}

/// Every per-row `logit` a JSON document holds, in order, if it holds one
/// for each row (the attacker's reading of a published statement).
fn logits_in(v: &serde_json::Value) -> Option<Vec<i64>> {
    use serde_json::Value;
    match v {
        Value::Array(items) if !items.is_empty() => {
            let logits: Option<Vec<i64>> = items.iter().map(|x| x.get("logit")?.as_i64()).collect();
            logits.or_else(|| items.iter().find_map(logits_in))
        }
        Value::Array(_) => None,
        Value::Object(fields) => fields.values().find_map(logits_in),
        _ => None,
    }
}

/// The chosen rows of the attack: all features at 0 (the training means),
/// then each feature alone at the lowest value of its range.
fn chosen_rows(features: usize, format: &FixedFormat) -> Vec<Vec<i64>> {
    let mut rows = vec![vec![0; features]];
    for j in 0..features {
        let mut row = vec![0; features];
        row[j] = -format.feature_half_range();
        rows.push(row);
    }
    rows
}

/// The weights and bias the logits of [`chosen_rows`] give back: the first
/// is the bias, each next one `b - w_j 2^cx` exactly.
fn recover(logits: &[i64], format: &FixedFormat) -> train::Weights {
    let b = logits[0];
    train::Weights {
        w: logits[1..]
            .iter()
            .map(|z| -(z - b) >> format.feature_int_bits)
            .collect(),
        b,
    }
}

#[test]
fn committed_predictions_publish_decisions_not_logits() {
    // Issue 29, row 2: with committed weights the statement published each
    // row's exact logit, and d + 1 chosen rows gave the private weights
    // back exactly. A statement on those rows must now carry the decisions
    // only: no logit anywhere in it, in `inspect`'s JSON or in the public
    // files of a prove-predict run.
    let w = WeightsVisibility::Committed;
    let model: foldtrain::model::Model =
        foldtrain::artifact::read_json(&model_path(&run(w).out, w), "foldtrain-model").unwrap();
    let format = model.recipe.format;
    let weights = model.fixed_weights();
    let rows = chosen_rows(model.recipe.features, &format);
    // The attack works wherever the exact logits are known.
    let exact: Vec<i64> = (rows.iter())
        .map(|r| train::logit(weights, r, format.feature_frac_bits))
        .collect();
    assert_eq!(
        &recover(&exact, &format),
        weights.weights(),
        "the recovery itself"
    );
    let spec = foldtrain::circuit::infer::InferSpec::new(
        foldtrain::circuit::infer::Task::Predict,
        model.recipe.features,
        format,
        w,
        rows.len(),
        None,
    )
    .unwrap();
    let job = inference::InferJob {
        spec: std::sync::Arc::new(spec),
        weights,
        weights_salt: model.weights_salt(),
        rows: &rows,
        labels: &[],
        commitment: None,
        groups: None,
        normalizer: None,
        normalizer_salt: None,
    };
    let (bundle, _) = job.prove(None, &Silent).unwrap();
    Verifier::with_cache(None).verify(&bundle).unwrap();
    let statement = serde_json::to_value(&bundle.statement).unwrap();
    assert_eq!(
        logits_in(&statement).map(|l| recover(&l, &format)),
        None,
        "the statement gives the weights back"
    );
    let text = statement.to_string();
    assert!(!text.contains("logit"), "{text}");
    // It still states every decision, the native model's.
    let decisions: Vec<bool> = exact.iter().map(|&z| z >= 0).collect();
    assert!(
        text.contains(&serde_json::to_string(&decisions).unwrap()),
        "{text}"
    );
    // What `verify` and `inspect` print of it.
    let summary = serde_json::to_value(foldtrain::commands::infer::InferSummary::of(
        &bundle.statement,
    ))
    .unwrap();
    assert!(!summary.to_string().contains("logit"), "{summary}");
    assert_eq!(
        summary["decisions"],
        serde_json::json!(decisions.iter().map(|&d| u8::from(d)).collect::<Vec<_>>())
    );
    let shown = foldtrain(&[
        "--json",
        "inspect",
        &arg(&run(w).out.join("predict.bundle")),
    ])
    .ok();
    assert!(!shown.stdout.contains("logit"), "{shown}");
    // The bundle of the fixture's run, and its public predictions file.
    let file = std::fs::read_to_string(run(w).out.join("predictions.json")).unwrap();
    assert!(
        !file.contains("logit") && !file.contains("probability"),
        "{file}"
    );
}

#[test]
fn raw_predictions_under_a_private_normalizer_state_only_its_commitment() {
    // A run kept with --private-normalizer: --raw proves the decisions on
    // the applicants' raw values, opening the model's C_N in the circuit.
    // The statement lists the raw integers and C_N (model.public.json's),
    // never the normalizer; the public predictions.json lists what the
    // statement does (the raw integers), no quantized value beside them.
    // Before C_N this was refused (the statement would have published the
    // normalizer).
    let w = WeightsVisibility::Committed;
    let out = &run(w).out;
    let dir = tempfile::tempdir().unwrap();
    let report = commands::prove_predict(
        &PredictArgs {
            infer: InferArgs {
                model: model_path(out, w),
                out: Some(dir.path().to_path_buf()),
                rows_per_step: Some(8),
                force: false,
            },
            inputs: fixture().inputs.clone(),
            raw: true,
        },
        &Silent,
    )
    .unwrap();
    let b = foldtrain::inference::InferBundle::read(&report.proof.bundle).unwrap();
    Verifier::with_cache(None).verify(&b).unwrap();
    assert!(b.statement.spec.private_normalizer);
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("model.public.json")).unwrap()).unwrap();
    let foldtrain::inference::Claim::Predictions {
        inputs, normalizer, ..
    } = &b.statement.claim
    else {
        panic!("a predictions claim")
    };
    let Some(foldtrain::circuit::prep::NormalizerClaim::Committed(c_n)) = normalizer else {
        panic!("the statement states C_N: {normalizer:?}")
    };
    assert_eq!(public["normalizer_commitment"], c_n.to_string());
    let listed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("predictions.json")).unwrap())
            .unwrap();
    let rows = listed["rows"].as_array().unwrap();
    for (row, stated) in rows.iter().zip(inputs) {
        assert_eq!(row["inputs_fixed"], serde_json::json!(stated));
    }
    // The private model alone (model.public.json not beside it): still
    // C_N, never the normalizer (the model's salt says it is private).
    let alone = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(alone.path().join("private")).unwrap();
    let lonely = alone.path().join("private/model.json");
    std::fs::copy(model_path(out, w), &lonely).unwrap();
    let again = commands::prove_predict(
        &PredictArgs {
            infer: InferArgs {
                model: lonely,
                out: Some(alone.path().join("out")),
                rows_per_step: Some(8),
                force: false,
            },
            inputs: fixture().inputs.clone(),
            raw: true,
        },
        &Silent,
    )
    .unwrap();
    let b2 = foldtrain::inference::InferBundle::read(&again.proof.bundle).unwrap();
    assert!(matches!(
        &b2.statement.claim,
        foldtrain::inference::Claim::Predictions {
            normalizer: Some(foldtrain::circuit::prep::NormalizerClaim::Committed(c)),
            ..
        } if c == c_n
    ));
    // The same statement with the normalizer's values in place of C_N:
    // refused by shape (a private spec states C_N only).
    let model: foldtrain::model::Model =
        foldtrain::artifact::read_json(&model_path(out, w), foldtrain::model::Model::KIND).unwrap();
    let mut forged = b;
    if let foldtrain::inference::Claim::Predictions { normalizer, .. } = &mut forged.statement.claim
    {
        *normalizer = Some(foldtrain::circuit::prep::NormalizerClaim::Public(
            model.normalizer.clone(),
        ));
    }
    assert!(matches!(
        Verifier::with_cache(None).verify(&forged),
        Err(foldtrain::Error::Rejected(foldtrain::Rejection::Shape(_)))
    ));
}

#[test]
fn a_private_normalizer_leaves_no_raw_input_in_a_public_file() {
    // Issue 29, row 2: predictions.json paired each raw input with its
    // quantized value, which gives the normalizer back and defeats
    // `--private-normalizer`. Every file at the top of the output folder is
    // public: none may hold a raw input value (as a JSON number or as the
    // bytes of an f64); the raw inputs belong under private/.
    let w = WeightsVisibility::Committed;
    let out = &run(w).out;
    let public_model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("model.public.json")).unwrap()).unwrap();
    assert!(
        public_model["normalizer"].is_null(),
        "the run keeps its normalizer private"
    );
    let text = std::fs::read_to_string(&fixture().inputs).unwrap();
    let raw: Vec<f64> = (text.lines().skip(1))
        .flat_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            cells[..cells.len() - 1]
                .iter()
                .map(|c| c.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|v| v.fract() != 0.0)
        .collect();
    assert_eq!(raw.len(), 30);
    fn numbers(v: &serde_json::Value, found: &mut Vec<f64>) {
        match v {
            serde_json::Value::Number(n) => found.extend(n.as_f64()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, found)),
            serde_json::Value::Object(o) => o.values().for_each(|x| numbers(x, found)),
            _ => {}
        }
    }
    let mut files = 0;
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        let mut found = Vec::new();
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            numbers(&json, &mut found);
        }
        for v in &raw {
            assert!(
                !found.contains(v),
                "{} holds the raw input {v}",
                path.display()
            );
            let le = v.to_le_bytes();
            assert!(
                !bytes.windows(8).any(|b| b == le),
                "{} holds the raw input {v} as an f64",
                path.display()
            );
        }
    }
    assert!(files >= 5, "only {files} public files");
    // The prover keeps its full view (raw inputs, logits) privately.
    let private = out.join("private").join("predictions.json");
    let full: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&private).unwrap()).unwrap();
    let mut found = Vec::new();
    numbers(&full, &mut found);
    assert!(raw.iter().all(|v| found.contains(v)));
    let rows = full["rows"].as_array().unwrap();
    assert!(rows.len() == 10 && rows.iter().all(|r| r["logit_fixed"].is_i64()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "private/predictions.json is {mode:o}");
    }
}

fn chain(
    w: WeightsVisibility,
    eval: Option<PathBuf>,
    predict: Option<PathBuf>,
) -> commands::ChainReport {
    let out = &run(w).out;
    commands::audit_chain(&ChainArgs {
        train: out.join("proof.bundle"),
        eval,
        predict,
        commitment: Some(fixture().commit_dir.join("commitment.json")),
        data: None,
        opening: None,
        model: Some(model_path(out, w)),
        ..ChainArgs::default()
    })
    .unwrap()
}

#[test]
fn the_chain_audit_passes_and_names_each_broken_link() {
    let (public, private) = (
        &run(WeightsVisibility::Public).out,
        &run(WeightsVisibility::Committed).out,
    );
    for (w, out) in [
        (WeightsVisibility::Public, public),
        (WeightsVisibility::Committed, private),
    ] {
        let r = chain(
            w,
            Some(out.join("eval-test.bundle")),
            Some(out.join("predict.bundle")),
        );
        assert!(r.passed(), "{r}");
        assert!(r.links.len() >= 6 && r.links.iter().all(|l| l.ok));
    }
    // An auditor holds the public part of a committed model, not the
    // private one: it is checked as a link, and another run's is refused.
    let with_public = |model: PathBuf| {
        commands::audit_chain(&ChainArgs {
            train: private.join("proof.bundle"),
            eval: Some(private.join("eval-test.bundle")),
            model: Some(model),
            ..ChainArgs::default()
        })
        .unwrap()
    };
    let r = with_public(private.join("model.public.json"));
    assert!(r.passed(), "{r}");
    let other = fixture().root.join("other.public.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(private.join("model.public.json")).unwrap()).unwrap();
    m["weights_commitment"] = serde_json::Value::String("00".repeat(31) + "05");
    std::fs::write(&other, serde_json::to_vec(&m).unwrap()).unwrap();
    let r = with_public(other);
    assert_eq!(
        r.broken_links(),
        ["model file: the training statement's model"],
        "{r}"
    );
    // An evaluation of another model (the public run's, under the private
    // training proof) and predictions under another C_W.
    let r = chain(
        WeightsVisibility::Committed,
        Some(public.join("eval-test.bundle")),
        None,
    );
    assert!(!r.passed());
    assert_eq!(
        r.broken_links(),
        ["evaluation: same model as training"],
        "{r}"
    );
    let r = chain(
        WeightsVisibility::Public,
        None,
        Some(private.join("predict.bundle")),
    );
    assert_eq!(
        r.broken_links(),
        ["predictions: same model as training"],
        "{r}"
    );
    // An evaluation on the training split: not the test commitment
    // published with the training commitment.
    let f = fixture();
    let on_train = commands::prove_eval(
        &EvalArgs {
            infer: InferArgs {
                model: model_path(public, WeightsVisibility::Public),
                out: Some(f.root.join("train-eval")),
                rows_per_step: None,
                force: false,
            },
            commitment: f.commit_dir.clone(),
            data: f.csv.clone(),
            split: Split::Train,
            group: None,
        },
        &Silent,
    )
    .unwrap();
    let st = InferBundle::read(&on_train.proof.bundle).unwrap().statement;
    let mut relabelled = InferBundle::read(&on_train.proof.bundle).unwrap();
    relabelled.statement.spec.task = foldtrain::circuit::infer::Task::Evaluate(Split::Test);
    let forged = f.root.join("train-eval").join("relabelled.bundle");
    std::fs::write(&forged, relabelled.to_bytes().unwrap()).unwrap();
    let r = chain(WeightsVisibility::Public, Some(forged), None);
    assert!(!r.passed());
    assert_eq!(
        r.broken_links(),
        ["evaluation: on the test commitment published with training"],
        "{r}"
    );
    assert!(
        !r.evaluation.as_ref().unwrap().accepted,
        "the relabelled bundle itself is rejected"
    );
    // Issue 29 row 5: the honest training-split evaluation verifies on its
    // own, but it is not the chain's evaluation link (the chain passed
    // with it and showed its accuracy as the model's): refused, by the
    // library and by the CLI (exit 2), naming the split.
    assert_eq!(st.counts().unwrap().total(), 36);
    let public_out = run(WeightsVisibility::Public).out.clone();
    let err = commands::audit_chain(&ChainArgs {
        train: public_out.join("proof.bundle"),
        eval: Some(on_train.proof.bundle.clone()),
        commitment: Some(f.commit_dir.join("commitment.json")),
        model: Some(model_path(&public_out, WeightsVisibility::Public)),
        ..ChainArgs::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("training split") && err.contains("--split test"),
        "{err}"
    );
    let cli = foldtrain(&[
        "audit",
        "--train",
        &arg(&public_out.join("proof.bundle")),
        "--eval",
        &arg(&on_train.proof.bundle),
    ]);
    assert_eq!(cli.code, 2, "{cli}");
    assert!(cli.stderr.contains("training split"), "{cli}");
    foldtrain(&["verify", &arg(&on_train.proof.bundle)]).ok();
}

#[test]
fn the_html_report_is_written_and_says_what_failed() {
    let out = &run(WeightsVisibility::Public).out;
    let html = fixture().root.join("audit.html");
    foldtrain(&[
        "audit",
        "--train",
        &arg(&out.join("proof.bundle")),
        "--eval",
        &arg(&out.join("eval-test.bundle")),
        "--predict",
        &arg(&out.join("predict.bundle")),
        "--commitment",
        &arg(&fixture().commit_dir),
        "--model",
        &arg(&out.join("model.json")),
        "--report",
        &arg(&html),
    ])
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("PASSED") && !page.contains("FAILED"));
    assert!(page.contains("<svg") && page.contains("TP"));
    let bad = fixture().root.join("audit-bad.html");
    let priv_out = &run(WeightsVisibility::Committed).out;
    let r = foldtrain(&[
        "audit",
        "--train",
        &arg(&out.join("proof.bundle")),
        "--eval",
        &arg(&priv_out.join("eval-test.bundle")),
        "--report",
        &arg(&bad),
    ]);
    assert_eq!(r.code, 1, "{r}");
    let page = std::fs::read_to_string(&bad).unwrap();
    assert!(page.contains("FAILED") && page.contains("same model as training"));
}

#[test]
fn data_that_does_not_open_the_commitment_is_refused() {
    let f = fixture();
    let other = data::write_small_csv(&f.root.join("other.csv"), 45, &data::SCALES, 8);
    let model = model_path(
        &run(WeightsVisibility::Public).out,
        WeightsVisibility::Public,
    );
    let r = foldtrain(&[
        "prove-eval",
        "--model",
        &arg(&model),
        "--commitment",
        &arg(&f.commit_dir),
        "--data",
        &arg(&other),
        "--out",
        &arg(&f.root.join("nope")),
    ]);
    r.refused_after_notes(&["does not open the commitment"]);
    assert!(!f.root.join("nope").join("eval-test.bundle").exists());
    // A public model of committed weights cannot prove: it has no salt.
    let public_model = run(WeightsVisibility::Committed)
        .out
        .join("model.public.json");
    let r = foldtrain(&[
        "prove-predict",
        "--model",
        &arg(&public_model),
        "--inputs",
        &arg(&f.inputs),
    ]);
    assert_eq!(r.code, 2, "{r}");
    // Inputs with other columns.
    let wrong = f.root.join("wrong.csv");
    std::fs::write(&wrong, "a,c,b\n1,2,3\n").unwrap();
    let r = foldtrain(&[
        "prove-predict",
        "--model",
        &arg(&model),
        "--inputs",
        &arg(&wrong),
        "--out",
        &arg(&f.root.join("nope")),
    ]);
    r.refused_after_notes(&["the model takes"]);
}

#[test]
fn the_verifier_caches_the_key_only_after_a_bundle_verified_and_never_trusts_a_planted_one() {
    use foldtrain::ivc::params::Cache;
    use foldtrain::statement::KeyOrigin;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path().join("cache"));
    // A new verifier each time, as each `verify` command is: only the
    // cache carries a key from one to the next.
    let fresh = |c: &Cache| Verifier::with_cache(Some(Cache::at(c.dir())));
    let eval = InferBundle::from_bytes(&run(WeightsVisibility::Public).eval).unwrap();
    let predict = InferBundle::from_bytes(&run(WeightsVisibility::Public).predict).unwrap();
    // A forged bundle leaves nothing behind.
    let mut forged = InferBundle::from_bytes(&run(WeightsVisibility::Public).eval).unwrap();
    if let Claim::Evaluation { commitment, .. } = &mut forged.statement.claim {
        *commitment = Commitment(commitment.0 + Scalar::from(1u64));
    }
    assert!(fresh(&cache).verify(&forged).is_err());
    assert!(!cache.key_path(&eval.statement.spec).exists());
    let first = fresh(&cache).verify(&eval).unwrap();
    assert_eq!(first.key_origin, KeyOrigin::Derived);
    assert!(cache.key_path(&eval.statement.spec).exists());
    let second = fresh(&cache).verify(&eval).unwrap();
    assert_eq!(
        second.key_origin,
        KeyOrigin::Cached,
        "the second verify reads the key"
    );
    // The same forgery is still refused with the cached key.
    assert!(matches!(
        fresh(&cache).verify(&forged),
        Err(Error::Rejected(Rejection::Snark(_)))
    ));
    // The evaluation's key planted under the predictions spec's name is not
    // used: the predictions bundle verifies with a key derived afresh.
    std::fs::copy(
        cache.key_path(&eval.statement.spec),
        cache.key_path(&predict.statement.spec),
    )
    .unwrap();
    let v = fresh(&cache).verify(&predict).unwrap();
    assert_eq!(v.key_origin, KeyOrigin::Derived);
}

/// Derives the key of the bundle at `bundle` into `dir` with `keys`; its
/// path and pin.
fn derive_key(bundle: &Path, dir: &Path, name: &str) -> (PathBuf, String, &'static str) {
    let path = dir.join(name);
    let r = commands::keys(&commands::RecipeSource::Bundle(bundle.into()), &path, false).unwrap();
    (path, r.sha256, r.kind)
}

#[test]
fn pinned_keys_verify_and_audit_every_kind_and_each_bundle_takes_only_its_own() {
    use commands::verify::{verify_bundles, Verdict};
    use commands::KeyChoice;
    use foldtrain::statement::KeyOrigin;
    let w = WeightsVisibility::Committed;
    let out = &run(w).out;
    let dir = tempfile::tempdir().unwrap();
    let train = out.join("proof.bundle");
    let eval = out.join("eval-test.bundle");
    let predict = out.join("predict.bundle");
    // `keys` takes a bundle of every kind.
    let kt = derive_key(&train, dir.path(), "train.vk");
    let ke = derive_key(&eval, dir.path(), "eval.vk");
    let kp = derive_key(&predict, dir.path(), "predict.vk");
    assert_eq!(
        (kt.2, ke.2, kp.2),
        ("training", "evaluation", "predictions")
    );
    let all = [&kt, &ke, &kp];
    let files: Vec<(&Path, &str)> = all.iter().map(|k| (k.0.as_path(), k.1.as_str())).collect();

    // One batch, three kinds, three pinned keys: each bundle is checked
    // with its own key, and says so.
    let bundles = [train.clone(), eval.clone(), predict.clone()];
    let r = verify_bundles(&bundles, None, KeyChoice::Files(files.clone())).unwrap();
    assert_eq!(r.verdict(), Verdict::Accepted, "{r}");
    let commands::verify::Verification::Batch(batch) = &r else {
        panic!("a batch report for three bundles")
    };
    for report in &batch.bundles {
        let (origin, sha) = report.key();
        assert_eq!(origin, Some(KeyOrigin::Given), "{report}");
        assert!(all.iter().any(|k| Some(k.1.as_str()) == sha), "{report}");
    }

    // The evaluation with only the predictions key: not checked (an error,
    // exit 2), and the message says what each given key is for.
    let only_predict = KeyChoice::file(&kp.0, &kp.1);
    let e = verify_bundles(std::slice::from_ref(&eval), None, only_predict)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key of another recipe")
            && e.contains("predictions")
            && e.contains("evaluation"),
        "{e}"
    );
    // In a batch the same is one bundle not checked: the verdict is 2.
    let r = verify_bundles(
        &[predict.clone(), eval.clone()],
        None,
        KeyChoice::file(&kp.0, &kp.1),
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::NotChecked, "{r}");
    // A key pinned by another key's hash is refused before anything else.
    let e = verify_bundles(
        std::slice::from_ref(&eval),
        None,
        KeyChoice::file(&ke.0, &kp.1),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not the pinned"), "{e}");
    // The evaluation's key file relabelled as the predictions key (its spec
    // swapped, the digest kept) is not the pinned one: refused.
    let mut relabelled =
        foldtrain::ivc::keys::KeyFile::<foldtrain::circuit::infer::InferSpec>::from_bytes(
            &std::fs::read(&ke.0).unwrap(),
        )
        .unwrap();
    relabelled.spec = InferBundle::read(&predict).unwrap().statement.spec;
    let relabelled_path = dir.path().join("relabelled.vk");
    relabelled.write(&relabelled_path).unwrap();
    let e = verify_bundles(
        std::slice::from_ref(&predict),
        None,
        KeyChoice::file(&relabelled_path, &kp.1),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not the pinned"), "{e}");

    // A forged evaluation with its genuine pinned key: rejected (exit 1).
    let mut forged = InferBundle::read(&eval).unwrap();
    if let Claim::Evaluation { counts, .. } = &mut forged.statement.claim {
        counts.tp += 1;
    }
    let forged_path = dir.path().join("forged-eval.bundle");
    std::fs::write(&forged_path, forged.to_bytes().unwrap()).unwrap();
    let r = verify_bundles(
        std::slice::from_ref(&forged_path),
        None,
        KeyChoice::file(&ke.0, &ke.1),
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::Rejected, "{r}");

    // The chain audit with the three pinned keys passes; without the
    // predictions key it is an error, not a pass.
    let chain_args = |keys: &[&(PathBuf, String, &str)]| ChainArgs {
        train: train.clone(),
        eval: Some(eval.clone()),
        predict: Some(predict.clone()),
        commitment: Some(fixture().commit_dir.join("commitment.json")),
        model: Some(model_path(out, w)),
        vk: keys.iter().map(|k| k.0.clone()).collect(),
        vk_sha256: keys.iter().map(|k| k.1.clone()).collect(),
        ..ChainArgs::default()
    };
    let audited = commands::audit::audit_any(&chain_args(&all)).unwrap();
    assert!(audited.passed, "{audited}");
    let commands::audit::AuditOf::Chain(chain) = &audited.report else {
        panic!("a chain report")
    };
    assert!(chain.training.verified);
    assert_eq!(
        chain.evaluation.as_ref().and_then(|e| e.key_origin),
        Some(KeyOrigin::Given)
    );
    let e = commands::audit::audit_any(&chain_args(&[&kt, &ke]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("key of another recipe"), "{e}");

    // From the command line: keys of an evaluation bundle, then verify it
    // with that key, pinned (exit 0); the same key for the predictions
    // bundle is not checked (exit 2).
    let cli_key = dir.path().join("cli-eval.vk");
    let keys_run = foldtrain(&["keys", &arg(&eval), "--out", &arg(&cli_key)]);
    assert_eq!(keys_run.code, 0, "{}{}", keys_run.stdout, keys_run.stderr);
    assert!(
        keys_run.stdout.contains(&ke.1),
        "the same key: {}",
        keys_run.stdout
    );
    let v = foldtrain(&[
        "verify",
        &arg(&eval),
        "--vk",
        &arg(&cli_key),
        "--vk-sha256",
        &ke.1,
    ]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let v = foldtrain(&[
        "verify",
        &arg(&predict),
        "--vk",
        &arg(&cli_key),
        "--vk-sha256",
        &ke.1,
    ]);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
}
