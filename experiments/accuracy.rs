//! Accuracy of fixed-point training (bit for bit what is proven) against
//! float gradient descent (f64, true sigmoid), on every shipped dataset, for
//! each sigmoid approximation and for 12 and 16 fractional bits; the rest of
//! the recipe is the default (10 epochs, lr 0.1, batch 32, 80/20 split).
//!
//! `cargo run --release --example accuracy` writes
//! `experiments/results/accuracy.csv` and `accuracy.png`.
//! `-- --quick` (or `FOLDTRAIN_QUICK=1`) skips datasets over 1 MB (adult).
//!
//! Per row: train and test accuracy of both trainers, the gap (fixed minus
//! float, in percentage points) and the weight error, max and RMS of
//! `|w_fixed - w_float|` over the weights and the bias.

// Of the shared helpers, this experiment needs only the session and the load.
#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use foldtrain::commands::{self, DataArgs, DEFAULT_TRAIN_FRACTION};
use foldtrain::fixed::{FixedFormat, Sigmoid};
use foldtrain::recipe::Hyper;
use foldtrain::train;

use common::{loadavg, plot, Session};

/// Fractional bits compared.
const FRAC_BITS: [u32; 2] = [12, 16];
/// Largest dataset file in quick mode.
const QUICK_MAX_BYTES: u64 = 1 << 20;

/// One dataset x sigmoid x format.
struct Outcome {
    dataset: String,
    train_rows: usize,
    test_rows: usize,
    features: usize,
    sigmoid: Sigmoid,
    frac_bits: u32,
    /// Every field of the fixed-point format, `name=value` joined by `;`.
    format: String,
    /// `None` when fixed-point training failed (diverged), with the reason.
    result: std::result::Result<Measured, String>,
}

struct Measured {
    fixed_train: f64,
    fixed_test: Option<f64>,
    float_train: f64,
    float_test: Option<f64>,
    weight_err_max: f64,
    weight_err_rms: f64,
}

impl Measured {
    /// Fixed minus float test accuracy, in percentage points.
    fn test_gap(&self) -> Option<f64> {
        Some((self.fixed_test? - self.float_test?) * 100.0)
    }

    fn train_gap(&self) -> f64 {
        (self.fixed_train - self.float_train) * 100.0
    }
}

fn datasets(root: &Path, quick: bool) -> Result<Vec<PathBuf>> {
    let dir = root.join("datasets");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            if quick && std::fs::metadata(&path)?.len() > QUICK_MAX_BYTES {
                println!("quick mode: skipping {}", path.display());
                continue;
            }
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// `frac_bits=16;feature_int_bits=3;...`: every field, whatever the format
/// holds.
fn describe_format(format: &FixedFormat) -> String {
    match serde_json::to_value(format) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";"),
        _ => format!("{format:?}").replace(',', ";"),
    }
}

fn measure(path: &Path, sigmoid: Sigmoid, frac_bits: u32) -> Result<Outcome> {
    let args = DataArgs {
        data: path.to_path_buf(),
        train_fraction: DEFAULT_TRAIN_FRACTION,
        hyper: Hyper {
            sigmoid,
            format: FixedFormat {
                frac_bits,
                ..FixedFormat::default()
            },
            ..Hyper::default()
        },
        group: None,
    };
    // The shape, and the float weights (the train report has only their
    // accuracy).
    let loaded = args.load()?;
    let p = &loaded.prepared;
    let float = train::train_float(&loaded.recipe, &p.train, &p.normalizer);
    let result = match commands::train(&args, None) {
        Ok((report, _model)) => {
            let diffs: Vec<f64> = report
                .weights
                .iter()
                .zip(&float.w)
                .map(|(a, b)| (a - b).abs())
                .chain(std::iter::once((report.bias - float.b).abs()))
                .collect();
            Ok(Measured {
                fixed_train: report.train_accuracy,
                fixed_test: report.test_accuracy,
                float_train: report.float_train_accuracy,
                float_test: report.float_test_accuracy,
                weight_err_max: diffs.iter().copied().fold(0.0, f64::max),
                weight_err_rms: (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64)
                    .sqrt(),
            })
        }
        Err(foldtrain::Error::Diverged(why)) => Err(why),
        Err(e) => return Err(e.into()),
    };
    Ok(Outcome {
        dataset: path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        train_rows: p.train.rows.len(),
        test_rows: p.test.rows.len(),
        features: loaded.recipe.features,
        sigmoid,
        frac_bits,
        format: describe_format(&loaded.recipe.format),
        result,
    })
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(String::new, |v| format!("{v:.digits$}"))
}

