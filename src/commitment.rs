//! The dataset commitment: a Poseidon hash chain over the quantized training
//! rows, in order, in blocks of [`BLOCK_ROWS`] rows, sealed with a secret
//! random salt and the row count.
//!
//! ```text
//! h_0     = 0
//! h_{k+1} = Poseidon_block(h_k, pack(bits of rows 8k .. 8k+7))
//! C       = Poseidon_seal(salt, h_m, n)
//! ```
//!
//! Each row contributes its label bit, then each feature shifted by
//! `H = 2^(Fx+cx)` into `[0, 2^(Fx+cx+1))` as `Fx + cx + 1` bits. A block's
//! bits are concatenated and cut into field elements of [`PACK_BITS`] bits,
//! so packing is injective (the circuit range-checks every value by these
//! very bits). The last block is padded with zero rows (all features 0, label
//! 0); the row count in the seal tells the padding apart. Blocks of eight rows
//! fill one permutation of a width-24 Poseidon sponge at the default format
//! and 48 features (the whole hash costs about two constraints per feature),
//! and every batch size that is a multiple of eight starts on a block
//! boundary, so one commitment serves any such batch size. The sponge is
//! nova-snark's Poseidon (width 24 + 1, standard strength), with the same
//! constants in the circuit, and each hash has its own domain separator. The
//! salt (a uniformly random field element, about 254 bits, from the OS RNG)
//! makes the commitment hiding: without it nobody can test a guessed dataset
//! against `C`.

use std::sync::OnceLock;

use ff::{Field, PrimeField};
use nova_snark::frontend::gadgets::poseidon::{
    IOPattern, PoseidonConstants, Simplex, Sponge, SpongeAPI, SpongeOp, SpongeTrait, Strength,
};
use serde::{Deserialize, Serialize};
use typenum::{U24, U8};

use crate::dataset::{FixedDataset, Prepared, RawDataset, TrainFraction, RAW_BITS};
use crate::error::{Error, Result};
use crate::fixed::{to_field, FixedFormat, Scalar};
/// The packing constants, defined with the arithmetic contract; re-exported
/// for the circuit, which reads them beside the commitment's hash.
pub use crate::fixed::{BLOCK_ROWS, PACK_BITS};
use crate::group::{GroupColumn, GroupOpening};

/// Sponge domain separator of a block hash.
pub const BLOCK_DOMAIN: u32 = 0x626c_6b31; // "blk1"
/// Sponge domain separator of the seal `Poseidon(salt, h_m, n)`.
pub const SEAL_DOMAIN: u32 = 0x7365_616c; // "seal"
/// Sponge domain separator of a weights commitment `C_W`.
pub const WEIGHTS_DOMAIN: u32 = 0x7774_7331; // "wts1"
/// Sponge domain separator of a block of raw rows.
pub const RAW_BLOCK_DOMAIN: u32 = 0x7262_6b31; // "rbk1"
/// Sponge domain separator of the raw training rows' seal.
pub const RAW_SEAL_DOMAIN: u32 = 0x7273_6c31; // "rsl1"
/// Sponge domain separator of the raw test rows' seal.
pub const RAW_TEST_SEAL_DOMAIN: u32 = 0x7274_7331; // "rts1"
/// Sponge domain separator of a normalizer's commitment `C_N`.
pub const NORMALIZER_DOMAIN: u32 = 0x6e72_6d31; // "nrm1"
/// Sponge domain separator of the salt of `C_N`, derived from the raw
/// training rows' salt.
pub const NORMALIZER_SALT_DOMAIN: u32 = 0x6e73_6c31; // "nsl1"
/// Domain of the groups' commitment salt, derived from the test salt.
pub const GROUP_SALT_DOMAIN: u32 = 0x6773_6131; // "gsa1"
/// Sponge domain separator of a training state's commitment at a segment
/// boundary, `C_S = Poseidon(C_W, h, salt_S)`.
pub const STATE_DOMAIN: u32 = 0x7374_6131; // "sta1"

/// The width of the sponge: rate 24 holds the previous hash and a block's
/// packed elements (16 at the default format and 48 features) in one
/// permutation.
pub type HashArity = U24;

/// Constants of arity `$arity` decoded from `$bytes` (this build's own,
/// checked by a test); computed if they do not decode, so a stale file
/// costs time, never a wrong hash. A macro, as `sponge_hash!` is: nova
/// keeps the arity trait private.
macro_rules! stored_or_computed {
    ($arity:ty, $bytes:expr) => {{
        let config = bincode::config::standard();
        match bincode::serde::decode_from_slice::<PoseidonConstants<Scalar, $arity>, _>(
            $bytes, config,
        ) {
            Ok((c, used)) if used == $bytes.len() => c,
            _ => Sponge::<Scalar, $arity>::api_constants(Strength::Standard),
        }
    }};
}

/// Poseidon constants shared by the native hash and the circuit, once a
/// process: decoded from [`HASH_CONSTANTS`].
pub fn poseidon_constants() -> &'static PoseidonConstants<Scalar, HashArity> {
    static CONSTANTS: OnceLock<PoseidonConstants<Scalar, HashArity>> = OnceLock::new();
    CONSTANTS.get_or_init(|| stored_or_computed!(HashArity, HASH_CONSTANTS))
}

