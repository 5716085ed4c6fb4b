//! The one fixed-point arithmetic contract shared by the native trainer and the
//! step circuit.
//!
//! A real number `v` is represented by the signed integer `round(v * 2^F)`,
//! where `F` is [`FixedFormat::frac_bits`] for weights, logits and sigmoid
//! outputs, and `Fx` ([`FixedFormat::feature_frac_bits`]) for features:
//! features are z-scores and need little precision while weight updates are
//! small, and a smaller feature scale makes every feature's range check (the
//! largest part of the circuit) cheaper. In the circuit a negative integer
//! `v` is the field element `p - |v|`. A product of a weight and a feature
//! carries `F + Fx` fractional bits and is brought back to `F` bits by
//! *floor* division (`div_euclid`): `v = q * 2^Fx + r` with `0 <= r < 2^Fx`.
//!
//! # Bounds and why nothing wraps the field
//!
//! Let `F` be the fractional bits, `Fx` the feature fractional bits, `cx` the
//! feature integer bits and `cw` the weight integer bits, `d` the feature
//! count and `B` the batch size. The
//! Pallas scalar field has `p > 2^253`, so any integer of absolute value below
//! `2^252` is represented without ambiguity.
//!
//! The limits are those the recipe enforces: `Fx <= F <= 20`
//! ([`MAX_FRAC_BITS`]), `cx <= 4`, `cw <= 8`, `d <= 1024 = 2^10`
//! ([`crate::recipe::MAX_FEATURES`]), `B <= 4096 = 2^12`
//! ([`crate::recipe::MAX_BATCH`]) and a learning rate of at most 16
//! ([`crate::recipe::MAX_LEARNING_RATE`]). At those limits (the tight figures
//! are checked by `bounds_at_the_recipe_limits` below):
//!
//! * features: `-2^(Fx+cx) <= x < 2^(Fx+cx)`, at most `2^24` in absolute value
//!   (clamped before quantization and range-checked in the circuit);
//! * weights and bias: `-2^(F+cw) <= w < 2^(F+cw)`, at most `2^28`
//!   (range-checked after every update);
//! * dot product before truncation: `|sum_j w_j x_j| <= d * 2^(F+cw) *
//!   2^(Fx+cx) <= 2^62`;
//! * logit `z = floor(dot / 2^Fx) + b`: `|z| < (d + 1) * 2^(F+cw+cx) < 2^43`,
//!   at most [`FixedFormat::logit_bits`] bits with the sign;
//! * sigmoid output `s` in `[0, 2^F]`, error `e = s - y*2^F` in `[-2^F, 2^F]`;
//! * gradient sum `G_j = sum_i e_i x_ij`: `|G_j| <= B * 2^F * 2^(Fx+cx) <=
//!   2^56`, and `G_b = sum_i e_i 2^Fx` smaller;
//! * update product `eta * G_j` with `eta = round(lr * 2^F / rows) <=
//!   2^(F+4) = 2^24`: at most `2^80`; the update is
//!   `floor(eta * G_j / 2^(F+Fx))`, and its circuit equation
//!   `eta * G_j = (w - w') * 2^(F+Fx) + r` has `|w - w'| < 2^(F+cw+1)`, so
//!   its right side is below `2^69 + 2^40`.
//!
//! The largest value anywhere is therefore below `2^80`, far inside the
//! field (`p > 2^253`), so the circuit's field equations and the native
//! integer equations coincide.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Largest number of fractional bits a recipe may declare. Twenty bits keep
/// every intermediate value below `2^80` (see the module docs).
pub const MAX_FRAC_BITS: u32 = 20;
/// Smallest number of fractional bits: below eight the gradient of a batch
/// rounds to zero at the default learning rate.
pub const MIN_FRAC_BITS: u32 = 8;
/// Smallest feature fractional bits.
pub const MIN_FEATURE_FRAC_BITS: u32 = 4;
/// Largest feature integer bits: features are z-scores, clamped to `2^cx`.
pub const MAX_FEATURE_INT_BITS: u32 = 4;
/// Largest weight integer bits.
pub const MAX_WEIGHT_INT_BITS: u32 = 8;

