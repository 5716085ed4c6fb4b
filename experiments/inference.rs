//! What proving what a model does costs: `prove-eval` on the test split of
//! every shipped dataset (proof time, size, and the proven counts against
//! `evaluate --split test`'s native ones), `prove-predict` for 1, 10 and 100
//! rows, and `verify` of each bundle, every one the whole command run as a
//! child process (wall clock and peak memory).
//!
//! `cargo run --release --example inference` (`-- --quick`: breast_cancer
//! and german_credit only, predictions for 1 and 10 rows) writes
//! `experiments/results/inference.csv`.
//!
//! Each dataset's model is trained natively (`foldtrain train`, the default
//! recipe, 10 epochs): the evaluation proof needs a model and the committed
//! rows, not a training proof. Provers share one parameter cache folder
//! (built on first use, as a user's would be); `verify` runs twice, with an
//! empty cache (an auditor's fresh machine: the parameters are built and
//! the key derived) and with the cache its first run filled (the key is
//! read from it).

#[path = "common/mod.rs"]
#[allow(dead_code)] // the plotting and proving helpers serve other experiments
mod common;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// One measured command.
struct Row {
    dataset: String,
    what: String,
    rows: u64,
    wall_s: f64,
    max_rss_mib: f64,
    proof_bytes: Option<u64>,
    detail: String,
}

fn s(v: &str) -> String {
    v.to_string()
}

