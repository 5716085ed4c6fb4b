//! The `foldtrain` binary end to end: exit codes, messages, JSON reports and
//! the files it writes (or, on bad input, does not write).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

#[cfg(unix)]
use common::bin::mode;
use common::bin::{arg, foldtrain_in, listing, Run};

// ---------------------------------------------------------------- helpers

/// A scratch folder for one test.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// A scratch folder holding [`small_csv`] as `data.csv`, and that file's
    /// path.
    fn with_small_csv() -> (Self, String) {
        let t = Scratch::new();
        let data = t.write("data.csv", &small_csv());
        (t, data)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` and returns its path as a string.
    fn write(&self, name: &str, contents: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write a test file");
        arg(&p)
    }

    /// Runs the binary inside this folder (so that a stray relative output
    /// can never land in the source tree).
    fn run(&self, args: &[&str]) -> Run {
        foldtrain_in(self.dir.path(), args)
    }

    /// Names of the entries of the folder (or of a subfolder), sorted.
    fn listing(&self, sub: &str) -> Vec<String> {
        listing(&self.dir.path().join(sub))
    }
}

/// A deterministic pseudo-random sequence (xorshift64*), so the generated
/// CSVs are identical on every run and machine.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Feature names `x1..xd` with a last `label` column.
fn header(features: usize, first: &str) -> String {
    let mut cols: Vec<String> = vec![first.to_string()];
    cols.extend((2..=features).map(|j| format!("x{j}")));
    cols.push("label".into());
    cols.join(",")
}

/// A small, learnable CSV: `rows` rows of `features` features on different
/// scales, labelled by a fixed linear rule plus a little noise. Both classes
/// are present.
fn synthetic_csv(rows: usize, features: usize) -> String {
    synthetic_csv_named(rows, features, "x1")
}

fn synthetic_csv_named(rows: usize, features: usize, first: &str) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut text = header(features, first);
    text.push('\n');
    let mut ones = 0;
    for _ in 0..rows {
        let mut score = 0.0;
        let mut cells = Vec::with_capacity(features + 1);
        for j in 0..features {
            let scale = [1.0, 10.0, 0.1, 100.0][j % 4];
            let v = (rng.range(-1.0, 1.0) * scale * 1000.0).round() / 1000.0;
            let sign = if j % 3 == 1 { -1.0 } else { 1.0 };
            score += sign * v / scale;
            cells.push(format!("{v}"));
        }
        let label = u8::from(score + rng.range(-0.3, 0.3) >= 0.0);
        ones += usize::from(label);
        cells.push(label.to_string());
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    assert!(ones > 0 && ones < rows, "the generator made one class only");
    text
}

/// The standard small training set of these tests: 40 rows, 3 features.
const ROWS: usize = 40;
const FEATURES: usize = 3;

fn small_csv() -> String {
    synthetic_csv(ROWS, FEATURES)
}

/// `small_csv` with file line `line` (1 is the header) replaced by `row`.
fn with_line(line: usize, row: &str) -> String {
    let csv = small_csv();
    let mut lines: Vec<&str> = csv.lines().collect();
    lines[line - 1] = row;
    lines.join("\n") + "\n"
}

fn read_json_file(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn accuracy_field(v: &Value, field: &str) -> f64 {
    let a = v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("`{field}` should be a number in {v}"));
    assert!((0.0..=1.0).contains(&a), "`{field}` = {a} is not in [0, 1]");
    a
}

// ------------------------------------------------------------------ train

#[test]
fn train_json_reports_accuracies_weights_and_bias() {
    let (t, data) = Scratch::with_small_csv();
    let run = t
        .run(&[
            "train", "--data", &data, "--json", "--epochs", "2", "--batch", "8",
        ])
        .ok();
    let v = run.json();
    for field in [
        "train_accuracy",
        "test_accuracy",
        "float_train_accuracy",
        "float_test_accuracy",
    ] {
        accuracy_field(&v, field);
    }
    let weights = v["weights"].as_array().expect("`weights` is an array");
    assert_eq!(weights.len(), FEATURES, "one weight per feature: {v}");
    assert!(
        weights.iter().all(Value::is_number),
        "weights are numbers: {v}"
    );
    assert!(v["bias"].is_number(), "`bias` is a number: {v}");
    assert_eq!(v["train_rows"], 32);
    assert_eq!(v["test_rows"], 8);
    assert_eq!(v["recipe"]["epochs"], 2);
    assert_eq!(v["recipe"]["batch"], 8);
    // The rule is linear and nearly noise free: training learns something.
    assert!(
        v["train_accuracy"].as_f64().unwrap() >= 0.75,
        "train accuracy on a learnable rule: {v}"
    );
}

#[test]
fn estimate_reports_the_plan_and_the_recipe_is_its_fastest() {
    // 32 training rows in batches of 8: K may be 1, 2 or 4.
    let (t, data) = Scratch::with_small_csv();
    let v = t
        .run(&[
            "--json", "estimate", "--data", &data, "--epochs", "3", "--batch", "8",
        ])
        .ok()
        .json();
    let plan = v["plan"].as_array().expect("`plan` is an array");
    let ks: Vec<u64> = plan
        .iter()
        .map(|c| c["shape"]["batches_per_step"].as_u64().unwrap())
        .collect();
    assert_eq!(ks, [1, 2, 4], "{v}");
    let total = |c: &Value| c["prediction"]["total_s"].as_f64().unwrap();
    let fastest = plan
        .iter()
        .min_by(|a, b| total(a).total_cmp(&total(b)))
        .unwrap();
    assert_eq!(
        v["recipe"]["batches_per_step"], fastest["shape"]["batches_per_step"],
        "the planner takes the fastest K: {v}"
    );
    for c in plan {
        let p = &c["prediction"];
        let sum: f64 = ["setup_s", "folding_s", "compression_s"]
            .iter()
            .map(|k| p[k].as_f64().unwrap())
            .sum();
        assert!((sum - total(c)).abs() < 1e-9, "{c}");
        let padded = c["shape"]["padded"].as_u64().unwrap();
        assert!(padded.is_power_of_two(), "{c}");
    }
    // The counted circuit pads to the size the plan predicted for it.
    let chosen = plan
        .iter()
        .find(|c| c["shape"]["batches_per_step"] == v["recipe"]["batches_per_step"])
        .unwrap();
    assert_eq!(v["padded_constraints"], chosen["shape"]["padded"], "{v}");
    let whole = ["setup_s", "estimated_prove_s", "estimated_compress_s"]
        .iter()
        .map(|k| v[k].as_f64().unwrap())
        .sum::<f64>();
    assert!((whole - v["estimated_total_s"].as_f64().unwrap()).abs() < 1e-9);
    // A K the user gives is kept, even when it is not the fastest.
    let v = t
        .run(&[
            "--json",
            "estimate",
            "--data",
            &data,
            "--epochs",
            "3",
            "--batch",
            "8",
            "--batches-per-step",
            "2",
        ])
        .ok()
        .json();
    assert_eq!(v["recipe"]["batches_per_step"], 2, "{v}");
}

#[test]
fn train_text_output_and_model_file() {
    let (t, data) = Scratch::with_small_csv();
    let model = t.path("model.json");
    let run = t
        .run(&["train", "--data", &data, "--out", &arg(&model)])
        .ok();
    assert!(run.stdout.contains("fixed point"), "{}", run.stdout);
    assert!(run.stdout.contains("float (f64)"), "{}", run.stdout);
    assert!(run.stdout.contains("model written to"), "{}", run.stdout);
    let m = read_json_file(&model);
    assert_eq!(m["kind"], "foldtrain-model");
    assert_eq!(m["weights_fixed"].as_array().unwrap().len(), FEATURES);
    #[cfg(unix)]
    assert_eq!(mode(&model), 0o644, "a model is public");
}

#[test]
fn train_out_into_a_missing_folder_is_refused_cleanly() {
    let (t, data) = Scratch::with_small_csv();
    let model = t.path("missing/model.json");
    t.run(&["train", "--data", &data, "--out", &arg(&model)])
        .refused(&["missing"]);
    assert!(!model.exists());
    assert_eq!(t.listing(""), ["data.csv"]);
}

#[test]
fn io_error_messages_do_not_repeat_their_cause() {
    let t = Scratch::new();
    let run = t.run(&["train", "--data", &arg(&t.path("nope.csv"))]);
    run.refused(&["nope.csv", "No such file or directory", "check the path"]);
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "the cause is said once: {}",
        run.stderr
    );
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "one line");
}

// ------------------------------------------------------- malformed input

/// Asserts that `train` and `commit` both refuse `csv` with exit 2 and a
/// message containing every needle, and that neither writes a file.
fn refuses_everywhere(csv: &str, needles: &[&str]) {
    let t = Scratch::new();
    let data = t.write("bad.csv", csv);
    std::fs::create_dir(t.path("out")).unwrap();
    let model = t.path("out/model.json");
    t.run(&["train", "--data", &data, "--out", &arg(&model)])
        .refused(needles);
    assert!(!model.exists(), "no model.json on bad input");
    t.run(&["train", "--data", &data, "--json"])
        .refused(needles);
    let commit_dir = t.path("out/commit");
    t.run(&["commit", "--data", &data, "--out", &arg(&commit_dir)])
        .refused(needles);
    assert!(
        !commit_dir.join("private").join("opening.json").exists(),
        "no opening.json"
    );
    assert!(!commit_dir.join("commitment.json").exists());
    // prove refuses before it says it starts minutes of work: the first
    // line on stderr is the error.
    let run_dir = t.path("out/run");
    t.run(&["prove", "--data", &data, "--out", &arg(&run_dir)])
        .refused(needles);
    assert_eq!(
        t.listing("out"),
        Vec::<String>::new(),
        "nothing at all is written on bad input"
    );
}

#[test]
fn non_numeric_value_names_line_and_column() {
    refuses_everywhere(
        &with_line(3, "0.5,abc,0.1,1"),
        &["bad.csv", "line 3, column 2", "abc", "not a number"],
    );
}

#[test]
fn missing_value_names_line_and_column() {
    refuses_everywhere(
        &with_line(7, "0.5,,0.1,1"),
        &["line 7, column 2 (`x2`)", "missing value"],
    );
    // A missing label is a label that is not 0 or 1.
    refuses_everywhere(&with_line(5, "0.5,1,0.1,"), &["line 5, column 4"]);
}

#[test]
fn nan_and_infinity_are_refused_with_their_line() {
    for (line, bad) in [
        (3, "NaN"),
        (4, "nan"),
        (5, "inf"),
        (6, "-inf"),
        (8, "infinity"),
    ] {
        refuses_everywhere(
            &with_line(line, &format!("0.5,1,{bad},1")),
            &[&format!("line {line}, column 3"), "finite"],
        );
    }
    // A finite literal too large for f64 overflows to infinity when parsed.
    refuses_everywhere(
        &with_line(9, "1e400,1,0.1,0"),
        &["line 9, column 1", "finite"],
    );
}

#[test]
fn wrong_number_of_columns_names_the_line() {
    refuses_everywhere(
        &with_line(3, "0.5,1,1"),
        &["line 3", "expected 4 columns", "found 3"],
    );
    refuses_everywhere(
        &with_line(12, "0.5,1,0.1,2,1"),
        &["line 12", "expected 4 columns", "found 5"],
    );
}

#[test]
fn labels_other_than_0_and_1_are_refused() {
    for (line, bad) in [(3, "2"), (4, "-1"), (6, "0.5"), (10, "yes")] {
        refuses_everywhere(
            &with_line(line, &format!("0.5,1,0.1,{bad}")),
            &[&format!("line {line}, column 4"), "label must be 0 or 1"],
        );
    }
}

#[test]
fn header_without_a_label_column_is_refused() {
    let csv = small_csv().replacen(",label\n", ",target\n", 1);
    refuses_everywhere(&csv, &["line 1, column 4", "`label`"]);
}

#[test]
fn empty_and_header_only_files_are_refused() {
    refuses_everywhere("", &["bad.csv", "empty"]);
    refuses_everywhere(&(header(FEATURES, "x1") + "\n"), &["no data rows"]);
}

#[test]
fn one_class_files_are_refused() {
    let ones: String = small_csv()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                format!("{}1", l.trim_end_matches(['0', '1']))
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    refuses_everywhere(&ones, &["every label is 1", "both classes"]);
}

#[test]
fn a_missing_file_is_refused() {
    let t = Scratch::new();
    let missing = arg(&t.path("nope.csv"));
    t.run(&["train", "--data", &missing]).refused(&["nope.csv"]);
    let out = t.path("c");
    t.run(&["commit", "--data", &missing, "--out", &arg(&out)])
        .refused(&["nope.csv"]);
    assert!(!out.exists());
    let model = t.path("model.json");
    t.run(&[
        "train",
        "--data",
        &t.write("d.csv", &small_csv()),
        "--out",
        &arg(&model),
    ])
    .ok();
    t.run(&["evaluate", "--model", &arg(&model), "--data", &missing])
        .refused(&["nope.csv"]);
    t.run(&[
        "evaluate",
        "--model",
        &arg(&t.path("none.json")),
        "--data",
        &missing,
    ])
    .refused(&["none.json"]);
}

// Line numbers of CSVs with Windows (CRLF) line endings or blank lines: the
// csv crate's record positions are off for both (BurntSushi/rust-csv#395 and
// #208), so `Dataset::parse` counts line breaks up to the record's offset.

#[test]
fn crlf_files_report_the_right_line() {
    let csv = with_line(5, "0.5,abc,0.1,1").replace('\n', "\r\n");
    refuses_everywhere(&csv, &["line 5, column 2"]);
}

#[test]
fn blank_lines_do_not_shift_line_numbers() {
    // Header, two rows, two blank lines, then the bad row on line 6.
    let mut lines: Vec<String> = small_csv().lines().map(String::from).collect();
    lines.insert(3, String::new());
    lines.insert(3, String::new());
    lines[5] = "0.5,abc,0.1,1".into();
    refuses_everywhere(&(lines.join("\n") + "\n"), &["line 6, column 2"]);
}

#[test]
fn crlf_files_train_like_lf_files() {
    let t = Scratch::new();
    let lf = t.write("lf.csv", &small_csv());
    let crlf = t.write("crlf.csv", &small_csv().replace('\n', "\r\n"));
    let a = t.run(&["train", "--data", &lf, "--json"]).ok().json();
    let b = t.run(&["train", "--data", &crlf, "--json"]).ok().json();
    assert_eq!(a["weights"], b["weights"]);
    assert_eq!(a["bias"], b["bias"]);
    assert_eq!(a["test_accuracy"], b["test_accuracy"]);
}

// ----------------------------------------------------------------- commit

#[test]
fn commit_writes_a_public_commitment_and_a_private_opening() {
    let (t, data) = Scratch::with_small_csv();
    let dir = t.path("c");
    let run = t
        .run(&["commit", "--data", &data, "--out", &arg(&dir), "--json"])
        .ok();
    let report = run.json();
    let commitment_path = dir.join("commitment.json");
    let opening_path = dir.join("private").join("opening.json");
    assert_eq!(
        t.listing("c"),
        ["commitment.json", "manifest.json", "private"]
    );
    assert_eq!(t.listing("c/private"), ["opening.json", "run.lock"]);
    #[cfg(unix)]
    {
        assert_eq!(mode(&opening_path), 0o600, "the opening is private");
        assert_eq!(mode(&dir.join("private")), 0o700, "the private folder too");
        assert_eq!(mode(&commitment_path), 0o644, "the commitment is public");
    }
    let public = read_json_file(&commitment_path);
    let opening = read_json_file(&opening_path);
    assert_eq!(public["kind"], "foldtrain-commitment");
    assert_eq!(opening["kind"], "foldtrain-opening");
    assert_eq!(public["version"], 3);
    assert_eq!(public["train"]["rows"], 32, "floor(0.8 * 40) training rows");
    assert_eq!(public["test"]["rows"], 8, "the other 8 rows test");
    assert_eq!(public["features"], FEATURES);
    assert_eq!(public["train_fraction"], 0.8);
    assert!(public["split"].as_str().unwrap().contains("file order"));
    assert!(public["preprocessing"].as_str().unwrap().contains("isqrt"));
    for split in ["train", "test", "raw_train", "raw_test"] {
        let c = public[split]["commitment"]
            .as_str()
            .expect("a hex commitment");
        assert_eq!(c.len(), 64);
        assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(opening[split]["commitment"], public[split]["commitment"]);
        assert!(opening[split]["salt"].is_string());
    }
    let all: Vec<&serde_json::Value> = ["train", "test", "raw_train", "raw_test"]
        .iter()
        .map(|s| &public[s]["commitment"])
        .collect();
    for i in 0..4 {
        for j in 0..i {
            assert_ne!(all[i], all[j], "four distinct commitments");
        }
    }
    assert_ne!(opening["train"]["salt"], opening["test"]["salt"]);
    assert_eq!(report["commitment"], public["train"]["commitment"]);
    assert_eq!(report["test_commitment"], public["test"]["commitment"]);
    assert_eq!(report["raw_commitment"], public["raw_train"]["commitment"]);
    assert!(
        public.get("salt").is_none()
            && !std::fs::read_to_string(&commitment_path)
                .unwrap()
                .contains("salt"),
        "the public file never holds the salt"
    );
    // The plain-text report names both files.
    let text = t
        .run(&["commit", "--data", &data, "--out", &arg(&t.path("c2"))])
        .ok();
    assert!(text.stdout.contains("commitment.json"), "{}", text.stdout);
    assert!(text.stdout.contains("opening.json"), "{}", text.stdout);
}

#[test]
fn committing_twice_uses_a_fresh_salt() {
    let (t, data) = Scratch::with_small_csv();
    let commit = |dir: &str| {
        let d = t.path(dir);
        t.run(&["commit", "--data", &data, "--out", &arg(&d)]).ok();
        (
            read_json_file(&d.join("commitment.json")),
            read_json_file(&d.join("private").join("opening.json")),
        )
    };
    let (c1, o1) = commit("one");
    let (c2, o2) = commit("two");
    for split in ["train", "test"] {
        assert_ne!(
            c1[split]["commitment"], c2[split]["commitment"],
            "fresh salts each time"
        );
        assert_ne!(o1[split]["salt"], o2[split]["salt"]);
        // Same rows, same chain: only the salts differ.
        assert_eq!(o1[split]["chain"], o2[split]["chain"]);
    }
    assert_eq!(o1["source_sha256"], o2["source_sha256"]);
}

/// Issue 11: a second commit into a folder would replace the salt that
/// opens the first (perhaps published) commitment. It is refused, with and
/// without --force, and leaves both files byte for byte.
#[test]
fn committing_again_into_a_folder_is_refused_and_keeps_the_opening() {
    let (t, data) = Scratch::with_small_csv();
    let d = t.path("one");
    t.run(&["commit", "--data", &data, "--out", &arg(&d)]).ok();
    let files = || {
        (
            std::fs::read(d.join("commitment.json")).unwrap(),
            std::fs::read(d.join("private").join("opening.json")).unwrap(),
        )
    };
    let before = files();
    // The opening is checked first: --force could never help, so the
    // message does not suggest it.
    let again = t.run(&["commit", "--data", &data, "--out", &arg(&d)]);
    again.refused(&["opening.json", "never replaced", "another --out"]);
    assert!(!again.stderr.contains("--force"), "{again}");
    assert_eq!(files(), before);
    t.run(&["commit", "--data", &data, "--out", &arg(&d), "--force"])
        .refused(&["opening.json", "never replaced", "another --out"]);
    assert_eq!(files(), before);
    // The advice holds: another --out works.
    t.run(&["commit", "--data", &data, "--out", &arg(&t.path("two"))])
        .ok();
    // With the opening moved away (to a vault, say), --force replaces the
    // public file.
    std::fs::rename(d.join("private").join("opening.json"), t.path("vault.json")).unwrap();
    t.run(&["commit", "--data", &data, "--out", &arg(&d), "--force"])
        .ok();
    assert_ne!(files().0, before.0);
}

#[test]
fn commit_into_a_path_that_is_a_file_is_refused() {
    let (t, data) = Scratch::with_small_csv();
    let file = t.write("taken", "not a folder");
    t.run(&["commit", "--data", &data, "--out", &file])
        .refused(&["taken"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
}

// --------------------------------------------------------------- evaluate

#[test]
fn evaluate_a_trained_model_on_its_data() {
    let (t, data) = Scratch::with_small_csv();
    let model = arg(&t.path("model.json"));
    let trained = t
        .run(&["train", "--data", &data, "--out", &model, "--json"])
        .ok()
        .json();
    let v = t
        .run(&["evaluate", "--model", &model, "--data", &data, "--json"])
        .ok()
        .json();
    let acc = accuracy_field(&v, "accuracy");
    assert_eq!(v["rows"], ROWS);
    // Evaluate uses the same normalizer, quantization and weights as train,
    // so on the whole file it counts exactly the train and test hits.
    let hits = |field: &str, rows: &str| {
        trained[field].as_f64().unwrap() * trained[rows].as_f64().unwrap()
    };
    let expected =
        (hits("train_accuracy", "train_rows") + hits("test_accuracy", "test_rows")) / ROWS as f64;
    assert!(
        (acc - expected).abs() < 1e-9,
        "evaluate {acc} vs train's combined {expected}"
    );
    let text = t
        .run(&["evaluate", "--model", &model, "--data", &data])
        .ok();
    assert!(text.stdout.contains("accuracy"), "{}", text.stdout);
    assert!(
        text.stdout.contains(&format!("{ROWS} rows")),
        "{}",
        text.stdout
    );
}

#[test]
fn evaluate_refuses_data_whose_columns_differ() {
    let t = Scratch::new();
    let model = arg(&t.path("model.json"));
    let data = t.write("data.csv", &small_csv());
    t.run(&["train", "--data", &data, "--out", &model]).ok();
    // Fewer columns.
    let narrow = t.write("narrow.csv", &synthetic_csv(20, FEATURES - 1));
    t.run(&["evaluate", "--model", &model, "--data", &narrow, "--json"])
        .refused(&["narrow.csv", "do not match"]);
    // More columns.
    let wide = t.write("wide.csv", &synthetic_csv(20, FEATURES + 2));
    t.run(&["evaluate", "--model", &model, "--data", &wide])
        .refused(&["wide.csv", "do not match"]);
    // Same count, another name.
    let renamed = t.write("renamed.csv", &synthetic_csv_named(20, FEATURES, "age"));
    t.run(&["evaluate", "--model", &model, "--data", &renamed])
        .refused(&["renamed.csv", "do not match"]);
    // Malformed data is refused with its line, as for train.
    let bad = t.write("bad.csv", &with_line(4, "1,2,x,0"));
    t.run(&["evaluate", "--model", &model, "--data", &bad])
        .refused(&["line 4, column 3"]);
}

#[test]
fn evaluate_refuses_files_that_are_not_models() {
    let (t, data) = Scratch::with_small_csv();
    let dir = t.path("c");
    t.run(&["commit", "--data", &data, "--out", &arg(&dir)])
        .ok();
    let opening = arg(&dir.join("private").join("opening.json"));
    let commitment = arg(&dir.join("commitment.json"));
    t.run(&["evaluate", "--model", &opening, "--data", &data])
        .refused(&["opening.json", "foldtrain-opening", "foldtrain-model"]);
    t.run(&["evaluate", "--model", &commitment, "--data", &data])
        .refused(&["commitment.json", "foldtrain-commitment"]);
    t.run(&["evaluate", "--model", &data, "--data", &data])
        .refused(&["data.csv", "not a JSON"]);
    let empty = t.write("empty.json", "");
    t.run(&["evaluate", "--model", &empty, "--data", &data])
        .refused(&["empty.json"]);
    let kindless = t.write("kindless.json", r#"{"weights": [1, 2, 3]}"#);
    t.run(&["evaluate", "--model", &kindless, "--data", &data])
        .refused(&["kindless.json", "no `kind` field"]);
    let array = t.write("array.json", "[1, 2, 3]");
    t.run(&["evaluate", "--model", &array, "--data", &data])
        .refused(&["array.json"]);
    let folder = arg(&dir);
    t.run(&["evaluate", "--model", &folder, "--data", &data])
        .refused(&[]);
}

#[test]
fn evaluate_refuses_tampered_models() {
    let (t, data) = Scratch::with_small_csv();
    let model_path = t.path("model.json");
    t.run(&["train", "--data", &data, "--out", &arg(&model_path)])
        .ok();
    let model = read_json_file(&model_path);
    let tamper = |name: &str, edit: &dyn Fn(&mut Value)| -> String {
        let mut m = model.clone();
        edit(&mut m);
        t.write(name, &serde_json::to_string_pretty(&m).unwrap())
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            tamper("short.json", &|m| {
                m["weights_fixed"].as_array_mut().unwrap().pop();
            }),
            vec!["the model declares 3 features", "disagree"],
        ),
        (
            tamper("unknown_version.json", &|m| {
                m["recipe"]["version"] = 99.into()
            }),
            vec!["version"],
        ),
        (
            tamper("no_bias.json", &|m| {
                m.as_object_mut().unwrap().remove("bias_fixed");
            }),
            vec!["no_bias.json", "malformed"],
        ),
        (
            tamper("frac_bits.json", &|m| {
                m["recipe"]["format"]["frac_bits"] = 63.into()
            }),
            vec!["fractional bits"],
        ),
        (
            tamper("features.json", &|m| m["recipe"]["features"] = 0.into()),
            vec!["feature"],
        ),
        (
            tamper("string_weight.json", &|m| {
                m["weights_fixed"][0] = "12".into()
            }),
            vec!["string_weight.json", "malformed"],
        ),
    ];
    for (path, needles) in cases {
        t.run(&["evaluate", "--model", &path, "--data", &data])
            .refused(&needles);
    }
}

// -------------------------------------------------------------- bad usage

#[test]
fn bad_usage_exits_2() {
    let (t, data) = Scratch::with_small_csv();
    let d = data.as_str();
    let cases: &[(&[&str], &[&str])] = &[
        (&["train", "--data", d, "--frobnicate"], &["--frobnicate"]),
        (
            &["train", "--data", d, "--sigmoid", "nope"],
            &["nope", "hard4"],
        ),
        (&["train", "--data", d, "--lr", "-1"], &["-1"]),
        (&["train", "--data", d, "--lr=-1"], &["learning rate"]),
        (&["train", "--data", d, "--lr", "0"], &["learning rate"]),
        (&["train", "--data", d, "--lr", "NaN"], &["learning rate"]),
        (&["train", "--data", d, "--lr", "fast"], &["fast"]),
        (&["train", "--data", d, "--batch", "0"], &["batch"]),
        (&["train", "--data", d, "--batch", "33"], &["batch"]),
        (&["train", "--data", d, "--batch", "-4"], &["-4"]),
        (&["train", "--data", d, "--epochs", "0"], &["epochs"]),
        (
            &["train", "--data", d, "--train-fraction", "0"],
            &["fraction"],
        ),
        (
            &["train", "--data", d, "--train-fraction", "1.5"],
            &["fraction"],
        ),
        (
            &["train", "--data", d, "--train-fraction", "0.01"],
            &["fraction"],
        ),
        (
            &["train", "--data", d, "--frac-bits", "4"],
            &["fractional bits"],
        ),
        (
            &["train", "--data", d, "--frac-bits", "40"],
            &["fractional bits"],
        ),
        (
            &["train", "--data", d, "--frac-bits", "64"],
            &["fractional bits"],
        ),
        (&["commit", "--data", d], &["--out"]),
        (
            &["commit", "--data", d, "--out", "c", "--batch", "0"],
            &["batch"],
        ),
        (&["evaluate", "--data", d], &["--model"]),
        (&["evaluate", "--model", "m.json"], &["--data"]),
        (&["frobnicate"], &["frobnicate"]),
        (&[], &[]),
        (&["prove", "--data", d, "--epochs", "0"], &["epochs"]),
        (&["prove", "--data", d, "--batch", "7"], &["batch"]),
        (&["prove", "--data", "no-such.csv"], &["no-such.csv"]),
    ];
    for (args, needles) in cases {
        let run = t.run(args);
        assert_eq!(
            run.code, 2,
            "foldtrain {args:?}: expected exit 2\nstderr:\n{}",
            run.stderr
        );
        // The error comes first: nothing announces work that never starts.
        assert!(
            run.stderr.starts_with("error:") || !args.contains(&"prove"),
            "foldtrain {args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        for needle in *needles {
            assert!(
                run.stderr.contains(needle),
                "foldtrain {args:?}: stderr should mention {needle:?}:\n{}",
                run.stderr
            );
        }
    }
    assert_eq!(t.listing(""), ["data.csv"], "bad usage writes nothing");
}

#[test]
fn help_and_version_exit_0() {
    let t = Scratch::new();
    let help = t.run(&["--help"]).ok();
    for command in ["train", "commit", "evaluate"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
    let version = t.run(&["--version"]).ok();
    assert!(
        version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.stdout
    );
}

// ------------------------------------------ verify and inspect, every kind

/// Real bundles of every kind, proven once for the tests below: 40 rows of
/// 3 features committed (32 train, 8 test), trained one epoch with public
/// and with committed weights, the public model evaluated on the test split
/// and run on 8 other rows; plus the evaluation forged (its counts moved).
struct Proven {
    _dir: TempDir,
    /// The public-weights training bundle, and a copy in another folder.
    train_a: String,
    train_b: String,
    committed: String,
    eval: String,
    predict: String,
    forged_eval: String,
}

fn proven() -> &'static Proven {
    use foldtrain::commands::{self, EvalArgs, InferArgs, PredictArgs};
    use foldtrain::inference::{Claim, InferBundle};
    use foldtrain::ivc::prover::Silent;
    use foldtrain::recipe::WeightsVisibility;
    static P: std::sync::OnceLock<Proven> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        common::isolate_cache();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let csv = common::data::write_small_csv(&root.join("d.csv"), 40, &common::data::SCALES, 3);
        let inputs =
            common::data::write_small_csv(&root.join("inputs.csv"), 8, &common::data::SCALES, 11);
        let committed_to = root.join("commit");
        commands::commit(&common::data::data_args(&csv, 1), &committed_to, false).unwrap();
        let prove = |weights, out: &str| {
            let mut args = common::data::data_args(&csv, 1);
            args.hyper.weights = weights;
            let mut prove = common::data::prove_args(args, root.join(out));
            prove.commitment = Some(committed_to.clone());
            commands::prove(&prove).unwrap()
        };
        let public = prove(WeightsVisibility::Public, "a");
        let committed = prove(WeightsVisibility::Committed, "committed");
        std::fs::create_dir(root.join("b")).unwrap();
        let train_b = root.join("b").join("proof.bundle");
        std::fs::copy(&public.bundle_path, &train_b).unwrap();
        let eval = commands::prove_eval(
            &EvalArgs {
                infer: InferArgs {
                    model: public.model_path.clone(),
                    out: Some(root.join("eval")),
                    rows_per_step: None,
                    force: false,
                },
                commitment: committed_to.clone(),
                data: csv.clone(),
                split: foldtrain::commitment::Split::Test,
                group: None,
            },
            &Silent,
        )
        .unwrap();
        let predict = commands::prove_predict(
            &PredictArgs {
                infer: InferArgs {
                    model: public.model_path.clone(),
                    out: Some(root.join("predict")),
                    rows_per_step: Some(8),
                    force: false,
                },
                inputs,
                raw: false,
            },
            &Silent,
        )
        .unwrap();
        // The attack of issue 29: one false negative claimed as a true
        // positive (or one false positive as a true negative).
        let mut forged = InferBundle::read(&eval.proof.bundle).unwrap();
        match &mut forged.statement.claim {
            Claim::Evaluation { counts, .. } if counts.fn_ > 0 => {
                counts.fn_ -= 1;
                counts.tp += 1;
            }
            Claim::Evaluation { counts, .. } if counts.fp > 0 => {
                counts.fp -= 1;
                counts.tn += 1;
            }
            Claim::Evaluation { counts, .. } => {
                counts.tp -= 1;
                counts.fn_ += 1;
            }
            Claim::Predictions { .. } => unreachable!("an evaluation bundle"),
        }
        let forged_eval = root.join("forged_eval.bundle");
        std::fs::write(&forged_eval, forged.to_bytes().unwrap()).unwrap();
        Proven {
            train_a: arg(&public.bundle_path),
            train_b: arg(&train_b),
            committed: arg(&committed.bundle_path),
            eval: arg(&eval.proof.bundle),
            predict: arg(&predict.proof.bundle),
            forged_eval: arg(&forged_eval),
            _dir: dir,
        }
    })
}

/// The counts of a batch's JSON report: accepted, rejected, not checked.
fn batch_counts(v: &Value) -> (u64, u64, u64) {
    let errors = v["errors"].as_array().map_or(0, Vec::len) as u64;
    (
        v["accepted"].as_u64().unwrap(),
        v["rejected"].as_u64().unwrap(),
        errors,
    )
}

/// Issue 29, row 3: `verify forged_eval.bundle a/proof.bundle
/// b/proof.bundle` printed REJECTED for the first, then "2 of 2 bundles
/// accepted", and exited 0. The exit status of a batch is now its worst
/// bundle's, for every mix of kinds, and its summary counts every bundle.
#[test]
fn a_batch_exits_with_its_worst_verdict_over_every_kind() {
    let p = proven();
    let t = Scratch::new();
    let missing = arg(&t.path("missing.bundle"));
    // Alone, the forgery is rejected.
    assert_eq!(t.run(&["verify", &p.forged_eval]).code, 1);

    // A rejected evaluation bundle first, accepted training bundles after.
    let run = t.run(&["verify", &p.forged_eval, &p.train_a, &p.train_b]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains("2 of 3 bundles accepted, 1 rejected, 0 not checked"),
        "{run}"
    );
    let run = t.run(&["--json", "verify", &p.forged_eval, &p.train_a, &p.train_b]);
    assert_eq!(run.code, 1, "{run}");
    let v = run.json();
    assert_eq!(batch_counts(&v), (2, 1, 0), "{v}");
    assert_eq!(
        (v["total"].clone(), v["verdict"].clone()),
        (3.into(), "rejected".into())
    );
    assert_eq!(
        v["bundles"][0]["bundle"],
        p.forged_eval.as_str(),
        "in the order given"
    );
    assert_eq!(v["bundles"][0]["accepted"], false);

    // A rejected training bundle among accepted inference bundles.
    let mut tampered = std::fs::read(&p.train_a).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(t.path("tampered.bundle"), tampered).unwrap();
    let tampered = arg(&t.path("tampered.bundle"));
    let run = t.run(&["--json", "verify", &p.eval, &tampered, &p.predict]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(batch_counts(&run.json()), (2, 1, 0));

    // An unreadable bundle among accepted ones: exit 2, and the others are
    // still checked.
    let run = t.run(&["verify", &p.train_a, &missing, &p.eval]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stdout
            .contains("2 of 3 bundles accepted, 0 rejected, 1 not checked"),
        "{run}"
    );
    assert!(run.stdout.contains("missing.bundle: not checked"), "{run}");
    // Unreadable and rejected together: the worst, 2.
    let run = t.run(&["--json", "verify", &p.forged_eval, &missing, &p.train_a]);
    assert_eq!(run.code, 2, "{run}");
    let v = run.json();
    assert_eq!(batch_counts(&v), (1, 1, 1), "{v}");
    assert_eq!(v["verdict"], "not_checked");

    // Every kind, all accepted: exit 0, one JSON document for the batch.
    let run = t.run(&[
        "--json",
        "verify",
        &p.train_a,
        &p.committed,
        &p.eval,
        &p.predict,
    ]);
    assert_eq!(run.code, 0, "{run}");
    let v = run.json();
    assert_eq!(batch_counts(&v), (4, 0, 0), "{v}");
    assert_eq!(v["verdict"], "accepted");
    let run = t.run(&["verify", &p.eval, &p.predict, &p.train_b]).ok();
    assert!(
        run.stdout
            .contains("3 of 3 bundles accepted, 0 rejected, 0 not checked"),
        "{run}"
    );
}

/// Issue 29, row 6: `inspect` of a forged evaluation bundle printed
/// "accuracy 75.00%" without saying it was not verified. Every kind now
/// says so, in text and in JSON (`"verified": false`).
#[test]
fn inspect_says_the_figures_of_every_kind_are_not_verified() {
    let p = proven();
    let t = Scratch::new();
    for (kind, bundle, figure) in [
        ("training", &p.train_a, "weights"),
        ("committed training", &p.committed, "committed"),
        ("evaluation", &p.eval, "accuracy"),
        ("forged evaluation", &p.forged_eval, "accuracy"),
        ("predictions", &p.predict, "predictions"),
    ] {
        // Said first, before any figure.
        let run = t.run(&["inspect", bundle]).ok();
        let (first, figures) = run.stdout.split_once('\n').unwrap();
        assert!(first.contains("NOT verified"), "{kind}: {run}");
        assert!(figures.contains(figure), "{kind}: no {figure}: {run}");
        let v = t.run(&["--json", "inspect", bundle]).ok().json();
        assert_eq!(v["verified"], false, "{kind}: {v}");
    }
}

/// A bundle cut short (a download that stopped) of each kind is rejected
/// (exit 1) with a sentence a user understands; the decoder's own words
/// (`UnexpectedEnd`) only in `--json`. It used to print "malformed or
/// truncated: UnexpectedEnd { additional: 1 }".
#[test]
fn a_truncated_bundle_is_rejected_in_words_a_user_understands() {
    let p = proven();
    let t = Scratch::new();
    for (name, bundle) in [
        ("train", &p.train_a),
        ("eval", &p.eval),
        ("predict", &p.predict),
    ] {
        let bytes = std::fs::read(bundle).unwrap();
        let cut = t.path(&format!("{name}-cut.bundle"));
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let run = t.run(&["verify", &arg(&cut)]);
        assert_eq!(run.code, 1, "{run}");
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("cut short"), "{run}");
        assert!(said.contains("download it again"), "{run}");
        assert!(!said.contains("UnexpectedEnd"), "{run}");
        let run = t.run(&["--json", "verify", &arg(&cut)]);
        assert_eq!(run.code, 1, "{run}");
        let v = run.json();
        assert!(v["reason"].as_str().unwrap().contains("cut short"), "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("UnexpectedEnd"),
            "{v}"
        );
    }
}
