//! The step circuit's generic R1CS gadgets over fixed-point integers: linear
//! expressions, range checks by bit decomposition, products, zero tests and
//! floor truncation. Each has its native twin in [`crate::fixed`] and an
//! agreement test below.

use ff::{Field, PrimeField};
use nova_snark::frontend::{
    num::AllocatedNum, AllocatedBit, ConstraintSystem, LinearCombination, SynthesisError, Variable,
};

use crate::fixed::{to_field, Scalar};

/// A linear combination of variables together with its value. Adding and
/// scaling cost no constraints; only products and bits do.
#[derive(Clone)]
pub struct Lin {
    pub lc: LinearCombination<Scalar>,
    pub value: Scalar,
}

impl Lin {
    /// The constant `c`.
    pub fn constant<CS: ConstraintSystem<Scalar>>(c: Scalar) -> Self {
        Lin {
            lc: LinearCombination::zero() + (c, CS::one()),
            value: c,
        }
    }

    /// A signed integer constant.
    pub fn int<CS: ConstraintSystem<Scalar>>(c: i128) -> Self {
        Self::constant::<CS>(to_field(c))
    }

    /// One variable with the given value.
    pub fn var(v: Variable, value: Scalar) -> Self {
        Lin {
            lc: LinearCombination::zero() + v,
            value,
        }
    }

    /// An allocated number.
    pub fn num(n: &AllocatedNum<Scalar>, value: Scalar) -> Self {
        Self::var(n.get_variable(), value)
    }

    /// A bit.
    pub fn bit(b: &AllocatedBit) -> Self {
        let value = if b.get_value() == Some(true) {
            Scalar::ONE
        } else {
            Scalar::ZERO
        };
        Self::var(b.get_variable(), value)
    }

    /// `self + other`.
    pub fn add(&self, other: &Lin) -> Lin {
        Lin {
            lc: self.lc.clone() + &other.lc,
            value: self.value + other.value,
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Lin) -> Lin {
        Lin {
            lc: self.lc.clone() - &other.lc,
            value: self.value - other.value,
        }
    }

    /// `c * self`.
    pub fn scale(&self, c: Scalar) -> Lin {
        Lin {
            lc: LinearCombination::zero() + (c, &self.lc),
            value: self.value * c,
        }
    }

    /// Sum of `terms`.
    pub fn sum<'a>(terms: impl IntoIterator<Item = &'a Lin>) -> Lin {
        let mut acc = Lin {
            lc: LinearCombination::zero(),
            value: Scalar::ZERO,
        };
        for t in terms {
            acc = acc.add(t);
        }
        acc
    }
}

/// `2^k` as a field element.
pub fn pow2(k: u32) -> Scalar {
    Scalar::from(2u64).pow_vartime([u64::from(k)])
}

/// Allocates a number equal to `a` (1 constraint): needed where an API wants
/// an [`AllocatedNum`], such as the step outputs.
pub fn alloc_lin<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    a: &Lin,
) -> Result<AllocatedNum<Scalar>, SynthesisError> {
    let n = AllocatedNum::alloc(cs.namespace(|| "value"), || Ok(a.value))?;
    // n * 1 = a
    cs.enforce(
        || "n = a",
        |lc| lc + n.get_variable(),
        |lc| lc + CS::one(),
        |lc| lc + &a.lc,
    );
    Ok(n)
}

/// `a * b` (1 constraint).
pub fn mul<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    a: &Lin,
    b: &Lin,
) -> Result<Lin, SynthesisError> {
    let value = a.value * b.value;
    let p = AllocatedNum::alloc(cs.namespace(|| "product"), || Ok(value))?;
    // a * b = p
    cs.enforce(
        || "a * b = p",
        |lc| lc + &a.lc,
        |lc| lc + &b.lc,
        |lc| lc + p.get_variable(),
    );
    Ok(Lin::num(&p, value))
}