fn main() -> Result<()> {
    let session = common::Session::start()?;
    let bin = common::foldtrain_binary(common::root())?;
    let dir = tempfile::tempdir()?;
    let prover_cache = dir.path().join("prover-cache");
    let datasets: &[&str] = if session.quick {
        &["breast_cancer", "german_credit"]
    } else {
        &["breast_cancer", "german_credit", "adult"]
    };
    let mut rows = Vec::new();
    for name in datasets {
        let csv = common::root().join("datasets").join(format!("{name}.csv"));
        let work = dir.path().join(name);
        std::fs::create_dir_all(&work)?;
        std::env::set_var("FOLDTRAIN_CACHE_DIR", &prover_cache);
        let csv_s = csv.display().to_string();
        let model = work.join("model.json").display().to_string();
        let commit_dir = work.join("c").display().to_string();
        run(&bin, &["train", "--data", &csv_s, "--out", &model])?;
        run(&bin, &["commit", "--data", &csv_s, "--out", &commit_dir])?;
        let out = work.join("out").display().to_string();
        let proved = common::run_measured(
            &bin,
            &args(&[
                "--json",
                "--quiet",
                "prove-eval",
                "--model",
                &model,
                "--commitment",
                &commit_dir,
                "--data",
                &csv_s,
                "--out",
                &out,
            ]),
        )?;
        let report: Value = serde_json::from_str(&proved.stdout).context("prove-eval --json")?;
        let native: Value = serde_json::from_str(
            &run(
                &bin,
                &[
                    "--json", "evaluate", "--model", &model, "--data", &csv_s, "--split", "test",
                ],
            )?
            .stdout,
        )?;
        if report["counts"] != native["counts"] {
            bail!(
                "{name}: proven counts {} differ from evaluate's {}",
                report["counts"],
                native["counts"]
            );
        }
        let t = &report["timings"];
        rows.push(Row {
            dataset: s(name),
            what: s("prove-eval (test split)"),
            rows: native["rows"].as_u64().unwrap_or(0),
            wall_s: proved.wall_s,
            max_rss_mib: common::mib(proved.max_rss_kib),
            proof_bytes: report["proof_bytes"].as_u64(),
            detail: format!(
                "accuracy {:.4} = evaluate's; {} steps of {} rows, {} constraints folded a step; setup {:.1} fold {:.1} compress {:.1} check {:.1}",
                report["accuracy"].as_f64().unwrap_or(f64::NAN),
                report["steps"],
                report["spec"]["rows_per_step"],
                t["constraints_per_step"],
                t["setup_s"].as_f64().unwrap_or(0.0),
                t["fold_s"].as_f64().unwrap_or(0.0),
                t["compress_s"].as_f64().unwrap_or(0.0),
                t["check_s"].as_f64().unwrap_or(0.0),
            ),
        });
        let bundle = Path::new(&out).join("eval-test.bundle");
        rows.extend(verify_twice(&bin, name, &bundle, dir.path())?);

        if *name != "german_credit" {
            continue;
        }
        let counts: &[usize] = if session.quick {
            &[1, 10]
        } else {
            &[1, 10, 100]
        };
        for &n in counts {
            let inputs = work.join(format!("inputs-{n}.csv"));
            write_last_rows(&csv, &inputs, n)?;
            let out = work.join(format!("predict-{n}")).display().to_string();
            std::env::set_var("FOLDTRAIN_CACHE_DIR", &prover_cache);
            let proved = common::run_measured(
                &bin,
                &args(&[
                    "--json",
                    "--quiet",
                    "prove-predict",
                    "--model",
                    &model,
                    "--inputs",
                    &inputs.display().to_string(),
                    "--out",
                    &out,
                ]),
            )?;
            let report: Value =
                serde_json::from_str(&proved.stdout).context("prove-predict --json")?;
            let t = &report["timings"];
            rows.push(Row {
                dataset: s(name),
                what: format!("prove-predict ({n} rows)"),
                rows: n as u64,
                wall_s: proved.wall_s,
                max_rss_mib: common::mib(proved.max_rss_kib),
                proof_bytes: report["proof_bytes"].as_u64(),
                detail: format!(
                    "{} steps of {} rows, {} constraints folded a step; setup {:.1} fold {:.1} compress {:.1}",
                    report["steps"],
                    report["spec"]["rows_per_step"],
                    t["constraints_per_step"],
                    t["setup_s"].as_f64().unwrap_or(0.0),
                    t["fold_s"].as_f64().unwrap_or(0.0),
                    t["compress_s"].as_f64().unwrap_or(0.0),
                ),
            });
            let bundle = Path::new(&out).join("predict.bundle");
            rows.extend(verify_twice(&bin, name, &bundle, dir.path())?);
        }
    }
    let mut csv = String::from("dataset,command,rows,wall_s,max_rss_mib,proof_bytes,detail\n");
    for r in &rows {
        let line = format!(
            "{},{},{},{:.2},{:.0},{},\"{}\"",
            r.dataset,
            r.what,
            r.rows,
            r.wall_s,
            r.max_rss_mib,
            r.proof_bytes.map_or_else(String::new, |b| b.to_string()),
            r.detail
        );
        println!("{line}");
        writeln!(csv, "{line}")?;
    }
    writeln!(
        csv,
        "# load at start {}, at end {}; sources {}",
        session.start_load,
        common::loadavg(),
        session.source
    )?;
    let path = session.result("inference", "csv");
    std::fs::write(&path, csv)?;
    println!("wrote {}", path.display());
    Ok(())
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Runs a command that must succeed.
fn run(bin: &Path, a: &[&str]) -> Result<common::ChildRun> {
    let r = common::run_measured(bin, &args(a))?;
    Ok(r)
}

/// `verify` with an empty cache, then with the cache that run filled.
fn verify_twice(bin: &Path, name: &str, bundle: &Path, tmp: &Path) -> Result<Vec<Row>> {
    // A fresh folder for each bundle: the first verify finds nothing.
    let cache = tempfile::tempdir_in(tmp)?;
    std::env::set_var("FOLDTRAIN_CACHE_DIR", cache.path());
    let mut rows = Vec::new();
    for what in ["verify with an empty cache", "verify with the key cached"] {
        let r = common::run_measured(
            bin,
            &args(&["--json", "verify", &bundle.display().to_string()]),
        )?;
        let v: Value = serde_json::from_str(&r.stdout).context("verify --json")?;
        if v["accepted"] != true {
            bail!("{}: not accepted: {}", bundle.display(), v["reason"]);
        }
        rows.push(Row {
            dataset: s(name),
            what: format!(
                "{what} ({})",
                bundle
                    .file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned())
            ),
            rows: 0,
            wall_s: r.wall_s,
            max_rss_mib: common::mib(r.max_rss_kib),
            proof_bytes: None,
            detail: format!(
                "key {} {:.2} s, SNARK {:.2} s (phases)",
                if v["key_cached"] == true {
                    "read from the cache"
                } else {
                    "derived from parameters built now"
                },
                v["key_s"].as_f64().unwrap_or(0.0),
                v["verify_s"].as_f64().unwrap_or(0.0)
            ),
        });
    }
    Ok(rows)
}

/// The header and the last `n` rows of `csv` (rows of its test split, in
/// file order), without the label column.
fn write_last_rows(csv: &Path, out: &Path, n: usize) -> Result<()> {
    let text = std::fs::read_to_string(csv)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let drop_label = |l: &str| -> String {
        match l.rfind(',') {
            Some(i) => l[..i].to_string(),
            None => l.to_string(),
        }
    };
    let mut body = drop_label(lines[0]);
    body.push('\n');
    for l in &lines[lines.len() - n..] {
        body.push_str(&drop_label(l));
        body.push('\n');
    }
    std::fs::write(out, body)?;
    Ok(())
}
