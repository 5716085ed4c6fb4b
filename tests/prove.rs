//! End-to-end proving on small data: prove, verify, inspect; every field of
//! the statement altered and bytes flipped across the bundle are rejected.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use foldtrain::commands::{self, DataArgs, ProveReport};
use foldtrain::commitment::Commitment;
use foldtrain::fixed::{Scalar, Sigmoid};
use foldtrain::proof::{ProofBundle, Statement, Verifier, BUNDLE_MAGIC};
use foldtrain::recipe::{Hyper, RecipeFields};
use foldtrain::{train, Error, Rejection, StateField};

#[cfg(unix)]
use common::bin::mode;
use common::bin::{arg, foldtrain, Run};
use common::data;

struct Fixture {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    report: ProveReport,
    bytes: Vec<u8>,
    args: DataArgs,
}

/// 45 rows of 3 features: 36 train (batch 8: four full batches and one of 4),
/// two epochs, one batch per folded step: ten steps. Proved once for the
/// whole file.
fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = data::write_small_csv(&dir.path().join("small.csv"), 45, &data::SCALES, 7);
        let args = data::data_args(&csv, 2);
        let report =
            commands::prove(&data::prove_args(args.clone(), dir.path().join("out"))).unwrap();
        let bytes = std::fs::read(&report.bundle_path).unwrap();
        Fixture {
            _dir: dir,
            csv,
            report,
            bytes,
            args,
        }
    })
}

fn bundle() -> ProofBundle {
    ProofBundle::from_bytes(&fixture().bytes).unwrap()
}

/// The fixture's bundle with its statement edited.
fn tampered(edit: impl FnOnce(&mut Statement)) -> ProofBundle {
    let mut b = bundle();
    edit(&mut b.statement);
    b
}

/// The statement with its recipe edited (a valid recipe; its step count
/// recounted, since a changed count is refused on its own).
fn alter_recipe(s: &mut Statement, edit: impl FnOnce(&mut RecipeFields)) {
    s.recipe = s.recipe.altered(edit).expect("the edited recipe is valid");
    s.steps = s.recipe.total_steps();
}

fn rejected(verifier: &mut Verifier, bundle: &ProofBundle) -> Rejection {
    match verifier.verify(bundle) {
        Err(Error::Rejected(reason)) => reason,
        Ok(_) => panic!("a tampered statement was accepted"),
        Err(e) => panic!("expected a rejection, got {e}"),
    }
}

#[test]
fn proves_verifies_and_matches_the_native_trainer_bit_for_bit() {
    let f = fixture();
    assert_eq!(f.report.steps, 10);
    assert!(
        f.report.proof_bytes <= 12 * 1024,
        "{} bytes",
        f.report.proof_bytes
    );
    let mut verifier = Verifier::default();
    let verified = verifier.verify(&bundle()).unwrap();
    assert_eq!(verified.params_digest, f.report.params_digest);

    let loaded = f.args.load().unwrap();
    let native = train::train_fixed(&loaded.recipe, &loaded.prepared.train_fixed).unwrap();
    assert_eq!(bundle().statement.final_weights(), Some(&native));
    let (train_report, _) = commands::train(&f.args, None).unwrap();
    let inspected = commands::inspect(&f.report.bundle_path).unwrap();
    assert_eq!(inspected.statement.weights, Some(train_report.weights));
    assert_eq!(inspected.statement.bias, Some(train_report.bias));
}

#[test]
fn the_parameter_digest_is_deterministic_and_pinned() {
    common::isolate_cache();
    // SOUNDNESS 15: the digest of this recipe's circuit. A change to the
    // circuit or the recipe encoding changes it; update it deliberately.
    assert_eq!(fixture().report.params_digest, PINNED_DIGEST);
    let recipe = bundle().statement.recipe;
    let pp = foldtrain::ivc::params::setup(&recipe).unwrap();
    assert_eq!(foldtrain::ivc::params::digest_hex(&pp), PINNED_DIGEST);
}

