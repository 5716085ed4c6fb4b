//! Checkpoints and resume on small data: interrupted runs (Ctrl-C's flag, a
//! SIGKILLed process) resume to the uninterrupted run's weights bit for bit
//! with a bundle that verifies; corrupt checkpoints are skipped with a
//! warning; resume refuses other data or another recipe with a message saying
//! what differs; checkpoints are private files.
//!
//! One uninterrupted reference run (checkpoints at steps 3, 6 and 9) is
//! proved once for the whole file; each test that resumes pays for one
//! parameter setup and one compression.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use foldtrain::artifact::read_json;
use foldtrain::commands::{self, DataArgs, ProveReport, ResumeArgs, RunSettings};
use foldtrain::commitment::Opening;
use foldtrain::ivc::checkpoint;
use foldtrain::ivc::prover::{Observer, Phase};
use foldtrain::model::Model;
use foldtrain::proof::{ProofBundle, Statement, Verified, Verifier};
use foldtrain::{train, Error};

#[cfg(unix)]
use common::bin::mode;
use common::bin::{arg, command, foldtrain};
use common::data;

/// 45 rows, 36 of which train: batch 8 gives 5 steps per epoch.
const ROWS: usize = 45;
/// Feature `j` of the CSVs here is uniform in `[-(j + 1), j + 1)`.
const SCALES: [f64; 4] = [1.0, 2.0, 3.0, 4.0];
const EPOCHS: usize = 2;
const STEPS: usize = 10;

// ---------------------------------------------------------------- helpers

/// A CSV of `rows` rows and `features` features (deterministic in `seed`),
/// with both classes.
fn write_csv(path: &Path, rows: usize, features: usize, seed: u64) {
    data::write_small_csv(path, rows, &SCALES[..features], seed);
}

/// The uninterrupted run every resumed run is compared with.
struct Reference {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    args: DataArgs,
    report: ProveReport,
    statement: Statement,
    model: Model,
    opening: Opening,
    /// Holds checkpoints of steps 3, 6 and 9 (every third step; the one
    /// written after the last step is removed once the bundle is written).
    ckpt_dir: PathBuf,
}

fn reference() -> &'static Reference {
    common::isolate_cache();
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("small.csv");
        write_csv(&csv, ROWS, 3, 7);
        let args = data::data_args(&csv, EPOCHS);
        let mut prove_args = data::prove_args(args.clone(), dir.path().join("out"));
        prove_args.run.checkpoint_every = Some(3);
        let report = commands::prove(&prove_args).unwrap();
        assert_eq!(report.steps, STEPS);
        assert_eq!(report.steps_folded_now, STEPS);
        let bundle = ProofBundle::from_bytes(&std::fs::read(&report.bundle_path).unwrap()).unwrap();
        let model: Model = read_json(&report.model_path, Model::KIND).unwrap();
        let opening: Opening = read_json(&report.opening_path, Opening::KIND).unwrap();
        Reference {
            ckpt_dir: report.checkpoint_dir.clone(),
            _dir: dir,
            csv,
            args,
            report,
            statement: bundle.statement,
            model,
            opening,
        }
    })
}

/// Verifies with one verifier for the whole file: every bundle here has the
/// same recipe, so its parameters are built once.
fn verify(bundle: &ProofBundle) -> foldtrain::Result<Verified> {
    static V: OnceLock<Mutex<Verifier>> = OnceLock::new();
    V.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .verify(bundle)
}

/// A new folder holding copies of the reference run's checkpoints of `steps`.
fn folder_with(steps: &[usize], dest: &Path) -> PathBuf {
    std::fs::create_dir_all(dest).unwrap();
    for &s in steps {
        let name = checkpoint::file_name(s);
        std::fs::copy(reference().ckpt_dir.join(&name), dest.join(&name)).unwrap();
    }
    dest.to_path_buf()
}

fn flip_middle_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

fn resume_args(dir: &Path, out: &Path) -> ResumeArgs {
    ResumeArgs {
        checkpoint_dir: dir.to_path_buf(),
        data: None,
        run: RunSettings {
            out_dir: Some(out.to_path_buf()),
            ..RunSettings::default()
        },
    }
}

