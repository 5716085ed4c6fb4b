//! How few bits a feature can have: test accuracy of fixed-point training
//! (bit for bit what is proven) against float gradient descent, for each
//! feature format `(Fx, cx)` (scale `2^Fx`, clamp at `2^cx` standard
//! deviations, `Fx + cx + 1` bits, one range-check constraint per bit and row
//! and epoch), on every shipped dataset and on any further CSV given on the
//! command line (for a dataset that is not in the repository).
//!
//! `cargo run --release --example feature_bits [-- EXTRA.csv ...]` writes
//! `experiments/results/feature_bits.csv` and prints a markdown table. The
//! rest of the recipe is the default (10 epochs, lr 0.1, batch 32, 80/20
//! split, 16 fractional bits, hard4 sigmoid).

#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use foldtrain::commands::{self, DataArgs, DEFAULT_TRAIN_FRACTION};
use foldtrain::fixed::FixedFormat;
use foldtrain::recipe::Hyper;

use common::Session;

/// `(Fx, cx)` compared, the current default first.
const FORMATS: [(u32, u32); 7] = [(6, 3), (5, 3), (6, 2), (5, 2), (4, 3), (4, 2), (4, 1)];

struct Row {
    dataset: String,
    format: (u32, u32),
    fixed_test: f64,
    float_test: f64,
}

impl Row {
    fn gap(&self) -> f64 {
        (self.fixed_test - self.float_test) * 100.0
    }
}

fn measure(path: &Path, (fx, cx): (u32, u32)) -> Result<Option<Row>> {
    let args = DataArgs {
        data: path.to_path_buf(),
        train_fraction: DEFAULT_TRAIN_FRACTION,
        hyper: Hyper {
            format: FixedFormat {
                feature_frac_bits: fx,
                feature_int_bits: cx,
                ..FixedFormat::default()
            },
            ..Hyper::default()
        },
        group: None,
    };
    match commands::train(&args, None) {
        Ok((report, _)) => Ok(Some(Row {
            dataset: path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            format: (fx, cx),
            fixed_test: report.test_accuracy.context("no test rows")?,
            float_test: report.float_test_accuracy.context("no test rows")?,
        })),
        Err(foldtrain::Error::Diverged(why)) => {
            println!("{}: Fx={fx} cx={cx} diverged: {why}", path.display());
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn main() -> Result<()> {
    let session = Session::start()?;
    let root = common::root();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("datasets"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    paths.extend(
        std::env::args()
            .skip(1)
            .filter(|a| a != "--quick")
            .map(PathBuf::from),
    );

    let mut rows = Vec::new();
    for path in &paths {
        for format in FORMATS {
            rows.extend(measure(path, format)?);
        }
    }

    let mut csv = String::from("dataset,feature_frac_bits,feature_int_bits,feature_bits,fixed_test_acc,float_test_acc,test_gap_points\n");
    for r in &rows {
        let (fx, cx) = r.format;
        writeln!(
            csv,
            "{},{fx},{cx},{},{:.4},{:.4},{:.2}",
            r.dataset,
            fx + cx + 1,
            r.fixed_test,
            r.float_test,
            r.gap()
        )?;
    }
    let out = session.result("feature_bits", "csv");
    std::fs::write(&out, &csv).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());

    let names: Vec<&str> = {
        let mut n: Vec<&str> = rows.iter().map(|r| r.dataset.as_str()).collect();
        n.dedup();
        n
    };
    let mut table = String::from("| Fx | cx | bits |");
    for n in &names {
        write!(table, " {n} (gap) |")?;
    }
    table.push_str("\n|---|---|---|");
    table.push_str(&"---|".repeat(names.len()));
    table.push('\n');
    for (fx, cx) in FORMATS {
        write!(table, "| {fx} | {cx} | {} |", fx + cx + 1)?;
        for n in &names {
            match rows
                .iter()
                .find(|r| r.dataset == *n && r.format == (fx, cx))
            {
                Some(r) => write!(table, " {:.2}% ({:+.2}) |", r.fixed_test * 100.0, r.gap())?,
                None => table.push_str(" diverged |"),
            }
        }
        table.push('\n');
    }
    println!("{table}");
    Ok(())
}