/// Changed deliberately by issue 35 (recipe version 4: the L2 penalty and
/// the class weights are fields of the recipe, so of its tag; the default
/// circuit is otherwise the same); it was
/// d340da1b043a413c465ea32e3f6124fd4a51ab7aa10b2ca98233df367c109302 (issue 34, recipe
/// version 3: the rows are quantized by the integer rule),
/// 18c04d3c2b989b57d52239067bb185ecec2ed8d47497190e71649600dcc8b501
/// (issue 16: features at 8 bits, Fx 4 and cx 3: the range checks of
/// features, truncation remainders and weight updates are 2 bits narrower),
/// 0cf590d946ffee86372d38781c6a69615600e14ef29fe9ff7687ea1bd0d0bb03 (issue
/// 14) and 48455ee5f08b6052dd7c9cd71a29285c3e03c090d750c403ea11261d9d462b00
/// before.
const PINNED_DIGEST: &str = "c8a7da82ab412f79d9dddab67dd07a0df06091ebb272cc5312d813ea5a7f4303";

#[test]
fn the_default_recipe_has_a_pinned_constraint_count() {
    common::isolate_cache();
    let args = DataArgs {
        data: Path::new("datasets/german_credit.csv").into(),
        train_fraction: foldtrain::dataset::TrainFraction::DEFAULT,
        hyper: Hyper::default(),
        group: None,
    };
    let recipe = args.load().unwrap().recipe;
    assert_eq!(
        foldtrain::ivc::params::step_constraints(&recipe).unwrap(),
        PINNED_GERMAN_STEP_CONSTRAINTS
    );
}

/// The default job's step (K = 5 mini-batches of 32 rows, 24 features).
/// Changed deliberately by issue 16 (features at 8 bits instead of 10); it
/// was 128,754.
const PINNED_GERMAN_STEP_CONSTRAINTS: usize = 112_524;

