//! Where the step circuit's constraints go: synthesizes the shape with a
//! constraint system that only counts, attributing each constraint to a part
//! by its namespace path.

use std::collections::BTreeMap;

use nova_snark::frontend::{ConstraintSystem, Index, LinearCombination, SynthesisError, Variable};
use serde::Serialize;

use crate::error::Result;
use crate::fixed::Scalar;
use crate::recipe::Recipe;

/// The parts the breakdown reports, in order.
pub const PARTS: [&str; 9] = [
    "feature range checks",
    "dot products",
    "gradient products",
    "truncations and logit range checks",
    "sigmoid",
    "labels and masks",
    "row hashing",
    "weight update",
    "state, counters and seal",
];

/// Which part a constraint at `path` belongs to.
fn part_of(path: &[String]) -> &'static str {
    // Inside a step, each of the K batches has its own namespace.
    let path = match path.first() {
        Some(p) if p.starts_with("batch ") => &path[1..],
        _ => path,
    };
    let top = path.first().map(String::as_str).unwrap_or("");
    let second = path.get(1).map(String::as_str).unwrap_or("");
    if top.starts_with("block ") {
        PARTS[6]
    } else if top.starts_with("row ") {
        if second.starts_with('x') {
            PARTS[0]
        } else if second.starts_with('w') {
            PARTS[1]
        } else if second.starts_with("e x") {
            PARTS[2]
        } else if second == "truncate dot" || second == "logit" {
            PARTS[3]
        } else if second == "sigmoid" {
            PARTS[4]
        } else if second == "label" || second == "mask" {
            PARTS[5]
        } else {
            PARTS[6]
        }
    } else if top.starts_with("update ") || top.starts_with("weights out") {
        PARTS[7]
    } else {
        PARTS[8]
    }
}

/// Counts constraints by part.
struct CountingCs {
    path: Vec<String>,
    counts: BTreeMap<&'static str, usize>,
    aux: usize,
}

impl ConstraintSystem<Scalar> for CountingCs {
    type Root = Self;

    fn alloc<F, A, AR>(&mut self, _: A, _: F) -> std::result::Result<Variable, SynthesisError>
    where
        F: FnOnce() -> std::result::Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.aux += 1;
        Ok(Variable::new_unchecked(Index::Aux(self.aux - 1)))
    }

    fn alloc_input<F, A, AR>(&mut self, _: A, _: F) -> std::result::Result<Variable, SynthesisError>
    where
        F: FnOnce() -> std::result::Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        Ok(Variable::new_unchecked(Index::Input(1)))
    }

    fn enforce<A, AR, LA, LB, LC>(&mut self, _: A, _: LA, _: LB, _: LC)
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
        LA: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LB: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LC: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
    {
        // The first namespace is the step's own ("step"); parts start below.
        *self
            .counts
            .entry(part_of(&self.path[1.min(self.path.len())..]))
            .or_default() += 1;
    }

    fn push_namespace<NR, N>(&mut self, name_fn: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
        self.path.push(name_fn().into());
    }

    fn pop_namespace(&mut self) {
        self.path.pop();
    }

    fn get_root(&mut self) -> &mut Self::Root {
        self
    }
}

/// Constraints of one part of the step circuit.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub part: &'static str,
    pub constraints: usize,
}

/// The step circuit's constraints by part (without Nova's augmentation).
pub fn breakdown(recipe: &Recipe) -> Result<Vec<Part>> {
    let mut cs = CountingCs {
        path: Vec::new(),
        counts: BTreeMap::new(),
        aux: 0,
    };
    super::synthesize_blank(&mut cs, recipe)?;
    Ok(PARTS
        .iter()
        .map(|&part| Part {
            part,
            constraints: cs.counts.get(part).copied().unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::Hyper;

    #[test]
    fn breakdown_adds_up_to_the_step_circuit() {
        let recipe = Recipe::new(&Hyper::default(), 48, 800).unwrap();
        let parts = breakdown(&recipe).unwrap();
        let total: usize = parts.iter().map(|p| p.constraints).sum();
        assert_eq!(
            total,
            crate::ivc::params::step_constraints(&recipe).unwrap()
        );
        assert!(parts.iter().all(|p| p.constraints > 0), "{parts:?}");
    }
}

/// What folding a whole recipe costs, from the constraints Nova folds per
/// step: the arithmetic `prove` reports and `estimate` predicts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Folding {
    /// Folded steps of the run.
    pub steps: usize,
    /// Constraints folded per step: the augmented primary circuit (the step
    /// and Nova's verifier) plus the secondary circuit.
    pub per_step: usize,
    /// `per_step * steps`.
    pub total: usize,
    /// `total / (rows * features * epochs)`.
    pub per_sample_feature_epoch: f64,
}

impl Folding {
    /// The cost of `recipe` with `primary` and `secondary` constraints a step.
    pub fn of(recipe: &Recipe, primary: usize, secondary: usize) -> Self {
        let steps = recipe.total_steps();
        let per_step = primary + secondary;
        let total = per_step * steps;
        let cells = recipe.rows * recipe.features * recipe.epochs;
        Folding {
            steps,
            per_step,
            total,
            per_sample_feature_epoch: total as f64 / cells as f64,
        }
    }
}
