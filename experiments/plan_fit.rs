//! Fits the planner's cost model (`foldtrain::plan::CostModel`) on this
//! machine, and measures how far its predictions are from the real `prove`.
//!
//! Each job is a child process `foldtrain prove --json --quiet` with an empty
//! parameter cache of its own (so setup builds the parameters, as on a fresh
//! machine) and checkpoints off, under `/usr/bin/time -v`. The jobs span the
//! padded sizes 2^15 to 2^18 and 10 to 377 folded steps. Then:
//!
//! - folding: least squares of `prove_s = a * steps + b * steps * folded
//!   constraints per step`;
//! - compression and setup: least squares of `t = c + d * padded`, with
//!   `padded` the augmented primary circuit padded to a power of two;
//! - memory: peak RSS against the folded step's constraints.
//!
//! `cargo run --release --example plan_fit` (about 10 minutes on 2 cores)
//! writes `experiments/results/plan_fit.csv` (one row a job, with the
//! fitted model's prediction beside the measurement) and prints the fitted
//! constants to paste into `CostModel::FITTED`. `-- --quick` runs the three
//! smallest jobs.

#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use foldtrain::commands::{DataArgs, DEFAULT_TRAIN_FRACTION};
use foldtrain::plan::{self, CostModel, StepShape};
use foldtrain::recipe::Hyper;

use common::{json_f64, loadavg, run_measured, Session};

struct Job {
    label: &'static str,
    data: &'static str,
    epochs: usize,
    batches_per_step: usize,
}

const JOBS: [Job; 6] = [
    Job {
        label: "breast_cancer K=1 2 epochs",
        data: "datasets/breast_cancer.csv",
        epochs: 2,
        batches_per_step: 1,
    },
    Job {
        label: "german_credit K=1 1 epoch",
        data: "datasets/german_credit.csv",
        epochs: 1,
        batches_per_step: 1,
    },
    Job {
        label: "german_credit K=5 2 epochs",
        data: "datasets/german_credit.csv",
        epochs: 2,
        batches_per_step: 5,
    },
    Job {
        label: "german_credit K=5 10 epochs (the default job)",
        data: "datasets/german_credit.csv",
        epochs: 10,
        batches_per_step: 5,
    },
    Job {
        label: "german_credit K=1 4 epochs",
        data: "datasets/german_credit.csv",
        epochs: 4,
        batches_per_step: 1,
    },
    Job {
        label: "adult K=3 1 epoch",
        data: "datasets/adult.csv",
        epochs: 1,
        batches_per_step: 3,
    },
];

struct Measured {
    label: &'static str,
    load: String,
    shape: StepShape,
    setup_s: f64,
    prove_s: f64,
    compress_s: f64,
    command_s: f64,
    peak_bytes: f64,
}

fn shape_of(job: &Job) -> Result<StepShape> {
    let args = DataArgs {
        data: common::root().join(job.data),
        train_fraction: DEFAULT_TRAIN_FRACTION,
        hyper: Hyper {
            epochs: job.epochs,
            batches_per_step: Some(job.batches_per_step),
            ..Hyper::default()
        },
        group: None,
    };
    let recipe = args.load()?.recipe;
    plan::shapes(&recipe)?
        .into_iter()
        .find(|s| s.batches_per_step == job.batches_per_step)
        .context("K is not allowed for this recipe")
}

