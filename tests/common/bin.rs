//! Running the `foldtrain` binary with arguments, and looking at what it
//! leaves behind.

use std::fmt;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The binary cargo built for these tests, with the parameter cache
/// isolated ([`super::isolate_cache`]): add arguments, then run or spawn it.
pub fn command() -> Command {
    super::isolate_cache();
    Command::new(env!("CARGO_BIN_EXE_foldtrain"))
}

/// Runs `foldtrain args` in the current folder.
pub fn foldtrain(args: &[&str]) -> Run {
    Run::new(args, command().args(args).output())
}

/// Runs `foldtrain args` inside `cwd` (so that a stray relative output can
/// never land in the source tree).
pub fn foldtrain_in(cwd: &Path, args: &[&str]) -> Run {
    Run::new(args, command().args(args).current_dir(cwd).output())
}

/// Runs `line`, a command the tool printed (`foldtrain …`), through `sh`
/// inside `cwd`, exactly as a user pasting it would: the built binary is
/// the `foldtrain` on the PATH.
pub fn as_printed(cwd: &Path, line: &str) -> Run {
    super::isolate_cache();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_foldtrain"))
        .parent()
        .expect("the binary's folder");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .env("PATH", std::env::join_paths(dirs).expect("a PATH"))
        .current_dir(cwd)
        .output();
    Run::new(&["sh", "-c", line], out)
}

/// The command between the first pair of backticks in `message` (how the
/// tool's hints quote what to run).
pub fn hinted_command(message: &str) -> &str {
    message
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no `command` in: {message}"))
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> String {
    p.to_str().expect("a UTF-8 temporary path").to_string()
}

/// What one run of the binary did.
pub struct Run {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: Vec<String>,
}

impl Run {
    /// The run of `args` that ended with `out`.
    pub fn new(args: &[&str], out: std::io::Result<Output>) -> Self {
        let out = out.expect("the foldtrain binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Asserts exit 0 and returns the run.
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{self}");
        self
    }

    /// Asserts stdout is exactly one JSON object and returns it.
    pub fn json(&self) -> Value {
        let v: Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {self}"));
        assert!(v.is_object(), "expected a JSON object, got {v}");
        v
    }

    /// Asserts exit 2, no panic, a one-line `error:` message containing every
    /// needle, and nothing on stdout.
    pub fn refused(&self, needles: &[&str]) {
        assert_eq!(self.code, 2, "expected exit 2: {self}");
        assert!(!self.stderr.contains("panicked"), "panicked: {self}");
        assert!(
            self.stderr.starts_with("error:"),
            "stderr should start with `error:`: {self}"
        );
        self.mentions(needles);
        assert!(
            self.stdout.trim().is_empty(),
            "nothing should be printed on stdout when refusing: {self}"
        );
    }

    /// Asserts exit 2, no panic, and an `error:` line among the notes on
    /// stderr (`prove` says what it starts on first), with every needle on
    /// stderr.
    pub fn refused_after_notes(&self, needles: &[&str]) {
        assert_eq!(self.code, 2, "expected exit 2: {self}");
        assert!(
            self.stderr.lines().any(|l| l.starts_with("error:"))
                && !self.stderr.contains("panicked"),
            "expected an `error:` line and no panic: {self}"
        );
        self.mentions(needles);
    }

    fn mentions(&self, needles: &[&str]) {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr should mention {needle:?}: {self}"
            );
        }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "foldtrain {:?}: exit {}\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

/// Names of the entries of `dir`, sorted; none when it does not exist.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The permission bits of `p`.
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
