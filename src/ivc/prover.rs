//! The fold loop and compression.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        let mut recursive = Recursive::new(pp, &circuit, &initial.to_z(&self.recipe))?;
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

    /// Folds until every step of the recipe is done, calling `after_step`
    /// after each (for checkpoints and interruption); it may stop the loop
    /// by returning an error.
    pub fn fold_all(
        &self,
        pp: &Params,
        mut progress: Progress,
        bar: &ProgressBar,
        mut after_step: impl FnMut(&Progress) -> Result<()>,
    ) -> Result<Progress> {
        let total = self.recipe.total_steps();
        bar.set_position(progress.done as u64);
        while progress.done < total {
            self.fold_one(pp, &mut progress)?;
            bar.set_position(progress.done as u64);
            after_step(&progress)?;
        }
        Ok(progress)
    }
}

/// A progress bar for folding on stderr (hidden when `quiet`, and by
/// indicatif when stderr is not a terminal).
pub fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("folding");
    bar
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
            Error::Nova(format!(
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
