//! Helpers shared by the integration tests.

/// Runs `cargo run --example NAME` in this crate and returns what it printed.
///
/// # Panics
/// If cargo cannot run or the example fails.
pub fn run_example(name: &str) -> String {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}