/// Bits packed into one field element (committed rows, the weights in the
/// state). Pallas's scalar field has `p > 2^253`, so a sum of bits below
/// `2^252` never wraps.
pub const PACK_BITS: usize = 252;
/// Rows hashed together in the dataset commitment; batch sizes must be
/// multiples of it.
pub const BLOCK_ROWS: usize = 8;

/// The fixed-point format of a recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedFormat {
    /// `F`: weights, logits and sigmoid outputs are scaled by `2^F`.
    pub frac_bits: u32,
    /// `Fx`: features are scaled by `2^Fx` (`Fx <= F`).
    pub feature_frac_bits: u32,
    /// `cx`: features are clamped to `[-2^cx, 2^cx]` before quantization.
    pub feature_int_bits: u32,
    /// `cw`: weights and bias must stay inside `(-2^cw, 2^cw)`.
    pub weight_int_bits: u32,
}

impl Default for FixedFormat {
    /// Chosen by measurement (README, "Accuracy"): 16 fractional bits for
    /// weights, 4 for features (test accuracy on every shipped dataset is the
    /// same from 4 to 16 bits, `experiments/feature_bits.rs`), features
    /// clamped to 8 standard deviations (so 8 bits a feature), weights within
    /// 64.
    fn default() -> Self {
        Self {
            frac_bits: 16,
            feature_frac_bits: 4,
            feature_int_bits: 3,
            weight_int_bits: 6,
        }
    }
}

impl FixedFormat {
    /// Checks the format against the limits that the bound analysis assumes.
    pub fn validate(&self) -> Result<(), Error> {
        if !(MIN_FRAC_BITS..=MAX_FRAC_BITS).contains(&self.frac_bits) {
            return Err(Error::InvalidRecipe(format!(
                "fractional bits must be in {MIN_FRAC_BITS}..={MAX_FRAC_BITS}, got {}",
                self.frac_bits
            )));
        }
        if !(MIN_FEATURE_FRAC_BITS..=self.frac_bits).contains(&self.feature_frac_bits) {
            return Err(Error::InvalidRecipe(format!(
                "feature fractional bits must be in {MIN_FEATURE_FRAC_BITS}..={}, got {}",
                self.frac_bits, self.feature_frac_bits
            )));
        }
        if self.feature_int_bits > MAX_FEATURE_INT_BITS {
            return Err(Error::InvalidRecipe(format!(
                "feature integer bits must be at most {MAX_FEATURE_INT_BITS}, got {}",
                self.feature_int_bits
            )));
        }
        if self.weight_int_bits > MAX_WEIGHT_INT_BITS {
            return Err(Error::InvalidRecipe(format!(
                "weight integer bits must be at most {MAX_WEIGHT_INT_BITS}, got {}",
                self.weight_int_bits
            )));
        }
        Ok(())
    }

    /// `2^F`, the fixed-point one.
    pub fn one(&self) -> i64 {
        1i64 << self.frac_bits
    }

    /// `2^Fx`, a feature of 1.0.
    pub fn feature_one(&self) -> i64 {
        1i64 << self.feature_frac_bits
    }

    /// Features lie in `[-2^(Fx+cx), 2^(Fx+cx))`; this returns `2^(Fx+cx)`.
    pub fn feature_half_range(&self) -> i64 {
        1i64 << (self.feature_frac_bits + self.feature_int_bits)
    }

    /// Bits of the shifted feature `x + 2^(Fx+cx)`, which lies in
    /// `[0, 2^(Fx+cx+1))`.
    pub fn feature_bits(&self) -> u32 {
        self.feature_frac_bits + self.feature_int_bits + 1
    }

    /// Weights lie in `[-2^(F+cw), 2^(F+cw))`.
    pub fn weight_half_range(&self) -> i64 {
        1i64 << (self.frac_bits + self.weight_int_bits)
    }

