//! The playground's sessions: one thread per browser tab, owning its `Session` (engine nodes
//! stay on the thread that made them), answering requests sent over a channel and training
//! between them while it plays. The web server's tasks never train: they send and await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::RngExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use scalargrad::data::Task;
use scalargrad::playground::{ParameterOrder, PointEdit, Session, Upload};
use scalargrad::settings::Settings;

/// What a request asks a session to do.
pub(super) enum Request {
    /// The state after curve step `since`, with the points unless the page has `data_version`.
    State {
        since: Option<usize>,
        data_version: u64,
    },
    /// New settings (live, or starting over).
    Apply(Box<Settings>),
    /// Train continuously, at the settings' speed.
    Play,
    /// Stop training.
    Pause,
    /// Take this many steps (paused).
    Step(usize),
    /// Start over with the same settings.
    Reset,
    /// A CSV table to train on, for a task, with its label column (else the last).
    Upload {
        upload: Upload,
        task: Task,
        label: Option<String>,
    },
    /// A training point's computation graph.
    Graph(usize),
    /// A parameter's last gradient, explained.
    Explain {
        layer: usize,
        neuron: usize,
        input: Option<usize>,
    },
    /// A file to download.
    Download(Download),
    /// A training point added, moved or removed.
    Points(PointEdit),
    /// A digit drawn on the pad (a 32x32 bitmap, row by row), for the network to read.
    Pad(Vec<bool>),
    /// Every parameter in a table, in an order, at most `limit` rows.
    Parameters { order: ParameterOrder, limit: usize },
}

impl Request {
    /// The request's kind, for the one-queued-per-kind rule: a number below [`KINDS`].
    fn kind(&self) -> usize {
        match self {
            Request::State { .. } => 0,
            Request::Apply(_) => 1,
            Request::Play => 2,
            Request::Pause => 3,
            Request::Step(_) => 4,
            Request::Reset => 5,
            Request::Upload { .. } => 6,
            Request::Graph(_) => 7,
            Request::Explain { .. } => 8,
            Request::Download(_) => 9,
            Request::Parameters { .. } => 10,
            Request::Points(_) => 11,
            Request::Pad(_) => 12,
        }
    }

    /// What the request is called in a message.
    fn name(&self) -> &'static str {
        match self {
            Request::State { .. } => "state",
            Request::Apply(_) => "settings",
            Request::Play => "play",
            Request::Pause => "pause",
            Request::Step(_) => "step",
            Request::Reset => "reset",
            Request::Upload { .. } => "upload",
            Request::Graph(_) => "graph",
            Request::Explain { .. } => "explain",
            Request::Download(_) => "download",
            Request::Parameters { .. } => "parameters",
            Request::Points(_) => "points",
            Request::Pad(_) => "pad",
        }
    }
}

/// How many kinds of request there are.
const KINDS: usize = 13;

/// The files a page can download.
#[derive(Clone, Copy, Debug)]
pub(super) enum Download {
    ModelJson,
    ModelSafetensors,
    MetricsCsv,
    DataCsv,
}

impl Download {
    /// The file's name and media type.
    pub(super) fn name_and_type(self) -> (&'static str, &'static str) {
        match self {
            Download::ModelJson => ("model.json", "application/json"),
            Download::ModelSafetensors => ("model.safetensors", "application/octet-stream"),
            Download::MetricsCsv => ("metrics.csv", "text/csv; charset=utf-8"),
            Download::DataCsv => ("data.csv", "text/csv; charset=utf-8"),
        }
    }
}

/// A session's answer.
pub(super) enum Answer {
    /// JSON for the page.
    Json(Value),
    /// A file's bytes.
    File(Download, Vec<u8>),
}

/// Why a request failed.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The request itself is wrong (400).
    Bad(String),
    /// No such session, or it was freed (404).
    Gone(String),
    /// Too many sessions, or the session did not answer in time (503).
    Busy(String),
    /// A request of the same kind is already waiting for this session (429).
    Waiting(String),
}

struct Command {
    request: Request,
    reply: oneshot::Sender<Result<Answer, Refusal>>,
}

/// Which kinds of request wait in a session's queue: at most one of each, so that a page (or a
/// client gone wild) cannot pile up work; the session clears a kind's flag when it takes that
/// request from the queue.
type Queued = Arc<[AtomicBool; KINDS]>;

struct Handle {
    commands: Sender<Command>,
    queued: Queued,
    thread: JoinHandle<()>,
}

