//! `scalargrad playground`: a web page that trains on this engine, live. The page (HTML,
//! JavaScript and CSS compiled into the binary) draws what the server sends; each tab's model
//! trains on its own thread ([`sessions`]); axum on tokio only carries requests to them.
//!
//! The API, all under `/api/sessions`:
//!
//! | request | does |
//! |---|---|
//! | `POST /api/sessions` with settings JSON (`{}` for the defaults) | starts a session: `{id, state}` |
//! | `GET /{id}/state?since=S&data=V` | the state; curve points after step S; the points unless the page has data version V |
//! | `POST /{id}/settings` with settings JSON | applies them (live, or starting over) |
//! | `POST /{id}/play`, `/pause`, `/reset`, `/step?count=N` | as the buttons do |
//! | `POST /{id}/upload?task=classification` with CSV text | trains on that file |
//! | `GET /{id}/graph?point=I` | training point I's computation graph |
//! | `GET /{id}/explain?layer=L&neuron=K&input=J` (or `input=bias`) | that parameter's last gradient, explained |
//! | `GET /{id}/model.json`, `/model.safetensors`, `/metrics.csv` | downloads |
//!
//! Every refusal is JSON `{"error": "..."}` with status 400 (a bad request), 404 (no such
//! session or path), 413 (too large a body) or 503 (too many sessions).

mod sessions;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use scalargrad::data::Task;
use scalargrad::playground::{MAX_STEPS_PER_REQUEST, MAX_UPLOAD_BYTES, Settings};

use super::AppError;
use super::cli::PlaygroundArgs;
use sessions::{Answer, Download, Refusal, Request, Sessions};

/// The page and what it loads, compiled in: the playground works offline.
const PAGE_HTML: &str = include_str!("page.html");
const PAGE_JS: &str = include_str!("page.js");
const PAGE_CSS: &str = include_str!("page.css");

/// The largest request body: an upload, with room for its form.
const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 4096;

/// Serves the playground until Ctrl-C.
///
/// # Errors
/// `AppError::Serve` if the address cannot be listened on (a port in use is named, with the
/// way out).
pub(crate) fn serve(args: &PlaygroundArgs) -> Result<(), AppError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Serve(format!("cannot start the web server: {e}")))?;
    let address = SocketAddr::new(args.host, args.port);
    let sessions = Arc::new(Sessions::new(
        usize::from(args.max_sessions),
        Duration::from_secs(args.idle_seconds),
    ));
    let outcome = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| listen_error(address, &error))?;
        let bound = listener
            .local_addr()
            .map_err(|e| AppError::Serve(format!("cannot read the bound address: {e}")))?;
        if !args.host.is_loopback() {
            eprintln!(
                "warning: listening on {}: others on the network can reach this playground and train on this machine",
                args.host
            );
        }
        println!("playground: http://{bound}/");
        let _ = std::io::stdout().flush();
        let server = tokio::spawn(axum::serve(listener, router(sessions)).into_future());
        let stopped = tokio::signal::ctrl_c().await;
        server.abort();
        stopped.map_err(|e| AppError::Serve(format!("cannot wait for Ctrl-C: {e}")))
    });
    // open connections and session threads end with the process
    runtime.shutdown_timeout(Duration::from_millis(200));
    if outcome.is_ok() {
        eprintln!("playground: stopped");
    }
    outcome
}

fn listen_error(address: SocketAddr, error: &std::io::Error) -> AppError {
    AppError::Serve(match error.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} is in use on {}: stop what uses it, or choose another with --port (--port 0 picks a free one)",
            address.port(),
            address.ip()
        ),
        _ => format!("cannot listen on {address}: {error}"),
    })
}

/// Every route; anything else is a 404.
fn router(sessions: Arc<Sessions>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", PAGE_HTML) }),
        )
        .route(
            "/page.js",
            get(|| async { asset("text/javascript; charset=utf-8", PAGE_JS) }),
        )
        .route(
            "/page.css",
            get(|| async { asset("text/css; charset=utf-8", PAGE_CSS) }),
        )
        .route("/api/sessions", post(create))
        .route("/api/sessions/{id}/{action}", get(read).post(act))
        .fallback(|| async { refuse(Refusal::Gone("no such page or API path".into())) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sessions)
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        text,
    )
        .into_response()
}

fn refuse(refusal: Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::Bad(m) => (StatusCode::BAD_REQUEST, m),
        Refusal::Gone(m) => (StatusCode::NOT_FOUND, m),
        Refusal::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
    };
    json_response(status, &json!({ "error": message }))
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