fn write_csv(path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let mut out = String::from(
        "dataset,train_rows,test_rows,features,sigmoid,frac_bits,format,fixed_train_acc,fixed_test_acc,float_train_acc,float_test_acc,test_gap_points,train_gap_points,weight_err_max,weight_err_rms,status\n",
    );
    for o in outcomes {
        let head = format!(
            "{},{},{},{},{},{},{}",
            o.dataset, o.train_rows, o.test_rows, o.features, o.sigmoid, o.frac_bits, o.format
        );
        match &o.result {
            Ok(m) => writeln!(
                out,
                "{head},{:.6},{},{:.6},{},{},{:.4},{:.6e},{:.6e},ok",
                m.fixed_train,
                opt(m.fixed_test, 6),
                m.float_train,
                opt(m.float_test, 6),
                opt(m.test_gap(), 4),
                m.train_gap(),
                m.weight_err_max,
                m.weight_err_rms
            )?,
            Err(why) => writeln!(
                out,
                "{head},,,,,,,,,\"diverged: {}\"",
                why.replace('"', "'")
            )?,
        }
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

fn print_table(outcomes: &[Outcome]) {
    println!(
        "| dataset | sigmoid | frac bits | fixed train | fixed test | float train | float test | test gap (points) | max abs weight error | RMS weight error |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let pct = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{:.2}%", v * 100.0));
    for o in outcomes {
        match &o.result {
            Ok(m) => println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2e} | {:.2e} |",
                o.dataset,
                o.sigmoid,
                o.frac_bits,
                pct(Some(m.fixed_train)),
                pct(m.fixed_test),
                pct(Some(m.float_train)),
                pct(m.float_test),
                m.test_gap()
                    .map_or_else(|| "n/a".into(), |g| format!("{g:+.2}")),
                m.weight_err_max,
                m.weight_err_rms
            ),
            Err(why) => println!(
                "| {} | {} | {} | diverged: {why} | | | | | | |",
                o.dataset, o.sigmoid, o.frac_bits
            ),
        }
    }
}

/// The series of the plot: one per sigmoid and format.
fn variants() -> Vec<(Sigmoid, u32)> {
    Sigmoid::ALL
        .into_iter()
        .flat_map(|s| FRAC_BITS.into_iter().map(move |f| (s, f)))
        .collect()
}

/// A chart on `area` with a group of bars per dataset, dataset `i` centred
/// on x = i with its name below: `caption` above it, `y` up its side with
/// `y_desc` and labels in `y_format` (else the default), `y_axis_width`
/// pixels wide.
fn dataset_chart<'a, 'b, Y>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    caption: &str,
    names: &[String],
    y: Y,
    y_axis_width: u32,
    y_desc: &str,
    y_format: Option<&dyn Fn(&f64) -> String>,
) -> Result<ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, Y::CoordDescType>>>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(y_axis_width)
        .build_cartesian_2d(-0.5..names.len() as f64 - 0.5, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(names.len())
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .x_desc("dataset")
        .y_desc(y_desc)
        .x_label_formatter(&label);
    if let Some(format) = y_format {
        mesh.y_label_formatter(format);
    }
    mesh.draw()?;
    Ok(chart)
}