/// Enforces `a * b = c` for linear `c` (1 constraint).
pub fn enforce_mul<CS: ConstraintSystem<Scalar>>(mut cs: CS, a: &Lin, b: &Lin, c: &Lin) {
    cs.enforce(
        || "a * b = c",
        |lc| lc + &a.lc,
        |lc| lc + &b.lc,
        |lc| lc + &c.lc,
    );
}

/// Enforces `a = b` (1 constraint).
pub fn enforce_eq<CS: ConstraintSystem<Scalar>>(mut cs: CS, a: &Lin, b: &Lin) {
    // (a - b) * 1 = 0
    cs.enforce(
        || "a = b",
        |lc| lc + &a.lc - &b.lc,
        |lc| lc + CS::one(),
        |lc| lc,
    );
}

/// The low `n` bits of a field element's canonical representation.
fn low_bits(value: &Scalar, n: u32) -> Vec<bool> {
    let repr = value.to_repr();
    let bytes = repr.as_ref();
    (0..n as usize)
        .map(|i| i / 8 < bytes.len() && (bytes[i / 8] >> (i % 8)) & 1 == 1)
        .collect()
}

/// Allocates `n` boolean variables holding the low bits of `value` (`n`
/// constraints, one booleanity check each). The caller ties them to a value
/// with a linear equation; a value that does not fit in `n` bits then leaves
/// the circuit unsatisfied.
pub fn alloc_bits<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    value: &Scalar,
    n: u32,
) -> Result<Vec<AllocatedBit>, SynthesisError> {
    low_bits(value, n)
        .into_iter()
        .enumerate()
        .map(|(i, b)| AllocatedBit::alloc(cs.namespace(|| format!("bit {i}")), Some(b)))
        .collect()
}

/// `sum_i 2^i bits_i`.
pub fn bits_lin(bits: &[AllocatedBit]) -> Lin {
    let mut acc = Lin {
        lc: LinearCombination::zero(),
        value: Scalar::ZERO,
    };
    let mut coeff = Scalar::ONE;
    for b in bits {
        acc = acc.add(&Lin::bit(b).scale(coeff));
        coeff = coeff.double();
    }
    acc
}

/// A signed value in `[-2^(k-1), 2^(k-1))` given by its `k` bits: the bits of
/// `v + 2^(k-1)`. The returned [`Lin`] is `bits - 2^(k-1)`, so it costs only
/// the `k` booleanity constraints; the caller constrains it.
pub struct Signed {
    pub bits: Vec<AllocatedBit>,
    pub lin: Lin,
}

/// Allocates the signed value `v` as `k` bits (`k` constraints).
pub fn alloc_signed<CS: ConstraintSystem<Scalar>>(
    cs: CS,
    v: i128,
    k: u32,
) -> Result<Signed, SynthesisError> {
    let offset = 1i128 << (k - 1);
    let bits = alloc_bits(cs, &to_field(v + offset), k)?;
    let lin = bits_lin(&bits).sub(&Lin::int::<CS>(offset));
    Ok(Signed { bits, lin })
}

/// Range check: enforces `-2^(k-1) <= a < 2^(k-1)` (`k + 1` constraints) and
/// returns the bits.
pub fn range_check_signed<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    a: &Lin,
    a_int: i128,
    k: u32,
) -> Result<Signed, SynthesisError> {
    let s = alloc_signed(cs.namespace(|| "bits"), a_int, k)?;
    enforce_eq(cs.namespace(|| "recompose"), &s.lin, a);
    Ok(s)
}

