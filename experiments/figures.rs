//! Every figure the README quotes, measured in one run at one commit: the
//! whole commands a newcomer and an auditor wait for, each run as a child
//! process with its wall clock, peak memory and the load average before it.
//!
//! `cargo run --release --example figures [-- --build] [-- --python]` runs,
//! on the shipped default dataset and recipe, in a temporary folder:
//!
//! 1. with `--build`: `cargo build --release` into an empty target folder
//!    (what the README's first command compiles);
//! 2. `prove` with an empty parameter cache (a fresh machine after the
//!    build), then `prove-eval` of its model on the committed test rows and
//!    `prove-predict` of 8 rows;
//! 3. for each of the three bundles, what an auditor runs, each kind with a
//!    verifier cache of its own that starts empty: `verify` (derives the
//!    key, then caches it), `verify` again (key cached), `keys --out`, and
//!    `verify --vk --vk-sha256` (no cache);
//! 4. with `--python`: in a new virtual environment, `pip install ./python`
//!    into an empty target folder (a newcomer's first install, which
//!    compiles the library and the bindings), then (pytest, pandas and
//!    scikit-learn installed, not timed) `pytest python/tests` and
//!    `python/examples/credit_scoring.py` with an empty parameter cache.
//!
//! It writes `experiments/results/figures.md` (the table the README's
//! figures are read from, with the commit, the machine and the load) and
//! `figures.csv`. The machine is shared and noisy: compare rows of one run,
//! by ratio, and re-run on an idle machine before quoting absolute times.

#[path = "common/mod.rs"]
#[allow(dead_code)] // the plotting and proving helpers serve other experiments
mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// One measured command.
struct Row {
    /// What the figure is of.
    what: String,
    /// The command as a user types it (paths shortened to `$W`, the
    /// temporary folder, and `$VK`, the key file's sha256).
    shown: String,
    wall_s: f64,
    max_rss_mib: f64,
    load_before: String,
    /// The SNARK check the command reports (verify rows).
    check_s: Option<f64>,
    /// The key's phase the command reports (verify and keys rows).
    key_s: Option<f64>,
    note: String,
}

struct Figures {
    bin: std::path::PathBuf,
    work: std::path::PathBuf,
    rows: Vec<Row>,
}

impl Figures {
    /// Runs `foldtrain --json ARGS` with the parameter cache in `cache` (the
    /// empty string: none), records it under `what`, and returns its report.
    fn run(&mut self, what: &str, cache: &str, args: &[&str]) -> Result<Value> {
        std::env::set_var("FOLDTRAIN_CACHE_DIR", cache);
        let mut full: Vec<String> = vec!["--json".into()];
        full.extend(args.iter().map(|a| a.to_string()));
        let load_before = common::loadavg();
        let shown = self.shown(args);
        eprintln!("{what}: {shown} (load {load_before})");
        let run = common::run_measured(&self.bin, &full)?;
        let report: Value = serde_json::from_str(&run.stdout)
            .with_context(|| format!("{what}: parsing the --json report of `{shown}`"))?;
        let mut row = Row {
            what: what.to_string(),
            shown,
            wall_s: run.wall_s,
            max_rss_mib: common::mib(run.max_rss_kib),
            load_before,
            check_s: None,
            key_s: None,
            note: String::new(),
        };
        if args[0] == "verify" {
            if report["accepted"] != true {
                bail!("{what}: the bundle was not accepted: {}", report["reason"]);
            }
            row.check_s = report["verify_s"].as_f64();
            row.key_s = report["key_s"].as_f64();
            row.note = format!("key {}", report["key_origin"].as_str().unwrap_or("?"));
        } else if args[0] == "keys" {
            row.key_s = report["derive_s"].as_f64();
            row.note = format!("{} bytes", report["bytes"]);
        }
        self.rows.push(row);
        Ok(report)
    }