#[test]
fn every_field_of_the_statement_is_bound() {
    common::isolate_cache();
    // SOUNDNESS 13 and 14.
    let mut v = Verifier::default();
    v.verify(&bundle()).unwrap();
    // Each tampering with the rejection it must produce.
    type Expect = fn(&Rejection) -> bool;
    let digest: Expect = |r| matches!(r, Rejection::ParamsDigest { .. });
    let out_of_range: Expect =
        |r| matches!(r, Rejection::Shape(m) if m.contains("outside the range"));
    let mut cases: Vec<(&str, ProofBundle, Expect)> = vec![
        (
            "another commitment",
            tampered(|s| s.commitment = Commitment(s.commitment.0 + Scalar::from(1u64))),
            |r| matches!(r, Rejection::Snark(_)),
        ),
        (
            "another test commitment",
            tampered(|s| s.test_commitment = Commitment(s.test_commitment.0 + Scalar::from(1u64))),
            |r| matches!(r, Rejection::Snark(_)),
        ),
        (
            "the two commitments swapped",
            tampered(|s| std::mem::swap(&mut s.commitment, &mut s.test_commitment)),
            |r| matches!(r, Rejection::Snark(_)),
        ),
        (
            "C_W in place of the weights",
            tampered(|s| {
                s.model = foldtrain::proof::PublishedModel::Committed(
                    foldtrain::circuit::ModelCommitment(Scalar::from(1u64)),
                )
            }),
            |r| matches!(r, Rejection::Shape(m) if m.contains("instead of weights")),
        ),
        (
            "another weight",
            tampered(|s| s.final_weights_mut().unwrap().w[1] += 1),
            |r| *r == Rejection::FinalState(vec![StateField::Weight(1)]),
        ),
        (
            "another bias",
            tampered(|s| s.final_weights_mut().unwrap().b -= 1),
            |r| *r == Rejection::FinalState(vec![StateField::Bias]),
        ),
        ("fewer steps", tampered(|s| s.steps -= 1), |r| {
            matches!(r, Rejection::StepCount { .. })
        }),
        (
            "other initial weights",
            tampered(|s| s.initial.w[0] = 1),
            |r| matches!(r, Rejection::Shape(m) if m.contains("initial")),
        ),
    ];
    // Another recipe (its steps recounted where they change) or digest:
    // refused on the digest.
    type Edit = fn(&mut Statement);
    let other_digests: [(&str, Edit); 9] = [
        ("another digest", |s| s.params_digest = "00".repeat(32)),
        ("fewer epochs", |s| alter_recipe(s, |r| r.epochs = 1)),
        ("another learning rate", |s| {
            alter_recipe(s, |r| r.learning_rate = 0.2)
        }),
        ("another sigmoid", |s| {
            alter_recipe(s, |r| r.sigmoid = Sigmoid::Clip3)
        }),
        ("another format", |s| {
            alter_recipe(s, |r| r.format.frac_bits = 15)
        }),
        ("another batch size", |s| alter_recipe(s, |r| r.batch = 16)),
        ("another row count", |s| alter_recipe(s, |r| r.rows = 35)),
        ("other batches per step", |s| {
            alter_recipe(s, |r| r.batches_per_step = 5)
        }),
        ("another feature format", |s| {
            alter_recipe(s, |r| r.format.feature_frac_bits = 7)
        }),
    ];
    cases.extend(other_digests.map(|(what, edit)| (what, tampered(edit), digest)));
    // SOUNDNESS 16: forgeries that pack into the same field elements as the
    // trained weights (a carry between neighbours), and each value at its
    // bounds and one past them.
    let format = bundle().statement.recipe.format;
    let bits = format.weight_bits();
    cases.push((
        "a carry from weight 0 into weight 1",
        tampered(|s| {
            s.final_weights_mut().unwrap().w[0] += 1 << bits;
            s.final_weights_mut().unwrap().w[1] -= 1;
        }),
        out_of_range,
    ));
    cases.push((
        "a carry from weight 2 into the bias",
        tampered(|s| {
            s.final_weights_mut().unwrap().w[2] += 1 << bits;
            s.final_weights_mut().unwrap().b -= 1;
        }),
        out_of_range,
    ));
    cases.push((
        "the bias moved by +16.0, borrowing from weight 2",
        tampered(|s| {
            s.final_weights_mut().unwrap().b += 16 << format.frac_bits;
            s.final_weights_mut().unwrap().w[2] -= (16 << format.frac_bits) << bits;
        }),
        out_of_range,
    ));
    let half = format.weight_half_range();
    for k in 0..4 {
        for v in [half - 1, -half, half, -half - 1] {
            let mut b = bundle();
            let w = b.statement.final_weights_mut().unwrap();
            let slot = if k < 3 { &mut w.w[k] } else { &mut w.b };
            if *slot == v {
                continue;
            }
            *slot = v;
            // Inside the range: the proof's state names the value; past
            // it: refused before any proof work.
            let expect: Expect = match (k, (-half..half).contains(&v)) {
                (_, false) => out_of_range,
                (0, true) => |r| *r == Rejection::FinalState(vec![StateField::Weight(0)]),
                (1, true) => |r| *r == Rejection::FinalState(vec![StateField::Weight(1)]),
                (2, true) => |r| *r == Rejection::FinalState(vec![StateField::Weight(2)]),
                _ => |r| *r == Rejection::FinalState(vec![StateField::Bias]),
            };
            cases.push(("a value at or past its bound", b, expect));
        }
    }
    for (what, b, expect) in cases {
        let reason = rejected(&mut v, &b);
        assert!(expect(&reason), "{what}: rejected as {reason:?}");
    }
}

#[test]
fn a_recipe_outside_the_limits_is_refused_as_the_bundle_is_read() {
    // The statement's recipe starts the body, with its version first (one
    // byte): a bundle of recipe version 5 is not a bundle this build reads,
    // whatever else it holds.
    let mut bytes = fixture().bytes.clone();
    let at = BUNDLE_MAGIC.len() + 4;
    assert_eq!(bytes[at], 4, "recipe version 4");
    bytes[at] = 5;
    match ProofBundle::from_bytes(&bytes) {
        Err(Error::Rejected(Rejection::Malformed(m))) => {
            assert!(m.contains("recipe version 5"), "{m}")
        }
        other => panic!("expected a malformed bundle, got {:?}", other.err()),
    }
}

#[test]
fn a_proof_under_one_recipe_does_not_verify_under_another() {
    common::isolate_cache();
    // SOUNDNESS 14: even with the other recipe's true digest in the statement.
    let mut b = bundle();
    alter_recipe(&mut b.statement, |r| r.learning_rate = 0.2);
    let pp = foldtrain::ivc::params::setup(&b.statement.recipe).unwrap();
    let other = foldtrain::ivc::params::digest_hex(&pp);
    assert_ne!(other, b.statement.params_digest);
    b.statement.params_digest = other;
    let reason = rejected(&mut Verifier::default(), &b);
    assert!(matches!(reason, Rejection::Snark(_)), "{reason:?}");
}