    /// Bits of the shifted weight `w + 2^(F+cw)`.
    pub fn weight_bits(&self) -> u32 {
        self.frac_bits + self.weight_int_bits + 1
    }

    /// Bits (sign included) of the logit `z` for `features` features: the
    /// logit is in `[-2^(k-1), 2^(k-1))` with `k` this value.
    pub fn logit_bits(&self, features: usize) -> u32 {
        // |z| < (d + 1) * 2^(F + cw + cx); one more bit for the sign.
        let d_bits = usize::BITS - features.leading_zeros(); // ceil(log2(d + 1))
        d_bits + self.frac_bits + self.weight_int_bits + self.feature_int_bits + 1
    }

    /// The real number a fixed-point integer stands for.
    pub fn to_f64(&self, v: i64) -> f64 {
        v as f64 / self.one() as f64
    }
}

/// Floor division by `2^bits` (rounds towards minus infinity).
pub fn floor_shift(v: i128, bits: u32) -> i128 {
    v.div_euclid(1i128 << bits)
}

/// Product of two values scaled by `2^F`, truncated back to `2^F` by floor.
pub fn mul_trunc(a: i64, b: i64, frac_bits: u32) -> i64 {
    floor_shift(i128::from(a) * i128::from(b), frac_bits) as i64
}

/// The sigmoid approximations a recipe may use. Each is a clamp of a line
/// through `(0, 1/2)`: `s(z) = clamp(floor(z / 2^a) + 1/2, 0, 1)` with slope
/// `2^-a`, so the circuit needs only the bits of `z` it already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sigmoid {
    /// zkPoT's three pieces: 0 below -1/2, `z + 1/2`, 1 above 1/2 (slope 1).
    Clip3,
    /// Slope 1/4 (the sigmoid's own slope at 0): 0 below -2, `z/4 + 1/2`, 1
    /// above 2. The default, by measurement.
    Hard4,
}

impl Sigmoid {
    /// All approximations, for experiments and help text.
    pub const ALL: [Sigmoid; 2] = [Sigmoid::Clip3, Sigmoid::Hard4];

    /// `a` in the slope `2^-a`.
    pub fn slope_shift(&self) -> u32 {
        match self {
            Sigmoid::Clip3 => 0,
            Sigmoid::Hard4 => 2,
        }
    }

    /// Stable name used on the command line and in files.
    pub fn name(&self) -> &'static str {
        match self {
            Sigmoid::Clip3 => "clip3",
            Sigmoid::Hard4 => "hard4",
        }
    }

    /// Parses a name produced by [`Sigmoid::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The native twin of the circuit's sigmoid: `z` and the result are scaled
    /// by `2^F`; the result lies in `[0, 2^F]`.
    pub fn eval_fixed(&self, z: i64, frac_bits: u32) -> i64 {
        let one = 1i64 << frac_bits;
        let lin = floor_shift(i128::from(z), self.slope_shift()) as i64 + one / 2;
        lin.clamp(0, one)
    }

    /// The same function on reals, for reference.
    pub fn eval_f64(&self, z: f64) -> f64 {
        (z / f64::from(1u32 << self.slope_shift()) + 0.5).clamp(0.0, 1.0)
    }
}