/// The constants of the width-25 sponge as `api_constants(Strength::Standard)`
/// computes them, stored in the source: computing them takes about a
/// tenth of a second (inverting its matrices), which every `verify` of a
/// predictions bundle paid before any check. `stored_constants_are_the_computed_ones`
/// checks the bytes against a fresh computation (and rewrites them with
/// `FOLDTRAIN_BLESS_CONSTANTS=1`).
const HASH_CONSTANTS: &[u8] = include_bytes!("commitment/poseidon-u24.bin");
/// The same for the width-9 sponge of `C_W`.
const WEIGHTS_CONSTANTS: &[u8] = include_bytes!("commitment/poseidon-u8.bin");

/// The width of the weights commitment's sponge: rate 8 holds the packed
/// weights and bias of up to 69 features (7 elements) and the salt in one
/// permutation of width 9, about half the constraints of one of width 25
/// (measured at the default recipe: 1,564 constraints a step for the two
/// hashes of `C_W` with the width-25 sponge, 784 with this one).
pub type WeightsArity = U8;

/// Poseidon constants of the weights commitment `C_W`, computed once.
pub fn weights_constants() -> &'static PoseidonConstants<Scalar, WeightsArity> {
    static CONSTANTS: OnceLock<PoseidonConstants<Scalar, WeightsArity>> = OnceLock::new();
    CONSTANTS.get_or_init(|| stored_or_computed!(WeightsArity, WEIGHTS_CONSTANTS))
}

/// One native sponge call with the given constants: absorb `inputs` under
/// `domain`, squeeze one element. A macro, not a generic function: nova
/// keeps the sponge's arity trait private, so no bound can name it.
macro_rules! sponge_hash {
    ($constants:expr, $domain:expr, $inputs:expr) => {{
        let inputs: &[Scalar] = $inputs;
        let mut sponge = Sponge::new_with_constants($constants, Simplex);
        let acc = &mut ();
        let pattern = IOPattern(vec![
            SpongeOp::Absorb(inputs.len() as u32),
            SpongeOp::Squeeze(1),
        ]);
        sponge.start(pattern, Some($domain), acc);
        SpongeAPI::absorb(&mut sponge, inputs.len() as u32, inputs, acc);
        let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
        // `finish` only fails when the IO pattern was not followed, which
        // the two calls above do by construction.
        let _ = sponge.finish(acc);
        out[0]
    }};
}

/// How a row's values become bits in a block: each value `v` as the
/// `bits` bits of `v + offset` (which must lie in `[0, 2^bits)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellCode {
    pub offset: i64,
    pub bits: u32,
}

impl CellCode {
    /// Quantized features: `x + 2^(Fx+cx)` in `Fx + cx + 1` bits.
    pub fn quantized(format: &FixedFormat) -> Self {
        CellCode {
            offset: format.feature_half_range(),
            bits: format.feature_bits(),
        }
    }

    /// Raw integers: `r + 2^47` in 48 bits.
    pub const RAW: CellCode = CellCode {
        offset: 1 << (RAW_BITS - 1),
        bits: RAW_BITS,
    };
}

/// What one commitment chains: how values become bits, the block hash's
/// domain and the seal's. Four chains exist: the quantized and the raw rows
/// of each split, each under domains of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainKind {
    pub code: CellCode,
    pub block_domain: u32,
    pub seal_domain: u32,
}

impl ChainKind {
    /// The quantized rows of `split` (what training and evaluation read).
    pub fn quantized(split: Split, format: &FixedFormat) -> Self {
        ChainKind {
            code: CellCode::quantized(format),
            block_domain: BLOCK_DOMAIN,
            seal_domain: split.seal_domain(),
        }
    }

    /// The raw rows of `split` (what the preprocessing proof reads).
    pub fn raw(split: Split) -> Self {
        ChainKind {
            code: CellCode::RAW,
            block_domain: RAW_BLOCK_DOMAIN,
            seal_domain: match split {
                Split::Train => RAW_SEAL_DOMAIN,
                Split::Test => RAW_TEST_SEAL_DOMAIN,
            },
        }
    }

    /// `h_{k+1}` from `h_k` and a block of exactly [`BLOCK_ROWS`] rows.
    pub fn hash_block(&self, prev: Scalar, rows: &[Vec<i64>], labels: &[u8]) -> Scalar {
        let bits: Vec<bool> = rows
            .iter()
            .zip(labels)
            .flat_map(|(row, &y)| coded_row_bits(row, y, self.code))
            .collect();
        let mut inputs = vec![prev];
        inputs.extend(pack_bits(&bits));
        poseidon(self.block_domain, &inputs)
    }

    /// `h` extended by the blocks of a step's `rows` (padded to whole
    /// blocks) that hold any of its first `active` rows: a block of padding
    /// only leaves the chain as it was.
    pub fn hash_active(
        &self,
        mut h: Scalar,
        rows: &[Vec<i64>],
        labels: &[u8],
        active: usize,
    ) -> Scalar {
        let blocks = rows.chunks(BLOCK_ROWS).zip(labels.chunks(BLOCK_ROWS));
        for (r, y) in blocks.take(active.div_ceil(BLOCK_ROWS)) {
            h = self.hash_block(h, r, y);
        }
        h
    }