/// Every live session, by id.
pub(super) struct Sessions {
    live: Mutex<HashMap<String, Handle>>,
    limit: usize,
    idle: Duration,
}

/// How long a request waits for its session before giving up (a step request is bounded by
/// `Session::step`'s own time limit, well below this).
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

impl Sessions {
    /// No sessions yet; at most `limit` at once, each freed `idle` after its last request.
    pub(super) fn new(limit: usize, idle: Duration) -> Sessions {
        Sessions {
            live: Mutex::new(HashMap::new()),
            limit,
            idle,
        }
    }

    /// Starts a session on `settings` on its own thread; returns its id and first state.
    pub(super) async fn create(&self, settings: Settings) -> Result<(String, Value), Refusal> {
        let (ready_sender, ready) = oneshot::channel();
        let (commands, inbox) = mpsc::channel();
        let id = {
            let mut live = self.live.lock().map_err(|_| poisoned())?;
            live.retain(|_, handle| !handle.thread.is_finished());
            if live.len() >= self.limit {
                return Err(Refusal::Busy(format!(
                    "{} sessions are open, the most this playground serves: close another tab, or wait (a session is freed {} seconds after its last use)",
                    self.limit,
                    self.idle.as_secs()
                )));
            }
            let id = format!("{:032x}", rand::rng().random::<u128>());
            let idle = self.idle;
            let queued: Queued = Arc::new(std::array::from_fn(|_| AtomicBool::new(false)));
            let taken = Arc::clone(&queued);
            let thread = std::thread::Builder::new()
                .name(format!("session {}", &id[..8]))
                .spawn(move || run(settings, ready_sender, &inbox, &taken, idle))
                .map_err(|e| Refusal::Busy(format!("cannot start a session: {e}")))?;
            live.insert(
                id.clone(),
                Handle {
                    commands,
                    queued,
                    thread,
                },
            );
            id
        };
        match ready.await {
            Ok(Ok(state)) => Ok((id, state)),
            Ok(Err(why)) => Err(Refusal::Bad(why)),
            Err(_) => Err(Refusal::Busy("the session stopped while starting".into())),
        }
    }

    /// Sends `request` to session `id` and awaits its answer. A request of a kind that is
    /// already waiting for the session is refused; a request whose client has gone (this future
    /// dropped) is skipped, or stopped early, by the session.
    pub(super) async fn ask(&self, id: &str, request: Request) -> Result<Answer, Refusal> {
        let (reply, answer) = oneshot::channel();
        {
            let live = self.live.lock().map_err(|_| poisoned())?;
            let handle = live.get(id).ok_or_else(|| gone(id))?;
            let kind = request.kind();
            if handle.queued[kind].swap(true, Ordering::AcqRel) {
                return Err(Refusal::Waiting(format!(
                    "a {} request for this session is already waiting: wait for its answer \
                     before sending another",
                    request.name()
                )));
            }
            if handle.commands.send(Command { request, reply }).is_err() {
                handle.queued[kind].store(false, Ordering::Release);
                return Err(gone(id));
            }
        }
        match tokio::time::timeout(ANSWER_WITHIN, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(gone(id)),
            Err(_) => Err(Refusal::Busy(
                "the session did not answer in time; try again".into(),
            )),
        }
    }
}

fn gone(id: &str) -> Refusal {
    let shown: String = id.chars().take(40).collect();
    Refusal::Gone(format!(
        "no session {shown:?}: it was freed after a while unused, or never existed; reload the page to start a new one"
    ))
}

fn poisoned() -> Refusal {
    Refusal::Busy("the session table is unusable after an internal error".into())
}

/// How long one round of play may train before looking at requests again.
const PLAY_SLICE: Duration = Duration::from_millis(20);

