//! Planning a proof: how many mini-batches to fold per Nova step (`K`), and
//! what the whole `prove` will cost, from a cost model of this kind of
//! machine.
//!
//! A folded step costs a fixed part (Nova's recursion: 21,730 constraints of
//! augmentation and secondary circuit, and the per-step work of the folding
//! scheme) and a part that grows with `K`. Compression and the parameters'
//! setup pay for the primary circuit padded to a power of two (Spartan pads
//! the larger of its constraints and variables). Short jobs therefore want
//! small steps that pad small, long jobs large steps that spread the
//! recursion; [`choose`] minimizes the predicted whole-job time over every
//! `K` the recipe allows, so a step just above a power of two loses to one
//! just below.
//!
//! The model's coefficients were fitted on this project's machine
//! ([`CostModel::FITTED`], with its date) by `experiments/plan_fit.rs`;
//! `estimate` rescales them by the folding speed it measures.

use serde::Serialize;

use crate::error::Result;
use crate::recipe::{Recipe, MAX_BATCH_CELLS};

/// Constraints Nova's augmentation adds to the step circuit (its verifier
/// of the previous step, the hash of `z`): 11,381 to 11,385 for the state
/// sizes of the shipped datasets; this bound is checked against Nova's own
/// count by a test.
pub const AUGMENTATION_CONSTRAINTS: usize = 11_400;
/// Variables Nova's augmentation adds (bound, checked by the same test).
pub const AUGMENTATION_VARIABLES: usize = 11_400;
/// Nova's secondary circuit, folded beside every step (constraints).
pub const SECONDARY_CONSTRAINTS: usize = 10_349;
/// Peak memory the planner allows a prover, in bytes.
pub const MEMORY_BUDGET: f64 = 2.0 * (1u64 << 30) as f64;

/// Seconds a phase costs on one machine, affine in its size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// Where and when the coefficients were measured.
    pub fitted: &'static str,
    /// Folding: seconds per folded step, whatever its size.
    pub fold_per_step_s: f64,
    /// Folding: seconds per constraint folded (primary + secondary).
    pub fold_per_constraint_s: f64,
    /// Compression: fixed seconds.
    pub compress_base_s: f64,
    /// Compression: seconds per row of the padded primary circuit.
    pub compress_per_padded_s: f64,
    /// Setup (parameters built, not cached, and the compression keys):
    /// fixed seconds.
    pub setup_base_s: f64,
    /// Setup: seconds per row of the padded primary circuit.
    pub setup_per_padded_s: f64,
    /// Peak memory: fixed bytes.
    pub memory_base_bytes: f64,
    /// Peak memory: bytes per constraint of a folded step.
    pub memory_per_constraint_bytes: f64,
}

impl CostModel {
    /// Fitted by `cargo run --release --example plan_fit` (results in
    /// `experiments/results/plan_fit.csv`).
    pub const FITTED: CostModel = CostModel {
        fitted: "2026-12-03 on 2 cores, load 1.6 to 1.9 (experiments/results/plan_fit.csv)",
        fold_per_step_s: 0.149,
        fold_per_constraint_s: 1.41e-6,
        compress_base_s: 1.96,
        compress_per_padded_s: 1.53e-4,
        setup_base_s: 1.25,
        setup_per_padded_s: 5.6e-5,
        memory_base_bytes: 64.5e6,
        memory_per_constraint_bytes: 4410.0,
    };

    /// This model with every time scaled by `factor` (a machine measured
    /// `factor` times slower than the fitted one); memory is unchanged.
    pub fn scaled(&self, factor: f64) -> CostModel {
        CostModel {
            fold_per_step_s: self.fold_per_step_s * factor,
            fold_per_constraint_s: self.fold_per_constraint_s * factor,
            compress_base_s: self.compress_base_s * factor,
            compress_per_padded_s: self.compress_per_padded_s * factor,
            setup_base_s: self.setup_base_s * factor,
            setup_per_padded_s: self.setup_per_padded_s * factor,
            ..*self
        }
    }

