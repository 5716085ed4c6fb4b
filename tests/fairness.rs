//! Proven fairness counts (issue 35): `commit --group` commits a protected
//! attribute with the test rows and leaves it out of the features;
//! `prove-eval --group` proves each group's confusion counts. Attacked
//! three ways: every field of the statement forged (counts, `C_G`, the
//! labels, the shape), across bundles and commands (another commitment's
//! groups, no commitment to anchor them, a commitment without groups), and
//! what a verifier learns (each group's counts, never a row's group).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use foldtrain::commands::{self, ChainArgs, EvalArgs, InferArgs};
use foldtrain::commitment::{Commitment, Split};
use foldtrain::fixed::Scalar;
use foldtrain::inference::{Claim, InferBundle};
use foldtrain::ivc::prover::Silent;
use foldtrain::statement::Verifier;
use foldtrain::train::Confusion;
use foldtrain::{Rejection, StateField};

use common::data;

/// A small CSV whose fourth column `grp` is a protected attribute of three
/// groups (0, 1, 2 by row), the other three the usual learnable features.
fn grouped_csv(path: &Path, rows: usize) -> PathBuf {
    let text = data::small_csv(rows, &[3.0, 1.0, 10.0, 1.0], 11);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        cells[3] = if i == 0 {
            "grp".into()
        } else {
            ((i - 1) % 3).to_string()
        };
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
    path.to_path_buf()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    csv: PathBuf,
    commit_dir: PathBuf,
    model: PathBuf,
    train: PathBuf,
    eval: PathBuf,
}

fn eval_args(f_root: &Path, model: &Path, commitment: &Path, csv: &Path, out: &str) -> EvalArgs {
    EvalArgs {
        infer: InferArgs {
            model: model.to_path_buf(),
            out: Some(f_root.join(out)),
            rows_per_step: None,
            force: false,
        },
        commitment: commitment.to_path_buf(),
        data: csv.to_path_buf(),
        split: Split::Test,
        group: Some("grp".into()),
    }
}

fn fixture() -> &'static Fixture {
    common::isolate_cache();
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let csv = grouped_csv(&root.join("grouped.csv"), 60);
        let commit_dir = root.join("committed");
        let mut args = data::data_args(&csv, 1);
        args.group = Some("grp".into());
        let committed = commands::commit(&args, &commit_dir, false).unwrap();
        assert_eq!(committed.features, 3, "the attribute is not a feature");
        let mut prove = data::prove_args(data::data_args(&csv, 1), root.join("model"));
        prove.commitment = Some(commit_dir.clone());
        let proven = commands::prove(&prove).unwrap();
        let model = root.join("model").join("model.json");
        let eval = commands::prove_eval(
            &eval_args(&root, &model, &commit_dir, &csv, "eval"),
            &Silent,
        )
        .unwrap();
        Fixture {
            _dir: dir,
            root,
            csv,
            commit_dir,
            model,
            train: proven.bundle_path,
            eval: eval.proof.bundle,
        }
    })
}

fn honest() -> InferBundle {
    InferBundle::read(&fixture().eval).unwrap()
}

fn rejection(bundle: &InferBundle) -> Rejection {
    common::infer_rejection(bundle)
}

fn group_counts(b: &mut InferBundle) -> &mut Vec<Confusion> {
    match &mut b.statement.claim {
        Claim::Evaluation {
            groups: Some(g), ..
        } => &mut g.counts,
        _ => panic!("not an evaluation by groups"),
    }
}

