//! Small CSV files, and the arguments that train and prove them in seconds.

use std::path::{Path, PathBuf};

use foldtrain::commands::{DataArgs, ProveArgs, RunSettings};
use foldtrain::recipe::Hyper;

/// Feature scales of the three-feature CSVs most tests prove.
pub const SCALES: [f64; 3] = [3.0, 1.0, 10.0];

/// Column names, in order.
const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];

/// A small, learnable CSV, the same on every machine: a header `a,b,...,label`
/// and `rows` rows in which feature `j` is `u * scales[j]`, `u` uniform in
/// [-1, 1) from a linear congruential generator started at `seed`, and the
/// label is 1 when `x_0 + 2 x_1 + 0.3 u > 0` for one more draw `u`.
pub fn small_csv(rows: usize, scales: &[f64], seed: u64) -> String {
    let mut text = NAMES[..scales.len()].join(",");
    text.push_str(",label\n");
    let mut seed = seed;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    };
    for _ in 0..rows {
        let x: Vec<f64> = scales.iter().map(|scale| next() * scale).collect();
        let y = u8::from(x[0] + 2.0 * x[1] + 0.3 * next() > 0.0);
        let cells: Vec<String> = x.iter().map(|v| format!("{v:.4}")).collect();
        text.push_str(&format!("{},{y}\n", cells.join(",")));
    }
    text
}

/// Writes [`small_csv`] to `path` and returns the path.
pub fn write_small_csv(path: &Path, rows: usize, scales: &[f64], seed: u64) -> PathBuf {
    std::fs::write(path, small_csv(rows, scales, seed)).unwrap();
    path.to_path_buf()
}

/// `epochs` epochs of the first 80% of `csv`'s rows, batch 8, one
/// mini-batch a folded step (so that a few dozen rows give several steps).
pub fn data_args(csv: &Path, epochs: usize) -> DataArgs {
    DataArgs {
        data: csv.to_path_buf(),
        train_fraction: foldtrain::dataset::TrainFraction::DEFAULT,
        hyper: Hyper {
            epochs,
            batch: 8,
            batches_per_step: Some(1),
            ..Hyper::default()
        },
        group: None,
    }
}

/// Proves `data` into `out` without a progress bar, checkpoints at the
/// default interval, no interrupt and no `--force`.
pub fn prove_args(data: DataArgs, out: PathBuf) -> ProveArgs {
    ProveArgs {
        data,
        commitment: None,
        private_normalizer: false,
        checkpoint_dir: None,
        run: RunSettings {
            out_dir: Some(out),
            ..RunSettings::default()
        },
    }
}
