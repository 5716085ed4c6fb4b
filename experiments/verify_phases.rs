//! Where a verifier's and a prover's setup time goes, phase by phase, at the
//! default recipe (german_credit) or at a dataset given as the first
//! argument: building Nova's public parameters, their digest, deriving the
//! keys, encoding and decoding the verifier key (Nova's published encoding
//! and the key file's raw one), the parameter cache's
//! store and load, the cache binding, and (given a bundle as the second
//! argument) the SNARK check alone.
//!
//! `cargo run --release --example verify_phases [-- CSV [BUNDLE]]` prints one
//! line a phase and writes `experiments/results/verify_phases_<dataset>.csv`. Each
//! figure is one phase, measured in this process; none is a whole command's
//! wall clock (see `experiments/README.md` for those).

#[path = "common/mod.rs"]
#[allow(dead_code)] // the child-process helpers serve the other experiments
mod common;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use foldtrain::commands::{self, DataArgs};
use foldtrain::ivc::keys::KeyFile;
use foldtrain::ivc::{params, Compressed, VerifierKey};
use foldtrain::proof::ProofBundle;
use foldtrain::recipe::Hyper;

fn main() -> Result<()> {
    let session = common::Session::start()?;
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .map_or_else(commands::default_dataset, PathBuf::from);
    let bundle = args.next().map(PathBuf::from);
    let loaded = DataArgs {
        data: data.clone(),
        train_fraction: commands::DEFAULT_TRAIN_FRACTION,
        hyper: Hyper::default(),
        group: None,
    }
    .load()?;
    let recipe = loaded.recipe;
    let mut rows: Vec<(String, f64, String)> = Vec::new();
    let mut phase = |name: &str, seconds: f64, note: String| {
        println!("{name:<44} {seconds:>8.3} s  {note}");
        rows.push((name.to_string(), seconds, note));
    };
    let cfg = bincode::config::standard();

    let t = Instant::now();
    let binding = params::binding(&recipe);
    phase(
        "cache binding (tag and source identity hashed)",
        secs(t),
        hex(&binding[..4]),
    );

    let t = Instant::now();
    let pp = params::setup(&recipe)?;
    let (primary, secondary) = pp.num_constraints();
    phase(
        "public parameters built (setup)",
        secs(t),
        format!("{primary} + {secondary} constraints"),
    );

    let t = Instant::now();
    let digest = params::digest_hex(&pp);
    phase("parameter digest", secs(t), digest[..16].to_string());

    let t = Instant::now();
    let (pk, vk) = Compressed::setup(&pp)?;
    phase(
        "keys derived (CompressedSNARK::setup)",
        secs(t),
        String::new(),
    );
    drop(pk);

    // The published encoding (points compressed: a square root each to
    // decode), for comparison with the key file's raw one.
    let t = Instant::now();
    let published = bincode::serde::encode_to_vec(&vk, cfg).context("encoding the key")?;
    phase(
        "verifier key encoded (published encoding)",
        secs(t),
        format!("{} bytes", published.len()),
    );
    let t = Instant::now();
    let (_, _): (VerifierKey, usize) =
        bincode::serde::decode_from_slice(&published, cfg).context("decoding the key")?;
    phase(
        "verifier key decoded (published encoding)",
        secs(t),
        String::new(),
    );

    // The key file as `foldtrain keys` writes it: Nova's key in the raw
    // encoding of the patched nova-snark (third_party/nova-snark/PATCH.md).
    let key_file = KeyFile::new(&recipe, &pp, vk);
    let t = Instant::now();
    let vk_bytes = key_file.to_bytes()?;
    phase(
        "key file encoded (raw)",
        secs(t),
        format!("{} bytes", vk_bytes.len()),
    );

    let t = Instant::now();
    let sha = foldtrain::artifact::sha256_hex(&vk_bytes);
    phase("key file sha256", secs(t), sha[..16].to_string());

    let t = Instant::now();
    let decoded = KeyFile::<foldtrain::recipe::Recipe>::from_bytes(&vk_bytes)
        .map_err(|why| anyhow::anyhow!("decoding the key file: {why}"))?;
    phase(
        "key file decoded (raw; body digest checked)",
        secs(t),
        String::new(),
    );

    let (_, vk_again) = Compressed::setup(&pp)?;
    let again = KeyFile::new(&recipe, &pp, vk_again).to_bytes()?;
    phase(
        "key file derived twice: same bytes",
        0.0,
        (again == vk_bytes).to_string(),
    );

    let dir = tempfile::tempdir()?;
    let cache = params::Cache::at(dir.path().join("cache"));
    let t = Instant::now();
    cache.store(&recipe, &pp)?;
    let pp_bytes = std::fs::metadata(cache.path(&recipe))?.len();
    phase(
        "parameters stored to the cache",
        secs(t),
        format!("{pp_bytes} bytes"),
    );
    drop(pp);
    let t = Instant::now();
    let pp = cache
        .load(&recipe)
        .map_err(anyhow::Error::msg)?
        .context("cache miss")?;
    phase("parameters loaded from the cache", secs(t), String::new());
    let t = Instant::now();
    let loaded_digest = params::digest_hex(&pp);
    phase(
        "parameter digest of loaded parameters",
        secs(t),
        format!("same as built: {}", loaded_digest == digest),
    );

    cache.store_key(&recipe, &vk_bytes)?;
    let t = Instant::now();
    let cached = cache.load_key(&recipe).map_err(anyhow::Error::msg)?;
    phase(
        "key loaded from the key cache (binding checked)",
        secs(t),
        format!("found: {}", cached.is_some()),
    );

    if let Some(path) = bundle {
        let b = ProofBundle::read(&path)?;
        let st = &b.statement;
        let t = Instant::now();
        b.snark
            .verify(&decoded.vk, st.steps, &st.z0().expect("z0"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        phase(
            "SNARK check (decoded key)",
            secs(t),
            path.display().to_string(),
        );
    }

    let mut csv = String::from("phase,seconds,note\n");
    for (name, s, note) in &rows {
        writeln!(csv, "{name},{s:.3},{note}")?;
    }
    writeln!(csv, "# load at start: {}", session.start_load)?;
    let stem = data
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy());
    let out = session.result(&format!("verify_phases_{stem}"), "csv");
    std::fs::write(&out, csv)?;
    println!("wrote {}; load now {}", out.display(), common::loadavg());
    Ok(())
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