    /// Seconds to fold one step of `constraints` (primary + secondary).
    pub fn fold_step_s(&self, constraints: usize) -> f64 {
        self.fold_per_step_s + self.fold_per_constraint_s * constraints as f64
    }

    /// What a recipe of this shape will cost.
    pub fn predict(&self, shape: &StepShape) -> Prediction {
        let padded = shape.padded as f64;
        let setup_s = self.setup_base_s + self.setup_per_padded_s * padded;
        let folding_s = self.fold_step_s(shape.folded_constraints()) * shape.steps as f64;
        let compression_s = self.compress_base_s + self.compress_per_padded_s * padded;
        Prediction {
            setup_s,
            folding_s,
            compression_s,
            total_s: setup_s + folding_s + compression_s,
            peak_memory_bytes: self.memory_base_bytes
                + self.memory_per_constraint_bytes * shape.folded_constraints() as f64,
        }
    }
}

/// The size of a recipe's folded step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StepShape {
    pub batches_per_step: usize,
    /// Constraints of the step circuit alone (counted).
    pub step_constraints: usize,
    /// Its variables (counted).
    pub step_variables: usize,
    /// The augmented primary circuit padded to a power of two, as
    /// compression pads it (bounded with the augmentation constants).
    pub padded: usize,
    /// Folded steps of the run.
    pub steps: usize,
}

impl StepShape {
    /// The augmented primary circuit (an upper bound by a few constraints).
    pub fn primary_constraints(&self) -> usize {
        self.step_constraints + AUGMENTATION_CONSTRAINTS
    }

    /// Primary and secondary constraints folded per step.
    pub fn folded_constraints(&self) -> usize {
        self.primary_constraints() + SECONDARY_CONSTRAINTS
    }

    fn of(recipe: &Recipe, constraints: usize, variables: usize) -> Self {
        StepShape {
            batches_per_step: recipe.batches_per_step,
            step_constraints: constraints,
            step_variables: variables,
            padded: (constraints + AUGMENTATION_CONSTRAINTS)
                .max(variables + AUGMENTATION_VARIABLES)
                .next_power_of_two(),
            steps: recipe.total_steps(),
        }
    }
}

/// Predicted seconds of each phase of `prove`, and its peak memory.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prediction {
    pub setup_s: f64,
    pub folding_s: f64,
    pub compression_s: f64,
    /// The whole command but for its final check and files (a second or
    /// two).
    pub total_s: f64,
    pub peak_memory_bytes: f64,
}

/// One `K` the recipe allows, with its shape and prediction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub shape: StepShape,
    pub prediction: Prediction,
}

/// Every `K` the recipe allows: the divisors of the batches per epoch
/// within [`MAX_BATCH_CELLS`].
pub fn allowed(recipe: &Recipe) -> Vec<usize> {
    let per_epoch = recipe.batches_per_epoch();
    (1..=per_epoch)
        .filter(|k| per_epoch.is_multiple_of(*k))
        .filter(|k| k * recipe.batch * (recipe.features + 1) <= MAX_BATCH_CELLS)
        .collect()
}

/// The shape of the step circuit at every allowed `K`. The step is `K`
/// copies of one mini-batch's circuit plus a fixed part, so two counts (at
/// `K = 1` and `K = 2`) give every other exactly (a test checks it).
pub fn shapes(recipe: &Recipe) -> Result<Vec<StepShape>> {
    let ks = allowed(recipe);
    let count = |k: usize| -> Result<(Recipe, usize, usize)> {
        let r = recipe.altered(|f| f.batches_per_step = k)?;
        let (c, v) = crate::ivc::params::step_size(&r)?;
        Ok((r, c, v))
    };
    let (one, c1, v1) = count(1)?;
    let mut out = vec![StepShape::of(&one, c1, v1)];
    if ks.len() == 1 {
        return Ok(out);
    }
    let (_, c2, v2) = count(ks[1])?;
    let (dc, dv) = (
        (c2 - c1) / (ks[1] - 1).max(1),
        (v2 - v1) / (ks[1] - 1).max(1),
    );
    for &k in &ks[1..] {
        let r = recipe.altered(|f| f.batches_per_step = k)?;
        out.push(StepShape::of(&r, c1 + (k - 1) * dc, v1 + (k - 1) * dv));
    }
    Ok(out)
}

