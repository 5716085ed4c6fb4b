//! A toy run proven in three segments: it verifies, ends in the native
//! trainer's weights, and every forged segmented bundle is refused.

use std::sync::{Arc, OnceLock};

use ff::Field;

use super::*;
use crate::commitment::{Split, SplitOpening};
use crate::dataset::FixedDataset;
use crate::fixed::FixedFormat;
use crate::ivc::prover::{Keys, Silent};
use crate::recipe::Hyper;

/// 28 rows of 3 features in batches of 8: four batches an epoch, two
/// epochs, eight folded steps, cut into segments of 2, 3 and 3 steps.
fn toy(weights: WeightsVisibility) -> (Arc<Recipe>, FixedDataset) {
    let fmt = FixedFormat::default();
    let one = fmt.feature_one();
    let rows = (0..28i64)
        .map(|i| vec![(i - 14) * one / 5, (i % 4 - 1) * one / 3, (i % 7) * one / 9])
        .collect();
    let labels = (0..28).map(|i| u8::from(i >= 14)).collect();
    let hyper = Hyper {
        batch: 8,
        batches_per_step: Some(1),
        epochs: 2,
        learning_rate: 0.5,
        weights,
        ..Hyper::default()
    };
    let recipe = Arc::new(Recipe::new(&hyper, 3, 28).unwrap());
    (recipe, FixedDataset { rows, labels })
}

struct Proven {
    bundle: SegmentedBundle,
    native: Weights,
    /// The segment spec's verifier key file.
    key: Vec<u8>,
}

fn prove(weights: WeightsVisibility) -> Proven {
    let (recipe, data) = toy(weights);
    let salt = Salt(Scalar::from(424_242u64));
    let commitment = SplitOpening::commit(Split::Train, &data, &recipe.format, salt).commitment;
    let test_commitment = Commitment(Scalar::from(77u64));
    let spec = SegmentSpec {
        recipe: (*recipe).clone(),
    };
    let keys = Keys::setup_in(None, &spec).unwrap();
    let cuts = Cuts::balanced(recipe.total_steps(), 3).unwrap();
    assert_eq!(cuts.bounds, vec![0, 2, 5, 8]);
    let secrets = Secrets::random(3, None);
    let mut proofs = Vec::new();
    let mut last = None;
    // Proven out of order, as independent workers finish.
    for index in [2, 0, 1] {
        let job = SegmentJob {
            job: Job {
                recipe: recipe.clone(),
                data: &data,
                salt,
            },
            commitment,
            test_commitment,
            cuts: &cuts,
            secrets: &secrets,
            index,
        };
        let (proof, end) = job.prove(&keys.pp, &keys.pk, &Silent).unwrap();
        if index == 2 {
            last = Some(end);
        }
        proofs.push(proof);
    }
    let last = last.unwrap();
    let digest = crate::ivc::params::digest_hex(&keys.pp);
    let bundle = join(
        &spec,
        [commitment, test_commitment],
        &cuts,
        &secrets,
        &last.state.weights,
        proofs,
        digest,
    )
    .unwrap();
    let key = crate::ivc::keys::KeyFile::new(&spec, &keys.pp, keys.vk);
    Proven {
        bundle,
        native: crate::train::train_fixed(&recipe, &data).unwrap(),
        key: key.to_bytes().unwrap(),
    }
}

fn proven() -> &'static Proven {
    static P: OnceLock<Proven> = OnceLock::new();
    P.get_or_init(|| prove(WeightsVisibility::Public))
}

fn verifier(p: &Proven) -> Verifier {
    Verifier::primed(crate::ivc::keys::KeyFile::<SegmentSpec>::from_bytes(&p.key).unwrap())
}

/// The bundle through its bytes with `edit` applied to a decoded copy.
fn forged(edit: impl FnOnce(&mut SegmentedBundle)) -> SegmentedBundle {
    let p = proven();
    let mut b = SegmentedBundle::from_bytes(&p.bundle.to_bytes().unwrap()).unwrap();
    edit(&mut b);
    b
}

fn rejection(b: &SegmentedBundle) -> Rejection {
    match b.verify_with(&mut verifier(proven())) {
        Err(Error::Rejected(r)) => r,
        other => panic!("not rejected: {:?}", other.map(|v| v.steps)),
    }
}

#[test]
fn a_run_in_three_segments_verifies_and_ends_in_the_native_weights() {
    let p = proven();
    let bytes = p.bundle.to_bytes().unwrap();
    let back = SegmentedBundle::from_bytes(&bytes).unwrap();
    let v = back.verify_with(&mut verifier(p)).unwrap();
    assert_eq!(v.steps, 8);
    assert_eq!(back.statement.final_weights(), Some(&p.native));
    // No boundary value in the clear: each end is a commitment, all
    // distinct, none of them the weights' C_W.
    let ends: Vec<Scalar> = back.statement.segments.iter().map(|s| s.end).collect();
    assert_eq!(ends.len(), 3);
    assert!(ends[0] != ends[1] && ends[1] != ends[2] && ends[0] != ends[2]);
    assert!(!ends.contains(&back.statement.weights_commitment().unwrap()));
}

