//! The preprocessing statement, end to end: `commit` publishes raw and
//! quantized commitments, `prove-preprocessing` proves the normalizer and
//! the quantized rows from the raw ones, `verify` accepts the bundle and
//! refuses every field forged, alone and across bundles.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use foldtrain::commands::{self, PrepArgs, PREP_BUNDLE_FILE};
use foldtrain::commitment::{Commitment, Opening};
use foldtrain::dataset::Normalizer;
use foldtrain::fixed::Scalar;
use foldtrain::ivc::prover::Silent;
use foldtrain::preprocessing::PrepBundle;
use foldtrain::proof::Verifier;
use foldtrain::{Error, Rejection, StateField};

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
    assert_eq!(b.statement.normalizer, loaded.prepared.normalizer);
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

fn refused_final_state(b: &PrepBundle) -> Vec<StateField> {
    match verify(b) {
        Err(Error::Rejected(Rejection::FinalState(fields))) => fields,
        other => panic!("expected a final-state rejection, got {other:?}"),
    }
}

#[test]
fn a_normalizer_other_than_the_datas_is_refused() {
    // Each mean and deviation moved by one unit (2^-16), and a
    // normalizer fitted on other rows: the proof's z_N names the field.
    let honest = bundle().statement.normalizer;
    for j in 0..honest.features() {
        for (k, field) in [
            (0, StateField::NormalizerMean(j)),
            (1, StateField::NormalizerStd(j)),
        ] {
            let mut means = honest.means().to_vec();
            let mut stds = honest.stds().to_vec();
            if k == 0 {
                means[j] += 1;
            } else {
                stds[j] += 1;
            }
            let mut b = bundle();
            b.statement.normalizer = Normalizer::from_fixed(means, stds).unwrap();
            assert_eq!(refused_final_state(&b), vec![field]);
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
            force: false,
        },
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--force"), "{e}");
}
