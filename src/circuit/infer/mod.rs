//! The inference step circuits: what a trained model *does*, proven with
//! the same gadgets as training.
//!
//! # Evaluation (`Task::Evaluate(split)`)
//!
//! `z = [model, h, C_split, step, TP, FP, TN, FN]`. Each step reads `R`
//! rows of the committed split (the spec's `rows_per_step`, a multiple of
//! [`BLOCK_ROWS`]): for each row, the label is a bit and the features are
//! range-checked through their bits, the very bits that extend the block
//! chain `h = H_block(h, bits)` (so the evaluated rows are the committed
//! rows, block for block as [`crate::commitment::chain`] hashes them); the
//! logit `z = floor(w . x / 2^Fx) + b` is computed and range-checked as in
//! training, and the decision `d = [z >= 0]` is the sign bit of its
//! range check. The counts advance by `m d y`, `m d (1 - y)`, `m (1 - d)
//! (1 - y)`, `m (1 - d) y` with the row mask `m` (0 only for the padding
//! rows of the last step, by the step counter). The last step (`step = S -
//! 1`) seals the chain with the split's domain, the salt and the row count
//! and requires the split's commitment; the chain then resets.
//!
//! With a protected attribute of `G` groups ([`GroupColumn`]), `z` goes on
//! with `[C_G, h_G, TP_0, FP_0, TN_0, FN_0, .., FN_(G-1)]`. Each row's group
//! is a one-hot vector `o` of `G` bits summing to 1, and its code `sum k o_k`
//! is the value of [`GROUP_BITS`] bits; `(y, code bits)` extend the group
//! chain `h_G` block for block as [`crate::group::group_chain`] hashes it,
//! and group `k`'s counts advance by `o_k` times the row's four increments.
//! The last step seals `h_G` with `salt_G`, the row count and the column's
//! tag (a constant: the spec's labels) and requires `C_G`; `h_G` then
//! resets. Every row is counted in exactly one group, so the groups' counts
//! add up to the counts.
//!
//! # Predictions (`Task::Predict`)
//!
//! `z = [model, h, step]`. Each row's features are range-checked, its logit
//! and decision computed as above, and every block of [`BLOCK_ROWS`] rows
//! extends `h = H_pred(h, feature bits, outputs)` with one output element a
//! row, masked by `m`: with public weights `m (2 (z + 2^(k-1)) + d)`, the
//! logit and the decision; with committed weights `m d`, the decision
//! alone, because exact logits of chosen inputs give the weights back
//! (`d + 1` rows suffice: one at zero gives `b`, one per feature at an end
//! of its range gives `w_j`). The inputs and outputs are public
//! ([`Outputs`]): the verifier recomputes `h` from them natively
//! ([`predict_chain`]).
//!
//! # The model
//!
//! Public weights travel in `z` packed ([`WeightPacking`]) and unchanged:
//! each step unpacks them into bits (the range check) tied to `z`. With
//! committed weights, `z` holds `C_W` unchanged and every step opens it:
//! `H_W(packed weights, salt_W) = C_W`, the training proof's commitment.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, AllocatedBit, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;
use serde::{Deserialize, Serialize};

use super::cost::Scope;
use super::gadgets::{alloc_lin, enforce_eq, enforce_mul, is_zero, mul, Lin, Signed};
use super::{
    alloc_features, alloc_weights, commit_weights, hash, logit_gadget, value_lin, LogitInputs,
    ModelCommitment, ModelPart, WeightPacking,
};
use crate::circuit::prep::NormalizerClaim;
use crate::commitment::{
    self, CellCode, Commitment, NormalizerCommitment, Salt, Split, BLOCK_DOMAIN, BLOCK_ROWS,
};
use crate::dataset::{Normalizer, RAW_BITS};
use crate::error::{Error, Result};
use crate::fixed::{from_field, to_field, FixedFormat, Scalar};
use crate::group::{GroupColumn, GROUP_BITS};
use crate::recipe::{WeightsVisibility, MAX_ROWS};
use crate::train::{self, Confusion, Weights};

/// Version of the inference spec (bound in the circuit by its tag).
/// Version 2: with committed weights, a prediction's output is its decision
/// only (version 1 hashed, and published, the exact logit). Version 3: the
/// spec says whether the inputs are raw values (normalized in the
/// circuit), and rows are quantized by the integer rule. Version 4: raw
/// inputs may be normalized by a private normalizer, opened from `C_N`.
/// Version 5: an evaluation may count each group of a protected attribute,
/// opening `C_G`.
pub const INFER_VERSION: u32 = 5;
/// Domain of the predictions' block hash.
pub const PREDICT_DOMAIN: u32 = 0x7072_6431; // "prd1"
/// Domain of the block hash of predictions on raw values.
pub const PREDICT_RAW_DOMAIN: u32 = 0x7072_7231; // "prr1"
/// Most rows one predictions proof takes (they are in its statement).
pub const MAX_PREDICT_ROWS: usize = 4096;
/// Most rows a step reads.
pub const MAX_ROWS_PER_STEP: usize = 1024;
/// Constraints aimed at for one step when the spec chooses `R` itself: the
/// step plus Nova's verifier (about 22,000) stays under `2^16`.
const STEP_BUDGET: usize = 40_000;

/// What an inference proof computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// The confusion counts over a committed split.
    Evaluate(Split),
    /// The decisions (and, with public weights, the logits) on public
    /// inputs.
    Predict,
}

mod native;
mod spec;
mod state;
mod step;

pub use native::*;
pub use spec::*;
pub use state::*;
pub use step::*;

#[cfg(test)]
mod tests;
