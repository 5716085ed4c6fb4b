//! The preprocessing step circuit: the normalizer is the one the committed
//! raw training rows give, and the quantized commitments hold exactly the
//! quantized raw rows, in order.
//!
//! # Passes
//!
//! One circuit, folded over two passes of `R` rows a step (the spec's
//! `rows_per_step`, a multiple of [`BLOCK_ROWS`]): the raw training rows,
//! then the raw test rows. The normalizer `N` is claimed from the start:
//! every step quantizes with it, the training pass also sums `S_j += r`,
//! `Q_j += r^2`, and its last step requires `N` to be what the sums give.
//!
//! `z = [step, h_raw, h_q, C_raw_train, C_raw_test, C_train, C_test, S, Q,
//! N]` (`S`, `Q` of `d` elements each); `N` is `mu` then `sigma` (`2d`
//! elements) when public, or `C_N` (one element) when the spec keeps it
//! private: each step then opens `C_N = H(salt_N, mu, sigma)` with `N` as
//! its witness. `N` is carried unchanged. The pass is not in `z`: the step
//! carries one-hot pass bits `b_p` and proves `0 <= step - start_p <
//! steps_p` (the passes are consecutive ranges of the counter, so only one
//! pass fits); `last` is `step = start_p + steps_p - 1`.
//!
//! Every step, for each row, range-checks the label bit and each raw value
//! `r` through the 48 bits of `r + 2^47` (the bits its raw block hashes),
//! and quantizes it with `mu_j` and `sigma_j`
//! ([`crate::dataset::Normalizer::quantize`]: `X = 2^(Fx+1) t + d`, `t = r -
//! mu`, `d = sigma` or `2^16` when `sigma = 0`; `c = floor(X / 2d)` clamped
//! to `[-H, H)`, `H = 2^(Fx+cx)`):
//!
//! * one of three cases, by bits `hi`, `lo` (`hi lo = 0`): above the range
//!   when `2^(Fx+1) t >= d (2H - 1)`, then `c = H - 1`; below it when
//!   `2^(Fx+1) t < -d (2H + 1)`, then `c = -H`; otherwise `X = 2d c + rho`
//!   with `0 <= rho < 2d` (two range checks) and `c` in range by its bits.
//!   The case's inequality is one range check of `g = (hi - lo) 2^(Fx+1) t -
//!   hi d (2H - 1) - lo (d (2H + 1) + 1)`, which is 0 in the middle case;
//!   the cases exclude each other, so `c` is unique.
//! * `c`'s `Fx + cx + 1` bits are the bits its quantized block hashes.
//!
//! Padding rows (past a split's last row, in its pass's last step) must be
//! zero raw rows with label 0 (`pad r = 0`, `pad y = 0`), and quantize as
//! `t = 0` (so `c = 0`, the commitment's padding); blocks of padding only
//! leave both chains as they were. Which rows pad is fixed by the spec: `pad_i
//! = sum_p last_p [i >= n_p mod R]`.
//!
//! Every step derives `mu' = floor(S / n)`, `v = floor((Q - 2 mu' S + n
//! mu'^2) / n)` and `sigma' = isqrt(v)` from the incoming sums plus this
//! step's training rows (two remainders in `[0, n)`, `sigma'^2 <= v <=
//! sigma'^2 + 2 sigma'`); the training pass's last step requires `mu' =
//! mu`, `sigma' = sigma` and zeroes `S` and `Q` (so no public state holds
//! the sums). Every step hashes its raw blocks into `h_raw` and its
//! quantized blocks into `h_q`; each pass's last step seals both with the
//! salts and the row counts and requires the commitments in `z`, then
//! resets the chains. So `z_N = [steps, 0, 0, the commitments, 0, 0, N]`.
//!
//! Before the last training step, `N` is only a claim, and the quantize
//! gadget's bounds assume it in range: they hold for the run because that
//! step equates `N` (carried unchanged, or bound by `C_N`) with values
//! whose bits bound them.
//!
//! # Bounds
//!
//! `|r| < 2^47`, `|mu| < 2^47`, `0 <= sigma < 2^48`, `|t| < 2^48`, `n <=
//! 2^24`: `|S| < 2^71`, `Q < 2^118`, the spread below `n 2^96` (a sum of
//! squares, `(n - n') mu^2` for rows not yet added), `|X| < 2^(Fx+50)`,
//! `|2dc| < 2^(Fx+cx+50)`: all far below `p/2`, so every field equation is
//! the integer one.

use std::sync::Arc;

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, AllocatedBit, ConstraintSystem, SynthesisError};
use nova_snark::traits::circuit::StepCircuit;
use serde::{Deserialize, Serialize};

use super::gadgets::{
    alloc_bits, alloc_lin, alloc_signed, bits_lin, enforce_eq, enforce_mul, is_zero, mul, Lin,
};
use super::{hash, value_lin};
use crate::artifact::MAGIC_LEN;
use crate::commitment::{
    ChainKind, Commitment, NormalizerCommitment, Salt, Split, BLOCK_ROWS, NORMALIZER_DOMAIN,
};
use crate::dataset::{Normalizer, RAW_BITS, RAW_FRAC_BITS};
use crate::error::{Error, Result};
use crate::fixed::{to_field, FixedFormat, Scalar};
use crate::recipe::MAX_ROWS;

/// Version of the preprocessing spec (bound in the circuit by its tag).
pub const PREP_VERSION: u32 = 2;
/// First bytes of a preprocessing verifier key file.
pub const PREP_KEY_MAGIC: &[u8; MAGIC_LEN] = b"foldtrain-pvkey\0";
/// Most rows a step reads.
pub const MAX_PREP_ROWS_PER_STEP: usize = 256;
/// Most values a step normalizes in the circuit (rows a step x features),
/// here and in predictions on raw values: about 232 constraints each, so a
/// step stays near the largest training step the recipe limits allow
/// (2.5 million constraints), which bounds what a hostile bundle's spec can
/// make a verifier set up. The smallest step (8 rows) of the most features
/// (1,024) fits exactly.
pub const MAX_NORMALIZED_CELLS: usize = 8_192;
/// Constraints aimed at for one step's rows when the spec chooses `R`
/// itself: a larger step folds fewer times but compresses, sets up and
/// verifies slower (breast_cancer at `R = 56`, 432,000 constraints a
/// step: compression 84 s, the check 1.6 s).
const STEP_BUDGET: usize = 150_000;
/// Bits of a range-checked pass-local step index (`MAX_ROWS / 8 < 2^22`).
const STEP_BITS: u32 = 22;
/// Bits of the spread `v` (below `2^96`, with room).
const SPREAD_BITS: u32 = 97;
/// Bits of `v - sigma^2` and of `2 sigma - (v - sigma^2)` (at most
/// `2 sigma < 2^49`).
const ROOT_GAP_BITS: u32 = 50;

