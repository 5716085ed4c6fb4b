//! The fixed-point trainer (what is proven) loses almost nothing against f64
//! on every shipped dataset, and the f64 trainer reproduces the float
//! reference table of `datasets/README.md`.

mod common;

use std::path::PathBuf;

use foldtrain::commands::{train, DataArgs, TrainReport};
use foldtrain::recipe::Hyper;

/// Largest allowed gap between fixed-point and float test accuracy: half a
/// percentage point.
const MAX_GAP: f64 = 0.005;

/// `datasets/README.md`, "A float reference": file, float train accuracy,
/// float test accuracy (default recipe, first 80% of rows train).
const REFERENCE: [(&str, &str, &str); 3] = [
    ("german_credit.csv", "0.7800", "0.7350"),
    ("breast_cancer.csv", "0.9868", "0.9737"),
    ("adult.csv", "0.8454", "0.8441"),
];

fn dataset(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("datasets")
        .join(file)
}

fn train_default(file: &str) -> TrainReport {
    let args = DataArgs {
        data: dataset(file),
        train_fraction: foldtrain::dataset::TrainFraction::DEFAULT,
        hyper: Hyper::default(),
        group: None,
    };
    train(&args, None)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .0
}

fn check(file: &str) {
    let (_, train_ref, test_ref) = REFERENCE
        .iter()
        .find(|r| r.0 == file)
        .copied()
        .expect("a reference row");
    let r = train_default(file);
    let fixed = r.test_accuracy.expect("test rows");
    let float = r.float_test_accuracy.expect("test rows");
    let summary = format!(
        "{file}: fixed train {:.4} test {fixed:.4}; float train {:.4} test {float:.4}",
        r.train_accuracy, r.float_train_accuracy
    );
    println!("{summary}");
    // Compared in rows, so that a gap of exactly half a point (one row of
    // German credit's 200 test rows) is not lost to f64 rounding.
    let rows = r.test_rows as f64;
    let gap_rows = ((fixed - float).abs() * rows).round();
    let allowed_rows = (MAX_GAP * rows + 1e-9).floor();
    assert!(
        gap_rows <= allowed_rows,
        "fixed-point test accuracy is more than {MAX_GAP} from float \
         ({gap_rows} of {rows} test rows, at most {allowed_rows} allowed): {summary}"
    );
    assert_eq!(
        format!("{:.4}", r.float_train_accuracy),
        train_ref,
        "float train accuracy differs from datasets/README.md: {summary}"
    );
    assert_eq!(
        format!("{float:.4}"),
        test_ref,
        "float test accuracy differs from datasets/README.md: {summary}"
    );
}

#[test]
fn german_credit_fixed_matches_float() {
    common::isolate_cache();
    check("german_credit.csv");
}

#[test]
fn breast_cancer_fixed_matches_float() {
    common::isolate_cache();
    check("breast_cancer.csv");
}

#[test]
fn adult_fixed_matches_float() {
    common::isolate_cache();
    check("adult.csv");
}

/// The constants above are the ones `datasets/README.md` documents, so the
/// table and this test cannot drift apart silently.
#[test]
fn reference_table_is_the_documented_one() {
    common::isolate_cache();
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/README.md"),
    )
    .unwrap();
    let section = readme
        .split("## A float reference")
        .nth(1)
        .expect("datasets/README.md has a float reference section");
    for (file, train_acc, test_acc) in REFERENCE {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| {file} ")))
            .unwrap_or_else(|| panic!("no reference row for {file}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!((cells[2], cells[3]), (train_acc, test_acc), "{row}");
    }
}
