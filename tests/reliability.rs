//! Issue 11, through the binary: no run destroys an opening, a second run
//! on a folder is refused, and a failed run never leaves a folder that looks
//! complete (`manifest.json` is written last; `verify` and `audit` report a
//! folder without it).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn bin() -> Command {
    common::isolate_cache();
    Command::new(env!("CARGO_BIN_EXE_foldtrain"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Exit 2, an `error:` line containing every needle, no panic.
fn assert_refused(o: &Output, needles: &[&str]) {
    let all = text(o);
    assert_eq!(o.status.code(), Some(2), "{all}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    // `prove` says what it starts on before the error line.
    assert!(
        stderr.lines().any(|l| l.starts_with("error:")) && !stderr.contains("panicked"),
        "{all}"
    );
    for n in needles {
        assert!(stderr.contains(n), "missing {n:?}: {all}");
    }
}

/// 40 rows of 3 features; batch 8, one epoch: four folded steps.
fn small_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("a,b,c,label\n");
    let mut seed = 11u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    };
    for _ in 0..40 {
        let (a, b, c) = (next() * 3.0, next(), next() * 10.0);
        let y = u8::from(a + 2.0 * b > 0.0);
        text.push_str(&format!("{a:.4},{b:.4},{c:.4},{y}\n"));
    }
    let path = dir.join("small.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn prove_args<'a>(csv: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "prove", "--data", csv, "--out", out, "--epochs", "1", "--batch", "8", "--quiet",
    ]
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn opening(out: &Path) -> Vec<u8> {
    std::fs::read(out.join("private").join("opening.json")).unwrap()
}

#[test]
fn a_second_prove_on_a_folder_is_refused_and_the_opening_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = s(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    let o = run(&prove_args(&csv, &s(&out)));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        listing(&out),
        ["manifest.json", "model.json", "private", "proof.bundle"]
    );
    let before = opening(&out);
    let bundle = std::fs::read(out.join("proof.bundle")).unwrap();

    // Again: refused at once, naming the file and the way out.
    let o = run(&prove_args(&csv, &s(&out)));
    assert_refused(&o, &["exists already", "--out", "--force"]);
    // With --force: the public files could go, the opening may not.
    let out_s = s(&out);
    let mut forced = prove_args(&csv, &out_s);
    forced.push("--force");
    let o = run(&forced);
    assert_refused(&o, &["opening.json", "never replaced", "another --out"]);
    assert_eq!(
        opening(&out),
        before,
        "the opening is unchanged byte for byte"
    );
    assert_eq!(std::fs::read(out.join("proof.bundle")).unwrap(), bundle);

    // The folder is still the first run's, and complete.
    let o = run(&["verify", &s(&out.join("proof.bundle"))]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("folder       complete"), "{}", text(&o));

    // A crash between the bundle and the manifest (simulated by removing
    // it): the proof still verifies, the folder is reported incomplete,
    // and the audit fails.
    std::fs::remove_file(out.join("manifest.json")).unwrap();
    let o = run(&["verify", &s(&out.join("proof.bundle"))]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("INCOMPLETE"), "{}", text(&o));
    let o = run(&["audit", &s(&out.join("proof.bundle"))]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("incomplete"), "{}", text(&o));
}

#[test]
fn two_concurrent_runs_on_one_folder_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = s(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    let mut first = bin()
        .args(prove_args(&csv, &s(&out)))
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
    let second = run(&prove_args(&csv, &s(&out)));
    let still_running = first.try_wait().unwrap().is_none();
    assert_refused(&second, &["is writing this output folder", &pid]);
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        still_running,
        "the refusal came while the first run held the lock"
    );
    assert!(out.join("manifest.json").exists());
    // The lock file stays; held by no one, it blocks no later run (the
    // refusal now is the existing outputs', not the lock's).
    let o = run(&prove_args(&csv, &s(&out)));
    assert_refused(&o, &["exists already"]);
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
    let csv = s(&small_csv(tmp.path()));
    let out = tmp.path().join("out");
    // No checkpoints and no parameter cache: the bundle is the first file
    // past the limit.
    let out_s = s(&out);
    let mut args = prove_args(&csv, &out_s);
    args.extend(["--checkpoint-every", "0"]);
    let script = format!(
        "trap '' XFSZ; ulimit -f 6; exec \"$0\" {}",
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    common::isolate_cache();
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_foldtrain"))
        .env("FOLDTRAIN_CACHE_DIR", "")
        .output()
        .unwrap();
    assert_refused(&o, &["proof.bundle"]);
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
    let o = run(&prove_args(&csv, &s(&out)));
    assert_refused(&o, &["model.json", "exists already"]);
    let out_s = s(&out);
    let mut forced = prove_args(&csv, &out_s);
    forced.push("--force");
    assert_refused(&run(&forced), &["opening.json", "never replaced"]);
    assert_eq!(opening(&out), kept);
}
