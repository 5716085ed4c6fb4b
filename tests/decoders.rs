//! Every decoder of untrusted input, fed random bytes and mutations of valid
//! inputs: proof bundles, checkpoints, JSON artifacts (model, opening) and
//! CSV files. Decoding never panics and refuses what is invalid; a mutated
//! bundle that still decodes is rejected by the verifier.
//!
//! One small prove (with checkpoints) supplies the valid bundle, checkpoint,
//! model.json and opening.json for the whole file.

mod common;

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use foldtrain::artifact::read_json;
use foldtrain::commands;
use foldtrain::commitment::Opening;
use foldtrain::dataset::Dataset;
use foldtrain::ivc::checkpoint::{self, Checkpoint, CHECKPOINT_MAGIC};
use foldtrain::model::Model;
use foldtrain::proof::{ProofBundle, Verifier, BUNDLE_MAGIC, BUNDLE_VERSION};
use foldtrain::recipe::{Recipe, RecipeFields};
use foldtrain::Error;
use proptest::prelude::*;
use proptest::sample::Index;
use sha2::{Digest, Sha256};

use common::data;

// ---------------------------------------------------------------- fixture

struct Fixture {
    _dir: tempfile::TempDir,
    csv_text: Vec<u8>,
    bundle: Vec<u8>,
    recipe: Recipe,
    /// A checkpoint file's bytes and its body (after magic, version, digest).
    ckpt: Vec<u8>,
    model_json: Vec<u8>,
    opening_json: Vec<u8>,
}

const CKPT_HEAD: usize = 16 + 4 + 32;

/// 45 rows of 3 features (36 train), batch 8, one epoch: five folded steps,
/// a checkpoint every second step.
fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = data::write_small_csv(&dir.path().join("small.csv"), 45, &data::SCALES, 3);
        let mut args = data::prove_args(data::data_args(&csv, 1), dir.path().join("out"));
        args.run.checkpoint_every = Some(2);
        let report = commands::prove(&args).unwrap();
        assert_eq!(report.steps, 5);
        let newest = checkpoint::list(&report.checkpoint_dir).unwrap()[0]
            .1
            .clone();
        let bundle = std::fs::read(&report.bundle_path).unwrap();
        let recipe = ProofBundle::from_bytes(&bundle).unwrap().statement.recipe;
        Fixture {
            csv_text: std::fs::read(&csv).unwrap(),
            bundle,
            recipe,
            ckpt: std::fs::read(newest).unwrap(),
            model_json: std::fs::read(&report.model_path).unwrap(),
            opening_json: std::fs::read(&report.opening_path).unwrap(),
            _dir: dir,
        }
    })
}

/// Verifiers kept for the whole file: one for the fixture's recipe (its key
/// is built once), one for the rare mutation that yields another valid
/// recipe (so those do not evict the first's key).
fn verifier(recipe: &Recipe) -> std::sync::MutexGuard<'static, Verifier> {
    static SAME: OnceLock<Mutex<Verifier>> = OnceLock::new();
    static OTHER: OnceLock<Mutex<Verifier>> = OnceLock::new();
    let cell = if *recipe == fixture().recipe {
        &SAME
    } else {
        &OTHER
    };
    cell.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Where the statement's learning rate lies in the valid bundle's bytes.
fn learning_rate_bytes() -> std::ops::Range<usize> {
    let recipe = &fixture().recipe;
    let a = bincode::serde::encode_to_vec(recipe, bincode::config::standard()).unwrap();
    // Every bit flipped is no valid learning rate: edit the bare fields,
    // which encode as a recipe does.
    let mut other = RecipeFields::from(recipe.clone());
    other.learning_rate = f64::from_bits(!recipe.learning_rate.to_bits());
    let b = bincode::serde::encode_to_vec(&other, bincode::config::standard()).unwrap();
    let first = (0..a.len()).find(|&i| a[i] != b[i]).unwrap();
    let last = (0..a.len()).rfind(|&i| a[i] != b[i]).unwrap();
    let header = BUNDLE_MAGIC.len() + 4;
    header + first..header + last + 1
}

