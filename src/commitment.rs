//! The dataset commitment: a Poseidon hash chain over the quantized training
//! rows, in order, sealed with a secret random salt.
//!
//! ```text
//! h_0     = 0
//! h_{i+1} = Poseidon_row(h_i, pack(label_i, x_i0 + H, ..., x_i(d-1) + H))
//! C       = Poseidon_seal(salt, h_n)
//! ```
//!
//! `H = 2^(F+cx)` shifts each feature into `[0, 2^(F+cx+1))`; the label is one
//! bit. Values are packed into field elements of at most [`PACK_BITS`] bits,
//! so packing is injective (the circuit range-checks every value before it
//! packs). The sponge is nova-snark's Poseidon (width 8 + 1, standard
//! strength), the same constants the circuit uses, and each hash has its own
//! domain separator. The salt (a uniformly random field element, about 254
//! bits, from the OS RNG) makes the commitment hiding: without it nobody can
//! test a guessed dataset against `C`.

use std::sync::OnceLock;

use ff::{Field, PrimeField};
use nova_snark::frontend::gadgets::poseidon::{
    IOPattern, PoseidonConstants, Simplex, Sponge, SpongeAPI, SpongeOp, SpongeTrait, Strength,
};
use serde::{Deserialize, Serialize};
use typenum::U8;

use crate::dataset::FixedDataset;
use crate::error::{Error, Result};
use crate::fixed::{FixedFormat, Scalar};

/// Bits packed into one field element. Pallas's scalar field has
/// `p > 2^253`, so a sum of values below `2^252` never wraps.
pub const PACK_BITS: u32 = 252;
/// Sponge domain separator of a row hash.
pub const ROW_DOMAIN: u32 = 0x726f_7731; // "row1"
/// Sponge domain separator of the seal `Poseidon(salt, h_n)`.
pub const SEAL_DOMAIN: u32 = 0x7365_616c; // "seal"

/// The width of the sponge: rate 8 holds the previous hash and up to seven
/// packed elements (about 80 features at the default format) in one
/// permutation.
pub type HashArity = U8;

/// Poseidon constants shared by the native hash and the circuit, computed once.
pub fn poseidon_constants() -> &'static PoseidonConstants<Scalar, HashArity> {
    static CONSTANTS: OnceLock<PoseidonConstants<Scalar, HashArity>> = OnceLock::new();
    CONSTANTS.get_or_init(|| Sponge::<Scalar, HashArity>::api_constants(Strength::Standard))
}

