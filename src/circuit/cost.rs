//! Where the step circuit's constraints go: synthesizes the shape with a
//! constraint system that only counts, attributing each constraint to a
//! [`Part`] by the [`Scope`]s of its namespace path.

use std::fmt;

use nova_snark::frontend::{Index, Variable};
use serde::Serialize;

use super::paths::{Allocation, Constraint, PathCs, Sink, Value};
use crate::error::Result;
use crate::recipe::Recipe;

/// The parts the breakdown reports, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    FeatureRange,
    Dot,
    Gradient,
    Truncation,
    Sigmoid,
    LabelsAndMasks,
    RowHashing,
    WeightUpdate,
    StateAndSeal,
}

impl Part {
    /// Every part, in the breakdown's order.
    pub const ALL: [Part; 9] = [
        Part::FeatureRange,
        Part::Dot,
        Part::Gradient,
        Part::Truncation,
        Part::Sigmoid,
        Part::LabelsAndMasks,
        Part::RowHashing,
        Part::WeightUpdate,
        Part::StateAndSeal,
    ];

    /// How the breakdown names the part.
    pub fn label(self) -> &'static str {
        match self {
            Part::FeatureRange => "feature range checks",
            Part::Dot => "dot products",
            Part::Gradient => "gradient products",
            Part::Truncation => "truncations and logit range checks",
            Part::Sigmoid => "sigmoid",
            Part::LabelsAndMasks => "labels and masks",
            Part::RowHashing => "row hashing",
            Part::WeightUpdate => "weight update",
            Part::StateAndSeal => "state, counters and seal",
        }
    }
}

/// The namespaces of the step circuit that the breakdown reads, each named
/// by its [`Display`](fmt::Display). A constraint belongs to the part of the
/// first scope of its path that is not a batch or a row; namespaces named
/// otherwise (the batch counter's test, the seal, the outputs of the state)
/// count as [`Part::StateAndSeal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The incoming weights' bits.
    Unpack,
    /// Batch `k` of the step.
    Batch(usize),
    /// Row `i` of a batch.
    Row(usize),
    /// A row's label bit.
    Label,
    /// The bits of feature `j`.
    Feature(usize),
    /// `w_j * x_j`.
    Product(usize),
    /// The logit's bits.
    Logit,
    /// `floor(w . x / 2^Fx)`.
    Truncate,
    Sigmoid,
    /// The padding mask of a row's error.
    Mask,
    /// A row's error scaled by its class's weight.
    ClassWeight,
    /// `e * x_j`.
    ErrorProduct(usize),
    /// Block `b` of a batch's hashed rows.
    Block(usize),
    /// The update of weight `j` (the bias is `j = d`).
    Update(usize),
    /// Packed element `e` of the new weights.
    WeightsOut(usize),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Unpack => write!(f, "unpack weights"),
            Scope::Batch(k) => write!(f, "batch {k}"),
            Scope::Row(i) => write!(f, "row {i}"),
            Scope::Label => write!(f, "label"),
            Scope::Feature(j) => write!(f, "x{j}"),
            Scope::Product(j) => write!(f, "w{j} x{j}"),
            Scope::Logit => write!(f, "logit"),
            Scope::Truncate => write!(f, "truncate dot"),
            Scope::Sigmoid => write!(f, "sigmoid"),
            Scope::Mask => write!(f, "mask"),
            Scope::ClassWeight => write!(f, "class weight"),
            Scope::ErrorProduct(j) => write!(f, "e x{j}"),
            Scope::Block(b) => write!(f, "block {b}"),
            Scope::Update(j) => write!(f, "update {j}"),
            Scope::WeightsOut(e) => write!(f, "weights out {e}"),
        }
    }
}

