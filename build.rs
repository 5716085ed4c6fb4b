//! Computes the build's source identity: a sha256 of every file the circuits
//! are compiled from (this crate's `src/`, the patched nova-snark under
//! `third_party/`, and `Cargo.lock`, which fixes every other dependency's
//! version). The parameter and key cache name and head their files with it
//! (`src/ivc/params.rs`, `binding`), so a file cached by a build of other
//! sources is never used, at no cost when it is read: the circuits are pure
//! integer functions of these sources (no float, no clock, no randomness).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Every regular file under `dir`, recursively, in a fixed order.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let inputs = [
        "src",
        "third_party/nova-snark/src",
        "third_party/nova-snark/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ];
    let mut files = Vec::new();
    for input in inputs {
        let path = root.join(input);
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            files_under(&path, &mut files);
        } else if path.is_file() {
            files.push(path);
        }
    }
    let mut h = Sha256::new();
    h.update(b"foldtrain source identity v1");
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file);
        let name = name.to_string_lossy();
        let bytes = std::fs::read(file).unwrap_or_default();
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    println!(
        "cargo:rustc-env=FOLDTRAIN_SOURCE_SHA256={}",
        hex_lower(&h.finalize())
    );
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