/// The two passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pass {
    /// The training rows: summed and quantized.
    Train,
    /// The test rows: quantized.
    Test,
}

impl Pass {
    const ALL: [Pass; 2] = [Pass::Train, Pass::Test];

    fn index(self) -> usize {
        self as usize
    }

    /// The split the pass reads.
    pub fn split(self) -> Split {
        match self {
            Pass::Train => Split::Train,
            Pass::Test => Split::Test,
        }
    }
}

/// What fixes a preprocessing circuit: the shape, the format the rows are
/// quantized to, the row counts and the rows a step reads. Read from any
/// bundle or key through its `Deserialize`, which checks every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PrepSpec {
    pub version: u32,
    pub features: usize,
    pub format: FixedFormat,
    pub train_rows: usize,
    pub test_rows: usize,
    pub rows_per_step: usize,
    /// `N` committed (`C_N` in `z`) rather than public.
    pub private_normalizer: bool,
}

impl Serialize for PrepSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PrepSpec::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for PrepSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let spec = PrepSpec::deserialize(d)?;
        spec.validate().map_err(serde::de::Error::custom)?;
        Ok(spec)
    }
}

/// Where each part of the state sits in `z`.
pub struct PrepLayout {
    pub d: usize,
    /// `C_N` in place of the normalizer's values.
    pub private: bool,
}

impl PrepLayout {
    pub const STEP: usize = 0;
    pub const H_RAW: usize = 1;
    pub const H_Q: usize = 2;
    pub const RAW_TRAIN: usize = 3;
    pub const RAW_TEST: usize = 4;
    pub const TRAIN: usize = 5;
    pub const TEST: usize = 6;
    const HEAD: usize = 7;

    pub fn sums(&self) -> usize {
        Self::HEAD
    }
    pub fn squares(&self) -> usize {
        Self::HEAD + self.d
    }
    /// The first of the normalizer's elements (`mu`, or `C_N`).
    pub fn normalizer(&self) -> usize {
        Self::HEAD + 2 * self.d
    }
    /// The deviations (public normalizer only).
    pub fn stds(&self) -> usize {
        Self::HEAD + 3 * self.d
    }
    pub fn arity(&self) -> usize {
        self.normalizer() + if self.private { 1 } else { 2 * self.d }
    }
}

impl PrepSpec {
    /// The spec of `features` features over `train_rows` and `test_rows`
    /// rows; `rows_per_step` chosen by the constraint budget when `None`.
    pub fn new(
        features: usize,
        format: FixedFormat,
        train_rows: usize,
        test_rows: usize,
        rows_per_step: Option<usize>,
        private_normalizer: bool,
    ) -> Result<Self> {
        let mut spec = PrepSpec {
            version: PREP_VERSION,
            features,
            format,
            train_rows,
            test_rows,
            rows_per_step: BLOCK_ROWS,
            private_normalizer,
        };
        spec.validate()?;
        spec.rows_per_step = match rows_per_step {
            Some(r) => r,
            None => {
                let blocks = (STEP_BUDGET / (BLOCK_ROWS * spec.row_cost())).max(1);
                let all = train_rows.max(test_rows).div_ceil(BLOCK_ROWS);
                blocks.min(all).min(MAX_PREP_ROWS_PER_STEP / BLOCK_ROWS) * BLOCK_ROWS
            }
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Constraints of one row, about (for the choice of `R`).
    pub fn row_cost(&self) -> usize {
        let f = &self.format;
        self.features
            * (RAW_BITS as usize * 3
                + 2 * f.feature_frac_bits as usize
                + f.feature_bits() as usize
                + 16)
    }

    /// Checks every field against the limits the circuit assumes.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidRecipe(m));
        crate::recipe::validate_head(
            ("preprocessing spec", self.version, PREP_VERSION),
            &self.format,
            self.features,
        )?;
        for (name, rows) in [("training", self.train_rows), ("test", self.test_rows)] {
            if !(1..=MAX_ROWS).contains(&rows) {
                return bad(format!(
                    "{name} rows must be in 1..={MAX_ROWS}, got {rows}; the preprocessing proof \
                     needs rows in both splits (a train fraction below 1)"
                ));
            }
        }
        let r = self.rows_per_step;
        if r == 0 || !r.is_multiple_of(BLOCK_ROWS) || r > MAX_PREP_ROWS_PER_STEP {
            return bad(format!(
                "rows per step must be a multiple of {BLOCK_ROWS} in {BLOCK_ROWS}..={MAX_PREP_ROWS_PER_STEP}, got {r}"
            ));
        }
        if r * self.features > MAX_NORMALIZED_CELLS {
            return bad(format!(
                "a step of {r} rows of {} features normalizes more than {MAX_NORMALIZED_CELLS} \
                 values; use a smaller --rows-per-step",
                self.features
            ));
        }
        Ok(())
    }

    /// Rows of a pass.
    pub fn rows(&self, pass: Pass) -> usize {
        match pass.split() {
            Split::Train => self.train_rows,
            Split::Test => self.test_rows,
        }
    }

    /// Steps of a pass.
    pub fn pass_steps(&self, pass: Pass) -> usize {
        self.rows(pass).div_ceil(self.rows_per_step)
    }

    /// The first step of a pass.
    pub fn pass_start(&self, pass: Pass) -> usize {
        Pass::ALL[..pass.index()]
            .iter()
            .map(|&p| self.pass_steps(p))
            .sum()
    }

    /// Folded steps in all.
    pub fn steps(&self) -> usize {
        Pass::ALL.iter().map(|&p| self.pass_steps(p)).sum()
    }

    /// The pass of global step `step`, its index within the pass, and
    /// whether it is the pass's last.
    pub fn locate(&self, step: usize) -> Option<(Pass, usize, bool)> {
        Pass::ALL.into_iter().find_map(|p| {
            let local = step.checked_sub(self.pass_start(p))?;
            let n = self.pass_steps(p);
            (local < n).then_some((p, local, local + 1 == n))
        })
    }

    /// Real rows in a pass's last step whose remainder is not a whole
    /// step: `n mod R`, or `None` when the last step is full.
    fn partial(&self, pass: Pass) -> Option<usize> {
        Some(self.rows(pass) % self.rows_per_step).filter(|&k| k != 0)
    }

    /// The layout of `z`.
    pub fn layout(&self) -> PrepLayout {
        PrepLayout {
            d: self.features,
            private: self.private_normalizer,
        }
    }

    /// A field element naming the spec.
    pub fn tag(&self) -> Scalar {
        crate::ivc::domain_tag(b"foldtrain preprocessing spec", self)
    }

    /// One line for messages.
    pub fn summary(&self) -> String {
        format!(
            "preprocessing, {} training and {} test rows x {} features, {} rows a step{}",
            self.train_rows,
            self.test_rows,
            self.features,
            self.rows_per_step,
            if self.private_normalizer {
                ", normalizer committed"
            } else {
                ""
            }
        )
    }
}

impl crate::ivc::Spec for PrepSpec {
    type Step = PrepStep;