/// Which packed element each value of a row goes to, in order. Value 0 is the
/// label (1 bit); value `1 + j` is feature `j` (`feature_bits` bits).
pub fn pack_layout(features: usize, feature_bits: u32) -> Vec<Vec<usize>> {
    let mut layout: Vec<Vec<usize>> = Vec::new();
    let mut current = vec![0];
    let mut used = 1;
    for j in 0..features {
        if used + feature_bits > PACK_BITS {
            layout.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(1 + j);
        used += feature_bits;
    }
    layout.push(current);
    layout
}

/// Bit width of value `v` in a row (see [`pack_layout`]).
pub fn value_bits(v: usize, feature_bits: u32) -> u32 {
    if v == 0 {
        1
    } else {
        feature_bits
    }
}

/// The non-negative integers that a row packs: label, then shifted features.
pub fn row_values(row: &[i64], label: u8, format: &FixedFormat) -> Vec<u64> {
    let shift = format.feature_half_range();
    std::iter::once(u64::from(label))
        .chain(row.iter().map(|&x| (x + shift) as u64))
        .collect()
}

/// Packs a row into field elements (native twin of the circuit's packing).
pub fn pack_row(row: &[i64], label: u8, format: &FixedFormat) -> Vec<Scalar> {
    let values = row_values(row, label, format);
    let bits = format.feature_bits();
    pack_layout(row.len(), bits)
        .iter()
        .map(|element| {
            let mut acc = Scalar::ZERO;
            let mut coeff = Scalar::ONE;
            for &v in element {
                acc += coeff * Scalar::from(values[v]);
                coeff *= Scalar::from(2u64).pow_vartime([u64::from(value_bits(v, bits))]);
            }
            acc
        })
        .collect()
}

/// One sponge call: absorb `inputs` under `domain`, squeeze one element.
pub fn poseidon(domain: u32, inputs: &[Scalar]) -> Scalar {
    let mut sponge = Sponge::new_with_constants(poseidon_constants(), Simplex);
    let acc = &mut ();
    let pattern = IOPattern(vec![
        SpongeOp::Absorb(inputs.len() as u32),
        SpongeOp::Squeeze(1),
    ]);
    sponge.start(pattern, Some(domain), acc);
    SpongeAPI::absorb(&mut sponge, inputs.len() as u32, inputs, acc);
    let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
    // `finish` only fails when the IO pattern was not followed, which the two
    // calls above do by construction.
    let _ = sponge.finish(acc);
    out[0]
}

/// `h_{i+1}` from `h_i` and the row.
pub fn hash_row(prev: Scalar, row: &[i64], label: u8, format: &FixedFormat) -> Scalar {
    let mut inputs = vec![prev];
    inputs.extend(pack_row(row, label, format));
    poseidon(ROW_DOMAIN, &inputs)
}

/// `h_n`: the chain over every row of `data`.
pub fn chain(data: &FixedDataset, format: &FixedFormat) -> Scalar {
    data.rows
        .iter()
        .zip(&data.labels)
        .fold(Scalar::ZERO, |h, (row, &y)| hash_row(h, row, y, format))
}

/// `C = Poseidon_seal(salt, h_n)`.
pub fn seal(salt: &Salt, chain_hash: Scalar) -> Commitment {
    Commitment(poseidon(SEAL_DOMAIN, &[salt.0, chain_hash]))
}

/// The public dataset commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment(pub Scalar);

/// The secret salt of a commitment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Salt(pub Scalar);

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(<secret>)")
    }
}

impl Salt {
    /// A fresh uniformly random salt from the operating system's RNG.
    pub fn random() -> Self {
        Salt(Scalar::random(rand_core::OsRng))
    }
}

/// Lower-case hex of a field element's canonical little-endian encoding.
pub fn scalar_to_hex(s: &Scalar) -> String {
    hex::encode(s.to_repr())
}

/// Parses [`scalar_to_hex`]'s output; `None` for anything else.
pub fn scalar_from_hex(text: &str) -> Option<Scalar> {
    let bytes = hex::decode(text).ok()?;
    let mut repr = <Scalar as PrimeField>::Repr::default();
    if bytes.len() != repr.as_ref().len() {
        return None;
    }
    repr.as_mut().copy_from_slice(&bytes);
    Option::from(Scalar::from_repr(repr))
}

macro_rules! hex_serde {
    ($t:ident) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&scalar_to_hex(&self.0))
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                scalar_from_hex(&text).map($t).ok_or_else(|| {
                    serde::de::Error::custom("expected 64 hex digits of a canonical field element")
                })
            }
        }
    };
}
hex_serde!(Commitment);
hex_serde!(Salt);

impl std::fmt::Display for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&scalar_to_hex(&self.0))
    }
}

/// The private opening of a commitment: what it takes, with the CSV, to
/// recompute it. Keep it secret: with it anyone can test guesses of the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opening {
    /// Artifact kind, always [`Opening::KIND`].
    pub kind: String,
    /// Format version.
    pub version: u32,
    /// The commitment this opens.
    pub commitment: Commitment,
    /// The secret salt.
    pub salt: Salt,
    /// Hex of `h_n`, the row chain before sealing.
    pub chain_hash: String,
    /// Training rows committed.
    pub rows: usize,
    /// Features per row.
    pub features: usize,
    /// How the rows were quantized.
    pub format: FixedFormat,
    /// Share of the CSV's rows (in file order) that train and are committed.
    pub train_fraction: f64,
    /// sha256 of the CSV file the rows came from.
    pub source_sha256: String,
}

impl Opening {
    /// The `kind` field of an opening file.
    pub const KIND: &'static str = "foldtrain-opening";

    /// Commits to `data` with a fresh salt.
    pub fn commit(
        data: &FixedDataset,
        format: &FixedFormat,
        train_fraction: f64,
        source_sha256: String,
    ) -> Self {
        Self::commit_with_salt(data, format, train_fraction, source_sha256, Salt::random())
    }