/// Every allowed `K` with its predicted cost under `model`.
pub fn candidates(recipe: &Recipe, model: &CostModel) -> Result<Vec<Candidate>> {
    Ok(shapes(recipe)?
        .into_iter()
        .map(|shape| Candidate {
            shape,
            prediction: model.predict(&shape),
        })
        .collect())
}

/// The `K` of least predicted whole-job time whose predicted memory is
/// within [`MEMORY_BUDGET`] (the smallest `K` if none is).
pub fn best(candidates: &[Candidate]) -> Option<&Candidate> {
    let within: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.prediction.peak_memory_bytes <= MEMORY_BUDGET)
        .collect();
    if within.is_empty() {
        return candidates.first();
    }
    within
        .into_iter()
        .min_by(|a, b| a.prediction.total_s.total_cmp(&b.prediction.total_s))
}

/// The fitted model's prediction for `recipe` as it is (its own `K`), if
/// the recipe's shape can be counted.
pub fn prediction_of(recipe: &Recipe) -> Option<Prediction> {
    let all = candidates(recipe, &CostModel::FITTED).ok()?;
    (all.into_iter())
        .find(|c| c.shape.batches_per_step == recipe.batches_per_step)
        .map(|c| c.prediction)
}

/// The seconds a proving run still needs, for a progress line: the
/// prediction, corrected by how fast this machine folds now (a loaded or
/// faster machine scales every phase alike).
pub fn seconds_left(
    p: &Prediction,
    (done, total): (usize, usize),
    folding_so_far_s: f64,
    steps_so_far: usize,
) -> f64 {
    let predicted_step = p.folding_s / total.max(1) as f64;
    let scale = if steps_so_far > 0 && predicted_step > 0.0 {
        (folding_so_far_s / steps_so_far as f64) / predicted_step
    } else {
        1.0
    };
    let folding = predicted_step * total.saturating_sub(done) as f64;
    ((folding + p.compression_s) * scale).max(0.0)
}