    fn blank(&self) -> PrepStep {
        PrepStep::blank(Arc::new(self.clone()))
    }

    fn tag(&self) -> Scalar {
        PrepSpec::tag(self)
    }

    const KEY_MAGIC: &'static [u8; MAGIC_LEN] = PREP_KEY_MAGIC;

    fn kind_name(&self) -> &'static str {
        "preprocessing"
    }

    fn summary(&self) -> String {
        PrepSpec::summary(self)
    }
}

/// The four commitments a preprocessing proof links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepCommitments {
    pub raw_train: Commitment,
    pub raw_test: Commitment,
    pub train: Commitment,
    pub test: Commitment,
}

/// The salts that open them, and `C_N`'s (the prover's witness).
#[derive(Clone, Copy, Debug)]
pub struct PrepSalts {
    pub raw_train: Salt,
    pub raw_test: Salt,
    pub train: Salt,
    pub test: Salt,
    /// `salt_N` (read only when the spec keeps the normalizer private).
    pub normalizer: Salt,
}

impl PrepSalts {
    fn zero() -> Self {
        let z = Salt(Scalar::ZERO);
        PrepSalts {
            raw_train: z,
            raw_test: z,
            train: z,
            test: z,
            normalizer: z,
        }
    }
}

/// The normalizer a preprocessing statement states: its values, or `C_N`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalizerClaim {
    /// Public: each mean and deviation.
    Public(Normalizer),
    /// Private: `C_N` (see [`NormalizerCommitment`]).
    Committed(NormalizerCommitment),
}

/// The state between steps, as the prover knows it (native twin of `z`).
/// `means` and `stds` are the claimed normalizer, which `z` holds (public)
/// or `commitment` opens to (private); a verifier building `z` of a
/// private statement leaves them zero (they are not in `z`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepState {
    pub step: u64,
    pub h_raw: Scalar,
    pub h_q: Scalar,
    pub commitments: PrepCommitments,
    pub sums: Vec<i128>,
    pub squares: Vec<i128>,
    pub means: Vec<i64>,
    pub stds: Vec<i64>,
    /// `C_N`, when the spec keeps the normalizer private.
    pub commitment: Option<NormalizerCommitment>,
}

impl PrepState {
    /// The state after `step` steps of a run claiming `claim`, nothing read
    /// since the last pass's end (`step = 0`: `z_0`; `step = steps`:
    /// the `z_N` of an honest run).
    pub fn at(
        spec: &PrepSpec,
        step: usize,
        commitments: PrepCommitments,
        claim: &NormalizerClaim,
    ) -> Self {
        let d = spec.features;
        let (means, stds, commitment) = match claim {
            NormalizerClaim::Public(n) => (n.means().to_vec(), n.stds().to_vec(), None),
            NormalizerClaim::Committed(c) => (vec![0; d], vec![0; d], Some(*c)),
        };
        PrepState {
            step: step as u64,
            h_raw: Scalar::ZERO,
            h_q: Scalar::ZERO,
            commitments,
            sums: vec![0; d],
            squares: vec![0; d],
            means,
            stds,
            commitment,
        }
    }

    /// The prover's `z_0`: normalizer `n`, committed under `salt` when the
    /// spec keeps it private.
    pub fn initial(
        spec: &PrepSpec,
        commitments: PrepCommitments,
        n: &Normalizer,
        salt: &Salt,
    ) -> Self {
        let mut state = PrepState::at(spec, 0, commitments, &NormalizerClaim::Public(n.clone()));
        if spec.private_normalizer {
            state.commitment = Some(NormalizerCommitment::of(n, salt));
        }
        state
    }

    /// As field elements, in the order of `z` ([`PrepLayout`]).
    pub fn to_z(&self) -> Vec<Scalar> {
        let c = &self.commitments;
        let mut z = vec![
            Scalar::from(self.step),
            self.h_raw,
            self.h_q,
            c.raw_train.0,
            c.raw_test.0,
            c.train.0,
            c.test.0,
        ];
        z.extend(self.sums.iter().map(|&v| to_field::<Scalar>(v)));
        z.extend(self.squares.iter().map(|&v| to_field::<Scalar>(v)));
        match &self.commitment {
            Some(c) => z.push(c.0),
            None => {
                z.extend(self.means.iter().map(|&v| to_field::<Scalar>(v.into())));
                z.extend(self.stds.iter().map(|&v| to_field::<Scalar>(v.into())));
            }
        }
        z
    }

    /// The state after one step over `rows` (the step's `R` raw rows,
    /// padding rows zero) and `labels`, checking each pass's seals and, at
    /// the training pass's end, the normalizer (an error names what the
    /// rows do not give).
    pub fn next(
        &self,
        spec: &PrepSpec,
        rows: &[Vec<i64>],
        labels: &[u8],
        salts: &PrepSalts,
    ) -> Result<PrepState> {
        let (pass, _, last) = spec
            .locate(self.step as usize)
            .ok_or_else(|| Error::Internal("a preprocessing step past the last".into()))?;
        let values = StepValues::of(spec, self, pass, last, rows, labels);
        let mut next = self.clone();
        next.step += 1;
        next.h_raw = values.h_raw;
        next.h_q = values.h_q;
        next.sums.clone_from(&values.sums);
        next.squares.clone_from(&values.squares);
        if !last {
            return Ok(next);
        }
        let split = pass.split();
        let (raw_c, raw_salt, q_c, q_salt) = match split {
            Split::Train => (
                self.commitments.raw_train,
                salts.raw_train,
                self.commitments.train,
                salts.train,
            ),
            Split::Test => (
                self.commitments.raw_test,
                salts.raw_test,
                self.commitments.test,
                salts.test,
            ),
        };
        let n = spec.rows(pass);
        if ChainKind::raw(split).seal(&raw_salt, values.h_raw, n) != raw_c {
            return Err(Error::Mismatch(format!(
                "the raw {split} rows do not open the raw {split} commitment"
            )));
        }
        if ChainKind::quantized(split, &spec.format).seal(&q_salt, values.h_q, n) != q_c {
            return Err(Error::Mismatch(format!(
                "the {split} commitment does not hold the raw {split} rows quantized by the \
                 rule (its rows were quantized otherwise, or are other rows)"
            )));
        }
        if pass == Pass::Train {
            for (j, derived) in values.derived.iter().enumerate() {
                let (mu, sigma) = (i128::from(self.means[j]), i128::from(self.stds[j]));
                if (derived.mu, derived.sigma) != (mu, sigma) {
                    return Err(Error::Mismatch(format!(
                        "feature {j}: the raw training rows give mean {} and deviation {}, the \
                         normalizer claims {mu} and {sigma} (units of 2^-16)",
                        derived.mu, derived.sigma
                    )));
                }
            }
            next.sums = vec![0; spec.features];
            next.squares = vec![0; spec.features];
        }
        next.h_raw = Scalar::ZERO;
        next.h_q = Scalar::ZERO;
        Ok(next)
    }
}