/// The resumed run's bundle verifies and its weights, bundle statement and
/// model are the reference run's bit for bit. With `same_salt` (resumed from
/// the reference run's own checkpoints) the whole statement is identical;
/// otherwise everything but the commitment is.
fn assert_matches_reference(report: &ProveReport, same_salt: bool) {
    let r = reference();
    assert_eq!(report.steps, STEPS);
    let bundle = ProofBundle::from_bytes(&std::fs::read(&report.bundle_path).unwrap()).unwrap();
    let verified = verify(&bundle).expect("the resumed run's bundle verifies");
    assert_eq!(verified.steps, STEPS);
    assert_eq!(verified.params_digest, r.statement.params_digest);
    let st = &bundle.statement;
    assert_eq!(st.final_weights(), r.statement.final_weights());
    assert_eq!(st.recipe, r.statement.recipe);
    assert_eq!(st.initial, r.statement.initial);
    assert_eq!(st.steps, r.statement.steps);
    assert_eq!(st.params_digest, r.statement.params_digest);
    if same_salt {
        assert_eq!(*st, r.statement);
    }
    let model: Model = read_json(&report.model_path, Model::KIND).unwrap();
    assert_eq!(model.fixed_weights(), r.model.fixed_weights());
    assert_eq!(model, r.model);
    assert_eq!(report.weights, r.report.weights);
    assert_eq!(report.bias, r.report.bias);
}

fn refusal(result: foldtrain::Result<ProveReport>) -> Error {
    match result {
        Ok(r) => panic!(
            "resume should have been refused, but proved {} steps",
            r.steps
        ),
        Err(e) => e,
    }
}

// ------------------------------------------------- the reference run itself

