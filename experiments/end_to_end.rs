//! The main job end to end, on the real binary: `foldtrain prove --json
//! --quiet` as a child process under `/usr/bin/time -v` (peak memory; without
//! it, the child's VmHWM is polled), then a cold `foldtrain verify --json` of
//! the bundle it wrote (wall time, rebuilding the parameters as an auditor
//! does, and peak memory).
//!
//! Jobs:
//! * German credit, the default recipe (800 training rows, 48 features,
//!   batch 32, 10 epochs: 250 steps);
//! * adult, 1 epoch (36,177 training rows, 80 features, batch 32: 1,131
//!   steps). `foldtrain estimate` runs first; if its estimate exceeds
//!   [`BUDGET_S`], the training rows are cut with `--train-fraction` to fit,
//!   and the results say so (`variant`).
//!
//! Phases come from `prove --json`: setup (parameters and keys), folding,
//! compression, verification (SNARK check, key at hand); "other" is the rest
//! of the process's wall time (loading, native training, commitment, files).
//! Checkpoints are written as by default (every two minutes of folding).
//!
//! `cargo run --release --example end_to_end` (about 15 minutes on 2 cores)
//! writes `experiments/results/end_to_end.json`, `end_to_end.csv` and
//! `end_to_end.png`. `-- --quick` (or `FOLDTRAIN_QUICK=1`) proves 1 epoch of
//! German credit and 1% of adult, into `end_to_end_quick.*`.

#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::prelude::*;
use serde_json::{json, Value};

use common::{foldtrain_binary, json_f64, loadavg, mib, plot, run_measured, Session};

/// Longest the adult job may take by `foldtrain estimate`, in seconds.
const BUDGET_S: f64 = 25.0 * 60.0;
/// Default share of training rows.
const TRAIN_FRACTION: f64 = 0.8;

/// One proving job.
struct Job {
    name: String,
    data: PathBuf,
    /// Extra `prove` flags.
    flags: Vec<String>,
    /// What differs from the intended job, if anything.
    variant: String,
}

/// One measured job.
struct Outcome {
    job: Job,
    load_at_start: String,
    report: Value,
    prove_wall_s: f64,
    prove_rss_kib: Option<u64>,
    verify_cold_s: f64,
    verify_rss_kib: Option<u64>,
    verify_report: Value,
}

impl Outcome {
    fn f(&self, key: &str) -> f64 {
        self.report
            .get(key)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    }

    /// (name, seconds) of each phase, "other" last.
    fn phases(&self) -> Vec<(&'static str, f64)> {
        let named = [
            ("setup", self.f("setup_s")),
            ("folding", self.f("prove_s")),
            ("compression", self.f("compress_s")),
            ("verification", self.f("verify_s")),
        ];
        let sum: f64 = named.iter().map(|p| p.1).sum();
        let mut all = named.to_vec();
        all.push(("other", (self.prove_wall_s - sum).max(0.0)));
        all
    }
}

/// Decides the adult job: 1 epoch, cut to the budget if the estimate says so.
fn adult_job(bin: &Path, data: &Path, quick: bool) -> Result<(Job, Value)> {
    let mut flags: Vec<String> = vec!["--epochs".into(), "1".into()];
    if quick {
        flags.extend(["--train-fraction".into(), "0.01".into()]);
        let job = Job {
            name: "adult_1epoch_1pct".into(),
            data: data.into(),
            flags,
            variant: "quick mode: --train-fraction 0.01".into(),
        };
        return Ok((job, Value::Null));
    }
    eprintln!("estimating adult, 1 epoch ...");
    let mut args = vec![
        "estimate".to_string(),
        "--json".into(),
        "--data".into(),
        data.display().to_string(),
    ];
    args.extend(flags.iter().cloned());
    let run = run_measured(bin, &args)?;
    let estimate: Value = serde_json::from_str(&run.stdout).context("parsing estimate --json")?;
    let total = json_f64(&estimate, "estimated_total_s")?;
    let prove = json_f64(&estimate, "estimated_prove_s")?;
    eprintln!("estimate: {total:.0} s in all ({prove:.0} s folding)");
    let mut job = Job {
        name: "adult_1epoch".into(),
        data: data.into(),
        flags,
        variant: String::new(),
    };
    if total > BUDGET_S {
        // Folding time is proportional to the training rows.
        let spare = BUDGET_S - (total - prove);
        let fraction = (TRAIN_FRACTION * spare / prove * 100.0).floor() / 100.0;
        let fraction = fraction.max(0.01);
        job.flags
            .extend(["--train-fraction".into(), format!("{fraction}")]);
        job.name = format!("adult_1epoch_frac{fraction}");
        job.variant = format!(
            "estimated {total:.0} s for the full epoch, over the {BUDGET_S:.0} s budget: --train-fraction {fraction} (first {:.0}% of rows train)",
            fraction * 100.0
        );
    }
    Ok((job, estimate))
}