/// `recipe` with the planned `K` under the fitted model.
pub fn choose(recipe: &Recipe) -> Result<Recipe> {
    let all = candidates(recipe, &CostModel::FITTED)?;
    match best(&all) {
        Some(c) => recipe.altered(|f| f.batches_per_step = c.shape.batches_per_step),
        None => Ok(recipe.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;

    fn german_like() -> Recipe {
        Recipe::new(&Hyper::default(), 48, 800).unwrap()
    }

    #[test]
    fn extrapolated_shapes_equal_the_counted_ones() {
        for recipe in [
            german_like(),
            Recipe::new(&Hyper::default(), 5, 8 * 12).unwrap(),
            Recipe::new(
                &Hyper {
                    batch: 8,
                    ..Hyper::default()
                },
                3,
                8 * 30 - 3,
            )
            .unwrap(),
        ] {
            let shapes = shapes(&recipe).unwrap();
            assert!(shapes.len() >= 2, "{:?}", allowed(&recipe));
            for shape in shapes {
                let r = recipe
                    .altered(|f| f.batches_per_step = shape.batches_per_step)
                    .unwrap();
                let (c, v) = crate::ivc::params::step_size(&r).unwrap();
                assert_eq!(
                    (shape.step_constraints, shape.step_variables),
                    (c, v),
                    "K = {}",
                    shape.batches_per_step
                );
            }
        }
    }

    #[test]
    fn augmentation_bounds_hold_against_novas_own_count() {
        // Two state sizes: 2 packed weight elements, and 1 (committed).
        for recipe in [
            Recipe::new(&Hyper::default(), 12, 64).unwrap(),
            Recipe::new(
                &Hyper {
                    weights: crate::recipe::WeightsVisibility::Committed,
                    ..Hyper::default()
                },
                3,
                32,
            )
            .unwrap(),
        ] {
            let pp = crate::ivc::params::setup(&recipe).unwrap();
            let (step_c, step_v) = crate::ivc::params::step_size(&recipe).unwrap();
            let (primary_c, secondary_c) = pp.num_constraints();
            let (primary_v, _) = pp.num_variables();
            let (aug_c, aug_v) = (primary_c - step_c, primary_v - step_v);
            assert!(
                (AUGMENTATION_CONSTRAINTS - 40..=AUGMENTATION_CONSTRAINTS).contains(&aug_c),
                "{aug_c}"
            );
            assert!(
                (AUGMENTATION_VARIABLES - 40..=AUGMENTATION_VARIABLES).contains(&aug_v),
                "{aug_v}"
            );
            assert_eq!(secondary_c, SECONDARY_CONSTRAINTS);
        }
    }

    #[test]
    fn a_short_job_avoids_padding_to_the_next_power_of_two() {
        // Two shapes of the same job: one just under 2^17, one just over.
        let model = CostModel::FITTED;
        let shape = |k: usize, step: usize, steps: usize| StepShape {
            batches_per_step: k,
            step_constraints: step,
            step_variables: step,
            padded: (step + AUGMENTATION_CONSTRAINTS).next_power_of_two(),
            steps,
        };
        // The same 200 batches: K = 4 pads to 2^17, K = 5 (a quarter more a
        // step) to 2^18.
        let under = shape(4, 100_000, 50);
        let over = shape(5, 125_000, 40);
        assert!(under.padded < over.padded);
        let all: Vec<Candidate> = [over, under]
            .into_iter()
            .map(|shape| Candidate {
                shape,
                prediction: model.predict(&shape),
            })
            .collect();
        assert_eq!(best(&all).unwrap().shape.batches_per_step, 4);
        // A long job of the same shapes spreads the recursion instead.
        let long: Vec<Candidate> = [shape(5, 130_000, 4000), shape(1, 26_000, 20_000)]
            .into_iter()
            .map(|shape| Candidate {
                shape,
                prediction: model.predict(&shape),
            })
            .collect();
        assert_eq!(best(&long).unwrap().shape.batches_per_step, 5);
    }

    #[test]
    fn memory_over_budget_is_not_chosen() {
        let model = CostModel {
            memory_per_constraint_bytes: 1e6,
            ..CostModel::FITTED
        };
        let recipe = german_like();
        let all = candidates(&recipe, &model).unwrap();
        let chosen = best(&all).unwrap();
        assert_eq!(
            chosen.shape.batches_per_step, 1,
            "nothing fits: the smallest"
        );
        let roomy = candidates(&recipe, &CostModel::FITTED).unwrap();
        assert!(best(&roomy).unwrap().prediction.peak_memory_bytes <= MEMORY_BUDGET);
    }

    #[test]
    fn the_default_job_is_planned_under_a_power_of_two() {
        let planned = choose(&german_like()).unwrap();
        let shape = shapes(&planned)
            .unwrap()
            .into_iter()
            .find(|s| s.batches_per_step == planned.batches_per_step)
            .unwrap();
        assert!(shape.padded <= 1 << 17, "{shape:?}");
    }

    #[test]
    fn seconds_left_scale_by_the_measured_folding_rate() {
        let p = Prediction {
            setup_s: 9.0,
            folding_s: 20.0,
            compression_s: 30.0,
            total_s: 59.0,
            peak_memory_bytes: 0.0,
        };
        // Before any step: the prediction as it is.
        assert_eq!(seconds_left(&p, (0, 10), 0.0, 0), 50.0);
        // Folding at the predicted 2 s a step: the rest of it and compression.
        assert_eq!(seconds_left(&p, (5, 10), 10.0, 5), 40.0);
        // Twice as slow as predicted: everything left takes twice as long.
        assert_eq!(seconds_left(&p, (5, 10), 20.0, 5), 80.0);
        // All folded, twice as fast as predicted: compression only, halved.
        assert_eq!(seconds_left(&p, (10, 10), 5.0, 5), 15.0);
        let mut german = german_like();
        german = choose(&german).unwrap();
        assert!(prediction_of(&german).is_some_and(|p| p.total_s > 0.0));
    }
}
