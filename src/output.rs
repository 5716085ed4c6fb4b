//! Output folders: one run at a time, nothing private ever replaced, and a
//! manifest written last, so that a folder is either complete or visibly not.
//!
//! - **One run a folder.** A run holds an exclusive `flock` on
//!   `OUT/private/run.lock` from start to end and writes its pid there. A
//!   second run on the same folder fails at once, naming that pid. The
//!   kernel drops the lock when its process dies, so a crashed run's lock
//!   file blocks nothing.
//! - **No lost opening.** A run refuses to start if a public output it
//!   would write exists (unless `--force`), and an existing
//!   `private/opening.json` is never replaced, not even with `--force`: it
//!   is the only way to open a commitment that may already be published. A
//!   run that would write the very same commitment (resume) keeps the file.
//! - **Complete or incomplete.** At its start a run removes
//!   `OUT/manifest.json`; at its end, once every output is written
//!   (atomically, one by one), it writes the manifest, with the sha256 of
//!   each public file and the name of each private one. A folder without a
//!   manifest, or whose files differ from it, is incomplete; `verify` and
//!   `audit` say so.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::artifact::{self, Visibility};
use crate::commitment::{Commitment, Opening};
use crate::error::{Error, Result};

/// Name of the private sub-folder of every output folder.
pub const PRIVATE_DIR: &str = "private";
/// The manifest, at the top of an output folder (public).
pub const MANIFEST: &str = "manifest.json";
/// The lock file, in the private folder.
pub const LOCK: &str = "run.lock";
/// The opening, in the private folder.
pub const OPENING: &str = "opening.json";
/// The default checkpoint folder, inside `private/`.
pub const CHECKPOINTS: &str = "checkpoints";
/// Largest public file a manifest check reads (bundles are at most 1 MiB).
const MAX_LISTED_BYTES: u64 = 16 << 20;

/// The folder of an output folder's private files (mode 0700): openings and
/// checkpoints. Everything at the output folder's top level is public, so
/// publishing it never leaks a salt or the witness.
pub fn private_dir(out_dir: &Path) -> PathBuf {
    out_dir.join(PRIVATE_DIR)
}

/// The output folder whose default checkpoint folder is `checkpoint_dir`
/// (`DIR` for `DIR/private/checkpoints`), if it is one.
pub fn out_dir_of_checkpoints(checkpoint_dir: &Path) -> Option<PathBuf> {
    let private = checkpoint_dir.parent()?;
    if checkpoint_dir.file_name()? != CHECKPOINTS || private.file_name()? != PRIVATE_DIR {
        return None;
    }
    let out = private.parent()?;
    Some(if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out.to_path_buf()
    })
}

/// The command that finishes a run checkpointed into `checkpoint_dir` and
/// writing into `out_dir`, runnable as printed: `--out` is named only when
/// the checkpoints are not that folder's own.
pub fn resume_command(checkpoint_dir: &Path, out_dir: &Path) -> String {
    let mut command = format!(
        "foldtrain resume --checkpoint-dir {}",
        shell_word(checkpoint_dir)
    );
    let same = |a: &Path| {
        let norm = |p: &Path| p.components().collect::<PathBuf>();
        norm(a) == norm(out_dir)
    };
    if !out_dir_of_checkpoints(checkpoint_dir).is_some_and(|o| same(&o)) {
        command.push_str(&format!(" --out {}", shell_word(out_dir)));
    }
    command
}

/// `path` as one word of a POSIX shell command: as it is when it needs no
/// quoting, else in single quotes.
pub fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// An output folder held by this run (the lock is released on drop).
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    _lock: std::fs::File,
}

/// What to do about an existing opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpeningPlan {
    /// No opening yet: write it.
    Write,
    /// The folder holds the opening of this very commitment: keep it.
    Keep,
}

