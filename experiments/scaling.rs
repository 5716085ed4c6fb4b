//! How proving scales, measured on the real binary: every point is a child
//! process `target/release/foldtrain prove --json --quiet` (its JSON gives
//! the phases) run under `/usr/bin/time -v` (its maximum resident set size
//! gives the peak memory; without it, the child's VmHWM is polled).
//!
//! (a) Steps: synthetic data, 80 training rows of 8 features, batch 8
//!     (10 steps an epoch), 1, 10 and 100 epochs: 10, 100 and 1000 folded
//!     steps. Folding time should grow linearly, peak memory stay flat.
//! (b) Circuit size: 48 features, batch 8, 32, 64, 128 and 256 (the default
//!     recipe's step, 5 batches of 32, has 160 rows), two steps each:
//!     setup, compression and verification time and proof size against the
//!     constraints of one step. Verification is given twice: the SNARK check
//!     with the key at hand (`verify_s` of `prove --json`) and a cold
//!     `foldtrain verify` (wall time, rebuilding the parameters as an
//!     auditor does).
//!
//! Checkpoints are disabled (`--checkpoint-every 1000000000`) so that folding
//! time is folding alone, and each folded step trains one mini-batch
//! (`--batches-per-step 1`, when the binary has that flag), so that the batch
//! is the step's size. The synthetic rows come from a fixed seed.
//!
//! `cargo run --release --example scaling` (about 15 minutes on 2 cores)
//! writes `experiments/results/scaling_steps.csv`, `scaling_steps.png`,
//! `scaling_circuit.csv` and `scaling_circuit.png`. `-- --quick` (or
//! `FOLDTRAIN_QUICK=1`) runs 10 and 50 steps and batches 8 and 32, into
//! `*_quick.*` files.

#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use ndarray::{Array1, Array2};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand_distr::StandardNormal;
use ndarray_rand::RandomExt;
use plotters::prelude::*;

use common::{foldtrain_binary, json_f64, loadavg, mib, plot, Proved, Session};

/// Seed of the synthetic data.
const SEED: u64 = 20_240_607;