/// The normalizer's values derived from sums (the circuit derives them
/// every step; the training pass's last step requires them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    pub mu: i128,
    pub rem_mu: i128,
    pub v: i128,
    pub rem_v: i128,
    pub sigma: i128,
}

impl Derived {
    /// `mu = floor(S / n)`, `v = floor((Q - 2 mu S + n mu^2) / n)`, `sigma
    /// = isqrt(v)`.
    pub fn of(s: i128, q: i128, n: usize) -> Self {
        let n = n as i128;
        let mu = s.div_euclid(n);
        let spread = q - 2 * mu * s + n * mu * mu;
        let v = spread.div_euclid(n);
        Derived {
            mu,
            rem_mu: s.rem_euclid(n),
            v,
            rem_v: spread.rem_euclid(n),
            sigma: (v.max(0) as u128).isqrt() as i128,
        }
    }
}

/// Which rows of a step pad, by the spec: in a pass's last step, the rows
/// past its split's last.
fn padding(spec: &PrepSpec, pass: Pass, last: bool) -> usize {
    match (last, spec.partial(pass)) {
        (true, Some(k)) => k,
        _ => spec.rows_per_step,
    }
}

/// What a step computes, natively.
struct StepValues {
    sums: Vec<i128>,
    squares: Vec<i128>,
    derived: Vec<Derived>,
    h_raw: Scalar,
    h_q: Scalar,
}

impl StepValues {
    fn of(
        spec: &PrepSpec,
        state: &PrepState,
        pass: Pass,
        last: bool,
        rows: &[Vec<i64>],
        labels: &[u8],
    ) -> Self {
        let d = spec.features;
        let real = padding(spec, pass, last);
        let train = pass == Pass::Train;
        // Only training steps add their rows (the derivation below then
        // reads zero sums in the test pass).
        let mut sums = state.sums.clone();
        let mut squares = state.squares.clone();
        for row in rows.iter().filter(|_| train) {
            for j in 0..d {
                let r = i128::from(row[j]);
                sums[j] += r;
                squares[j] += r * r;
            }
        }
        let derived: Vec<Derived> = (0..d)
            .map(|j| Derived::of(sums[j], squares[j], spec.train_rows))
            .collect();
        let norm = PrepNorm {
            means: &state.means,
            stds: &state.stds,
        };
        let quantized: Vec<Vec<i64>> = (rows.iter().enumerate())
            .map(|(i, row)| {
                (0..d)
                    .map(|j| {
                        if i < real {
                            norm.quantize(j, row[j], &spec.format).c as i64
                        } else {
                            0
                        }
                    })
                    .collect()
            })
            .collect();
        let split = pass.split();
        let h_raw = chain_blocks(ChainKind::raw(split), state.h_raw, rows, labels, real);
        let q_labels: Vec<u8> = (0..rows.len())
            .map(|i| if i < real { labels[i] } else { 0 })
            .collect();
        let h_q = chain_blocks(
            ChainKind::quantized(split, &spec.format),
            state.h_q,
            &quantized,
            &q_labels,
            real,
        );
        StepValues {
            sums,
            squares,
            derived,
            h_raw,
            h_q,
        }
    }
}

/// `h` extended by each block holding one of the first `active` rows.
fn chain_blocks(
    kind: ChainKind,
    mut h: Scalar,
    rows: &[Vec<i64>],
    labels: &[u8],
    active: usize,
) -> Scalar {
    let blocks = rows.chunks(BLOCK_ROWS).zip(labels.chunks(BLOCK_ROWS));
    for (r, y) in blocks.take(active.div_ceil(BLOCK_ROWS)) {
        h = kind.hash_block(h, r, y);
    }
    h
}

/// The divisor of a deviation: itself, or one unit (`2^16`) when zero.
pub(crate) fn divisor_of(sigma: i64) -> i128 {
    match sigma {
        0 => 1 << RAW_FRAC_BITS,
        s => i128::from(s),
    }
}

/// The divisor of the deviation `sigma` in the circuit: `sigma + [sigma =
/// 0] 2^16` (2 constraints).
pub(crate) fn divisor_gadget<CS: ConstraintSystem<Scalar>>(
    cs: CS,
    sigma: &Lin,
) -> std::result::Result<Lin, SynthesisError> {
    let zero = is_zero(cs, sigma)?;
    Ok(sigma.add(&zero.scale(to_field(1 << RAW_FRAC_BITS))))
}

/// The normalizer a step quantizes with (the claim, before the training
/// pass's end checks it).
struct PrepNorm<'a> {
    means: &'a [i64],
    stds: &'a [i64],
}

/// One value's quantization with its witness (see the module docs).
pub(crate) struct Quotient {
    d: i128,
    c: i128,
    hi: bool,
    lo: bool,
    rho: i128,
    g: i128,
}

impl PrepNorm<'_> {
    fn divisor(&self, j: usize) -> i128 {
        divisor_of(self.stds[j])
    }

    /// The rule of [`Normalizer::quantize`] with its case and remainders.
    fn quantize(&self, j: usize, r: i64, format: &FixedFormat) -> Quotient {
        let t = i128::from(r) - i128::from(self.means[j]);
        quotient(t, self.divisor(j), format)
    }
}

/// The rule of [`Normalizer::quantize`] on `t = r - mu` with divisor `d`,
/// with the circuit's case and remainder.
pub(crate) fn quotient(t: i128, d: i128, format: &FixedFormat) -> Quotient {
    let h = i128::from(format.feature_half_range());
    let scaled = t << (format.feature_frac_bits + 1);
    let hi = scaled >= d * (2 * h - 1);
    let lo = scaled < -d * (2 * h + 1);
    let x = scaled + d;
    let (c, rho, g) = if hi {
        (h - 1, 0, scaled - d * (2 * h - 1))
    } else if lo {
        (-h, 0, -scaled - d * (2 * h + 1) - 1)
    } else {
        (x.div_euclid(2 * d), x.rem_euclid(2 * d), 0)
    };
    Quotient {
        d,
        c,
        hi,
        lo,
        rho,
        g,
    }
}

/// What one step reads: its rows and the salts.
#[derive(Clone, Debug)]
pub struct PrepWitness {
    pub state: PrepState,
    pub rows: Vec<Vec<i64>>,
    pub labels: Vec<u8>,
    pub salts: PrepSalts,
}