    /// The chain value after each block of `rows` padded with zero rows
    /// (`h_1 .. h_m`).
    pub fn chain_values(&self, rows: &[Vec<i64>], labels: &[u8]) -> Vec<Scalar> {
        let width = rows.first().map_or(0, Vec::len);
        let mut h = Scalar::ZERO;
        rows.chunks(BLOCK_ROWS)
            .zip(labels.chunks(BLOCK_ROWS))
            .map(|(r, y)| {
                let mut r = r.to_vec();
                let mut y = y.to_vec();
                r.resize(BLOCK_ROWS, vec![0; width]);
                y.resize(BLOCK_ROWS, 0);
                h = self.hash_block(h, &r, &y);
                h
            })
            .collect()
    }

    /// `C = Poseidon_seal(salt, h_m, n)` under this chain's seal domain.
    pub fn seal(&self, salt: &Salt, chain_hash: Scalar, rows: usize) -> Commitment {
        Commitment(poseidon(
            self.seal_domain,
            &[salt.0, chain_hash, Scalar::from(rows as u64)],
        ))
    }
}

/// The bits a row contributes to its block: the label, then each value in
/// `code`, least significant bit first.
pub fn coded_row_bits(row: &[i64], label: u8, code: CellCode) -> Vec<bool> {
    let mut bits = vec![label == 1];
    for &x in row {
        let u = (x + code.offset) as u64;
        bits.extend((0..code.bits).map(|i| (u >> i) & 1 == 1));
    }
    bits
}

/// The bits a quantized row contributes to its block.
pub fn row_bits(row: &[i64], label: u8, format: &FixedFormat) -> Vec<bool> {
    coded_row_bits(row, label, CellCode::quantized(format))
}

/// Cuts a bit string into field elements of [`PACK_BITS`] bits, least
/// significant first (native twin of the circuit's packing).
pub fn pack_bits(bits: &[bool]) -> Vec<Scalar> {
    bits.chunks(PACK_BITS)
        .map(|chunk| {
            chunk.iter().rev().fold(Scalar::ZERO, |acc, &b| {
                acc.double() + if b { Scalar::ONE } else { Scalar::ZERO }
            })
        })
        .collect()
}

/// One sponge call: absorb `inputs` under `domain`, squeeze one element.
pub fn poseidon(domain: u32, inputs: &[Scalar]) -> Scalar {
    sponge_hash!(poseidon_constants(), domain, inputs)
}

/// One call of the weights commitment's narrower sponge (twin of
/// [`crate::circuit::hash::poseidon_weights`]).
pub fn poseidon_weights(domain: u32, inputs: &[Scalar]) -> Scalar {
    sponge_hash!(weights_constants(), domain, inputs)
}

/// `h_{k+1}` from `h_k` and a block of exactly [`BLOCK_ROWS`] quantized rows.
pub fn hash_block(prev: Scalar, rows: &[Vec<i64>], labels: &[u8], format: &FixedFormat) -> Scalar {
    ChainKind::quantized(Split::Train, format).hash_block(prev, rows, labels)
}

/// `h` extended by each block of `rows` (with their `labels`) that holds
/// one of the first `active` rows: a folded step's share of the chain.
/// Padding rows are zeros, as in the commitment's last block.
pub fn hash_active_blocks(
    h: Scalar,
    rows: &[Vec<i64>],
    labels: &[u8],
    active: usize,
    format: &FixedFormat,
) -> Scalar {
    // The quantized block hash; the split only names the seal.
    ChainKind::quantized(Split::Train, format).hash_active(h, rows, labels, active)
}

/// `data`'s rows padded with zero rows to a whole number of blocks.
pub fn padded_blocks(data: &FixedDataset) -> (Vec<Vec<i64>>, Vec<u8>) {
    let mut rows = data.rows.clone();
    let mut labels = data.labels.clone();
    let total = data.len().div_ceil(BLOCK_ROWS) * BLOCK_ROWS;
    rows.resize(total, vec![0; data.features()]);
    labels.resize(total, 0);
    (rows, labels)
}

/// `h_m`: the chain over every block of `data`.
pub fn chain(data: &FixedDataset, format: &FixedFormat) -> Scalar {
    let (rows, labels) = padded_blocks(data);
    rows.chunks(BLOCK_ROWS)
        .zip(labels.chunks(BLOCK_ROWS))
        .fold(Scalar::ZERO, |h, (r, y)| hash_block(h, r, y, format))
}

/// `C = Poseidon_seal(salt, h_m, n)`.
pub fn seal(salt: &Salt, chain_hash: Scalar, rows: usize) -> Commitment {
    Commitment(poseidon(
        SEAL_DOMAIN,
        &[salt.0, chain_hash, Scalar::from(rows as u64)],
    ))
}

/// The public dataset commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment(pub Scalar);

/// `C_N`: the commitment to a normalizer kept private,
/// `Poseidon_nrm1(salt_N, mu_1..mu_d, sigma_1..sigma_d)` (each value as the
/// field element of its integer; twin of the circuits'
/// `normalizer_gadget`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalizerCommitment(pub Scalar);

impl NormalizerCommitment {
    /// `C_N` of `n` under `salt`.
    pub fn of(n: &crate::dataset::Normalizer, salt: &Salt) -> Self {
        let mut inputs = vec![salt.0];
        inputs.extend(n.means().iter().map(|&m| to_field::<Scalar>(m.into())));
        inputs.extend(n.stds().iter().map(|&s| to_field::<Scalar>(s.into())));
        NormalizerCommitment(poseidon(NORMALIZER_DOMAIN, &inputs))
    }
}