/// True when `foldtrain prove` accepts `flag`.
fn prove_accepts(bin: &Path, flag: &str) -> bool {
    Command::new(bin)
        .args(["prove", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(flag))
}

// ---------------------------------------------------------------------------
// Synthetic data.

/// Writes `rows` rows of `features` standard-normal features with labels
/// from a fixed random linear model plus noise.
fn write_synthetic(path: &Path, rows: usize, features: usize) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let x: Array2<f64> = Array2::random_using((rows, features), StandardNormal, &mut rng);
    let w: Array1<f64> = Array1::random_using(features, StandardNormal, &mut rng);
    let noise: Array1<f64> = Array1::random_using(rows, StandardNormal, &mut rng);
    let z = x.dot(&w) + noise * 0.5;
    let mut out = String::new();
    for j in 0..features {
        write!(out, "x{j},")?;
    }
    out.push_str("label\n");
    for (row, zi) in x.rows().into_iter().zip(&z) {
        for v in row {
            write!(out, "{v},")?;
        }
        writeln!(out, "{}", u8::from(*zi > 0.0))?;
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

// ---------------------------------------------------------------------------
// The experiment.

struct Point {
    batch: usize,
    features: usize,
    rows: usize,
    epochs: usize,
    load_at_start: String,
    steps: usize,
    step_constraints: usize,
    constraints_per_step: usize,
    setup_s: f64,
    prove_s: f64,
    compress_s: f64,
    verify_s: f64,
    proof_bytes: u64,
    bundle_bytes: u64,
    prove_wall_s: f64,
    prove_rss_kib: Option<u64>,
    /// Cold `foldtrain verify`, wall time and peak memory.
    verify_cold_s: f64,
    verify_rss_kib: Option<u64>,
}

impl Point {
    /// Folding time per folded step, in seconds.
    fn prove_s_per_step(&self) -> f64 {
        self.prove_s / self.steps.max(1) as f64
    }
}

/// Proves `epochs` epochs of a synthetic `rows` x `features` dataset at
/// `batch`, then verifies the bundle cold.
fn measure(
    bin: &Path,
    extra: &[String],
    work: &Path,
    batch: usize,
    features: usize,
    rows: usize,
    epochs: usize,
) -> Result<Point> {
    let csv = work.join(format!("synthetic_n{rows}_d{features}.csv"));
    if !csv.exists() {
        write_synthetic(&csv, rows, features)?;
    }
    let label = format!("b{batch}_d{features}_e{epochs}");
    let args: Vec<String> = [
        "--train-fraction",
        "1.0",
        "--checkpoint-every",
        "1000000000",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        "--data".into(),
        csv.display().to_string(),
        "--batch".into(),
        batch.to_string(),
        "--epochs".into(),
        epochs.to_string(),
    ])
    .chain(extra.iter().cloned())
    .collect();
    let Proved {
        load_at_start,
        prove,
        report,
        verify,
        ..
    } = common::prove_and_verify(bin, &label, &args, &work.join(&label))?;
    let count = |k: &str| json_f64(&report, k).map(|v| v as usize);
    let p = Point {
        batch,
        features,
        rows,
        epochs,
        load_at_start,
        steps: count("steps")?,
        step_constraints: count("step_constraints")?,
        constraints_per_step: count("constraints_per_step")?,
        setup_s: json_f64(&report, "setup_s")?,
        prove_s: json_f64(&report, "prove_s")?,
        compress_s: json_f64(&report, "compress_s")?,
        verify_s: json_f64(&report, "verify_s")?,
        proof_bytes: count("proof_bytes")? as u64,
        bundle_bytes: count("bundle_bytes")? as u64,
        prove_wall_s: prove.wall_s,
        prove_rss_kib: prove.max_rss_kib,
        verify_cold_s: verify.wall_s,
        verify_rss_kib: verify.max_rss_kib,
    };
    eprintln!(
        "{label}: {} steps (load {}): setup {:.1} s, folding {:.3} s/step, compression {:.1} s, verify {:.2} s (cold {:.1} s), proof {} B, peak {:.0} MiB",
        p.steps,
        p.load_at_start,
        p.setup_s,
        p.prove_s_per_step(),
        p.compress_s,
        p.verify_s,
        p.verify_cold_s,
        p.proof_bytes,
        mib(p.prove_rss_kib)
    );
    Ok(p)
}

fn write_csv(path: &Path, points: &[Point]) -> Result<()> {
    let mut out = String::from(
        "batch,features,rows,epochs,steps,step_constraints,constraints_per_step,setup_s,prove_s,prove_s_per_step,compress_s,verify_s,verify_cold_wall_s,proof_bytes,bundle_bytes,prove_wall_s,prove_peak_rss_mib,verify_peak_rss_mib,loadavg_at_start\n",
    );
    for p in points {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{:.3},{:.3},{:.4},{:.3},{:.4},{:.3},{},{},{:.3},{:.1},{:.1},{}",
            p.batch,
            p.features,
            p.rows,
            p.epochs,
            p.steps,
            p.step_constraints,
            p.constraints_per_step,
            p.setup_s,
            p.prove_s,
            p.prove_s_per_step(),
            p.compress_s,
            p.verify_s,
            p.verify_cold_s,
            p.proof_bytes,
            p.bundle_bytes,
            p.prove_wall_s,
            mib(p.prove_rss_kib),
            mib(p.verify_rss_kib),
            p.load_at_start
        )?;
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// Least-squares slope of `y = a x` (a line through the origin).
fn slope_through_origin(xy: &[(f64, f64)]) -> f64 {
    let sxy: f64 = xy.iter().map(|(x, y)| x * y).sum();
    let sxx: f64 = xy.iter().map(|(x, _)| x * x).sum();
    sxy / sxx
}

fn plot_steps(path: &Path, points: &[Point], note: &str) -> Result<()> {
    let root = plot::figure(path, (1400, 620))?.titled(
        &format!("Scaling with the number of folded steps (batch 8, 8 features; {note})"),
        ("sans-serif", 22),
    )?;
    let (left, right) = root.split_horizontally(700);
    let max_steps = points.iter().map(|p| p.steps).max().unwrap_or(10) as f64;
    let xs = (5f64..max_steps * 2.0).log_scale();

    // Folding time, log-log, with the fitted line t = a * steps.
    let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.steps as f64, p.prove_s)).collect();
    let a = slope_through_origin(&xy);
    let t_max = xy.iter().map(|p| p.1).fold(0.0, f64::max);
    let t_min = xy.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut chart = ChartBuilder::on(&left)
        .caption(
            format!("Folding time (fit: {a:.3} s per step)"),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(xs.clone(), (t_min / 2.0..t_max * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .x_desc("folded steps (log scale)")
        .y_desc("folding time, s (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            [5.0, max_steps * 2.0].map(|s| (s, a * s)),
            BLUE.mix(0.5),
        ))?
        .label("linear fit through 0")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.mix(0.5)));
    chart
        .draw_series(xy.iter().map(|&p| Circle::new(p, 6, RED.filled())))?
        .label("measured folding time")
        .legend(|(x, y)| Circle::new((x + 10, y), 5, RED.filled()));
    plot::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;

    // Peak memory.
    let m_max = points
        .iter()
        .map(|p| mib(p.prove_rss_kib))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(&right)
        .caption("Peak memory of the prove process", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(xs, 0f64..(m_max * 1.3).max(1.0))?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .x_desc("folded steps (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("max resident set size, MiB")
        .draw()?;
    let mem: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.steps as f64, mib(p.prove_rss_kib)))
        .filter(|p| p.1.is_finite())
        .collect();
    chart.draw_series(LineSeries::new(mem.clone(), RED.mix(0.5)))?;
    chart.draw_series(mem.iter().map(|&p| Circle::new(p, 6, RED.filled())))?;
    chart.draw_series(mem.iter().map(|&(x, y)| {
        Text::new(
            format!("{y:.0} MiB"),
            (x, y * 1.05),
            ("sans-serif", 16).into_font(),
        )
    }))?;
    plot::save(&root, path)
}