#[test]
fn committed_weights_in_segments_publish_only_c_w() {
    let p = prove(WeightsVisibility::Committed);
    let v = p.bundle.verify_with(&mut verifier(&p)).unwrap();
    assert_eq!(v.steps, 8);
    assert!(p.bundle.statement.final_weights().is_none());
    assert!(p.bundle.statement.weights_salt.is_none());
    // Another C_W is refused at the last boundary.
    let mut b = SegmentedBundle::from_bytes(&p.bundle.to_bytes().unwrap()).unwrap();
    b.statement.model = PublishedModel::Committed(ModelCommitment(Scalar::from(5u64)));
    assert_eq!(
        b.verify_with(&mut verifier(&p)).unwrap_err().to_string(),
        Error::Rejected(Rejection::FinalState(vec![StateField::ModelCommitment])).to_string()
    );
}

#[test]
fn every_forged_segmented_bundle_is_refused() {
    // Two segments swapped (proofs and claims together).
    let r = rejection(&forged(|b| {
        b.statement.segments.swap(0, 1);
        b.snarks.swap(0, 1);
    }));
    assert!(
        matches!(r, Rejection::Snark(_) | Rejection::FinalState(_)),
        "{r}"
    );
    // One dropped: the steps no longer add up.
    let r = rejection(&forged(|b| {
        b.statement.segments.remove(1);
        b.snarks.remove(1);
    }));
    assert!(
        matches!(
            r,
            Rejection::StepCount {
                claimed: 5,
                expected: 8
            }
        ),
        "{r}"
    );
    // One repeated in place of another of the same length (steps 5..8
    // proven twice, 2..5 never).
    let r = rejection(&forged(|b| {
        b.statement.segments[1] = b.statement.segments[2].clone();
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&b.snarks[2], config).unwrap();
        b.snarks[1] = bincode::serde::decode_from_slice(&bytes, config).unwrap().0;
    }));
    assert!(
        matches!(r, Rejection::Snark(_) | Rejection::FinalState(_)),
        "{r}"
    );
    // A boundary commitment altered.
    let r = rejection(&forged(|b| b.statement.segments[0].end += Scalar::ONE));
    assert!(
        matches!(r, Rejection::FinalState(ref f) if f == &[StateField::SegmentEnd(0)]),
        "{r}"
    );
    // A boundary moved: one step from the second segment to the first
    // (same total; the counters of every later z_0 change).
    let r = rejection(&forged(|b| {
        b.statement.segments[0].steps += 1;
        b.statement.segments[1].steps -= 1;
    }));
    assert!(
        matches!(r, Rejection::Snark(_) | Rejection::FinalState(_)),
        "{r}"
    );
    // The segment count: a claim without its proof, a proof without a claim.
    let r = rejection(&forged(|b| {
        b.snarks.pop();
    }));
    assert!(matches!(r, Rejection::Shape(_)), "{r}");
    // A segment of no steps.
    let r = rejection(&forged(|b| {
        b.statement.segments.push(SegmentClaim {
            steps: 0,
            end: Scalar::ZERO,
        });
    }));
    assert!(matches!(r, Rejection::Shape(_)), "{r}");
    // The last boundary's salt, the weights' salt, a weight.
    let r = rejection(&forged(|b| {
        b.statement.final_salt = Salt(Scalar::from(1u64))
    }));
    assert!(
        matches!(r, Rejection::FinalState(ref f) if f == &[StateField::ModelCommitment]),
        "{r}"
    );
    let r = rejection(&forged(|b| {
        b.statement.weights_salt = Some(Salt(Scalar::from(1u64)))
    }));
    assert!(
        matches!(r, Rejection::FinalState(ref f) if f == &[StateField::ModelCommitment]),
        "{r}"
    );
    let r = rejection(&forged(|b| {
        if let PublishedModel::Weights(w) = &mut b.statement.model {
            w.w[1] += 1;
        }
    }));
    assert!(
        matches!(r, Rejection::FinalState(ref f) if f == &[StateField::ModelCommitment]),
        "{r}"
    );
    // The commitments: another training or test commitment.
    let r = rejection(&forged(|b| {
        b.statement.commitment = Commitment(Scalar::from(3u64))
    }));
    assert!(
        matches!(r, Rejection::Snark(_) | Rejection::FinalState(_)),
        "{r}"
    );
    let r = rejection(&forged(|b| {
        b.statement.test_commitment = Commitment(Scalar::from(3u64))
    }));
    assert!(
        matches!(r, Rejection::Snark(_) | Rejection::FinalState(_)),
        "{r}"
    );
    // The parameter digest.
    let r = rejection(&forged(|b| b.statement.params_digest = "00".repeat(32)));
    assert!(matches!(r, Rejection::ParamsDigest { .. }), "{r}");
    // A recipe of more epochs: its steps do not add up.
    let r = rejection(&forged(|b| {
        b.statement.recipe = b.statement.recipe.altered(|f| f.epochs += 1).unwrap();
    }));
    assert!(matches!(r, Rejection::StepCount { .. }), "{r}");
}

