//! A training run proven in segments through the CLI, the way a job array
//! runs it: `plan` once, `prove-segment` for each index as separate
//! processes (side by side, from another working folder), `join`; the
//! bundle verifies, its weights are the native trainer's bit for bit, and
//! every command that takes a training bundle takes it (inspect, keys with
//! `verify --vk`, the audit with a replay, prove-eval and the chain audit).
//! `prove --segments` does the same on one machine with committed weights.
//! Refusals: an index outside the plan, a missing segment, a proof of
//! another plan and a proof under another index's name.

mod common;

use std::path::Path;

use serde_json::Value;

use common::bin::{arg, command, foldtrain, foldtrain_in, Run};
use common::data;

/// 45 rows (36 train): batch 8 gives 5 steps an epoch, 10 in all.
const ROWS: usize = 45;
const SCALES: [f64; 3] = [1.0, 2.0, 3.0];
const RECIPE: [&str; 6] = ["--epochs", "2", "--batch", "8", "--batches-per-step", "1"];

fn model_weights(path: &Path) -> (Value, Value) {
    let m: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    (m["weights"].clone(), m["bias"].clone())
}

/// Runs `prove-segment DIR --index I` for every index at once, as separate
/// processes started from `cwd`, and waits for them all.
fn prove_segments_side_by_side(cwd: &Path, dir: &Path, count: usize) {
    let children: Vec<_> = (0..count)
        .map(|i| {
            command()
                .args([
                    "--quiet",
                    "prove-segment",
                    &arg(dir),
                    "--index",
                    &i.to_string(),
                ])
                .current_dir(cwd)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output();
        let args = ["prove-segment".to_string(), format!("--index {i}")];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Run::new(&args, out).ok();
    }
}

#[test]
fn a_run_proven_as_separate_segment_processes_verifies_with_the_native_weights() {
    let dir = tempfile::tempdir().unwrap();
    let csv = data::write_small_csv(&dir.path().join("small.csv"), ROWS, &SCALES, 11);
    let run = dir.path().join("run");
    let csv_arg = arg(&csv);
    // A relative data path, as typed in the data's folder: workers started
    // elsewhere find it (the plan records it absolute).
    let mut plan = vec!["--json", "plan", "--data", "small.csv"];
    plan.extend(RECIPE);
    let run_arg = arg(&run);
    plan.extend(["--segments", "3", "--out", &run_arg]);
    let planned = foldtrain_in(dir.path(), &plan).ok().json();
    let ranges: Vec<(u64, u64)> = planned["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["start"].as_u64().unwrap(), s["steps"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        ranges,
        [(0, 3), (3, 3), (6, 4)],
        "balanced, tiling 10 steps"
    );
    #[cfg(unix)]
    assert_eq!(
        common::bin::mode(&run.join("private/segments.json")) & 0o777,
        0o600
    );

    // Joining before every segment is proven names what is missing.
    foldtrain(&["join", &run_arg]).refused(&["0, 1, 2", "prove-segment"]);
    foldtrain(&["prove-segment", &run_arg, "--index", "3"]).refused(&["from 0 to 2"]);

    // The array: every index a process of its own, from another folder.
    let elsewhere = tempfile::tempdir().unwrap();
    prove_segments_side_by_side(elsewhere.path(), &run, 3);
    // A retry of a proven index is free and says so.
    let again = foldtrain(&["--json", "prove-segment", &run_arg, "--index", "1"]).ok();
    assert_eq!(again.json()["reused"], true);

    let joined = foldtrain(&["--json", "join", &run_arg]).ok().json();
    assert_eq!(joined["steps"], 10);
    assert_eq!(joined["segments"].as_array().unwrap().len(), 3);
    let bundle = run.join("proof.bundle");
    let verified = foldtrain(&["--json", "verify", &arg(&bundle)]).ok().json();
    assert_eq!(verified["accepted"], true, "{verified}");
    assert_eq!(verified["segments"], 3, "{verified}");

    // The weights are the native trainer's, bit for bit.
    let native = dir.path().join("native.json");
    let mut train = vec!["train", "--data", &csv_arg];
    train.extend(RECIPE);
    let native_arg = arg(&native);
    train.extend(["--out", &native_arg]);
    foldtrain(&train).ok();
    assert_eq!(
        model_weights(&run.join("model.json")),
        model_weights(&native)
    );
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"join\"") && manifest.contains("proof.bundle"));

    // Every command that takes a training bundle takes this one.
    let inspected = foldtrain(&["--json", "inspect", &arg(&bundle)]).ok().json();
    assert_eq!(inspected["segments"], 3);
    assert_eq!(inspected["verified"], false);
    let vk = dir.path().join("vk.bin");
    let keys = foldtrain(&["--json", "keys", &arg(&bundle), "--out", &arg(&vk)])
        .ok()
        .json();
    let sha = keys["sha256"].as_str().unwrap().to_string();
    assert_eq!(keys["kind"], "training in segments");
    let pinned = [
        "verify",
        &arg(&bundle),
        "--vk",
        &arg(&vk),
        "--vk-sha256",
        &sha,
    ];
    foldtrain(&pinned).ok();
    // The whole run's training key, relabelled or not, is not the segment
    // circuit's: refused as a key for this bundle (exit 2), never accepted.
    let whole = dir.path().join("whole.bin");
    let mut whole_keys = vec!["--json", "keys", "--data", &csv_arg];
    whole_keys.extend(RECIPE);
    let whole_arg = arg(&whole);
    whole_keys.extend(["--out", &whole_arg]);
    let whole_sha = foldtrain(&whole_keys).ok().json()["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let bundle_arg = arg(&bundle);
    let wrong = [
        "verify",
        &bundle_arg,
        "--vk",
        &whole_arg,
        "--vk-sha256",
        &whole_sha,
    ];
    foldtrain(&wrong).refused(&["training in segments"]);
    let opening = run.join("private/opening.json");
    let opening_arg = arg(&opening);
    let audit = [
        "--json",
        "audit",
        &bundle_arg,
        "--data",
        &csv_arg,
        "--opening",
        &opening_arg,
    ];
    let audited = foldtrain(&audit).ok().json();
    assert_eq!(audited["weights_reproduced"], true, "{audited}");

    let model = arg(&run.join("model.json"));
    let eval_dir = arg(&dir.path().join("eval"));
    let eval = [
        "prove-eval",
        "--model",
        &model,
        "--commitment",
        &run_arg,
        "--data",
        &csv_arg,
        "--out",
        &eval_dir,
    ];
    foldtrain(&eval).ok();
    let eval_bundle = arg(&dir.path().join("eval/eval-test.bundle"));
    let chain = ["audit", "--train", &bundle_arg, "--eval", &eval_bundle];
    foldtrain(&chain).ok();

    // A proof filed under another index, and one of another plan, are
    // refused by name.
    let seg = |d: &Path, i: usize| d.join(format!("segments/segment-{i}.proof"));
    let kept = std::fs::read(seg(&run, 2)).unwrap();
    std::fs::copy(seg(&run, 1), seg(&run, 2)).unwrap();
    foldtrain(&["join", &run_arg, "--force"]).refused(&["segment-2.proof", "segment 1"]);
    std::fs::write(seg(&run, 2), kept).unwrap();
    let other = dir.path().join("other");
    let other_arg = arg(&other);
    let mut replan = vec!["plan", "--data", &csv_arg];
    replan.extend(RECIPE);
    replan.extend(["--segments", "3", "--out", &other_arg]);
    foldtrain(&replan).ok();
    for i in 0..3 {
        std::fs::copy(seg(&run, i), seg(&other, i)).unwrap();
    }
    foldtrain(&["join", &other_arg]).refused(&["another plan", "--force"]);
}

