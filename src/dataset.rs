//! CSV → validated rows → normalized, quantized rows.
//!
//! Format: a header row; numeric feature columns; a last column named `label`
//! holding 0 or 1. Every problem is reported with the file, line and column.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fixed::FixedFormat;

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
    Ok(v)
}

/// Per-feature z-scoring fitted on the training rows. Part of the published
/// model, so predictions can be reproduced; not proven (see README).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// Training mean of each feature.
    pub means: Vec<f64>,
    /// Training population standard deviation of each feature (0 for a
    /// constant column, which is then only centred).
    pub stds: Vec<f64>,
}

impl Normalizer {
    /// Fits means and population standard deviations on `data`.
    pub fn fit(data: &Dataset) -> Self {
        let d = data.features();
        let n = data.rows.len() as f64;
        let mut means = vec![0.0; d];
        for row in &data.rows {
            for (m, x) in means.iter_mut().zip(row) {
                *m += x;
            }
        }
        means.iter_mut().for_each(|m| *m /= n);
        let mut stds = vec![0.0; d];
        for row in &data.rows {
            for ((s, x), m) in stds.iter_mut().zip(row).zip(&means) {
                *s += (x - m) * (x - m);
            }
        }
        stds.iter_mut().for_each(|s| *s = (*s / n).sqrt());
        Normalizer { means, stds }
    }

    /// z-scores one row.
    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(self.means.iter().zip(&self.stds))
            .map(|(x, (m, s))| if *s > 0.0 { (x - m) / s } else { x - m })
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
    /// Normalizes with `norm`, clamps and quantizes with `format`.
    pub fn quantize(data: &Dataset, norm: &Normalizer, format: &FixedFormat) -> Self {
        let rows = data
            .rows
            .iter()
            .map(|r| {
                norm.apply(r)
                    .into_iter()
                    .map(|v| format.quantize_feature(v))
                    .collect()
            })
            .collect();
        FixedDataset {
            rows,
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

/// The data a run needs: the split, the normalizer and the quantized rows.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub train_fraction: TrainFraction,
    pub train: Dataset,
    pub test: Dataset,
    pub normalizer: Normalizer,
    pub train_fixed: FixedDataset,
}

impl Prepared {
    /// Splits, fits the normalizer on the training rows and quantizes them.
    pub fn new(
        data: &Dataset,
        train_fraction: TrainFraction,
        format: &FixedFormat,
    ) -> Result<Self> {
        let (train, test) = data.split(train_fraction)?;
        let normalizer = Normalizer::fit(&train);
        // Finite values can still overflow a mean or a spread (|x| above
        // about 1e154): such a model could not be written or read back.
        let overflow = (normalizer.means.iter().zip(&normalizer.stds))
            .position(|(m, s)| !m.is_finite() || !s.is_finite());
        if let Some(j) = overflow {
            return Err(Error::Dataset {
                path: data.path.clone(),
                reason: format!(
                    "feature `{}` is too large to normalize (its mean or spread overflows a \
                     double); rescale that column (divide it by a power of ten) first",
                    data.feature_names[j]
                ),
            });
        }
        let train_fixed = FixedDataset::quantize(&train, &normalizer, format);
        Ok(Prepared {
            train_fraction,
            train,
            test,
            normalizer,
            train_fixed,
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
    fn refuses_values_whose_spread_overflows() {
        let d = parse("a,b,label\n1e200,1,0\n-1e200,2,1\n3,4,1\n").unwrap();
        let e = Prepared::new(
            &d,
            TrainFraction::new(1.0).unwrap(),
            &FixedFormat::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`a` is too large to normalize"), "{e}");
        // Large but not overflowing is fine.
        let d = parse("a,b,label\n1e100,1,0\n-1e100,2,1\n3,4,1\n").unwrap();
        assert!(Prepared::new(
            &d,
            TrainFraction::new(1.0).unwrap(),
            &FixedFormat::default()
        )
        .is_ok());
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
        let n = Normalizer::fit(&train);
        assert_eq!(n.means, vec![4.0, 5.0]);
        assert!((n.stds[0] - 5.0f64.sqrt()).abs() < 1e-12);
        assert_eq!(n.stds[1], 0.0);
        let z = n.apply(&[4.0, 5.0]);
        assert_eq!(z, vec![0.0, 0.0]);
        // Five rows at 0.1 leave none to train on.
        assert!(d.split(TrainFraction::new(0.1).unwrap()).is_err());
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
