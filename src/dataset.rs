//! CSV → validated rows → normalized, quantized rows.
//!
//! Format: a header row; numeric feature columns; a last column named `label`
//! holding 0 or 1. Every problem is reported with the file, line and column.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fixed::FixedFormat;
use crate::group::GroupColumn;

/// Largest CSV accepted, so that a mistaken path (a disk image, say) fails
/// fast instead of filling memory.
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// The share of rows, in file order, that train: a number in (0, 1].
///
/// It exists only when valid: the command line, model files, commitments'
/// openings and checkpoints all decode it through [`TrainFraction::new`]. It
/// serializes as the bare number.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct TrainFraction(f64);

impl TrainFraction {
    /// The default: four rows in five train.
    pub const DEFAULT: TrainFraction = TrainFraction(0.8);

    /// A fraction in (0, 1]; anything else (NaN included) is refused.
    pub fn new(fraction: f64) -> Result<Self> {
        if fraction > 0.0 && fraction <= 1.0 {
            Ok(TrainFraction(fraction))
        } else {
            Err(Error::InvalidRecipe(format!(
                "train fraction must be in (0, 1], got {fraction}; for example 0.8"
            )))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// Training rows out of `rows`: `floor(rows * fraction)`.
    pub fn train_rows(self, rows: usize) -> usize {
        (rows as f64 * self.0).floor() as usize
    }
}

impl Default for TrainFraction {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<f64> for TrainFraction {
    type Error = Error;
    fn try_from(fraction: f64) -> Result<Self> {
        Self::new(fraction)
    }
}

impl From<TrainFraction> for f64 {
    fn from(fraction: TrainFraction) -> f64 {
        fraction.0
    }
}

impl std::fmt::Display for TrainFraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for TrainFraction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let fraction = s.trim().parse::<f64>().map_err(|_| {
            Error::InvalidRecipe(format!(
                "train fraction `{s}` is not a number; give one in (0, 1], for example 0.8"
            ))
        })?;
        Self::new(fraction)
    }
}

/// Rows read from a CSV, as real numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Where the rows came from (for messages).
    pub path: PathBuf,
    /// Names of the feature columns.
    pub feature_names: Vec<String>,
    /// One vector of features per row.
    pub rows: Vec<Vec<f64>>,
    /// Labels, 0 or 1.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Reads and validates a CSV file.
    pub fn load(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > MAX_CSV_BYTES {
            return Err(Error::Dataset {
                path: path.into(),
                reason: format!("file is larger than {MAX_CSV_BYTES} bytes"),
            });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Parses CSV bytes; `path` names the source in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let whole = |reason: String| Error::Dataset {
            path: path.into(),
            reason,
        };
        let (feature_names, rows, labels) = parse_table(path, bytes, true)?;
        let labels = labels.unwrap_or_default();
        let ones = labels.iter().filter(|&&y| y == 1).count();
        if ones == 0 || ones == labels.len() {
            return Err(whole(format!(
                "every label is {}: logistic regression needs both classes",
                labels.first().copied().unwrap_or(0)
            )));
        }
        Ok(Dataset {
            path: path.into(),
            feature_names,
            rows,
            labels,
        })
    }

    /// Parses a CSV of inputs to predict: the header names the feature
    /// columns, and a last column `label`, if there is one, is checked and
    /// left out. Returns the column names and the rows.
    pub fn parse_inputs(path: &Path, bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
        let (names, rows, _) = parse_table(path, bytes, false)?;
        Ok((names, rows))
    }
}

/// The rows of a CSV: feature names, rows, and labels when the last column
/// is `label` (which `need_label` requires).
#[allow(clippy::type_complexity)]
fn parse_table(
    path: &Path,
    bytes: &[u8],
    need_label: bool,
) -> Result<(Vec<String>, Vec<Vec<f64>>, Option<Vec<u8>>)> {
    let whole = |reason: String| Error::Dataset {
        path: path.into(),
        reason,
    };
    let cell = |line: u64, column: usize, reason: String| Error::Csv {
        path: path.into(),
        line,
        column,
        name: None,
        reason,
    };
    let named = |line: u64, column: usize, name: &str, reason: String| Error::Csv {
        path: path.into(),
        line,
        column,
        name: Some(name.to_string()),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| whole(format!("cannot read the header: {e}")))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(whole(
            "the file is empty; expected a header row and data rows".into(),
        ));
    }
    let columns = header.len();
    let has_label = &header[columns - 1] == "label";
    if need_label && columns < 2 {
        return Err(cell(
            1,
            1,
            "expected at least one feature column and a last column named `label`".into(),
        ));
    }
    if !need_label && has_label && columns < 2 {
        return Err(cell(1, 1, "expected at least one feature column".into()));
    }
    if need_label && !has_label {
        return Err(cell(
            1,
            columns,
            format!(
                "the last column must be named `label`, found `{}`",
                &header[columns - 1]
            ),
        ));
    }
    let features = columns - usize::from(has_label);
    let feature_names: Vec<String> = header.iter().take(features).map(String::from).collect();
    // Names are trimmed, so ` age` and `age` are one name: a model's
    // columns are matched by name, and two of one name could be swapped
    // unseen.
    for (j, name) in feature_names.iter().enumerate() {
        if let Some(first) = feature_names[..j].iter().position(|n| n == name) {
            return Err(cell(
                1,
                j + 1,
                format!(
                    "column {} has the name `{name}` of column {} (names are compared without \
                     surrounding spaces); give each column a distinct name",
                    j + 1,
                    first + 1
                ),
            ));
        }
    }

    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(bytes);
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(cell(line, 1, format!("unreadable row: {e}"))),
        }
        // The csv crate's line numbers drift on CRLF files and after blank
        // lines; the byte offset is exact, so count line breaks up to it.
        let line = record.position().map_or(line, |p| lines.line_of(p.byte()));
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != columns {
            return Err(cell(
                line,
                record.len().min(columns) + 1,
                format!(
                    "expected {columns} columns as in the header, found {}",
                    record.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(features);
        for (j, field) in record.iter().take(features).enumerate() {
            row.push(parse_number(field).map_err(|r| named(line, j + 1, &header[j], r))?);
        }
        rows.push(row);
        if !has_label {
            continue;
        }
        let label = match &record[columns - 1] {
            "0" | "0.0" => 0u8,
            "1" | "1.0" => 1u8,
            other => {
                return Err(named(
                    line,
                    columns,
                    "label",
                    format!("label must be 0 or 1, found `{other}`"),
                ))
            }
        };
        labels.push(label);
    }
    if rows.is_empty() {
        return Err(whole("the file has a header but no data rows".into()));
    }
    Ok((feature_names, rows, has_label.then_some(labels)))
}

impl Dataset {
    /// Takes the protected attribute `name` out of the features: resolves
    /// it over every row ([`GroupColumn::resolve`]), removes its columns and
    /// returns it with each row's group code.
    pub fn take_group(&mut self, name: &str) -> Result<(GroupColumn, Vec<u8>)> {
        let column = GroupColumn::resolve(name, &self.feature_names, &self.rows)?;
        let codes = column.codes(&self.feature_names, &self.rows)?;
        let taken = column.columns();
        let keep: Vec<usize> = (0..self.feature_names.len())
            .filter(|&j| !taken.contains(&self.feature_names[j]))
            .collect();
        if keep.is_empty() {
            return Err(Error::InvalidRecipe(format!(
                "the protected attribute `{name}` takes every feature column; no feature is left"
            )));
        }
        self.feature_names = keep
            .iter()
            .map(|&j| self.feature_names[j].clone())
            .collect();
        for row in &mut self.rows {
            *row = keep.iter().map(|&j| row[j]).collect();
        }
        Ok((column, codes))
    }

    /// Number of feature columns.
    pub fn features(&self) -> usize {
        self.feature_names.len()
    }

    /// Splits in file order: the first `floor(n * fraction)` rows train.
    pub fn split(&self, train_fraction: TrainFraction) -> Result<(Dataset, Dataset)> {
        let n_train = train_fraction.train_rows(self.rows.len());
        if n_train == 0 {
            return Err(Error::InvalidRecipe(format!(
                "train fraction {train_fraction} leaves no training rows out of {}",
                self.rows.len()
            )));
        }
        let part = |range: std::ops::Range<usize>| Dataset {
            path: self.path.clone(),
            feature_names: self.feature_names.clone(),
            rows: self.rows[range.clone()].to_vec(),
            labels: self.labels[range].to_vec(),
        };
        Ok((part(0..n_train), part(n_train..self.rows.len())))
    }
}

/// Line numbers from byte offsets (`\n`, `\r\n` or lone `\r` breaks),
/// counted incrementally since records arrive in order.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// 1-based line of the record the csv reader places at `offset`. The
    /// reader may place a record at the line break that precedes it (after
    /// `\r`, or before skipped blank lines); a record never starts with a
    /// line break, so those are skipped first.
    fn line_of(&mut self, offset: u64) -> u64 {
        let mut end = (offset as usize).min(self.bytes.len());
        while end < self.bytes.len() && matches!(self.bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        while self.pos < end {
            let b = self.bytes[self.pos];
            if b == b'\n' || (b == b'\r' && self.bytes.get(self.pos + 1) != Some(&b'\n')) {
                self.line += 1;
            }
            self.pos += 1;
        }
        self.line
    }
}

fn parse_number(field: &str) -> std::result::Result<f64, String> {
    if field.is_empty() {
        return Err("missing value".into());
    }
    let v: f64 = field
        .parse()
        .map_err(|_| format!("`{field}` is not a number"))?;
    if !v.is_finite() {
        return Err(format!("`{field}` is not a finite number"));
    }
    if raw_fixed(v).is_none() {
        return Err(format!(
            "`{field}` is outside the range a raw value may take (its magnitude must be below \
             2^{RAW_INT_BITS} = {}); rescale that column (divide it by a power of ten) first",
            1u64 << RAW_INT_BITS
        ));
    }
    Ok(v)
}

/// Fractional bits of a raw value: a CSV's numbers are committed (and
/// normalized, in the circuit and natively) as the integers
/// `round(x * 2^16)`.
pub const RAW_FRAC_BITS: u32 = 16;
/// A raw value's magnitude is below `2^31` (and its integer below `2^47`).
pub const RAW_INT_BITS: u32 = 31;
/// Bits of a raw integer with its sign: `r + 2^47` lies in `[0, 2^48)`.
pub const RAW_BITS: u32 = RAW_FRAC_BITS + RAW_INT_BITS + 1;

/// The raw integer of a CSV value: `round(x * 2^16)`, or `None` when
/// `|x|` is not below `2^31` (or the rounded integer not below `2^47`).
pub fn raw_fixed(x: f64) -> Option<i64> {
    let limit = (1u64 << RAW_INT_BITS) as f64;
    // NaN and the infinities fail the comparison too.
    if x.abs().partial_cmp(&limit) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let r = (x * (1u64 << RAW_FRAC_BITS) as f64).round() as i64;
    (r.abs() < 1i64 << (RAW_INT_BITS + RAW_FRAC_BITS)).then_some(r)
}

/// The real number a raw integer stands for (exact: it has at most 47
/// significant bits).
pub fn raw_to_f64(r: i64) -> f64 {
    r as f64 / (1u64 << RAW_FRAC_BITS) as f64
}

/// Rows as their raw integers ([`raw_fixed`]): what the raw commitments
/// hold and what the normalizer is computed from. Built only by
/// [`RawDataset::of`], so every value is in range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawDataset {
    rows: Vec<Vec<i64>>,
    labels: Vec<u8>,
}

impl RawDataset {
    /// The raw integers of `data`'s rows; refused (naming the row and
    /// column) where a value is out of range, which a parsed CSV never is.
    pub fn of(data: &Dataset) -> Result<Self> {
        let rows = (data.rows.iter().enumerate())
            .map(|(i, row)| {
                (row.iter().enumerate())
                    .map(|(j, &x)| {
                        raw_fixed(x).ok_or_else(|| Error::Dataset {
                            path: data.path.clone(),
                            reason: format!(
                                "row {} column {}: {x} is outside the range of a raw value \
                                 (magnitude below 2^{RAW_INT_BITS})",
                                i + 1,
                                j + 1
                            ),
                        })
                    })
                    .collect::<Result<Vec<i64>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RawDataset {
            rows,
            labels: data.labels.clone(),
        })
    }

    /// Raw integers given directly (tests, forgeries); refused when one is
    /// outside `(-2^47, 2^47)` or the labels do not match the rows.
    pub fn from_rows(rows: Vec<Vec<i64>>, labels: Vec<u8>) -> Result<Self> {
        let limit = 1i64 << (RAW_BITS - 1);
        if rows.iter().flatten().any(|r| r.abs() >= limit)
            || (!labels.is_empty() && labels.len() != rows.len())
        {
            return Err(Error::InvalidRecipe(
                "raw rows must be integers in (-2^47, 2^47), with one label a row".into(),
            ));
        }
        Ok(RawDataset { rows, labels })
    }

    /// Rows of raw integers, each in `(-2^47, 2^47)`.
    pub fn rows(&self) -> &[Vec<i64>] {
        &self.rows
    }

    /// Labels, 0 or 1 (empty for inputs to predict).
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Per-feature z-scoring fitted on the training rows, in integers: each
/// feature's mean `mu` and standard deviation `sigma` as raw integers (at
/// `2^-16`), by the rule `prove-preprocessing` proves (native twin of
/// [`crate::circuit::prep`]):
///
/// ```text
/// S = sum r,  Q = sum r^2            (over the n training rows)
/// mu    = floor(S / n)
/// v     = floor((Q - 2 mu S + n mu^2) / n)   (the spread about mu)
/// sigma = isqrt(v)                   (sigma^2 <= v < (sigma + 1)^2)
/// ```
///
/// A value `r` is then quantized to the nearest multiple of `2^-Fx` of
/// `(r - mu) / d`, halves up, `clamp(floor((2^(Fx+1) (r - mu) + d) / 2d))`,
/// with `d = sigma`, or `2^16` (one unit: the column is only centred)
/// when `sigma = 0` ([`Normalizer::quantize`]). Written to files as
/// decimals (`mu / 2^16`, exact), and read back only when each decimal is
/// exactly such an integer in range: a normalizer is parsed once, here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NormalizerJson", into = "NormalizerJson")]
pub struct Normalizer {
    means: Vec<i64>,
    stds: Vec<i64>,
}

/// A normalizer as files hold it: decimals.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizerJson {
    /// Training mean of each feature.
    pub means: Vec<f64>,
    /// Training standard deviation of each feature (0 for a constant
    /// column, which is then only centred).
    pub stds: Vec<f64>,
}

impl TryFrom<NormalizerJson> for Normalizer {
    type Error = String;
    fn try_from(n: NormalizerJson) -> std::result::Result<Self, String> {
        let exact = |what: &str, v: &[f64]| -> std::result::Result<Vec<i64>, String> {
            (v.iter().enumerate())
                .map(|(j, &x)| {
                    raw_fixed(x)
                        .filter(|&r| raw_to_f64(r).to_bits() == x.to_bits() || (r == 0 && x == 0.0))
                        .ok_or_else(|| {
                            format!(
                                "its normalizer's {what}[{j}] = {x} is not a multiple of 2^-{RAW_FRAC_BITS} \
                                 within 2^{RAW_INT_BITS} (a model written before the integer \
                                 normalizer; train it again)"
                            )
                        })
                })
                .collect()
        };
        Normalizer::from_fixed(exact("means", &n.means)?, exact("stds", &n.stds)?)
            .map_err(|e| e.to_string())
    }
}

impl From<Normalizer> for NormalizerJson {
    fn from(n: Normalizer) -> Self {
        NormalizerJson {
            means: n.means_f64(),
            stds: n.stds_f64(),
        }
    }
}

impl Normalizer {
    /// A normalizer of the given raw integers: refused unless as many
    /// means as deviations, each mean in `(-2^47, 2^47)` and each deviation
    /// in `[0, 2^48)` (the ranges the circuit holds them in).
    pub fn from_fixed(means: Vec<i64>, stds: Vec<i64>) -> Result<Self> {
        let bad = |m: String| Err(Error::InvalidRecipe(m));
        if means.len() != stds.len() {
            return bad(format!(
                "a normalizer needs as many means as deviations, got {} and {}",
                means.len(),
                stds.len()
            ));
        }
        let mean_limit = 1i64 << (RAW_BITS - 1);
        if let Some(j) = means.iter().position(|m| m.abs() >= mean_limit) {
            return bad(format!("normalizer mean {j} is out of range"));
        }
        if let Some(j) = stds.iter().position(|s| !(0..1i64 << RAW_BITS).contains(s)) {
            return bad(format!("normalizer deviation {j} is out of range"));
        }
        Ok(Normalizer { means, stds })
    }

    /// Zero means and deviations (a blank witness's).
    pub fn zero(features: usize) -> Self {
        Normalizer {
            means: vec![0; features],
            stds: vec![0; features],
        }
    }

    /// Fits the means and deviations on raw training rows, by the rule of
    /// the type's docs. `None` when there are no rows.
    pub fn fit(train: &RawDataset) -> Option<Self> {
        let n = i128::try_from(train.len()).ok().filter(|&n| n > 0)?;
        let d = train.rows.first().map_or(0, Vec::len);
        let mut means = Vec::with_capacity(d);
        let mut stds = Vec::with_capacity(d);
        for j in 0..d {
            let (s, q) = train.rows.iter().fold((0i128, 0i128), |(s, q), row| {
                let r = i128::from(row[j]);
                (s + r, q + r * r)
            });
            let mu = s.div_euclid(n);
            // Q - 2 mu S + n mu^2 = sum (r - mu)^2 >= 0, below n 2^96.
            let spread = q - 2 * mu * s + n * mu * mu;
            let v = u128::try_from(spread.div_euclid(n)).ok()?;
            means.push(i64::try_from(mu).ok()?);
            stds.push(i64::try_from(v.isqrt()).ok()?);
        }
        Normalizer::from_fixed(means, stds).ok()
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.means.len()
    }

    /// The means as raw integers.
    pub fn means(&self) -> &[i64] {
        &self.means
    }

    /// The deviations as raw integers.
    pub fn stds(&self) -> &[i64] {
        &self.stds
    }

    /// The means as decimals (exact).
    pub fn means_f64(&self) -> Vec<f64> {
        self.means.iter().map(|&m| raw_to_f64(m)).collect()
    }

    /// The deviations as decimals (exact).
    pub fn stds_f64(&self) -> Vec<f64> {
        self.stds.iter().map(|&s| raw_to_f64(s)).collect()
    }

    /// The divisor of feature `j`: its deviation, or one unit (`2^16`)
    /// for a constant column.
    pub fn divisor(&self, j: usize) -> i64 {
        match self.stds[j] {
            0 => 1 << RAW_FRAC_BITS,
            s => s,
        }
    }

    /// Quantizes raw integer `r` of feature `j` to the nearest multiple
    /// of `2^-Fx` (halves up), clamped:
    /// `clamp(floor((2^(Fx+1) (r - mu) + d) / 2d), -2^(Fx+cx), 2^(Fx+cx) - 1)`.
    pub fn quantize(&self, j: usize, r: i64, format: &FixedFormat) -> i64 {
        let t = i128::from(r) - i128::from(self.means[j]);
        let d = i128::from(self.divisor(j));
        let half = i128::from(format.feature_half_range());
        let q = ((t << (format.feature_frac_bits + 1)) + d).div_euclid(2 * d);
        q.clamp(-half, half - 1) as i64
    }

    /// Quantizes a row of raw integers.
    pub fn quantize_row(&self, row: &[i64], format: &FixedFormat) -> Vec<i64> {
        (row.iter().enumerate())
            .map(|(j, &r)| self.quantize(j, r, format))
            .collect()
    }

    /// z-scores one row of reals (the float baseline), with the same means
    /// and deviations.
    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(self.means_f64().iter().zip(self.stds_f64()))
            .map(|(x, (m, s))| if s > 0.0 { (x - m) / s } else { x - m })
            .collect()
    }
}

/// Normalized, clamped and quantized rows: what is committed and trained on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedDataset {
    /// Features as fixed-point integers at scale `2^Fx` (the format's
    /// `feature_frac_bits`), each in the format's feature range.
    pub rows: Vec<Vec<i64>>,
    /// Labels, 0 or 1.
    pub labels: Vec<u8>,
}