impl std::fmt::Display for Sigmoid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ff::{Field, PrimeField};
    use proptest::prelude::*;

    /// The widest format the limits allow: every bound of the module docs
    /// is reached with it.
    pub(crate) fn widest_format() -> FixedFormat {
        FixedFormat {
            frac_bits: MAX_FRAC_BITS,
            feature_frac_bits: MAX_FRAC_BITS,
            feature_int_bits: MAX_FEATURE_INT_BITS,
            weight_int_bits: MAX_WEIGHT_INT_BITS,
        }
    }

    /// Bits of a field element's canonical integer (0 for zero).
    fn bit_length(v: &Scalar) -> u32 {
        let repr = v.to_repr();
        let bytes = repr.as_ref();
        (0..bytes.len() as u32 * 8)
            .rev()
            .find(|&i| bytes[i as usize / 8] >> (i % 8) & 1 == 1)
            .map_or(0, |i| i + 1)
    }

    #[test]
    fn the_field_is_as_large_as_the_docs_say() {
        // p - 1 has bit 253 or higher set: p > 2^253.
        assert!(bit_length(&-Scalar::ONE) > 253);
        // CAPACITY: every integer below 2^CAPACITY is a distinct element.
        const { assert!(Scalar::CAPACITY >= 253) };
    }

    #[test]
    fn packed_elements_fit_the_field() {
        // PACK_BITS one-bits pack to 2^PACK_BITS - 1 itself, not reduced.
        assert!(PACK_BITS as u32 <= Scalar::CAPACITY);
        let packed = crate::commitment::pack_bits(&[true; PACK_BITS]);
        assert_eq!(packed.len(), 1);
        assert_eq!(bit_length(&packed[0]), PACK_BITS as u32);
        let ones: u32 = packed[0]
            .to_repr()
            .as_ref()
            .iter()
            .map(|b| b.count_ones())
            .sum();
        assert_eq!(ones, PACK_BITS as u32);
        // The widest shifted weight fits an element with room to spare, so
        // the state packs at least one weight an element.
        assert!(widest_format().validate().is_ok());
        assert!(widest_format().weight_bits() as usize <= PACK_BITS);
    }

    #[test]
    fn bounds_at_the_recipe_limits() {
        // The figures of the module docs, in bits, from the limits
        // themselves: a change of a limit that breaks them fails here.
        use crate::recipe::{MAX_BATCH, MAX_FEATURES, MAX_LEARNING_RATE};
        let log2 = |v: usize| usize::BITS - 1 - v.leading_zeros();
        assert!(MAX_FEATURES.is_power_of_two() && MAX_BATCH.is_power_of_two());
        let (f, cx, cw) = (MAX_FRAC_BITS, MAX_FEATURE_INT_BITS, MAX_WEIGHT_INT_BITS);
        let fx = f; // Fx <= F
        let (d, b) = (log2(MAX_FEATURES), log2(MAX_BATCH));
        let lr = (MAX_LEARNING_RATE as usize).ilog2();
        assert_eq!(fx + cx, 24, "features");
        assert_eq!(f + cw, 28, "weights");
        assert_eq!(d + f + cw + fx + cx, 62, "dot product");
        // (d + 1) < 2^(d_bits + 1)
        assert_eq!(d + 1 + f + cw + cx, 43, "logit");
        assert_eq!(b + f + fx + cx, 56, "gradient sum");
        assert_eq!(f + lr, 24, "step size");
        assert_eq!(b + f + fx + cx + f + lr, 80, "update product");
        assert_eq!(f + cw + 1 + f + fx, 69, "update equation");
        // Everything is below 2^80, and the Pallas p is above 2^253.
        assert_eq!(<Scalar as ff::PrimeField>::NUM_BITS, 255);
        let largest = [
            fx + cx,
            f + cw,
            d + f + cw + fx + cx,
            d + 1 + f + cw + cx,
            b + f + fx + cx,
            b + f + fx + cx + f + lr,
            f + cw + 1 + f + fx,
        ]
        .into_iter()
        .max()
        .unwrap();
        assert_eq!(largest, 80, "the bound the module docs state");
        // A value and its negation, and the sum of two sides of an equation,
        // stay distinct field elements: 2^(80 + 2) is below p.
        assert!(largest + 2 <= Scalar::CAPACITY);
        // The native twins compute in i64 (logits) and i128 (gradients,
        // updates) without overflow.
        assert!(widest_format().logit_bits(MAX_FEATURES) < i64::BITS);
        assert!(largest < i128::BITS - 1);
    }

    #[test]
    fn floor_shift_rounds_towards_minus_infinity() {
        assert_eq!(floor_shift(-1, 4), -1);
        assert_eq!(floor_shift(-16, 4), -1);
        assert_eq!(floor_shift(-17, 4), -2);
        assert_eq!(floor_shift(15, 4), 0);
        assert_eq!(floor_shift(16, 4), 1);
    }

    #[test]
    fn sigmoid_breakpoints() {
        let f = 16;
        let one = 1i64 << f;
        for s in Sigmoid::ALL {
            let t = one << s.slope_shift() >> 1; // |z| where the clamp starts
            assert_eq!(s.eval_fixed(0, f), one / 2);
            assert_eq!(s.eval_fixed(t, f), one);
            assert_eq!(s.eval_fixed(t - 1, f), one - 1);
            assert_eq!(s.eval_fixed(-t, f), 0);
            assert_eq!(s.eval_fixed(-t + (1 << s.slope_shift()), f), 1);
            assert_eq!(s.eval_fixed(-t + (1 << s.slope_shift()) - 1, f), 0);
            assert_eq!(s.eval_fixed(i64::MIN / 4, f), 0);
            assert_eq!(s.eval_fixed(i64::MAX / 4, f), one);
        }
    }

    #[test]
    fn default_format_is_valid_and_bad_formats_are_refused() {
        assert!(FixedFormat::default().validate().is_ok());
        let bad = FixedFormat {
            frac_bits: 40,
            ..FixedFormat::default()
        };
        assert!(bad.validate().is_err());
    }

    proptest! {
        #[test]
        fn floor_shift_is_floor(v in any::<i64>(), bits in 0u32..30) {
            let q = floor_shift(i128::from(v), bits);
            let r = i128::from(v) - q * (1i128 << bits);
            prop_assert!((0..(1i128 << bits)).contains(&r));
        }

        #[test]
        fn mul_trunc_matches_float_within_one_ulp(a in -(1i64 << 24)..(1i64 << 24), b in -(1i64 << 24)..(1i64 << 24)) {
            let f = 16;
            let exact = (a as f64) * (b as f64) / 65536.0;
            let got = mul_trunc(a, b, f) as f64;
            prop_assert!(got <= exact && exact < got + 1.0);
        }

        #[test]
        fn sigmoid_is_monotone_and_bounded(z in -(1i64 << 40)..(1i64 << 40), dz in 0i64..(1 << 20)) {
            for s in Sigmoid::ALL {
                let a = s.eval_fixed(z, 16);
                let b = s.eval_fixed(z + dz, 16);
                prop_assert!(a <= b);
                prop_assert!((0..=65536).contains(&a));
            }
        }
    }
}

