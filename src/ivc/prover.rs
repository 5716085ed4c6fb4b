//! The fold loop and compression, one for every kind of statement: a kind
//! says what each step folds ([`Steps`]: its circuit, witness filled in, and
//! the state it leads to); the loop ([`Steps::fold`]) folds them, reports
//! progress and leaves checkpoints where the kind keeps any.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nova_snark::traits::circuit::StepCircuit;

use super::{Compressed, Params, ProverKey, Recursive, Spec};
use crate::circuit::{Batch, State, StepWitness, TrainStep};
use crate::commitment::Salt;
use crate::dataset::FixedDataset;
use crate::error::{Error, Result};
use crate::fixed::Scalar;
use crate::recipe::Recipe;

/// A kind of statement's side of folding (sonobe's `FCircuit` with its
/// witness source): the circuit of each step and the state after it,
/// computed natively. The fold loop is its provided [`Steps::fold`].
pub trait Steps {
    /// The step circuit.
    type Circuit: StepCircuit<Scalar>;
    /// The state between steps (`z`, typed).
    type State: Clone;

    /// Steps in all.
    fn total(&self) -> usize;

    /// `z` of a state.
    fn z(&self, state: &Self::State) -> Result<Vec<Scalar>>;

    /// The circuit of step `step` from `state` (its witness filled in), and
    /// the state after it.
    fn step(&self, state: &Self::State, step: usize) -> Result<(Self::Circuit, Self::State)>;

    /// Proves the first step (Nova's constructor does).
    fn start(
        &self,
        pp: &Params<Self::Circuit>,
        initial: &Self::State,
    ) -> Result<Progress<Self::State, Self::Circuit>> {
        let (circuit, next) = self.step(initial, 0)?;
        let mut recursive = Recursive::new(pp, &circuit, &self.z(initial)?)?;
        // The first prove_step only records that the constructor's step is done.
        recursive.prove_step(pp, &circuit)?;
        Ok(Progress {
            recursive,
            state: next,
            done: 1,
        })
    }

    /// Folds one more step.
    fn fold_one(
        &self,
        pp: &Params<Self::Circuit>,
        progress: &mut Progress<Self::State, Self::Circuit>,
    ) -> Result<()> {
        let (circuit, next) = self.step(&progress.state, progress.done)?;
        progress.recursive.prove_step(pp, &circuit)?;
        progress.state = next;
        progress.done += 1;
        Ok(())
    }

    /// The fold loop: folds every remaining step from `from`, telling
    /// `observer` of each, with `checkpoints` (if any) given each folded
    /// step short of the last and once more before compression.
    fn fold(
        &self,
        pp: &Params<Self::Circuit>,
        from: Start<Self::State, Self::Circuit>,
        mut checkpoints: Option<&mut dyn Checkpoints<Self::State, Self::Circuit>>,
        observer: &dyn Observer,
    ) -> Result<Progress<Self::State, Self::Circuit>> {
        let total = self.total();
        if total == 0 {
            return Err(Error::Internal("a fold of no steps".into()));
        }
        let resumed_at = match &from {
            Start::Fresh(_) => 0,
            Start::Resumed(progress) => progress.done,
        };
        observer.phase(Phase::Fold {
            done: resumed_at,
            total,
        });
        let mut progress = match from {
            Start::Resumed(progress) => *progress,
            // The first step, folded by Nova's constructor, gets the same
            // after-step treatment as the others.
            Start::Fresh(initial) => {
                let progress = self.start(pp, &initial)?;
                folded(&progress, total, &mut checkpoints, observer)?;
                progress
            }
        };
        while progress.done < total {
            self.fold_one(pp, &mut progress)?;
            folded(&progress, total, &mut checkpoints, observer)?;
        }
        if let Some(checkpoints) = checkpoints {
            checkpoints.before_compression(&progress, resumed_at)?;
        }
        Ok(progress)
    }
}

/// After a folded step: tells the observer, and the checkpoints unless it
/// was the last.
fn folded<St, C: StepCircuit<Scalar>>(
    progress: &Progress<St, C>,
    total: usize,
    checkpoints: &mut Option<&mut dyn Checkpoints<St, C>>,
    observer: &dyn Observer,
) -> Result<()> {
    observer.folded(progress.done);
    match checkpoints {
        Some(checkpoints) if progress.done < total => checkpoints.after_step(progress),
        _ => Ok(()),
    }
}