impl Serialize for NormalizerCommitment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        scalar_hex::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for NormalizerCommitment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        scalar_hex::deserialize(d).map(NormalizerCommitment)
    }
}

impl std::fmt::Display for NormalizerCommitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&scalar_to_hex(&self.0))
    }
}

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

/// Parses [`scalar_to_hex`]'s output; `None` for anything else, including
/// upper-case digits: one value has exactly one accepted text, so a bundle
/// or file changed in any byte is never read as the same statement.
pub fn scalar_from_hex(text: &str) -> Option<Scalar> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let bytes = hex::decode(text).ok()?;
    let mut repr = <Scalar as PrimeField>::Repr::default();
    if bytes.len() != repr.as_ref().len() {
        return None;
    }
    repr.as_mut().copy_from_slice(&bytes);
    Option::from(Scalar::from_repr(repr))
}

/// Serde for a bare [`Scalar`] as [`scalar_to_hex`], for
/// `#[serde(with = "scalar_hex")]`: the deserializer refuses anything but 64
/// hex digits of a canonical field element.
pub mod scalar_hex {
    use super::{scalar_from_hex, scalar_to_hex, Scalar};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the hex string.
    pub fn serialize<S: Serializer>(s: &Scalar, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&scalar_to_hex(s))
    }

    /// Reads the hex string back, refusing a malformed or non-canonical one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = String::deserialize(d)?;
        scalar_from_hex(&text).ok_or_else(|| {
            serde::de::Error::custom("expected 64 hex digits of a canonical field element")
        })
    }
}

macro_rules! hex_serde {
    ($t:ident) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                scalar_hex::serialize(&self.0, s)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                scalar_hex::deserialize(d).map($t)
            }
        }
    };
}
hex_serde!(Commitment);
hex_serde!(Salt);
hex_serde!(ChainValue);

/// A value of the row chain `h_k` (unsalted: private, since it lets anyone
/// test a guess of the rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainValue(pub Scalar);

impl std::fmt::Display for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&scalar_to_hex(&self.0))
    }
}

/// Sponge domain separator of a test split's seal: a training commitment
/// can never be passed off as a test commitment, nor the other way round.
pub const TEST_SEAL_DOMAIN: u32 = 0x7473_6c31; // "tsl1"

/// The two splits of a dataset, each committed on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The rows that train (the first share of the file).
    Train,
    /// The rows held out (the rest).
    Test,
}

impl Split {
    /// The split's name in flags and file names: `train` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }

    /// The seal's domain separator of this split.
    pub fn seal_domain(self) -> u32 {
        match self {
            Split::Train => SEAL_DOMAIN,
            Split::Test => TEST_SEAL_DOMAIN,
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::Train => "training",
            Split::Test => "test",
        })
    }
}

impl std::str::FromStr for Split {
    type Err = String;

    /// A split by its [`Split::name`].
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        [Split::Test, Split::Train]
            .into_iter()
            .find(|split| split.name() == s)
            .ok_or_else(|| format!("`{s}` is not a split: give test or train"))
    }
}

/// `C = Poseidon_split(salt, h_m, n)`, under the split's own domain.
pub fn seal_split(split: Split, salt: &Salt, chain_hash: Scalar, rows: usize) -> Commitment {
    Commitment(poseidon(
        split.seal_domain(),
        &[salt.0, chain_hash, Scalar::from(rows as u64)],
    ))
}

/// The chain value after each block of `data` (`h_1 .. h_m`).
pub fn chain_values(data: &FixedDataset, format: &FixedFormat) -> Vec<Scalar> {
    ChainKind::quantized(Split::Train, format).chain_values(&data.rows, &data.labels)
}

/// The private opening of one split's commitment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitOpening {
    /// The commitment this opens.
    pub commitment: Commitment,
    /// The secret salt.
    pub salt: Salt,
    /// Rows committed.
    pub rows: usize,
    /// The chain value after each block of [`BLOCK_ROWS`] rows, so a
    /// mismatch names the first block that differs.
    pub chain: Vec<ChainValue>,
}

impl SplitOpening {
    /// Commits `data` as `split` under `salt`.
    pub fn commit(split: Split, data: &FixedDataset, format: &FixedFormat, salt: Salt) -> Self {
        Self::commit_in(
            ChainKind::quantized(split, format),
            &data.rows,
            &data.labels,
            salt,
        )
    }

    /// Commits the raw rows of `split` under `salt`.
    pub fn commit_raw(split: Split, data: &RawDataset, salt: Salt) -> Self {
        Self::commit_in(ChainKind::raw(split), data.rows(), data.labels(), salt)
    }

    fn commit_in(kind: ChainKind, rows: &[Vec<i64>], labels: &[u8], salt: Salt) -> Self {
        let chain = kind.chain_values(rows, labels);
        let h = chain.last().copied().unwrap_or(Scalar::ZERO);
        SplitOpening {
            commitment: kind.seal(&salt, h, rows.len()),
            salt,
            rows: rows.len(),
            chain: chain.into_iter().map(ChainValue).collect(),
        }
    }

    /// Checks that `data` opens this split's commitment, naming the first
    /// block of rows that differs.
    pub fn check(&self, split: Split, data: &FixedDataset, format: &FixedFormat) -> Result<()> {
        let kind = ChainKind::quantized(split, format);
        self.check_in(kind, &format!("{split}"), &data.rows, &data.labels)
    }

