//! Issue 11, through the binary: no run destroys an opening, a second run
//! on a folder is refused, and a failed run never leaves a folder that looks
//! complete (`manifest.json` is written last; `verify` and `audit` report a
//! folder without it).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::bin::{arg, command, foldtrain, listing, Run};
use common::data;

/// 40 rows of 3 features; batch 8, one epoch: four folded steps.
fn small_csv(dir: &Path) -> PathBuf {
    data::write_small_csv(&dir.join("small.csv"), 40, &data::SCALES, 11)
}

fn prove_args<'a>(csv: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "prove", "--data", csv, "--out", out, "--epochs", "1", "--batch", "8", "--quiet",
    ]
}

fn opening(out: &Path) -> Vec<u8> {
    std::fs::read(out.join("private").join("opening.json")).unwrap()
}

#[test]
fn a_second_prove_on_a_folder_is_refused_and_the_opening_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = arg(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    let o = foldtrain(&prove_args(&csv, &arg(&out)));
    assert_eq!(o.code, 0, "{o}");
    assert_eq!(
        listing(&out),
        [
            "commitment.json",
            "manifest.json",
            "model.json",
            "private",
            "proof.bundle"
        ]
    );
    // Every checkpoint was removed with the last one: no empty folder is
    // left, nor listed in the report.
    assert_eq!(listing(&out.join("private")), ["opening.json", "run.lock"]);
    assert!(!o.stdout.contains("checkpoints"), "{o}");
    let before = opening(&out);
    let bundle = std::fs::read(out.join("proof.bundle")).unwrap();

    // Again: refused at once, with the way that works. A new run has a
    // fresh salt, so the opening here (never replaced) refuses it whatever
    // --force says: the message says so first, rather than suggest --force.
    let o = foldtrain(&prove_args(&csv, &arg(&out)));
    o.refused(&["opening.json", "never replaced", "another --out"]);
    assert!(!o.stderr.contains("--force"), "{o}");
    let out_s = arg(&out);
    let mut forced = prove_args(&csv, &out_s);
    forced.push("--force");
    let o = foldtrain(&forced);
    o.refused(&["opening.json", "never replaced", "another --out"]);
    assert_eq!(
        opening(&out),
        before,
        "the opening is unchanged byte for byte"
    );
    assert_eq!(std::fs::read(out.join("proof.bundle")).unwrap(), bundle);

    // The folder is still the first run's, and complete.
    let o = foldtrain(&["verify", &arg(&out.join("proof.bundle"))]);
    assert_eq!(o.code, 0, "{o}");
    assert!(o.to_string().contains("folder       complete"), "{o}");

    // A crash between the bundle and the manifest (simulated by removing
    // it): the proof still verifies, the folder is reported incomplete,
    // and the audit fails.
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    let o = foldtrain(&["verify", &arg(&out.join("proof.bundle"))]);
    assert_eq!(o.code, 0, "{o}");
    assert!(o.to_string().contains("INCOMPLETE"), "{o}");
    let o = foldtrain(&["audit", &arg(&out.join("proof.bundle"))]);
    assert_eq!(o.code, 1, "{o}");
    assert!(o.to_string().contains("incomplete"), "{o}");
}

#[test]
fn two_concurrent_runs_on_one_folder_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = arg(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    let out_s = arg(&out);
    let first_args = prove_args(&csv, &out_s);
    let mut first = command()
        .args(&first_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock (it writes its pid there).
    let lock = out.join("private").join("run.lock");
    let pid = format!("pid {}", first.id());
    let start = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&pid)) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the first run never took the lock"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = foldtrain(&prove_args(&csv, &arg(&out)));
    let still_running = first.try_wait().unwrap().is_none();
    second.refused_after_notes(&["is writing this output folder", &pid]);
    Run::new(&first_args, first.wait_with_output()).ok();
    assert!(
        still_running,
        "the refusal came while the first run held the lock"
    );
    assert!(out.join("manifest.json").exists());
    // The lock file stays; held by no one, it blocks no later run (the
    // refusal now is the existing opening's, not the lock's).
    let o = foldtrain(&prove_args(&csv, &arg(&out)));
    o.refused(&["opening.json", "never replaced"]);
}

/// A full disk, injected for real: the file-size limit (`ulimit -f`, with
/// SIGXFSZ ignored so that a write past it fails with EFBIG) lets the
/// opening and the model through and stops the 10 KB bundle.
#[cfg(unix)]
#[test]
fn a_failed_write_leaves_no_complete_looking_folder() {
    if Command::new("bash").arg("-c").arg("true").status().is_err() {
        eprintln!("skipped: no bash");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let csv = arg(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    // No checkpoints and no parameter cache: the bundle is the first file
    // past the limit.
    let out_s = arg(&out);
    let mut args = prove_args(&csv, &out_s);
    args.extend(["--checkpoint-every", "0"]);
    let script = format!(
        "trap '' XFSZ; ulimit -f 6; exec \"$0\" {}",
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_foldtrain"))
        .env("FOLDTRAIN_CACHE_DIR", "")
        .output();
    Run::new(&["bash", "-c", &script], o).refused_after_notes(&["proof.bundle"]);
    let top = listing(&out);
    assert!(!top.contains(&"manifest.json".to_string()), "{top:?}");
    assert!(!top.contains(&"proof.bundle".to_string()), "{top:?}");
    assert!(
        top.iter()
            .chain(&listing(&out.join("private")))
            .all(|n| !n.ends_with(".tmp")),
        "a temporary file was left: {top:?}"
    );
    // The opening survived (the commitment can still be opened), and the
    // folder refuses a new prove rather than replace it.
    let kept = opening(&out);
    assert!(!kept.is_empty());
    let o = foldtrain(&prove_args(&csv, &arg(&out)));
    o.refused(&["opening.json", "never replaced"]);
    let out_s = arg(&out);
    let mut forced = prove_args(&csv, &out_s);
    forced.push("--force");
    foldtrain(&forced).refused_after_notes(&["opening.json", "never replaced"]);
    assert_eq!(opening(&out), kept);
}