/// The scalar field of the primary curve (Pallas), where the circuit lives.
pub type Scalar = <nova_snark::provider::PallasEngine as nova_snark::traits::Engine>::Scalar;

/// A signed integer as a field element: negative `v` becomes `p - |v|`.
pub fn to_field<F: ff::PrimeField>(v: i128) -> F {
    let magnitude = F::from_u128(v.unsigned_abs());
    if v < 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// The signed integer a field element stands for, when its magnitude is below
/// `2^126`; `None` otherwise (a value no honest computation produces).
pub fn from_field<F: ff::PrimeField>(f: &F) -> Option<i128> {
    let small = |x: &F| -> Option<i128> {
        let repr = x.to_repr();
        let bytes = repr.as_ref();
        if bytes[16..].iter().any(|&b| b != 0) {
            return None;
        }
        let mut low = [0u8; 16];
        low.copy_from_slice(&bytes[..16]);
        let v = u128::from_le_bytes(low);
        (v < (1u128 << 126)).then_some(v as i128)
    };
    small(f).or_else(|| small(&-*f).map(|v| -v))
}

#[cfg(test)]
mod field_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn field_round_trip(v in -(1i128 << 125)..(1i128 << 125)) {
            prop_assert_eq!(from_field(&to_field::<Scalar>(v)), Some(v));
        }
    }

    #[test]
    fn huge_field_elements_are_not_small_integers() {
        let big = <Scalar as ff::PrimeField>::from_u128(u128::MAX)
            * <Scalar as ff::PrimeField>::from_u128(u128::MAX);
        assert_eq!(from_field(&big), None);
        assert_eq!(from_field(&-Scalar::from(1u64)), Some(-1));
    }
}
