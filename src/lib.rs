//! foldtrain: zero-knowledge proofs that a logistic-regression model was
//! trained, step by step, on a committed private dataset.
//!
//! Layers, each importing only those below it:
//!
//! ```text
//! foldtrain (binary)      arguments -> settings; renders reports; exit codes
//! commands                one function per command, each with its report:
//!                         prove (and resume), verify (and inspect), keys,
//!                         audit (and the chain audit), estimate, prove-eval
//!                         and prove-predict (infer.rs); train, commit,
//!                         evaluate (mod.rs)
//! report                  the chain audit's self-contained HTML page
//! plan                    batches per folded step by a cost model; what a
//!                         prove will cost
//! proof, inference        training: Statement, ProofBundle, Verifier;
//!                         evaluation and predictions: InferStatement,
//!                         InferBundle, their prover loop and verify
//! ivc                     parameters and their cache, verifier key files, the
//!                         fold loop with its Observer, checkpoints and the
//!                         Checkpointer
//! circuit                 the training step circuit and its gadgets, each
//!                         beside its native twin; the state layout;
//!                         constraint costs; the inference circuits (infer)
//! train, commitment       native reference trainer; Poseidon commitment
//! dataset, recipe, model  CSV -> validated rows -> fixed-point rows; settings
//! output                  one run an output folder, openings kept, manifest
//! fixed, error, artifact  the arithmetic contract; typed errors; safe files
//! ```
//!
//! # Glossary
//!
//! - **mini-batch**: `B` rows (the recipe's `batch`) whose gradient makes one
//!   gradient-descent update; an epoch is `ceil(n / B)` of them, the last
//!   one partial when `B` does not divide the `n` training rows.
//! - **folded step**: one Nova step, one instance of the step circuit; it
//!   runs `K` mini-batches.
//! - **K**: mini-batches a folded step (`batches_per_step`), a divisor of
//!   the mini-batches of an epoch; a run folds `epochs * ceil(n / B) / K`
//!   steps.
//! - **F**: fractional bits of weights, bias and logits: the value `v` is
//!   held as the integer `round(v * 2^F)`.
//! - **Fx**: fractional bits of features (at most `F`): the feature `x` is
//!   held as `round(x * 2^Fx)`.
//! - **statement**: what a proof claims in public: recipe, commitment,
//!   initial and final weights, step count, parameter digest.

pub mod artifact;
pub mod circuit;
pub mod commands;
pub mod commitment;
pub mod dataset;
pub mod error;
pub mod fairness;
pub mod fixed;
pub mod group;
pub mod inference;
pub mod ivc;
pub mod model;
pub mod output;
pub mod plan;
pub mod preprocessing;
pub mod proof;
pub mod recipe;
pub mod report;
pub mod segment;
pub mod statement;
pub mod train;

pub use error::{Error, Rejection, Result, StateField};