impl PrepWitness {
    /// A witness of zeros, of the spec's shape.
    pub fn blank(spec: &PrepSpec) -> Self {
        let commitments = PrepCommitments {
            raw_train: Commitment(Scalar::ZERO),
            raw_test: Commitment(Scalar::ZERO),
            train: Commitment(Scalar::ZERO),
            test: Commitment(Scalar::ZERO),
        };
        let zero = Normalizer::zero(spec.features);
        PrepWitness {
            state: PrepState::initial(spec, commitments, &zero, &Salt(Scalar::ZERO)),
            rows: vec![vec![0; spec.features]; spec.rows_per_step],
            labels: vec![0; spec.rows_per_step],
            salts: PrepSalts::zero(),
        }
    }
}

/// The preprocessing step circuit.
#[derive(Clone, Debug)]
pub struct PrepStep {
    pub spec: Arc<PrepSpec>,
    pub witness: Arc<PrepWitness>,
}

/// Allocates `v` as `k` bits tied to the linear `a` (`k + 1`
/// constraints): `0 <= a < 2^k`.
fn range_check<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    a: &Lin,
    v: i128,
    k: u32,
) -> std::result::Result<Vec<AllocatedBit>, SynthesisError> {
    let bits = alloc_bits(cs.namespace(|| "bits"), &to_field(v), k)?;
    enforce_eq(cs.namespace(|| "recompose"), &bits_lin(&bits), a);
    Ok(bits)
}

/// `b ? a : keep` as `keep + b (a - keep)` (1 constraint).
fn select<CS: ConstraintSystem<Scalar>>(
    cs: CS,
    b: &Lin,
    a: &Lin,
    keep: &Lin,
) -> std::result::Result<Lin, SynthesisError> {
    Ok(keep.add(&mul(cs, b, &a.sub(keep))?))
}

impl PrepStep {
    /// A circuit with a blank witness: enough for the shape.
    pub fn blank(spec: Arc<PrepSpec>) -> Self {
        let witness = Arc::new(PrepWitness::blank(&spec));
        PrepStep { spec, witness }
    }

    /// The pass bits `b_p`, and `last_p = b_p [step is the pass's last]`.
    fn passes<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        step: &Lin,
    ) -> std::result::Result<PassFlags, SynthesisError> {
        let spec = &*self.spec;
        let at = self.witness.state.step as usize;
        // A blank witness (or a step past the last) takes the first pass:
        // any values give the shape, and no honest step is past the last.
        let (pass, local, _) = spec.locate(at).unwrap_or((Pass::Train, 0, false));
        let mut cs = cs.namespace(|| "pass");
        let b: Vec<Lin> = Pass::ALL
            .iter()
            .map(|&p| {
                AllocatedBit::alloc(cs.namespace(|| format!("b{}", p.index())), Some(p == pass))
                    .map(|bit| Lin::bit(&bit))
            })
            .collect::<std::result::Result<_, _>>()?;
        enforce_eq(
            cs.namespace(|| "one pass"),
            &Lin::sum(b.iter()),
            &Lin::int::<CS>(1),
        );
        let weighted = |f: &dyn Fn(Pass) -> usize| {
            let terms: Vec<Lin> = Pass::ALL
                .iter()
                .map(|&p| b[p.index()].scale(Scalar::from(f(p) as u64)))
                .collect();
            Lin::sum(terms.iter())
        };
        let start = weighted(&|p| spec.pass_start(p));
        let steps = weighted(&|p| spec.pass_steps(p));
        // 0 <= step - start_p < steps_p
        let local_lin = step.sub(&start);
        range_check(
            cs.namespace(|| "local"),
            &local_lin,
            local as i128,
            STEP_BITS,
        )?;
        let remaining = steps.sub(&local_lin).sub(&Lin::int::<CS>(1));
        let left = spec.pass_steps(pass) as i128 - 1 - local as i128;
        range_check(cs.namespace(|| "remaining"), &remaining, left, STEP_BITS)?;
        let is_last = is_zero(cs.namespace(|| "is last"), &remaining)?;
        let mut last = Vec::with_capacity(Pass::ALL.len());
        for p in Pass::ALL {
            last.push(mul(
                cs.namespace(|| format!("last {}", p.index())),
                &b[p.index()],
                &is_last,
            )?);
        }
        Ok(PassFlags { b, last, is_last })
    }

    /// `pad_i`: 1 for a padding row of this step (a linear combination of
    /// the last flags, by the spec's row counts); `None` for a row that
    /// never pads.
    fn pad(&self, flags: &PassFlags, i: usize) -> Option<Lin> {
        let spec = &*self.spec;
        let terms: Vec<Lin> = Pass::ALL
            .iter()
            .filter(|&&p| spec.partial(p).is_some_and(|k| i >= k))
            .map(|&p| flags.last[p.index()].clone())
            .collect();
        (!terms.is_empty()).then(|| Lin::sum(terms.iter()))
    }
}

/// The pass bits and the last-step flags of a step.
struct PassFlags {
    b: Vec<Lin>,
    last: Vec<Lin>,
    is_last: Lin,
}

/// One row in the circuit: its raw values, their bits and the label bit.
struct RawRow {
    label: AllocatedBit,
    values: Vec<Lin>,
    bits: Vec<AllocatedBit>,
}

impl StepCircuit<Scalar> for PrepStep {
    fn arity(&self) -> usize {
        self.spec.layout().arity()
    }

    fn synthesize<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> std::result::Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
        let spec = &*self.spec;
        let wit = &*self.witness;
        let layout = spec.layout();
        let d = spec.features;
        let rps = spec.rows_per_step;
        if z.len() != layout.arity()
            || wit.rows.len() != rps
            || wit.labels.len() != rps
            || wit.rows.iter().any(|r| r.len() != d)
            || wit.state.means.len() != d
        {
            return Err(SynthesisError::Unsatisfiable(format!(
                "the state or witness is not of the spec's shape ({})",
                spec.summary()
            )));
        }
        alloc_lin(
            cs.namespace(|| "spec tag"),
            &Lin::constant::<CS>(spec.tag()),
        )?;
        let lin = |k: usize| value_lin(&z[k]);
        let step = lin(PrepLayout::STEP);
        let flags = self.passes(cs, &step)?;
        let (pass, _, last) =
            spec.locate(wit.state.step as usize)
                .unwrap_or((Pass::Train, 0, false));
        let real = padding(spec, pass, last);
        let values = StepValues::of(spec, &wit.state, pass, last, &wit.rows, &wit.labels);
        let one = Lin::constant::<CS>(Scalar::ONE);

        // The normalizer: from z, or opened from C_N; each feature's
        // divisor d = sigma, or 2^16.
        let (means, stds) = self.normalizer(cs, z)?;
        let mut divisors = Vec::with_capacity(d);
        for (j, sigma) in stds.iter().enumerate() {
            divisors.push(divisor_gadget(
                cs.namespace(|| format!("sigma {j} is zero")),
                sigma,
            )?);
        }
        let norm = PrepNorm {
            means: &wit.state.means,
            stds: &wit.state.stds,
        };

