//! Verifier keys: `keys` derives the same bytes every time (and the same as
//! the prover's own key), `verify --vk` takes a key file only with its pin,
//! accepts with the right key and refuses every wrong one, and the key
//! cache can neither be fooled by a planted file or a key of another build's
//! circuit nor, when stale, make an honest bundle fail. SOUNDNESS 17, 20.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::bin::{arg, foldtrain, foldtrain_in};
use common::data;
use foldtrain::commands::{self, KeyChoice, RecipeSource};
use foldtrain::error::{Error, Rejection};
use foldtrain::ivc::keys::KeyFile;
use foldtrain::ivc::params::Cache;
use foldtrain::proof::{KeyOrigin, ProofBundle, Verifier};
use foldtrain::recipe::Recipe;

struct Fixture {
    bundle_path: PathBuf,
    /// The prover's report of its own key's hash.
    prover_key_sha: String,
    /// `keys BUNDLE`'s file and hash.
    key_path: PathBuf,
    key_sha: String,
    /// A bundle and the key of another recipe (a different learning rate).
    other_bundle_path: PathBuf,
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
        let other_report =
            commands::prove(&data::prove_args(other, dir.path().join("other"))).unwrap();
        let other_key_path = dir.path().join("other.bin");
        commands::keys(
            &RecipeSource::Bundle(other_report.bundle_path.clone()),
            &other_key_path,
            false,
        )
        .unwrap();
        Fixture {
            bundle_path: report.bundle_path,
            prover_key_sha: report.verifier_key_sha256,
            key_path,
            key_sha: keys.sha256,
            other_bundle_path: other_report.bundle_path,
            other_key_path,
            dir,
        }
    })
}

fn bundle() -> ProofBundle {
    ProofBundle::read(&fixture().bundle_path).unwrap()
}

fn other_bundle() -> ProofBundle {
    ProofBundle::read(&fixture().other_bundle_path).unwrap()
}

/// The sha256 of a file, as a user who pins it has it.
fn sha_of(path: &Path) -> String {
    foldtrain::artifact::sha256_hex(&std::fs::read(path).unwrap())
}

fn verify_with(key: &Path, pinned: &str) -> foldtrain::Result<commands::VerifyReport> {
    commands::verify(&fixture().bundle_path, None, KeyChoice::file(key, pinned))
}

/// `foldtrain verify` of the fixture's bundle on the command line, with the
/// key file `key` pinned by its own hash (so that the file itself is what
/// is judged).
fn cli_verify_self_pinned(key: &Path) -> common::bin::Run {
    foldtrain(&[
        "verify",
        &arg(&fixture().bundle_path),
        "--vk",
        &arg(key),
        "--vk-sha256",
        &sha_of(key),
    ])
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
fn the_right_key_file_verifies_pinned_and_is_refused_unpinned() {
    let f = fixture();
    let r = verify_with(&f.key_path, &f.key_sha).unwrap();
    assert!(r.accepted, "{:?}", r.reason);
    assert_eq!(r.key_origin, Some(KeyOrigin::Given));
    assert_eq!(r.key_sha256.as_deref(), Some(f.key_sha.as_str()));
    // Upper-case hex is the same pin.
    let upper = f.key_sha.to_ascii_uppercase();
    assert!(verify_with(&f.key_path, &upper).unwrap().accepted);
    // Without a pin there is no key choice to make: refused.
    let e = KeyChoice::from_flags(std::slice::from_ref(&f.key_path), &[], &f.bundle_path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--vk-sha256") && e.contains("foldtrain keys"),
        "{e}"
    );
    let e = KeyChoice::from_flags(
        std::slice::from_ref(&f.key_path),
        &["beef".to_string()],
        &f.bundle_path,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("64 hex digits"), "{e}");
}

#[test]
fn a_key_whose_hash_is_not_the_pinned_one_is_refused_before_use() {
    let f = fixture();
    // One hex digit changed anywhere in the pin.
    for i in [0, 31, 63] {
        let mut pin: Vec<u8> = f.key_sha.clone().into_bytes();
        pin[i] = if pin[i] == b'0' { b'1' } else { b'0' };
        let pin = String::from_utf8(pin).unwrap();
        let reason = refused_key(verify_with(&f.key_path, &pin));
        assert!(reason.contains("not the pinned"), "{reason}");
        assert!(reason.contains(&f.key_sha), "{reason}");
    }
}

#[test]
fn a_key_of_another_recipe_is_refused_and_says_so() {
    let f = fixture();
    let reason = refused_key(verify_with(&f.other_key_path, &sha_of(&f.other_key_path)));
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
        // Pinned by its own hash, so that the file itself is what is refused.
        let p = write(dir.path(), "bad.bin", &t);
        let reason = refused_key(verify_with(&p, &sha_of(&p)));
        assert!(reason.contains("not a verifier key"), "{what}: {reason}");
    }
}

