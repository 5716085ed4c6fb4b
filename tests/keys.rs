//! Verifier keys: `keys` derives the same bytes every time (and the same as
//! the prover's own key), `verify --vk` accepts with the right key and
//! refuses every wrong one, and the key cache can neither be fooled by a
//! planted file nor, when stale, make an honest bundle fail. SOUNDNESS 17.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::bin::{arg, foldtrain};
use common::data;
use foldtrain::commands::{self, KeyChoice, RecipeSource};
use foldtrain::error::{Error, Rejection};
use foldtrain::ivc::keys::{KeyFile, KEY};
use foldtrain::ivc::params::Cache;
use foldtrain::proof::{KeyOrigin, ProofBundle, Verifier};

struct Fixture {
    bundle_path: PathBuf,
    /// The prover's report of its own key's hash.
    prover_key_sha: String,
    /// `keys BUNDLE`'s file and hash.
    key_path: PathBuf,
    key_sha: String,
    /// A key of another recipe (a different learning rate).
    other_key_path: PathBuf,
    dir: tempfile::TempDir,
}

/// 40 rows of 3 features (32 train), batch 8, one epoch: four steps.
fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = data::write_small_csv(&dir.path().join("small.csv"), 40, &data::SCALES, 5);
        let args = data::data_args(&csv, 1);
        let report =
            commands::prove(&data::prove_args(args.clone(), dir.path().join("out"))).unwrap();
        let key_path = dir.path().join("vk.bin");
        let keys = commands::keys(
            &RecipeSource::Bundle(report.bundle_path.clone()),
            &key_path,
            false,
        )
        .unwrap();
        let mut other = args;
        other.hyper.learning_rate = 0.3;
        let other_key_path = dir.path().join("other.bin");
        commands::keys(&RecipeSource::Data(other), &other_key_path, false).unwrap();
        Fixture {
            bundle_path: report.bundle_path,
            prover_key_sha: report.verifier_key_sha256,
            key_path,
            key_sha: keys.sha256,
            other_key_path,
            dir,
        }
    })
}

fn bundle() -> ProofBundle {
    ProofBundle::read(&fixture().bundle_path).unwrap()
}

