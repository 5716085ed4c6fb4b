//! The shipped datasets are the ones `datasets/README.md` describes.

use std::path::Path;

use foldtrain::artifact::sha256_hex;
use foldtrain::dataset::Dataset;

fn readme_rows() -> Vec<(String, String, usize, usize)> {
    let readme = std::fs::read_to_string("datasets/README.md").unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".csv"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let (rows, features) = cells[2].split_once('×')?;
            Some((
                cells[1].to_string(),
                cells[5].to_string(),
                rows.trim().parse().ok()?,
                features.trim().parse().ok()?,
            ))
        })
        .collect()
}

#[test]
fn every_shipped_csv_matches_its_documented_hash_and_shape() {
    let rows = readme_rows();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        names,
        ["german_credit.csv", "breast_cancer.csv", "adult.csv"],
        "datasets/README.md lists every shipped file"
    );
    for (file, sha, n, d) in rows {
        let path = Path::new("datasets").join(&file);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(sha256_hex(&bytes), sha, "{file}");
        let data = Dataset::parse(&path, &bytes).unwrap();
        assert_eq!((data.rows.len(), data.features()), (n, d), "{file}");
    }
}
