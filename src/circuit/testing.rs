//! A test constraint system that lets a test replace the value of any
//! allocated variable, named by its namespace path, while the circuit is
//! synthesized. Soundness tests synthesize the honest witness with one value
//! changed and check that some constraint then fails.

use std::collections::HashMap;

use nova_snark::frontend::{
    test_cs::TestConstraintSystem, ConstraintSystem, LinearCombination, SynthesisError, Variable,
};

use crate::fixed::Scalar;

/// [`TestConstraintSystem`] with value overrides.
pub struct TamperCs {
    inner: TestConstraintSystem<Scalar>,
    path: Vec<String>,
    overrides: HashMap<String, Scalar>,
    used: Vec<String>,
}

impl TamperCs {
    /// No overrides: the honest witness.
    pub fn honest() -> Self {
        Self::with(&[])
    }

    /// Replaces the values of the variables at the given full paths
    /// (`"a/b/c"`).
    pub fn with(overrides: &[(&str, Scalar)]) -> Self {
        TamperCs {
            inner: TestConstraintSystem::new(),
            path: Vec::new(),
            overrides: overrides.iter().map(|(p, v)| (p.to_string(), *v)).collect(),
            used: Vec::new(),
        }
    }

    /// True when every constraint holds.
    pub fn is_satisfied(&self) -> bool {
        self.inner.is_satisfied()
    }

    /// The first failing constraint.
    pub fn which_is_unsatisfied(&self) -> Option<&str> {
        self.inner.which_is_unsatisfied()
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.inner.num_constraints()
    }

    /// Panics unless every override matched a variable (so a renamed
    /// namespace cannot turn a soundness test into a test of nothing).
    pub fn assert_all_used(&self) {
        for p in self.overrides.keys() {
            assert!(
                self.used.contains(p),
                "override path {p} matched no variable"
            );
        }
    }

    fn full(&self, name: String) -> String {
        let mut parts = self.path.clone();
        parts.push(name);
        parts.join("/")
    }
}

/// The inner system's names may not contain `/`.
fn flat(path: &str) -> String {
    path.replace('/', " > ")
}

impl ConstraintSystem<Scalar> for TamperCs {
    type Root = Self;

    fn alloc<F, A, AR>(&mut self, annotation: A, f: F) -> Result<Variable, SynthesisError>
    where
        F: FnOnce() -> Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        let name = annotation().into();
        let path = self.full(name.clone());
        // The gadget's closure always runs, so it records its honest value;
        // the constraint system then holds the override.
        let honest = f()?;
        let value = match self.overrides.get(&path) {
            Some(v) => {
                self.used.push(path.clone());
                *v
            }
            None => honest,
        };
        self.inner.alloc(|| flat(&path), || Ok(value))
    }

    fn alloc_input<F, A, AR>(&mut self, annotation: A, f: F) -> Result<Variable, SynthesisError>
    where
        F: FnOnce() -> Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        let path = self.full(annotation().into());
        self.inner.alloc_input(|| flat(&path), f)
    }

    fn enforce<A, AR, LA, LB, LC>(&mut self, annotation: A, a: LA, b: LB, c: LC)
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
        LA: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LB: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LC: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
    {
        let path = self.full(annotation().into());
        self.inner.enforce(|| flat(&path), a, b, c);
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