/// A verifier fed bundles with fresh recipes must not fill its disk: the
/// key it derives for a bundle is stored only once that bundle verified.
#[test]
fn a_rejected_bundle_leaves_no_cache_file_and_an_accepted_one_does() {
    common::isolate_cache();
    use foldtrain::ivc::params::Cache;
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let files = || match std::fs::read_dir(&cache_dir) {
        Ok(entries) => entries.count(),
        Err(_) => 0,
    };
    // A fresh recipe whose true digest is stated: the SNARK check fails.
    let mut hostile = bundle();
    alter_recipe(&mut hostile.statement, |r| r.learning_rate = 0.3);
    let pp = foldtrain::ivc::params::setup(&hostile.statement.recipe).unwrap();
    hostile.statement.params_digest = foldtrain::ivc::params::digest_hex(&pp);
    let mut verifier = Verifier::with_cache(Some(Cache::at(&cache_dir)));
    rejected(&mut verifier, &hostile);
    // A fresh recipe with a wrong digest: refused before the SNARK.
    alter_recipe(&mut hostile.statement, |r| r.learning_rate = 0.35);
    rejected(
        &mut Verifier::with_cache(Some(Cache::at(&cache_dir))),
        &hostile,
    );
    assert_eq!(files(), 0, "a rejected bundle left a cache file");
    let mut verifier = Verifier::with_cache(Some(Cache::at(&cache_dir)));
    verifier.verify(&bundle()).unwrap();
    assert_eq!(files(), 1, "an accepted bundle's verifier key is cached");
    let cache = Cache::at(&cache_dir);
    assert!(matches!(
        cache.load_key(&bundle().statement.recipe),
        Ok(Some(_))
    ));
    // A verifier never stores prover parameters.
    assert!(matches!(cache.load(&bundle().statement.recipe), Ok(None)));
}

#[test]
fn flipped_bytes_anywhere_are_rejected_without_panic() {
    common::isolate_cache();
    // Every byte with FOLDTRAIN_FLIP_STRIDE=1 (slow); a spread sample by default.
    let stride: usize = std::env::var("FOLDTRAIN_FLIP_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(97);
    let bytes = &fixture().bytes;
    let mut v = Verifier::default();
    let mut positions: Vec<usize> = (0..bytes.len()).step_by(stride).collect();
    positions.extend([0, 16, 20, bytes.len() - 1]);
    for i in positions {
        for mask in [0x01u8, 0x80] {
            let mut t = bytes.clone();
            t[i] ^= mask;
            if let Ok(b) = ProofBundle::from_bytes(&t) {
                assert!(
                    v.verify(&b).is_err(),
                    "flip {mask:#x} at byte {i} was accepted"
                );
            }
        }
    }
}

#[test]
fn malformed_bundles_are_refused() {
    let bytes = &fixture().bytes;
    for cut in [0, 10, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            ProofBundle::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(ProofBundle::from_bytes(&long).is_err(), "trailing byte");
    let mut version = bytes.clone();
    version[16] = 9;
    assert!(ProofBundle::from_bytes(&version).is_err(), "version");
    assert!(ProofBundle::from_bytes(b"a,b,label\n1,2,0\n").is_err());
    assert!(ProofBundle::from_bytes(&vec![0u8; 2 << 20]).is_err());
}

#[test]
fn public_files_at_the_top_private_ones_below() {
    common::isolate_cache();
    // Publishing the output folder's top level never leaks the salt.
    let out = fixture().report.bundle_path.parent().unwrap().to_path_buf();
    let mut top: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        [
            "commitment.json",
            "manifest.json",
            "model.json",
            "private",
            "proof.bundle"
        ]
    );
    assert_eq!(
        fixture().report.opening_path,
        out.join("private").join("opening.json")
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&out.join("private")), 0o700);
        assert_eq!(mode(&fixture().report.opening_path), 0o600);
    }
    let opening: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture().report.opening_path).unwrap())
            .unwrap();
    for public in [
        "commitment.json",
        "manifest.json",
        "model.json",
        "proof.bundle",
    ] {
        let text = String::from_utf8_lossy(&std::fs::read(out.join(public)).unwrap()).into_owned();
        for split in ["train", "test"] {
            let salt = opening[split]["salt"].as_str().unwrap();
            assert!(!text.contains(salt), "{public} holds the {split} salt");
            // Nor a chain value (unsalted: it would let anyone test a guess).
            let chain = opening[split]["chain"].as_array().unwrap();
            for h in chain {
                assert!(
                    !text.contains(h.as_str().unwrap()),
                    "{public} holds a chain value"
                );
            }
        }
    }
}