fn plot(path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let mut names: Vec<String> = outcomes.iter().map(|o| o.dataset.clone()).collect();
    names.dedup();
    let variants = variants();
    let palette = [
        RGBColor(0x9e, 0xc5, 0xe8),
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xff, 0xbb, 0x78),
        RGBColor(0xd6, 0x27, 0x28),
    ];
    let width = 0.8 / variants.len() as f64;
    let find = |d: &str, v: (Sigmoid, u32)| {
        outcomes
            .iter()
            .find(|o| o.dataset == d && o.sigmoid == v.0 && o.frac_bits == v.1)
            .and_then(|o| o.result.as_ref().ok())
    };
    // Where variant k's bar of each dataset starts, and its value.
    let placed = |k: usize, v: (Sigmoid, u32), value: fn(&Measured) -> Option<f64>| {
        names
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((i as f64 - 0.4 + k as f64 * width, value(find(d, v)?)?)))
            .collect::<Vec<_>>()
    };
    let x_range = -0.5..names.len() as f64 - 0.5;

    let title = "Fixed-point (proven) vs float (f64) training, default recipe (10 epochs, lr 0.1, batch 32)";
    let root = plot::figure(path, (1500, 650))?.titled(title, ("sans-serif", 24))?;
    let (left, right) = root.split_horizontally(750);

    // Left: test accuracy gap in points.
    let gaps: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().and_then(Measured::test_gap))
        .collect();
    let lo = gaps.iter().copied().fold(0.0, f64::min) - 0.5;
    let hi = gaps.iter().copied().fold(0.0, f64::max) + 0.5;
    let mut chart = dataset_chart(
        &left,
        "Test accuracy gap, fixed minus float",
        &names,
        lo..hi,
        65,
        "gap (percentage points)",
        None,
    )?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x_range.start, 0.0), (x_range.end, 0.0)],
        BLACK,
    )))?;
    for (k, (&v, color)) in variants.iter().zip(palette.iter().cycle()).enumerate() {
        let at = placed(k, v, Measured::test_gap);
        let values = at.iter().map(|&(x0, g)| {
            let y = if g >= 0.0 { g + 0.12 } else { g - 0.04 };
            Text::new(format!("{g:+.2}"), (x0, y), ("sans-serif", 13).into_font())
        });
        chart.draw_series(values)?;
        let color = *color;
        let bars = at
            .iter()
            .map(|&(x0, g)| Rectangle::new([(x0, 0.0), (x0 + width * 0.9, g)], color.filled()));
        chart
            .draw_series(bars)?
            .label(format!("{} sigmoid, F = {} fractional bits", v.0, v.1))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 15))
        .draw()?;

    // Right: RMS weight error, log scale.
    let errs: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|m| m.weight_err_rms))
        .filter(|e| *e > 0.0)
        .collect();
    let floor = 10f64.powf(errs.iter().copied().fold(1.0, f64::min).log10().floor());
    let top = errs.iter().copied().fold(floor, f64::max) * 2.0;
    let mut chart = dataset_chart(
        &right,
        "Weight error: RMS of |w_fixed - w_float| (weights and bias)",
        &names,
        (floor..top).log_scale(),
        75,
        "RMS weight error (log scale)",
        Some(&|v: &f64| format!("{v:.0e}")),
    )?;
    for (k, (&v, color)) in variants.iter().zip(palette.iter().cycle()).enumerate() {
        let at = placed(k, v, |m| Some(m.weight_err_rms));
        let bars = at.iter().map(|&(x0, e)| {
            Rectangle::new(
                [(x0, floor), (x0 + width * 0.9, e.max(floor))],
                color.filled(),
            )
        });
        chart.draw_series(bars)?;
    }
    plot::save(&root, path)
}

fn main() -> Result<()> {
    let root = common::root();
    let Session { quick, results, .. } = Session::start()?;
    let mut outcomes = Vec::new();
    for path in datasets(root, quick)? {
        for (sigmoid, frac_bits) in variants() {
            let o = measure(&path, sigmoid, frac_bits)?;
            eprintln!(
                "{} {} 2^{}: {}",
                o.dataset,
                o.sigmoid,
                o.frac_bits,
                match &o.result {
                    Ok(m) => format!(
                        "test {} fixed vs {} float, RMS weight error {:.2e}",
                        opt(m.fixed_test, 4),
                        opt(m.float_test, 4),
                        m.weight_err_rms
                    ),
                    Err(why) => format!("diverged: {why}"),
                }
            );
            outcomes.push(o);
        }
    }
    let csv = results.join("accuracy.csv");
    let png = results.join("accuracy.png");
    write_csv(&csv, &outcomes)?;
    plot(&png, &outcomes)?;
    print_table(&outcomes);
    println!("wrote {} and {}", csv.display(), png.display());
    println!("load average at end: {}", loadavg());
    Ok(())
}