#[test]
fn each_groups_counts_are_proven_and_are_the_native_ones() {
    let f = fixture();
    let b = honest();
    Verifier::with_cache(None).verify(&b).unwrap();
    let column = b.statement.spec.group.clone().unwrap();
    assert_eq!(column.labels, ["grp=0", "grp=1", "grp=2"]);
    // The native counts of each group: the model on the test rows, split
    // by the CSV's grp column (the last 20% of 60 rows: rows 48..60).
    let model: foldtrain::model::Model =
        serde_json::from_str(&std::fs::read_to_string(&f.model).unwrap()).unwrap();
    assert_eq!(model.feature_names, ["a", "b", "c"]);
    let loaded = commands::DataArgs {
        group: Some("grp".into()),
        ..data::data_args(&f.csv, 1)
    }
    .load()
    .unwrap();
    let test = &loaded.prepared.test_fixed;
    let (_, codes) = loaded.prepared.group.as_ref().unwrap();
    let mut want = vec![Confusion::default(); 3];
    for (i, (row, &y)) in test.rows.iter().zip(&test.labels).enumerate() {
        let z = foldtrain::train::logit(&model.fixed_weights().weights().clone(), row, 4);
        want[codes[i] as usize].add(z >= 0, y == 1);
    }
    let mut b = honest();
    assert_eq!(*group_counts(&mut b), want);
    assert_eq!(codes, &[0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    // What a verifier learns: each group's counts (in the statement), and
    // nothing a row at a time: the statement holds no row's group.
    let text = serde_json::to_string(&b.statement).unwrap();
    assert!(!text.contains("codes"), "no row's group in the statement");
}

#[test]
fn forged_group_statements_are_rejected() {
    // Each group's counts moved between groups (the totals still add up):
    // the final state differs from the proof's.
    let mut b = honest();
    let counts = group_counts(&mut b);
    let (from, to) = (0, 1);
    let moved = if counts[from].tn > 0 {
        counts[from].tn -= 1;
        counts[to].tn += 1;
        true
    } else if counts[from].tp > 0 {
        counts[from].tp -= 1;
        counts[to].tp += 1;
        true
    } else {
        false
    };
    assert!(moved);
    assert_eq!(
        rejection(&b),
        Rejection::FinalState(vec![StateField::GroupCounts])
    );
    // Two groups' counts swapped.
    let mut b = honest();
    group_counts(&mut b).swap(0, 2);
    assert_ne!(group_counts(&mut b)[0], group_counts(&mut honest())[0]);
    assert_eq!(
        rejection(&b),
        Rejection::FinalState(vec![StateField::GroupCounts])
    );
    // Counts that do not add up to the totals, a group missing, the groups
    // dropped from a grouped spec: refused by shape.
    let mut b = honest();
    group_counts(&mut b)[1].fp += 1;
    assert!(matches!(rejection(&b), Rejection::Shape(_)));
    let mut b = honest();
    group_counts(&mut b).pop();
    assert!(matches!(rejection(&b), Rejection::Shape(_)));
    let mut b = honest();
    if let Claim::Evaluation { groups, .. } = &mut b.statement.claim {
        *groups = None;
    }
    assert!(matches!(rejection(&b), Rejection::Shape(_)));
    // Another C_G: z_0 is not the proof's.
    let mut b = honest();
    if let Claim::Evaluation {
        groups: Some(g), ..
    } = &mut b.statement.claim
    {
        g.commitment = Commitment(g.commitment.0 + Scalar::from(1u64));
    }
    assert!(matches!(rejection(&b), Rejection::Snark(_)));
    // The groups relabelled (two labels swapped) or the attribute renamed:
    // another spec, so another circuit (its seal binds the labels).
    for edit in [
        |g: &mut foldtrain::group::GroupColumn| g.labels.swap(0, 1),
        |g: &mut foldtrain::group::GroupColumn| g.name = "sex".into(),
    ] {
        let mut b = honest();
        edit(b.statement.spec.group.as_mut().unwrap());
        assert!(matches!(rejection(&b), Rejection::ParamsDigest { .. }));
    }
    // The spec's attribute removed while the claim keeps its groups.
    let mut b = honest();
    b.statement.spec.group = None;
    assert!(matches!(
        rejection(&b),
        Rejection::Shape(_) | Rejection::ParamsDigest { .. }
    ));
}

fn chain(eval: &Path, commitment: Option<&Path>) -> commands::ChainReport {
    let f = fixture();
    commands::audit_chain(&ChainArgs {
        train: f.train.clone(),
        eval: Some(eval.to_path_buf()),
        commitment: commitment.map(|c| c.join("commitment.json")),
        ..ChainArgs::default()
    })
    .unwrap()
}

#[test]
fn the_chain_audit_anchors_the_groups_to_the_published_commitment() {
    let f = fixture();
    let r = chain(&f.eval, Some(&f.commit_dir));
    assert!(r.passed(), "{r}");
    r.write_html(&f.root.join("report.html")).unwrap();
    assert!(r
        .links
        .iter()
        .any(|l| l.ok && l.name.contains("groups of `grp`")));
    let html = std::fs::read_to_string(f.root.join("report.html")).unwrap();
    for figure in [
        "disparate-impact ratio",
        "demographic-parity difference",
        "group grp=1",
    ] {
        assert!(html.contains(figure), "{figure} missing from the report");
    }
    // Nothing published to anchor the groups: the link fails and says what
    // to give.
    let r = chain(&f.eval, None);
    let name = "evaluation: its groups of `grp` are the ones published before training";
    assert_eq!(r.broken_links(), [name], "{r}");
    assert!(r.links.iter().any(|l| l.detail.contains("--commitment")));
    // Across commands: the same CSV committed again (another salt, so
    // another C_G) and a training and evaluation proven on it, audited
    // against the first commitment: the training link and the groups link
    // break.
    let again = f.root.join("committed-again");
    let mut args = data::data_args(&f.csv, 1);
    args.group = Some("grp".into());
    commands::commit(&args, &again, false).unwrap();
    let eval = commands::prove_eval(
        &eval_args(&f.root, &f.model, &again, &f.csv, "eval-again"),
        &Silent,
    );
    // The model was trained on the first commitment's rows; the second
    // holds the same rows under other salts, so its evaluation proves.
    let eval = eval.unwrap();
    let r = chain(&eval.proof.bundle, Some(&f.commit_dir));
    let b = r.broken_links();
    assert!(b.contains(&name), "{r}");
}

#[test]
fn prove_eval_by_groups_needs_the_committed_attribute_on_the_test_split() {
    let f = fixture();
    // Another name: the error names the committed one.
    let mut args = eval_args(&f.root, &f.model, &f.commit_dir, &f.csv, "eval-x");
    args.group = Some("sex".into());
    let e = commands::prove_eval(&args, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--group grp"), "{e}");
    // The training split: its groups are not committed.
    let mut args = eval_args(&f.root, &f.model, &f.commit_dir, &f.csv, "eval-y");
    args.split = Split::Train;
    let e = commands::prove_eval(&args, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--split test"), "{e}");
    // A commitment without an attribute: the error says how to make one.
    let plain = f.root.join("plain");
    let plain_csv = data::write_small_csv(&f.root.join("plain.csv"), 40, &data::SCALES, 3);
    commands::commit(&data::data_args(&plain_csv, 1), &plain, false).unwrap();
    let mut prove = data::prove_args(data::data_args(&plain_csv, 1), f.root.join("plain-model"));
    prove.commitment = Some(plain.clone());
    commands::prove(&prove).unwrap();
    let args = eval_args(
        &f.root,
        &f.root.join("plain-model").join("model.json"),
        &plain,
        &plain_csv,
        "eval-z",
    );
    let e = commands::prove_eval(&args, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("commit --group grp"), "{e}");
    // The CLI: exit 2 with that advice.
    let run = common::bin::foldtrain(&[
        "prove-eval",
        "--model",
        &common::bin::arg(&f.root.join("plain-model").join("model.json")),
        "--commitment",
        &common::bin::arg(&plain),
        "--data",
        &common::bin::arg(&plain_csv),
        "--group",
        "grp",
        "--out",
        &common::bin::arg(&f.root.join("eval-cli")),
    ]);
    run.refused(&["commit --group grp"]);
}

#[test]
fn a_csv_whose_groups_differ_does_not_open_the_commitment() {
    // The rows' features and labels unchanged, one test row's group
    // changed: the opening refuses the CSV before anything is proven.
    let f = fixture();
    let text = std::fs::read_to_string(&f.csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let last = lines.len() - 1;
    let mut cells: Vec<String> = lines[last].split(',').map(String::from).collect();
    cells[3] = if cells[3] == "0" {
        "1".into()
    } else {
        "0".into()
    };
    lines[last] = cells.join(",");
    let other = f.root.join("regrouped.csv");
    std::fs::write(&other, lines.join("\n") + "\n").unwrap();
    let e = commands::prove_eval(
        &eval_args(&f.root, &f.model, &f.commit_dir, &other, "eval-regrouped"),
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("C_G") || e.contains("groups"), "{e}");
}

#[test]
fn an_applicants_protected_attribute_is_left_out_of_the_inputs() {
    // The model's columns in order, with the attribute (or any other column)
    // between them: left out, and the decisions are those of the inputs
    // without it; a model column missing or out of order is still refused.
    let f = fixture();
    let with = f.root.join("applicants-with-grp.csv");
    let without = f.root.join("applicants.csv");
    let text = std::fs::read_to_string(&f.csv).unwrap();
    let lines: Vec<&str> = text.lines().take(6).collect();
    std::fs::write(&with, lines.join("\n") + "\n").unwrap();
    let dropped: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(3);
            cells.join(",")
        })
        .collect();
    std::fs::write(&without, dropped.join("\n") + "\n").unwrap();
    let a = commands::predict(&f.model, &with).unwrap();
    let b = commands::predict(&f.model, &without).unwrap();
    assert_eq!(a.len(), 5);
    assert_eq!(
        a.iter()
            .map(|r| (r.logit_fixed, r.decision))
            .collect::<Vec<_>>(),
        b.iter()
            .map(|r| (r.logit_fixed, r.decision))
            .collect::<Vec<_>>()
    );
    let swapped = f.root.join("applicants-swapped.csv");
    std::fs::write(&swapped, "b,a,c\n1,2,3\n").unwrap();
    let e = commands::predict(&f.model, &swapped)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the model takes"), "{e}");
}