        // Rows: raw values by their bits, padding forced to zero, each
        // value quantized.
        let raw_offset = 1i128 << (RAW_BITS - 1);
        let mut raw_rows = Vec::with_capacity(rps);
        let mut q_bits: Vec<Vec<AllocatedBit>> = Vec::with_capacity(rps);
        for i in 0..rps {
            let mut cs = cs.namespace(|| format!("row {i}"));
            let label = AllocatedBit::alloc(cs.namespace(|| "label"), Some(wit.labels[i] == 1))?;
            let pad = self.pad(&flags, i);
            if let Some(pad) = &pad {
                enforce_mul(
                    cs.namespace(|| "padding label"),
                    pad,
                    &Lin::bit(&label),
                    &Lin::int::<CS>(0),
                );
            }
            let mut row = RawRow {
                label: label.clone(),
                values: Vec::with_capacity(d),
                bits: Vec::with_capacity(d * RAW_BITS as usize),
            };
            let mut qb = vec![label];
            for (j, (&r, divisor)) in wit.rows[i].iter().zip(&divisors).enumerate() {
                let mut cs = cs.namespace(|| format!("value {j}"));
                let bits = alloc_bits(
                    cs.namespace(|| "raw"),
                    &to_field(i128::from(r) + raw_offset),
                    RAW_BITS,
                )?;
                let r_lin = bits_lin(&bits).sub(&Lin::int::<CS>(raw_offset));
                let t = r_lin.sub(&means[j]);
                let t = match &pad {
                    Some(pad) => {
                        enforce_mul(
                            cs.namespace(|| "padding value"),
                            pad,
                            &r_lin,
                            &Lin::int::<CS>(0),
                        );
                        mul(cs.namespace(|| "t'"), &one.sub(pad), &t)?
                    }
                    None => t,
                };
                let native = if i < real {
                    norm.quantize(j, r, &spec.format)
                } else {
                    quotient(0, norm.divisor(j), &spec.format)
                };
                qb.extend(quantize_gadget(
                    &mut cs,
                    &t,
                    divisor,
                    &native,
                    &spec.format,
                )?);
                row.values.push(r_lin);
                row.bits.extend(bits);
            }
            raw_rows.push(row);
            q_bits.push(qb);
        }

        // Sums (training steps keep them) and the normalizer derived from
        // them, which the training pass's last step requires.
        let train_going = flags.b[0].sub(&flags.last[0]);
        let mut outs_sums = Vec::with_capacity(d);
        let mut outs_squares = Vec::with_capacity(d);
        for j in 0..d {
            let mut cs = cs.namespace(|| format!("feature {j}"));
            let mut add_s = Lin::int::<CS>(0);
            let mut add_q = Lin::int::<CS>(0);
            for (i, row) in raw_rows.iter().enumerate() {
                let v = &row.values[j];
                add_s = add_s.add(v);
                add_q = add_q.add(&mul(cs.namespace(|| format!("square {i}")), v, v)?);
            }
            // Training steps add their rows; test steps derive from the
            // (zero) sums alone.
            let s =
                lin(layout.sums() + j).add(&mul(cs.namespace(|| "add s"), &flags.b[0], &add_s)?);
            let q =
                lin(layout.squares() + j).add(&mul(cs.namespace(|| "add q"), &flags.b[0], &add_q)?);
            let derived = &values.derived[j];
            let (mu, sigma) = self.derive(&mut cs, &s, &q, derived)?;
            for (name, got, claimed) in [("mean", &mu, &means[j]), ("deviation", &sigma, &stds[j])]
            {
                // last_train * (derived - claimed) = 0
                enforce_mul(
                    cs.namespace(|| format!("the {name} the rows give")),
                    &flags.last[0],
                    &got.sub(claimed),
                    &Lin::int::<CS>(0),
                );
            }
            outs_sums.push(mul(cs.namespace(|| "sum out"), &train_going, &s)?);
            outs_squares.push(mul(cs.namespace(|| "square out"), &train_going, &q)?);
        }

        // The chains, the seals at each pass's end, the resets.
        let raw_blocks: Vec<Vec<AllocatedBit>> = raw_rows
            .chunks(BLOCK_ROWS)
            .map(|blk| {
                blk.iter()
                    .flat_map(|r| std::iter::once(r.label.clone()).chain(r.bits.iter().cloned()))
                    .collect()
            })
            .collect();
        let q_blocks: Vec<Vec<AllocatedBit>> = q_bits
            .chunks(BLOCK_ROWS)
            .map(|blk| blk.iter().flatten().cloned().collect())
            .collect();
        // A block is raw-hashed by the split's raw domain; both splits'
        // raw blocks share it (the seals tell the splits apart).
        let h_raw = self.chain(
            cs,
            "raw",
            z[PrepLayout::H_RAW].clone(),
            &raw_blocks,
            ChainKind::raw(Split::Train).block_domain,
            &flags,
        )?;
        let h_q = self.chain(
            cs,
            "quantized",
            z[PrepLayout::H_Q].clone(),
            &q_blocks,
            ChainKind::quantized(Split::Train, &spec.format).block_domain,
            &flags,
        )?;
        let salts = &wit.salts;
        let seal = |cs: &mut CS,
                    name: &str,
                    kind: ChainKind,
                    salt: &Salt,
                    h: &AllocatedNum<Scalar>,
                    n: usize|
         -> std::result::Result<Lin, SynthesisError> {
            let mut cs = cs.namespace(|| format!("seal {name}"));
            let salt = AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(salt.0))?;
            let n = alloc_lin(cs.namespace(|| "rows"), &Lin::int::<CS>(n as i128))?;
            let sealed = hash::poseidon(
                cs.namespace(|| "hash"),
                kind.seal_domain,
                &[salt, h.clone(), n],
            )?;
            Ok(value_lin(&sealed))
        };
        let checks = [
            (
                "raw training",
                ChainKind::raw(Split::Train),
                &salts.raw_train,
                &h_raw,
                spec.train_rows,
                &flags.last[0],
                PrepLayout::RAW_TRAIN,
            ),
            (
                "raw test",
                ChainKind::raw(Split::Test),
                &salts.raw_test,
                &h_raw,
                spec.test_rows,
                &flags.last[1],
                PrepLayout::RAW_TEST,
            ),
            (
                "training",
                ChainKind::quantized(Split::Train, &spec.format),
                &salts.train,
                &h_q,
                spec.train_rows,
                &flags.last[0],
                PrepLayout::TRAIN,
            ),
            (
                "test",
                ChainKind::quantized(Split::Test, &spec.format),
                &salts.test,
                &h_q,
                spec.test_rows,
                &flags.last[1],
                PrepLayout::TEST,
            ),
        ];
        for (name, kind, salt, h, n, when, at) in checks {
            let sealed = seal(cs, name, kind, salt, h, n)?;
            // when * (sealed - C) = 0
            enforce_mul(
                cs.namespace(|| format!("{name} commitment at the pass's end")),
                when,
                &sealed.sub(&lin(at)),
                &Lin::int::<CS>(0),
            );
        }
        let not_last = one.sub(&flags.is_last);
        let h_raw_next = mul(
            cs.namespace(|| "raw chain out"),
            &not_last,
            &value_lin(&h_raw),
        )?;
        let h_q_next = mul(
            cs.namespace(|| "quantized chain out"),
            &not_last,
            &value_lin(&h_q),
        )?;

        let mut out = Vec::with_capacity(layout.arity());
        out.push(alloc_lin(cs.namespace(|| "step out"), &step.add(&one))?);
        out.push(alloc_lin(cs.namespace(|| "h_raw out"), &h_raw_next)?);
        out.push(alloc_lin(cs.namespace(|| "h_q out"), &h_q_next)?);
        for k in [
            PrepLayout::RAW_TRAIN,
            PrepLayout::RAW_TEST,
            PrepLayout::TRAIN,
            PrepLayout::TEST,
        ] {
            out.push(z[k].clone());
        }
        for (name, group) in [("sums", outs_sums), ("squares", outs_squares)] {
            for (j, v) in group.iter().enumerate() {
                out.push(alloc_lin(cs.namespace(|| format!("{name} {j} out")), v)?);
            }
        }
        // The normalizer (or C_N), carried unchanged.
        out.extend(z[layout.normalizer()..].iter().cloned());
        Ok(out)
    }
}

