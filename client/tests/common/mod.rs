//! What the generated-file tests share: a file in the repository that a test writes from its one source.

use std::path::PathBuf;

/// Fails when `relative` (from the repository's root) differs from `generated`, naming the command that rewrites
/// it (`UPDATE_DOCS=1 cargo test -p backstop-client --test <test>`); under `UPDATE_DOCS` it rewrites the file.
pub fn check_generated(test: &str, relative: &str, generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).expect("writes the generated file");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{relative} is stale: run `UPDATE_DOCS=1 cargo test -p backstop-client --test {test}`"
    );
}