    /// Checks that raw `data` opens this split's raw commitment.
    pub fn check_raw(&self, split: Split, data: &RawDataset) -> Result<()> {
        let kind = ChainKind::raw(split);
        self.check_in(kind, &format!("raw {split}"), data.rows(), data.labels())
    }

    fn check_in(
        &self,
        kind: ChainKind,
        what: &str,
        rows: &[Vec<i64>],
        labels: &[u8],
    ) -> Result<()> {
        let refuse = |why: String| {
            Err(Error::Mismatch(format!(
                "the {what} rows do not open the {what} commitment: {why}"
            )))
        };
        if rows.len() != self.rows {
            return refuse(format!(
                "the data has {} {what} rows, the commitment {}",
                rows.len(),
                self.rows
            ));
        }
        let chain = kind.chain_values(rows, labels);
        if chain.len() != self.chain.len() {
            return refuse("the opening's chain has another length than its rows".into());
        }
        if let Some(k) = (0..chain.len()).find(|&k| chain[k] != self.chain[k].0) {
            let first = k * BLOCK_ROWS + 1;
            let last = ((k + 1) * BLOCK_ROWS).min(rows.len());
            return refuse(format!(
                "block {k} ({what} rows {first} to {last}) differs from the committed one"
            ));
        }
        let h = chain.last().copied().unwrap_or(Scalar::ZERO);
        if kind.seal(&self.salt, h, rows.len()) != self.commitment {
            return refuse("the opening's salt does not seal the chain to its commitment".into());
        }
        Ok(())
    }
}

/// The salt of the groups' commitment `C_G`: `Poseidon_gsa1(salt_test)`,
/// derived (as secret as the test salt) so the salts a run records are
/// enough to commit again.
pub fn group_salt(test_salt: &Salt) -> Salt {
    Salt(poseidon(GROUP_SALT_DOMAIN, &[test_salt.0]))
}

/// The rows a dataset's four commitments hold: each split quantized and
/// raw.
#[derive(Clone, Copy, Debug)]
pub struct CommittedRows<'a> {
    pub train: &'a FixedDataset,
    pub test: &'a FixedDataset,
    pub raw_train: &'a RawDataset,
    pub raw_test: &'a RawDataset,
    /// The protected attribute and the test rows' groups, when committed.
    pub test_groups: Option<(&'a GroupColumn, &'a [u8])>,
}

impl<'a> CommittedRows<'a> {
    /// The rows of a prepared dataset.
    pub fn of(p: &'a Prepared) -> Self {
        CommittedRows {
            train: &p.train_fixed,
            test: &p.test_fixed,
            raw_train: &p.train_raw,
            raw_test: &p.test_raw,
            test_groups: p.group.as_ref().map(|(c, g)| (c, g.as_slice())),
        }
    }
}

/// The private opening of a dataset's commitments (both splits): what it
/// takes, with the CSV, to recompute them. Keep it secret: with it anyone
/// can test guesses of the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Opening {
    /// Artifact kind, always [`Opening::KIND`].
    pub kind: String,
    /// Format version, [`Opening::VERSION`].
    pub version: u32,
    /// The training rows' commitment.
    pub train: SplitOpening,
    /// The test rows' commitment.
    pub test: SplitOpening,
    /// The raw training rows' commitment ([`ChainKind::raw`]).
    pub raw_train: SplitOpening,
    /// The raw test rows' commitment.
    pub raw_test: SplitOpening,
    /// Features per row.
    pub features: usize,
    /// How the rows were quantized.
    pub format: FixedFormat,
    /// Share of the CSV's rows (in file order) that train.
    pub train_fraction: TrainFraction,
    /// sha256 of the CSV file the rows came from.
    pub source_sha256: String,
    /// The protected attribute's commitment `C_G` over the test rows
    /// (`commit --group`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupOpening>,
}

/// The salts of a dataset's four commitments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Salts {
    pub train: Salt,
    pub test: Salt,
    pub raw_train: Salt,
    pub raw_test: Salt,
}

impl Salts {
    /// Four fresh salts from the operating system's RNG.
    pub fn random() -> Self {
        Salts {
            train: Salt::random(),
            test: Salt::random(),
            raw_train: Salt::random(),
            raw_test: Salt::random(),
        }
    }
}

impl Opening {
    /// The `kind` field of an opening file.
    pub const KIND: &'static str = "foldtrain-opening";
    /// The version of the opening file's layout (3: the raw rows too).
    pub const VERSION: u32 = 3;

    /// Commits to the four row sets with fresh salts.
    pub fn commit(
        rows: CommittedRows<'_>,
        format: &FixedFormat,
        train_fraction: TrainFraction,
        source_sha256: String,
    ) -> Self {
        Self::commit_with_salts(rows, format, train_fraction, source_sha256, Salts::random())
    }