fn run_job(bin: &Path, work: &Path, job: Job) -> Result<Outcome> {
    let mut args: Vec<String> = vec!["--data".into(), job.data.display().to_string()];
    args.extend(job.flags.iter().cloned());
    let mut proved = common::prove_and_verify(bin, &job.name, &args, &work.join(&job.name))?;
    if let Some(map) = proved.report.as_object_mut() {
        // Not figures; the weights are in model.json.
        map.remove("weights");
    }
    let o = Outcome {
        job,
        load_at_start: proved.load_at_start,
        report: proved.report,
        prove_wall_s: proved.prove.wall_s,
        prove_rss_kib: proved.prove.max_rss_kib,
        verify_cold_s: proved.verify.wall_s,
        verify_rss_kib: proved.verify.max_rss_kib,
        verify_report: proved.verdict,
    };
    eprintln!(
        "{}: {} steps, setup {:.1} s, folding {:.1} s, compression {:.1} s, verification {:.2} s, wall {:.1} s, peak {:.0} MiB, proof {} B; cold verify {:.1} s",
        o.job.name,
        o.f("steps"),
        o.f("setup_s"),
        o.f("prove_s"),
        o.f("compress_s"),
        o.f("verify_s"),
        o.prove_wall_s,
        mib(o.prove_rss_kib),
        o.f("proof_bytes"),
        o.verify_cold_s
    );
    Ok(o)
}

fn write_outputs(
    json_path: &Path,
    csv_path: &Path,
    outcomes: &[Outcome],
    meta: Value,
) -> Result<()> {
    let jobs: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.job.name,
                "data": o.job.data,
                "flags": o.job.flags,
                "variant": o.job.variant,
                "loadavg_at_start": o.load_at_start,
                "prove_wall_s": o.prove_wall_s,
                "prove_peak_rss_mib": mib(o.prove_rss_kib),
                "verify_cold_wall_s": o.verify_cold_s,
                "verify_peak_rss_mib": mib(o.verify_rss_kib),
                "other_s": o.phases().last().map(|p| p.1),
                "prove": o.report,
                "verify": o.verify_report,
            })
        })
        .collect();
    let doc = json!({ "meta": meta, "jobs": jobs });
    std::fs::write(json_path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;

    let mut csv = String::from(
        "job,steps,step_constraints,constraints_per_step,setup_s,prove_s,prove_s_per_step,compress_s,verify_s,other_s,prove_wall_s,prove_peak_rss_mib,proof_bytes,bundle_bytes,verify_cold_wall_s,verify_peak_rss_mib,loadavg_at_start,variant\n",
    );
    for o in outcomes {
        writeln!(
            csv,
            "{},{},{},{},{:.3},{:.3},{:.4},{:.3},{:.4},{:.3},{:.3},{:.1},{},{},{:.3},{:.1},{},\"{}\"",
            o.job.name,
            o.f("steps"),
            o.f("step_constraints"),
            o.f("constraints_per_step"),
            o.f("setup_s"),
            o.f("prove_s"),
            o.f("prove_s") / o.f("steps"),
            o.f("compress_s"),
            o.f("verify_s"),
            o.phases().last().map_or(f64::NAN, |p| p.1),
            o.prove_wall_s,
            mib(o.prove_rss_kib),
            o.f("proof_bytes"),
            o.f("bundle_bytes"),
            o.verify_cold_s,
            mib(o.verify_rss_kib),
            o.load_at_start,
            o.job.variant.replace('"', "'")
        )?;
    }
    std::fs::write(csv_path, csv).with_context(|| format!("writing {}", csv_path.display()))
}

