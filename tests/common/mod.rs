//! Shared by the integration tests, after ripgrep's `tests/util.rs`: the
//! parameter cache kept out of the user's home ([`isolate_cache`]), the
//! binary run with arguments ([`bin`]), and small CSV files with the
//! arguments that prove them ([`data`]).
//!
//! Each file in `tests/` is a crate of its own and uses only part of [`bin`]
//! and [`data`]; what one of them leaves unused is allowed, not warned about.

#[allow(dead_code)]
pub mod bin;
#[allow(dead_code)]
pub mod data;

/// Points Nova's parameter cache at a folder under cargo's scratch space for
/// tests (`target/tmp`), never the user's `~/.cache/foldtrain`; every test
/// that proves or verifies in this process calls this first, and
/// [`bin::command`] calls it before each run of the binary (child processes
/// inherit it).
pub fn isolate_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("foldtrain-param-cache");
        // Set once, before this process proves anything; Rust's environment
        // functions are synchronized, so concurrent readers see the old or
        // the new value, and every test calls this before reading it.
        std::env::set_var("FOLDTRAIN_CACHE_DIR", dir);
    });
}

/// Why a verifier rejects an evaluation or predictions bundle, read through
/// its bytes as a verifier reads a file; panics when it is accepted.
#[allow(dead_code)]
pub fn infer_rejection(bundle: &foldtrain::inference::InferBundle) -> foldtrain::Rejection {
    use foldtrain::inference::InferBundle;
    use foldtrain::Error;
    let bytes = bundle.to_bytes().unwrap();
    let reread = match InferBundle::from_bytes(&bytes) {
        Ok(b) => b,
        Err(Error::Rejected(r)) => return r,
        Err(e) => panic!("{e}"),
    };
    match foldtrain::statement::Verifier::with_cache(None).verify(&reread) {
        Err(Error::Rejected(r)) => r,
        other => panic!("expected a rejection, got {:?}", other.map(|v| v.steps)),
    }
}
