//! What the preprocessing proof and raw predictions cost in constraints:
//! the preprocessing step circuit synthesized (blank witness) at several
//! feature counts `d` and rows a step `R`, fitted as `a + b d + c R d`
//! (the per-step part, the per-feature part of the normalizer's
//! derivation, and the per-value part); and a predictions step on raw
//! values against one on quantized values, the difference per row and
//! feature being the in-circuit normalization; and what opening a private
//! normalizer's `C_N` adds to a step. The step circuit alone: Nova's
//! augmentation adds about 22,000 a step (and hashes `z`, of 4d + 7
//! elements here), reported by `prove-preprocessing` as constraints a step.
//!
//! `cargo run --release --example prep_cost` (seconds) prints a table and
//! writes `experiments/results/prep_cost.csv`.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Result;
use ff::Field;
use foldtrain::circuit::infer::{InferSpec, InferStep, Task};
use foldtrain::circuit::prep::{PrepSpec, PrepStep};
use foldtrain::fixed::{FixedFormat, Scalar};
use foldtrain::recipe::WeightsVisibility;
use nova_snark::frontend::num::AllocatedNum;
use nova_snark::frontend::test_cs::TestConstraintSystem;
use nova_snark::frontend::ConstraintSystem;
use nova_snark::traits::circuit::StepCircuit;

/// Constraints of one synthesis of `circuit` from a zero `z`.
fn count<C: StepCircuit<Scalar>>(circuit: &C) -> Result<usize> {
    let mut cs = TestConstraintSystem::<Scalar>::new();
    let z: Vec<AllocatedNum<Scalar>> = (0..circuit.arity())
        .map(|i| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(Scalar::ZERO)))
        .collect::<Result<_, _>>()?;
    circuit.synthesize(&mut cs.namespace(|| "step"), &z)?;
    Ok(cs.num_constraints())
}

fn main() -> Result<()> {
    let format = FixedFormat::default();
    let mut csv = String::from("circuit,features,rows_per_step,constraints\n");
    let mut rows = Vec::new();
    for d in [1usize, 8, 30, 48, 80] {
        for r in [8usize, 16, 32] {
            let spec = PrepSpec::new(d, format, 1000, 250, Some(r), false)?;
            let n = count(&PrepStep::blank(Arc::new(spec)))?;
            writeln!(csv, "preprocessing,{d},{r},{n}")?;
            rows.push((d, r, n));
        }
    }
    // Per value: the slope in R at fixed d, over d.
    let per_value = |d: usize| {
        let at = |r: usize| {
            rows.iter()
                .find(|x| x.0 == d && x.1 == r)
                .map(|x| x.2 as f64)
        };
        (at(32).unwrap_or(0.0) - at(8).unwrap_or(0.0)) / (24.0 * d as f64)
    };
    let per_feature = {
        let at = |d: usize| {
            rows.iter()
                .find(|x| x.0 == d && x.1 == 8)
                .map(|x| x.2 as f64)
        };
        (at(80).unwrap_or(0.0) - at(8).unwrap_or(0.0)) / 72.0 - 8.0 * per_value(80)
    };
    println!("| features | rows a step | constraints (step circuit) |");
    println!("|---|---|---|");
    for (d, r, n) in &rows {
        println!("| {d} | {r} | {n} |");
    }
    println!();
    println!(
        "per value (row x feature): {:.1} at d = 48, {:.1} at d = 80; per feature a step \
         (the normalizer's derivation and the divisor): {:.0}",
        per_value(48),
        per_value(80),
        per_feature
    );
    // Opening C_N each step (private normalizer), at 8 rows a step.
    println!();
    println!("| features | public normalizer | private (C_N opened) | extra a step |");
    println!("|---|---|---|---|");
    for d in [8usize, 30, 48, 80] {
        let public = rows
            .iter()
            .find(|x| x.0 == d && x.1 == 8)
            .map_or(0, |x| x.2);
        let spec = PrepSpec::new(d, format, 1000, 250, Some(8), true)?;
        let private = count(&PrepStep::blank(Arc::new(spec)))?;
        writeln!(csv, "preprocessing private,{d},8,{private}")?;
        println!(
            "| {d} | {public} | {private} | {} |",
            private as i64 - public as i64
        );
    }
    // In-circuit normalization of predictions on raw values.
    println!();
    println!(
        "| predictions, features | quantized inputs | raw inputs | extra per row and feature |"
    );
    println!("|---|---|---|---|");
    for d in [30usize, 48, 80] {
        let (w, rows_, r) = (WeightsVisibility::Committed, 16, Some(16));
        let q = count(&InferStep::blank(Arc::new(InferSpec::new(
            Task::Predict,
            d,
            format,
            w,
            rows_,
            r,
        )?)))?;
        let raw = count(&InferStep::blank(Arc::new(InferSpec::raw_predictions(
            d, format, w, rows_, r, false,
        )?)))?;
        let extra = (raw as f64 - q as f64) / (16.0 * d as f64);
        writeln!(csv, "predictions,{d},16,{q}\nraw predictions,{d},16,{raw}")?;
        println!("| {d} | {q} | {raw} | {extra:.1} |");
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/results/prep_cost.csv");
    std::fs::write(&path, csv)?;
    println!("\nwrote {}", path.display());
    Ok(())
}
