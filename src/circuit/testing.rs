//! A test constraint system that lets a test replace the value of any
//! allocated variable, named by its namespace path, while the circuit is
//! synthesized. Soundness tests synthesize the honest witness with one value
//! changed and check that some constraint then fails.

use std::collections::HashMap;

use ff::Field;
use nova_snark::frontend::{
    test_cs::TestConstraintSystem, ConstraintSystem, Index, LinearCombination, Variable,
};

use super::paths::{Allocation, Constraint, PathCs, Sink, Value};
use crate::fixed::{FixedFormat, Scalar};

/// [`TestConstraintSystem`] with value overrides.
pub type TamperCs = PathCs<Tamper>;

/// The sink of a [`TamperCs`]: the inner system and the overrides.
pub struct Tamper {
    inner: TestConstraintSystem<Scalar>,
    overrides: HashMap<String, Scalar>,
    used: Vec<String>,
    values: HashMap<String, Scalar>,
}

impl TamperCs {
    /// No overrides: the honest witness.
    pub fn honest() -> Self {
        Self::with(&[])
    }

    /// Replaces the values of the variables at the given full paths
    /// (`"a/b/c"`).
    pub fn with(overrides: &[(&str, Scalar)]) -> Self {
        PathCs::new(Tamper {
            inner: TestConstraintSystem::new(),
            overrides: overrides.iter().map(|(p, v)| (p.to_string(), *v)).collect(),
            used: Vec::new(),
            values: HashMap::new(),
        })
    }

    /// True when every constraint holds.
    pub fn is_satisfied(&self) -> bool {
        self.sink.inner.is_satisfied()
    }

    /// The first failing constraint.
    pub fn which_is_unsatisfied(&self) -> Option<&str> {
        self.sink.inner.which_is_unsatisfied()
    }

    /// The value the variable at `path` was given (after any override).
    pub fn value_at(&self, path: &str) -> Option<Scalar> {
        self.sink.values.get(path).copied()
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.sink.inner.num_constraints()
    }

    /// Panics unless every override matched a variable (so a renamed
    /// namespace cannot turn a soundness test into a test of nothing).
    pub fn assert_all_used(&self) {
        for p in self.sink.overrides.keys() {
            assert!(
                self.sink.used.contains(p),
                "override path {p} matched no variable"
            );
        }
    }
}

/// The full path of `name`, `a/b/name`.
fn joined(namespaces: &[String], name: String) -> String {
    let mut parts = namespaces.to_vec();
    parts.push(name);
    parts.join("/")
}

/// The inner system's names may not contain `/`.
fn flat(path: &str) -> String {
    path.replace('/', " > ")
}

impl Sink for Tamper {
    fn alloc(&mut self, namespaces: &[String], name: String, value: Value) -> Allocation {
        let path = joined(namespaces, name);
        // The gadget's closure always runs, so it records its honest value;
        // the constraint system then holds the override.
        let honest = value?;
        let value = match self.overrides.get(&path) {
            Some(v) => {
                self.used.push(path.clone());
                *v
            }
            None => honest,
        };
        self.values.insert(path.clone(), value);
        self.inner.alloc(|| flat(&path), || Ok(value))
    }

    fn enforce(&mut self, namespaces: &[String], name: String, c: impl FnOnce() -> Constraint) {
        let [a, b, c] = c();
        let path = joined(namespaces, name);
        self.inner.enforce(|| flat(&path), |_| a, |_| b, |_| c);
    }
}

/// A constraint system that records every variable (with its path and
/// value) and every constraint, so a test can scan the whole witness: which
/// variables could change alone without breaking a constraint.
pub type RecordCs = PathCs<Record>;

/// The sink of a [`RecordCs`]: what was recorded.
#[derive(Default)]
pub struct Record {
    /// Path of each auxiliary variable.
    pub names: Vec<String>,
    /// Value of each auxiliary variable.
    pub values: Vec<Scalar>,
    /// Each constraint `a * b = c`, its combinations as (variable, coefficient).
    constraints: Vec<[Vec<(Index, Scalar)>; 3]>,
}

impl Record {
    fn eval(&self, lc: &[(Index, Scalar)], changed: Option<(usize, Scalar)>) -> Scalar {
        lc.iter()
            .map(|(index, coeff)| {
                let value = match *index {
                    // The only input is the constant one.
                    Index::Input(_) => Scalar::ONE,
                    Index::Aux(i) => match changed {
                        Some((j, v)) if j == i => v,
                        _ => self.values[i],
                    },
                };
                value * coeff
            })
            .sum()
    }

