//! foldtrain: zero-knowledge proofs that a logistic-regression model was
//! trained, step by step, on a committed private dataset.
//!
//! Layers, each importing only those below it:
//!
//! ```text
//! cli (binary)            arguments -> validated recipe, exit codes
//! commands                one library function per command
//! audit                   verify + open the commitment + native replay
//! proof                   Statement, ProofBundle, verify()
//! ivc                     digest-cached parameters, fold loop, checkpoints
//! circuit                 the step circuit; each gadget beside its native twin
//! train, commitment       native reference trainer; Poseidon commitment
//! dataset, recipe, model  CSV -> validated rows -> fixed-point rows; settings
//! output                  one run an output folder, openings kept, manifest
//! fixed, error, artifact  the arithmetic contract; typed errors; safe files
//! ```

pub mod artifact;
pub mod circuit;
pub mod commands;
pub mod commitment;
pub mod dataset;
pub mod error;
pub mod fixed;
pub mod ivc;
pub mod model;
pub mod output;
pub mod proof;
pub mod recipe;
pub mod train;

pub use error::{Error, Rejection, Result, StateField};