/// A decoded bundle whose bytes differ from the valid one must not verify.
/// (The recipe's tag in the circuit binds every byte of the recipe, the
/// learning rate's included: see
/// `a_learning_rate_with_the_same_step_sizes_is_rejected`.)
fn assert_rejected(bytes: &[u8], bundle: &ProofBundle, what: &str) {
    let valid = &fixture().bundle;
    if bytes == valid.as_slice() {
        return;
    }
    match verifier(&bundle.statement.recipe).verify(bundle) {
        Err(Error::Rejected(_)) => {}
        Err(e) => panic!("{what}: rejected, but not as Rejected: {e}"),
        Ok(_) => panic!("{what}: a mutated bundle was accepted"),
    }
}

#[test]
fn a_learning_rate_with_the_same_step_sizes_is_rejected() {
    let f = fixture();
    let original = f.recipe.learning_rate;
    assert_eq!(original, 0.1);
    let mut cases = vec![("0.09995".to_string(), 0.09995)];
    let lowest = f64::from_bits(original.to_bits() ^ 1);
    cases.push((format!("{lowest:e} (lowest mantissa bit flipped)"), lowest));
    for (what, lr) in cases {
        let mut b = ProofBundle::from_bytes(&f.bundle).unwrap();
        b.statement.recipe = b
            .statement
            .recipe
            .altered(|r| r.learning_rate = lr)
            .unwrap();
        assert_eq!(b.statement.recipe.eta_full(), f.recipe.eta_full());
        assert_eq!(b.statement.recipe.eta_last(), f.recipe.eta_last());
        assert!(
            verifier(&f.recipe).verify(&b).is_err(),
            "a bundle claiming learning rate {what} instead of 0.1 verifies"
        );
    }
    // The same through the bytes: flip the learning rate's lowest byte.
    let mut bytes = f.bundle.clone();
    bytes[learning_rate_bytes().start] ^= 0x01;
    let b = ProofBundle::from_bytes(&bytes).unwrap();
    assert!(
        verifier(&f.recipe).verify(&b).is_err(),
        "flip at byte {}",
        learning_rate_bytes().start
    );
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// -------------------------------------------------------------- mutations

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR a byte with a non-zero mask.
    Flip(Index, u8),
    /// Set a byte (may leave it unchanged).
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    /// Cut the input at a point.
    Truncate(Index),
    /// Repeat a slice of up to 64 bytes in place.
    Duplicate(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    match m {
        Mutation::Flip(i, mask) => out[i.index(bytes.len())] ^= mask,
        Mutation::Set(i, b) => out[i.index(bytes.len())] = *b,
        Mutation::Insert(i, b) => out.insert(i.index(bytes.len() + 1), *b),
        Mutation::Delete(i) => {
            out.remove(i.index(bytes.len()));
        }
        Mutation::Truncate(i) => out.truncate(i.index(bytes.len())),
        Mutation::Duplicate(i, n) => {
            let at = i.index(bytes.len());
            let end = (at + n).min(bytes.len());
            let copy = out[at..end].to_vec();
            out.splice(at..at, copy);
        }
    }
    out
}

fn mutate_all(bytes: &[u8], ms: &[Mutation]) -> Vec<u8> {
    ms.iter().fold(bytes.to_vec(), |b, m| mutate(&b, m))
}

// ---------------------------------------------------------------- bundles

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn bundle_random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(ProofBundle::from_bytes(&bytes).is_err());
    }

    #[test]
    fn bundle_header_then_random_bytes_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..4096)
    ) {
        let mut bytes = BUNDLE_MAGIC.to_vec();
        bytes.extend(BUNDLE_VERSION.to_le_bytes());
        bytes.extend(&body);
        prop_assert!(ProofBundle::from_bytes(&bytes).is_err());
    }

    #[test]
    fn bundle_truncations_are_refused(cut in any::<Index>()) {
        let valid = &fixture().bundle;
        let cut = cut.index(valid.len());
        prop_assert!(ProofBundle::from_bytes(&valid[..cut]).is_err(), "cut at {}", cut);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn mutated_bundles_are_refused_or_rejected(
        ms in prop::collection::vec(mutation(), 1..4)
    ) {
        let bytes = mutate_all(&fixture().bundle, &ms);
        if let Ok(b) = ProofBundle::from_bytes(&bytes) {
            assert_rejected(&bytes, &b, &format!("{ms:?}"));
        }
    }

    #[test]
    fn single_byte_flips_in_the_statement_are_refused_or_rejected(
        at in 0..280usize,
        mask in 1..=255u8,
    ) {
        // The header and the statement are the first 254 bytes: aim there.
        let mut bytes = fixture().bundle.clone();
        bytes[at] ^= mask;
        if let Ok(b) = ProofBundle::from_bytes(&bytes) {
            assert_rejected(&bytes, &b, &format!("flip {mask:#x} at {at}"));
        }
    }
}