/// `1` if `a = 0` else `0` (2 constraints). Native twin: `a == 0`.
pub fn is_zero<CS: ConstraintSystem<Scalar>>(mut cs: CS, a: &Lin) -> Result<Lin, SynthesisError> {
    let out_value = if a.value.is_zero_vartime() {
        Scalar::ONE
    } else {
        Scalar::ZERO
    };
    let inv_value = a.value.invert().unwrap_or(Scalar::ZERO);
    let out = AllocatedNum::alloc(cs.namespace(|| "out"), || Ok(out_value))?;
    let inv = AllocatedNum::alloc(cs.namespace(|| "inv"), || Ok(inv_value))?;
    // a * inv = 1 - out: when a != 0 this forces out = 1 - a*inv, and with the
    // next constraint out = 0; when a = 0 it forces out = 1.
    cs.enforce(
        || "a * inv = 1 - out",
        |lc| lc + &a.lc,
        |lc| lc + inv.get_variable(),
        |lc| lc + CS::one() - out.get_variable(),
    );
    // a * out = 0
    cs.enforce(
        || "a * out = 0",
        |lc| lc + &a.lc,
        |lc| lc + out.get_variable(),
        |lc| lc,
    );
    Ok(Lin::num(&out, out_value))
}

/// Floor truncation of a signed `acc` by `shift` bits with the quotient
/// given as a linear expression the caller has range-checked:
/// enforces `acc = q * 2^shift + r` with `r` in `[0, 2^shift)` (`shift + 1`
/// constraints). Native twin: [`crate::fixed::floor_shift`].
///
/// Soundness: `r` is range-checked here and `q` by the caller, and both sides
/// are far below `p/2` in absolute value (see [`crate::fixed`]), so the field
/// equation is the integer equation and `q = floor(acc / 2^shift)` is the
/// only solution.
pub fn enforce_floor_shift<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    acc: &Lin,
    acc_int: i128,
    shift: u32,
    q: &Lin,
) -> Result<(), SynthesisError> {
    let r = acc_int.rem_euclid(1i128 << shift);
    let r_bits = alloc_bits(cs.namespace(|| "remainder"), &to_field(r), shift)?;
    // acc = q * 2^shift + r
    enforce_eq(
        cs.namespace(|| "acc = q * 2^shift + r"),
        acc,
        &q.scale(pow2(shift)).add(&bits_lin(&r_bits)),
    );
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fixed::{floor_shift, from_field};
    use nova_snark::frontend::test_cs::TestConstraintSystem;
    use proptest::prelude::*;

    pub type Cs = TestConstraintSystem<Scalar>;

    /// Allocates a free witness with the given integer value.
    pub fn witness(cs: &mut Cs, name: &str, v: i128) -> Lin {
        let value = to_field(v);
        let n = AllocatedNum::alloc(cs.namespace(|| name.to_string()), || Ok(value)).unwrap();
        Lin::num(&n, value)
    }

    /// Floor truncation with the quotient range-checked to `k` bits.
    fn trunc(cs: &mut Cs, acc: i128, shift: u32, k: u32, q_claim: i128, r_override: Option<i128>) {
        let a = witness(cs, "acc", acc);
        let q = alloc_signed(cs.namespace(|| "q"), q_claim, k).unwrap();
        match r_override {
            None => enforce_floor_shift(cs.namespace(|| "t"), &a, acc, shift, &q.lin).unwrap(),
            Some(r) => {
                // Same constraints, remainder chosen by the test.
                let bits = alloc_bits(cs.namespace(|| "r"), &to_field(r), shift).unwrap();
                enforce_eq(
                    cs.namespace(|| "eq"),
                    &a,
                    &q.lin.scale(pow2(shift)).add(&bits_lin(&bits)),
                );
            }
        }
    }

    proptest! {
        #[test]
        fn floor_shift_gadget_agrees_with_native(acc in -(1i128 << 60)..(1i128 << 60), shift in 1u32..24) {
            let mut cs = Cs::new();
            let q = floor_shift(acc, shift);
            trunc(&mut cs, acc, shift, 62, q, None);
            prop_assert!(cs.is_satisfied());
        }

        #[test]
        fn signed_range_check_accepts_exactly_the_range(v in -(1i128 << 20)..(1i128 << 20)) {
            let k = 16;
            let mut cs = Cs::new();
            let a = witness(&mut cs, "a", v);
            let s = range_check_signed(cs.namespace(|| "rc"), &a, v, k).unwrap();
            let inside = (-(1i128 << (k - 1))..(1i128 << (k - 1))).contains(&v);
            prop_assert_eq!(cs.is_satisfied(), inside);
            if inside {
                prop_assert_eq!(from_field(&s.lin.value), Some(v));
            }
        }

        #[test]
        fn is_zero_agrees(v in -1000i128..1000) {
            let mut cs = Cs::new();
            let a = witness(&mut cs, "a", v);
            let z = is_zero(cs.namespace(|| "z"), &a).unwrap();
            prop_assert!(cs.is_satisfied());
            prop_assert_eq!(z.value == Scalar::ONE, v == 0);
        }

        #[test]
        fn mul_agrees(a in -(1i128 << 60)..(1i128 << 60), b in -(1i128 << 60)..(1i128 << 60)) {
            let mut cs = Cs::new();
            let x = witness(&mut cs, "a", a);
            let y = witness(&mut cs, "b", b);
            let p = mul(cs.namespace(|| "m"), &x, &y).unwrap();
            prop_assert!(cs.is_satisfied());
            prop_assert_eq!(from_field(&p.value), Some(a * b));
        }
    }

    #[test]
    fn truncation_extremes_satisfy() {
        for acc in [-(1i128 << 61), (1i128 << 61) - 1, -1, 0, 1] {
            let mut cs = Cs::new();
            trunc(&mut cs, acc, 16, 47, floor_shift(acc, 16), None);
            assert!(cs.is_satisfied(), "{acc}");
        }
    }

    /// SOUNDNESS 1: the remainder must be in [0, 2^F).
    #[test]
    fn remainder_out_of_range_is_unsatisfied() {
        let acc = 123_456_789i128;
        let q = floor_shift(acc, 16);
        let r = acc - q * 65536;
        let mut cs = Cs::new();
        trunc(&mut cs, acc, 16, 32, q - 1, Some(r + 65536));
        assert!(!cs.is_satisfied());
        // The honest pair satisfies the very same constraints.
        let mut cs = Cs::new();
        trunc(&mut cs, acc, 16, 32, q, Some(r));
        assert!(cs.is_satisfied());
    }

    /// SOUNDNESS 2: the quotient must be range-checked: the field quotient of
    /// a wrong remainder is huge and does not fit its bits.
    #[test]
    fn quotient_of_a_wrong_remainder_is_unsatisfied() {
        let acc = 123_456_789i128;
        let q = floor_shift(acc, 16);
        let r = acc - q * 65536 + 1;
        // q' = (acc - r') / 2^16 in the field: not a small integer.
        let q_field =
            (to_field::<Scalar>(acc) - to_field::<Scalar>(r)) * pow2(16).invert().unwrap();
        assert_eq!(from_field(&q_field), None);
        let mut cs = Cs::new();
        let a = witness(&mut cs, "acc", acc);
        let q_bits = alloc_bits(cs.namespace(|| "q"), &(q_field + pow2(31)), 32).unwrap();
        let q_lin = bits_lin(&q_bits).sub(&Lin::int::<Cs>(1 << 31));
        let r_bits = alloc_bits(cs.namespace(|| "r"), &to_field(r), 16).unwrap();
        enforce_eq(
            cs.namespace(|| "eq"),
            &a,
            &q_lin.scale(pow2(16)).add(&bits_lin(&r_bits)),
        );
        assert!(!cs.is_satisfied());
    }

    /// SOUNDNESS 4: `p - 1` is not a small positive value.
    #[test]
    fn minus_one_as_field_element_fails_unsigned_bits() {
        let mut cs = Cs::new();
        let a = witness(&mut cs, "a", -1);
        let bits = alloc_bits(cs.namespace(|| "b"), &a.value, 20).unwrap();
        enforce_eq(cs.namespace(|| "eq"), &a, &bits_lin(&bits));
        assert!(!cs.is_satisfied());
    }
}