fn answer(result: Result<Answer, Refusal>) -> Response {
    match result {
        Ok(Answer::Json(value)) => json_response(StatusCode::OK, &value),
        Ok(Answer::File(kind, bytes)) => {
            let (name, content_type) = kind.name_and_type();
            (
                [
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(refusal) => refuse(refusal),
    }
}

/// A body that fits the limit, or the response that says it does not.
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Response> {
    body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is larger than {MAX_BODY_BYTES} bytes")
        } else {
            format!("cannot read the request body: {rejection}")
        };
        json_response(status, &json!({ "error": message }))
    })
}

/// Settings from a JSON body; an empty body is the defaults.
fn settings_of(body: &[u8]) -> Result<Settings, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Settings::default());
    }
    serde_json::from_slice(body).map_err(|e| Refusal::Bad(format!("settings: {e}")))
}

/// `key=value` pairs of a query string (values are plain numbers and words: no decoding).
fn query_value<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// A whole number from the query, or `default` when absent.
fn whole(query: Option<&str>, key: &str, default: Option<u64>) -> Result<u64, Refusal> {
    match (query_value(query, key), default) {
        (None, Some(default)) => Ok(default),
        (None, None) => Err(Refusal::Bad(format!("{key}: missing (e.g. ?{key}=0)"))),
        (Some(text), _) => text.parse().map_err(|_| {
            let shown: String = text.chars().take(40).collect();
            Refusal::Bad(format!("{key}: {shown:?} is not a whole number"))
        }),
    }
}

fn index(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

async fn create(
    State(sessions): State<Arc<Sessions>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_of(body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let settings = match settings_of(&body) {
        Ok(settings) => settings,
        Err(refusal) => return refuse(refusal),
    };
    match sessions.create(settings).await {
        Ok((id, state)) => json_response(StatusCode::OK, &json!({ "id": id, "state": state })),
        Err(refusal) => refuse(refusal),
    }
}

/// The GET actions: state, graph, explain and the downloads.
async fn read(
    State(sessions): State<Arc<Sessions>>,
    Path((id, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.as_deref();
    let request = (|| -> Result<Request, Refusal> {
        Ok(match action.as_str() {
            "state" => Request::State {
                since: query_value(query, "since")
                    .map(|_| whole(query, "since", None).map(index))
                    .transpose()?,
                data_version: whole(query, "data", Some(0))?,
            },
            "graph" => Request::Graph(index(whole(query, "point", None)?)),
            "explain" => Request::Explain {
                layer: index(whole(query, "layer", None)?),
                neuron: index(whole(query, "neuron", None)?),
                input: match query_value(query, "input") {
                    Some("bias") => None,
                    _ => Some(index(whole(query, "input", None)?)),
                },
            },
            "model.json" => Request::Download(Download::ModelJson),
            "model.safetensors" => Request::Download(Download::ModelSafetensors),
            "metrics.csv" => Request::Download(Download::MetricsCsv),
            _ => {
                return Err(Refusal::Gone(format!(
                    "no action {:?} to read",
                    short(&action)
                )));
            }
        })
    })();
    match request {
        Ok(request) => answer(sessions.ask(&id, request).await),
        Err(refusal) => refuse(refusal),
    }
}

/// The POST actions: settings, play, pause, step, reset and upload.
async fn act(
    State(sessions): State<Arc<Sessions>>,
    Path((id, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_of(body) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let query = query.as_deref();
    let request = (|| -> Result<Request, Refusal> {
        Ok(match action.as_str() {
            "settings" => Request::Apply(settings_of(&body)?),
            "play" => Request::Play,
            "pause" => Request::Pause,
            "reset" => Request::Reset,
            "step" => {
                let count = whole(query, "count", Some(1))?;
                if !(1..=MAX_STEPS_PER_REQUEST as u64).contains(&count) {
                    return Err(Refusal::Bad(format!(
                        "count: from 1 to {MAX_STEPS_PER_REQUEST} steps per request"
                    )));
                }
                Request::Step(index(count))
            }
            "upload" => {
                let task = match query_value(query, "task") {
                    None | Some("classification") => Task::Classification,
                    Some("regression") => Task::Regression,
                    Some(other) => {
                        return Err(Refusal::Bad(format!(
                            "task: {:?}; classification or regression",
                            short(other)
                        )));
                    }
                };
                let text = String::from_utf8(body.to_vec())
                    .map_err(|_| Refusal::Bad("the file is not UTF-8 text".into()))?;
                Request::Upload { text, task }
            }
            _ => return Err(Refusal::Gone(format!("no action {:?}", short(&action)))),
        })
    })();
    match request {
        Ok(request) => answer(sessions.ask(&id, request).await),
        Err(refusal) => refuse(refusal),
    }
}

/// At most 40 characters of something a client sent, for a message.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}
