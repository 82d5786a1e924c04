//! `scalargrad playground`: a web page that trains on this engine, live. The page (HTML,
//! JavaScript and CSS compiled into the binary) draws what the server sends; each tab's model
//! trains on its own thread ([`sessions`]); hyper on tokio only carries requests to them.
//!
//! The API, all under `/api/sessions`:
//!
//! | request | does |
//! |---|---|
//! | `GET /api/vocabulary` | every setting the page offers (its range, choices and help), and the settings a session starts with |
//! | `POST /api/sessions` with settings JSON (`{}` for the defaults) | starts a session: `{id, state}` |
//! | `GET /{id}/state?since=S&data=V` | the state; curve points after step S; the points unless the page has data version V |
//! | `POST /{id}/settings` with settings JSON | applies them (live, or starting over) |
//! | `POST /{id}/play`, `/pause`, `/reset`, `/step?count=N` | as the buttons do |
//! | `POST /{id}/upload?name=F&task=classification&label=L` with CSV text | trains on that table (its label column L, else the last) |
//! | `GET /{id}/graph?point=I` | training point I's computation graph |
//! | `GET /{id}/explain?layer=L&neuron=K&input=J` (or `input=bias`) | that parameter's last gradient, explained |
//! | `GET /{id}/model.json`, `/model.safetensors`, `/metrics.csv` | downloads |
//!
//! Every refusal is JSON `{"error": "..."}` with status 400 (a bad request, or one past a
//! limit: [`cost`](scalargrad::playground::cost)), 403 (a `Host` other than the address served,
//! or another site's `Origin`: [`guard`]), 404 (no such session or path), 408 (a body not sent
//! within 10 seconds), 413 (too large a body), 429 (a request of the same kind already waiting
//! for the session) or 503 (too many sessions).

mod guard;
mod lab;
mod sessions;

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::sync::Semaphore;

use scalargrad::data::Task;
use scalargrad::playground::{
    IDLE_CONNECTION, MAX_COLUMNS, MAX_CONNECTIONS, MAX_LAYERS, MAX_POINTS, MAX_STEPS_PER_REQUEST,
    MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, MAX_WIDTH, ParameterOrder, PointEdit, REQUEST_WITHIN,
    Upload, starting_settings,
};
use scalargrad::settings::Settings;

use super::AppError;
use super::cli::PlaygroundArgs;
use super::error::clip_echoes;
use guard::Served;
use sessions::{Answer, Download, Refusal, Request as SessionRequest, Sessions};

/// The page and what it loads, compiled in: the playground works offline.
const PAGE_HTML: &str = include_str!("page.html");
const PAGE_JS: &str = include_str!("page.js");
const DETAILS_JS: &str = include_str!("details.js");
const PAD_JS: &str = include_str!("pad.js");
const PAGE_CSS: &str = include_str!("page.css");

/// The largest request body: an upload, with room for its form.
const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 4096;
/// The most bytes hyper buffers for a request's head (its line and headers); a longer head is
/// answered 431 and the connection closed.
const MAX_HEAD_BYTES: usize = 16 * 1024;

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
        let served = Served {
            ip: bound.ip(),
            port: bound.port(),
        };
        let server = tokio::spawn(accept(listener, sessions, served));
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

/// Accepts connections for ever, each served as HTTP/1.1 on its own task, at most
/// [`MAX_CONNECTIONS`] at once: one more is answered 503 and closed (a client holding many
/// connections open cannot make the page's requests wait behind them).
async fn accept(listener: tokio::net::TcpListener, sessions: Arc<Sessions>, served: Served) {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // out of file descriptors, say: wait a moment rather than spin
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let sessions = Arc::clone(&sessions);
        tokio::spawn(async move {
            serve_connection(stream, sessions, served).await;
            drop(permit);
        });
    }
}