    /// Commits to `data` with the given salt.
    pub fn commit_with_salt(
        data: &FixedDataset,
        format: &FixedFormat,
        train_fraction: f64,
        source_sha256: String,
        salt: Salt,
    ) -> Self {
        let h = chain(data, format);
        Opening {
            kind: Self::KIND.into(),
            version: crate::recipe::FORMAT_VERSION,
            commitment: seal(&salt, h),
            salt,
            chain_hash: scalar_to_hex(&h),
            rows: data.len(),
            features: data.features(),
            format: *format,
            train_fraction,
            source_sha256,
        }
    }

    /// Checks the opening against `data`: the same rows give the same chain
    /// and the salt seals it to the recorded commitment.
    pub fn check(&self, data: &FixedDataset) -> Result<()> {
        let h = chain(data, &self.format);
        if scalar_to_hex(&h) != self.chain_hash {
            return Err(Error::Rejected(
                "the data does not hash to the opening's chain: these are not the committed rows"
                    .into(),
            ));
        }
        if seal(&self.salt, h) != self.commitment {
            return Err(Error::Rejected(
                "the opening's salt does not seal the chain to its commitment".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> FixedDataset {
        FixedDataset {
            rows: vec![vec![1, -2, 3], vec![0, 5, -6], vec![7, 8, 9]],
            labels: vec![0, 1, 1],
        }
    }

    #[test]
    fn commitment_changes_with_every_input() {
        let fmt = FixedFormat::default();
        let salt = Salt(Scalar::from(42u64));
        let base = seal(&salt, chain(&data(), &fmt));
        let mut changed = Vec::new();
        let mut d = data();
        d.rows[1][2] += 1;
        changed.push(seal(&salt, chain(&d, &fmt)));
        let mut d = data();
        d.labels[0] = 1;
        changed.push(seal(&salt, chain(&d, &fmt)));
        let mut d = data();
        d.rows.swap(0, 2);
        d.labels.swap(0, 2);
        changed.push(seal(&salt, chain(&d, &fmt)));
        let mut d = data();
        d.rows.pop();
        d.labels.pop();
        changed.push(seal(&salt, chain(&d, &fmt)));
        changed.push(seal(&Salt(Scalar::from(43u64)), chain(&data(), &fmt)));
        for c in changed {
            assert_ne!(c, base);
        }
        assert_eq!(base, seal(&salt, chain(&data(), &fmt)));
    }

    #[test]
    fn opening_reproduces_commitment() {
        let fmt = FixedFormat::default();
        let o = Opening::commit(&data(), &fmt, 0.8, "00".into());
        assert!(o.check(&data()).is_ok());
        let mut d = data();
        d.rows[0][0] = 2;
        assert!(o.check(&d).is_err());
        let o2 = Opening::commit(&data(), &fmt, 0.8, "00".into());
        assert_ne!(o.salt, o2.salt, "salts come from the OS RNG");
        assert_ne!(o.commitment, o2.commitment);
        let json = serde_json::to_string(&o).unwrap();
        let back: Opening = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn packing_layout_fits_and_is_injective() {
        let fmt = FixedFormat::default();
        let layout = pack_layout(48, fmt.feature_bits());
        for e in &layout {
            let bits: u32 = e.iter().map(|&v| value_bits(v, fmt.feature_bits())).sum();
            assert!(bits <= PACK_BITS);
        }
        let all: Vec<usize> = layout.concat();
        assert_eq!(all, (0..49).collect::<Vec<_>>());
        let half = fmt.feature_half_range();
        let a = pack_row(&[-half, half - 1], 1, &fmt);
        let b = pack_row(&[-half, half - 2], 1, &fmt);
        assert_ne!(a, b);
    }

    #[test]
    fn hex_round_trip_and_rejection() {
        let s = Scalar::from(12345u64);
        assert_eq!(scalar_from_hex(&scalar_to_hex(&s)), Some(s));
        assert_eq!(scalar_from_hex("zz"), None);
        assert_eq!(scalar_from_hex(&"ff".repeat(32)), None); // not canonical
    }
}
