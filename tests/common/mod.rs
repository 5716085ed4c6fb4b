//! Shared by the integration tests.

/// Points Nova's parameter cache at a folder under cargo's scratch space for
/// tests (`target/tmp`), never the user's `~/.cache/foldtrain`; every test
/// that proves, verifies or runs the binary calls this first. Child
/// processes inherit it.
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