#[test]
fn cuts_tile_the_run_and_refuse_impossible_counts() {
    for (total, k) in [(8, 1), (8, 3), (8, 8), (101, 7)] {
        let cuts = Cuts::balanced(total, k).unwrap();
        assert_eq!(cuts.count(), k);
        assert_eq!((cuts.bounds[0], cuts.bounds[k]), (0, total));
        let sizes: Vec<usize> = (0..k).map(|i| cuts.range(i).unwrap().1).collect();
        assert!(
            sizes.iter().all(|&s| s == total / k || s == total / k + 1),
            "{sizes:?}"
        );
    }
    assert!(Cuts::balanced(8, 0).is_err());
    assert!(Cuts::balanced(8, 9).is_err());
    assert!(Cuts::balanced(8, 3).unwrap().range(3).is_none());
    // No more segments than a bundle may hold: refused when planned, not
    // after every segment is proven.
    assert!(Cuts::balanced(5000, MAX_SEGMENTS).is_ok());
    let err = Cuts::balanced(5000, MAX_SEGMENTS + 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("from 1 to 1024"), "{err}");
}

#[test]
fn truncated_and_foreign_bytes_are_refused() {
    let bytes = proven().bundle.to_bytes().unwrap();
    assert!(matches!(
        SegmentedBundle::from_bytes(&bytes[..bytes.len() - 1]),
        Err(Error::Rejected(Rejection::Truncated(_)))
    ));
    let mut foreign = bytes.clone();
    foreign[0] ^= 1;
    assert!(matches!(
        SegmentedBundle::from_bytes(&foreign),
        Err(Error::Rejected(Rejection::BadMagic))
    ));
}

#[test]
fn verify_reads_a_segmented_bundle_as_a_training_bundle() {
    use crate::commands::verify::{verify_any, BundleReport};
    let p = proven();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proof.bundle");
    std::fs::write(&path, p.bundle.to_bytes().unwrap()).unwrap();
    let report = verify_any(&mut verifier(p), &path).unwrap();
    assert!(report.accepted(), "{report:?}");
    let BundleReport::Training(r) = &report else {
        panic!("not reported as training: {report:?}");
    };
    let statement = r.statement.as_ref().unwrap();
    assert_eq!(statement.steps, 8);
    // The claim is the unsegmented statement's: same recipe, commitments,
    // weights and steps.
    let claim = p.bundle.statement.claim();
    assert_eq!(claim.final_weights(), Some(&p.native));
    assert_eq!(claim.steps, claim.recipe.total_steps());
    // Every command reads it as a training bundle (inspect, keys, audits).
    let Ok(crate::statement::AnyBundle::Training(read)) = crate::statement::AnyBundle::read(&path)
    else {
        panic!("a segmented bundle is read as a training bundle");
    };
    assert_eq!(read.segments(), Some(3));
    assert_eq!(read.statement(), claim);
    // A forged boundary is a rejection report (exit 1), not an error.
    let forged = forged(|b| b.statement.segments[1].end += Scalar::ONE);
    std::fs::write(&path, forged.to_bytes().unwrap()).unwrap();
    let report = verify_any(&mut verifier(p), &path).unwrap();
    assert!(!report.accepted());
    let BundleReport::Training(r) = &report else {
        panic!("not reported as training");
    };
    assert!(
        r.reason
            .as_deref()
            .unwrap_or("")
            .contains("end of segment 1"),
        "{:?}",
        r.reason
    );
}

/// Across bundles: two honest runs of the same recipe on the same data
/// (their boundaries under different salts) cannot be spliced, at any
/// boundary, whichever run's statement carries the splice.
#[test]
fn segments_of_two_honest_runs_of_one_recipe_do_not_splice() {
    let a = proven();
    let b = prove(WeightsVisibility::Public);
    assert!(
        b.bundle.verify_with(&mut verifier(a)).is_ok(),
        "b alone verifies"
    );
    assert_eq!(
        a.bundle.statement.model, b.bundle.statement.model,
        "same model"
    );
    for at in 0..3 {
        let mut spliced = SegmentedBundle::from_bytes(&a.bundle.to_bytes().unwrap()).unwrap();
        spliced.statement.segments[at] = b.bundle.statement.segments[at].clone();
        spliced.snarks[at] = SegmentedBundle::from_bytes(&b.bundle.to_bytes().unwrap())
            .unwrap()
            .snarks
            .swap_remove(at);
        if at == 2 {
            spliced.statement.final_salt = b.bundle.statement.final_salt;
            spliced.statement.weights_salt = b.bundle.statement.weights_salt;
        }
        let refused = spliced.verify_with(&mut verifier(a));
        assert!(
            matches!(refused, Err(Error::Rejected(_))),
            "segment {at} of another run was accepted"
        );
    }
}