/// Found by the byte-flip proptest: flipping 0x20 turns a hex letter of a
/// commitment into upper case, which decoded to the same value, so a
/// bundle with a changed byte verified as the same statement. Every such
/// flip, in both commitments, is now refused as the bundle is read.
#[test]
fn upper_case_hex_in_a_bundle_is_refused() {
    let f = fixture();
    let bundle = ProofBundle::from_bytes(&f.bundle).unwrap();
    let st = &bundle.statement;
    let mut flipped = 0;
    for c in [st.commitment, st.test_commitment] {
        let text = c.to_string();
        let at = f
            .bundle
            .windows(64)
            .position(|w| w == text.as_bytes())
            .expect("the commitment's hex in the bundle");
        for (i, ch) in text.bytes().enumerate() {
            if ch.is_ascii_alphabetic() {
                let mut bytes = f.bundle.clone();
                bytes[at + i] ^= 0x20;
                assert!(
                    ProofBundle::from_bytes(&bytes).is_err(),
                    "upper case at {}",
                    at + i
                );
                flipped += 1;
            }
        }
    }
    assert!(flipped > 10, "only {flipped} letters");
}

/// bincode 2 (standard config) varint of a u64 that needs 8 bytes.
fn huge_varint(v: u64) -> Vec<u8> {
    let mut out = vec![253u8];
    out.extend(v.to_le_bytes());
    out
}

fn encoded_len<T: serde::Serialize>(v: &T) -> usize {
    bincode::serde::encode_to_vec(v, bincode::config::standard())
        .unwrap()
        .len()
}

/// Replaces the one-byte length prefix at `at` (which must hold `expected`)
/// with a huge one.
fn with_huge_length(bytes: &[u8], at: usize, expected: u8, len: u64) -> Vec<u8> {
    assert_eq!(
        bytes[at], expected,
        "not the length prefix expected at {at}"
    );
    let mut out = bytes[..at].to_vec();
    out.extend(huge_varint(len));
    out.extend(&bytes[at + 1..]);
    out
}

#[test]
fn bundle_huge_length_prefixes_are_refused() {
    let f = fixture();
    let bundle = ProofBundle::from_bytes(&f.bundle).unwrap();
    let st = &bundle.statement;
    // Statement fields in order: recipe, commitment and test commitment
    // (64-digit hex strings), initial (w: Vec<i64> of 3, b), model (a
    // variant index, then w: Vec<i64> of 3, b), ...
    let commitment_at = 20 + encoded_len(&st.recipe);
    let test_at = commitment_at + encoded_len(&st.commitment);
    let initial_at = test_at + encoded_len(&st.test_commitment);
    let final_at = initial_at + encoded_len(&st.initial) + 1;
    for (at, expected) in [
        (commitment_at, 64u8),
        (test_at, 64),
        (initial_at, 3),
        (final_at, 3),
    ] {
        for len in [u64::MAX, 1 << 40, (1 << 20) - 1, 1 << 19] {
            let bytes = with_huge_length(&f.bundle, at, expected, len);
            assert!(
                ProofBundle::from_bytes(&bytes).is_err(),
                "length {len} at {at}"
            );
        }
    }
    // A length that claims more than the whole bundle, as the last field.
    let mut bytes = BUNDLE_MAGIC.to_vec();
    bytes.extend(BUNDLE_VERSION.to_le_bytes());
    bytes.extend(&f.bundle[20..commitment_at]);
    bytes.extend(huge_varint(u64::MAX));
    assert!(ProofBundle::from_bytes(&bytes).is_err());
}

// ------------------------------------------------------------- checkpoints

fn with_digest(body: &[u8]) -> Vec<u8> {
    let mut out = CHECKPOINT_MAGIC.to_vec();
    out.extend(checkpoint::CHECKPOINT_VERSION.to_le_bytes());
    out.extend(Sha256::digest(body));
    out.extend(body);
    out
}

