//! The README's shell examples run as written, in order, as a newcomer
//! would paste them: every ```sh block, in a fresh folder holding a smaller
//! copy of the shipped data under the same name (`datasets/german_credit.csv`,
//! its first 160 rows), with the built binary as the `foldtrain` on the PATH.
//!
//! Only the set-up lines that build or test the project itself are left
//! out (`cargo test`, `cargo install`, `pip`, `python`: the suite is what
//! runs this); `cargo run --release -- ARGS` is the built binary with ARGS,
//! which is what cargo runs.

mod common;

use std::path::Path;

/// The README's ```sh blocks, in order, each as one script.
fn sh_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap_or_default().join("\n")),
            (Some(lines), l) => lines.push(l),
            (None, _) => {}
        }
    }
    blocks
}

/// A block's lines as this test runs them (see the module's comment).
fn as_run(block: &str) -> String {
    const LEFT_OUT: [&str; 4] = ["cargo test", "cargo install", "pip ", "python"];
    block
        .lines()
        .filter(|l| !LEFT_OUT.iter().any(|p| l.trim_start().starts_with(p)))
        .map(|l| l.replacen("cargo run --release -- ", "foldtrain ", 1))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first `rows` data rows of the shipped German credit CSV, with its
/// header, at `dest`.
fn smaller_copy(dest: &Path, rows: usize) {
    let text = std::fs::read_to_string("datasets/german_credit.csv").unwrap();
    let kept: Vec<&str> = text.lines().take(rows + 1).collect();
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(dest, kept.join("\n") + "\n").unwrap();
}

#[test]
fn every_shell_example_in_the_readme_runs_as_written() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() >= 3, "found {} sh blocks", blocks.len());
    let tmp = tempfile::tempdir().unwrap();
    smaller_copy(&tmp.path().join("datasets/german_credit.csv"), 160);
    let mut ran = 0;
    for block in &blocks {
        let script = as_run(block);
        if script.trim().is_empty() {
            continue;
        }
        // `set -e`: a failing line fails the block, as it would stop a
        // reader.
        let run = common::bin::as_printed(tmp.path(), &format!("set -e\n{script}"));
        assert_eq!(run.code, 0, "README block\n{block}\nfailed: {run}");
        ran += 1;
    }
    assert!(ran >= 3, "ran {ran} blocks");
    // What the examples promise is there.
    for file in [
        "german_credit/proof.bundle",
        "vk.bin",
        "c/commitment.json",
        "run/proof.bundle",
        "run/eval-test.bundle",
        "run/predict.bundle",
        "audit.html",
    ] {
        assert!(tmp.path().join(file).is_file(), "{file} missing");
    }
}

#[test]
fn the_blocks_are_found_and_set_up_lines_left_out() {
    let text = "a\n```sh\ncargo run --release -- prove   # x\ncargo test --release\n```\n\
                ```python\nimport foldtrain\n```\n```sh\nfoldtrain verify b \\\n  --json\n```\n";
    let blocks = sh_blocks(text);
    assert_eq!(blocks.len(), 2);
    assert_eq!(as_run(&blocks[0]), "foldtrain prove   # x");
    assert_eq!(as_run(&blocks[1]), "foldtrain verify b \\\n  --json");
}
