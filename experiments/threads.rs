//! Folding with one thread and with two: one epoch of 1,024 training rows of
//! 64 synthetic features, batch 64 (16 mini-batches), at every batches per
//! step the recipe allows, and the default job's folding, each a child
//! process `foldtrain prove --json --quiet` with `RAYON_NUM_THREADS` set
//! (Nova and foldtrain parallelize through rayon).
//!
//! `cargo run --release --example threads` (about 5 minutes on 2 cores)
//! writes `experiments/results/threads.csv` and prints a markdown table of
//! the folding phase (`prove_s`, folding only) and the whole command's wall
//! clock. `-- --quick` runs only the largest step.

#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use ndarray::{Array1, Array2};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand_distr::StandardNormal;
use ndarray_rand::RandomExt;

use common::{json_f64, loadavg, run_measured, Session};

/// Seed of the synthetic data.
const SEED: u64 = 20_261_203;
/// 1,280 rows, so that the default 80/20 split trains on 1,024.
const ROWS: usize = 1280;
const FEATURES: usize = 64;

fn write_synthetic(path: &Path) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let x: Array2<f64> = Array2::random_using((ROWS, FEATURES), StandardNormal, &mut rng);
    let w: Array1<f64> = Array1::random_using(FEATURES, StandardNormal, &mut rng);
    let noise: Array1<f64> = Array1::random_using(ROWS, StandardNormal, &mut rng);
    let z = x.dot(&w) + noise * 0.5;
    let mut out = String::new();
    for j in 0..FEATURES {
        write!(out, "x{j},")?;
    }
    out.push_str("label\n");
    for (row, zi) in x.rows().into_iter().zip(&z) {
        for v in row {
            write!(out, "{v:.6},")?;
        }
        writeln!(out, "{}", u8::from(*zi > 0.0))?;
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

struct Point {
    job: String,
    threads: usize,
    batches_per_step: usize,
    steps: f64,
    constraints_per_step: f64,
    load: String,
    folding_s: f64,
    compress_s: f64,
    command_s: f64,
}

fn main() -> Result<()> {
    let session = Session::start()?;
    let bin = common::foldtrain_binary(common::root())?;
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("synthetic_1024x64.csv");
    write_synthetic(&data)?;
    // One cache for every run: setup is not what this measures.
    std::env::set_var("FOLDTRAIN_CACHE_DIR", scratch.path().join("cache"));

    let ks: &[usize] = if session.quick { &[4] } else { &[1, 2, 4] };
    let mut jobs: Vec<(String, Vec<String>)> = ks
        .iter()
        .map(|k| {
            let args = [
                "--data",
                &data.display().to_string(),
                "--batch",
                "64",
                "--epochs",
                "1",
                "--batches-per-step",
                &k.to_string(),
            ]
            .map(String::from)
            .to_vec();
            (format!("1024x64 batch 64 K={k}"), args)
        })
        .collect();
    if !session.quick {
        jobs.push(("german_credit default job".into(), Vec::new()));
    }
    let mut points = Vec::new();
    for (job, extra) in &jobs {
        for threads in [1usize, 2] {
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
            let out = scratch
                .path()
                .join(format!("out-{}-{threads}", points.len()));
            let mut args: Vec<String> = ["prove", "--json", "--quiet", "--checkpoint-every"]
                .map(String::from)
                .to_vec();
            args.push("1000000000".into());
            args.extend(extra.iter().cloned());
            args.extend(["--out".into(), out.display().to_string()]);
            let load = loadavg();
            eprintln!(
                "{job}, {threads} thread(s): foldtrain {} (load {load})",
                args.join(" ")
            );
            let child = run_measured(&bin, &args)?;
            let report: serde_json::Value =
                serde_json::from_str(&child.stdout).context("parsing prove --json")?;
            points.push(Point {
                job: job.clone(),
                threads,
                batches_per_step: extra
                    .iter()
                    .position(|a| a == "--batches-per-step")
                    .and_then(|i| extra.get(i + 1))
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(0),
                steps: json_f64(&report, "steps")?,
                constraints_per_step: json_f64(&report, "constraints_per_step")?,
                load,
                folding_s: json_f64(&report, "prove_s")?,
                compress_s: json_f64(&report, "compress_s")?,
                command_s: child.wall_s,
            });
            std::fs::remove_dir_all(&out).ok();
        }
    }
    std::env::remove_var("RAYON_NUM_THREADS");

    let mut csv = String::from("job,threads,batches_per_step,steps,constraints_per_step,load_at_start,folding_s,compression_s,prove_wall_s\n");
    let mut table = String::from("| job | threads | steps x constraints | load | folding | compression | whole `prove` | folding speed-up from 1 to 2 threads |\n|---|---|---|---|---|---|---|---|\n");
    for p in &points {
        writeln!(
            csv,
            "{},{},{},{},{},{},{:.3},{:.3},{:.3}",
            p.job,
            p.threads,
            p.batches_per_step,
            p.steps,
            p.constraints_per_step,
            p.load.replace(' ', "/"),
            p.folding_s,
            p.compress_s,
            p.command_s
        )?;
        let speedup = points
            .iter()
            .find(|q| q.job == p.job && q.threads == 1)
            .filter(|_| p.threads == 2)
            .map_or(String::new(), |one| {
                format!("{:.2}x", one.folding_s / p.folding_s)
            });
        writeln!(
            table,
            "| {} | {} | {} x {} | {} | {:.2} s | {:.1} s | {:.1} s | {speedup} |",
            p.job,
            p.threads,
            p.steps,
            p.constraints_per_step,
            p.load.split(' ').next().unwrap_or(""),
            p.folding_s,
            p.compress_s,
            p.command_s
        )?;
    }
    let path = session.result("threads", "csv");
    std::fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
    println!("{table}\nwrote {}", path.display());
    Ok(())
}