#[test]
fn prove_in_segments_with_committed_weights_opens_its_model() {
    let dir = tempfile::tempdir().unwrap();
    let csv = data::write_small_csv(&dir.path().join("small.csv"), ROWS, &SCALES, 12);
    let run = dir.path().join("run");
    let (csv_arg, run_arg) = (arg(&csv), arg(&run));
    let mut prove = vec!["--json", "prove", "--data", &csv_arg];
    prove.extend(RECIPE);
    prove.extend([
        "--private-weights",
        "--segments",
        "2",
        "--jobs",
        "2",
        "--out",
        &run_arg,
    ]);
    let report = foldtrain_in(dir.path(), &prove).ok().json();
    assert_eq!(report["segments"].as_array().unwrap().len(), 2);
    assert!(report["weights_commitment"].is_string(), "{report}");
    let bundle = arg(&run.join("proof.bundle"));
    let private_model = arg(&run.join("private/model.json"));
    foldtrain(&["verify", &bundle, "--model", &private_model]).ok();
    // No weight is public: only C_W.
    let public: Value =
        serde_json::from_slice(&std::fs::read(run.join("model.public.json")).unwrap()).unwrap();
    assert!(
        public.get("weights").is_none() && public.get("bias").is_none(),
        "{public}"
    );
    assert!(public["weights_commitment"].is_string(), "{public}");
}

#[test]
fn an_interrupted_prove_in_segments_is_finished_by_the_commands_it_prints() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use common::bin::{as_printed, hinted_command};
    use foldtrain::commands;
    use foldtrain::ivc::prover::Silent;
    use foldtrain::Error;

    common::isolate_cache();
    let dir = tempfile::tempdir().unwrap();
    let csv = data::write_small_csv(&dir.path().join("small.csv"), ROWS, &SCALES, 13);
    let run = dir.path().join("run");
    let mut args = data::prove_args(data::data_args(&csv, 2), run.clone());
    // As after a Ctrl-C while the first segment is proven.
    args.run.interrupt = Some(Arc::new(AtomicBool::new(true)));
    let exe = Path::new(env!("CARGO_BIN_EXE_foldtrain"));
    let message = match commands::prove_in_segments(&args, 2, Some(1), exe, &Silent) {
        Err(Error::Interrupted(m)) => m,
        other => panic!("expected Interrupted, got {:?}", other.map(|r| r.steps)),
    };
    assert!(!run.join("proof.bundle").exists());
    // The commands it prints finish the run, pasted as printed.
    let prove_one = hinted_command(&message).to_string();
    let join = message
        .split('`')
        .nth(3)
        .expect("a join command")
        .to_string();
    assert!(
        prove_one.contains("prove-segment") && join.contains("join"),
        "{message}"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    for i in 0..2 {
        let line = prove_one.replace("--index I", &format!("--index {i}"));
        as_printed(elsewhere.path(), &line).ok();
    }
    as_printed(elsewhere.path(), &join).ok();
    foldtrain(&["verify", &arg(&run.join("proof.bundle"))]).ok();
}
