//! A constraint system that follows the namespace path of every variable
//! and constraint and hands each, with its path, to a [`Sink`]: the cost
//! breakdown counts constraints by path, the tests record or tamper with
//! them.

use nova_snark::frontend::{ConstraintSystem, LinearCombination, SynthesisError, Variable};

use crate::fixed::Scalar;

/// `a * b = c`.
pub type Constraint = [LinearCombination<Scalar>; 3];

/// A variable's value as the circuit computed it.
pub type Value = Result<Scalar, SynthesisError>;

/// The variable a [`Sink`] allocated.
pub type Allocation = Result<Variable, SynthesisError>;

/// What a [`PathCs`] does with each variable and constraint, given the
/// namespaces open around it and its own name.
pub trait Sink: Send {
    /// An auxiliary variable.
    fn alloc(&mut self, namespaces: &[String], name: String, value: Value) -> Allocation;

    /// A constraint, built on demand.
    fn enforce(&mut self, namespaces: &[String], name: String, c: impl FnOnce() -> Constraint);
}

/// A constraint system that tracks the open namespaces for its [`Sink`].
pub struct PathCs<S> {
    namespaces: Vec<String>,
    pub sink: S,
}

impl<S> PathCs<S> {
    /// A system with no namespace open.
    pub fn new(sink: S) -> Self {
        PathCs {
            namespaces: Vec::new(),
            sink,
        }
    }
}

impl<S: Sink> ConstraintSystem<Scalar> for PathCs<S> {
    type Root = Self;

    fn alloc<F, A, AR>(&mut self, annotation: A, f: F) -> Result<Variable, SynthesisError>
    where
        F: FnOnce() -> Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        (self.sink).alloc(&self.namespaces, annotation().into(), f())
    }

    fn alloc_input<F, A, AR>(&mut self, _: A, _: F) -> Result<Variable, SynthesisError>
    where
        F: FnOnce() -> Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        // Nova hands the step its state as auxiliary variables.
        Err(SynthesisError::Unsatisfiable(
            "the step circuit allocates no public input".into(),
        ))
    }

    fn enforce<A, AR, LA, LB, LC>(&mut self, annotation: A, a: LA, b: LB, c: LC)
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
        LA: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LB: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LC: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
    {
        let zero = LinearCombination::zero;
        let constraint = || [a(zero()), b(zero()), c(zero())];
        (self.sink).enforce(&self.namespaces, annotation().into(), constraint);
    }

    fn push_namespace<NR, N>(&mut self, name_fn: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
        self.namespaces.push(name_fn().into());
    }

    fn pop_namespace(&mut self) {
        self.namespaces.pop();
    }

    fn get_root(&mut self) -> &mut Self::Root {
        self
    }
}