    /// `args` as typed, the temporary folder written `$W`.
    fn shown(&self, args: &[&str]) -> String {
        let work = self.work.display().to_string();
        let root = format!("{}/", common::root().display());
        let mut line = String::from("foldtrain");
        for arg in args {
            let arg = arg.replace(&work, "$W").replace(&root, "");
            line.push(' ');
            line.push_str(
                &if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
                    "$SHA".to_string()
                } else {
                    arg
                },
            );
        }
        line
    }

    /// The four commands an auditor runs on `bundle`, with a verifier cache
    /// of their own that starts empty.
    fn audit_rows(&mut self, kind: &str, bundle: &Path) -> Result<()> {
        let bundle = bundle.display().to_string();
        let cache = self.work.join(format!("verifier-cache-{kind}"));
        let cache = cache.display().to_string();
        self.run(
            &format!("{kind}: verify, fresh machine"),
            &cache,
            &["verify", &bundle],
        )?;
        self.run(
            &format!("{kind}: verify, key cached"),
            &cache,
            &["verify", &bundle],
        )?;
        let key = self
            .work
            .join(format!("vk-{kind}.bin"))
            .display()
            .to_string();
        let report = self.run(
            &format!("{kind}: keys"),
            "",
            &["keys", &bundle, "--out", &key],
        )?;
        let sha = report["sha256"]
            .as_str()
            .context("keys --json has no sha256")?
            .to_string();
        self.run(
            &format!("{kind}: verify with a pinned key file"),
            "",
            &["verify", &bundle, "--vk", &key, "--vk-sha256", &sha],
        )?;
        Ok(())
    }
}

fn main() -> Result<()> {
    let session = common::Session::start()?;
    let build = std::env::args().any(|a| a == "--build");
    let dir = tempfile::tempdir()?;
    let work = dir.path().to_path_buf();
    let mut rows = Vec::new();
    if build {
        rows.push(measure_build(&work)?);
    }
    let bin = common::foldtrain_binary(common::root())?;
    let mut f = Figures { bin, work, rows };
    let data = common::root().join("datasets/german_credit.csv");
    let data = data.display().to_string();
    let run = f.work.join("run");
    let run_s = run.display().to_string();
    let prover_cache = f.work.join("prover-cache").display().to_string();

    let proved = f.run(
        "prove, empty parameter cache",
        &prover_cache,
        &["prove", "--data", &data, "--out", &run_s],
    )?;
    let bundle = run.join("proof.bundle");
    let bytes = std::fs::metadata(&bundle)?.len();
    if let Some(row) = f.rows.last_mut() {
        row.note = format!(
            "{} folded steps; proof {} bytes, bundle {bytes} bytes",
            proved["steps"], proved["proof_bytes"]
        );
    }
    let model = run.join("model.json").display().to_string();
    f.run(
        "prove-eval (test rows)",
        &prover_cache,
        &[
            "prove-eval",
            "--model",
            &model,
            "--commitment",
            &run_s,
            "--data",
            &data,
        ],
    )?;
    let applicants = f.work.join("applicants.csv");
    write_applicants(Path::new(&data), &applicants, 8)?;
    let applicants = applicants.display().to_string();
    f.run(
        "prove-predict (8 rows)",
        &prover_cache,
        &["prove-predict", "--model", &model, "--inputs", &applicants],
    )?;

    f.audit_rows("training", &bundle)?;
    f.audit_rows("evaluation", &run.join("eval-test.bundle"))?;
    f.audit_rows("predictions", &run.join("predict.bundle"))?;
    std::env::remove_var("FOLDTRAIN_CACHE_DIR");
    if std::env::args().any(|a| a == "--python") {
        f.python()?;
    }
    write_results(&session, &f.rows)
}

impl Figures {
    /// Runs `program args` (not foldtrain) and records it under `what`,
    /// shown as `shown`.
    fn run_other(&mut self, what: &str, shown: &str, program: &Path, args: &[&str]) -> Result<()> {
        let load_before = common::loadavg();
        eprintln!("{what}: {shown} (load {load_before})");
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let run = common::run_measured(program, &args)?;
        self.rows.push(Row {
            what: what.to_string(),
            shown: shown.to_string(),
            wall_s: run.wall_s,
            max_rss_mib: common::mib(run.max_rss_kib),
            load_before,
            check_s: None,
            key_s: None,
            note: String::new(),
        });
        Ok(())
    }