fn plot(path: &Path, outcomes: &[Outcome], note: &str) -> Result<()> {
    let colors = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0xaa, 0xaa, 0xaa),
    ];
    let n = outcomes.len();
    let x_max = outcomes.iter().map(|o| o.prove_wall_s).fold(0.0, f64::max) * 1.7;
    let names: Vec<String> = outcomes.iter().map(|o| o.job.name.clone()).collect();
    let root = plot::figure(path, (1400, 200 + 170 * n as u32))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("foldtrain prove, end to end, by phase ({note})"),
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..x_max, -0.5..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .x_desc("wall time of the prove process, s")
        .y_labels(n)
        .y_label_formatter(&|y| {
            // Job i is centred on y = i; labels only at the centres.
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .draw()?;
    let phase_names: Vec<&str> = outcomes
        .first()
        .map(|o| o.phases().into_iter().map(|p| p.0).collect())
        .unwrap_or_default();
    for (k, (phase, color)) in phase_names.iter().zip(colors).enumerate() {
        let bars: Vec<_> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let phases = o.phases();
                let x0: f64 = phases[..k].iter().map(|p| p.1).sum();
                let x1 = x0 + phases[k].1;
                let y = i as f64;
                Rectangle::new([(x0, y - 0.25), (x1, y + 0.25)], color.filled())
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(*phase)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    // Two lines beside each bar: the figures, then the load at start.
    chart.draw_series(outcomes.iter().enumerate().flat_map(|(i, o)| {
        let x = o.prove_wall_s + x_max * 0.01;
        [
            Text::new(
                format!(
                    "{:.0} s, {:.0} steps, peak {:.0} MiB, proof {:.0} B",
                    o.prove_wall_s,
                    o.f("steps"),
                    mib(o.prove_rss_kib),
                    o.f("proof_bytes"),
                ),
                (x, i as f64 + 0.15),
                ("sans-serif", 15).into_font(),
            ),
            Text::new(
                format!(
                    "verify {:.2} s (cold {:.1} s); load at start {}",
                    o.f("verify_s"),
                    o.verify_cold_s,
                    o.load_at_start
                ),
                (x, i as f64 - 0.02),
                ("sans-serif", 15).into_font(),
            ),
        ]
    }))?;
    plot::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    plot::save(&root, path)
}

fn main() -> Result<()> {
    let root = common::root();
    let bin = foldtrain_binary(root)?;
    let session = Session::start()?;
    let work = tempfile::tempdir()?;

    let german = Job {
        name: if session.quick {
            "german_credit_1epoch".into()
        } else {
            "german_credit".into()
        },
        data: root.join("datasets/german_credit.csv"),
        flags: if session.quick {
            vec!["--epochs".into(), "1".into()]
        } else {
            Vec::new()
        },
        variant: if session.quick {
            "quick mode: --epochs 1".into()
        } else {
            String::new()
        },
    };
    let (adult, estimate) = adult_job(&bin, &root.join("datasets/adult.csv"), session.quick)?;
    let mut outcomes = Vec::new();
    for job in [german, adult] {
        outcomes.push(run_job(&bin, work.path(), job)?);
    }
    let meta = json!({
        "sources": session.source,
        "loadavg_at_start": session.start_load,
        "loadavg_at_end": loadavg(),
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "quick": session.quick,
        "adult_estimate": estimate,
    });
    let json_path = session.result("end_to_end", "json");
    let csv_path = session.result("end_to_end", "csv");
    let png_path = session.result("end_to_end", "png");
    write_outputs(&json_path, &csv_path, &outcomes, meta)?;
    plot(
        &png_path,
        &outcomes,
        &format!("load at start {}", session.start_load),
    )?;
    println!(
        "wrote {}, {} and {}",
        json_path.display(),
        csv_path.display(),
        png_path.display()
    );
    println!("load average at end: {}", loadavg());
    Ok(())
}
