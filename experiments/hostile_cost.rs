//! The largest cost a hostile bundle can impose on a verifier: a statement
//! passes the shape checks with any recipe inside the declared limits, and
//! the verifier then builds that recipe's parameters and verifier key before
//! the SNARK can fail. Steps and epochs do not matter (verification of a
//! compressed proof does not depend on them); the step circuit's size does,
//! and it is bounded by `MAX_BATCH_CELLS` (batches a step x batch x
//! (features + 1)).
//!
//! `cargo run --release --example hostile_cost` prints, for recipes at the
//! cell limit, the step circuit's constraints (from its shape), then builds
//! the parameters and verifier key of the largest and prints the time and
//! peak memory (`VmHWM`), and writes `experiments/results/hostile_cost.csv`.
//! `--count-only` skips the build.

use std::error::Error;
use std::fmt::Write as _;
use std::time::Instant;

use foldtrain::ivc::{params, Compressed};
use foldtrain::recipe::{Hyper, Recipe, MAX_BATCH, MAX_BATCH_CELLS, MAX_FEATURES};

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn recipe(features: usize, batch: usize, k: usize) -> Result<Recipe, Box<dyn Error>> {
    let hyper = Hyper {
        batch,
        batches_per_step: Some(k),
        epochs: 1,
        ..Hyper::default()
    };
    Ok(Recipe::new(&hyper, features, batch * k)?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let count_only = std::env::args().any(|a| a == "--count-only");
    // Every way to fill the cell limit, from many rows of one feature to
    // few rows of many features.
    let mut shapes = vec![(1, MAX_BATCH, MAX_BATCH_CELLS / (2 * MAX_BATCH))];
    for features in [1, 3, 7, 15, 31, 63, 127, 255, 511, MAX_FEATURES - 1] {
        let rows = MAX_BATCH_CELLS / (features + 1);
        let batch = (rows.min(MAX_BATCH) / 8) * 8;
        if batch > 0 {
            shapes.push((features, batch, 1));
        }
    }
    let mut csv = String::from("features,batch,batches_per_step,cells,step_constraints\n");
    let mut largest: Option<(usize, Recipe)> = None;
    for (features, batch, k) in shapes {
        let r = recipe(features, batch, k)?;
        let step = params::step_constraints(&r)?;
        let cells = k * batch * (features + 1);
        println!(
            "features {features:4}, batch {batch:4}, K {k}: {cells} cells, step {step} constraints"
        );
        writeln!(csv, "{features},{batch},{k},{cells},{step}")?;
        if largest.as_ref().is_none_or(|(s, _)| step > *s) {
            largest = Some((step, r));
        }
    }
    std::fs::create_dir_all("experiments/results")?;
    std::fs::write("experiments/results/hostile_cost.csv", csv)?;
    let Some((step, r)) = largest else {
        return Ok(());
    };
    if count_only {
        return Ok(());
    }
    println!(
        "building parameters and verifier key of the largest ({} features, batch {}, K {}: {step} step constraints)",
        r.features, r.batch, r.batches_per_step
    );
    let start = Instant::now();
    let pp = params::setup(&r)?;
    let setup_s = start.elapsed().as_secs_f64();
    let (primary, secondary) = pp.num_constraints();
    let start = Instant::now();
    let (_pk, _vk) = Compressed::setup(&pp)?;
    let keys_s = start.elapsed().as_secs_f64();
    println!(
        "primary {primary} constraints, secondary {secondary}; setup {setup_s:.1} s, keys {keys_s:.1} s, peak memory {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    Ok(())
}
