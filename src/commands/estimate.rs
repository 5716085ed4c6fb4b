//! `estimate`: what a proof will cost, before proving it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::DataArgs;
use crate::circuit::{cost, State};
use crate::error::Result;
use crate::ivc::params;
use crate::ivc::prover::{self, Keys, Steps};
use crate::plan::{self, Candidate, CostModel};
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
    /// The cost model's compression time for the padded circuit, scaled by
    /// [`EstimateReport::speed_factor`] (a model, not a measurement).
    pub estimated_compress_s: f64,
    /// Setup + folding + compression: the whole `prove` command's wall clock
    /// but for its final check of the bundle (under a second at the default
    /// recipe) and loading and writing files (under a second).
    pub estimated_total_s: f64,
    /// The augmented primary circuit padded to a power of two, as
    /// compression pads it.
    pub padded_constraints: usize,
    /// Predicted peak memory of `prove`, in bytes.
    pub estimated_peak_bytes: f64,
    /// Measured step time over the fitted model's: how much slower (above
    /// 1) this machine folds now than the one the model was fitted on.
    pub speed_factor: f64,
    /// The model used: [`CostModel::FITTED`] scaled by the speed factor.
    pub model: CostModel,
    /// Every `K` the recipe allows, with its predicted cost under `model`
    /// (the planner takes the fastest within the memory budget).
    pub plan: Vec<Candidate>,
}

/// Steps folded to calibrate the time estimate.
pub const CALIBRATION_STEPS: usize = 3;
/// Steps folded, untimed, before the calibration steps.
pub const WARM_STEPS: usize = 2;

/// Counts the constraints of a recipe and times a few folded steps.
pub fn estimate(args: &DataArgs) -> Result<EstimateReport> {
    let loaded = args.load()?;
    let recipe = Arc::new(loaded.recipe.clone());
    let step_constraints = params::step_constraints(&recipe)?;
    let keys = Keys::setup(&*recipe)?;
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
    let mut initial = State::initial(
        recipe.features,
        opening.commitment(),
        opening.test.commitment,
        weights_salt,
    );
    if recipe.epochs > 1 {
        // Steps on trained weights fold slower than the first ones on zero
        // weights (whose products are small): time them from the state after
        // the first epoch (an epoch boundary, so the step index restarts).
        for step in 0..recipe.steps_per_epoch() {
            initial = job.step(&initial, step)?.1;
        }
    }
    let mut progress = job.start(&keys.pp, &initial)?;
    // Nova's first folds, into a running instance that is still mostly
    // zeros, are cheaper than the rest: fold a few untimed when there is room.
    let warm = WARM_STEPS.min(recipe.total_steps().saturating_sub(1 + CALIBRATION_STEPS));
    for _ in 0..warm {
        job.fold_one(&keys.pp, &mut progress)?;
    }
    let calibration = CALIBRATION_STEPS.min(recipe.total_steps().saturating_sub(1 + warm));
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
    let fitted = CostModel::FITTED;
    let speed_factor = if step_s > 0.0 {
        step_s / fitted.fold_step_s(cost.per_step)
    } else {
        1.0
    };
    let model = fitted.scaled(speed_factor);
    let plan = plan::candidates(&recipe, &model)?;
    let (padded_constraints, estimated_peak_bytes) = {
        let (vars, _) = keys.pp.num_variables();
        let padded = primary.max(vars).next_power_of_two();
        let shape = plan::StepShape {
            batches_per_step: recipe.batches_per_step,
            step_constraints,
            step_variables: 0,
            padded,
            steps: cost.steps,
        };
        (padded, model.predict(&shape).peak_memory_bytes)
    };
    let estimated_compress_s =
        model.compress_base_s + model.compress_per_padded_s * padded_constraints as f64;
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
        padded_constraints,
        estimated_peak_bytes,
        speed_factor,
        model,
        plan,
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
        writeln!(
            f,
            "time  setup {:.1} s (measured), folding ~{:.0} s ({:.2} s/step over {} calibration steps), compression ~{:.0} s (2^{} padded, by the cost model), whole prove ~{:.0} s, peak memory ~{:.0} MiB",
            self.setup_s,
            self.estimated_prove_s,
            self.step_s,
            self.calibration_steps,
            self.estimated_compress_s,
            self.padded_constraints.trailing_zeros(),
            self.estimated_total_s,
            self.estimated_peak_bytes / f64::from(1u32 << 20)
        )?;
        writeln!(
            f,
            "plan  batches per step, by the cost model fitted {} x {:.2} (this machine's measured speed):",
            self.model.fitted, self.speed_factor
        )?;
        for c in &self.plan {
            let p = &c.prediction;
            let mark = if c.shape.batches_per_step == self.recipe.batches_per_step {
                "  <- this recipe"
            } else {
                ""
            };
            writeln!(
                f,
                "  K = {:>3}: {:>6} steps of {:>7} constraints, 2^{} padded: setup ~{:.0} s + folding ~{:.0} s + compression ~{:.0} s = ~{:.0} s, ~{:.0} MiB{mark}",
                c.shape.batches_per_step,
                c.shape.steps,
                c.shape.folded_constraints(),
                c.shape.padded.trailing_zeros(),
                p.setup_s,
                p.folding_s,
                p.compression_s,
                p.total_s,
                p.peak_memory_bytes / f64::from(1u32 << 20)
            )?;
        }
        write!(
            f,
            "(setup in the plan is a build with no cached parameters; --batches-per-step K chooses another)"
        )
    }
}