    /// The Python package: first install, its tests, the example.
    fn python(&mut self) -> Result<()> {
        let venv = self.work.join("venv");
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv failed; install python3-venv");
        }
        let pip = venv.join("bin/pip");
        let python = venv.join("bin/python");
        let quiet = |args: &[&str]| -> Result<()> {
            let ok = Command::new(&pip).args(args).status()?.success();
            if !ok {
                bail!("pip {} failed", args.join(" "));
            }
            Ok(())
        };
        quiet(&["install", "--quiet", "--upgrade", "pip"])?;
        std::env::set_var("CARGO_TARGET_DIR", self.work.join("python-target"));
        self.run_other(
            "Python package, first install",
            "pip install ./python (empty target folder)",
            &pip,
            &["install", "--quiet", "./python"],
        )?;
        std::env::remove_var("CARGO_TARGET_DIR");
        quiet(&["install", "--quiet", "pytest", "pandas", "scikit-learn"])?;
        self.run_other(
            "Python tests",
            "pytest python/tests",
            &python,
            &["-m", "pytest", "-q", "python/tests"],
        )?;
        let cache = self.work.join("example-cache").display().to_string();
        std::env::set_var("FOLDTRAIN_CACHE_DIR", &cache);
        let out = self.work.join("example").display().to_string();
        self.run_other(
            "Python example, empty parameter cache",
            "python python/examples/credit_scoring.py $W/example",
            &python,
            &["python/examples/credit_scoring.py", &out],
        )?;
        std::env::remove_var("FOLDTRAIN_CACHE_DIR");
        Ok(())
    }
}

/// The header and the last `n` rows of `data`.
fn write_applicants(data: &Path, out: &Path, n: usize) -> Result<()> {
    let text = std::fs::read_to_string(data)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut csv = format!("{}\n", lines[0]);
    for line in &lines[lines.len().saturating_sub(n)..] {
        writeln!(csv, "{line}")?;
    }
    std::fs::write(out, csv)?;
    Ok(())
}

/// `cargo build --release` of the binary into an empty target folder.
fn measure_build(work: &Path) -> Result<Row> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = work.join("target");
    let load_before = common::loadavg();
    eprintln!("build: cargo build --release (empty target folder; load {load_before})");
    let start = Instant::now();
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--bin", "foldtrain"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(common::root())
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let wall_s = start.elapsed().as_secs_f64();
    std::fs::remove_dir_all(&target).ok();
    Ok(Row {
        what: "build".into(),
        shown: "cargo build --release (empty target folder)".into(),
        wall_s,
        max_rss_mib: f64::NAN,
        load_before,
        check_s: None,
        key_s: None,
        note: String::new(),
    })
}

fn write_results(session: &common::Session, rows: &[Row]) -> Result<()> {
    let opt = |v: Option<f64>| v.map_or_else(String::new, |s| format!("{s:.2}"));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut md = format!(
        "# Figures (`cargo run --release --example figures`)\n\n\
         Sources {}; {cores} cores; load average at start {}, at end {}. \
         Each row is one whole command, run as a child process; \
         `check` and `key` are the phases its report names, and \
         `wall / check` is the whole command over the SNARK check.\n\n\
         | figure | command | wall s | peak MiB | load before | check s | key s | wall / check | note |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        session.source,
        session.start_load,
        common::loadavg()
    );
    let mut csv =
        String::from("figure,command,wall_s,max_rss_mib,load_before,check_s,key_s,note\n");
    for r in rows {
        let ratio = r
            .check_s
            .filter(|c| *c > 0.0)
            .map_or_else(String::new, |c| format!("{:.2}", r.wall_s / c));
        let cells = [
            r.what.clone(),
            r.shown.clone(),
            format!("{:.2}", r.wall_s),
            format!("{:.0}", r.max_rss_mib),
            r.load_before.clone(),
            opt(r.check_s),
            opt(r.key_s),
        ];
        let [what, shown, rest @ ..] = &cells;
        writeln!(
            md,
            "| {what} | `{shown}` | {} | {ratio} | {} |",
            rest.join(" | "),
            r.note
        )?;
        writeln!(
            csv,
            "{what},\"{shown}\",{},\"{}\"",
            rest.join(","),
            r.note.replace('"', "'")
        )?;
    }
    print!("{md}");
    let out = session.result("figures", "md");
    std::fs::write(&out, md)?;
    std::fs::write(session.result("figures", "csv"), csv)?;
    println!("wrote {}", out.display());
    Ok(())
}
