//! The Poseidon gadgets of the dataset commitment. Native twins:
//! [`crate::commitment::poseidon`] and [`crate::commitment::pack_bits`].

use nova_snark::frontend::{
    gadgets::poseidon::{Elt, IOPattern, Simplex, SpongeAPI, SpongeCircuit, SpongeOp, SpongeTrait},
    num::AllocatedNum,
    AllocatedBit, ConstraintSystem, SynthesisError,
};

use super::gadgets::{alloc_lin, bits_lin};
use crate::commitment::{poseidon_constants, weights_constants, PACK_BITS};
use crate::fixed::Scalar;

/// One sponge call in the circuit with the given constants (a macro for
/// the reason given at the native one: the arity trait is private to nova).
macro_rules! sponge_gadget {
    ($cs:expr, $constants:expr, $domain:expr, $inputs:expr) => {{
        let mut cs = $cs;
        let inputs: &[AllocatedNum<Scalar>] = $inputs;
        let pattern = IOPattern(vec![
            SpongeOp::Absorb(inputs.len() as u32),
            SpongeOp::Squeeze(1),
        ]);
        let elts: Vec<Elt<Scalar>> = inputs.iter().cloned().map(Elt::Allocated).collect();
        let mut ns = cs.namespace(|| "sponge");
        let out = {
            let mut sponge = SpongeCircuit::new_with_constants($constants, Simplex);
            sponge.start(pattern, Some($domain), &mut ns);
            SpongeAPI::absorb(&mut sponge, inputs.len() as u32, &elts, &mut ns);
            let out = SpongeAPI::squeeze(&mut sponge, 1, &mut ns);
            sponge
                .finish(&mut ns)
                .map_err(|e| SynthesisError::Unsatisfiable(format!("sponge: {e:?}")))?;
            out
        };
        let hash = out[0].ensure_allocated(&mut ns.namespace(|| "hash"));
        hash
    }};
}

/// One sponge call: absorb `inputs` under `domain`, squeeze one element.
pub fn poseidon<CS: ConstraintSystem<Scalar>>(
    cs: CS,
    domain: u32,
    inputs: &[AllocatedNum<Scalar>],
) -> Result<AllocatedNum<Scalar>, SynthesisError> {
    sponge_gadget!(cs, poseidon_constants(), domain, inputs)
}

/// One call of the weights commitment's narrower sponge (native twin:
/// [`crate::commitment::poseidon_weights`]).
pub fn poseidon_weights<CS: ConstraintSystem<Scalar>>(
    cs: CS,
    domain: u32,
    inputs: &[AllocatedNum<Scalar>],
) -> Result<AllocatedNum<Scalar>, SynthesisError> {
    sponge_gadget!(cs, weights_constants(), domain, inputs)
}

/// Packs bits into field elements of [`PACK_BITS`] bits, least significant
/// first: one constraint per element.
pub fn pack_bits<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    bits: &[AllocatedBit],
) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
    bits.chunks(PACK_BITS)
        .enumerate()
        .map(|(e, chunk)| alloc_lin(cs.namespace(|| format!("element {e}")), &bits_lin(chunk)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::gadgets::{alloc_bits, tests::Cs};
    use crate::commitment::{self, BLOCK_DOMAIN, BLOCK_ROWS};
    use crate::fixed::{to_field, FixedFormat};
    use ff::Field;
    use proptest::prelude::*;

    /// The block hash from allocated label and feature bits.
    fn circuit_block_hash(
        prev: Scalar,
        rows: &[Vec<i64>],
        labels: &[u8],
        fmt: &FixedFormat,
    ) -> (bool, Scalar) {
        let mut cs = Cs::new();
        let h = AllocatedNum::alloc(cs.namespace(|| "prev"), || Ok(prev)).unwrap();
        let mut bits = Vec::new();
        for (i, (row, &y)) in rows.iter().zip(labels).enumerate() {
            bits.push(
                AllocatedBit::alloc(cs.namespace(|| format!("label {i}")), Some(y == 1)).unwrap(),
            );
            for (j, &x) in row.iter().enumerate() {
                let shifted = to_field(i128::from(x + fmt.feature_half_range()));
                bits.extend(
                    alloc_bits(
                        cs.namespace(|| format!("x{i} {j}")),
                        &shifted,
                        fmt.feature_bits(),
                    )
                    .unwrap(),
                );
            }
        }
        let mut inputs = vec![h];
        inputs.extend(pack_bits(cs.namespace(|| "pack"), &bits).unwrap());
        let out = poseidon(cs.namespace(|| "hash"), BLOCK_DOMAIN, &inputs).unwrap();
        (cs.is_satisfied(), out.get_value().unwrap())
    }

    #[test]
    fn weights_sponge_gadget_agrees_with_native() {
        // One permutation (up to 8 inputs) and several (the packed weights
        // of large recipes); the two sponges and two domains never agree.
        for len in [1usize, 2, 6, 8, 9, 17, 104] {
            let values: Vec<Scalar> = (0..len)
                .map(|i| Scalar::from(7 + i as u64).pow_vartime([3 + i as u64]))
                .collect();
            let mut cs = Cs::new();
            let inputs: Vec<AllocatedNum<Scalar>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    AllocatedNum::alloc(cs.namespace(|| format!("in {i}")), || Ok(*v)).unwrap()
                })
                .collect();
            let domain = commitment::WEIGHTS_DOMAIN;
            let out = poseidon_weights(cs.namespace(|| "hash"), domain, &inputs).unwrap();
            assert!(cs.is_satisfied(), "{len} inputs");
            let native = commitment::poseidon_weights(domain, &values);
            assert_eq!(out.get_value().unwrap(), native, "{len} inputs");
            assert_ne!(native, commitment::poseidon(domain, &values));
            assert_ne!(native, commitment::poseidon_weights(BLOCK_DOMAIN, &values));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn block_hash_gadget_agrees_with_native(
            features in 1usize..60,
            seed in any::<u64>(),
            prev in any::<u64>(),
        ) {
            let fmt = FixedFormat::default();
            let half = fmt.feature_half_range() as u64;
            let mut s = seed;
            let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1); (s >> 20) % (2 * half) };
            let rows: Vec<Vec<i64>> = (0..BLOCK_ROWS)
                .map(|_| (0..features).map(|_| next() as i64 - half as i64).collect())
                .collect();
            let labels: Vec<u8> = (0..BLOCK_ROWS).map(|_| (next() % 2) as u8).collect();
            let prev = Scalar::from(prev);
            let (ok, h) = circuit_block_hash(prev, &rows, &labels, &fmt);
            prop_assert!(ok);
            prop_assert_eq!(h, commitment::hash_block(prev, &rows, &labels, &fmt));
        }
    }

    #[test]
    fn block_hash_agrees_at_range_extremes() {
        let fmt = FixedFormat::default();
        let rows = crate::circuit::testing::extreme_rows(BLOCK_ROWS, 5, &fmt);
        let labels = vec![1; BLOCK_ROWS];
        let (ok, h) = circuit_block_hash(Scalar::ZERO, &rows, &labels, &fmt);
        assert!(ok);
        assert_eq!(
            h,
            commitment::hash_block(Scalar::ZERO, &rows, &labels, &fmt)
        );
    }
}