    fn holds(&self, c: usize, changed: Option<(usize, Scalar)>) -> bool {
        let [a, b, out] = &self.constraints[c];
        self.eval(a, changed) * self.eval(b, changed) == self.eval(out, changed)
    }

    /// The first constraint the recorded witness breaks, by index.
    pub fn first_unsatisfied(&self) -> Option<usize> {
        (0..self.constraints.len()).find(|&c| !self.holds(c, None))
    }

    /// How many recorded variables' paths start with `prefix` (what a scan
    /// of [`Record::free_variables`] under that prefix covers).
    pub fn count_under(&self, prefix: &str) -> usize {
        self.names.iter().filter(|p| p.starts_with(prefix)).count()
    }

    /// The paths of the auxiliary variables (those for which `scanned` says
    /// yes) that can take another value alone while every constraint still
    /// holds. Each is tried at two other values, `v + 1` and `v + 2^100 + 7`;
    /// only the constraints it appears in are evaluated, so the scan costs
    /// about one evaluation of the system a variable.
    pub fn free_variables(&self, scanned: impl Fn(&str) -> bool) -> Vec<String> {
        let mut occurs: Vec<Vec<usize>> = vec![Vec::new(); self.values.len()];
        for (c, lcs) in self.constraints.iter().enumerate() {
            for (index, _) in lcs.iter().flatten() {
                if let Index::Aux(i) = *index {
                    if occurs[i].last() != Some(&c) {
                        occurs[i].push(c);
                    }
                }
            }
        }
        let far = Scalar::from(2u64).pow_vartime([100u64]) + Scalar::from(7u64);
        (0..self.values.len())
            .filter(|&i| scanned(&self.names[i]))
            .filter(|&i| {
                [Scalar::ONE, far].iter().any(|delta| {
                    let changed = Some((i, self.values[i] + delta));
                    occurs[i].iter().all(|&c| self.holds(c, changed))
                })
            })
            .map(|i| self.names[i].clone())
            .collect()
    }
}

fn terms(lc: LinearCombination<Scalar>) -> Vec<(Index, Scalar)> {
    lc.iter()
        .map(|(var, coeff)| (var.get_unchecked(), *coeff))
        .collect()
}

impl Sink for Record {
    fn alloc(&mut self, namespaces: &[String], name: String, value: Value) -> Allocation {
        self.values.push(value?);
        self.names.push(joined(namespaces, name));
        Ok(Variable::new_unchecked(Index::Aux(self.values.len() - 1)))
    }

    fn enforce(&mut self, _: &[String], _: String, c: impl FnOnce() -> Constraint) {
        self.constraints.push(c().map(terms));
    }
}

/// `count` rows of `features` features at the two ends of their range, in
/// turn: the lowest value, then the highest.
pub fn extreme_rows(count: usize, features: usize, fmt: &FixedFormat) -> Vec<Vec<i64>> {
    let half = fmt.feature_half_range();
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                vec![-half; features]
            } else {
                vec![half - 1; features]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nova_snark::frontend::num::AllocatedNum;

    /// The scan itself: on a toy circuit with one variable left free, one
    /// `is_zero`-style inverse at zero and one tied down, it flags exactly
    /// the free ones.
    #[test]
    fn the_scan_finds_an_unconstrained_variable() {
        let mut cs = RecordCs::new(Record::default());
        let x = AllocatedNum::alloc(cs.namespace(|| "x"), || Ok(Scalar::from(3u64))).unwrap();
        let _sq = x.square(cs.namespace(|| "x squared")).unwrap();
        let _loose =
            AllocatedNum::alloc(cs.namespace(|| "loose"), || Ok(Scalar::from(5u64))).unwrap();
        // inv * 0 = 0: any inverse satisfies it when the argument is zero.
        let zero = AllocatedNum::alloc(cs.namespace(|| "zero"), || Ok(Scalar::ZERO)).unwrap();
        let inv = AllocatedNum::alloc(cs.namespace(|| "inv"), || Ok(Scalar::ZERO)).unwrap();
        cs.enforce(
            || "inv times zero",
            |lc| lc + inv.get_variable(),
            |lc| lc + zero.get_variable(),
            |lc| lc,
        );
        cs.enforce(
            || "zero is zero",
            |lc| lc + zero.get_variable(),
            |lc| lc + RecordCs::one(),
            |lc| lc,
        );
        assert_eq!(cs.sink.first_unsatisfied(), None);
        assert_eq!(cs.sink.free_variables(|_| true), ["loose/num", "inv/num"]);
        assert_eq!(cs.sink.free_variables(|p| p != "loose/num"), ["inv/num"]);
    }
}