/// Where a fold loop leaves checkpoints (training's [`super::checkpoint::Checkpointer`]).
pub trait Checkpoints<St, C: StepCircuit<Scalar>> {
    /// After a folded step short of the last: may write a checkpoint, or
    /// stop the run ([`Error::Interrupted`]).
    fn after_step(&mut self, progress: &Progress<St, C>) -> Result<()>;
    /// After the last folded step, before compression; `resumed_at` is the
    /// step the loop started from (0 for a fresh start).
    fn before_compression(&mut self, progress: &Progress<St, C>, resumed_at: usize) -> Result<()>;
}

/// Where a fold loop starts.
pub enum Start<St, C: StepCircuit<Scalar>> {
    /// From the initial state, folding the first step too.
    Fresh(St),
    /// From a checkpoint's progress (checked against the parameters).
    Resumed(Box<Progress<St, C>>),
}

/// Where folding stands: the running proof and the state after `done` steps.
pub struct Progress<St = State, C: StepCircuit<Scalar> = TrainStep> {
    pub recursive: Recursive<C>,
    pub state: St,
    pub done: usize,
}

/// What a training fold needs: the recipe, the committed rows and the salt.
pub struct Job<'a> {
    pub recipe: Arc<Recipe>,
    pub data: &'a FixedDataset,
    pub salt: Salt,
}

impl Job<'_> {
    /// Global step `step`'s mini-batches (the step index restarts every
    /// epoch).
    pub fn batches(&self, step: usize) -> Vec<Batch> {
        let k = self.recipe.batches_per_step;
        let first = (step % self.recipe.steps_per_epoch()) * k;
        (first..first + k)
            .map(|index| Batch::of(&self.recipe, self.data, index))
            .collect()
    }
}

impl Steps for Job<'_> {
    type Circuit = TrainStep;
    type State = State;

    fn total(&self) -> usize {
        self.recipe.total_steps()
    }

    fn z(&self, state: &State) -> Result<Vec<Scalar>> {
        state.to_z(&self.recipe)
    }

    /// Global step `step`'s mini-batches (the step index restarts every
    /// epoch), and the state after training on them.
    fn step(&self, state: &State, step: usize) -> Result<(TrainStep, State)> {
        let batches = self.batches(step);
        let witness = StepWitness::new(&self.recipe, state.clone(), batches, self.salt);
        let next = state.next(&self.recipe, &witness.batches, &self.salt)?;
        let circuit = TrainStep {
            recipe: self.recipe.clone(),
            witness: Arc::new(witness),
        };
        Ok((circuit, next))
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
    /// A line worth telling the user between phases (a segment done, say).
    fn note(&self, _line: &str) {}
    /// One more step folded: `done` in all.
    fn folded(&self, _done: usize) {}
    /// The run is over, successfully or not.
    fn finished(&self) {}
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {}

/// The public parameters and compression keys of a spec, with the time
/// their setup took.
pub struct Keys<C: StepCircuit<Scalar> = TrainStep> {
    pub pp: Params<C>,
    pub pk: ProverKey<C>,
    pub vk: super::VerifierKey<C>,
    pub setup: Duration,
}

impl<C: StepCircuit<Scalar>> Keys<C> {
    /// Loads (or builds and caches) the parameters and derives the keys.
    pub fn setup<S: Spec<Step = C>>(spec: &S) -> Result<Self> {
        Self::setup_in(super::params::Cache::from_env().as_ref(), spec)
    }

    /// [`Keys::setup`] with an explicit parameter cache (`None`: none).
    pub fn setup_in<S: Spec<Step = C>>(
        cache: Option<&super::params::Cache>,
        spec: &S,
    ) -> Result<Self> {
        let start = Instant::now();
        let pp = super::params::cached_setup_in(cache, spec)?;
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
pub fn compress<St, C: StepCircuit<Scalar>>(
    pp: &Params<C>,
    pk: &ProverKey<C>,
    progress: &Progress<St, C>,
    z0: &[Scalar],
) -> Result<Compressed<C>> {
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