fn decode_checkpoint(bytes: &[u8]) -> foldtrain::Result<Checkpoint> {
    checkpoint::decode(bytes)
}

#[test]
fn the_fixture_checkpoint_decodes() {
    let f = fixture();
    let c = decode_checkpoint(&f.ckpt).unwrap();
    assert_eq!(c.done, 4);
    assert_eq!(c.run.recipe, f.recipe);
    // Re-encoding gives the same bytes: the layout below is the real one.
    assert_eq!(checkpoint::encode(&c).unwrap(), f.ckpt);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn checkpoint_random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(decode_checkpoint(&bytes).is_err());
    }

    #[test]
    fn checkpoint_header_then_random_bytes_is_refused(
        rest in prop::collection::vec(any::<u8>(), 0..4096)
    ) {
        let mut bytes = CHECKPOINT_MAGIC.to_vec();
        bytes.extend(checkpoint::CHECKPOINT_VERSION.to_le_bytes());
        bytes.extend(&rest);
        prop_assert!(decode_checkpoint(&bytes).is_err());
    }

    #[test]
    fn garbage_bodies_with_a_valid_digest_are_refused(
        body in prop::collection::vec(any::<u8>(), 0..4096)
    ) {
        prop_assert!(decode_checkpoint(&with_digest(&body)).is_err());
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn mutated_checkpoints_are_refused(ms in prop::collection::vec(mutation(), 1..4)) {
        let valid = &fixture().ckpt;
        let bytes = mutate_all(valid, &ms);
        prop_assume!(bytes != *valid);
        prop_assert!(decode_checkpoint(&bytes).is_err());
    }

    #[test]
    fn mutated_bodies_with_a_recomputed_digest_do_not_panic(
        ms in prop::collection::vec(mutation(), 1..4)
    ) {
        // Past the digest, into the bincode decoder: it may decode a
        // checkpoint with other values (resume then checks its folded proof)
        // but must never panic or run away.
        let body = mutate_all(&fixture().ckpt[CKPT_HEAD..], &ms);
        if let Ok(c) = decode_checkpoint(&with_digest(&body)) {
            // A decoded recipe is a valid one: its fields pass the checks again.
            prop_assert!(Recipe::try_from(RecipeFields::from(c.run.recipe)).is_ok());
        }
    }

    #[test]
    fn huge_lengths_inserted_into_a_body_do_not_panic(
        at in any::<Index>(),
        len in prop_oneof![Just(u64::MAX), Just(1u64 << 40), 1u64 << 20..1u64 << 29],
    ) {
        let body = &fixture().ckpt[CKPT_HEAD..];
        let at = at.index(body.len());
        let mut mutated = body[..at].to_vec();
        mutated.extend(huge_varint(len));
        mutated.extend(&body[at + 1..]);
        let _ = decode_checkpoint(&with_digest(&mutated));
    }
}

#[test]
fn checkpoint_huge_length_prefixes_are_refused() {
    let f = fixture();
    let c = decode_checkpoint(&f.ckpt).unwrap();
    let body = &f.ckpt[CKPT_HEAD..];
    // Checkpoint fields in order: recipe, data_digest (64 hex digits),
    // data_path, train_fraction, salts, private_normalizer, group, done, state
    // (weights: w of 3, b; weights_salt; hash: 64 hex digits; the two
    // commitments, batch, epoch), recursive (starting
    // with z0: a vector).
    let digest_at = encoded_len(&c.run.recipe);
    let path_at = digest_at + encoded_len(&c.run.data_digest);
    let path_len = c.run.data_path.to_string_lossy().len();
    assert!(path_len < 251, "a one-byte length prefix");
    let weights_at = path_at
        + encoded_len(&c.run.data_path)
        + encoded_len(&c.run.train_fraction)
        + encoded_len(&c.run.salts)
        + encoded_len(&c.run.private_normalizer)
        + encoded_len(&c.run.group)
        + encoded_len(&c.done);
    let hash_at = weights_at + encoded_len(&c.state.weights) + encoded_len(&c.state.weights_salt);
    let recursive_at = weights_at + encoded_len(&c.state);
    // The running proof's first field is z0, a vector of a few elements.
    let z0_len =
        bincode::serde::encode_to_vec(&c.recursive, bincode::config::standard()).unwrap()[0];
    assert!(z0_len < 251, "a one-byte length prefix");
    let targets = [
        (digest_at, 64u8),
        (path_at, path_len as u8),
        (weights_at, 3),
        (hash_at, 64),
        (recursive_at, z0_len),
    ];
    for (at, expected) in targets {
        for len in [u64::MAX, 1 << 40, 1 << 31, 1 << 29] {
            let bytes = with_digest(&with_huge_length(body, at, expected, len));
            assert!(decode_checkpoint(&bytes).is_err(), "length {len} at {at}");
        }
    }
    // The whole body a single huge length.
    assert!(decode_checkpoint(&with_digest(&huge_varint(u64::MAX))).is_err());
}