impl PrepStep {
    /// The claimed normalizer's means and deviations: `z`'s (public), or
    /// the witness's, opening `C_N` in `z` (private).
    fn normalizer<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<Scalar>],
    ) -> std::result::Result<(Vec<Lin>, Vec<Lin>), SynthesisError> {
        let layout = self.spec.layout();
        let d = self.spec.features;
        let at = layout.normalizer();
        if !layout.private {
            let lin = |k: usize| value_lin(&z[k]);
            return Ok((
                (at..at + d).map(lin).collect(),
                (at + d..at + 2 * d).map(lin).collect(),
            ));
        }
        let state = &self.witness.state;
        let values: Vec<i128> = (state.means.iter().chain(&state.stds))
            .map(|&v| i128::from(v))
            .collect();
        let opened = normalizer_gadget(
            cs.namespace(|| "normalizer"),
            &values,
            &self.witness.salts.normalizer,
        )?;
        enforce_eq(
            cs.namespace(|| "opens C_N"),
            &value_lin(&opened.commitment),
            &value_lin(&z[at]),
        );
        let mut values = opened.values;
        let stds = values.split_off(d);
        Ok((values, stds))
    }

    /// `mu`, `sigma` derived from sums `s`, `q` over the spec's training
    /// rows: `s = mu n + a`, `q - 2 mu s + n mu^2 = v n + b` with `a, b` in
    /// `[0, n)`, and `sigma^2 <= v <= sigma^2 + 2 sigma`.
    fn derive<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        s: &Lin,
        q: &Lin,
        native: &Derived,
    ) -> std::result::Result<(Lin, Lin), SynthesisError> {
        let n = self.spec.train_rows as i128;
        let n_bits = usize::BITS - (self.spec.train_rows).leading_zeros();
        let remainder =
            |cs: &mut CS, name: &str, v: i128| -> std::result::Result<Lin, SynthesisError> {
                let bits = alloc_bits(cs.namespace(|| name.to_string()), &to_field(v), n_bits)?;
                let a = bits_lin(&bits);
                range_check(
                    cs.namespace(|| format!("{name} < n")),
                    &Lin::int::<CS>(n - 1).sub(&a),
                    n - 1 - v,
                    n_bits,
                )?;
                Ok(a)
            };
        let mu = alloc_signed(cs.namespace(|| "mu"), native.mu, RAW_BITS)?.lin;
        let a = remainder(cs, "mean remainder", native.rem_mu)?;
        enforce_eq(
            cs.namespace(|| "s = mu n + a"),
            s,
            &mu.scale(to_field(n)).add(&a),
        );
        let mu_s = mul(cs.namespace(|| "mu s"), &mu, s)?;
        let mu_mu = mul(cs.namespace(|| "mu mu"), &mu, &mu)?;
        let spread = q
            .sub(&mu_s.scale(Scalar::from(2u64)))
            .add(&mu_mu.scale(to_field(n)));
        let v_bits = alloc_bits(cs.namespace(|| "v"), &to_field(native.v), SPREAD_BITS)?;
        let v = bits_lin(&v_bits);
        let b = remainder(cs, "spread remainder", native.rem_v)?;
        enforce_eq(
            cs.namespace(|| "spread = v n + b"),
            &spread,
            &v.scale(to_field(n)).add(&b),
        );
        let sigma_bits = alloc_bits(cs.namespace(|| "sigma"), &to_field(native.sigma), RAW_BITS)?;
        let sigma = bits_lin(&sigma_bits);
        let square = mul(cs.namespace(|| "sigma^2"), &sigma, &sigma)?;
        let gap = v.sub(&square);
        let gap_int = native.v - native.sigma * native.sigma;
        range_check(
            cs.namespace(|| "sigma^2 <= v"),
            &gap,
            gap_int,
            ROOT_GAP_BITS,
        )?;
        range_check(
            cs.namespace(|| "v < (sigma + 1)^2"),
            &sigma.scale(Scalar::from(2u64)).sub(&gap),
            2 * native.sigma - gap_int,
            ROOT_GAP_BITS,
        )?;
        Ok((mu, sigma))
    }

    /// The chain over this step's blocks under `domain`; a block that
    /// holds padding only (by the spec, in a pass's last step) leaves it as
    /// it was.
    #[allow(clippy::too_many_arguments)]
    fn chain<CS: ConstraintSystem<Scalar>>(
        &self,
        cs: &mut CS,
        name: &str,
        mut h: AllocatedNum<Scalar>,
        blocks: &[Vec<AllocatedBit>],
        domain: u32,
        flags: &PassFlags,
    ) -> std::result::Result<AllocatedNum<Scalar>, SynthesisError> {
        let spec = &*self.spec;
        for (k, bits) in blocks.iter().enumerate() {
            let mut cs = cs.namespace(|| format!("{name} block {k}"));
            let mut inputs = vec![h.clone()];
            inputs.extend(hash::pack_bits(cs.namespace(|| "pack"), bits)?);
            let hashed = hash::poseidon(cs.namespace(|| "hash"), domain, &inputs)?;
            // idle = sum_p last_p [block k holds padding only in pass p]
            let idle: Vec<Lin> = Pass::ALL
                .iter()
                .filter(|&&p| spec.partial(p).is_some_and(|r| k * BLOCK_ROWS >= r))
                .map(|&p| flags.last[p.index()].clone())
                .collect();
            h = if idle.is_empty() {
                hashed
            } else {
                let idle = Lin::sum(idle.iter());
                let kept = select(
                    cs.namespace(|| "idle"),
                    &idle,
                    &value_lin(&h),
                    &value_lin(&hashed),
                )?;
                alloc_lin(cs.namespace(|| "chain"), &kept)?
            };
        }
        Ok(h)
    }
}

