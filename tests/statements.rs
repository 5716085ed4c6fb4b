//! Commit first, train later, keep the model private: `commit` publishes
//! both splits' commitments before training, `prove --commitment` proves
//! against them, and `--private-weights` publishes only `C_W`. The bundle of
//! committed weights is attacked field by field, as an attacker would; the
//! private model must open `C_W` bit for bit.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use foldtrain::artifact::read_json;
use foldtrain::circuit::ModelCommitment;
use foldtrain::commands::{self, CommitReport, CommitmentFile, ProveReport, ResumeArgs};
use foldtrain::commitment::{Commitment, Opening, Salt};
use foldtrain::fixed::Scalar;
use foldtrain::model::{Model, PublicModel};
use foldtrain::proof::{ProofBundle, PublishedModel, Statement, StatementKind, Verifier};
use foldtrain::recipe::{RecipeFields, WeightsVisibility};
use foldtrain::{train, Error, Rejection, StateField};

#[cfg(unix)]
use common::bin::mode;
use common::bin::{arg, foldtrain, listing};
use common::data;

struct Fixture {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    commit_dir: PathBuf,
    committed: CommitReport,
    report: ProveReport,
    bytes: Vec<u8>,
    native: train::Weights,
}

/// 45 rows of 3 features (36 train, 9 test), two epochs: committed first,
/// then proved against that commitment with private weights, interrupted
/// after its first step and resumed (so the weights salt must survive the
/// checkpoint). Proved once for the whole file.
fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = data::write_small_csv(&dir.path().join("small.csv"), 45, &data::SCALES, 7);
        let mut args = data::data_args(&csv, 2);
        args.hyper.weights = WeightsVisibility::Committed;
        let commit_dir = dir.path().join("committed");
        let committed = commands::commit(&args, &commit_dir, false).unwrap();

        let out = dir.path().join("out");
        let mut prove = data::prove_args(args.clone(), out.clone());
        prove.commitment = Some(commit_dir.clone());
        prove.run.interrupt = Some(Arc::new(AtomicBool::new(true)));
        match commands::prove(&prove) {
            Err(Error::Interrupted(_)) => {}
            other => panic!("expected an interrupt, got {:?}", other.err()),
        }
        let resume = ResumeArgs {
            checkpoint_dir: out.join("private").join("checkpoints"),
            data: None,
            run: commands::RunSettings {
                out_dir: Some(out),
                ..Default::default()
            },
        };
        let report = commands::resume(&resume).unwrap();
        let loaded = args.load().unwrap();
        let native = train::train_fixed(&loaded.recipe, &loaded.prepared.train_fixed).unwrap();
        let bytes = std::fs::read(&report.bundle_path).unwrap();
        Fixture {
            _dir: dir,
            csv,
            commit_dir,
            committed,
            report,
            bytes,
            native,
        }
    })
}

fn bundle() -> ProofBundle {
    ProofBundle::from_bytes(&fixture().bytes).unwrap()
}

fn out_dir() -> &'static Path {
    fixture().report.bundle_path.parent().unwrap()
}

fn private_model() -> Model {
    read_json(&out_dir().join("private").join("model.json"), Model::KIND).unwrap()
}