/// Another recipe's key relabelled as this recipe's, with this statement's
/// digest, sealed in a well-formed file: what a forger without the right
/// key could hand an auditor who did not pin the hash.
fn relabelled_key(params_digest: &str) -> Vec<u8> {
    let other = std::fs::read(&fixture().other_key_path).unwrap();
    let mut key = KeyFile::from_bytes(&other).unwrap();
    key.spec = bundle().statement.recipe;
    key.params_digest = params_digest.to_string();
    key.to_bytes().unwrap()
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
    // Even pinned (a user who pinned the forger's hash), it passes every
    // check outside the SNARK; Nova's own digest inside the key is the
    // other circuit's, so the proof fails against it.
    let r = verify_with(&p, &sha_of(&p)).unwrap();
    assert!(!r.accepted);
    let mut v = Verifier::with_key_file(&p, &sha_of(&p)).unwrap();
    assert!(
        matches!(
            v.verify(&bundle()),
            Err(Error::Rejected(Rejection::Snark(_)))
        ),
        "a relabelled key must fail in the SNARK check"
    );
    // And the honest key still verifies the same bundle.
    assert!(verify_with(&f.key_path, &f.key_sha).unwrap().accepted);
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

    // A cached key corrupted on disk: a byte of the key file (which the
    // sha256 in its header no longer matches) or of that sha256 itself.
    // Neither is used (nor its hash reported); the key is derived afresh,
    // and the healed file is used next time.
    let header = 16 + 4 + 32 + 32;
    for at in [header + 100, header - 1] {
        let path = cache.key_path(&recipe);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[at] ^= 0x01;
        let private = foldtrain::artifact::Visibility::Private;
        foldtrain::artifact::write_atomic(&path, &bytes, private).unwrap();
        let why = cache
            .load_key(&recipe)
            .err()
            .expect("a corrupt key is refused");
        assert!(why.contains("corrupt"), "byte {at}: {why}");
        assert_eq!(cache.key_sha256(&recipe), None);
        let v = verifier().verify(&bundle()).unwrap();
        assert_eq!(v.key_origin, KeyOrigin::Derived);
        assert_eq!(
            verifier().verify(&bundle()).unwrap().key_origin,
            KeyOrigin::Cached
        );
    }
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
    foldtrain(&[
        "verify",
        &bundle,
        "--vk",
        &arg(&f.other_key_path),
        "--vk-sha256",
        &sha_of(&f.other_key_path),
    ])
    .refused(&["another recipe", "foldtrain keys"]);
    // Several bundles, one key read once: a tampered one among them is
    // named, and the command exits 1.
    let mut tampered = std::fs::read(&f.bundle_path).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let bad = write(dir.path(), "tampered.bundle", &tampered);
    let pinned = ["--vk", &out, "--vk-sha256", &sha];
    let batch = foldtrain(&[&["--json", "verify", &bundle, &bundle], &pinned[..]].concat())
        .ok()
        .json();
    assert_eq!(batch["accepted"], 2, "{batch}");
    assert_eq!(batch["bundles"][1]["key_origin"], "given");
    let run = foldtrain(&[&["--json", "verify", &bundle, &arg(&bad)], &pinned[..]].concat());
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
    let run = foldtrain(&[&["--json", "verify", &arg(&missing), &bundle], &pinned[..]].concat());
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

/// Issue 29, row 4: a genuine key and its bundle, both relabelled to
/// another learning rate (the digest kept), passed `verify --vk` without a
/// pin: it printed "learning rate 0.9" and exited 0, although nothing had
/// checked that label. A key file is now used only with its pin.
#[test]
fn a_relabelled_key_and_bundle_are_refused_without_a_pin_and_with_the_honest_one() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut relabelled = bundle();
    relabelled.statement.recipe = relabelled
        .statement
        .recipe
        .altered(|r| r.learning_rate = 0.9)
        .unwrap();
    let b = arg(&write(
        dir.path(),
        "relabelled.bundle",
        &relabelled.to_bytes().unwrap(),
    ));
    let mut key = KeyFile::from_bytes(&std::fs::read(&f.key_path).unwrap()).unwrap();
    key.spec = relabelled.statement.recipe.clone();
    let k = arg(&write(
        dir.path(),
        "relabelled.bin",
        &key.to_bytes().unwrap(),
    ));
    // Without a pin: refused before anything is verified, saying how to pin.
    let unpinned = foldtrain_in(dir.path(), &["verify", &b, "--vk", &k]);
    unpinned.refused(&["--vk-sha256", "foldtrain keys"]);
    // With the honest pin (the genuine key's hash, as `keys` printed it):
    // the relabelled file is not that key.
    foldtrain_in(
        dir.path(),
        &["verify", &b, "--vk", &k, "--vk-sha256", &f.key_sha],
    )
    .refused(&["not the pinned", &f.key_sha]);
    // The advice runs as printed: `foldtrain keys BUNDLE --out FILE` derives
    // the key of the recipe the bundle states (learning rate 0.9) and
    // prints the command to verify with; that command, run as printed,
    // rejects the relabelled bundle: its digest is not that recipe's.
    let advice = unpinned
        .stderr
        .split('`')
        .find(|s| s.starts_with("foldtrain keys "))
        .unwrap_or_else(|| panic!("no `foldtrain keys` command: {unpinned}"));
    let words: Vec<&str> = advice.split_whitespace().skip(1).collect();
    let derived = foldtrain_in(dir.path(), &words).ok();
    let command = derived
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("verify with"))
        .unwrap_or_else(|| panic!("no command to verify with: {derived}"));
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    assert_eq!(words[..2], ["verify", b.as_str()], "{derived}");
    let run = foldtrain_in(dir.path(), &words);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("parameter digest"), "{run}");
    // And the genuine bundle with the genuine key, pinned, is accepted.
    foldtrain(&[
        "verify",
        &arg(&f.bundle_path),
        "--vk",
        &arg(&f.key_path),
        "--vk-sha256",
        &f.key_sha,
    ])
    .ok();
}

