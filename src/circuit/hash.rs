//! The Poseidon gadgets of the dataset commitment. Native twins:
//! [`crate::commitment::poseidon`] and [`crate::commitment::pack_row`].

use nova_snark::frontend::{
    gadgets::poseidon::{Elt, IOPattern, Simplex, SpongeAPI, SpongeCircuit, SpongeOp, SpongeTrait},
    num::AllocatedNum,
    AllocatedBit, ConstraintSystem, SynthesisError,
};

use super::fixed::{alloc_lin, bits_lin, Lin};
use crate::commitment::{pack_layout, poseidon_constants};
use crate::fixed::Scalar;

/// One sponge call: absorb `inputs` under `domain`, squeeze one element.
pub fn poseidon<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    domain: u32,
    inputs: &[AllocatedNum<Scalar>],
) -> Result<AllocatedNum<Scalar>, SynthesisError> {
    let pattern = IOPattern(vec![
        SpongeOp::Absorb(inputs.len() as u32),
        SpongeOp::Squeeze(1),
    ]);
    let elts: Vec<Elt<Scalar>> = inputs.iter().cloned().map(Elt::Allocated).collect();
    let mut ns = cs.namespace(|| "sponge");
    let out = {
        let mut sponge = SpongeCircuit::new_with_constants(poseidon_constants(), Simplex);
        sponge.start(pattern, Some(domain), &mut ns);
        SpongeAPI::absorb(&mut sponge, inputs.len() as u32, &elts, &mut ns);
        let out = SpongeAPI::squeeze(&mut sponge, 1, &mut ns);
        sponge
            .finish(&mut ns)
            .map_err(|e| SynthesisError::Unsatisfiable(format!("sponge: {e:?}")))?;
        out
    };
    let hash = out[0].ensure_allocated(&mut ns.namespace(|| "hash"));
    hash
}

/// Packs a row's bits into field elements following
/// [`crate::commitment::pack_layout`]: value 0 is the label bit, value `1 + j`
/// the bits of shifted feature `j`. One constraint per packed element.
pub fn pack_row<CS: ConstraintSystem<Scalar>>(
    mut cs: CS,
    label: &AllocatedBit,
    features: &[Vec<AllocatedBit>],
) -> Result<Vec<AllocatedNum<Scalar>>, SynthesisError> {
    let bits_per_feature = features.first().map_or(0, |f| f.len()) as u32;
    pack_layout(features.len(), bits_per_feature)
        .iter()
        .enumerate()
        .map(|(e, element)| {
            let mut bits: Vec<AllocatedBit> = Vec::new();
            for &v in element {
                if v == 0 {
                    bits.push(label.clone());
                } else {
                    bits.extend(features[v - 1].iter().cloned());
                }
            }
            let packed: Lin = bits_lin(&bits);
            alloc_lin(cs.namespace(|| format!("element {e}")), &packed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::fixed::{alloc_bits, tests::Cs};
    use crate::commitment::{self, ROW_DOMAIN};
    use crate::fixed::{to_field, FixedFormat};
    use ff::Field;
    use proptest::prelude::*;

    fn circuit_row_hash(prev: Scalar, row: &[i64], label: u8, fmt: &FixedFormat) -> (bool, Scalar) {
        let mut cs = Cs::new();
        let h = AllocatedNum::alloc(cs.namespace(|| "prev"), || Ok(prev)).unwrap();
        let y = AllocatedBit::alloc(cs.namespace(|| "label"), Some(label == 1)).unwrap();
        let feats: Vec<Vec<AllocatedBit>> = row
            .iter()
            .enumerate()
            .map(|(j, &x)| {
                let shifted = to_field(i128::from(x + fmt.feature_half_range()));
                alloc_bits(
                    cs.namespace(|| format!("x{j}")),
                    &shifted,
                    fmt.feature_bits(),
                )
                .unwrap()
            })
            .collect();
        let mut inputs = vec![h];
        inputs.extend(pack_row(cs.namespace(|| "pack"), &y, &feats).unwrap());
        let out = poseidon(cs.namespace(|| "hash"), ROW_DOMAIN, &inputs).unwrap();
        (cs.is_satisfied(), out.get_value().unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn row_hash_gadget_agrees_with_native(
            row in prop::collection::vec(-(1i64 << 19)..(1i64 << 19), 1..40),
            label in 0u8..2,
            prev in any::<u64>(),
        ) {
            let fmt = FixedFormat::default();
            let prev = Scalar::from(prev);
            let (ok, h) = circuit_row_hash(prev, &row, label, &fmt);
            prop_assert!(ok);
            prop_assert_eq!(h, commitment::hash_row(prev, &row, label, &fmt));
        }
    }

    #[test]
    fn row_hash_agrees_at_range_extremes() {
        let fmt = FixedFormat::default();
        let half = fmt.feature_half_range();
        let row = vec![-half, half - 1, 0, -half, half - 1];
        let (ok, h) = circuit_row_hash(Scalar::ZERO, &row, 1, &fmt);
        assert!(ok);
        assert_eq!(h, commitment::hash_row(Scalar::ZERO, &row, 1, &fmt));
    }
}
