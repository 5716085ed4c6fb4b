//! The preprocessing statement, end to end: `commit` publishes raw and
//! quantized commitments, `prove-preprocessing` proves the normalizer and
//! the quantized rows from the raw ones, `verify` accepts the bundle and
//! refuses every field forged, alone and across bundles.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use foldtrain::circuit::prep::NormalizerClaim;
use foldtrain::commands::{self, PrepArgs, PREP_BUNDLE_FILE};
use foldtrain::commitment::{Commitment, Opening};
use foldtrain::dataset::Normalizer;
use foldtrain::fixed::Scalar;
use foldtrain::ivc::prover::Silent;
use foldtrain::preprocessing::PrepBundle;
use foldtrain::proof::Verifier;
use foldtrain::{Error, Rejection};

use common::bin::{arg, foldtrain};
use common::data;

struct Fixture {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    commit_dir: PathBuf,
    bytes: Vec<u8>,
}

/// 45 rows of 3 features (36 train, 9 test), committed, then its
/// preprocessing proved at 8 rows a step (partial last steps in both
/// splits). Proved once for the whole file.
fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = data::write_small_csv(&dir.path().join("small.csv"), 45, &data::SCALES, 11);
        let args = data::data_args(&csv, 1);
        let commit_dir = dir.path().join("committed");
        commands::commit(&args, &commit_dir, false).unwrap();
        let report = commands::prove_preprocessing(
            &PrepArgs {
                commitment: commit_dir.clone(),
                data: csv.clone(),
                rows_per_step: Some(8),
                private_normalizer: false,
                force: false,
            },
            &Silent,
        )
        .unwrap();
        assert_eq!(report.bundle, commit_dir.join(PREP_BUNDLE_FILE));
        let bytes = std::fs::read(&report.bundle).unwrap();
        Fixture {
            _dir: dir,
            csv,
            commit_dir,
            bytes,
        }
    })
}

fn bundle() -> PrepBundle {
    PrepBundle::from_bytes(&fixture().bytes).unwrap()
}

fn verify(b: &PrepBundle) -> foldtrain::Result<()> {
    let back = PrepBundle::from_bytes(&b.to_bytes().unwrap()).unwrap();
    Verifier::default().verify(&back).map(|_| ())
}

fn opening() -> Opening {
    foldtrain::artifact::read_json(
        &fixture().commit_dir.join("private/opening.json"),
        Opening::KIND,
    )
    .unwrap()
}

#[test]
fn the_honest_bundle_verifies_and_states_the_datas_normalizer() {
    let b = bundle();
    verify(&b).unwrap();
    // Its normalizer is the one `train` fits on these rows, and its
    // commitments are commitment.json's four.
    let loaded = data::data_args(&fixture().csv, 1).load().unwrap();
    assert_eq!(
        b.statement.normalizer,
        NormalizerClaim::Public(loaded.prepared.normalizer)
    );
    let o = opening();
    let c = &b.statement.commitments;
    assert_eq!(
        [c.raw_train, c.raw_test, c.train, c.test],
        [
            o.raw_train.commitment,
            o.raw_test.commitment,
            o.train.commitment,
            o.test.commitment
        ]
    );
    // The CLI agrees (exit 0), inspect reads it, keys derives its key.
    let path = fixture().commit_dir.join(PREP_BUNDLE_FILE);
    let run = foldtrain(&["--json", "verify", &arg(&path)]).ok();
    assert_eq!(run.json()["accepted"], true);
    let inspected = foldtrain(&["inspect", &arg(&path)]).ok();
    assert!(
        inspected.stdout.contains("NOT verified"),
        "{}",
        inspected.stdout
    );
    let key = fixture().commit_dir.join("prep.vk");
    let keys = foldtrain(&["--json", "keys", &arg(&path), "--out", &arg(&key)]).ok();
    assert_eq!(keys.json()["kind"], "preprocessing");
    let sha = keys.json()["sha256"].as_str().unwrap().to_string();
    foldtrain(&[
        "verify",
        &arg(&path),
        "--vk",
        &arg(&key),
        "--vk-sha256",
        &sha,
    ])
    .ok();
}