fn run(bin: &std::path::Path, job: &Job) -> Result<Measured> {
    let scratch = tempfile::tempdir()?;
    let out = scratch.path().join("out");
    let cache = scratch.path().join("cache");
    let args: Vec<String> = [
        "prove",
        "--json",
        "--quiet",
        "--data",
        &common::root().join(job.data).display().to_string(),
        "--epochs",
        &job.epochs.to_string(),
        "--batches-per-step",
        &job.batches_per_step.to_string(),
        "--checkpoint-every",
        "1000000000",
        "--out",
        &out.display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    // The child inherits this process's environment: an empty cache each.
    std::env::set_var("FOLDTRAIN_CACHE_DIR", &cache);
    let load = loadavg();
    eprintln!("{}: foldtrain {} (load {load})", job.label, args.join(" "));
    let child = run_measured(bin, &args)?;
    let report: serde_json::Value =
        serde_json::from_str(&child.stdout).context("parsing prove --json")?;
    Ok(Measured {
        label: job.label,
        load,
        shape: shape_of(job)?,
        setup_s: json_f64(&report, "setup_s")?,
        prove_s: json_f64(&report, "prove_s")?,
        compress_s: json_f64(&report, "compress_s")?,
        command_s: child.wall_s,
        peak_bytes: child.max_rss_kib.map_or(f64::NAN, |k| k as f64 * 1024.0),
    })
}

/// Least squares of `y = a * u + b * v` (no intercept).
fn fit2(points: &[(f64, f64, f64)]) -> (f64, f64) {
    let (mut uu, mut uv, mut vv, mut uy, mut vy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(u, v, y) in points {
        uu += u * u;
        uv += u * v;
        vv += v * v;
        uy += u * y;
        vy += v * y;
    }
    let det = uu * vv - uv * uv;
    ((uy * vv - vy * uv) / det, (vy * uu - uy * uv) / det)
}

/// Least squares of `y = c + d * x`.
fn fit_line(points: &[(f64, f64)]) -> (f64, f64) {
    let with_one: Vec<(f64, f64, f64)> = points.iter().map(|&(x, y)| (1.0, x, y)).collect();
    fit2(&with_one)
}

fn main() -> Result<()> {
    let session = Session::start()?;
    let bin = common::foldtrain_binary(common::root())?;
    let jobs: Vec<&Job> = if session.quick {
        JOBS.iter().take(3).collect()
    } else {
        JOBS.iter().collect()
    };
    let mut measured = Vec::new();
    for job in jobs {
        measured.push(run(&bin, job)?);
    }

    let folding: Vec<(f64, f64, f64)> = measured
        .iter()
        .map(|m| {
            let steps = m.shape.steps as f64;
            (
                steps,
                steps * m.shape.folded_constraints() as f64,
                m.prove_s,
            )
        })
        .collect();
    let (per_step, per_constraint) = fit2(&folding);
    let line = |f: fn(&Measured) -> f64| {
        fit_line(
            &measured
                .iter()
                .map(|m| (m.shape.padded as f64, f(m)))
                .collect::<Vec<_>>(),
        )
    };
    let (compress_base, compress_per) = line(|m| m.compress_s);
    let (setup_base, setup_per) = line(|m| m.setup_s);
    let (memory_base, memory_per) = fit_line(
        &measured
            .iter()
            .filter(|m| m.peak_bytes.is_finite())
            .map(|m| (m.shape.folded_constraints() as f64, m.peak_bytes))
            .collect::<Vec<_>>(),
    );
    let fitted = CostModel {
        fitted: "this run",
        fold_per_step_s: per_step,
        fold_per_constraint_s: per_constraint,
        compress_base_s: compress_base,
        compress_per_padded_s: compress_per,
        setup_base_s: setup_base,
        setup_per_padded_s: setup_per,
        memory_base_bytes: memory_base,
        memory_per_constraint_bytes: memory_per,
    };
    println!("fitted: {fitted:#?}");

    let mut csv = String::from(
        "job,load_at_start,batches_per_step,steps,step_constraints,folded_constraints,padded,\
         setup_s,folding_s,compression_s,prove_wall_s,peak_mib,\
         fitted_setup_s,fitted_folding_s,fitted_compression_s,\
         shipped_setup_s,shipped_folding_s,shipped_compression_s\n",
    );
    let mut table = String::from(
        "| job | load | K | steps | folded constraints | padded | setup | folding | compression | whole `prove` | peak | shipped model: setup / folding / compression |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in &measured {
        let f = fitted.predict(&m.shape);
        let s = CostModel::FITTED.predict(&m.shape);
        let s_ = &m.shape;
        writeln!(
            csv,
            "{},{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.1},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3}",
            m.label,
            m.load.replace(' ', "/"),
            s_.batches_per_step,
            s_.steps,
            s_.step_constraints,
            s_.folded_constraints(),
            s_.padded,
            m.setup_s,
            m.prove_s,
            m.compress_s,
            m.command_s,
            m.peak_bytes / (1u64 << 20) as f64,
            f.setup_s,
            f.folding_s,
            f.compression_s,
            s.setup_s,
            s.folding_s,
            s.compression_s
        )?;
        writeln!(
            table,
            "| {} | {} | {} | {} | {} | 2^{} | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {:.0} MiB | {:.1} / {:.1} / {:.1} s |",
            m.label,
            m.load.split(' ').next().unwrap_or(""),
            s_.batches_per_step,
            s_.steps,
            s_.folded_constraints(),
            s_.padded.trailing_zeros(),
            m.setup_s,
            m.prove_s,
            m.compress_s,
            m.command_s,
            m.peak_bytes / (1u64 << 20) as f64,
            s.setup_s,
            s.folding_s,
            s.compression_s
        )?;
    }
    let path = session.result("plan_fit", "csv");
    std::fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
    println!("{table}\nwrote {}", PathBuf::from(&path).display());
    Ok(())
}