fn plot_circuit(path: &Path, points: &[Point], note: &str) -> Result<()> {
    let root = plot::figure(path, (1400, 1000))?.titled(
        &format!("Scaling with the step circuit (48 features, batch 8 to 256; {note})"),
        ("sans-serif", 22),
    )?;
    let panels = root.split_evenly((2, 2));
    let x: Vec<f64> = points
        .iter()
        .map(|p| p.constraints_per_step as f64 / 1000.0)
        .collect();
    let x_max = x.iter().copied().fold(0.0, f64::max) * 1.1;
    type Series<'a> = (&'a str, RGBColor, Vec<f64>);
    let panel = |area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
                 title: &str,
                 y_desc: &str,
                 series: Vec<Series>|
     -> Result<()> {
        let y_max = series
            .iter()
            .flat_map(|s| s.2.iter().copied())
            .fold(0.0, f64::max)
            * 1.25;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 19))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max.max(1e-9))?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .x_desc("constraints folded per step (thousands)")
            .y_desc(y_desc)
            .draw()?;
        for (name, color, ys) in &series {
            let pts: Vec<(f64, f64)> = x.iter().copied().zip(ys.iter().copied()).collect();
            let c = *color;
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 5, c.filled())))?;
        }
        if let Some((_, _, ys)) = series.first() {
            chart.draw_series(points.iter().zip(&x).zip(ys).map(|((p, &x), &y)| {
                Text::new(
                    format!("B={}", p.batch),
                    (x, y + y_max * 0.03),
                    ("sans-serif", 14).into_font(),
                )
            }))?;
        }
        plot::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    };
    let col = |f: fn(&Point) -> f64| points.iter().map(f).collect::<Vec<f64>>();
    panel(
        &panels[0],
        "Setup and compression",
        "seconds",
        vec![
            ("setup (parameters and keys)", BLUE, col(|p| p.setup_s)),
            ("compression (Spartan + IPA)", RED, col(|p| p.compress_s)),
        ],
    )?;
    panel(
        &panels[1],
        "Verification",
        "seconds",
        vec![
            (
                "cold `foldtrain verify` (rebuilds parameters), wall",
                BLUE,
                col(|p| p.verify_cold_s),
            ),
            ("SNARK check, key at hand", RED, col(|p| p.verify_s)),
        ],
    )?;
    panel(
        &panels[2],
        "Proof size",
        "bytes",
        vec![
            (
                "proof (compressed SNARK)",
                RED,
                col(|p| p.proof_bytes as f64),
            ),
            (
                "bundle (statement + proof)",
                BLUE,
                col(|p| p.bundle_bytes as f64),
            ),
        ],
    )?;
    panel(
        &panels[3],
        "Peak memory",
        "max resident set size, MiB",
        vec![
            ("prove process", RED, col(|p| mib(p.prove_rss_kib))),
            ("verify process", BLUE, col(|p| mib(p.verify_rss_kib))),
        ],
    )?;
    plot::save(&root, path)
}

fn main() -> Result<()> {
    let bin = foldtrain_binary(common::root())?;
    let session = Session::start()?;
    let work = tempfile::tempdir()?;
    let started = Instant::now();
    // One mini-batch per folded step, so that the batch is the step's size
    // (builds that fold several batches a step choose that count otherwise).
    let extra: Vec<String> = if prove_accepts(&bin, "--batches-per-step") {
        vec!["--batches-per-step".into(), "1".into()]
    } else {
        Vec::new()
    };

    // (a) Folded steps: 80 rows, batch 8 -> 10 steps an epoch.
    let epochs: &[usize] = if session.quick {
        &[1, 5]
    } else {
        &[1, 10, 100]
    };
    let mut steps = Vec::new();
    for &e in epochs {
        steps.push(measure(&bin, &extra, work.path(), 8, 8, 80, e)?);
    }
    let csv = session.result("scaling_steps", "csv");
    let png = session.result("scaling_steps", "png");
    write_csv(&csv, &steps)?;
    let note = format!("load at start {}", session.start_load);
    plot_steps(&png, &steps, &note)?;
    println!("wrote {} and {}", csv.display(), png.display());

    // (b) Circuit size: 48 features, two steps (rows = 2 * batch).
    let batches: &[usize] = if session.quick {
        &[8, 32]
    } else {
        &[8, 32, 64, 128, 256]
    };
    let mut circuit = Vec::new();
    for &b in batches {
        circuit.push(measure(&bin, &extra, work.path(), b, 48, 2 * b, 1)?);
    }
    let csv = session.result("scaling_circuit", "csv");
    let png = session.result("scaling_circuit", "png");
    write_csv(&csv, &circuit)?;
    plot_circuit(&png, &circuit, &note)?;
    println!("wrote {} and {}", csv.display(), png.display());
    println!(
        "sources {}; load average at start {}, at end {}; {:.0} s in all",
        session.source,
        session.start_load,
        loadavg(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