/// A key and a bundle as an older build would have left them, when that
/// build's circuit for this recipe was another: played by the other
/// recipe's (learning rate 0.3) honest key and bundle relabelled as this
/// recipe's, their digest kept.
fn older_builds_key_and_bundle() -> (Vec<u8>, ProofBundle) {
    let this = bundle().statement.recipe;
    let mut key = KeyFile::from_bytes(&std::fs::read(&fixture().other_key_path).unwrap()).unwrap();
    key.spec = this.clone();
    let mut b = other_bundle();
    b.statement.recipe = this;
    (key.to_bytes().unwrap(), b)
}

/// Issue 29, row 7: cached keys were named by the package version (0.1.0 at
/// every commit) and the recipe's tag, so a key cached by an older build
/// whose circuit changed without a version bump kept accepting that
/// build's bundles, and within one batch the stale key, once held, made
/// this build's honest bundle fail. Keys are now named and checked by the
/// binding of the circuit (its R1CS shape digest).
#[test]
fn a_key_cached_for_another_circuit_never_accepts_a_bundle() {
    let this = bundle().statement.recipe;
    let (stale_key, stale_bundle) = older_builds_key_and_bundle();
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    foldtrain::artifact::ensure_private_dir(&cache_dir).unwrap();
    // Where the older build cached its key: the version and the tag.
    let older_name = cache_dir.join(format!(
        "vkey-v{}-{}-{}.bin",
        foldtrain::ivc::keys::KEY_VERSION,
        env!("CARGO_PKG_VERSION"),
        foldtrain::commitment::scalar_to_hex(&this.tag())
    ));
    let private = foldtrain::artifact::Visibility::Private;
    foldtrain::artifact::write_atomic(&older_name, &stale_key, private).unwrap();
    // One batch: the older build's bundle, then this build's honest one.
    let mut v = Verifier::with_cache(Some(Cache::at(&cache_dir)));
    match v.verify(&stale_bundle) {
        Err(Error::Rejected(Rejection::ParamsDigest { .. })) => {}
        other => panic!(
            "the older build's key or bundle was used: {:?}",
            other.map(|v| v.key_origin)
        ),
    }
    let honest = v.verify(&bundle()).unwrap();
    assert_ne!(honest.key_origin, KeyOrigin::Cached);
    // A verifier of its own caches this build's key; the other recipe's
    // cached key copied under this recipe's name carries that circuit's
    // binding, and is refused before its label is read.
    let cache = Cache::at(&cache_dir);
    assert_eq!(
        Verifier::with_cache(Some(Cache::at(&cache_dir)))
            .verify(&bundle())
            .unwrap()
            .key_origin,
        KeyOrigin::Derived
    );
    assert!(cache.load_key(&this).unwrap().is_some());
    Verifier::with_cache(Some(Cache::at(&cache_dir)))
        .verify(&other_bundle())
        .unwrap();
    let other = other_bundle().statement.recipe;
    std::fs::copy(cache.key_path(&other), cache.key_path(&this)).unwrap();
    let why = cache.load_key(&this).err().expect("refused");
    assert!(why.contains("another circuit"), "{why}");
    // So is this recipe's own key with one byte of its binding changed (a
    // build whose circuit differs writes another binding).
    std::fs::remove_file(cache.key_path(&this)).unwrap();
    Verifier::with_cache(Some(Cache::at(&cache_dir)))
        .verify(&bundle())
        .unwrap();
    let mut bytes = std::fs::read(cache.key_path(&this)).unwrap();
    bytes[16 + 4] ^= 1;
    foldtrain::artifact::write_atomic(&cache.key_path(&this), &bytes, private).unwrap();
    let why = cache.load_key(&this).err().expect("refused");
    assert!(why.contains("another circuit"), "{why}");
    assert_eq!(cache.key_sha256(&this), None);
    let v = Verifier::with_cache(Some(Cache::at(&cache_dir)))
        .verify(&bundle())
        .unwrap();
    assert_eq!(v.key_origin, KeyOrigin::Derived);
    assert_eq!(v.key_sha256.as_deref(), Some(fixture().key_sha.as_str()));
}