#[test]
fn checkpoint_truncations_and_flips_across_the_file_are_refused() {
    let valid = &fixture().ckpt;
    let stride = (valid.len() / 127).max(1);
    let mut positions: Vec<usize> = (0..valid.len()).step_by(stride).collect();
    positions.extend([0, 15, 16, 19, 20, 51, 52, valid.len() - 1]);
    for i in positions {
        assert!(decode_checkpoint(&valid[..i]).is_err(), "truncated at {i}");
        let mut t = valid.clone();
        t[i] ^= 0x01;
        assert!(decode_checkpoint(&t).is_err(), "flip at {i}");
    }
}

// ----------------------------------------------------------- JSON artifacts

/// Writes `bytes` to a fresh file and reads it back as `T`.
fn read_as<T: serde::de::DeserializeOwned>(bytes: &[u8], kind: &str) -> foldtrain::Result<T> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("artifact.json");
    std::fs::write(&path, bytes).unwrap();
    read_json::<T>(&path, kind)
}

fn read_model(bytes: &[u8]) -> foldtrain::Result<Model> {
    read_as(bytes, Model::KIND)
}

fn read_opening(bytes: &[u8]) -> foldtrain::Result<Opening> {
    read_as(bytes, Opening::KIND)
}

/// JSON pointers of every node below the root.
fn pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

/// Pointers of object members (keys that can be removed).
fn members(v: &serde_json::Value) -> Vec<String> {
    let mut all = Vec::new();
    pointers(v, String::new(), &mut all);
    all.into_iter()
        .filter(|p| {
            let parent = &p[..p.rfind('/').unwrap()];
            v.pointer(parent).is_some_and(|v| v.is_object()) || parent.is_empty()
        })
        .collect()
}

fn json_type(v: &serde_json::Value) -> u8 {
    match v {
        serde_json::Value::Null => 0,
        serde_json::Value::Bool(_) => 1,
        serde_json::Value::Number(_) => 2,
        serde_json::Value::String(_) => 3,
        serde_json::Value::Array(_) => 4,
        serde_json::Value::Object(_) => 5,
    }
}

fn values_of_every_type() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-1.5),
        json!("x"),
        json!(""),
        json!([]),
        json!(["x", null]),
        json!({}),
        json!({"kind": "foldtrain-model"}),
    ]
}