/// A session thread: builds the session, then answers requests and trains while playing until
/// the server drops its handle or `idle` passes without a request.
fn run(
    settings: Settings,
    ready: oneshot::Sender<Result<Value, String>>,
    inbox: &Receiver<Command>,
    queued: &Queued,
    idle: Duration,
) {
    let mut session = match Session::new(settings, None) {
        Ok(session) => session,
        Err(why) => {
            let _ = ready.send(Err(why.to_string()));
            return;
        }
    };
    if ready.send(Ok(state(&session, false, None, 0))).is_err() {
        return;
    }
    let mut playing = false;
    // while playing: when play (re)started and the steps taken since, to keep to the speed
    let mut pace = (Instant::now(), 0usize);
    let mut last_request = Instant::now();
    loop {
        if playing {
            let speed = session.settings().speed;
            let started = Instant::now();
            loop {
                let due = if speed == 0 {
                    usize::MAX
                } else {
                    (pace.0.elapsed().as_secs_f64() * speed as f64) as usize
                };
                if pace.1 >= due || started.elapsed() >= PLAY_SLICE {
                    break;
                }
                if session.step(1) == 0 {
                    playing = false; // diverged: the state says why
                    break;
                }
                pace.1 += 1;
            }
        }
        let wait = if playing {
            let speed = session.settings().speed.max(1) as f64;
            let next = Duration::from_secs_f64((pace.1 + 1) as f64 / speed);
            next.saturating_sub(pace.0.elapsed()).min(PLAY_SLICE)
        } else {
            idle.saturating_sub(last_request.elapsed())
        };
        let command = match inbox.recv_timeout(wait) {
            Ok(command) => command,
            Err(RecvTimeoutError::Timeout) => {
                if last_request.elapsed() >= idle {
                    return; // freed: nobody asked for this session for a while
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        last_request = Instant::now();
        queued[command.request.kind()].store(false, Ordering::Release);
        if command.reply.is_closed() {
            continue; // its client has gone: nobody would read the answer
        }
        let answer = match command.request {
            Request::State {
                since,
                data_version,
            } => Ok(Answer::Json(state(&session, playing, since, data_version))),
            Request::Apply(settings) => {
                let speed_before = session.settings().speed;
                match session.apply(*settings) {
                    Ok(started_over) => {
                        if started_over {
                            playing = false;
                        }
                        if session.settings().speed != speed_before {
                            pace = (Instant::now(), 0);
                        }
                        Ok(Answer::Json(state(&session, playing, None, 0)))
                    }
                    Err(why) => Err(Refusal::Bad(why.to_string())),
                }
            }
            Request::Play => {
                playing = session.diverged().is_none();
                pace = (Instant::now(), 0);
                Ok(Answer::Json(state(
                    &session,
                    playing,
                    None,
                    session.data_version(),
                )))
            }
            Request::Pause => {
                playing = false;
                Ok(Answer::Json(state(
                    &session,
                    playing,
                    None,
                    session.data_version(),
                )))
            }
            Request::Step(count) => {
                playing = false;
                // stops early when the client goes
                session.step_until(count, || command.reply.is_closed());
                Ok(Answer::Json(state(
                    &session,
                    playing,
                    None,
                    session.data_version(),
                )))
            }
            Request::Reset => {
                playing = false;
                session.reset();
                Ok(Answer::Json(state(
                    &session,
                    playing,
                    None,
                    session.data_version(),
                )))
            }
            Request::Upload {
                upload,
                task,
                label,
            } => match session.upload(upload, task, label) {
                Ok(()) => {
                    playing = false;
                    Ok(Answer::Json(state(&session, playing, None, 0)))
                }
                Err(why) => Err(Refusal::Bad(why.to_string())),
            },
            Request::Graph(point) => session
                .point_graph(point)
                .map(Answer::Json)
                .map_err(Refusal::Bad),
            Request::Explain {
                layer,
                neuron,
                input,
            } => session
                .explain(layer, neuron, input)
                .map(Answer::Json)
                .map_err(Refusal::Bad),
            Request::Points(edit) => match session.edit_points(edit) {
                Ok(()) => Ok(Answer::Json(state(&session, playing, None, 0))),
                Err(why) => Err(Refusal::Bad(why)),
            },
            Request::Pad(bitmap) => session.pad(&bitmap).map(Answer::Json).map_err(Refusal::Bad),
            Request::Parameters { order, limit } => {
                Ok(Answer::Json(session.parameters(order, limit)))
            }
            Request::Download(kind) => {
                let bytes = match kind {
                    Download::ModelJson => session.model_json().into_bytes(),
                    Download::ModelSafetensors => session.model_safetensors(),
                    Download::MetricsCsv => session.metrics_csv().into_bytes(),
                    Download::DataCsv => session.data_csv().into_bytes(),
                };
                Ok(Answer::File(kind, bytes))
            }
        };
        let _ = command.reply.send(answer);
    }
}

/// The session's state with whether it plays.
fn state(session: &Session, playing: bool, since: Option<usize>, data_version: u64) -> Value {
    let mut state = session.state(since, data_version);
    state["playing"] = json!(playing);
    state
}