#[test]
fn a_normalizer_other_than_the_datas_is_refused() {
    // Each mean and deviation moved by one unit (2^-16): the normalizer is
    // in z_0 (claimed from the first step) and z_N, so the proof does not
    // verify against the forged statement.
    let NormalizerClaim::Public(honest) = bundle().statement.normalizer else {
        panic!("a public normalizer")
    };
    for j in 0..honest.features() {
        for k in [0, 1] {
            let mut means = honest.means().to_vec();
            let mut stds = honest.stds().to_vec();
            if k == 0 {
                means[j] += 1;
            } else {
                stds[j] += 1;
            }
            let mut b = bundle();
            b.statement.normalizer =
                NormalizerClaim::Public(Normalizer::from_fixed(means, stds).unwrap());
            assert!(
                matches!(verify(&b), Err(Error::Rejected(Rejection::Snark(_)))),
                "feature {j}, {k}: {:?}",
                verify(&b)
            );
        }
    }
}

#[test]
fn every_other_field_forged_is_refused() {
    let other = Commitment(Scalar::from(12_345u64));
    type Edit = fn(&mut PrepBundle, Commitment);
    let edits: [(&str, Edit); 6] = [
        ("raw training commitment", |b, c| {
            b.statement.commitments.raw_train = c
        }),
        ("raw test commitment", |b, c| {
            b.statement.commitments.raw_test = c
        }),
        ("training commitment", |b, c| {
            b.statement.commitments.train = c
        }),
        ("test commitment", |b, c| b.statement.commitments.test = c),
        ("the two raw commitments swapped", |b, _| {
            let c = &mut b.statement.commitments;
            std::mem::swap(&mut c.raw_train, &mut c.raw_test);
        }),
        ("a raw commitment given as the quantized one", |b, _| {
            let c = &mut b.statement.commitments;
            c.train = c.raw_train;
        }),
    ];
    for (what, edit) in edits {
        let mut b = bundle();
        edit(&mut b, other);
        // z_0 holds the commitments: the SNARK itself fails.
        assert!(
            matches!(verify(&b), Err(Error::Rejected(Rejection::Snark(_)))),
            "{what}: {:?}",
            verify(&b)
        );
    }
    let mut b = bundle();
    b.statement.steps += 1;
    assert!(matches!(
        verify(&b),
        Err(Error::Rejected(Rejection::StepCount { .. }))
    ));
    let mut b = bundle();
    b.statement.spec.rows_per_step = 16;
    b.statement.steps = b.statement.spec.steps();
    assert!(verify(&b).is_err(), "another spec's key");
    let mut b = bundle();
    b.statement.spec.train_rows += 1;
    b.statement.steps = b.statement.spec.steps();
    assert!(verify(&b).is_err(), "another row count");
    let mut b = bundle();
    b.statement.params_digest = "00".repeat(32);
    assert!(verify(&b).is_err(), "another digest");
}