/// Within a batch, a key read from the cache is not trusted to reject a
/// later bundle of another digest: that bundle is checked with a key
/// derived afresh (as a cached key of another digest never rejects the
/// first bundle). The cache is trusted as far as the binary, so a key
/// planted in it under the right binding is as good as a replaced binary;
/// what it must not do is make an honest bundle fail.
#[test]
fn a_held_cached_key_of_another_digest_is_derived_afresh_within_a_batch() {
    let this = bundle().statement.recipe;
    let (planted, stale_bundle) = older_builds_key_and_bundle();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::at(dir.path().join("cache"));
    cache.store_key(&this, &planted).unwrap();
    let mut v = Verifier::with_cache(Some(Cache::at(dir.path().join("cache"))));
    let first = v.verify(&stale_bundle).unwrap();
    assert_eq!(first.key_origin, KeyOrigin::Cached);
    let honest = v.verify(&bundle()).unwrap();
    assert_eq!(honest.key_origin, KeyOrigin::Derived);
    assert_eq!(
        cache.key_sha256(&this).as_deref(),
        Some(fixture().key_sha.as_str())
    );
}

// Issue 32: the key file holds Nova's key in the raw encoding of the patched
// nova-snark (third_party/nova-snark/PATCH.md): generators uncompressed,
// R1CS coefficients as one byte string. It must decode to the same key,
// byte for byte, and refuse every malformed point or scalar as the
// compressed encoding did.