fn verify_with(key: &Path, pinned: Option<&str>) -> foldtrain::Result<commands::VerifyReport> {
    commands::verify(
        &fixture().bundle_path,
        None,
        KeyChoice::File { path: key, pinned },
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_key_is_derived_to_the_same_bytes_as_the_provers_own() {
    let f = fixture();
    assert_eq!(f.key_sha, f.prover_key_sha, "keys and prove disagree");
    // From scratch again, into another file: the same bytes.
    let again = f.dir.path().join("again.bin");
    let r = commands::keys(&RecipeSource::Bundle(f.bundle_path.clone()), &again, false).unwrap();
    assert_eq!(r.sha256, f.key_sha);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&f.key_path).unwrap()
    );
    assert_eq!(r.params_digest, bundle().statement.params_digest);
    // An existing file is not replaced without --force.
    let e = commands::keys(&RecipeSource::Bundle(f.bundle_path.clone()), &again, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--force"), "{e}");
}

#[test]
fn the_right_key_file_verifies_pinned_or_not() {
    let f = fixture();
    for pin in [None, Some(f.key_sha.as_str())] {
        let r = verify_with(&f.key_path, pin).unwrap();
        assert!(r.accepted, "{:?}", r.reason);
        assert_eq!(r.key_origin, Some(KeyOrigin::Given));
        assert_eq!(r.key_sha256.as_deref(), Some(f.key_sha.as_str()));
    }
    // Upper-case hex is the same pin.
    let upper = f.key_sha.to_ascii_uppercase();
    assert!(verify_with(&f.key_path, Some(&upper)).unwrap().accepted);
}

#[test]
fn a_key_whose_hash_is_not_the_pinned_one_is_refused_before_use() {
    let f = fixture();
    // One hex digit changed anywhere in the pin.
    for i in [0, 31, 63] {
        let mut pin: Vec<u8> = f.key_sha.clone().into_bytes();
        pin[i] = if pin[i] == b'0' { b'1' } else { b'0' };
        let pin = String::from_utf8(pin).unwrap();
        let reason = refused_key(verify_with(&f.key_path, Some(&pin)));
        assert!(reason.contains("not the pinned"), "{reason}");
        assert!(reason.contains(&f.key_sha), "{reason}");
    }
}

#[test]
fn a_key_of_another_recipe_is_refused_and_says_so() {
    let f = fixture();
    let reason = refused_key(verify_with(&f.other_key_path, None));
    assert!(reason.contains("another recipe"), "{reason}");
    assert!(reason.contains("foldtrain keys"), "{reason}");
}

/// The reason a key file was refused (an `Error::Artifact`, exit 2: not a
/// verdict on the bundle).
fn refused_key(result: foldtrain::Result<commands::VerifyReport>) -> String {
    match result {
        Err(Error::Artifact { reason, .. }) => reason,
        other => panic!(
            "expected a refused key, got {:?}",
            other.map(|r| r.accepted)
        ),
    }
}

#[test]
fn a_corrupt_or_truncated_key_file_is_refused() {
    let f = fixture();
    let bytes = std::fs::read(&f.key_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("a bundle", std::fs::read(&f.bundle_path).unwrap()),
    ];
    for at in [0, 17, 20 + 32 + 3, bytes.len() / 2, bytes.len() - 1] {
        let mut t = bytes.clone();
        t[at] ^= 0x10;
        cases.push(("a flipped byte", t));
    }
    let mut extended = bytes.clone();
    extended.push(0);
    cases.push(("a trailing byte", extended));
    for (what, t) in cases {
        let p = write(dir.path(), "bad.bin", &t);
        let reason = refused_key(verify_with(&p, None));
        assert!(reason.contains("not a verifier key"), "{what}: {reason}");
    }
}

/// Another recipe's key relabelled as this recipe's, with this statement's
/// digest, sealed in a well-formed file: what a forger without the right
/// key could hand an auditor who did not pin the hash.
fn relabelled_key(params_digest: &str) -> Vec<u8> {
    let other = std::fs::read(&fixture().other_key_path).unwrap();
    let mut key = KeyFile::from_bytes(&other).unwrap();
    key.recipe = bundle().statement.recipe;
    key.params_digest = params_digest.to_string();
    KEY.seal(&key, None).unwrap()
}

#[test]
fn a_relabelled_key_of_another_circuit_does_not_accept_the_proof() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "forged.bin",
        &relabelled_key(&bundle().statement.params_digest),
    );
    // It passes every check outside the SNARK; Nova's own digest inside the
    // key is the other circuit's, so the proof fails against it.
    let r = verify_with(&p, None).unwrap();
    assert!(!r.accepted);
    let mut v = Verifier::with_key_file(&p, None).unwrap();
    assert!(
        matches!(
            v.verify(&bundle()),
            Err(Error::Rejected(Rejection::Snark(_)))
        ),
        "a relabelled key must fail in the SNARK check"
    );
    // And the honest key still verifies the same bundle.
    assert!(verify_with(&f.key_path, None).unwrap().accepted);
}

#[test]
fn the_key_cache_ignores_planted_files_and_heals_a_stale_one() {
    let f = fixture();
    let recipe = bundle().statement.recipe;
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let cache = Cache::at(&cache_dir);
    let verifier = || Verifier::with_cache(Some(Cache::at(&cache_dir)));

    // Another recipe's key copied under this recipe's name: not used.
    cache
        .store_key(&recipe, &std::fs::read(&f.other_key_path).unwrap())
        .unwrap();
    assert!(cache.load_key(&recipe).is_err());
    assert_eq!(cache.key_sha256(&recipe), None);
    let v = verifier().verify(&bundle()).unwrap();
    assert_eq!(v.key_origin, KeyOrigin::Derived);
    assert_eq!(v.key_sha256.as_deref(), Some(f.key_sha.as_str()));
    // The good key replaced it, and is used next time.
    assert_eq!(
        cache.key_sha256(&recipe).as_deref(),
        Some(f.key_sha.as_str())
    );
    let v = verifier().verify(&bundle()).unwrap();
    assert_eq!(v.key_origin, KeyOrigin::Cached);

    // A stale key (another build's digest): derived afresh, not a rejection.
    cache
        .store_key(&recipe, &relabelled_key(&"0".repeat(64)))
        .unwrap();
    let v = verifier().verify(&bundle()).unwrap();
    assert_eq!(v.key_origin, KeyOrigin::Derived);
    assert_eq!(
        cache.key_sha256(&recipe).as_deref(),
        Some(f.key_sha.as_str())
    );
}