/// The private model file with `edit` applied to its JSON, as an attacker
/// would write it.
fn forged_model_json(edit: impl Fn(&mut serde_json::Value)) -> String {
    let path = out_dir().join("private").join("model.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut m);
    m.to_string()
}

/// Moves weight `i` (the bias for `None`) by `by` units of `2^-F`, its
/// exact integer and its decimal alike, so that the file stays consistent.
fn shift_weight(
    m: &mut serde_json::Value,
    i: Option<usize>,
    by: i64,
    format: &foldtrain::fixed::FixedFormat,
) {
    let (fixed, decimal) = match i {
        Some(i) => (&format!("/weights_fixed/{i}"), &format!("/weights/{i}")),
        None => (&"/bias_fixed".to_string(), &"/bias".to_string()),
    };
    let v = m.pointer(fixed).unwrap().as_i64().unwrap() + by;
    *m.pointer_mut(fixed).unwrap() = v.into();
    *m.pointer_mut(decimal).unwrap() = format.to_f64(v).into();
}

/// Removes the `C_W` a private model file records.
fn drop_recorded_c_w(m: &mut serde_json::Value) {
    m.as_object_mut().unwrap().remove("weights_commitment");
}

fn rejected(verifier: &mut Verifier, bundle: &ProofBundle) -> Rejection {
    match verifier.verify(bundle) {
        Err(Error::Rejected(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn the_proof_is_against_the_commitment_published_before() {
    let f = fixture();
    let st = &bundle().statement;
    assert_eq!(st.commitment, f.committed.commitment);
    assert_eq!(st.test_commitment, f.committed.test_commitment);
    assert_eq!((f.committed.rows, f.committed.test_rows), (36, 9));
    // The output folder holds the same public commitment file as the one
    // published, and an opening identical to the committed one.
    let published: CommitmentFile =
        read_json(&f.commit_dir.join("commitment.json"), CommitmentFile::KIND).unwrap();
    let copied: CommitmentFile =
        read_json(&out_dir().join("commitment.json"), CommitmentFile::KIND).unwrap();
    assert_eq!(published, copied);
    let a: Opening = read_json(
        &f.commit_dir.join("private").join("opening.json"),
        Opening::KIND,
    )
    .unwrap();
    let b: Opening = read_json(&f.report.opening_path, Opening::KIND).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_committed_weights_bundle_holds_no_weights_and_verifies() {
    let f = fixture();
    let b = bundle();
    let st = &b.statement;
    assert_eq!(st.kind(), StatementKind::TrainCommittedWeights);
    assert!(st.final_weights().is_none());
    let PublishedModel::Committed(c_w) = st.model else {
        panic!("not a committed model")
    };
    // C_W is the private model's weights (the native trainer's, bit for
    // bit) under its salt.
    let model = private_model();
    assert_eq!(model.fixed_weights().weights(), &f.native);
    assert_eq!(model.opened_commitment(), Some(c_w));
    assert_eq!(model.weights_commitment(), Some(c_w));
    assert_eq!(f.report.weights_commitment, Some(c_w));
    // No encoding of the weights anywhere in the bundle's bytes.
    let encoded = bincode::serde::encode_to_vec(&f.native, bincode::config::standard()).unwrap();
    assert!(
        !f.bytes.windows(encoded.len()).any(|w| w == encoded),
        "the bundle carries the weights"
    );
    let mut verifier = Verifier::with_cache(None);
    let v = verifier.verify(&b).unwrap();
    assert_eq!(v.steps, st.steps);
    // `inspect` shows C_W and no weights.
    let inspected = commands::inspect(&f.report.bundle_path).unwrap();
    assert_eq!(inspected.statement.weights_commitment, Some(c_w));
    assert_eq!(inspected.statement.weights, None);
    assert!(inspected.to_string().contains(&c_w.to_string()));
}

#[test]
fn public_and_private_files_of_a_committed_model() {
    let out = out_dir();
    assert_eq!(
        listing(out),
        [
            "commitment.json",
            "manifest.json",
            "model.public.json",
            "private",
            "proof.bundle"
        ]
    );
    let mut private = listing(&out.join("private"));
    private.retain(|n| n != "run.lock" && n != "checkpoints");
    assert_eq!(private, ["model.json", "opening.json"]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&out.join("private")), 0o700);
        assert_eq!(mode(&out.join("private").join("model.json")), 0o600);
    }
    // model.public.json: C_W and the normalizer, no weights.
    let text = std::fs::read_to_string(out.join("model.public.json")).unwrap();
    assert!(
        !text.contains("weights_fixed") && !text.contains("bias"),
        "{text}"
    );
    let public: PublicModel = serde_json::from_str(&text).unwrap();
    let model = private_model();
    assert_eq!(Some(public.weights_commitment), model.weights_commitment());
    assert_eq!(public.normalizer.as_ref(), Some(&model.normalizer));
    // --private-normalizer keeps it out.
    assert_eq!(model.public(false).unwrap().normalizer, None);
    assert!(Model::new(
        model.recipe.clone(),
        model.feature_names.clone(),
        model.train_fraction,
        model.normalizer.clone(),
        model.fixed_weights()
    )
    .unwrap()
    .public(true)
    .is_none());
}

#[test]
fn audit_opens_c_w_with_the_private_model_and_replays_training() {
    let f = fixture();
    let bundle_path = &f.report.bundle_path;
    let opening = &f.report.opening_path;
    let model_path = out_dir().join("private").join("model.json");
    let r = commands::audit(bundle_path, Some(&f.csv), Some(opening), Some(&model_path)).unwrap();
    assert!(r.passed(), "{:?}", r.problems);
    assert_eq!(
        (r.commitment_opened, r.weights_opened, r.weights_reproduced),
        (Some(true), Some(true), Some(true))
    );
    // Without the private model the replay has nothing to compare with: the
    // commitments are opened, the weights not checked.
    let r = commands::audit(bundle_path, Some(&f.csv), Some(opening), None).unwrap();
    assert_eq!(
        (r.commitment_opened, r.weights_opened, r.weights_reproduced),
        (Some(true), None, None)
    );
    assert!(r
        .to_string()
        .contains("not checked (give --data, --opening and --model)"));

    // A private model with one weight changed (or the bias, or the salt)
    // does not open C_W, and the audit fails. (The forger drops the C_W
    // the file records: a file whose weights and salt do not open its own
    // C_W is not a model at all, refused when read, tested below.)
    let dir = tempfile::tempdir().unwrap();
    let format = private_model().recipe.format;
    let salt = serde_json::to_value(Salt::random()).unwrap();
    let forgeries: Vec<(&str, String)> = vec![
        (
            "weight 0 + 1",
            forged_model_json(|m| {
                shift_weight(m, Some(0), 1, &format);
                drop_recorded_c_w(m);
            }),
        ),
        (
            "bias - 1",
            forged_model_json(|m| {
                shift_weight(m, None, -1, &format);
                drop_recorded_c_w(m);
            }),
        ),
        (
            "another salt",
            forged_model_json(|m| {
                m["weights_salt"] = salt.clone();
                drop_recorded_c_w(m);
            }),
        ),
        (
            "no salt",
            forged_model_json(|m| {
                m.as_object_mut().unwrap().remove("weights_salt");
            }),
        ),
    ];
    for (what, forged) in forgeries {
        let path = dir.path().join("model.json");
        std::fs::write(&path, forged).unwrap();
        let r = commands::audit(bundle_path, Some(&f.csv), Some(opening), Some(&path)).unwrap();
        assert_eq!(r.weights_opened, Some(false), "{what}");
        assert!(!r.passed(), "{what}");
        // And `verify --model` says no, with exit 1.
        let run = foldtrain(&["verify", &arg(bundle_path), "--model", &arg(&path)]);
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
    }
    // The CLI passes the honest chain.
    let run = foldtrain(&[
        "audit",
        &arg(bundle_path),
        "--data",
        &arg(&f.csv),
        "--opening",
        &arg(opening),
        "--model",
        &arg(&model_path),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("C_W opened          yes"),
        "{}",
        run.stdout
    );
}

#[test]
fn every_field_of_a_committed_weights_statement_is_bound() {
    // Each forgery of the statement, verified with one verifier (the key is
    // derived once): all rejected, and for what they are.
    let f = fixture();
    let mut verifier = Verifier::with_cache(None);
    verifier.verify(&bundle()).unwrap();
    let edit = |e: &dyn Fn(&mut Statement)| {
        let mut b = bundle();
        e(&mut b.statement);
        b
    };
    let c_w = match bundle().statement.model {
        PublishedModel::Committed(c) => c,
        PublishedModel::Weights(_) => unreachable!(),
    };
    let honest = private_model();
    let final_field = |fields: Vec<StateField>| Rejection::FinalState(fields);
    type Expect = Box<dyn Fn(&Rejection) -> bool>;
    let cases: Vec<(&str, ProofBundle, Expect)> = vec![
        (
            "C_W + 1",
            edit(&|s| {
                s.model = PublishedModel::Committed(ModelCommitment(c_w.0 + Scalar::from(1u64)))
            }),
            Box::new(move |r| *r == final_field(vec![StateField::ModelCommitment])),
        ),
        (
            "C_W of the same weights under another salt",
            edit(&|s| {
                s.model = PublishedModel::Committed(ModelCommitment::of(
                    honest.fixed_weights(),
                    &Salt::random(),
                ))
            }),
            Box::new(move |r| *r == final_field(vec![StateField::ModelCommitment])),
        ),
        (
            "the training commitment",
            edit(&|s| s.commitment = Commitment(s.commitment.0 + Scalar::from(1u64))),
            Box::new(|r| matches!(r, Rejection::Snark(_))),
        ),
        (
            "the test commitment",
            edit(&|s| s.test_commitment = Commitment(s.test_commitment.0 - Scalar::from(1u64))),
            Box::new(|r| matches!(r, Rejection::Snark(_))),
        ),
        (
            "the two commitments swapped",
            edit(&|s| std::mem::swap(&mut s.commitment, &mut s.test_commitment)),
            Box::new(|r| matches!(r, Rejection::Snark(_))),
        ),
        (
            "the test commitment set to the training one",
            edit(&|s| s.test_commitment = s.commitment),
            Box::new(|r| matches!(r, Rejection::Snark(_))),
        ),
        (
            "weights where C_W was (the true weights)",
            edit(&|s| s.model = PublishedModel::Weights(f.native.clone())),
            Box::new(|r| matches!(r, Rejection::Shape(m) if m.contains("instead of C_W"))),
        ),
        (
            "a public recipe that carries C_W",
            edit(&|s| {
                s.recipe = s
                    .recipe
                    .altered(|r: &mut RecipeFields| r.weights = WeightsVisibility::Public)
                    .unwrap();
            }),
            Box::new(|r| matches!(r, Rejection::Shape(m) if m.contains("instead of weights"))),
        ),
        (
            "one step fewer",
            edit(&|s| s.steps -= 1),
            Box::new(|r| matches!(r, Rejection::StepCount { .. })),
        ),
        (
            "another parameter digest",
            edit(&|s| s.params_digest = "00".repeat(32)),
            Box::new(|r| matches!(r, Rejection::ParamsDigest { .. })),
        ),
        (
            "non-zero initial weights",
            edit(&|s| s.initial.b = 1),
            Box::new(|r| matches!(r, Rejection::Shape(_))),
        ),
        (
            "read as a public-weights statement of the true weights",
            edit(&|s| {
                s.model = PublishedModel::Weights(f.native.clone());
                s.recipe = s
                    .recipe
                    .altered(|r: &mut RecipeFields| r.weights = WeightsVisibility::Public)
                    .unwrap();
            }),
            Box::new(|r| matches!(r, Rejection::ParamsDigest { .. })),
        ),
    ];
    for (what, forged, expected) in cases {
        let r = rejected(&mut verifier, &forged);
        assert!(expected(&r), "{what}: rejected as {r}");
        // And from its bytes, as `verify` reads it.
        let bytes = forged.to_bytes().unwrap();
        let back = ProofBundle::from_bytes(&bytes).unwrap();
        assert!(verifier.verify(&back).is_err(), "{what} (from bytes)");
    }
    // The honest bundle still verifies with the same verifier.
    verifier.verify(&bundle()).unwrap();
}

#[test]
fn a_committed_bundle_is_never_read_as_a_public_one() {
    // The model's variant is encoded in the bundle: flipping the variant
    // byte of a committed statement gives bytes that do not decode as a
    // public-weights statement (a 32-byte C_W is no weight vector of the
    // recipe's length), or that verification rejects.
    let b = bundle();
    let bytes = fixture().bytes.clone();
    let st_bytes =
        bincode::serde::encode_to_vec(&b.statement, bincode::config::standard()).unwrap();
    let before_model = bincode::serde::encode_to_vec(
        (
            &b.statement.recipe,
            &b.statement.commitment,
            &b.statement.test_commitment,
            &b.statement.initial,
        ),
        bincode::config::standard(),
    )
    .unwrap()
    .len();
    assert!(before_model < st_bytes.len());
    let at = bytes.len()
        - bincode::serde::encode_to_vec(&b, bincode::config::standard())
            .unwrap()
            .len()
        + before_model;
    let mut flipped = bytes.clone();
    assert_eq!(flipped[at], 1, "the variant index of Committed");
    flipped[at] = 0;
    match ProofBundle::from_bytes(&flipped) {
        Err(Error::Rejected(_)) => {}
        Ok(read) => {
            let mut verifier = Verifier::with_cache(None);
            assert!(verifier.verify(&read).is_err());
        }
        Err(e) => panic!("not a rejection: {e}"),
    }
}

#[test]
fn data_that_does_not_open_the_commitment_is_refused_and_nothing_written() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    // The same CSV with training rows 10 and 11 swapped (block 1; the
    // normalizer is the same) and, separately, the last test row changed.
    let text = std::fs::read_to_string(&f.csv).unwrap();
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let mut swapped = lines.clone();
    swapped.swap(10, 11);
    assert_ne!(lines[10], lines[11]);
    let mut changed = lines.clone();
    let last = changed.len() - 1;
    let mut cells: Vec<String> = changed[last].split(',').map(String::from).collect();
    let v: f64 = cells[0].parse().unwrap();
    cells[0] = format!("{:.4}", v + 7.0);
    changed[last] = cells.join(",");
    for (name, rows, needles) in [
        (
            "train.csv",
            swapped,
            ["training rows", "block 1 (training rows 9 to 16)"],
        ),
        (
            "test.csv",
            changed,
            ["test rows", "block 1 (test rows 9 to 9)"],
        ),
    ] {
        let csv = dir.path().join(name);
        std::fs::write(&csv, rows.join("\n") + "\n").unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let run = foldtrain(&[
            "prove",
            "--data",
            &arg(&csv),
            "--epochs",
            "2",
            "--batch",
            "8",
            "--batches-per-step",
            "1",
            "--commitment",
            &arg(&f.commit_dir),
            "--out",
            &arg(&out),
        ]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        for needle in needles {
            assert!(
                run.stderr.contains(needle),
                "{name}: {needle} in {}",
                run.stderr
            );
        }
        assert!(!out.exists(), "{name}: {} was written", out.display());
    }
    // A commitment folder without its opening: refused, saying which file.
    let bare = dir.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    std::fs::copy(
        f.commit_dir.join("commitment.json"),
        bare.join("commitment.json"),
    )
    .unwrap();
    let run = foldtrain(&["prove", "--data", &arg(&f.csv), "--commitment", &arg(&bare)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("opening.json"), "{}", run.stderr);
    // An opening of another commitment beside it.
    let other = dir.path().join("other");
    commands::commit(&data::data_args(&f.csv, 2), &other, false).unwrap();
    std::fs::copy(
        f.commit_dir.join("commitment.json"),
        other.join("commitment.json"),
    )
    .unwrap();
    let run = foldtrain(&[
        "prove",
        "--data",
        &arg(&f.csv),
        "--commitment",
        &arg(&other),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("different commitments"),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_checks_a_public_or_private_model_file_against_c_w() {
    let f = fixture();
    let bundle_path = arg(&f.report.bundle_path);
    let public_path = out_dir().join("model.public.json");
    for honest in [
        public_path.clone(),
        out_dir().join("private").join("model.json"),
    ] {
        let run = foldtrain(&["verify", &bundle_path, "--model", &arg(&honest)]);
        assert_eq!(
            run.code,
            0,
            "{}: {}{}",
            honest.display(),
            run.stdout,
            run.stderr
        );
    }
    // A public model whose C_W is another: rejected, naming C_W.
    let dir = tempfile::tempdir().unwrap();
    let mut public: PublicModel = read_json(&public_path, PublicModel::KIND).unwrap();
    public.weights_commitment = ModelCommitment(public.weights_commitment.0 + Scalar::from(1u64));
    let forged = dir.path().join("model.public.json");
    std::fs::write(&forged, serde_json::to_string(&public).unwrap()).unwrap();
    let run = foldtrain(&["verify", &bundle_path, "--model", &arg(&forged)]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("C_W"), "{}", run.stdout);
}

/// Issue 29, row 1: a private model whose weights carry between two packed
/// neighbours (`w0 + 2^bits`, `w1 - 1`) packs to the very elements of the
/// honest weights, so it opened the same `C_W` natively: `verify --model`,
/// `audit --model` and the chain audit accepted it (its weight 0 was 128
/// instead of about 0.1). A model file is now parsed into in-range weights
/// once, wherever it is read: each of these refuses it, naming the field.
#[test]
fn a_model_file_carrying_between_packed_weights_is_refused_everywhere() {
    let f = fixture();
    let honest = private_model();
    let format = honest.recipe.format;
    assert!(honest.recipe.features >= 2);
    let bits = format.weight_bits();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a carry from weight 1 into weight 0",
            forged_model_json(|m| {
                shift_weight(m, Some(0), 1 << bits, &format);
                shift_weight(m, Some(1), -1, &format);
            }),
            "weight 0 is",
        ),
        (
            "the bias one past its range",
            forged_model_json(|m| {
                let half = format.weight_half_range();
                let b = m["bias_fixed"].as_i64().unwrap();
                shift_weight(m, None, half - b, &format);
            }),
            "bias is",
        ),
        (
            "a decimal that is not weights_fixed / 2^F",
            forged_model_json(|m| {
                let w = m["weights"][0].as_f64().unwrap();
                m["weights"][0] = (w + 1.0).into();
            }),
            "decimal weight 0",
        ),
        (
            "a recorded C_W its weights and salt do not open",
            forged_model_json(|m| m["weights_commitment"] = m["weights_salt"].clone()),
            "do not open the C_W it records",
        ),
    ];
    for (what, forged, field) in cases {
        std::fs::write(&path, &forged).unwrap();
        // The library: the file does not parse into a model.
        let err = read_json::<Model>(&path, Model::KIND)
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{what}: {err}");
        // verify --model, audit --model and the chain audit: refused, exit
        // 2 (the file is not a model), the field named.
        let bundle = arg(&f.report.bundle_path);
        for args in [
            vec!["verify", &bundle, "--model", &arg(&path)],
            vec!["audit", &bundle, "--model", &arg(&path)],
            vec![
                "audit",
                &bundle,
                "--commitment",
                &arg(&f.commit_dir.join("commitment.json")),
                "--model",
                &arg(&path),
            ],
        ] {
            let run = foldtrain(&args);
            assert_eq!(
                run.code, 2,
                "{what}: {args:?}: {}{}",
                run.stdout, run.stderr
            );
            assert!(
                run.stderr.contains(field),
                "{what}: {args:?}: {}",
                run.stderr
            );
        }
        assert!(
            commands::audit(&f.report.bundle_path, None, None, Some(&path)).is_err(),
            "{what}"
        );
    }
    // The honest file still passes, as the control.
    let honest_path = out_dir().join("private").join("model.json");
    let run = foldtrain(&[
        "verify",
        &arg(&f.report.bundle_path),
        "--model",
        &arg(&honest_path),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
