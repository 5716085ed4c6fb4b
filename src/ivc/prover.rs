//! The fold loop and compression.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::checkpoint::Checkpointer;
use super::{Compressed, Params, ProverKey, Recursive};
use crate::circuit::{Batch, State, StepWitness, TrainStep};
use crate::commitment::Salt;
use crate::dataset::FixedDataset;
use crate::error::{Error, Result};
use crate::recipe::Recipe;

/// What a fold needs: the recipe, the committed rows and the salt.
pub struct Job<'a> {
    pub recipe: Arc<Recipe>,
    pub data: &'a FixedDataset,
    pub salt: Salt,
}

/// Where folding stands: the running proof and the state after `done` steps.
pub struct Progress {
    pub recursive: Recursive,
    pub state: State,
    pub done: usize,
}

impl Job<'_> {
    /// The circuit of global step `step` from `state`.
    pub fn circuit(&self, state: &State, step: usize) -> TrainStep {
        let k = self.recipe.batches_per_step;
        let first = (step % self.recipe.steps_per_epoch()) * k;
        let batches = (first..first + k)
            .map(|index| Batch::of(&self.recipe, self.data, index))
            .collect();
        let witness = StepWitness::new(&self.recipe, state.clone(), batches, self.salt);
        TrainStep {
            recipe: self.recipe.clone(),
            witness: Arc::new(witness),
        }
    }

    /// Proves the first step (Nova's constructor does).
    pub fn start(&self, pp: &Params, initial: &State) -> Result<Progress> {
        let circuit = self.circuit(initial, 0);
        let next = initial.next(&self.recipe, &circuit.witness.batches, &self.salt)?;
        let mut recursive = Recursive::new(pp, &circuit, &initial.to_z(&self.recipe)?)?;
        // The first prove_step only records that the constructor's step is done.
        recursive.prove_step(pp, &circuit)?;
        Ok(Progress {
            recursive,
            state: next,
            done: 1,
        })
    }

    /// Folds one more step.
    pub fn fold_one(&self, pp: &Params, progress: &mut Progress) -> Result<()> {
        let circuit = self.circuit(&progress.state, progress.done);
        let next = progress
            .state
            .next(&self.recipe, &circuit.witness.batches, &self.salt)?;
        progress.recursive.prove_step(pp, &circuit)?;
        progress.state = next;
        progress.done += 1;
        Ok(())
    }

    /// Folds every remaining step of the recipe from `progress`, with
    /// `checkpoints` written on their cadence and once more after the last
    /// step; `resumed_at` is the step `progress` was read from (0 for a
    /// fresh start).
    pub fn fold_all(
        &self,
        pp: &Params,
        mut progress: Progress,
        resumed_at: usize,
        checkpoints: &mut Checkpointer,
        observer: &dyn Observer,
    ) -> Result<Progress> {
        let total = self.recipe.total_steps();
        observer.phase(Phase::Fold {
            done: progress.done,
            total,
        });
        if resumed_at == 0 && progress.done < total {
            // The first step, folded by Nova's constructor, gets the same
            // after-step treatment as the others.
            checkpoints.after_step(&progress)?;
        }
        while progress.done < total {
            self.fold_one(pp, &mut progress)?;
            observer.folded(progress.done);
            if progress.done < total {
                checkpoints.after_step(&progress)?;
            }
        }
        checkpoints.before_compression(&progress, resumed_at)?;
        Ok(progress)
    }
}

/// What the prover is doing, for whoever shows progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Building or loading the public parameters and the compression keys.
    Setup,
    /// Folding steps, `done` of `total` already folded.
    Fold { done: usize, total: usize },
    /// Compressing the folded proof into the zero-knowledge SNARK.
    Compress,
    /// Verifying the bundle about to be written, from its bytes.
    Check,
}

/// Receives the prover's progress. The binary draws progress bars from it;
/// the library itself draws nothing, so every method defaults to silence.
pub trait Observer {
    /// The work begins, every input read and checked: `what` says what is
    /// proven and how long it takes (so a bad input is refused before any
    /// promise of minutes of work).
    fn begun(&self, _what: &str) {}
    /// What the cost model predicts for this run, for a whole-job ETA.
    fn predicted(&self, _prediction: &crate::plan::Prediction) {}
    /// A phase begins (and the previous one, if any, is over).
    fn phase(&self, _phase: Phase) {}
    /// One more step folded: `done` in all.
    fn folded(&self, _done: usize) {}
    /// The run is over, successfully or not.
    fn finished(&self) {}
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {}

/// The public parameters and compression keys of a recipe, with the time
/// their setup took.
pub struct Keys {
    pub pp: Params,
    pub pk: ProverKey,
    pub vk: super::VerifierKey,
    pub setup: Duration,
}

impl Keys {
    /// Loads (or builds and caches) the parameters and derives the keys.
    pub fn setup(recipe: &Recipe) -> Result<Keys> {
        let start = Instant::now();
        let pp = super::params::cached_setup(recipe)?;
        let (pk, vk) = Compressed::setup(&pp)?;
        Ok(Keys {
            pp,
            pk,
            vk,
            setup: start.elapsed(),
        })
    }

    /// Constraints folded per step: the augmented primary circuit (the step
    /// and Nova's verifier) and the secondary circuit.
    pub fn constraints(&self) -> (usize, usize) {
        self.pp.num_constraints()
    }
}

/// Compresses the folded proof into the zero-knowledge SNARK, after checking
/// the running proof (a failure here is a bug, never the verifier's problem).
pub fn compress(
    pp: &Params,
    pk: &ProverKey,
    progress: &Progress,
    z0: &[crate::fixed::Scalar],
) -> Result<Compressed> {
    progress
        .recursive
        .verify(pp, progress.done, z0)
        .map_err(|e| {
            Error::Internal(format!(
                "the folded proof does not verify before compression: {e}"
            ))
        })?;
    Ok(Compressed::prove(pp, pk, &progress.recursive)?)
}

/// Seconds of a duration, for reports.
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Times a closure.
pub fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let v = f()?;
    Ok((v, start.elapsed()))
}