#[test]
fn the_bundle_is_refused_as_any_other_kind_and_by_another_kind_of_command() {
    let path = fixture().commit_dir.join(PREP_BUNDLE_FILE);
    // --model checks training bundles only (exit 2, named).
    let model = fixture().commit_dir.join("model.json");
    std::fs::write(&model, "{}").unwrap();
    let run = foldtrain(&["verify", &arg(&path), "--model", &arg(&model)]);
    run.refused(&["preprocessing bundle", "--model"]);
    // Cut short or with a flipped byte: rejected (exit 1), never a panic.
    let cut = fixture().commit_dir.join("cut.bundle");
    std::fs::write(&cut, &fixture().bytes[..fixture().bytes.len() / 2]).unwrap();
    let run = foldtrain(&["verify", &arg(&cut)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // A batch with the honest bundle and the cut one: rejected (1).
    let run = foldtrain(&["verify", &arg(&path), &arg(&cut)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn data_other_than_the_committed_is_refused_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let other = data::write_small_csv(&dir.path().join("other.csv"), 45, &data::SCALES, 12);
    let e = commands::prove_preprocessing(
        &PrepArgs {
            commitment: fixture().commit_dir.clone(),
            data: other,
            rows_per_step: Some(8),
            private_normalizer: false,
            force: true,
        },
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("does not open the commitment"), "{e}");
    // The existing bundle is kept unless --force.
    let e = commands::prove_preprocessing(
        &PrepArgs {
            commitment: fixture().commit_dir.clone(),
            data: fixture().csv.clone(),
            rows_per_step: Some(8),
            private_normalizer: false,
            force: false,
        },
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--force"), "{e}");
}

/// The whole chain on the fixture's commitment: training against it (public
/// weights), evaluation on its test split, predictions on raw values, and
/// the chain audit with the preprocessing bundle. Proved once.
struct Chain {
    out: PathBuf,
    inputs: PathBuf,
}

fn chain() -> &'static Chain {
    static C: OnceLock<Chain> = OnceLock::new();
    C.get_or_init(|| {
        let f = fixture();
        let root = f.commit_dir.parent().unwrap();
        let out = root.join("run");
        let mut prove = data::prove_args(data::data_args(&f.csv, 1), out.clone());
        prove.commitment = Some(f.commit_dir.clone());
        commands::prove(&prove).unwrap();
        let infer = |out: &std::path::Path| commands::InferArgs {
            model: out.join("model.json"),
            out: None,
            rows_per_step: Some(8),
            force: false,
        };
        commands::prove_eval(
            &commands::EvalArgs {
                infer: infer(&out),
                commitment: f.commit_dir.clone(),
                data: f.csv.clone(),
                split: foldtrain::commitment::Split::Test,
                group: None,
            },
            &Silent,
        )
        .unwrap();
        // An applicant's own values: the first rows of the CSV, labels off,
        // and one far outside the training range (it clamps).
        let text = std::fs::read_to_string(&f.csv).unwrap();
        let mut lines: Vec<String> = text
            .lines()
            .take(6)
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect();
        lines.push("-250.5,3.25,1000".into());
        let inputs = root.join("applicants.csv");
        std::fs::write(&inputs, lines.join("\n") + "\n").unwrap();
        commands::prove_predict(
            &commands::PredictArgs {
                infer: infer(&out),
                inputs: inputs.clone(),
                raw: true,
            },
            &Silent,
        )
        .unwrap();
        Chain { out, inputs }
    })
}

fn audit(prep: PathBuf, model: PathBuf, predict: PathBuf) -> commands::ChainReport {
    let c = chain();
    commands::audit_chain(&commands::ChainArgs {
        train: c.out.join("proof.bundle"),
        eval: Some(c.out.join("eval-test.bundle")),
        predict: Some(predict),
        preprocessing: Some(prep),
        commitment: Some(fixture().commit_dir.join("commitment.json")),
        model: Some(model),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn the_chain_from_raw_rows_to_raw_decisions_passes_with_every_link_by_value() {
    let c = chain();
    let prep = fixture().commit_dir.join(PREP_BUNDLE_FILE);
    let r = audit(
        prep.clone(),
        c.out.join("model.json"),
        c.out.join("predict.bundle"),
    );
    assert!(r.passed(), "{r}");
    let names: Vec<&str> = r.links.iter().map(|l| l.name.as_str()).collect();
    for want in [
        "preprocessing: its quantized training rows are the ones training read",
        "preprocessing: its quantized test rows are the ones training carries",
        "preprocessing: its quantized test rows are the ones evaluated",
        "preprocessing: its normalizer is the model's",
        "preprocessing: the raw predictions are quantized by its normalizer",
        "preprocessing: on the published raw training commitment",
        "preprocessing: on the published raw test commitment",
        "predictions: its raw inputs are normalized by the model's normalizer",
    ] {
        assert!(names.contains(&want), "{want} not checked: {names:?}");
    }
    // The raw predictions' statement lists the applicant's own values (as
    // integers x 2^16) and decides as the native model does.
    let b = foldtrain::inference::InferBundle::read(&c.out.join("predict.bundle")).unwrap();
    let foldtrain::inference::Claim::Predictions {
        inputs,
        normalizer,
        outputs,
    } = &b.statement.claim
    else {
        panic!("a predictions claim")
    };
    assert_eq!(
        inputs.last().unwrap(),
        &vec![-250 * 65_536 - 32_768, 3 * 65_536 + 16_384, 1000 * 65_536]
    );
    assert_eq!(normalizer.clone(), Some(bundle().statement.normalizer));
    let native = commands::predict(&c.out.join("model.json"), &c.inputs).unwrap();
    let proven: Vec<u8> = outputs.decisions().into_iter().map(u8::from).collect();
    assert_eq!(
        proven,
        native.iter().map(|p| p.decision).collect::<Vec<_>>()
    );
    // The HTML report names the preprocessing statement.
    let html = c.out.join("audit.html");
    let mut args = commands::ChainArgs {
        train: c.out.join("proof.bundle"),
        preprocessing: Some(prep),
        report: Some(html.clone()),
        ..Default::default()
    };
    args.model = Some(c.out.join("model.json"));
    let audited = commands::audit::audit_any(&args).unwrap();
    assert!(audited.passed);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Preprocessing") && page.contains("its normalizer is the model"),
        "the report shows the link"
    );
}

#[test]
fn a_forged_link_of_each_kind_is_named() {
    let c = chain();
    let prep = fixture().commit_dir.join(PREP_BUNDLE_FILE);
    let dir = tempfile::tempdir().unwrap();
    // A model whose normalizer is not the data's (one mean moved by one
    // unit, the weights as proven): the normalizer link fails.
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.out.join("model.json")).unwrap()).unwrap();
    let mean = m["normalizer"]["means"][1].as_f64().unwrap();
    m["normalizer"]["means"][1] = serde_json::json!(mean + 1.0 / 65_536.0);
    let other_model = dir.path().join("model.json");
    std::fs::write(&other_model, serde_json::to_vec(&m).unwrap()).unwrap();
    let r = audit(
        prep.clone(),
        other_model.clone(),
        c.out.join("predict.bundle"),
    );
    assert_eq!(
        r.broken_links(),
        [
            "predictions: its raw inputs are normalized by the model's normalizer",
            "preprocessing: its normalizer is the model's"
        ],
        "{r}"
    );
    // Raw predictions proven under that other normalizer: their links to
    // the model and to the preprocessing fail.
    let other_out = dir.path().join("other");
    std::fs::create_dir_all(&other_out).unwrap();
    commands::prove_predict(
        &commands::PredictArgs {
            infer: commands::InferArgs {
                model: other_model.clone(),
                out: Some(other_out.clone()),
                rows_per_step: Some(8),
                force: false,
            },
            inputs: c.inputs.clone(),
            raw: true,
        },
        &Silent,
    )
    .unwrap();
    let r = audit(
        prep.clone(),
        c.out.join("model.json"),
        other_out.join("predict.bundle"),
    );
    assert_eq!(
        r.broken_links(),
        [
            "predictions: its raw inputs are normalized by the model's normalizer",
            "preprocessing: the raw predictions are quantized by its normalizer"
        ],
        "{r}"
    );
    // The preprocessing of another commitment (of the same CSV: another
    // salt): every commitment link fails, by name.
    let other_commit = dir.path().join("committed");
    commands::commit(&data::data_args(&fixture().csv, 1), &other_commit, false).unwrap();
    commands::prove_preprocessing(
        &PrepArgs {
            commitment: other_commit.clone(),
            data: fixture().csv.clone(),
            rows_per_step: Some(8),
            private_normalizer: false,
            force: false,
        },
        &Silent,
    )
    .unwrap();
    let r = audit(
        other_commit.join(PREP_BUNDLE_FILE),
        c.out.join("model.json"),
        c.out.join("predict.bundle"),
    );
    assert_eq!(
        r.broken_links(),
        [
            "preprocessing: its quantized training rows are the ones training read",
            "preprocessing: its quantized test rows are the ones training carries",
            "preprocessing: its quantized test rows are the ones evaluated",
            "preprocessing: on the published raw training commitment",
            "preprocessing: on the published raw test commitment",
        ],
        "{r}"
    );
    // A preprocessing bundle given as the training bundle: exit 2, named.
    let run = foldtrain(&["audit", &arg(&prep)]);
    run.refused(&["preprocessing bundle", "--preprocessing"]);
}

#[test]
fn a_commitment_or_opening_of_an_older_layout_is_refused_by_its_version() {
    // Written before the raw commitments (layout 2): each file is refused
    // by its version, with what to do, not by a missing field.
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    let csv = data::write_small_csv(&dir.path().join("s.csv"), 20, &data::SCALES, 3);
    commands::commit(&data::data_args(&csv, 1), &c, false).unwrap();
    let older = |path: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["version"] = 2.into();
        v.as_object_mut().unwrap().remove("raw_train");
        std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
    };
    let args = |commitment: PathBuf| PrepArgs {
        commitment,
        data: csv.clone(),
        rows_per_step: Some(8),
        private_normalizer: false,
        force: false,
    };
    older(&c.join("private/opening.json"));
    let e = commands::prove_preprocessing(&args(c.clone()), &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("opening.json")
            && e.contains("layout version 2")
            && e.contains("foldtrain commit"),
        "{e}"
    );
    older(&c.join("commitment.json"));
    let run = foldtrain(&[
        "prove-preprocessing",
        "--commitment",
        &arg(&c),
        "--data",
        &arg(&csv),
    ]);
    run.refused(&["commitment.json", "layout version 2", "foldtrain commit"]);
    let run = foldtrain(&[
        "prove-preprocessing",
        "--commitment",
        &arg(&dir.path().join("none")),
        "--data",
        &arg(&csv),
    ]);
    run.refused(&["does not exist", "foldtrain commit --out DIR"]);
}

/// The chain with the normalizer kept private: a second commitment of the
/// fixture's CSV, its preprocessing proved with `--private-normalizer`,
/// and training with committed weights and `--private-normalizer`. Proved
/// once.
struct PrivateChain {
    commit_dir: PathBuf,
    out: PathBuf,
}

fn private_chain() -> &'static PrivateChain {
    static C: OnceLock<PrivateChain> = OnceLock::new();
    C.get_or_init(|| {
        let f = fixture();
        let root = f.commit_dir.parent().unwrap();
        let commit_dir = root.join("committed-private");
        commands::commit(&data::data_args(&f.csv, 1), &commit_dir, false).unwrap();
        commands::prove_preprocessing(
            &PrepArgs {
                commitment: commit_dir.clone(),
                data: f.csv.clone(),
                rows_per_step: Some(8),
                private_normalizer: true,
                force: false,
            },
            &Silent,
        )
        .unwrap();
        let out = root.join("run-private");
        let mut data = data::data_args(&f.csv, 1);
        data.hyper.weights = foldtrain::recipe::WeightsVisibility::Committed;
        let mut prove = data::prove_args(data, out.clone());
        prove.commitment = Some(commit_dir.clone());
        prove.private_normalizer = true;
        commands::prove(&prove).unwrap();
        // Raw decisions under the private normalizer (C_N opened).
        commands::prove_predict(
            &commands::PredictArgs {
                infer: commands::InferArgs {
                    model: out.join("private/model.json"),
                    out: Some(out.clone()),
                    rows_per_step: Some(8),
                    force: false,
                },
                inputs: chain().inputs.clone(),
                raw: true,
            },
            &Silent,
        )
        .unwrap();
        PrivateChain { commit_dir, out }
    })
}

fn private_audit(prep: PathBuf, model: PathBuf) -> commands::ChainReport {
    let c = private_chain();
    commands::audit_chain(&commands::ChainArgs {
        train: c.out.join("proof.bundle"),
        predict: Some(c.out.join("predict.bundle")),
        preprocessing: Some(prep),
        commitment: Some(c.commit_dir.join("commitment.json")),
        model: Some(model),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn a_private_normalizer_is_proven_by_its_commitment_and_linked_to_the_models() {
    let c = private_chain();
    let path = c.commit_dir.join(PREP_BUNDLE_FILE);
    let b = PrepBundle::read(&path).unwrap();
    verify(&b).unwrap();
    // The statement lists C_N and no value; model.public.json lists the
    // same C_N (made by `prove` from the same opening) and no normalizer.
    let NormalizerClaim::Committed(c_n) = b.statement.normalizer.clone() else {
        panic!("a committed normalizer")
    };
    let public: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.out.join("model.public.json")).unwrap()).unwrap();
    assert!(public.get("normalizer").is_none_or(|n| n.is_null()));
    assert_eq!(public["normalizer_commitment"], c_n.to_string());
    let run = foldtrain(&["--json", "verify", &arg(&path)]).ok();
    assert_eq!(run.json()["accepted"], true);
    let shown = foldtrain(&["--json", "inspect", &arg(&path)]).ok();
    assert!(shown.json()["means"].is_null(), "{}", shown.stdout);
    assert_eq!(shown.json()["normalizer_commitment"], c_n.to_string());
    // The chain audit links the preprocessing to the model by C_N, from
    // the public model file and from the private one.
    for model in [
        c.out.join("model.public.json"),
        c.out.join("private/model.json"),
    ] {
        let r = private_audit(path.clone(), model);
        assert!(r.passed(), "{r}");
        for name in [
            "preprocessing: its normalizer is the model's",
            "preprocessing: the raw predictions are quantized by its normalizer",
            "predictions: its raw inputs are normalized by the model's normalizer",
        ] {
            let link = (r.links.iter()).find(|l| l.name == name).unwrap();
            assert!(link.detail.contains(&c_n.to_string()), "{}", link.detail);
        }
    }
}

#[test]
fn a_private_normalizer_forged_or_mismatched_is_refused() {
    let c = private_chain();
    let path = c.commit_dir.join(PREP_BUNDLE_FILE);
    let honest = || PrepBundle::read(&path).unwrap();
    // Another C_N in the statement: z_0 holds it, the SNARK fails.
    let mut b = honest();
    b.statement.normalizer = NormalizerClaim::Committed(
        foldtrain::commitment::NormalizerCommitment(Scalar::from(77u64)),
    );
    assert!(matches!(
        verify(&b),
        Err(Error::Rejected(Rejection::Snark(_)))
    ));
    // The values published in place of C_N (the data's own): refused by
    // shape, before any cryptography.
    let loaded = data::data_args(&fixture().csv, 1).load().unwrap();
    let mut b = honest();
    b.statement.normalizer = NormalizerClaim::Public(loaded.prepared.normalizer.clone());
    assert!(
        matches!(verify(&b), Err(Error::Rejected(Rejection::Shape(_)))),
        "{:?}",
        verify(&b)
    );
    // A public model file whose C_N is another: the link is named.
    let dir = tempfile::tempdir().unwrap();
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.out.join("model.public.json")).unwrap()).unwrap();
    let other = foldtrain::commitment::NormalizerCommitment(Scalar::from(5u64));
    m["normalizer_commitment"] = other.to_string().into();
    let forged = dir.path().join("model.public.json");
    std::fs::write(&forged, serde_json::to_vec(&m).unwrap()).unwrap();
    let r = private_audit(path.clone(), forged);
    assert_eq!(
        r.broken_links(),
        [
            "predictions: its raw inputs are normalized by the model's normalizer",
            "preprocessing: its normalizer is the model's"
        ],
        "{r}"
    );
    // The public preprocessing of the same CSV against this private model
    // (another commitment: its commitment links fail too), and the private
    // preprocessing against a model of public weights: each names the
    // normalizer link, which cannot hold across a public and a private
    // normalizer.
    let r = private_audit(
        fixture().commit_dir.join(PREP_BUNDLE_FILE),
        c.out.join("model.public.json"),
    );
    assert!(
        r.broken_links()
            .contains(&"preprocessing: its normalizer is the model's"),
        "{r}"
    );
    let r = audit(
        path.clone(),
        chain().out.join("model.json"),
        chain().out.join("predict.bundle"),
    );
    let names = r.broken_links();
    assert!(
        names.contains(&"preprocessing: its normalizer is the model's")
            && names
                .contains(&"preprocessing: the raw predictions are quantized by its normalizer"),
        "{r}"
    );
    // The CLI: the forged bundle is rejected (exit 1).
    let cut = dir.path().join("forged.bundle");
    let mut b = honest();
    b.statement.normalizer = NormalizerClaim::Committed(other);
    std::fs::write(&cut, b.to_bytes().unwrap()).unwrap();
    let run = foldtrain(&["verify", &arg(&cut)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}