#[test]
fn the_reference_run_matches_the_native_trainer_and_checkpoints_privately() {
    let r = reference();
    let loaded = r.args.load().unwrap();
    let native = train::train_fixed(&loaded.recipe, &loaded.prepared.train_fixed).unwrap();
    assert_eq!(r.statement.final_weights(), Some(&native));
    verify(&ProofBundle::from_bytes(&std::fs::read(&r.report.bundle_path).unwrap()).unwrap())
        .unwrap();

    let listed: Vec<usize> = checkpoint::list(&r.ckpt_dir)
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(listed, vec![9, 6, 3], "every third step, newest first");
    for step in [3, 6, 9] {
        let path = r.ckpt_dir.join(checkpoint::file_name(step));
        let c = checkpoint::read(&path).unwrap();
        assert_eq!(c.done, step);
        assert_eq!(c.run.recipe, r.statement.recipe);
        assert_eq!(c.commitment(), r.statement.commitment);
        assert_eq!(c.run.salts, r.opening.salts());
        assert_eq!(c.run.data_path, r.csv);
        assert_eq!(
            c.run.data_digest,
            checkpoint::data_digest(&loaded.prepared.train_fixed)
        );
        let native_after = train::train_steps(
            &loaded.recipe,
            &loaded.prepared.train_fixed,
            &train::Weights::zero(3),
            0,
            step * loaded.recipe.batches_per_step,
        )
        .unwrap();
        assert_eq!(c.state.weights, native_after, "weights after step {step}");
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&r.ckpt_dir), 0o700, "the checkpoint folder");
        for entry in std::fs::read_dir(&r.ckpt_dir).unwrap() {
            let p = entry.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        assert_eq!(mode(&r.report.opening_path), 0o600, "opening.json");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&r.ckpt_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// ------------------------------------------------------ resumed runs match

#[test]
fn resuming_from_step_3_matches_the_uninterrupted_run() {
    common::isolate_cache();
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder_with(&[3], &tmp.path().join("ckpts"));
    let report = commands::resume(&resume_args(&dir, &tmp.path().join("out"))).unwrap();
    assert_eq!(report.steps_folded_now, STEPS - 3);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_matches_reference(&report, true);
    let opening: Opening = read_json(&report.opening_path, Opening::KIND).unwrap();
    assert_eq!(opening, reference().opening);
}

fn checkpoint_steps(dir: &Path) -> Vec<usize> {
    checkpoint::list(dir)
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// Proves the reference data with the interrupt flag already set, as after a
/// Ctrl-C during setup: prove must stop with a checkpoint and no outputs.
/// Returns the step it stopped at.
fn interrupted_prove(out: &Path, checkpoint_every: Option<usize>) -> usize {
    interrupted_prove_saying(out, checkpoint_every).0
}

/// [`interrupted_prove`], with the message it stopped with.
fn interrupted_prove_saying(out: &Path, checkpoint_every: Option<usize>) -> (usize, String) {
    let mut args = data::prove_args(reference().args.clone(), out.to_path_buf());
    args.run.checkpoint_every = checkpoint_every;
    args.run.interrupt = Some(Arc::new(AtomicBool::new(true)));
    let err = commands::prove(&args).unwrap_err();
    let ckpts = out.join("private").join("checkpoints");
    let written = checkpoint_steps(&ckpts);
    assert_eq!(written.len(), 1, "one checkpoint: {written:?}");
    let stopped = written[0];
    let message = match &err {
        Error::Interrupted(m) => {
            assert!(m.contains(&format!("step {stopped}/{STEPS}")), "{m}");
            assert!(m.contains(&checkpoint::file_name(stopped)), "{m}");
            assert!(m.contains("foldtrain resume --checkpoint-dir"), "{m}");
            m.clone()
        }
        other => panic!("expected Interrupted, got {other}"),
    };
    assert!(!out.join("proof.bundle").exists());
    assert!(!out.join("model.json").exists());
    (stopped, message)
}

#[test]
fn the_printed_resume_command_finishes_the_run_as_printed() {
    common::isolate_cache();
    // The hint of an interrupted prove, pasted into a shell in another
    // working folder, resumes into the run's own folder. It used to name
    // only the checkpoint folder while resume wrote to the dataset's name
    // in the working folder. The folder's name has a space: the hint
    // quotes it.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sigint run");
    let (stopped, message) = interrupted_prove_saying(&out, None);
    let line = common::bin::hinted_command(&message);
    assert!(!line.contains("--out"), "{line}");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = common::bin::as_printed(&elsewhere, line).ok();
    assert!(out.join("proof.bundle").is_file(), "{run}");
    assert!(common::bin::listing(&elsewhere).is_empty(), "{run}");
    assert!(stopped < STEPS);
    let bundle =
        ProofBundle::from_bytes(&std::fs::read(out.join("proof.bundle")).unwrap()).unwrap();
    verify(&bundle).expect("the resumed run's bundle verifies");
    assert_eq!(
        bundle.statement.final_weights(),
        reference().statement.final_weights()
    );

    // Checkpoints kept elsewhere: the hint names the output folder too.
    let out2 = tmp.path().join("out2");
    let mut args = data::prove_args(reference().args.clone(), out2.clone());
    args.checkpoint_dir = Some(tmp.path().join("ckpts"));
    args.run.interrupt = Some(Arc::new(AtomicBool::new(true)));
    let message = match commands::prove(&args) {
        Err(Error::Interrupted(m)) => m,
        other => panic!("expected Interrupted, got {:?}", other.map(|r| r.steps)),
    };
    let line = common::bin::hinted_command(&message);
    assert!(line.contains("--out"), "{line}");
    common::bin::as_printed(&elsewhere, line).ok();
    assert!(out2.join("proof.bundle").is_file());
}

#[test]
fn an_interrupt_before_the_first_step_stops_after_the_first_step() {
    common::isolate_cache();
    // "Set (by a Ctrl-C handler) to stop after the current step with a
    // checkpoint" (ProveArgs::interrupt); "Write a checkpoint every N steps".
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(interrupted_prove(&tmp.path().join("a"), None), 1);
    assert_eq!(interrupted_prove(&tmp.path().join("b"), Some(1)), 1);
}

#[test]
fn interrupts_stop_with_a_checkpoint_and_chained_resumes_finish() {
    common::isolate_cache();
    // The flag is already set: prove stops early with a checkpoint, resume
    // after one more step with another; a last resume finishes.
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let out1 = tmp.path().join("out1");
    let first_stop = interrupted_prove(&out1, None);
    assert!((1..STEPS - 1).contains(&first_stop), "{first_stop}");
    let ckpts = out1.join("private").join("checkpoints");

    let out2 = tmp.path().join("out2");
    let mut args = resume_args(&ckpts, &out2);
    args.run.interrupt = Some(Arc::new(AtomicBool::new(true)));
    let second_stop = first_stop + 1;
    match refusal(commands::resume(&args)) {
        Error::Interrupted(m) => {
            assert!(m.contains(&format!("step {second_stop}/{STEPS}")), "{m}")
        }
        other => panic!("expected Interrupted, got {other}"),
    }
    assert_eq!(checkpoint_steps(&ckpts), vec![second_stop, first_stop]);
    assert!(!out2.join("proof.bundle").exists());

    let out3 = tmp.path().join("out3");
    let mut args = resume_args(&ckpts, &out3);
    args.run.interrupt = Some(Arc::new(AtomicBool::new(false)));
    let report = commands::resume(&args).unwrap();
    assert_eq!(report.steps_folded_now, STEPS - second_stop);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // A fresh salt: another commitment, the same weights.
    assert_matches_reference(&report, false);
    let first: Opening =
        read_json(&out1.join("private").join("opening.json"), Opening::KIND).unwrap();
    let last: Opening = read_json(&report.opening_path, Opening::KIND).unwrap();
    assert_eq!(first, last, "the resumed run opens the original commitment");
    assert_ne!(first.commitment(), r.opening.commitment());
    assert_eq!(report.commitment, first.commitment());
    let bundle = ProofBundle::from_bytes(&std::fs::read(&report.bundle_path).unwrap()).unwrap();
    assert_eq!(bundle.statement.commitment, first.commitment());
}

// ------------------------------------------------------ corrupt checkpoints

#[test]
fn a_corrupt_newest_checkpoint_is_skipped_with_a_warning() {
    common::isolate_cache();
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder_with(&[6, 9], &tmp.path().join("ckpts"));
    flip_middle_byte(&dir.join(checkpoint::file_name(9)));
    let report = commands::resume(&resume_args(&dir, &tmp.path().join("out"))).unwrap();
    assert_eq!(report.steps_folded_now, STEPS - 6, "resumed from step 6");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let w = &report.warnings[0];
    assert!(w.contains(&checkpoint::file_name(9)), "{w}");
    assert!(w.contains("digest"), "{w}");
    assert_matches_reference(&report, true);
}

#[test]
fn truncated_empty_and_foreign_newest_checkpoints_are_skipped() {
    common::isolate_cache();
    // What resume reads first (no proving needed to check the choice).
    let tmp = tempfile::tempdir().unwrap();
    let valid = std::fs::read(reference().ckpt_dir.join(checkpoint::file_name(9))).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated to half", valid[..valid.len() / 2].to_vec()),
        ("truncated by one byte", valid[..valid.len() - 1].to_vec()),
        ("truncated inside the header", valid[..30].to_vec()),
        ("empty", Vec::new()),
        ("a CSV", b"a,b,c,label\n1,2,3,0\n".to_vec()),
        ("one byte longer", [valid.as_slice(), &[0]].concat()),
    ];
    for (i, (what, bytes)) in cases.into_iter().enumerate() {
        let dir = folder_with(&[6], &tmp.path().join(format!("c{i}")));
        std::fs::write(dir.join(checkpoint::file_name(9)), bytes).unwrap();
        let (ckpt, path, warnings) = checkpoint::newest_valid(&dir).unwrap();
        assert_eq!(ckpt.done, 6, "{what}");
        assert_eq!(path, dir.join(checkpoint::file_name(6)), "{what}");
        assert_eq!(warnings.len(), 1, "{what}: {warnings:?}");
        assert!(
            warnings[0].contains(&checkpoint::file_name(9)),
            "{what}: {warnings:?}"
        );
    }
}

// ---------------------------------------------------------------- refusals

fn assert_checkpoint_error(e: &Error, needles: &[&str]) {
    assert!(
        matches!(e, Error::Checkpoint(_)),
        "expected a checkpoint error, got {e:?}"
    );
    let m = e.to_string();
    for n in needles {
        assert!(m.contains(n), "the message should mention {n:?}: {m}");
    }
}

#[test]
fn resume_refuses_other_rows_given_with_data() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("other.csv");
    write_csv(&other, ROWS, 3, 99); // the same shape, other values
    let out = tmp.path().join("out");
    let mut args = resume_args(&r.ckpt_dir, &out);
    args.data = Some(other.clone());
    let e = refusal(commands::resume(&args));
    assert_checkpoint_error(
        &e,
        &[
            "other data",
            "training rows differ",
            &other.display().to_string(),
            &checkpoint::file_name(9),
        ],
    );
    assert!(!out.exists(), "a refused resume writes nothing");
}