impl FixedDataset {
    /// Quantizes raw rows with `norm` and `format` ([`Normalizer::quantize`]).
    pub fn quantize(data: &RawDataset, norm: &Normalizer, format: &FixedFormat) -> Self {
        FixedDataset {
            rows: (data.rows.iter())
                .map(|r| norm.quantize_row(r, format))
                .collect(),
            labels: data.labels.clone(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of features (0 when empty).
    pub fn features(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

/// The data a run needs: the split, its raw integers, the normalizer and
/// the quantized rows.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub train_fraction: TrainFraction,
    pub train: Dataset,
    pub test: Dataset,
    pub train_raw: RawDataset,
    pub test_raw: RawDataset,
    pub normalizer: Normalizer,
    pub train_fixed: FixedDataset,
    pub test_fixed: FixedDataset,
    /// The protected attribute (`commit --group`) and each test row's
    /// group code; its columns are not among the features.
    pub group: Option<(GroupColumn, Vec<u8>)>,
}

impl Prepared {
    /// Splits, fits the normalizer on the training rows' raw integers and
    /// quantizes both splits with it.
    pub fn new(
        data: &Dataset,
        train_fraction: TrainFraction,
        format: &FixedFormat,
    ) -> Result<Self> {
        let (train, test) = data.split(train_fraction)?;
        let train_raw = RawDataset::of(&train)?;
        let test_raw = RawDataset::of(&test)?;
        let normalizer = Normalizer::fit(&train_raw).ok_or_else(|| Error::Dataset {
            path: data.path.clone(),
            reason: "there are no training rows to normalize with".into(),
        })?;
        let train_fixed = FixedDataset::quantize(&train_raw, &normalizer, format);
        let test_fixed = FixedDataset::quantize(&test_raw, &normalizer, format);
        Ok(Prepared {
            train_fraction,
            train,
            test,
            train_raw,
            test_raw,
            normalizer,
            train_fixed,
            test_fixed,
            group: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dataset> {
        Dataset::parse(Path::new("t.csv"), text.as_bytes())
    }

    fn csv_err(text: &str) -> (u64, usize, String) {
        match parse(text) {
            Err(Error::Csv {
                line,
                column,
                reason,
                ..
            }) => (line, column, reason),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_good_file() {
        let d = parse("a,b,label\n1,2,0\n3.5,-4e2,1\n").unwrap();
        assert_eq!(d.feature_names, vec!["a", "b"]);
        assert_eq!(d.rows, vec![vec![1.0, 2.0], vec![3.5, -400.0]]);
        assert_eq!(d.labels, vec![0, 1]);
    }

    #[test]
    fn names_line_and_column_of_each_error() {
        let (l, c, r) = csv_err("a,b,label\n1,2,0\n1,,1\n");
        assert_eq!((l, c), (3, 2));
        assert!(r.contains("missing"), "{r}");
        let (l, c, r) = csv_err("a,b,label\n1,2,0\n1,x,1\n");
        assert_eq!((l, c), (3, 2));
        assert!(r.contains("not a number"), "{r}");
        for bad in ["NaN", "inf", "-inf"] {
            let (l, c, r) = csv_err(&format!("a,b,label\n1,2,0\n{bad},1,1\n"));
            assert_eq!((l, c), (3, 1), "{bad}");
            assert!(r.contains("finite") || r.contains("number"), "{r}");
        }
        let (l, _, r) = csv_err("a,b,label\n1,2,0\n1,2\n");
        assert_eq!(l, 3);
        assert!(r.contains("columns"), "{r}");
        let (l, _, r) = csv_err("a,b,label\n1,2,0\n1,2,3,4\n");
        assert_eq!(l, 3);
        assert!(r.contains("columns"), "{r}");
        let (l, c, r) = csv_err("a,b,label\n1,2,0\n1,2,2\n");
        assert_eq!((l, c), (3, 3));
        assert!(r.contains("0 or 1"), "{r}");
        let (l, c, _) = csv_err("a,b,y\n1,2,0\n");
        assert_eq!((l, c), (1, 3));
    }

    #[test]
    fn refuses_two_columns_of_one_name() {
        // ` age` trims to `age`: the same name, which a model matches by.
        for header in ["age,age,label", "age, age,label", "age,\"age \",label"] {
            let (l, c, r) = csv_err(&format!("{header}\n1,2,0\n3,4,1\n"));
            assert_eq!((l, c), (1, 2), "{header}");
            assert!(r.contains("distinct"), "{r}");
        }
        let d = Dataset::parse_inputs(Path::new("t.csv"), b"a,b,a\n1,2,3\n");
        assert!(d.is_err(), "inputs with two columns named a were read");
    }

    #[test]
    fn refuses_values_a_raw_commitment_cannot_hold() {
        // The limit is 2^31 in magnitude, named with its line and column.
        let (l, c, r) = csv_err("a,b,label\n1,2,0\n3,2147483648,1\n");
        assert_eq!((l, c), (3, 2));
        assert!(r.contains("2^31") && r.contains("rescale"), "{r}");
        let (l, c, _) = csv_err("a,b,label\n-1e200,2,0\n3,4,1\n");
        assert_eq!((l, c), (2, 1));
        // Just inside is fine, and read as round(x 2^16).
        let d = parse("a,label\n2147483647.99,0\n-0.1,1\n").unwrap();
        let raw = RawDataset::of(&d).unwrap();
        assert_eq!(raw.rows()[1], vec![-6554]);
        assert!(raw.rows()[0][0] < 1 << 47);
        // A dataset built in code with a value out of range is refused too.
        let mut bad = d.clone();
        bad.rows[0][0] = 3e9;
        let e = RawDataset::of(&bad).unwrap_err().to_string();
        assert!(e.contains("row 1 column 1"), "{e}");
    }

    #[test]
    fn refuses_empty_and_one_class_files() {
        assert!(matches!(parse(""), Err(Error::Dataset { .. })));
        assert!(matches!(parse("a,label\n"), Err(Error::Dataset { .. })));
        let e = parse("a,label\n1,1\n2,1\n").unwrap_err().to_string();
        assert!(e.contains("both classes"), "{e}");
    }

    #[test]
    fn split_and_normalize() {
        let d = parse("a,b,label\n1,5,0\n3,5,1\n5,5,0\n7,5,1\n9,5,1\n").unwrap();
        let (train, test) = d.split(TrainFraction::DEFAULT).unwrap();
        assert_eq!((train.rows.len(), test.rows.len()), (4, 1));
        let n = Normalizer::fit(&RawDataset::of(&train).unwrap()).unwrap();
        assert_eq!(n.means_f64(), vec![4.0, 5.0]);
        // sqrt(5) in raw units, floored: isqrt(5 * 2^32).
        assert_eq!(n.stds()[0], (5u128 << 32).isqrt() as i64);
        assert_eq!(n.stds()[1], 0);
        assert_eq!(n.apply(&[4.0, 5.0]), vec![0.0, 0.0]);
        // Five rows at 0.1 leave none to train on.
        assert!(d.split(TrainFraction::new(0.1).unwrap()).is_err());
    }

    /// The integer rule against its definition in rationals: the floor of
    /// the mean, the floor of the spread about it, its integer square root,
    /// and each quotient floored then clamped.
    #[test]
    fn the_integer_normalizer_follows_its_rule() {
        let fmt = FixedFormat::default();
        let rows: Vec<Vec<i64>> = vec![vec![-7, 3, 100], vec![2, 3, -5], vec![9, 3, 1 << 40]];
        let raw = RawDataset {
            rows: rows.clone(),
            labels: vec![0, 1, 0],
        };
        let n = Normalizer::fit(&raw).unwrap();
        for j in 0..3 {
            let col: Vec<i128> = rows.iter().map(|r| i128::from(r[j])).collect();
            let sum: i128 = col.iter().sum();
            let mu = sum.div_euclid(3);
            assert_eq!(i128::from(n.means()[j]), mu);
            let v: i128 = col.iter().map(|r| (r - mu) * (r - mu)).sum::<i128>() / 3;
            let s = i128::from(n.stds()[j]);
            assert!(s * s <= v && v < (s + 1) * (s + 1), "feature {j}");
            for r in [-(1i64 << 46), -1000, 0, 5, 1 << 45] {
                let q = n.quantize(j, r, &fmt);
                let d = i128::from(n.divisor(j));
                // Nearest, halves up: floor(x + 1/2) of x = (r - mu) 2^Fx / d.
                let exact =
                    (((i128::from(r) - mu) << (fmt.feature_frac_bits + 1)) + d).div_euclid(2 * d);
                let half = i128::from(fmt.feature_half_range());
                assert_eq!(i128::from(q), exact.clamp(-half, half - 1), "{j} {r}");
            }
        }
        // A constant column is only centred: its divisor is one unit.
        assert_eq!((n.stds()[1], n.divisor(1)), (0, 1 << 16));
    }

    #[test]
    fn a_normalizer_is_read_only_when_exact_and_in_range() {
        let n = Normalizer::from_fixed(vec![-65536, 3], vec![1, 0]).unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(
            json,
            r#"{"means":[-1.0,0.0000457763671875],"stds":[0.0000152587890625,0.0]}"#
        );
        assert_eq!(serde_json::from_str::<Normalizer>(&json).unwrap(), n);
        for bad in [
            r#"{"means":[0.1,0.0],"stds":[1.0,0.0]}"#,
            r#"{"means":[0.0,0.0],"stds":[-1.0,0.0]}"#,
            r#"{"means":[3e9,0.0],"stds":[1.0,0.0]}"#,
            r#"{"means":[0.0],"stds":[1.0,0.0]}"#,
        ] {
            assert!(serde_json::from_str::<Normalizer>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_train_fraction_exists_only_in_range() {
        for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            assert!(TrainFraction::new(bad).is_err(), "{bad}");
            let json = serde_json::to_string(&bad).unwrap_or_else(|_| "null".into());
            assert!(
                serde_json::from_str::<TrainFraction>(&json).is_err(),
                "{json}"
            );
        }
        assert_eq!(TrainFraction::new(1.0).unwrap().get(), 1.0);
        assert!("0.8".parse::<TrainFraction>().is_ok());
        let e = "eighty".parse::<TrainFraction>().unwrap_err().to_string();
        assert!(e.contains("for example 0.8"), "{e}");
        // The suggested value is accepted.
        assert_eq!(
            "0.8".parse::<TrainFraction>().unwrap(),
            TrainFraction::DEFAULT
        );
        // It serializes as the bare number, so older files read unchanged.
        assert_eq!(
            serde_json::to_string(&TrainFraction::DEFAULT).unwrap(),
            "0.8"
        );
        let bytes =
            bincode::serde::encode_to_vec(TrainFraction::DEFAULT, bincode::config::standard())
                .unwrap();
        assert_eq!(
            bytes,
            bincode::serde::encode_to_vec(0.8f64, bincode::config::standard()).unwrap()
        );
    }
}