/// Answers a connection past [`MAX_CONNECTIONS`] with 503 (without reading its request) and
/// closes it.
async fn refuse_connection(stream: tokio::net::TcpStream) {
    let body = json!({ "error": format!(
        "{MAX_CONNECTIONS} connections are open, the most this playground serves: close some, or \
         try again in a moment"
    ) })
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut unsent = response.as_bytes();
    let deadline = Instant::now() + Duration::from_secs(1);
    while !unsent.is_empty() && Instant::now() < deadline {
        if tokio::time::timeout(Duration::from_secs(1), stream.writable())
            .await
            .is_err()
        {
            return;
        }
        match stream.try_write(unsent) {
            Ok(written) => unsent = &unsent[written..],
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

/// Serves one connection until it closes, or has had no request for [`IDLE_CONNECTION`].
async fn serve_connection(stream: tokio::net::TcpStream, sessions: Arc<Sessions>, served: Served) {
    // when the last request began, and how many are being answered
    let activity = Arc::new(std::sync::Mutex::new((Instant::now(), 0usize)));
    let seen = Arc::clone(&activity);
    let service = service_fn(move |request| {
        let sessions = Arc::clone(&sessions);
        let seen = Arc::clone(&seen);
        async move {
            let _busy = Busy::start(&seen);
            handle(sessions, served, request).await
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD_BYTES)
        .timer(TokioTimer::new())
        .header_read_timeout(REQUEST_WITHIN)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    // a connection's errors (a client gone, a malformed request) end that connection only
    while tokio::time::timeout(Duration::from_secs(1), connection.as_mut())
        .await
        .is_err()
    {
        let (since, answering) = *activity.lock().unwrap_or_else(|e| e.into_inner());
        if !closing && answering == 0 && since.elapsed() >= IDLE_CONNECTION {
            connection.as_mut().graceful_shutdown();
            closing = true;
        }
    }
}

/// A request being answered on a connection: counted from its start to its answer, so an idle
/// connection is told from a busy one.
struct Busy<'a>(&'a std::sync::Mutex<(Instant, usize)>);

impl<'a> Busy<'a> {
    fn start(activity: &'a std::sync::Mutex<(Instant, usize)>) -> Busy<'a> {
        let mut state = activity.lock().unwrap_or_else(|e| e.into_inner());
        *state = (Instant::now(), state.1 + 1);
        Busy(activity)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *state = (Instant::now(), state.1.saturating_sub(1));
    }
}

type Reply = Response<Full<Bytes>>;

/// One request: its `Host` and `Origin` checked, its body read within the limits of size and
/// time, then routed.
async fn handle(
    sessions: Arc<Sessions>,
    served: Served,
    request: Request<Incoming>,
) -> Result<Reply, Infallible> {
    if let Err(why) = served.check(request.headers()) {
        return Ok(json_response(
            StatusCode::FORBIDDEN,
            &json!({ "error": why }),
        ));
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let reading = Limited::new(request.into_body(), MAX_BODY_BYTES).collect();
    let Ok(read) = tokio::time::timeout(REQUEST_WITHIN, reading).await else {
        return Ok(json_response(
            StatusCode::REQUEST_TIMEOUT,
            &json!({ "error": format!(
                "the request body did not arrive within {} seconds",
                REQUEST_WITHIN.as_secs()
            ) }),
        ));
    };
    let body = match read {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return Ok(json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({ "error": format!("the request body is larger than {MAX_BODY_BYTES} bytes") }),
            ));
        }
        Err(error) => {
            return Ok(refuse(Refusal::Bad(format!(
                "cannot read the request body: {error}"
            ))));
        }
    };
    Ok(route(&sessions, &method, &path, query.as_deref(), &body).await)
}

/// Every route; anything else is a 404.
async fn route(
    sessions: &Sessions,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Reply {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let request = match (method, segments.as_slice()) {
        (&Method::GET, [""]) => return asset("text/html; charset=utf-8", PAGE_HTML),
        (&Method::GET, ["page.js"]) => return asset("text/javascript; charset=utf-8", PAGE_JS),
        (&Method::GET, ["details.js"]) => {
            return asset("text/javascript; charset=utf-8", DETAILS_JS);
        }
        (&Method::GET, ["pad.js"]) => return asset("text/javascript; charset=utf-8", PAD_JS),
        (&Method::GET, ["page.css"]) => return asset("text/css; charset=utf-8", PAGE_CSS),
        (&Method::GET, ["lab"]) => return asset("text/html; charset=utf-8", lab::LAB_HTML),
        (&Method::GET, ["lab.js"]) => return asset("text/javascript; charset=utf-8", lab::LAB_JS),
        (&Method::GET, ["lab.css"]) => return asset("text/css; charset=utf-8", lab::LAB_CSS),
        (&Method::GET, ["api", "lab", "presets"]) => {
            return json_response(StatusCode::OK, &lab::presets());
        }
        (&Method::POST, ["api", "lab"]) => {
            return match lab::run(body).await {
                Ok(ran) => json_response(StatusCode::OK, &ran),
                Err(why) => refuse(Refusal::Bad(why)),
            };
        }
        (&Method::GET, ["api", "vocabulary"]) => {
            return json_response(StatusCode::OK, &vocabulary());
        }
        (&Method::POST, ["api", "sessions"]) => {
            return match settings_of(body) {
                Ok(settings) => match sessions.create(settings).await {
                    Ok((id, state)) => {
                        json_response(StatusCode::OK, &json!({ "id": id, "state": state }))
                    }
                    Err(refusal) => refuse(refusal),
                },
                Err(refusal) => refuse(refusal),
            };
        }
        (&Method::GET, ["api", "sessions", id, action]) => {
            read(action, query).map(|request| (*id, request))
        }
        (&Method::POST, ["api", "sessions", id, action]) => {
            act(action, query, body).map(|request| (*id, request))
        }
        _ => Err(Refusal::Gone(format!(
            "no such page or API path: {method} {}",
            short(path)
        ))),
    };
    match request {
        Ok((id, request)) => answer(sessions.ask(id, request).await),
        Err(refusal) => refuse(refusal),
    }
}

fn with_headers(
    status: StatusCode,
    headers: &[(header::HeaderName, String)],
    body: Bytes,
) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
    response
}

fn asset(content_type: &str, text: &'static str) -> Reply {
    with_headers(
        StatusCode::OK,
        &[
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        Bytes::from_static(text.as_bytes()),
    )
}

/// A refusal as JSON, with whatever its message repeats of the request cut short.
fn refuse(refusal: Refusal) -> Reply {
    let (status, message) = match refusal {
        Refusal::Bad(m) => (StatusCode::BAD_REQUEST, m),
        Refusal::Gone(m) => (StatusCode::NOT_FOUND, m),
        Refusal::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
        Refusal::Waiting(m) => (StatusCode::TOO_MANY_REQUESTS, m),
    };
    json_response(status, &json!({ "error": clip_echoes(&message, false) }))
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Reply {
    with_headers(
        status,
        &[
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Bytes::from(value.to_string()),
    )
}

fn answer(result: Result<Answer, Refusal>) -> Reply {
    match result {
        Ok(Answer::Json(value)) => json_response(StatusCode::OK, &value),
        Ok(Answer::File(kind, bytes)) => {
            let (name, content_type) = kind.name_and_type();
            with_headers(
                StatusCode::OK,
                &[
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                Bytes::from(bytes),
            )
        }
        Err(refusal) => refuse(refusal),
    }
}

/// What the page builds its controls from: every setting it offers (range, choices, help), the
/// settings a session starts with, and the playground's limits.
fn vocabulary() -> serde_json::Value {
    json!({
        "settings": Settings::vocabulary(),
        "start": starting_settings(),
        "limits": {
            "layers": MAX_LAYERS,
            "width": MAX_WIDTH,
            "samples": MAX_POINTS,
            "columns": MAX_COLUMNS,
            "upload_bytes": MAX_UPLOAD_BYTES,
            "upload_rows": MAX_UPLOAD_ROWS,
            "steps_per_request": MAX_STEPS_PER_REQUEST,
        },
    })
}

/// Settings from a JSON body: the fields it has over the settings a session starts with (an
/// empty body or `{}` is those).
fn settings_of(body: &[u8]) -> Result<Settings, Refusal> {
    let bad = |e: serde_json::Error| Refusal::Bad(format!("settings: {e}"));
    let mut merged = serde_json::to_value(starting_settings()).expect("settings are plain data");
    if !body.iter().all(u8::is_ascii_whitespace) {
        let given: serde_json::Value = serde_json::from_slice(body).map_err(bad)?;
        let serde_json::Value::Object(fields) = given else {
            return Err(Refusal::Bad("settings: expected a JSON object".into()));
        };
        for (key, value) in fields {
            merged[key] = value;
        }
    }
    serde_json::from_value(merged).map_err(bad)
}

/// A drawn bitmap from a JSON body: `{"bitmap": "0010..."}`, one `0` or `1` a pixel, row by
/// row.
fn bitmap_of(body: &[u8]) -> Result<Vec<bool>, Refusal> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Asked {
        bitmap: String,
    }
    let usage = "pad: send {\"bitmap\": \"0010...\"}, a 0 or 1 for each pixel of the 32 x 32 pad, row by row";
    let asked: Asked =
        serde_json::from_slice(body).map_err(|e| Refusal::Bad(format!("{usage}: {e}")))?;
    asked
        .bitmap
        .chars()
        .map(|c| match c {
            '0' => Ok(false),
            '1' => Ok(true),
            _ => Err(Refusal::Bad(usage.to_string())),
        })
        .collect()
}

/// A point edit from a JSON body: `{"add": [x, y, class or target]}`, `{"move": index, "to":
/// [x, y]}` or `{"remove": index}`.
fn point_edit(body: &[u8]) -> Result<PointEdit, Refusal> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Asked {
        add: Option<[f64; 3]>,
        #[serde(rename = "move")]
        moved: Option<usize>,
        to: Option<[f64; 2]>,
        remove: Option<usize>,
    }
    let usage = "points: send {\"add\": [x, y, class or target]}, {\"move\": index, \"to\": [x, y]} or {\"remove\": index}";
    let asked: Asked =
        serde_json::from_slice(body).map_err(|e| Refusal::Bad(format!("{usage}: {e}")))?;
    match asked {
        Asked {
            add: Some([x, y, label]),
            moved: None,
            to: None,
            remove: None,
        } => Ok(PointEdit::Add { x, y, label }),
        Asked {
            add: None,
            moved: Some(index),
            to: Some([x, y]),
            remove: None,
        } => Ok(PointEdit::Move { index, x, y }),
        Asked {
            add: None,
            moved: None,
            to: None,
            remove: Some(index),
        } => Ok(PointEdit::Remove { index }),
        _ => Err(Refusal::Bad(usage.to_string())),
    }
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

/// What a GET of `/api/sessions/{id}/{action}` asks: state, graph, explain or a download.
fn read(action: &str, query: Option<&str>) -> Result<SessionRequest, Refusal> {
    Ok(match action {
        "state" => SessionRequest::State {
            since: query_value(query, "since")
                .map(|_| whole(query, "since", None).map(index))
                .transpose()?,
            data_version: whole(query, "data", Some(0))?,
        },
        "graph" => SessionRequest::Graph(index(whole(query, "point", None)?)),
        "explain" => SessionRequest::Explain {
            layer: index(whole(query, "layer", None)?),
            neuron: index(whole(query, "neuron", None)?),
            input: match query_value(query, "input") {
                Some("bias") => None,
                _ => Some(index(whole(query, "input", None)?)),
            },
        },
        "parameters" => SessionRequest::Parameters {
            order: match query_value(query, "sort") {
                None => ParameterOrder::Network,
                Some(name) => ParameterOrder::named(name).ok_or_else(|| {
                    Refusal::Bad(format!(
                        "sort: {:?} is not an order; use network, grad or update",
                        short(name)
                    ))
                })?,
            },
            limit: index(whole(query, "limit", Some(50))?),
        },
        "model.json" => SessionRequest::Download(Download::ModelJson),
        "model.safetensors" => SessionRequest::Download(Download::ModelSafetensors),
        "metrics.csv" => SessionRequest::Download(Download::MetricsCsv),
        "data.csv" => SessionRequest::Download(Download::DataCsv),
        _ => {
            return Err(Refusal::Gone(format!(
                "no action {:?} to read",
                short(action)
            )));
        }
    })
}

/// What a POST to `/api/sessions/{id}/{action}` asks: settings, play, pause, step, reset or
/// upload.
fn act(action: &str, query: Option<&str>, body: &[u8]) -> Result<SessionRequest, Refusal> {
    Ok(match action {
        "settings" => SessionRequest::Apply(Box::new(settings_of(body)?)),
        "points" => SessionRequest::Points(point_edit(body)?),
        "pad" => SessionRequest::Pad(bitmap_of(body)?),
        "play" => SessionRequest::Play,
        "pause" => SessionRequest::Pause,
        "reset" => SessionRequest::Reset,
        "step" => {
            let count = whole(query, "count", Some(1))?;
            if !(1..=MAX_STEPS_PER_REQUEST as u64).contains(&count) {
                return Err(Refusal::Bad(format!(
                    "count: from 1 to {MAX_STEPS_PER_REQUEST} steps per request"
                )));
            }
            SessionRequest::Step(index(count))
        }
        "upload" => {
            let name = query_value(query, "name").unwrap_or("uploaded.csv");
            let label = query_value(query, "label")
                .filter(|l| !l.is_empty())
                .map(decoded);
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
            SessionRequest::Upload {
                upload: Upload {
                    name: decoded(name).chars().take(100).collect(),
                    text,
                },
                task,
                label,
            }
        }
        _ => return Err(Refusal::Gone(format!("no action {:?}", short(action)))),
    })
}

/// A query value with its percent-escapes (`%2C`) and `+` decoded; an escape that is not one is
/// kept as written.
fn decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'+' => out.push(b' '),
            b'%' if k + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[k + 1..k + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        k += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        k += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// At most 40 characters of something a client sent, for a message.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}