/// Where a key file's body starts: magic, version, body digest.
const BODY_AT: usize = foldtrain::artifact::MAGIC_LEN
    + foldtrain::artifact::VERSION_LEN
    + foldtrain::artifact::DIGEST_LEN;

/// `bytes` (a key file, perhaps altered) with its body digest made right
/// again, so that what refuses it is the decoder, not the digest.
fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
    let digest = hex::decode(foldtrain::artifact::sha256_hex(&bytes[BODY_AT..])).unwrap();
    bytes[BODY_AT - foldtrain::artifact::DIGEST_LEN..BODY_AT].copy_from_slice(&digest);
    bytes
}

/// One bincode 2 varint (the standard configuration's integers and
/// lengths) at `*at`, which it moves past.
fn varint(bytes: &[u8], at: &mut usize) -> u64 {
    let (width, first) = match bytes[*at] {
        b @ 0..=250 => (0, u64::from(b)),
        251 => (2, 0),
        252 => (4, 0),
        253 => (8, 0),
        b => panic!("not a bincode varint: {b}"),
    };
    *at += 1;
    if width == 0 {
        return first;
    }
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(&bytes[*at..*at + width]);
    *at += width;
    u64::from_le_bytes(le)
}

/// Bytes of one raw point (two coordinates of 32 bytes).
const POINT: usize = 64;

/// Where the parts of the primary verifier key's raw encoding lie in a key
/// file, found from a point known independently: the first generator of
/// Nova's Pallas commitment key (label `ck`; the generators are a stream,
/// so a key of one generator starts as every larger key does).
struct Layout {
    /// The length prefix of the generators' byte string, and its width.
    ck_len_at: usize,
    ck_len_width: usize,
    /// The generators' byte string (the first point at its start).
    ck_at: usize,
    ck_len: usize,
    /// The byte string of matrix A's coefficients.
    a_data_at: usize,
}