    /// Commits to the four row sets with the given salts.
    pub fn commit_with_salts(
        rows: CommittedRows<'_>,
        format: &FixedFormat,
        train_fraction: TrainFraction,
        source_sha256: String,
        salts: Salts,
    ) -> Self {
        Opening {
            kind: Self::KIND.into(),
            version: Self::VERSION,
            train: SplitOpening::commit(Split::Train, rows.train, format, salts.train),
            test: SplitOpening::commit(Split::Test, rows.test, format, salts.test),
            raw_train: SplitOpening::commit_raw(Split::Train, rows.raw_train, salts.raw_train),
            raw_test: SplitOpening::commit_raw(Split::Test, rows.raw_test, salts.raw_test),
            features: rows.train.features().max(rows.test.features()),
            format: *format,
            train_fraction,
            source_sha256,
            group: rows.test_groups.map(|(column, codes)| {
                GroupOpening::commit(
                    column.clone(),
                    codes,
                    &rows.test.labels,
                    group_salt(&salts.test),
                )
            }),
        }
    }

    /// The training commitment (the one the training proof is against).
    pub fn commitment(&self) -> Commitment {
        self.train.commitment
    }

    /// The four salts.
    pub fn salts(&self) -> Salts {
        Salts {
            train: self.train.salt,
            test: self.test.salt,
            raw_train: self.raw_train.salt,
            raw_test: self.raw_test.salt,
        }
    }

    /// The salt of this dataset's normalizer commitment `C_N`:
    /// `Poseidon_nsl1(salt_raw_train)`. Derived, not stored, so that every
    /// command holding the opening (`prove-preprocessing`, `prove`,
    /// `join`) commits to the normalizer under the same salt; secret as the
    /// salt it comes from (a verifier never sees that salt).
    pub fn normalizer_salt(&self) -> Salt {
        Salt(poseidon(NORMALIZER_SALT_DOMAIN, &[self.raw_train.salt.0]))
    }

    /// The groups' commitment `C_G`, when the test rows' groups are
    /// committed.
    pub fn group_commitment(&self) -> Option<Commitment> {
        self.group.as_ref().map(|g| g.commitment)
    }

    /// Reads an opening file: one of another layout version is refused by
    /// its version, with what to do, before its fields are read.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let value: serde_json::Value = crate::artifact::read_json(path, Self::KIND)?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(Self::VERSION)) {
            return Err(Error::artifact(
                path,
                format!(
                    "has layout version {}, this build reads version {}; commit again with \
                     `foldtrain commit`",
                    version.map_or("(none)".into(), |v| v.to_string()),
                    Self::VERSION
                ),
            ));
        }
        serde_json::from_value(value)
            .map_err(|e| Error::artifact(path, format!("not an opening file: {e}")))
    }

    /// Refuses an opening of another layout version.
    pub fn check_version(&self) -> Result<()> {
        if self.version != Self::VERSION {
            return Err(Error::Mismatch(format!(
                "the opening has layout version {}, this build reads version {}; \
                 commit again with `foldtrain commit`",
                self.version,
                Self::VERSION
            )));
        }
        Ok(())
    }

    /// Checks the opening against the two splits: the same rows give the
    /// same chains, block by block, and the salts seal them to the recorded
    /// commitments. The error names the split and the first block that
    /// differs.
    pub fn check(&self, rows: CommittedRows<'_>) -> Result<()> {
        self.check_version()?;
        self.train.check(Split::Train, rows.train, &self.format)?;
        self.test.check(Split::Test, rows.test, &self.format)?;
        self.raw_train.check_raw(Split::Train, rows.raw_train)?;
        self.raw_test.check_raw(Split::Test, rows.raw_test)?;
        match (&self.group, rows.test_groups) {
            (None, None) => Ok(()),
            (Some(g), Some((column, codes))) if g.column == *column => {
                g.check(codes, &rows.test.labels)
            }
            (Some(g), Some((column, _))) => Err(Error::Mismatch(format!(
                "the commitment's protected attribute `{}` has other groups than `{}` in this \
                 CSV ({} against {})",
                g.column.name,
                column.name,
                g.column.labels.join(", "),
                column.labels.join(", ")
            ))),
            (Some(g), None) => Err(Error::Mismatch(format!(
                "the commitment holds the protected attribute `{}`, which these rows were read \
                 without",
                g.column.name
            ))),
            (None, Some((column, _))) => Err(Error::Mismatch(format!(
                "the commitment holds no protected attribute, but these rows leave `{}` out",
                column.name
            ))),
        }
    }
}

#[cfg(test)]
mod tests {

    /// The constants stored in the source are the ones nova computes:
    /// byte for byte, and they hash alike. `FOLDTRAIN_BLESS_CONSTANTS=1`
    /// rewrites the files from a fresh computation.
    #[test]
    fn stored_constants_are_the_computed_ones() {
        let config = bincode::config::standard();
        let hash = Sponge::<Scalar, HashArity>::api_constants(Strength::Standard);
        let weights = Sponge::<Scalar, WeightsArity>::api_constants(Strength::Standard);
        let fresh = [
            (
                "poseidon-u24.bin",
                HASH_CONSTANTS,
                bincode::serde::encode_to_vec(&hash, config),
            ),
            (
                "poseidon-u8.bin",
                WEIGHTS_CONSTANTS,
                bincode::serde::encode_to_vec(&weights, config),
            ),
        ];
        for (name, stored, computed) in fresh {
            let computed = computed.unwrap();
            if std::env::var_os("FOLDTRAIN_BLESS_CONSTANTS").is_some() {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("src/commitment")
                    .join(name);
                std::fs::write(path, &computed).unwrap();
                continue;
            }
            assert!(
                stored == computed.as_slice(),
                "src/commitment/{name} is stale: FOLDTRAIN_BLESS_CONSTANTS=1 cargo test --release \
                 --lib stored_constants rewrites it"
            );
        }
        // Decoded, they hash as the computed ones do.
        let inputs: Vec<Scalar> = (1..=5u64).map(Scalar::from).collect();
        assert_eq!(
            sponge_hash!(poseidon_constants(), 7, &inputs),
            sponge_hash!(&hash, 7, &inputs)
        );
        assert_eq!(
            sponge_hash!(weights_constants(), 7, &inputs),
            sponge_hash!(&weights, 7, &inputs)
        );
    }
    use super::*;

