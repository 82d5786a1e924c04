//! The lab's routes: its page (`/lab`) and `POST /api/lab`, which runs a program on a blocking
//! thread of its own (the engine's tape is per thread) and answers with its whole timeline.

use serde_json::json;

use scalargrad::lab::{self, MAX_RUN_TIME, PRESETS};

/// The lab's page, script and style, compiled in.
pub const LAB_HTML: &str = include_str!("lab.html");
/// The page's script.
pub const LAB_JS: &str = include_str!("lab.js");
/// The page's style.
pub const LAB_CSS: &str = include_str!("lab.css");

/// What `POST /api/lab` answers: the run as JSON, or why not (a 400's message).
pub async fn run(body: &[u8]) -> Result<serde_json::Value, String> {
    #[derive(serde::Deserialize)]
    struct Asked {
        program: String,
    }
    let asked: Asked = serde_json::from_slice(body)
        .map_err(|e| format!("expected {{\"program\": \"...\"}}: {e}"))?;
    let running = tokio::task::spawn_blocking(move || lab::run(&asked.program));
    // the run checks its own time between statements; this bounds a statement that runs long
    let waited = tokio::time::timeout(MAX_RUN_TIME * 2, running).await;
    match waited {
        Err(_) => Err(format!(
            "the program ran longer than {} seconds, the lab's limit",
            MAX_RUN_TIME.as_secs()
        )),
        Ok(Err(join)) => Err(format!("the program stopped: {join}")),
        Ok(Ok(Err(error))) => Err(error.to_string()),
        Ok(Ok(Ok(ran))) => Ok(serde_json::to_value(ran).expect("a run is plain data")),
    }
}

/// The presets, for the page's list.
pub fn presets() -> serde_json::Value {
    json!(
        PRESETS
            .iter()
            .map(|p| json!({ "name": p.name, "about": p.about, "program": p.program }))
            .collect::<Vec<_>>()
    )
}