fn layout(file: &[u8]) -> Layout {
    use foldtrain::ivc::E1;
    use nova_snark::traits::{commitment::CommitmentEngineTrait, Engine};
    let one = <<E1 as Engine>::CE as CommitmentEngineTrait<E1>>::setup(b"ck", 1).unwrap();
    let raw = nova_snark::raw_serde::with_raw(true, || {
        bincode::serde::encode_to_vec(&one, bincode::config::standard()).unwrap()
    });
    // A key of one generator: [64] g0 [64] h.
    assert_eq!((raw.len(), raw[0], raw[1 + POINT]), (2 + 2 * POINT, 64, 64));
    let first = &raw[1..1 + POINT];
    let found: Vec<usize> = (0..file.len() - POINT)
        .filter(|&i| &file[i..i + POINT] == first)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the first generator, raw, once in the key file"
    );
    let ck_at = found[0];
    // Its byte string's length: a u16 (251) or u32 (252) varint before it.
    let (ck_len_at, ck_len_width) = [(ck_at - 3, 3), (ck_at - 5, 5)]
        .into_iter()
        .find(|&(at, w)| file[at] == if w == 3 { 251 } else { 252 })
        .expect("a length prefix before the generators");
    let mut at = ck_len_at;
    let ck_len = varint(file, &mut at) as usize;
    assert_eq!((at, ck_len % POINT), (ck_at, 0));
    at = ck_at + ck_len;
    // h, then the IPA key (one generator and its h): each a point of its own.
    for _ in 0..3 {
        assert_eq!(varint(file, &mut at), POINT as u64, "a one-point string");
        at += POINT;
    }
    // The shape: constraints, variables, inputs, then A's coefficients.
    for _ in 0..3 {
        varint(file, &mut at);
    }
    let a_len = varint(file, &mut at) as usize;
    assert!(
        a_len > 0 && a_len.is_multiple_of(32),
        "A's coefficients: {a_len} bytes"
    );
    Layout {
        ck_len_at,
        ck_len_width,
        ck_at,
        ck_len,
        a_data_at: at,
    }
}

/// The little-endian bytes of a modulus given in hex (big-endian).
fn modulus_le(hex_be: &str) -> Vec<u8> {
    let mut b = hex::decode(hex_be).unwrap();
    b.reverse();
    b
}

/// The Pallas base field's modulus (the generators' coordinates).
const PALLAS_BASE: &str = "40000000000000000000000000000000224698fc094cf91b992d30ed00000001";
/// The Pallas scalar field's modulus (the primary circuit's coefficients).
const PALLAS_SCALAR: &str = "40000000000000000000000000000000224698fc0994a8dd8c46eb2100000001";

#[test]
fn a_raw_key_file_decodes_to_the_same_key_byte_for_byte() {
    let f = fixture();
    let bytes = std::fs::read(&f.key_path).unwrap();
    let key: KeyFile = KeyFile::from_bytes(&bytes).unwrap();
    assert_eq!(key.to_bytes().unwrap(), bytes, "encode(decode(bytes))");
    // The published (compressed) encoding of the same key decodes to a key
    // whose raw file is the same bytes: the two encodings hold one key.
    let cfg = bincode::config::standard();
    let published = bincode::serde::encode_to_vec(&key.vk, cfg).unwrap();
    let raw = nova_snark::raw_serde::with_raw(true, || {
        bincode::serde::encode_to_vec(&key.vk, cfg).unwrap()
    });
    assert_ne!(published, raw, "raw mode changes the encoding");
    let (vk, used) = bincode::serde::decode_from_slice(&published, cfg).unwrap();
    assert_eq!(used, published.len());
    let again = KeyFile { vk, ..key };
    assert_eq!(again.to_bytes().unwrap(), bytes);
    // And the decoded key verifies the bundle.
    let r = verify_with(&f.key_path, &f.key_sha).unwrap();
    assert!(r.accepted, "{:?}", r.reason);
    // The raw flag is this thread's, and restored even after a panic.
    assert!(!nova_snark::raw_serde::is_raw());
    let panicked = std::panic::catch_unwind(|| {
        nova_snark::raw_serde::with_raw(true, || panic!("inside raw mode"))
    });
    assert!(panicked.is_err());
    assert!(!nova_snark::raw_serde::is_raw(), "raw mode left on");
}

