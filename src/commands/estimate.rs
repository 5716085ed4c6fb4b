//! `estimate`: what a proof will cost, before proving it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::DataArgs;
use crate::circuit::{cost, State};
use crate::error::Result;
use crate::ivc::params;
use crate::ivc::prover::{self, Keys};
use crate::recipe::Recipe;

/// `estimate`'s report: what a proof will cost before proving it.
#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub data: PathBuf,
    pub recipe: Recipe,
    pub steps: usize,
    /// Constraints of the step circuit alone.
    pub step_constraints: usize,
    /// The step circuit's constraints by part.
    pub breakdown: Vec<crate::circuit::cost::PartCost>,
    /// The augmented primary circuit (step + Nova's verifier).
    pub primary_constraints: usize,
    /// Nova's secondary circuit, folded alongside every step.
    pub secondary_constraints: usize,
    /// `primary + secondary`: constraints folded per step.
    pub constraints_per_step: usize,
    /// `constraints_per_step * steps`.
    pub total_constraints: usize,
    /// `total_constraints / (rows * features * epochs)`.
    pub constraints_per_sample_feature_epoch: f64,
    /// Measured: building the public parameters and compression keys.
    pub setup_s: f64,
    /// Measured: mean time of the calibration steps folded here.
    pub step_s: f64,
    pub calibration_steps: usize,
    /// `steps * step_s`.
    pub estimated_prove_s: f64,
    /// A model, not a measurement: `step_s * COMPRESS_STEP_RATIO` (the
    /// ratio measured end to end; it varies with the circuit's size).
    pub estimated_compress_s: f64,
    /// Setup + folding + compression: the whole `prove` command's wall clock
    /// but for its final check of the bundle (about a second at the default
    /// recipe) and loading and writing files (under a second).
    pub estimated_total_s: f64,
}

/// Steps folded to calibrate the time estimate.
pub const CALIBRATION_STEPS: usize = 3;
/// Compression time in units of one folded step: 97.8 (german_credit) and
/// 127.1 (adult) in `experiments/results/end_to_end.csv`; the earlier 40 made
/// the estimate 3.8 times low on adult.
pub const COMPRESS_STEP_RATIO: f64 = 110.0;

/// Counts the constraints of a recipe and times a few folded steps.
pub fn estimate(args: &DataArgs) -> Result<EstimateReport> {
    let loaded = args.load()?;
    let recipe = Arc::new(loaded.recipe.clone());
    let step_constraints = params::step_constraints(&recipe)?;
    let keys = Keys::setup(&recipe)?;
    let (primary, secondary) = keys.constraints();
    let data = &loaded.prepared.train_fixed;
    let opening = loaded.commit();
    let job = prover::Job {
        recipe: recipe.clone(),
        data,
        salt: opening.train.salt,
    };
    let weights_salt = (recipe.weights == crate::recipe::WeightsVisibility::Committed)
        .then(crate::commitment::Salt::random);
    let initial = State::initial(
        recipe.features,
        opening.commitment(),
        opening.test.commitment,
        weights_salt,
    );
    let mut progress = job.start(&keys.pp, &initial)?;
    let calibration = CALIBRATION_STEPS.min(recipe.total_steps().saturating_sub(1));
    let (_, folding) = prover::timed(|| {
        for _ in 0..calibration {
            job.fold_one(&keys.pp, &mut progress)?;
        }
        Ok(())
    })?;
    let step_s = if calibration > 0 {
        folding.as_secs_f64() / calibration as f64
    } else {
        0.0
    };
    let cost = cost::Folding::of(&recipe, primary, secondary);
    let setup_s = keys.setup.as_secs_f64();
    let estimated_prove_s = step_s * cost.steps as f64;
    let estimated_compress_s = step_s * COMPRESS_STEP_RATIO;
    Ok(EstimateReport {
        data: args.data.clone(),
        steps: cost.steps,
        step_constraints,
        breakdown: cost::breakdown(&recipe)?,
        primary_constraints: primary,
        secondary_constraints: secondary,
        constraints_per_step: cost.per_step,
        total_constraints: cost.total,
        constraints_per_sample_feature_epoch: cost.per_sample_feature_epoch,
        setup_s,
        step_s,
        calibration_steps: calibration,
        estimated_prove_s,
        estimated_compress_s,
        estimated_total_s: setup_s + estimated_prove_s + estimated_compress_s,
        recipe: (*recipe).clone(),
    })
}

impl fmt::Display for EstimateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} steps of {} constraints ({} in the step circuit)",
            self.data.display(),
            self.steps,
            self.constraints_per_step,
            self.step_constraints
        )?;
        for p in &self.breakdown {
            writeln!(f, "  {:>8}  {}", p.constraints, p.part)?;
        }
        writeln!(
            f,
            "  {:>8}  Nova's recursion (augmentation {} + secondary circuit {})",
            self.constraints_per_step - self.step_constraints,
            self.primary_constraints - self.step_constraints,
            self.secondary_constraints
        )?;
        writeln!(
            f,
            "total {} constraints, {:.1} per sample-feature-epoch",
            self.total_constraints, self.constraints_per_sample_feature_epoch
        )?;
        write!(
            f,
            "time  setup {:.1} s (measured), folding ~{:.0} s ({:.2} s/step over {} calibration steps), compression ~{:.0} s, whole prove ~{:.0} s",
            self.setup_s,
            self.estimated_prove_s,
            self.step_s,
            self.calibration_steps,
            self.estimated_compress_s,
            self.estimated_total_s
        )
    }
}