    fn data() -> FixedDataset {
        FixedDataset {
            rows: (0..11).map(|i| vec![i, -2 * i, 3]).collect(),
            labels: (0..11).map(|i| (i % 2) as u8).collect(),
        }
    }

    fn commit(d: &FixedDataset, salt: u64) -> Commitment {
        let fmt = FixedFormat::default();
        seal(&Salt(Scalar::from(salt)), chain(d, &fmt), d.len())
    }

    #[test]
    fn commitment_changes_with_every_input() {
        let base = commit(&data(), 42);
        let mut changed = Vec::new();
        let mut d = data();
        d.rows[1][2] += 1;
        changed.push(commit(&d, 42));
        let mut d = data();
        d.labels[0] = 1;
        changed.push(commit(&d, 42));
        let mut d = data();
        d.rows.swap(0, 2);
        d.labels.swap(0, 2);
        changed.push(commit(&d, 42));
        let mut d = data();
        d.rows.pop();
        d.labels.pop();
        changed.push(commit(&d, 42));
        // An explicit zero row where padding was: the row count tells them apart.
        let mut d = data();
        d.rows.push(vec![0, 0, 0]);
        d.labels.push(0);
        changed.push(commit(&d, 42));
        changed.push(commit(&data(), 43));
        for c in changed {
            assert_ne!(c, base);
        }
        assert_eq!(base, commit(&data(), 42));
    }

    fn test_rows() -> FixedDataset {
        FixedDataset {
            rows: (0..5).map(|i| vec![-i, 2 * i, 1]).collect(),
            labels: (0..5).map(|i| (i % 3 == 0) as u8).collect(),
        }
    }

    /// Raw rows standing for `rows` (any values in range will do).
    fn raw(rows: &FixedDataset) -> RawDataset {
        let raw = rows
            .rows
            .iter()
            .map(|r| r.iter().map(|x| x * 65536 + 7).collect())
            .collect();
        RawDataset::from_rows(raw, rows.labels.clone()).unwrap()
    }