/// Checks a decoded model is usable without panicking.
fn exercise_model(m: &Model) {
    let _ = m.opened_commitment();
    let _ = m.decimal_weights();
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn json_random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(read_model(&bytes).is_err());
        prop_assert!(read_opening(&bytes).is_err());
    }

    #[test]
    fn json_byte_mutations_do_not_panic(ms in prop::collection::vec(mutation(), 1..4)) {
        // A mutation may leave valid JSON (a changed digit); it must never
        // panic, and a decoded model is still safe to use.
        let f = fixture();
        if let Ok(m) = read_model(&mutate_all(&f.model_json, &ms)) {
            exercise_model(&m);
        }
        let _ = read_opening(&mutate_all(&f.opening_json, &ms));
    }

    #[test]
    fn truncated_json_is_refused(cut in any::<Index>()) {
        let f = fixture();
        for valid in [&f.model_json, &f.opening_json] {
            // Strictly before the closing brace.
            let end = valid.iter().rposition(|&b| b == b'}').unwrap();
            let cut = cut.index(end);
            prop_assert!(read_model(&valid[..cut]).is_err());
            prop_assert!(read_opening(&valid[..cut]).is_err());
        }
    }

    #[test]
    fn json_values_of_another_type_are_refused(
        node in any::<Index>(),
        pick in any::<Index>(),
        opening in any::<bool>(),
    ) {
        let f = fixture();
        let text = if opening { &f.opening_json } else { &f.model_json };
        let mut v: serde_json::Value = serde_json::from_slice(text).unwrap();
        let mut all = Vec::new();
        pointers(&v, String::new(), &mut all);
        let at = &all[node.index(all.len())];
        let old = v.pointer(at).unwrap().clone();
        let others: Vec<_> = values_of_every_type()
            .into_iter()
            .filter(|x| json_type(x) != json_type(&old))
            .collect();
        let new = others[pick.index(others.len())].clone();
        *v.pointer_mut(at).unwrap() = new.clone();
        let bytes = serde_json::to_vec(&v).unwrap();
        let what = format!("{at}: {old} -> {new}");
        if opening {
            prop_assert!(read_opening(&bytes).is_err(), "{}", what);
        } else {
            prop_assert!(read_model(&bytes).is_err(), "{}", what);
        }
    }

    #[test]
    fn json_with_a_member_removed_is_refused(node in any::<Index>(), opening in any::<bool>()) {
        let f = fixture();
        let text = if opening { &f.opening_json } else { &f.model_json };
        let mut v: serde_json::Value = serde_json::from_slice(text).unwrap();
        let all = members(&v);
        let at = all[node.index(all.len())].clone();
        let (parent, key) = at.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() { &mut v } else { v.pointer_mut(parent).unwrap() };
        parent.as_object_mut().unwrap().remove(key);
        let bytes = serde_json::to_vec(&v).unwrap();
        if opening {
            prop_assert!(read_opening(&bytes).is_err(), "without {}", at);
        } else {
            prop_assert!(read_model(&bytes).is_err(), "without {}", at);
        }
    }
}

#[test]
fn json_edge_cases_are_refused() {
    let f = fixture();
    assert!(read_model(&f.model_json).is_ok());
    assert!(read_opening(&f.opening_json).is_ok());
    // The other kind of artifact.
    assert!(read_model(&f.opening_json).is_err());
    assert!(read_opening(&f.model_json).is_err());

    let model: serde_json::Value = serde_json::from_slice(&f.model_json).unwrap();
    let opening: serde_json::Value = serde_json::from_slice(&f.opening_json).unwrap();
    let set = |base: &serde_json::Value, at: &str, raw: &str| -> Vec<u8> {
        // Raw text, so that numbers serde_json would not produce get in.
        let marker = "\"@@marker@@\"";
        let mut v = base.clone();
        *v.pointer_mut(at).unwrap() = serde_json::json!("@@marker@@");
        serde_json::to_string(&v)
            .unwrap()
            .replace(marker, raw)
            .into_bytes()
    };
    let model_cases = [
        ("/weights_fixed/0", "9223372036854775808"), // i64::MAX + 1
        ("/weights_fixed/0", "1.5"),
        ("/weights_fixed/0", "1e400"),
        ("/bias_fixed", "-9223372036854775809"),
        ("/recipe/rows", "-1"),
        ("/recipe/rows", "18446744073709551616"),
        ("/recipe/format/frac_bits", "4294967296"),
        ("/recipe/sigmoid", "\"Hard5\""),
        ("/recipe/sigmoid", "3"),
        ("/weights/0", "NaN"),
        ("/kind", "\"foldtrain-opening\""),
        ("/kind", "\"FOLDTRAIN-MODEL\""),
    ];
    for (at, raw) in model_cases {
        assert!(read_model(&set(&model, at, raw)).is_err(), "{at} = {raw}");
    }
    let salt = opening["train"]["salt"].as_str().unwrap().to_string();
    let opening_cases = [
        ("/train/salt", format!("\"{}\"", "ff".repeat(32))), // not canonical
        ("/test/salt", format!("\"{}\"", &salt[..63])),
        ("/train/salt", format!("\"{salt}00\"")),
        (
            "/train/salt",
            format!("\"{}\"", salt.to_uppercase().replace(char::is_numeric, "g")),
        ),
        ("/train/commitment", format!("\"0x{}\"", &salt[2..])),
        ("/test/commitment", "null".into()),
        ("/train/chain/0", "\"zz\"".into()),
        ("/train/rows", "-3".into()),
        ("/test", "null".into()),
        ("/format", "[16, 3]".into()),
        ("/format/frac_bits", "-16".into()),
        ("/train_fraction", "\"0.8\"".into()),
    ];
    for (at, raw) in &opening_cases {
        assert!(
            read_opening(&set(&opening, at, raw)).is_err(),
            "{at} = {raw}"
        );
    }
    // Deep nesting stops at the parser's recursion limit, not the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(read_model(deep.as_bytes()).is_err());
    let deep = format!("{{\"kind\":{}}}", "{\"a\":".repeat(50_000));
    assert!(read_opening(deep.as_bytes()).is_err());
    // Not UTF-8, a BOM, nothing, a lone value.
    assert!(read_model(&[0xff, 0xfe, b'{', b'}']).is_err());
    assert!(read_model(&[&[0xef, 0xbb, 0xbf][..], &f.model_json].concat()).is_err());
    assert!(read_model(b"").is_err());
    assert!(read_model(b"null").is_err());
    assert!(read_model(b"\"foldtrain-model\"").is_err());
    // Larger than the JSON limit: refused without parsing.
    let mut big = f.model_json.clone();
    big.resize(foldtrain::artifact::MAX_JSON_BYTES as usize + 1, b' ');
    let e = read_model(&big).unwrap_err().to_string();
    assert!(e.contains("larger than"), "{e}");
}