impl Scope {
    /// The scope a namespace name displays, if any.
    fn parse(name: &str) -> Option<Scope> {
        const PLAIN: [Scope; 7] = [
            Scope::Unpack,
            Scope::Label,
            Scope::Logit,
            Scope::Truncate,
            Scope::Sigmoid,
            Scope::Mask,
            Scope::ClassWeight,
        ];
        const INDEXED: [fn(usize) -> Scope; 8] = [
            Scope::Batch,
            Scope::Row,
            Scope::Feature,
            Scope::Product,
            Scope::ErrorProduct,
            Scope::Block,
            Scope::Update,
            Scope::WeightsOut,
        ];
        // Every indexed name ends in its index.
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
        let index = name[stem.len()..].parse().ok();
        let indexed = index
            .into_iter()
            .flat_map(|i| INDEXED.map(|scope| scope(i)));
        PLAIN
            .into_iter()
            .chain(indexed)
            .find(|scope| scope.to_string() == name)
    }

    /// The part this scope opens; `None` for the batches and rows, which
    /// hold parts.
    fn part(self) -> Option<Part> {
        match self {
            Scope::Batch(_) | Scope::Row(_) => None,
            Scope::Unpack => Some(Part::StateAndSeal),
            Scope::Label | Scope::Mask | Scope::ClassWeight => Some(Part::LabelsAndMasks),
            Scope::Feature(_) => Some(Part::FeatureRange),
            Scope::Product(_) => Some(Part::Dot),
            Scope::Logit | Scope::Truncate => Some(Part::Truncation),
            Scope::Sigmoid => Some(Part::Sigmoid),
            Scope::ErrorProduct(_) => Some(Part::Gradient),
            Scope::Block(_) => Some(Part::RowHashing),
            Scope::Update(_) | Scope::WeightsOut(_) => Some(Part::WeightUpdate),
        }
    }
}

/// The part of a constraint inside the step's namespaces `path`.
fn part_of(path: &[String]) -> Part {
    path.iter()
        .find_map(|name| Scope::parse(name).map_or(Some(Part::StateAndSeal), Scope::part))
        .unwrap_or(Part::StateAndSeal)
}

/// Counts constraints by part.
#[derive(Default)]
struct Counts {
    aux: usize,
    constraints: [usize; Part::ALL.len()],
}

impl Sink for Counts {
    fn alloc(&mut self, _: &[String], _: String, _: Value) -> Allocation {
        self.aux += 1;
        Ok(Variable::new_unchecked(Index::Aux(self.aux - 1)))
    }

    fn enforce(&mut self, namespaces: &[String], _: String, _: impl FnOnce() -> Constraint) {
        // The first namespace is the step's own ("step"); parts start below.
        let inside = &namespaces[1.min(namespaces.len())..];
        self.constraints[part_of(inside) as usize] += 1;
    }
}

/// Constraints of one part of the step circuit.
#[derive(Clone, Debug, Serialize)]
pub struct PartCost {
    /// The part's [`label`](Part::label).
    pub part: &'static str,
    pub constraints: usize,
}

/// The step circuit's constraints by part (without Nova's augmentation).
pub fn breakdown(recipe: &Recipe) -> Result<Vec<PartCost>> {
    let mut cs = PathCs::new(Counts::default());
    super::synthesize_blank(&mut cs, recipe)?;
    Ok(Part::ALL
        .iter()
        .map(|&part| PartCost {
            part: part.label(),
            constraints: cs.sink.constraints[part as usize],
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

    #[test]
    fn every_scope_reads_back_from_its_name() {
        let scopes = [
            Scope::Unpack,
            Scope::Batch(2),
            Scope::Row(31),
            Scope::Label,
            Scope::Feature(7),
            Scope::Product(12),
            Scope::Logit,
            Scope::Truncate,
            Scope::Sigmoid,
            Scope::Mask,
            Scope::ClassWeight,
            Scope::ErrorProduct(0),
            Scope::Block(1),
            Scope::Update(48),
            Scope::WeightsOut(3),
        ];
        for scope in scopes {
            assert_eq!(Scope::parse(&scope.to_string()), Some(scope));
        }
        for other in ["bit 0", "element 1", "w1", "is last batch", "x", "row"] {
            assert_eq!(Scope::parse(other), None, "{other}");
        }
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