#[test]
fn verify_exit_codes() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let good = f.report.bundle_path.to_string_lossy().into_owned();
    let Run {
        code, stdout: out, ..
    } = foldtrain(&["verify", &good, "--json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["accepted"], true);
    let st = &json["statement"];
    assert_eq!(st["rows"], 36);
    assert_eq!(st["features"], 3);
    assert_eq!(st["steps"], 10);
    assert_eq!(st["commitment"], serde_json::json!(f.report.commitment));
    assert_eq!(st["params_digest"], f.report.params_digest.as_str());
    assert_eq!(st["weights"], serde_json::json!(f.report.weights));

    // The text names what was verified: recipe, commitment, weights, digest.
    let Run {
        code, stdout: out, ..
    } = foldtrain(&["verify", &good]);
    assert_eq!(code, 0, "{out}");
    let bundle = bundle();
    for needle in [
        "accepted".to_string(),
        "36 rows x 3 features".into(),
        f.report.commitment.to_string(),
        bundle.statement.final_weights().unwrap().sha256_hex(),
        format!("{:.6}", f.report.weights[0]),
        f.report.params_digest.clone(),
    ] {
        assert!(out.contains(&needle), "{needle} missing from:\n{out}");
    }

    // --model: the bundle's own model passes; a model with another weight,
    // another decimal, another recipe or a missing file does not.
    let model_path = f.report.model_path.to_string_lossy().into_owned();
    let Run {
        code,
        stdout: out,
        stderr: err,
        ..
    } = foldtrain(&["verify", &good, "--model", &model_path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("holds exactly"), "{out}");
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&f.report.model_path).unwrap()).unwrap();
    // One unit of the fixed-point format, from a nonzero weight.
    let unit = (0..model["weights"].as_array().unwrap().len())
        .find(|&i| model["weights_fixed"][i].as_i64().unwrap() != 0)
        .map(|i| {
            model["weights"][i].as_f64().unwrap() / model["weights_fixed"][i].as_f64().unwrap()
        })
        .unwrap();
    // Well-formed models (decimals exactly the fixed-point values) that are
    // not the statement's: rejected (exit 1), naming what differs.
    let mut forged_models = Vec::new();
    let mut m = model.clone();
    let w1 = m["weights_fixed"][1].as_i64().unwrap() + 1;
    m["weights_fixed"][1] = serde_json::json!(w1);
    m["weights"][1] = serde_json::json!(w1 as f64 * unit);
    forged_models.push(("weight 1", m));
    let mut m = model.clone();
    let b = m["bias_fixed"].as_i64().unwrap() - 1;
    m["bias_fixed"] = serde_json::json!(b);
    m["bias"] = serde_json::json!(b as f64 * unit);
    forged_models.push(("the bias", m));
    let mut m = model.clone();
    m["recipe"]["learning_rate"] = serde_json::json!(0.2);
    forged_models.push(("the recipe", m));
    for (what, m) in forged_models {
        let path = dir.path().join("forged-model.json");
        std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
        let Run {
            code,
            stdout: out,
            stderr: err,
            ..
        } = foldtrain(&["verify", &good, "--model", &path.to_string_lossy()]);
        assert_eq!(code, 1, "{what}: {out}{err}");
        assert!(
            out.contains("rejected") && out.contains(what),
            "{what}: {out}"
        );
    }
    // A model file whose decimal disagrees with its fixed-point value is
    // malformed: refused when it is read (exit 2), naming the field.
    let mut m = model.clone();
    m["weights"][0] = serde_json::json!(m["weights"][0].as_f64().unwrap() + 0.5);
    let path = dir.path().join("malformed-model.json");
    std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
    let Run {
        code, stderr: err, ..
    } = foldtrain(&["verify", &good, "--model", &path.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("weight 0"), "{err}");
    let Run {
        code, stderr: err, ..
    } = foldtrain(&["verify", &good, "--model", &arg(&f.csv)]);
    assert_eq!(code, 2, "a CSV is not a model: {err}");

    let mut bad = f.bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    let flipped = dir.path().join("flipped.bundle");
    std::fs::write(&flipped, &bad).unwrap();
    let Run {
        code,
        stdout: out,
        stderr: err,
        ..
    } = foldtrain(&["verify", &flipped.to_string_lossy()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("rejected"), "{out}");

    let csv = f.csv.to_string_lossy().into_owned();
    let Run {
        code,
        stdout: out,
        stderr: err,
        ..
    } = foldtrain(&["verify", &csv]);
    assert_eq!(code, 1, "a CSV is not a bundle: {out}{err}");
    assert!(!err.contains("panicked"));

    let Run {
        code, stderr: err, ..
    } = foldtrain(&["verify", &dir.path().join("missing").to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    let Run { code, .. } = foldtrain(&["verify"]);
    assert_eq!(code, 2);

    let Run {
        code, stdout: out, ..
    } = foldtrain(&["inspect", &good, "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["steps"], 10);
    assert_eq!(json["features"], 3);
}

#[test]
fn audit_opens_the_commitment_and_replays_training() {
    let f = fixture();
    let bundle = &f.report.bundle_path;
    let opening = &f.report.opening_path;

    let r = commands::audit(bundle, Some(&f.csv), Some(opening), None).unwrap();
    assert!(r.verified, "{:?}", r.reason);
    assert_eq!(r.commitment_opened, Some(true), "{:?}", r.problems);
    assert_eq!(r.weights_reproduced, Some(true), "{:?}", r.problems);
    assert!(r.passed());
    assert_eq!(r.statement.steps, 10);

    // Without the opening: verified, the rest unchecked (null in JSON).
    let r = commands::audit(bundle, None, None, None).unwrap();
    assert!(r.verified && r.passed());
    assert_eq!((r.commitment_opened, r.weights_reproduced), (None, None));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["commitment_opened"].is_null() && json["weights_reproduced"].is_null());

    // Altered data: one value of one training row.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&f.csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[0] = format!("{}", cells[0].parse::<f64>().unwrap() + 1.0);
    lines[3] = cells.join(",");
    let altered = dir.path().join("altered.csv");
    std::fs::write(&altered, lines.join("\n") + "\n").unwrap();
    let r = commands::audit(bundle, Some(&altered), Some(opening), None).unwrap();
    assert!(r.verified);
    assert_eq!(r.commitment_opened, Some(false));
    assert_eq!(r.weights_reproduced, Some(false));
    assert!(!r.passed());

    // An opening of another commitment (another salt).
    let mut other: foldtrain::commitment::Opening =
        serde_json::from_str(&std::fs::read_to_string(opening).unwrap()).unwrap();
    other.train.salt = foldtrain::commitment::Salt::random();
    let other_path = dir.path().join("other-opening.json");
    std::fs::write(&other_path, serde_json::to_string(&other).unwrap()).unwrap();
    let r = commands::audit(bundle, Some(&f.csv), Some(&other_path), None).unwrap();
    assert_eq!(r.commitment_opened, Some(false));
    assert!(!r.passed());

    // The CLI: exit 0 only when everything checked holds.
    let Run {
        code, stdout: out, ..
    } = foldtrain(&[
        "audit",
        &bundle.to_string_lossy(),
        "--data",
        &f.csv.to_string_lossy(),
        "--opening",
        &opening.to_string_lossy(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["commitment_opened"], true);
    assert_eq!(json["weights_reproduced"], true);
    let Run { code, .. } = foldtrain(&[
        "audit",
        &bundle.to_string_lossy(),
        "--data",
        &altered.to_string_lossy(),
        "--opening",
        &opening.to_string_lossy(),
    ]);
    assert_eq!(code, 1);
    let Run {
        code, stderr: err, ..
    } = foldtrain(&["audit", &bundle.to_string_lossy(), "--data", "x.csv"]);
    assert_eq!(code, 2, "--data without --opening is a usage error: {err}");
}