#[test]
fn a_malformed_point_or_scalar_in_a_raw_key_is_refused_never_used() {
    let f = fixture();
    let bytes = std::fs::read(&f.key_path).unwrap();
    let at = layout(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let altered = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut t = bytes.clone();
        edit(&mut t);
        resealed(t)
    };
    let x = at.ck_at..at.ck_at + 32;
    let y = at.ck_at + 32..at.ck_at + POINT;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            // Canonical coordinates, (x, x) off the curve.
            "a point off the curve",
            altered(&|t| t.copy_within(x.clone(), y.start)),
            "point 0 is not valid",
        ),
        (
            "a coordinate equal to the modulus",
            altered(&|t| t[x.clone()].copy_from_slice(&modulus_le(PALLAS_BASE))),
            "point 0 is not valid",
        ),
        (
            "a coordinate of all ones",
            altered(&|t| t[y.clone()].fill(0xff)),
            "point 0 is not valid",
        ),
        (
            "a coefficient equal to the modulus",
            altered(&|t| {
                t[at.a_data_at..at.a_data_at + 32].copy_from_slice(&modulus_le(PALLAS_SCALAR))
            }),
            "field element 0 is not valid",
        ),
        (
            "a blob one byte short of whole points",
            altered(&|t| {
                let mut len = (at.ck_len as u64 - 1).to_le_bytes().to_vec();
                len.truncate(at.ck_len_width - 1);
                t[at.ck_len_at + 1..at.ck_len_at + at.ck_len_width].copy_from_slice(&len);
            }),
            "not a whole number",
        ),
        (
            "a file that ends inside the generators",
            resealed(bytes[..at.ck_at + at.ck_len / 2].to_vec()),
            "cut short",
        ),
    ];
    for (what, t, why) in cases {
        assert!(
            KeyFile::<Recipe>::from_bytes(&t).is_err(),
            "{what}: decoded"
        );
        let p = write(dir.path(), "bad.bin", &t);
        let reason = refused_key(verify_with(&p, &sha_of(&p)));
        for needle in ["not a verifier key", why, "foldtrain keys"] {
            assert!(reason.contains(needle), "{what}: {reason}");
        }
    }
    // A byte flipped anywhere in the body (the digest made right): decoded
    // or refused by a check, never by a panic the container had to catch.
    let step = (bytes.len() - BODY_AT) / 400 + 1;
    let around = |at: usize| at.saturating_sub(8)..at + 8;
    let spots = (BODY_AT..bytes.len())
        .step_by(step)
        .chain(around(at.ck_len_at))
        .chain(around(at.ck_at + at.ck_len))
        .chain(around(at.a_data_at));
    for i in spots.filter(|&i| i < bytes.len()) {
        let t = altered(&|t| t[i] ^= 0x5a);
        let decoded = KeyFile::<Recipe>::from_bytes(&t);
        assert!(
            !matches!(decoded, Err(foldtrain::artifact::Refusal::DecoderPanicked)),
            "byte {i}: the decoder panicked"
        );
    }
    // From the command line: exit 2, the words, no panic.
    let off = altered(&|t| t.copy_within(x.clone(), y.start));
    let p = write(dir.path(), "off.bin", &off);
    cli_verify_self_pinned(&p).refused(&[
        "not a verifier key",
        "point 0 is not valid",
        "foldtrain keys",
    ]);
    // The identity is a point of the group (halo2curves writes it (0, 0),
    // and the compressed encoding has it too): it decodes, and a key with it
    // for a generator is another key, which does not accept the proof.
    let identity = altered(&|t| t[x.start..y.end].fill(0));
    assert!(KeyFile::<Recipe>::from_bytes(&identity).is_ok());
    let p = write(dir.path(), "identity.bin", &identity);
    let r = verify_with(&p, &sha_of(&p)).unwrap();
    assert!(
        !r.accepted,
        "a key with another generator accepted the proof"
    );
}

#[test]
fn a_key_file_of_the_compressed_layout_is_refused_with_what_to_do() {
    let f = fixture();
    let mut old = std::fs::read(&f.key_path).unwrap();
    // Version 1 held the generators compressed.
    let v = foldtrain::artifact::MAGIC_LEN;
    old[v..v + 4].copy_from_slice(&1u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "v1.bin", &old);
    cli_verify_self_pinned(&p).refused(&[
        "not a verifier key",
        "format version 1; this build reads 2",
        "foldtrain keys",
    ]);
}
