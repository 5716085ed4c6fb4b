//! Shared by the experiments: the run mode and the machine's load, and the
//! `foldtrain` binary run as a child process with its wall time and peak
//! memory measured (`end_to_end` and `scaling`).
//!
//! Each experiment is an example of its own and includes this file with
//! `#[path = "common/mod.rs"] mod common;`.

pub mod plot;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The crate's folder: datasets, sources and results are found from it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where an experiment writes, and what it records about its run.
pub struct Session {
    /// [`quick_mode`].
    pub quick: bool,
    /// `experiments/results`.
    pub results: PathBuf,
    /// [`source_state`].
    pub source: String,
    /// The load averages at the start ([`loadavg`]).
    pub start_load: String,
}

impl Session {
    /// Creates the results folder, and says on stdout the load and the
    /// sources the experiment starts on.
    pub fn start() -> Result<Self> {
        let quick = quick_mode();
        let results = root().join("experiments/results");
        std::fs::create_dir_all(&results)
            .with_context(|| format!("creating {}", results.display()))?;
        let session = Session {
            quick,
            results,
            source: source_state(root()),
            start_load: loadavg(),
        };
        println!(
            "load average at start: {}; sources {}",
            session.start_load, session.source
        );
        Ok(session)
    }

    /// The result file `<stem>.<ext>`, `<stem>_quick.<ext>` in quick mode.
    pub fn result(&self, stem: &str, ext: &str) -> PathBuf {
        let suffix = if self.quick { "_quick" } else { "" };
        self.results.join(format!("{stem}{suffix}.{ext}"))
    }
}

/// True for `-- --quick` or `FOLDTRAIN_QUICK` set (and not `0`): a shorter
/// run into `*_quick` result files.
pub fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var("FOLDTRAIN_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `git rev-parse HEAD`, with `+dirty` when the library sources differ.
pub fn source_state(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    match git(&["status", "--porcelain", "--", "src", "Cargo.toml"]) {
        Some(s) if !s.is_empty() => format!("{head}+dirty"),
        _ => head,
    }
}

/// Builds the `foldtrain` binary next to this example and returns its path.
pub fn foldtrain_binary(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--bin", "foldtrain"])
        .current_dir(root)
        .status()
        .context("running cargo build --release --bin foldtrain")?;
    if !status.success() {
        bail!("cargo build --release --bin foldtrain failed; fix the build and run again");
    }
    // This example is target/<profile>/examples/<name>.
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("locating the target folder")?;
    let bin = dir.join("foldtrain");
    if !bin.exists() {
        bail!("{} is missing after the build", bin.display());
    }
    Ok(bin)
}

/// A finished child process.
pub struct ChildRun {
    pub wall_s: f64,
    /// Peak resident set size in KiB.
    pub max_rss_kib: Option<u64>,
    pub stdout: String,
}

/// Runs `bin args`, measuring wall time and peak memory: through
/// `/usr/bin/time -v` when it exists, else by polling the child's VmHWM.
pub fn run_measured(bin: &Path, args: &[String]) -> Result<ChildRun> {
    let time = Path::new("/usr/bin/time");
    let describe = || format!("{} {}", bin.display(), args.join(" "));
    if !time.exists() {
        return run_polled(bin, args, describe);
    }
    let report = tempfile::NamedTempFile::new()?;
    let start = Instant::now();
    let out = Command::new(time)
        .arg("-v")
        .arg("-o")
        .arg(report.path())
        .arg(bin)
        .args(args)
        .output()
        .with_context(describe)?;
    let wall_s = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "`{}` failed ({}): {}",
            describe(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(report.path())?;
    let max_rss_kib = text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|v| v.trim().parse().ok())
    });
    Ok(ChildRun {
        wall_s,
        max_rss_kib,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// [`run_measured`] without `/usr/bin/time`: the child's VmHWM polled every
/// 20 ms.
fn run_polled(bin: &Path, args: &[String], describe: impl Fn() -> String) -> Result<ChildRun> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(&describe)?;
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().context("stdout")?));
    let err = drain(Box::new(child.stderr.take().context("stderr")?));
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak = vm_hwm_kib(child.id()).max(peak);
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall_s = start.elapsed().as_secs_f64();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        bail!("`{}` failed ({status}): {stderr}", describe());
    }
    Ok(ChildRun {
        wall_s,
        max_rss_kib: peak,
        stdout,
    })
}

/// The peak resident set size of process `pid` so far, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One `foldtrain prove --json` and the cold `foldtrain verify --json` of the
/// bundle it wrote.
pub struct Proved {
    /// The load averages just before `prove` started.
    pub load_at_start: String,
    pub prove: ChildRun,
    /// What `prove --json` printed.
    pub report: Value,
    pub verify: ChildRun,
    /// What `verify --json` printed (it accepted); `scaling` keeps only the
    /// timings.
    #[allow(dead_code)]
    pub verdict: Value,
}

/// Runs `foldtrain prove --json --quiet <args> --out <out>` (saying so on
/// stderr, after `label`), then a cold `foldtrain verify --json` of its
/// bundle (which must be accepted), then removes `out`: its opening and
/// checkpoints hold the witness.
pub fn prove_and_verify(bin: &Path, label: &str, args: &[String], out: &Path) -> Result<Proved> {
    let mut prove_args: Vec<String> = vec!["prove".into(), "--json".into(), "--quiet".into()];
    prove_args.extend(args.iter().cloned());
    prove_args.extend(["--out".into(), out.display().to_string()]);
    let load_at_start = loadavg();
    eprintln!(
        "{label}: foldtrain {} (load {load_at_start})",
        prove_args.join(" ")
    );
    let prove = run_measured(bin, &prove_args)?;
    let report: Value = serde_json::from_str(&prove.stdout).context("parsing prove --json")?;
    let bundle = out.join("proof.bundle");
    let verify = run_measured(
        bin,
        &[
            "verify".into(),
            "--json".into(),
            bundle.display().to_string(),
        ],
    )?;
    let verdict: Value = serde_json::from_str(&verify.stdout).context("parsing verify --json")?;
    if verdict.get("accepted") != Some(&Value::Bool(true)) {
        bail!("the proof of {} was rejected: {verdict}", out.display());
    }
    std::fs::remove_dir_all(out).ok();
    Ok(Proved {
        load_at_start,
        prove,
        report,
        verify,
        verdict,
    })
}

/// `v[key]` as a number, or an error naming the key.
pub fn json_f64(v: &Value, key: &str) -> Result<f64> {
    v.get(key)
        .and_then(Value::as_f64)
        .with_context(|| format!("`{key}` missing from the JSON report"))
}

/// KiB as MiB; NaN when unknown.
pub fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |k| k as f64 / 1024.0)
}