#[test]
fn resume_refuses_a_csv_with_other_rows_or_features() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let more_rows = tmp.path().join("more_rows.csv");
    write_csv(&more_rows, 50, 3, 7); // 40 training rows
    let more_features = tmp.path().join("more_features.csv");
    write_csv(&more_features, ROWS, 4, 7);
    for (csv, shape) in [(&more_rows, "40 x 3"), (&more_features, "36 x 4")] {
        let mut args = resume_args(&r.ckpt_dir, &tmp.path().join("out"));
        args.data = Some(csv.clone());
        let e = refusal(commands::resume(&args));
        assert_checkpoint_error(
            &e,
            &[
                "another recipe",
                "36 rows x 3 features in the checkpoint",
                shape,
                &csv.display().to_string(),
            ],
        );
    }
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn resume_refuses_empty_missing_and_all_corrupt_folders() {
    common::isolate_cache();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = refusal(commands::resume(&resume_args(&empty, &out)));
    assert_checkpoint_error(
        &e,
        &["no checkpoint files", &empty.display().to_string(), "prove"],
    );

    // Only a temp file a killed run left: still no checkpoint.
    let temp_only = tmp.path().join("temp_only");
    std::fs::create_dir(&temp_only).unwrap();
    std::fs::write(temp_only.join(".foldtrain-abc123.tmp"), b"partial").unwrap();
    let e = refusal(commands::resume(&resume_args(&temp_only, &out)));
    assert_checkpoint_error(&e, &["no checkpoint files"]);

    let missing = tmp.path().join("missing");
    let e = refusal(commands::resume(&resume_args(&missing, &out)));
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    let m = e.to_string();
    assert!(m.contains(&missing.display().to_string()), "{m}");
    assert!(m.contains("No such file"), "{m}");

    let valid = std::fs::read(reference().ckpt_dir.join(checkpoint::file_name(3))).unwrap();
    let corrupt_cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "flipped",
            {
                let mut b = valid.clone();
                let mid = b.len() / 2;
                b[mid] ^= 1;
                b
            },
            "digest",
        ),
        ("truncated", valid[..valid.len() / 3].to_vec(), "digest"),
        ("empty", Vec::new(), "magic"),
    ];
    for (what, bytes, why) in corrupt_cases {
        let dir = tmp.path().join(format!("only_{what}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(checkpoint::file_name(3)), bytes).unwrap();
        let e = refusal(commands::resume(&resume_args(&dir, &out)));
        assert_checkpoint_error(
            &e,
            &[
                "no valid checkpoint",
                &dir.display().to_string(),
                &checkpoint::file_name(3),
                why,
            ],
        );
    }
    assert!(!out.exists(), "a refused resume writes nothing");
}

// -------------------------------------------------------- the real binary

#[test]
fn the_resume_command_refuses_with_exit_2_and_a_message() {
    let r = reference();
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = tmp.path().join("out");
    let o = foldtrain(&[
        "resume",
        "--checkpoint-dir",
        &arg(&empty),
        "--out",
        &arg(&out),
    ]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.starts_with("error:"), "{}", o.stderr);
    assert!(o.stderr.contains("no checkpoint files"), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);

    let other = tmp.path().join("other.csv");
    write_csv(&other, ROWS, 3, 99);
    foldtrain(&[
        "resume",
        "--checkpoint-dir",
        &arg(&r.ckpt_dir),
        "--data",
        &arg(&other),
        "--out",
        &arg(&out),
    ])
    .refused(&["training rows differ"]);
    assert!(!out.exists(), "a refused resume writes nothing");
}

#[cfg(unix)]
#[test]
fn a_killed_prove_process_resumes_to_the_uninterrupted_weights() {
    common::isolate_cache();
    use std::os::unix::process::ExitStatusExt;

    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("killed.csv");
    write_csv(&csv, ROWS, 3, 11);
    let out = tmp.path().join("out");
    let ckpts = out.join("private").join("checkpoints");
    let stderr_path = tmp.path().join("prove.stderr");
    let mut child = command()
        .args([
            "prove",
            "--data",
            &arg(&csv),
            "--epochs",
            &EPOCHS.to_string(),
        ])
        .args(["--batch", "8", "--batches-per-step", "1"])
        .args(["--checkpoint-every", "1", "--quiet"])
        .args(["--out", &arg(&out)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "prove exited ({status}) before any checkpoint appeared: {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        if checkpoint::list(&ckpts).is_ok_and(|l| !l.is_empty()) {
            break;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no checkpoint after five minutes");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is cleaned up
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "prove was killed, not finished");

    // What the killed run left: complete checkpoints (a torn one would be a
    // temp file, which resume does not list), its opening, nothing else.
    assert_eq!(mode(&ckpts), 0o700);
    let listed = checkpoint::list(&ckpts).unwrap();
    let mut newest = 0;
    for entry in std::fs::read_dir(&ckpts).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(mode(&p), 0o600, "{name}");
        if name.starts_with("checkpoint-") && name.ends_with(".ckpt") {
            let c = checkpoint::read(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!((1..STEPS).contains(&c.done), "{name}: {}", c.done);
            assert_eq!(p, ckpts.join(checkpoint::file_name(c.done)));
            assert!(listed.iter().any(|(_, l)| *l == p), "{name} not listed");
            newest = newest.max(c.done);
        } else {
            assert!(
                name.starts_with(".foldtrain-") && name.ends_with(".tmp"),
                "unexpected file {name} in the checkpoint folder"
            );
            assert!(
                !listed.iter().any(|(_, l)| *l == p),
                "temp file {name} listed"
            );
        }
    }
    assert!(
        newest >= 1 && listed.len() <= checkpoint::KEEP,
        "{listed:?}"
    );
    let opening: Opening =
        read_json(&out.join("private").join("opening.json"), Opening::KIND).unwrap();
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            // The public commitment is written before folding starts.
            name == "private"
                || name == "commitment.json"
                || (name.starts_with(".foldtrain-") && name.ends_with(".tmp")),
            "unexpected {name} in the output folder of a prove killed at step {newest}/{STEPS}"
        );
    }

    let out2 = tmp.path().join("out2");
    let o = foldtrain(&[
        "resume",
        "--checkpoint-dir",
        &arg(&ckpts),
        "--out",
        &arg(&out2),
        "--quiet",
        "--json",
    ]);
    assert_eq!(o.code, 0, "resume failed:\n{}\n{}", o.stdout, o.stderr);
    let report: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(report["steps"], STEPS);
    assert_eq!(report["steps_folded_now"], STEPS - newest);
    assert_eq!(report["warnings"], serde_json::json!([]));

    let bundle_path = out2.join("proof.bundle");
    let o = foldtrain(&["verify", &arg(&bundle_path)]);
    assert_eq!(o.code, 0, "verify:\n{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.starts_with("accepted"), "{}", o.stdout);

    // The same weights as an uninterrupted run: the native trainer (what an
    // uninterrupted prove proves, see the reference test) and `train`.
    let loaded = data::data_args(&csv, EPOCHS).load().unwrap();
    let native = train::train_fixed(&loaded.recipe, &loaded.prepared.train_fixed).unwrap();
    let model: Model = read_json(&out2.join("model.json"), Model::KIND).unwrap();
    assert_eq!(model.fixed_weights().weights(), &native);
    let bundle = ProofBundle::from_bytes(&std::fs::read(&bundle_path).unwrap()).unwrap();
    assert_eq!(bundle.statement.final_weights(), Some(&native));
    assert_eq!(bundle.statement.commitment, opening.commitment());
    let resumed_opening: Opening =
        read_json(&out2.join("private").join("opening.json"), Opening::KIND).unwrap();
    assert_eq!(resumed_opening, opening);
    let o = foldtrain(&[
        "train",
        "--data",
        &arg(&csv),
        "--epochs",
        &EPOCHS.to_string(),
        "--batch",
        "8",
        "--batches-per-step",
        "1",
        "--json",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let trained: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        trained["weights"],
        serde_json::json!(model.decimal_weights().0)
    );
    assert_eq!(
        trained["bias"],
        serde_json::json!(model.decimal_weights().1)
    );
    assert_eq!(report["weights"], trained["weights"]);
}

// ------------------------------------------------- a stop during compression

/// Dies where a stop costs most: in compression, after all the folding (a
/// panic unwinds like a kill leaves the files: nothing after it is written).
struct DiesInCompression;

impl Observer for DiesInCompression {
    fn phase(&self, phase: Phase) {
        if phase == Phase::Compress {
            panic!("stopped during compression");
        }
    }
}

#[test]
fn a_stop_during_compression_resumes_without_folding_again() {
    common::isolate_cache();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args = data::prove_args(reference().args.clone(), out.clone());
    // No periodic checkpoint: only the one after the last step.
    args.run.checkpoint_every = Some(STEPS + 1);
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        commands::prove_with(&args, &DiesInCompression)
    }));
    assert!(
        stopped.is_err(),
        "the observer stops the run in compression"
    );
    let dir = out.join("private").join("checkpoints");
    assert_eq!(
        checkpoint_steps(&dir),
        vec![STEPS],
        "the last step's checkpoint"
    );
    assert!(!out.join("proof.bundle").exists());

    let report = commands::resume(&resume_args(&dir, &out)).unwrap();
    assert_eq!(report.steps_folded_now, 0, "nothing folded again");
    assert_matches_reference(&report, false);
    assert!(
        !dir.exists(),
        "the last step's checkpoint is removed once the bundle is written, with the \
         folder it leaves empty"
    );
}
