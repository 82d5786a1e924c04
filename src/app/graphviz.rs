//! Writing a graph picture: the DOT text always, and SVG and PNG when Graphviz is installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use scalargrad::files::write_atomic;

/// What `write_graph` produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphFiles {
    /// The files written: the `.dot` file, then any pictures.
    pub written: Vec<PathBuf>,
    /// False if Graphviz's `dot` program was not found, so only the `.dot` file was written.
    pub rendered: bool,
}

/// Writes `dot_text` to `dir/stem.dot`, and renders `stem.svg` and `stem.png` with Graphviz's
/// `dot` program when it is on the PATH. Each file is written atomically.
///
/// # Errors
/// If a file cannot be written, or `dot` exists but fails on the input (its message is
/// included).
pub fn write_graph(dot_text: &str, dir: &Path, stem: &str) -> Result<GraphFiles, String> {
    let dot_path = dir.join(format!("{stem}.dot"));
    write_atomic(&dot_path, dot_text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", dot_path.display()))?;
    let mut written = vec![dot_path.clone()];
    let found = Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        return Ok(GraphFiles {
            written,
            rendered: false,
        });
    }
    for format in ["svg", "png"] {
        let output = Command::new("dot")
            .arg(format!("-T{format}"))
            .arg(&dot_path)
            .output()
            .map_err(|e| format!("cannot run dot: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "dot could not render {}: {}",
                dot_path.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let picture = dir.join(format!("{stem}.{format}"));
        write_atomic(&picture, &output.stdout)
            .map_err(|e| format!("cannot write {}: {e}", picture.display()))?;
        written.push(picture);
    }
    Ok(GraphFiles {
        written,
        rendered: true,
    })
}
