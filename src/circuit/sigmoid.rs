//! The sigmoid gadget. Native twin: [`Sigmoid::eval_fixed`].
//!
//! `s(z) = clamp(floor(z / 2^a) + 2^(F-1), 0, 2^F)` with slope `2^-a`. The
//! logit `z` arrives as the `k` bits of `u = z + 2^(k-1)`, already
//! range-checked by the dot-product truncation, so the gadget costs seven
//! constraints:
//!
//! * `floor(z / 2^a)` is the bits from `a` upwards: free;
//! * with `t = F - 1 + a`, the top bit `b_(k-1)` is `z >= 0`; for `z >= 0`,
//!   `z >= 2^t` iff one of the bits `t..k-2` is set; for `z < 0`,
//!   `z >= -2^t` iff all of them are set. Both are zero tests of a sum of
//!   bits (2 constraints each), and the selectors are products of booleans
//!   (1 constraint each), so each selector is itself boolean and at most one
//!   of them is 1;
//! * `s = hi * 2^F + (1 - hi - lo) * lin` (1 constraint).

use ff::Field;
use nova_snark::frontend::{num::AllocatedNum, ConstraintSystem, SynthesisError};

use super::gadgets::{bits_lin, enforce_mul, is_zero, mul, pow2, Lin, Signed};
use crate::fixed::{Scalar, Sigmoid};

/// `s(z)` for `z` given by its `k` signed bits; returns `s` in `[0, 2^F]`.
pub fn sigmoid<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    kind: Sigmoid,
    frac_bits: u32,
    z: &Signed,
) -> Result<Lin, SynthesisError> {
    let k = z.bits.len() as u32;
    let a = kind.slope_shift();
    let t = frac_bits - 1 + a;
    assert!(t + 2 <= k, "the logit must have at least F + a + 1 bits");
    let one = pow2(frac_bits);

    // lin = floor(z / 2^a) + 2^(F-1) = sum_{i>=a} b_i 2^(i-a) - 2^(k-1-a) + 2^(F-1)
    let lin = bits_lin(&z.bits[a as usize..])
        .sub(&Lin::constant::<CS>(pow2(k - 1 - a)))
        .add(&Lin::constant::<CS>(pow2(frac_bits - 1)));

    let sign = Lin::bit(&z.bits[k as usize - 1]);
    let middle = &z.bits[t as usize..k as usize - 1];
    let count = Lin::sum(&middle.iter().map(Lin::bit).collect::<Vec<_>>());
    let width = Lin::constant::<CS>(Scalar::from(middle.len() as u64));
    let none_set = is_zero(cs.namespace(|| "none of the middle bits"), &count)?;
    let all_set = is_zero(
        cs.namespace(|| "all of the middle bits"),
        &width.sub(&count),
    )?;
    let one_lin = Lin::constant::<CS>(Scalar::ONE);

    // hi = sign * (1 - none_set): z >= 2^t
    let hi = mul(cs.namespace(|| "hi"), &sign, &one_lin.sub(&none_set))?;
    // lo = (1 - sign) * (1 - all_set): z < -2^t
    let lo = mul(
        cs.namespace(|| "lo"),
        &one_lin.sub(&sign),
        &one_lin.sub(&all_set),
    )?;

    // (1 - hi - lo) * lin = s - hi * 2^F
    let s_value = hi.value * one + (Scalar::ONE - hi.value - lo.value) * lin.value;
    let s = AllocatedNum::alloc(cs.namespace(|| "s"), || Ok(s_value))?;
    let s = Lin::num(&s, s_value);
    enforce_mul(
        cs.namespace(|| "select"),
        &one_lin.sub(&hi).sub(&lo),
        &lin,
        &s.sub(&hi.scale(one)),
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::gadgets::range_check_signed;
    use crate::circuit::gadgets::tests::{witness, Cs};
    use crate::fixed::{from_field, to_field};
    use proptest::prelude::*;

    const F: u32 = 16;
    const K: u32 = 32;

    fn run(kind: Sigmoid, z: i128) -> (bool, i128) {
        let mut cs = Cs::new();
        let zl = witness(&mut cs, "z", z);
        let bits = range_check_signed(cs.namespace(|| "z bits"), &zl, z, K).unwrap();
        let s = sigmoid(cs.namespace(|| "sigmoid"), kind, F, &bits).unwrap();
        (cs.is_satisfied(), from_field(&s.value).unwrap())
    }

    proptest! {
        #[test]
        fn sigmoid_gadget_agrees_with_native(z in -(1i128 << 31)..(1i128 << 31)) {
            for kind in Sigmoid::ALL {
                let (ok, s) = run(kind, z);
                prop_assert!(ok);
                prop_assert_eq!(s, i128::from(kind.eval_fixed(z as i64, F)));
            }
        }
    }

    #[test]
    fn sigmoid_agrees_at_every_breakpoint_and_extreme() {
        for kind in Sigmoid::ALL {
            let t = 1i128 << (F - 1 + kind.slope_shift());
            for z in [
                -(1i128 << (K - 1)),
                (1i128 << (K - 1)) - 1,
                -t - 1,
                -t,
                -t + 1,
                -1,
                0,
                1,
                t - 1,
                t,
                t + 1,
            ] {
                let (ok, s) = run(kind, z);
                assert!(ok, "{kind} at {z}");
                assert_eq!(s, i128::from(kind.eval_fixed(z as i64, F)), "{kind} at {z}");
            }
        }
    }

    /// SOUNDNESS 8: near each breakpoint, replacing the output or any
    /// selector of the honest witness with the other piece's value fails.
    #[test]
    fn wrong_piece_is_unsatisfied() {
        use crate::circuit::testing::TamperCs;
        let run_tampered = |kind: Sigmoid, z: i128, path: &str, value: i128| {
            let mut cs = TamperCs::with(&[(path, to_field(value))]);
            let zn = AllocatedNum::alloc(cs.namespace(|| "z"), || Ok(to_field(z))).unwrap();
            let zl = Lin::num(&zn, to_field(z));
            let bits = range_check_signed(cs.namespace(|| "z bits"), &zl, z, K).unwrap();
            sigmoid(cs.namespace(|| "sigmoid"), kind, F, &bits).unwrap();
            cs.assert_all_used();
            cs.is_satisfied()
        };
        for kind in Sigmoid::ALL {
            let t = 1i128 << (F - 1 + kind.slope_shift());
            for z in [-t - 1, -t, -t + 1, t - 1, t, t + 1] {
                let honest = i128::from(kind.eval_fixed(z as i64, F));
                for wrong in [honest - 1, honest + 1, 0, 1 << F] {
                    if wrong != honest {
                        assert!(
                            !run_tampered(kind, z, "sigmoid/s/num", wrong),
                            "{kind} z={z} s={wrong}"
                        );
                    }
                }
                let hi = i128::from(z >= t);
                let lo = i128::from(z < -t);
                assert!(
                    !run_tampered(kind, z, "sigmoid/hi/product/num", 1 - hi),
                    "{kind} z={z}"
                );
                assert!(
                    !run_tampered(kind, z, "sigmoid/lo/product/num", 1 - lo),
                    "{kind} z={z}"
                );
                for test in ["none of the middle bits", "all of the middle bits"] {
                    let path = format!("sigmoid/{test}/out/num");
                    let flipped =
                        !run_tampered(kind, z, &path, 0) || !run_tampered(kind, z, &path, 1);
                    assert!(flipped, "{kind} z={z} {test}");
                }
            }
        }
    }
}
