//! Helpers shared by the integration tests. Each topic uses some of them, so those it does
//! not use are not dead code.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `scalargrad` binary cargo built for these tests.
pub const BINARY: &str = env!("CARGO_BIN_EXE_scalargrad");

/// A fresh, empty directory for one test, named after the test file (`topic`) and the test.
pub fn scratch(topic: &str, name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("scalargrad-{topic}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs the binary with `args` and returns what it did.
pub fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Bytes a program printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

/// Width and height of a PNG file, decoding every pixel (so a broken file fails).
pub fn png_size(path: &std::path::Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png pixels");
    (info.width, info.height)
}