#[test]
fn keys_and_verify_vk_from_the_command_line() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli.bin");
    let keys = foldtrain(&["--json", "keys", &arg(&f.bundle_path), "--out", &arg(&out)]).ok();
    let sha = keys.json()["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha, f.key_sha);
    let bundle = arg(&f.bundle_path);
    let out = arg(&out);
    let ok = foldtrain(&[
        "--json",
        "verify",
        &bundle,
        "--vk",
        &out,
        "--vk-sha256",
        &sha,
    ])
    .ok();
    let report = ok.json();
    assert_eq!(report["accepted"], true);
    assert_eq!(report["key_origin"], "given");
    assert!(report["command_s"].as_f64().unwrap() >= report["verify_s"].as_f64().unwrap());

    let mut wrong = sha.clone().into_bytes();
    wrong[10] = if wrong[10] == b'a' { b'b' } else { b'a' };
    let wrong = String::from_utf8(wrong).unwrap();
    foldtrain(&["verify", &bundle, "--vk", &out, "--vk-sha256", &wrong])
        .refused(&["not the pinned", &sha]);
    foldtrain(&["verify", &bundle, "--vk", &out, "--vk-sha256", "beef"])
        .refused(&["64 hex digits"]);
    foldtrain(&["verify", &bundle, "--vk-sha256", &sha]).refused(&["--vk"]);
    foldtrain(&["verify", &bundle, "--vk", &arg(&f.other_key_path)])
        .refused(&["another recipe", "foldtrain keys"]);
    // Several bundles, one key read once: a tampered one among them is
    // named, and the command exits 1.
    let mut tampered = std::fs::read(&f.bundle_path).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let bad = write(dir.path(), "tampered.bundle", &tampered);
    let batch = foldtrain(&["--json", "verify", &bundle, &bundle, "--vk", &out])
        .ok()
        .json();
    assert_eq!(batch["accepted"], 2, "{batch}");
    assert_eq!(batch["bundles"][1]["key_origin"], "given");
    let run = foldtrain(&["--json", "verify", &bundle, &arg(&bad), "--vk", &out]);
    assert_eq!(run.code, 1, "{run}");
    let batch = run.json();
    assert_eq!(
        (batch["accepted"].clone(), batch["rejected"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(batch["bundles"][1]["accepted"], false);
    // A bundle that cannot be read, in a batch: not checked (exit 2), named,
    // and the others still are.
    let missing = dir.path().join("missing.bundle");
    let run = foldtrain(&["--json", "verify", &arg(&missing), &bundle, "--vk", &out]);
    assert_eq!(run.code, 2, "{run}");
    let batch = run.json();
    assert_eq!(batch["accepted"], 1, "{batch}");
    assert_eq!(batch["errors"].as_array().map(Vec::len), Some(1), "{batch}");
    foldtrain(&["verify", &bundle, &bundle, "--model", &bundle])
        .refused(&["--model checks one bundle"]);
    // A folder as the key's output.
    foldtrain(&["keys", &bundle, "--out", &arg(dir.path())]).refused_after_notes(&["is a folder"]);
    // inspect names the key's hash now that the cache holds it.
    let inspected = foldtrain(&["--json", "inspect", &bundle]).ok().json();
    assert_eq!(inspected["verifier_key_sha256"], sha.as_str());
}