impl OutputDir {
    /// Creates `dir` and its private folder if needed and takes the run
    /// lock; fails at once if another process holds it.
    pub fn lock(dir: &Path) -> Result<OutputDir> {
        artifact::ensure_dir(dir)?;
        let private = private_dir(dir);
        artifact::ensure_private_dir(&private)?;
        let path = private.join(LOCK);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another process".to_string()
                } else {
                    format!("another run ({holder})")
                };
                return Err(Error::artifact(
                    dir,
                    format!(
                        "{who} is writing this output folder; wait for it to finish, or choose another --out"
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        // Ours now: record who holds it, for a second run's message.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "pid {}", std::process::id());
        let _ = file.sync_all();
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            _lock: file,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Refuses to start if any of the public files `names` (relative to the
    /// folder) exists, unless `force`.
    pub fn refuse_existing_public(&self, names: &[&str], force: bool) -> Result<()> {
        if force {
            return Ok(());
        }
        for name in names {
            let path = self.dir.join(name);
            if path.symlink_metadata().is_ok() {
                return Err(Error::artifact(
                    &path,
                    "exists already (from an earlier run); choose another --out, or pass --force to replace the public files (a private opening is never replaced)",
                ));
            }
        }
        Ok(())
    }

    /// Checks the private opening before a run that will write the opening
    /// of `commitment`: none yet, or one of the same commitment (kept). Any
    /// other opening refuses the run, whatever `--force` says.
    pub fn plan_opening(&self, commitment: &Commitment) -> Result<OpeningPlan> {
        let path = private_dir(&self.dir).join(OPENING);
        if path.symlink_metadata().is_err() {
            return Ok(OpeningPlan::Write);
        }
        let existing: Result<Opening> = artifact::read_json(&path, Opening::KIND);
        match existing {
            Ok(o) if o.commitment() == *commitment => Ok(OpeningPlan::Keep),
            Ok(o) => Err(self.opening_refusal(&path, &format!("commitment {}", o.commitment()))),
            Err(e) => Err(self.opening_refusal(&path, &format!("an unreadable opening ({e})"))),
        }
    }

    fn opening_refusal(&self, path: &Path, what: &str) -> Error {
        let checkpoints = private_dir(&self.dir).join(CHECKPOINTS);
        let resume = if checkpoints.is_dir() {
            format!(
                "; to finish an interrupted run, use `{}`",
                resume_command(&checkpoints, &self.dir)
            )
        } else {
            String::new()
        };
        Error::artifact(
            path,
            format!(
                "holds the opening of {what}, the only way to open that commitment, and is never replaced; choose another --out{resume}"
            ),
        )
    }

    /// Marks the folder incomplete (removes its manifest) before anything
    /// is written.
    pub fn begin(&self) -> Result<()> {
        let path = self.dir.join(MANIFEST);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Writes the manifest, last: `public` files with their sha256,
    /// `private` ones by name. Returns its path.
    pub fn finish(&self, command: &str, public: &[&str], private: &[&str]) -> Result<PathBuf> {
        let mut files = Vec::new();
        for name in public {
            let bytes = std::fs::read(self.dir.join(name)).map_err(|e| Error::io(name, e))?;
            files.push(ManifestFile {
                path: name.to_string(),
                sha256: Some(artifact::sha256_hex(&bytes)),
                bytes: Some(bytes.len() as u64),
            });
        }
        for name in private {
            files.push(ManifestFile {
                path: format!("{PRIVATE_DIR}/{name}"),
                sha256: None,
                bytes: None,
            });
        }
        let manifest = Manifest {
            kind: Manifest::KIND.into(),
            version: Manifest::VERSION,
            command: command.into(),
            files,
        };
        let path = self.dir.join(MANIFEST);
        artifact::write_json(&path, &manifest, Visibility::Public)?;
        Ok(path)
    }
}

/// The list of a finished run's outputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: String,
    pub version: u32,
    /// The command that wrote the folder (`prove`, `resume`, `commit`).
    pub command: String,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    pub const KIND: &'static str = "foldtrain-manifest";
    /// The version of the manifest's layout.
    pub const VERSION: u32 = 1;
}

/// One output of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative to the output folder.
    pub path: String,
    /// sha256 of a public file; private files are listed by name only.
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
}

/// Whether the output folder a file lies in is complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Completeness {
    /// The folder's manifest lists the file with its sha256, and every
    /// listed file is there as listed.
    Complete,
    /// Why the folder is not a finished run's.
    Incomplete(String),
    /// The file is not in an output folder (a bundle received on its own).
    Standalone,
}

/// The completeness of the output folder of `file` (a bundle, say).
pub fn completeness_of(file: &Path) -> Completeness {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let manifest_path = dir.join(MANIFEST);
    if manifest_path.symlink_metadata().is_err() {
        return if private_dir(dir).is_dir() {
            Completeness::Incomplete(format!(
                "{} has no {MANIFEST}: the run that wrote it did not finish (or is still running)",
                dir.display()
            ))
        } else {
            Completeness::Standalone
        };
    }
    let manifest: Manifest = match artifact::read_json(&manifest_path, Manifest::KIND) {
        Ok(m) => m,
        Err(e) => return Completeness::Incomplete(e.to_string()),
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    if !manifest
        .files
        .iter()
        .any(|f| Some(&f.path) == name.as_ref())
    {
        return Completeness::Incomplete(format!(
            "{} does not list {}: the file is not this folder's run's",
            manifest_path.display(),
            file.display()
        ));
    }
    for f in &manifest.files {
        // A manifest comes with the folder, perhaps from someone else: only
        // plain names inside the folder are followed, and reads are bounded.
        let inside = Path::new(&f.path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || f.path.is_empty() {
            return Completeness::Incomplete(format!(
                "{} lists {:?}, which is not a file inside the folder",
                manifest_path.display(),
                f.path
            ));
        }
        let path = dir.join(&f.path);
        let problem = match &f.sha256 {
            Some(want) => match artifact::read_limited(&path, MAX_LISTED_BYTES) {
                Ok(bytes) if artifact::sha256_hex(&bytes) == *want => None,
                Ok(_) => Some("differs from the manifest (changed after the run)"),
                Err(_) => Some("is missing, unreadable or too large"),
            },
            // Private files: another user may not see into private/.
            None => match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("is missing"),
                _ => None,
            },
        };
        if let Some(problem) = problem {
            return Completeness::Incomplete(format!("{} {problem}", path.display()));
        }
    }
    Completeness::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_folder_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let held = OutputDir::lock(&out).unwrap();
        let e = OutputDir::lock(&out).unwrap_err().to_string();
        assert!(
            e.contains(&format!("pid {}", std::process::id())),
            "the message names the holder: {e}"
        );
        drop(held);
        // Released on drop; a lock file left behind blocks nothing.
        assert!(private_dir(&out).join(LOCK).exists());
        OutputDir::lock(&out).unwrap();
    }

    #[test]
    fn completeness_follows_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let o = OutputDir::lock(&out).unwrap();
        o.begin().unwrap();
        let bundle = out.join("proof.bundle");
        std::fs::write(&bundle, b"bundle").unwrap();
        std::fs::write(private_dir(&out).join(OPENING), b"{}").unwrap();
        assert!(matches!(
            completeness_of(&bundle),
            Completeness::Incomplete(r) if r.contains("did not finish")
        ));
        o.finish("prove", &["proof.bundle"], &[OPENING]).unwrap();
        assert_eq!(completeness_of(&bundle), Completeness::Complete);
        std::fs::write(&bundle, b"bundlf").unwrap();
        assert!(matches!(
            completeness_of(&bundle),
            Completeness::Incomplete(r) if r.contains("differs")
        ));
        std::fs::write(&bundle, b"bundle").unwrap();
        std::fs::remove_file(private_dir(&out).join(OPENING)).unwrap();
        assert!(matches!(
            completeness_of(&bundle),
            Completeness::Incomplete(r) if r.contains("missing")
        ));
        o.begin().unwrap();
        assert!(matches!(
            completeness_of(&bundle),
            Completeness::Incomplete(_)
        ));
        // A hostile manifest cannot send the check outside the folder.
        for evil in ["../outside", "/dev/zero", ""] {
            let m = Manifest {
                kind: Manifest::KIND.into(),
                version: Manifest::VERSION,
                command: "prove".into(),
                files: vec![
                    ManifestFile {
                        path: "proof.bundle".into(),
                        sha256: Some(artifact::sha256_hex(b"bundle")),
                        bytes: Some(6),
                    },
                    ManifestFile {
                        path: evil.into(),
                        sha256: Some(String::new()),
                        bytes: None,
                    },
                ],
            };
            artifact::write_json(&out.join(MANIFEST), &m, Visibility::Public).unwrap();
            assert!(matches!(
                completeness_of(&bundle),
                Completeness::Incomplete(r) if r.contains("not a file inside")
            ));
        }
        let alone = dir.path().join("alone.bundle");
        std::fs::write(&alone, b"bundle").unwrap();
        assert_eq!(completeness_of(&alone), Completeness::Standalone);
    }

    #[test]
    fn existing_public_files_refuse_a_run_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let o = OutputDir::lock(dir.path()).unwrap();
        o.refuse_existing_public(&["model.json"], false).unwrap();
        std::fs::write(dir.path().join("model.json"), b"{}").unwrap();
        let e = o
            .refuse_existing_public(&["model.json"], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--force") && e.contains("model.json"), "{e}");
        o.refuse_existing_public(&["model.json"], true).unwrap();
    }
}