// ------------------------------------------------------------------ CSV

fn parse(bytes: &[u8]) -> foldtrain::Result<Dataset> {
    Dataset::parse(Path::new("fuzz.csv"), bytes)
}

/// What every parsed dataset guarantees.
fn check_dataset(d: &Dataset) -> Result<(), TestCaseError> {
    prop_assert!(!d.feature_names.is_empty());
    prop_assert!(!d.rows.is_empty());
    prop_assert_eq!(d.rows.len(), d.labels.len());
    for row in &d.rows {
        prop_assert_eq!(row.len(), d.features());
        prop_assert!(row.iter().all(|x| x.is_finite()));
    }
    prop_assert!(d.labels.iter().all(|&y| y <= 1));
    prop_assert!(d.labels.contains(&0) && d.labels.contains(&1));
    // Preparing it must not panic either.
    let _ = foldtrain::dataset::Prepared::new(
        d,
        foldtrain::dataset::TrainFraction::DEFAULT,
        &Default::default(),
    );
    Ok(())
}

/// Text made of what CSV files are made of.
fn csv_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just(","),
        Just("\n"),
        Just("\r\n"),
        Just("\r"),
        Just("\""),
        Just(" "),
        Just("0"),
        Just("1"),
        Just("1.0"),
        Just("-2.5"),
        Just("1e308"),
        Just("1e309"),
        Just("NaN"),
        Just("inf"),
        Just("label"),
        Just("x"),
        Just("\u{feff}"),
        Just("é"),
        Just("\0"),
    ];
    prop::collection::vec(pieces, 0..200).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn csv_random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(parse(&bytes).is_err());
    }

    #[test]
    fn csv_like_text_never_panics(header in prop::sample::select(vec!["a,label\n", "a,b,label\n", ""]), body in csv_like()) {
        if let Ok(d) = parse(format!("{header}{body}").as_bytes()) {
            check_dataset(&d)?;
        }
    }

    #[test]
    fn mutated_csv_never_panics(ms in prop::collection::vec(mutation(), 1..6)) {
        if let Ok(d) = parse(&mutate_all(&fixture_csv(), &ms)) {
            check_dataset(&d)?;
        }
    }
}

/// The fixture's CSV text without waiting for its prove.
fn fixture_csv() -> Vec<u8> {
    common::isolate_cache();
    static CSV: OnceLock<Vec<u8>> = OnceLock::new();
    CSV.get_or_init(|| {
        let mut text = String::from("a,b,c,label\n");
        for i in 0..20 {
            text.push_str(&format!("{}.25,-{i}.5,{},{}\n", i % 7, i * 3, i % 2));
        }
        text.into_bytes()
    })
    .clone()
}

#[test]
fn the_fixture_csv_parses() {
    common::isolate_cache();
    assert!(parse(&fixture_csv()).is_ok());
    assert!(parse(&fixture().csv_text).is_ok());
}