/// A normalizer's values allocated from the witness, and `C_N` of them.
pub(crate) struct OpenedNormalizer {
    /// The `d` means then the `d` deviations.
    pub values: Vec<Lin>,
    pub commitment: AllocatedNum<Scalar>,
}

/// Allocates `values` (the means then the deviations) and `salt`, and
/// hashes them into `C_N` (twin of [`NormalizerCommitment::of`]). The
/// caller equates `C_N` with the one it is given; the values' bounds come
/// from wherever that commitment was made.
pub(crate) fn normalizer_gadget<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    values: &[i128],
    salt: &Salt,
) -> std::result::Result<OpenedNormalizer, SynthesisError> {
    let mut inputs = vec![AllocatedNum::alloc(cs.namespace(|| "salt"), || Ok(salt.0))?];
    for (k, &v) in values.iter().enumerate() {
        inputs.push(AllocatedNum::alloc(
            cs.namespace(|| format!("value {k}")),
            || Ok(to_field(v)),
        )?);
    }
    let commitment = hash::poseidon(cs.namespace(|| "C_N"), NORMALIZER_DOMAIN, &inputs)?;
    Ok(OpenedNormalizer {
        values: inputs[1..].iter().map(value_lin).collect(),
        commitment,
    })
}

/// Quantizes the linear `t` (`r - mu`, or 0 on a padding row) with
/// divisor `d`; returns the bits of `c + H` (what a quantized block
/// hashes). See the module docs for the three cases.
pub(crate) fn quantize_gadget<CS: ConstraintSystem<Scalar>>(
    cs: &mut CS,
    t: &Lin,
    d: &Lin,
    native: &Quotient,
    format: &FixedFormat,
) -> std::result::Result<Vec<AllocatedBit>, SynthesisError> {
    let h = i128::from(format.feature_half_range());
    let fx = format.feature_frac_bits;
    let hi = AllocatedBit::alloc(cs.namespace(|| "hi"), Some(native.hi))?;
    let lo = AllocatedBit::alloc(cs.namespace(|| "lo"), Some(native.lo))?;
    let (hi, lo) = (Lin::bit(&hi), Lin::bit(&lo));
    enforce_mul(cs.namespace(|| "one case"), &hi, &lo, &Lin::int::<CS>(0));
    let scaled = t.scale(to_field(1i128 << (fx + 1)));
    // g = (hi - lo) 2^(Fx+1) t - hi d (2H - 1) - lo (d (2H + 1) + 1)
    let signed = mul(cs.namespace(|| "(hi - lo) t"), &hi.sub(&lo), &scaled)?;
    let hi_d = mul(cs.namespace(|| "hi d"), &hi, d)?;
    let lo_d = mul(cs.namespace(|| "lo d"), &lo, d)?;
    let g = signed
        .sub(&hi_d.scale(to_field(2 * h - 1)))
        .sub(&lo_d.scale(to_field(2 * h + 1)))
        .sub(&lo);
    range_check(cs.namespace(|| "case"), &g, native.g, fx + 50)?;
    // c by the bits of c + H: in [-H, H)
    let c_bits = alloc_bits(
        cs.namespace(|| "quantized"),
        &to_field(native.c + h),
        format.feature_bits(),
    )?;
    let c = bits_lin(&c_bits).sub(&Lin::int::<CS>(h));
    enforce_mul(
        cs.namespace(|| "above: c = H - 1"),
        &hi,
        &c.sub(&Lin::int::<CS>(h - 1)),
        &Lin::int::<CS>(0),
    );
    enforce_mul(
        cs.namespace(|| "below: c = -H"),
        &lo,
        &c.add(&Lin::int::<CS>(h)),
        &Lin::int::<CS>(0),
    );
    // middle: X = 2 d c + rho, 0 <= rho < 2d
    let rho_bits = alloc_bits(cs.namespace(|| "rho"), &to_field(native.rho), RAW_BITS + 1)?;
    let rho = bits_lin(&rho_bits);
    let two_d = d.scale(Scalar::from(2u64));
    range_check(
        cs.namespace(|| "rho < 2d"),
        &two_d.sub(&rho).sub(&Lin::int::<CS>(1)),
        2 * native.d - 1 - native.rho,
        RAW_BITS + 1,
    )?;
    let dc = mul(cs.namespace(|| "2 d c"), &two_d, &c)?;
    let x = scaled.add(d);
    let middle = Lin::constant::<CS>(Scalar::ONE).sub(&hi).sub(&lo);
    enforce_mul(
        cs.namespace(|| "middle: X = 2dc + rho"),
        &middle,
        &x.sub(&dc).sub(&rho),
        &Lin::int::<CS>(0),
    );
    Ok(c_bits)
}

/// The state after `step` steps of an honest run over the four row sets,
/// natively: what the prover folds, and what the tests compare.
pub struct PrepRows<'a> {
    pub raw_train: &'a [Vec<i64>],
    pub raw_test: &'a [Vec<i64>],
    pub train_labels: &'a [u8],
    pub test_labels: &'a [u8],
}

impl PrepRows<'_> {
    /// Step `step`'s rows and labels, padded with zero rows.
    pub fn step(&self, spec: &PrepSpec, step: usize) -> Option<(Vec<Vec<i64>>, Vec<u8>)> {
        let (pass, local, _) = spec.locate(step)?;
        let (rows, labels) = match pass.split() {
            Split::Train => (self.raw_train, self.train_labels),
            Split::Test => (self.raw_test, self.test_labels),
        };
        let r = spec.rows_per_step;
        let first = local * r;
        let mut out_rows: Vec<Vec<i64>> = rows.iter().skip(first).take(r).cloned().collect();
        let mut out_labels: Vec<u8> = labels.iter().skip(first).take(r).copied().collect();
        out_rows.resize(r, vec![0; spec.features]);
        out_labels.resize(r, 0);
        Some((out_rows, out_labels))
    }
}

/// The circuit of step `state.step` over `rows`, and the state after it.
pub fn prep_step(
    spec: &Arc<PrepSpec>,
    state: &PrepState,
    rows: &PrepRows<'_>,
    salts: PrepSalts,
) -> Result<(PrepStep, PrepState)> {
    let (step_rows, labels) = rows
        .step(spec, state.step as usize)
        .ok_or_else(|| Error::Internal("a preprocessing step past the last".into()))?;
    let next = state.next(spec, &step_rows, &labels, &salts)?;
    let witness = PrepWitness {
        state: state.clone(),
        rows: step_rows,
        labels,
        salts,
    };
    Ok((
        PrepStep {
            spec: spec.clone(),
            witness: Arc::new(witness),
        },
        next,
    ))
}