    fn rows<'a>(
        train: &'a FixedDataset,
        test: &'a FixedDataset,
        raw_train: &'a RawDataset,
        raw_test: &'a RawDataset,
    ) -> CommittedRows<'a> {
        CommittedRows {
            train,
            test,
            raw_train,
            raw_test,
            test_groups: None,
        }
    }

    #[test]
    fn opening_reproduces_commitment() {
        let fmt = FixedFormat::default();
        let (rt, rs) = (raw(&data()), raw(&test_rows()));
        let commit = || {
            Opening::commit(
                rows(&data(), &test_rows(), &rt, &rs),
                &fmt,
                TrainFraction::DEFAULT,
                "00".into(),
            )
        };
        let o = commit();
        let check =
            |train: &FixedDataset, test: &FixedDataset, rt: &RawDataset, rs: &RawDataset| {
                o.check(rows(train, test, rt, rs))
                    .map_err(|e| e.to_string())
            };
        check(&data(), &test_rows(), &rt, &rs).unwrap();
        let mut d = data();
        d.rows[9][0] = 2;
        let err = check(&d, &test_rows(), &rt, &rs).unwrap_err();
        assert!(
            err.contains("training") && err.contains("block 1 (training rows 9 to 11)"),
            "{err}"
        );
        let mut t = test_rows();
        t.labels[0] = 0;
        let err = check(&data(), &t, &rt, &rs).unwrap_err();
        assert!(err.contains("test") && err.contains("block 0"), "{err}");
        t.rows.pop();
        t.labels.pop();
        let err = check(&data(), &t, &rt, &rs).unwrap_err();
        assert!(err.contains("4 test rows"), "{err}");
        // The splits swapped: refused, the row counts aside.
        let err = check(&test_rows(), &data(), &rt, &rs).unwrap_err();
        assert!(err.contains("training"), "{err}");
        // A raw value changed by one unit (2^-16), or the raw splits swapped.
        let mut bent = data();
        bent.rows[3][1] = 0;
        let mut raw_rows: Vec<Vec<i64>> = rt.rows().to_vec();
        raw_rows[3][1] += 1;
        let bent_raw = RawDataset::from_rows(raw_rows, data().labels).unwrap();
        let err = check(&data(), &test_rows(), &bent_raw, &rs).unwrap_err();
        assert!(
            err.contains("raw training") && err.contains("block 0"),
            "{err}"
        );
        let err = check(&data(), &test_rows(), &rt, &rt).unwrap_err();
        assert!(err.contains("raw test"), "{err}");
        let o2 = commit();
        assert_ne!(o.salts(), o2.salts(), "salts come from the OS RNG");
        assert_ne!(o.train.salt, o.test.salt);
        assert_ne!(o.raw_train.salt, o.raw_test.salt);
        assert_ne!(o.commitment(), o2.commitment());
        // Four distinct commitments, none the same as another's.
        let all = [
            o.train.commitment,
            o.test.commitment,
            o.raw_train.commitment,
            o.raw_test.commitment,
        ];
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(all[i], all[j]);
            }
        }
        let json = serde_json::to_string(&o).unwrap();
        let back: Opening = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn raw_and_quantized_chains_never_agree() {
        // The same integers under the same salt seal to four different
        // commitments: a raw commitment is never a quantized one.
        let d = data();
        let salt = Salt(Scalar::from(7u64));
        let code = CellCode::quantized(&FixedFormat::default());
        let kinds = [
            ChainKind::quantized(Split::Train, &FixedFormat::default()),
            ChainKind::quantized(Split::Test, &FixedFormat::default()),
            ChainKind::raw(Split::Train),
            ChainKind::raw(Split::Test),
            ChainKind {
                code,
                ..ChainKind::raw(Split::Train)
            },
        ];
        let sealed: Vec<Commitment> = kinds
            .iter()
            .map(|k| {
                k.seal(
                    &salt,
                    *k.chain_values(&d.rows, &d.labels).last().unwrap(),
                    d.len(),
                )
            })
            .collect();
        for i in 0..sealed.len() {
            for j in 0..i {
                assert_ne!(sealed[i], sealed[j], "{i} {j}");
            }
        }
    }

    #[test]
    fn a_training_commitment_is_not_a_test_commitment() {
        // The same rows under the same salt seal to different commitments as
        // the two splits: one can never be passed off as the other.
        let fmt = FixedFormat::default();
        let salt = Salt(Scalar::from(7u64));
        let train = SplitOpening::commit(Split::Train, &data(), &fmt, salt);
        let test = SplitOpening::commit(Split::Test, &data(), &fmt, salt);
        assert_eq!(train.chain, test.chain);
        assert_ne!(train.commitment, test.commitment);
        assert!(test.check(Split::Test, &data(), &fmt).is_ok());
        let relabelled = SplitOpening {
            commitment: train.commitment,
            ..test.clone()
        };
        assert!(relabelled.check(Split::Test, &data(), &fmt).is_err());
        assert_eq!(
            seal(&salt, Scalar::from(3u64), 4),
            seal_split(Split::Train, &salt, Scalar::from(3u64), 4)
        );
    }

    #[test]
    fn packing_is_injective_at_the_range_ends() {
        let fmt = FixedFormat::default();
        let half = fmt.feature_half_range();
        let a = pack_bits(&row_bits(&[-half, half - 1], 1, &fmt));
        let b = pack_bits(&row_bits(&[-half, half - 2], 1, &fmt));
        assert_ne!(a, b);
        let bits = row_bits(&vec![half - 1; 48], 1, &fmt);
        assert_eq!(bits.len(), 1 + 48 * fmt.feature_bits() as usize);
        // A block of 48-feature rows fits one permutation with the chain value.
        let block: Vec<bool> = (0..BLOCK_ROWS).flat_map(|_| bits.clone()).collect();
        assert!(pack_bits(&block).len() < 24);
    }

    #[test]
    fn a_block_at_the_limits_fits_the_sponge() {
        use crate::recipe::{MAX_BATCH, MAX_FEATURES};
        // Batches of MAX_BATCH rows are whole blocks.
        assert!(MAX_BATCH.is_multiple_of(BLOCK_ROWS));
        // The largest block: MAX_FEATURES features at the widest format.
        let fmt = crate::fixed::tests::widest_format();
        let row = vec![fmt.feature_half_range() - 1; MAX_FEATURES];
        let bits = row_bits(&row, 1, &fmt).len();
        assert_eq!(bits, 1 + MAX_FEATURES * fmt.feature_bits() as usize);
        // The chain value and the packed block, absorbed in one sponge call.
        // nova's sponge takes the absorb count as a u32 and refuses one of
        // 2^31 or more (`SpongeOp::value`); `poseidon` casts with `as u32`.
        let inputs = 1 + (BLOCK_ROWS * bits).div_ceil(PACK_BITS);
        assert!(inputs < 1 << 31, "{inputs} sponge inputs");
        // It hashes, and the last bit of the block counts.
        let rows = vec![row; BLOCK_ROWS];
        let labels = vec![1; BLOCK_ROWS];
        let h = hash_block(Scalar::ZERO, &rows, &labels, &fmt);
        let mut other = rows.clone();
        other[BLOCK_ROWS - 1][MAX_FEATURES - 1] = -fmt.feature_half_range();
        assert_ne!(h, hash_block(Scalar::ZERO, &other, &labels, &fmt));
    }

    #[test]
    fn hex_round_trip_and_rejection() {
        let s = Scalar::from(12345u64);
        assert_eq!(scalar_from_hex(&scalar_to_hex(&s)), Some(s));
        assert_eq!(scalar_from_hex("zz"), None);
        assert_eq!(scalar_from_hex(&"ff".repeat(32)), None); // not canonical
                                                             // Upper case decodes to the same bytes, but is not the one text of
                                                             // the value: refused (found by the byte-flip proptest, 0x20 at a hex
                                                             // letter).
        let text = scalar_to_hex(&-Scalar::from(7u64));
        assert!(text.bytes().any(|b| b.is_ascii_alphabetic()));
        assert_eq!(scalar_from_hex(&text.to_uppercase()), None);
    }
}
