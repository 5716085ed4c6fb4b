//! What an auditor waits for: the whole `foldtrain verify` and `foldtrain
//! keys` commands, wall clock and peak memory, run as child processes on a
//! bundle of the default recipe (or the one given).
//!
//! `cargo run --release --example verify_wall -- BUNDLE` (default
//! `german_credit/proof.bundle`, which `cargo run --release -- prove`
//! writes) runs, each in a cache folder of its own:
//!
//! 1. `verify` with nothing cached (a regulator's fresh machine): the key is
//!    derived from the recipe, then cached;
//! 2. `verify` again, the key read from that cache;
//! 3. `keys BUNDLE --out vk.bin`, no cache;
//! 4. `verify --vk vk.bin --vk-sha256 HEX`, no cache.
//!
//! and writes `experiments/results/verify_wall.csv` with the whole command's
//! wall clock beside the phases each report names (key, SNARK check).

#[path = "common/mod.rs"]
#[allow(dead_code)] // the plotting and proving helpers serve other experiments
mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::Value;

struct Row {
    what: &'static str,
    wall_s: f64,
    max_rss_mib: f64,
    key_s: Option<f64>,
    verify_s: Option<f64>,
    note: String,
}

fn main() -> Result<()> {
    let session = common::Session::start()?;
    let bundle = std::env::args().nth(1).map_or_else(
        || PathBuf::from("german_credit/proof.bundle"),
        PathBuf::from,
    );
    if !bundle.exists() {
        bail!(
            "{} does not exist; run `cargo run --release -- prove` first, or give a bundle",
            bundle.display()
        );
    }
    let bin = common::foldtrain_binary(common::root())?;
    let bundle = bundle.canonicalize()?.display().to_string();
    let dir = tempfile::tempdir()?;
    let cache = dir.path().join("cache");
    let key = dir.path().join("vk.bin").display().to_string();
    let mut rows = Vec::new();

    // The children read their cache folder from the environment; nothing
    // else in this process reads it.
    std::env::set_var("FOLDTRAIN_CACHE_DIR", &cache);
    for what in ["verify, nothing cached", "verify, key cached"] {
        let args = vec!["--json".into(), "verify".into(), bundle.clone()];
        rows.push(verify_row(what, common::run_measured(&bin, &args)?)?);
    }
    std::env::set_var("FOLDTRAIN_CACHE_DIR", "");
    let args: Vec<String> = ["--json", "keys", &bundle, "--out", &key, "--force"]
        .map(String::from)
        .into();
    let run = common::run_measured(&bin, &args)?;
    let report: Value = serde_json::from_str(&run.stdout).context("keys --json")?;
    let sha = report["sha256"].as_str().context("sha256")?.to_string();
    rows.push(Row {
        what: "keys",
        wall_s: run.wall_s,
        max_rss_mib: common::mib(run.max_rss_kib),
        key_s: report["derive_s"].as_f64(),
        verify_s: None,
        note: format!("{} bytes", report["bytes"]),
    });
    let args: Vec<String> = [
        "--json",
        "verify",
        &bundle,
        "--vk",
        &key,
        "--vk-sha256",
        &sha,
    ]
    .map(String::from)
    .into();
    rows.push(verify_row(
        "verify --vk --vk-sha256",
        common::run_measured(&bin, &args)?,
    )?);

    let mut csv = String::from("command,wall_s,max_rss_mib,key_s,verify_s,note\n");
    let opt = |v: Option<f64>| v.map_or_else(String::new, |s| format!("{s:.2}"));
    for r in &rows {
        let line = format!(
            "{},{:.2},{:.0},{},{},{}",
            r.what,
            r.wall_s,
            r.max_rss_mib,
            opt(r.key_s),
            opt(r.verify_s),
            r.note
        );
        println!("{line}");
        writeln!(csv, "{line}")?;
    }
    writeln!(
        csv,
        "# {bundle}; load at start {}, at end {}",
        session.start_load,
        common::loadavg()
    )?;
    let out = session.result("verify_wall", "csv");
    std::fs::write(&out, csv)?;
    println!("wrote {}", out.display());
    Ok(())
}

fn verify_row(what: &'static str, run: common::ChildRun) -> Result<Row> {
    let report: Value = serde_json::from_str(&run.stdout).context("verify --json")?;
    if report["accepted"] != true {
        bail!("{what}: the bundle was not accepted: {}", report["reason"]);
    }
    Ok(Row {
        what,
        wall_s: run.wall_s,
        max_rss_mib: common::mib(run.max_rss_kib),
        key_s: report["key_s"].as_f64(),
        verify_s: report["verify_s"].as_f64(),
        note: format!("key {}", report["key_origin"]),
    })
}
