//! `scalargrad playground`: the server started on port 0 and driven through its HTTP API, as
//! the page drives it; every bad request gets its status and message, and the server goes on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{BINARY, text};

/// A playground server for one test, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(BINARY)
            .args(["playground", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("it prints its address");
        let address = line
            .trim()
            .strip_prefix("playground: http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, address }
    }

    /// Sends raw bytes, returns (status, body).
    fn raw(&self, request: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        // the server may answer (and close) before a too-large request is all sent
        let _ = stream.write_all(request);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let head_end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(response.len());
        let head = String::from_utf8_lossy(&response[..head_end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .get(head_end + 4..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        (status, if chunked { dechunk(&body) } else { body })
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            self.address,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.raw(&request)
    }

    fn json(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, bytes) = self.request(method, path, body.as_bytes());
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", text(&bytes)));
        (status, value)
    }

    /// A new session on `settings`; its id and first state.
    fn session(&self, settings: &str) -> (String, Value) {
        let (status, made) = self.json("POST", "/api/sessions", settings);
        assert_eq!(status, 200, "{made}");
        (
            made["id"].as_str().expect("an id").to_string(),
            made["state"].clone(),
        )
    }

    fn ok(&self, method: &str, path: &str, body: &str) -> Value {
        let (status, value) = self.json(method, path, body);
        let shown: String = value.to_string().chars().take(500).collect();
        assert_eq!(status, 200, "{method} {path}: {shown}");
        value
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(text(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
    out
}

fn step_of(state: &Value) -> u64 {
    state["step"].as_u64().expect("a step count")
}

#[test]
fn the_page_and_its_files_are_served_and_unknown_paths_are_404() {
    let server = Server::start(&[]);
    let (status, page) = server.request("GET", "/", b"");
    assert_eq!(status, 200);
    let page = text(&page);
    for needed in [
        "id=\"play\"",
        "id=\"step\"",
        "id=\"train-loss\"",
        "id=\"test-loss\"",
        "/page.js",
    ] {
        assert!(page.contains(needed), "the page lacks {needed}");
    }
    for (path, start) in [
        ("/page.js", "//"),
        ("/details.js", "'use strict'"),
        ("/pad.js", "'use strict'"),
        ("/page.css", "body"),
    ] {
        let (status, body) = server.request("GET", path, b"");
        assert_eq!(status, 200, "{path}");
        assert!(text(&body).starts_with(start), "{path}");
    }
    for path in [
        "/nope",
        "/api",
        "/api/sessions/x",
        "/../etc/passwd",
        "/api/sessions/x/y/z",
    ] {
        let (status, body) = server.json("GET", path, "");
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}");
    }
}

/// The lab over HTTP: its page, its presets, a run's JSON, and a parse error as a 400.
#[test]
fn the_lab_runs_programs_over_http() {
    let server = Server::start(&[]);
    let (status, page) = server.request("GET", "/lab", b"");
    assert_eq!(status, 200);
    for needed in [
        "id=\"program\"",
        "id=\"backward-step\"",
        "id=\"scrubber\"",
        "/lab.js",
    ] {
        assert!(text(&page).contains(needed), "the lab page lacks {needed}");
    }
    let (status, presets) = server.json("GET", "/api/lab/presets", "");
    assert_eq!(status, 200);
    let presets = presets.as_array().expect("a list");
    assert_eq!(presets.len(), scalargrad::lab::PRESETS.len());
    let neg = presets
        .iter()
        .find(|p| p["name"] == "neg")
        .expect("the neg cell");
    let body = serde_json::json!({ "program": neg["program"] }).to_string();
    let (status, ran) = server.json("POST", "/api/lab", &body);
    assert_eq!(status, 200, "{ran}");
    assert_eq!(ran["output"], "-20\n1 -5 -4\n");
    let grads: Vec<(String, f64)> = ran["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_string(),
                v["grad"].as_f64().expect("grad"),
            )
        })
        .collect();
    assert_eq!(
        grads,
        [("x".into(), -5.0), ("y".into(), -4.0), ("z".into(), 1.0)]
    );
    let edges = ran["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "edge")
        .count();
    assert_eq!(edges, 3); // z to x and to neg(y), neg(y) to y
    let (status, refused) =
        server.json("POST", "/api/lab", r#"{"program": "x = Node(5)\ny = x +"}"#);
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"],
        "line 2, column 8: expected an expression, found the end of the line"
    );
    let (status, refused) = server.json("POST", "/api/lab", r#"{"code": 1}"#);
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .expect("a message")
            .contains("expected {\"program\""),
        "{refused}"
    );
}

/// Points edited on the map (added, moved, removed, and what is refused), every parameter in a
/// table with the optimizer's state, and a point's backward pass as steps on its drawing.
#[test]
fn points_parameters_and_a_points_backward_steps() {
    let server = Server::start(&[]);
    let (id, first) = server.session(r#"{"optimizer": "adam", "lr": 0.01}"#);
    let train = |state: &Value| state["points"]["train"].as_array().expect("points").clone();
    assert_eq!(train(&first).len(), 250);

    // added, moved, removed: the points come back with a new version
    let added = server.ok(
        "POST",
        &format!("/api/sessions/{id}/points"),
        r#"{"add": [0.25, -0.5, 1]}"#,
    );
    let points = train(&added);
    assert_eq!(points.len(), 251);
    assert_eq!(points[250], json!([0.25, -0.5, 1.0]));
    let moved = server.ok(
        "POST",
        &format!("/api/sessions/{id}/points"),
        r#"{"move": 250, "to": [1.5, 0.75]}"#,
    );
    assert_eq!(train(&moved)[250], json!([1.5, 0.75, 1.0]));
    let removed = server.ok(
        "POST",
        &format!("/api/sessions/{id}/points"),
        r#"{"remove": 0}"#,
    );
    let points = train(&removed);
    assert_eq!(points.len(), 250);
    assert_eq!(points[249], json!([1.5, 0.75, 1.0]));
    assert!(removed["points"]["version"].as_u64() > first["points"]["version"].as_u64());
    // training goes on with the edited points, from the same weights
    let stepped = server.ok("POST", &format!("/api/sessions/{id}/step?count=3"), "");
    assert_eq!(step_of(&stepped), 3);
    let (status, csv) = server.request("GET", &format!("/api/sessions/{id}/data.csv"), b"");
    assert_eq!(status, 200);
    let csv = text(&csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "x1,x2,label");
    assert_eq!(lines.len(), 1 + 250 + 250);
    assert_eq!(lines[250], "1.5,0.75,+1");
    for (body, expected) in [
        (
            r#"{"add": [0, 0, 7]}"#,
            "class: the data's classes are 0 to 1",
        ),
        (
            r#"{"move": 9999, "to": [0, 0]}"#,
            "index: there are 250 training points",
        ),
        (
            r#"{"add": [1e300, 0, 0]}"#,
            "x: a point's coordinates are numbers within",
        ),
        (r#"{"remove": 1, "add": [0, 0, 0]}"#, "points: send"),
        (r#"{"wipe": true}"#, "points: send"),
    ] {
        let (status, refused) = server.json("POST", &format!("/api/sessions/{id}/points"), body);
        assert_eq!(status, 400, "{body}");
        assert!(
            refused["error"]
                .as_str()
                .expect("a message")
                .contains(expected),
            "{body}: {refused}"
        );
    }

    // every parameter: the network's order, then sorted by |gradient|, with Adam's state
    let table = server.ok(
        "GET",
        &format!("/api/sessions/{id}/parameters?sort=network&limit=1000"),
        "",
    );
    let rows = table["rows"].as_array().expect("rows");
    assert_eq!(table["optimizer"], "adam");
    assert_eq!(
        rows.len(),
        table["total"].as_u64().expect("a count") as usize
    );
    assert_eq!(
        (
            rows[0]["layer"].clone(),
            rows[0]["neuron"].clone(),
            rows[0]["input"].clone()
        ),
        (json!(0), json!(0), json!(0))
    );
    assert_eq!(rows[2]["input"], Value::Null); // two weights, then the bias
    for row in rows {
        let update = row["update"].as_f64().expect("an update after a step");
        assert!(
            row["m"].is_number() && row["sqrt_v"].as_f64().expect("sqrt v") >= 0.0,
            "{row}"
        );
        // Adam moves each parameter by at most about its learning rate
        assert!(update.abs() <= 0.0101, "{row}");
    }
    let sorted = server.ok(
        "GET",
        &format!("/api/sessions/{id}/parameters?sort=grad&limit=5"),
        "",
    );
    let grads: Vec<f64> = sorted["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["grad"].as_f64().expect("a gradient").abs())
        .collect();
    assert_eq!(grads.len(), 5);
    assert!(grads.windows(2).all(|w| w[0] >= w[1]), "{grads:?}");
    let largest = rows
        .iter()
        .map(|r| r["grad"].as_f64().expect("a gradient").abs())
        .fold(0.0, f64::max);
    assert_eq!(grads[0], largest);
    let (status, refused) = server.json(
        "GET",
        &format!("/api/sessions/{id}/parameters?sort=size"),
        "",
    );
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .expect("a message")
            .contains("use network, grad or update")
    );

    // a point's backward pass as steps: the loss first, each step's terms local x upstream
    let drawn = server.ok("GET", &format!("/api/sessions/{id}/graph?point=249"), "");
    let steps = drawn["backward"].as_array().expect("steps");
    let ids: Vec<&str> = drawn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("an id"))
        .collect();
    assert!(
        !steps.is_empty(),
        "a point that is not beyond the margin passes gradient back"
    );
    if let Some(first_step) = steps.first() {
        let loss_box = drawn["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["title"] == "loss")
            .expect("the loss box");
        assert_eq!(first_step["box"], loss_box["id"]);
    }
    for step in steps {
        assert!(
            ids.contains(&step["box"].as_str().expect("a box")),
            "{step}"
        );
        for term in step["terms"].as_array().expect("terms") {
            let (local, upstream, product) = (
                term["local"].as_f64(),
                term["upstream"].as_f64(),
                term["product"].as_f64(),
            );
            assert_eq!(product, local.zip(upstream).map(|(l, u)| l * u), "{term}");
            assert!(ids.contains(&term["to"].as_str().expect("a box")), "{term}");
        }
    }

    // a table of more than two columns: the map is a slice, its points cannot be edited
    let (table_id, _) =
        server.session(r#"{"dataset": "digits", "hidden": [4], "test_fraction": 0.9}"#);
    let (status, refused) = server.json(
        "POST",
        &format!("/api/sessions/{table_id}/points"),
        r#"{"remove": 0}"#,
    );
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .expect("a message")
            .contains("two input columns"),
        "{refused}"
    );
}

/// The drawing pad over HTTP: a stroke reduced to the counts `digits::reduce` gives, read as a
/// class with ten probabilities and a gradient per pixel; refused for other data and bitmaps.
#[test]
fn a_drawn_digit_is_reduced_and_read() {
    let server = Server::start(&[]);
    let (id, first) = server.session(r#"{"dataset": "digits", "hidden": [8], "optimizer": "adam", "lr": 0.01, "batch_size": 32}"#);
    assert_eq!(first["image"], json!([8, 8]));
    server.ok("POST", &format!("/api/sessions/{id}/step?count=20"), "");
    // a vertical stroke two pixels wide down the middle
    let mut bitmap = vec![false; 32 * 32];
    for row in 6..26 {
        bitmap[row * 32 + 15] = true;
        bitmap[row * 32 + 16] = true;
    }
    let written: String = bitmap
        .iter()
        .map(|&ink| if ink { '1' } else { '0' })
        .collect();
    let read = server.ok(
        "POST",
        &format!("/api/sessions/{id}/pad"),
        &json!({ "bitmap": written }).to_string(),
    );
    let expected = scalargrad::data::digits::reduce(&bitmap).expect("32 x 32");
    assert_eq!(read["counts"], json!(expected));
    let probabilities: Vec<f64> = read["probabilities"]
        .as_array()
        .expect("ten")
        .iter()
        .map(|p| p.as_f64().expect("a number"))
        .collect();
    assert_eq!(probabilities.len(), 10);
    assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let class = read["class"].as_u64().expect("a class") as usize;
    assert!(probabilities.iter().all(|&p| p <= probabilities[class]));
    assert_eq!(read["label"], json!(class.to_string()));
    assert_eq!(read["gradient"].as_array().map(Vec::len), Some(64));
    for (body, expected) in [
        (
            r#"{"bitmap": "0101"}"#,
            "a bitmap of 32 x 32 = 1024 pixels, not 4",
        ),
        (r#"{"bitmap": "abc"}"#, "pad: send"),
        (r#"{"strokes": []}"#, "pad: send"),
    ] {
        let (status, refused) = server.json("POST", &format!("/api/sessions/{id}/pad"), body);
        assert_eq!(status, 400, "{body}");
        assert!(
            refused["error"]
                .as_str()
                .expect("a message")
                .contains(expected),
            "{body}: {refused}"
        );
    }
    let (moons, _) = server.session("{}");
    let (status, refused) = server.json(
        "POST",
        &format!("/api/sessions/{moons}/pad"),
        &json!({ "bitmap": "0".repeat(1024) }).to_string(),
    );
    assert_eq!(status, 400);
    assert!(
        refused["error"]
            .as_str()
            .expect("a message")
            .contains("choose the digits"),
        "{refused}"
    );
}

#[test]
fn a_session_steps_plays_pauses_and_resets() {
    let server = Server::start(&[]);
    let (id, first) = server.session("{}");
    assert_eq!(step_of(&first), 0);
    assert_eq!(first["playing"], json!(false));
    assert_eq!(first["points"]["train"].as_array().map(Vec::len), Some(250));
    let start_loss = first["train_loss"].as_f64().expect("a loss");

    let stepped = server.ok("POST", &format!("/api/sessions/{id}/step?count=5"), "");
    assert_eq!(step_of(&stepped), 5);
    assert!(
        stepped.get("points").is_none(),
        "the page has the points already"
    );
    let read = server.ok("GET", &format!("/api/sessions/{id}/state?data=1"), "");
    assert_eq!(step_of(&read), 5);

    server.ok("POST", &format!("/api/sessions/{id}/play"), "");
    std::thread::sleep(Duration::from_millis(600));
    let playing = server.ok(
        "GET",
        &format!("/api/sessions/{id}/state?since=5&data=1"),
        "",
    );
    assert_eq!(playing["playing"], json!(true));
    assert!(
        step_of(&playing) > 20,
        "100 steps/s for 0.6 s: {}",
        step_of(&playing)
    );
    assert!(
        playing["curve"]
            .as_array()
            .is_some_and(|c| c.iter().all(|p| p[0].as_u64() > Some(5)))
    );
    let paused = server.ok("POST", &format!("/api/sessions/{id}/pause"), "");
    std::thread::sleep(Duration::from_millis(300));
    let later = server.ok("GET", &format!("/api/sessions/{id}/state"), "");
    assert_eq!(step_of(&later), step_of(&paused), "Pause holds");
    assert!(later["train_loss"].as_f64().expect("a loss") < start_loss);

    // the learning rate changes without starting over; the network's shape starts over
    let settings = json!({"lr": 0.03}).to_string();
    let live = server.ok("POST", &format!("/api/sessions/{id}/settings"), &settings);
    assert_eq!(step_of(&live), step_of(&paused));
    let reshaped = server.ok(
        "POST",
        &format!("/api/sessions/{id}/settings"),
        &json!({"lr": 0.03, "hidden": [3]}).to_string(),
    );
    assert_eq!(step_of(&reshaped), 0);
    assert_eq!(
        reshaped["network"]["layers"].as_array().map(Vec::len),
        Some(2)
    );

    let reset = server.ok("POST", &format!("/api/sessions/{id}/reset"), "");
    assert_eq!(step_of(&reset), 0);
}

#[test]
fn two_sessions_train_their_own_models() {
    let server = Server::start(&[]);
    let (a, _) = server.session("{}");
    let (b, _) = server
        .session(&json!({"dataset": "spiral", "classes": 3, "loss": "cross-entropy"}).to_string());
    assert_ne!(a, b);
    server.ok("POST", &format!("/api/sessions/{a}/step?count=7"), "");
    let state_b = server.ok("GET", &format!("/api/sessions/{b}/state"), "");
    assert_eq!(step_of(&state_b), 0);
    assert_eq!(state_b["confusion"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        state_b["view"]["map"][0].as_array().map(Vec::len),
        Some(2),
        "class and confidence"
    );
}

#[test]
fn graphs_explanations_and_downloads() {
    let server = Server::start(&[]);
    let (id, _) = server.session("{}");
    let (status, early) = server.json(
        "GET",
        &format!("/api/sessions/{id}/explain?layer=0&neuron=0&input=0"),
        "",
    );
    assert_eq!(status, 400, "{early}");
    let state = server.ok("POST", &format!("/api/sessions/{id}/step?count=2"), "");
    let drawn = server.ok("GET", &format!("/api/sessions/{id}/graph?point=3"), "");
    let nodes = drawn["nodes"].as_array().expect("nodes");
    assert!(
        nodes
            .iter()
            .any(|n| n["title"] == "loss" && n["grad"] == json!(1.0))
    );

    let why = server.ok(
        "GET",
        &format!("/api/sessions/{id}/explain?layer=1&neuron=0&input=bias"),
        "",
    );
    let grad = state["network"]["layers"][1][0]["grads"][4]
        .as_f64()
        .expect("bias grad");
    assert_eq!(why["grad"].as_f64(), Some(grad));
    let sum: f64 = why["terms"]
        .as_array()
        .expect("terms")
        .iter()
        .map(|t| t["product"].as_f64().expect("a number"))
        .sum();
    assert!(
        (sum - grad).abs() <= 1e-12 * grad.abs().max(1.0),
        "{sum} vs {grad}"
    );

    let (status, model) = server.request("GET", &format!("/api/sessions/{id}/model.json"), b"");
    assert_eq!(status, 200);
    let model: Value = serde_json::from_slice(&model).expect("model.json is JSON");
    assert_eq!(model["widths"], json!([4, 2, 1]));
    assert_eq!(model["steps_done"], json!(2));
    let (status, csv) = server.request("GET", &format!("/api/sessions/{id}/metrics.csv"), b"");
    assert_eq!(status, 200);
    let csv = text(&csv);
    assert!(csv.starts_with("step,epoch,loss,accuracy"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "a header and two steps");
    let (status, tensors) =
        server.request("GET", &format!("/api/sessions/{id}/model.safetensors"), b"");
    assert_eq!(status, 200);
    let header = u64::from_le_bytes(tensors[..8].try_into().expect("8 bytes")) as usize;
    let header: Value = serde_json::from_slice(&tensors[8..8 + header]).expect("a JSON header");
    assert_eq!(header["0.weight"]["shape"], json!([4, 2]));
}

#[test]
fn an_uploaded_csv_is_trained_on_and_a_bad_one_names_its_line() {
    let server = Server::start(&[]);
    let (id, _) = server.session("{}");
    let path = format!("/api/sessions/{id}/upload?task=classification");
    let (status, bad) = server.json("POST", &path, "x1,x2,label\n0,0,a\n1,two,b\n");
    assert_eq!(status, 400);
    assert!(
        bad["error"].as_str().is_some_and(|e| e.contains("line 3")),
        "{bad}"
    );
    let mut rows = String::from("x1,x2,label\n");
    for i in 0..60 {
        rows.push_str(&format!(
            "{},{},{}\n",
            i as f64 / 10.0,
            i % 5,
            ["cat", "dog", "eel"][i % 3]
        ));
    }
    let uploaded = server.ok("POST", &format!("{path}&name=animals.csv"), &rows);
    assert_eq!(uploaded["settings"]["data"], json!("animals.csv"));
    assert_eq!(
        uploaded["points"]["class_names"],
        json!(["cat", "dog", "eel"])
    );
    let stepped = server.ok("POST", &format!("/api/sessions/{id}/step?count=3"), "");
    assert_eq!(step_of(&stepped), 3);
    let regression = server.ok(
        "POST",
        &format!("/api/sessions/{id}/upload?task=regression"),
        "0,0,0.5\n1,1,-0.5\n2,0,1.5\n0,2,0\n",
    );
    assert_eq!(regression["task"], json!("regression"));
}

#[test]
fn every_bad_request_gets_a_400_and_the_server_keeps_serving() {
    let server = Server::start(&[]);
    let (id, _) = server.session("{}");
    let session = |action: &str| format!("/api/sessions/{id}/{action}");
    // settings that POST /api/sessions must refuse with a 400 and a message
    let bad_settings = [
        "{not json",
        r#"{"colour": "red"}"#,
        r#"{"hidden": [4,4,4,4,4,4,4,4,4]}"#,
        r#"{"hidden": [33]}"#,
        r#"{"hidden": [-1]}"#,
        r#"{"samples": 1000000}"#,
        r#"{"lr": -1}"#,
        r#"{"lr": 1e999}"#,
        r#"{"dataset": "../../etc/passwd"}"#,
        r#"{"dataset": "plane", "loss": "hinge"}"#,
        r#"{"dataset": "upload"}"#,
        r#"{"data": "never-sent.csv"}"#,
        r#"{"features": ""}"#,
        r#"{"features": "x3"}"#,
        r#"{"steps": 5}"#,
        r#"{"seed": -4}"#,
    ];
    let mut cases: Vec<(&str, String, String, u16)> = bad_settings
        .iter()
        .map(|body| ("POST", "/api/sessions".to_string(), body.to_string(), 400))
        .collect();
    cases.extend([
        ("POST", session("step?count=0"), String::new(), 400),
        ("POST", session("step?count=1001"), String::new(), 400),
        ("POST", session("step?count=abc"), String::new(), 400),
        (
            "POST",
            session("step?count=99999999999999999999999"),
            String::new(),
            400,
        ),
        (
            "POST",
            session("settings"),
            r#"{"batch_size": 0}"#.into(),
            400,
        ),
        ("POST", session("upload?task=poetry"), "0,0,a\n".into(), 400),
        ("POST", session("upload"), "only,two\n".into(), 400),
        ("GET", session("graph?point=100000"), String::new(), 400),
        ("GET", session("graph"), String::new(), 400),
        (
            "GET",
            session("explain?layer=9&neuron=0&input=0"),
            String::new(),
            400,
        ),
        (
            "GET",
            session("explain?layer=0&neuron=0&input=-1"),
            String::new(),
            400,
        ),
        ("GET", session("state?since=x"), String::new(), 400),
        ("GET", session("frobnicate"), String::new(), 404),
        (
            "GET",
            "/api/sessions/0123456789abcdef/state".into(),
            String::new(),
            404,
        ),
    ]);
    for (method, path, body, expected) in &cases {
        let (status, answer) = server.json(method, path, body);
        assert_eq!(status, *expected, "{method} {path} {body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(
            message.len() > 10,
            "{method} {path}: a message, not {answer}"
        );
    }
    // bodies and headers beyond the limits are refused, not read without end
    let (status, _) = server.request("POST", &session("upload"), &vec![b'1'; 3 << 20]);
    assert_eq!(status, 413);
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(2 << 20)
    );
    let (status, _) = server.raw(huge_header.as_bytes());
    assert_ne!(status, 200, "a 2 MB header is refused");
    let (status, _) = server.raw(b"NONSENSE\r\n\r\n");
    assert_ne!(status, 200);
    // and it still serves, the session as it was
    let state = server.ok("GET", &session("state"), "");
    assert_eq!(step_of(&state), 0);
}

/// Settings and uploads of a megabyte come back in the error as at most 100 characters of
/// what was sent.
#[test]
fn refusals_repeat_at_most_100_characters_of_the_request() {
    let server = Server::start(&[]);
    let (id, _) = server.session("{}");
    let long = "z".repeat(1_000_000);
    let table_with = |field: &str| format!("a,b,label\n1,{field},0\n2,3,1\n");
    let cases: Vec<(String, String)> = vec![
        (
            "/api/sessions".into(),
            json!({ long.clone(): 1 }).to_string(),
        ),
        (
            "/api/sessions".into(),
            json!({ "dataset": long }).to_string(),
        ),
        (
            "/api/sessions".into(),
            json!({ "hidden": long }).to_string(),
        ),
        (
            "/api/sessions".into(),
            json!({ "features": long }).to_string(),
        ),
        (
            format!("/api/sessions/{id}/upload?name=a.csv"),
            table_with(&long),
        ),
        (
            format!("/api/sessions/{id}/upload?name=a.csv"),
            format!("a,b,label\n1,2,{long}\n2,3,1\n"),
        ),
    ];
    for (path, body) in &cases {
        let (status, answer) = server.json("POST", path, body);
        let message = answer["error"].as_str().unwrap_or_default();
        let shown: String = message.chars().take(200).collect();
        assert_eq!(status, 400, "{path}: {shown}");
        assert!(
            message.len() < 1000 && !message.contains(&"z".repeat(101)),
            "{path}: {} bytes: {shown}",
            message.len()
        );
    }
}

#[test]
fn sessions_beyond_the_limit_are_told_to_wait_and_idle_ones_are_freed() {
    let server = Server::start(&["--max-sessions", "2", "--idle-seconds", "1"]);
    let (first, _) = server.session("{}");
    server.session("{}");
    let (status, refused) = server.json("POST", "/api/sessions", "{}");
    assert_eq!(status, 503);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("2 sessions")),
        "{refused}"
    );
    std::thread::sleep(Duration::from_millis(2500));
    let (status, gone) = server.json("GET", &format!("/api/sessions/{first}/state"), "");
    assert_eq!(status, 404, "{gone}");
    assert!(
        gone["error"].as_str().is_some_and(|e| e.contains("reload")),
        "{gone}"
    );
    server.session("{}"); // room again
}

#[test]
fn a_port_in_use_is_named_and_ctrl_c_stops_the_server() {
    let mut server = Server::start(&[]);
    let port = server
        .address
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();
    let second = Command::new(BINARY)
        .args(["playground", "--port", &port])
        .output()
        .expect("runs");
    assert_eq!(second.status.code(), Some(1));
    let message = text(&second.stderr);
    assert!(
        message.contains(&format!("port {port} is in use")) && message.contains("--port 0"),
        "{message}"
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let asked = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("waits") {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "still running 1 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn another_host_than_loopback_is_warned_about() {
    let mut server = Server::start(&["--host", "0.0.0.0"]);
    let port = server
        .address
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();
    let (status, _) = {
        let local = Server {
            child: Command::new("true").spawn().expect("true runs"),
            address: format!("127.0.0.1:{port}"),
        };
        local.request("GET", "/", b"")
    };
    assert_eq!(status, 200);
    let _ = server.child.kill();
    let mut warning = String::new();
    server
        .child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut warning)
        .expect("reads");
    assert!(
        warning.contains("others on the network can reach"),
        "{warning}"
    );
}

/// The resident memory of process `pid`, in bytes (Linux: /proc).
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is there");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    let kilobytes: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|k| k.parse().ok())
        .expect("a number of kB");
    kilobytes * 1024
}

/// What the server may hold after the abuse below: the largest session's graph (about 60 MB),
/// a body of up to the upload limit on each connection, and the program itself.
const RESIDENT_BOUND: u64 = 256 << 20;

#[test]
fn abused_it_refuses_what_it_must_and_stays_quick_and_small() {
    use scalargrad::playground::{MAX_CONNECTIONS, MAX_LAYERS, MAX_POINTS, MAX_WIDTH};
    use scalargrad::playground::{REQUEST_WITHIN, cost::MAX_TERMS};

    let server = Server::start(&[]);
    let host = server.address.clone();
    // the slow parts (a body stalled past the time for a request; the largest session's step and
    // explanation) run beside the rest
    std::thread::scope(|scope| {
        let stalled = scope.spawn(|| stalled_body(&host, REQUEST_WITHIN));
        let largest = scope.spawn(|| {
            // the largest session the playground allows: every layer as wide as allowed, every
            // point in one batch; one step, then a parameter of the first layer explained
            let largest = json!({
                "hidden": vec![MAX_WIDTH; MAX_LAYERS],
                "samples": MAX_POINTS,
                "batch_size": MAX_POINTS,
                "test_fraction": 0,
            });
            let (id, _) = server.session(&largest.to_string());
            server.ok("POST", &format!("/api/sessions/{id}/step?count=1"), "");
            let why = server.ok(
                "GET",
                &format!("/api/sessions/{id}/explain?layer=0&neuron=0&input=0"),
                "",
            );
            let terms = why["terms"].as_array().expect("terms");
            let more = why["more_terms"].as_u64().expect("a count");
            assert_eq!(
                terms.len(),
                MAX_TERMS,
                "the answer lists at most {MAX_TERMS}"
            );
            assert!(more > 0, "the batch's other uses are counted: {more}");
            let listed: f64 = terms
                .iter()
                .map(|t| t["product"].as_f64().expect("a product"))
                .sum();
            let total = listed + why["more_sum"].as_f64().expect("a sum");
            let grad = why["grad"].as_f64().expect("a gradient");
            assert!(
                (total - grad).abs() <= 1e-9 * grad.abs().max(1.0),
                "the terms sum to the gradient: {total} vs {grad}"
            );
        });

        // another site's page, and a DNS-rebinding page naming its own domain
        let foreign = [
            format!(
                "POST /api/sessions HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{{}}"
            ),
            "POST /api/sessions HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 2\r\n\r\n{}"
                .to_string(),
        ];
        for request in &foreign {
            let (status, body) = server.raw(request.as_bytes());
            assert_eq!(status, 403, "{request}: {}", text(&body));
        }

        // a step past the work budget is refused before any work, naming the largest batch
        // that fits: a table of 10,000 rows and 8 columns, in one batch, through the widest
        // network
        let (id, _) = server.session("{}");
        let session = |action: &str| format!("/api/sessions/{id}/{action}");
        let table: String = std::iter::once("a,b,c,d,e,f,g,h,label\n".to_string())
            .chain((0..10_000).map(|i| format!("{},1,0,1,0,1,0,{},{}\n", i % 7, i % 3, i % 2)))
            .collect();
        server.ok("POST", &session("upload?name=wide.csv"), &table);
        let too_much = json!({"data": "wide.csv", "standardize": true, "test_fraction": 0, "hidden": vec![MAX_WIDTH; MAX_LAYERS], "batch_size": 10_000});
        let (status, refused) = server.json("POST", &session("settings"), &too_much.to_string());
        let message = refused["error"].as_str().unwrap_or_default().to_string();
        assert_eq!(status, 400, "{message}");
        assert!(
            message.contains("batch_size") && message.contains("a batch size of at most"),
            "{message}"
        );

        // step requests piled up and abandoned: one runs (up to a second), one waits, the rest
        // are told to wait; their clients go, and the session drops their work
        let mut piled = Vec::new();
        for _ in 0..6 {
            let mut stream = TcpStream::connect(&host).expect("connects");
            let request = format!(
                "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n",
                session("step?count=1000")
            );
            stream.write_all(request.as_bytes()).expect("writes");
            piled.push(stream);
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut refused = 0;
        for stream in &mut piled {
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .expect("timeout");
            let mut answer = vec![0; 64];
            if let Ok(read) = stream.read(&mut answer)
                && text(&answer[..read]).starts_with("HTTP/1.1 429")
            {
                refused += 1;
            }
        }
        assert!(refused >= 4, "{refused} of 6 told to wait");
        drop(piled);
        let asked = Instant::now();
        server.ok("GET", &session("state"), "");
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "answered in {:?} after the abandoned steps",
            asked.elapsed()
        );

        largest.join().expect("the largest session's checks pass");
        // connections past the cap are answered 503 at once, not queued behind the others
        let held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(&host).expect("connects"))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let (status, body) = server.request("GET", "/api/vocabulary", b"");
        assert_eq!(status, 503, "{}", text(&body));
        drop(held);

        let stalled = stalled.join().expect("the stalled client ends");
        assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled:?}");
        // after all that: a normal request is answered quickly, and the memory stays bounded
        std::thread::sleep(Duration::from_millis(200));
        let asked = Instant::now();
        let state = server.ok("GET", &session("state"), "");
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "answered in {:?}",
            asked.elapsed()
        );
        assert!(step_of(&state) >= 1);
        let resident = resident_bytes(server.child.id());
        assert!(resident < RESIDENT_BOUND, "{} MB resident", resident >> 20);
    });
}

/// A request whose body is announced as 100 bytes and sent a byte a second, for `within` and 5
/// seconds more; what the server answered.
fn stalled_body(host: &str, within: Duration) -> String {
    let mut stream = TcpStream::connect(host).expect("connects");
    let head =
        format!("POST /api/sessions HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("writes");
    let started = Instant::now();
    while started.elapsed() < within + Duration::from_secs(5) {
        if stream.write_all(b" ").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = vec![0; 64];
    let read = stream.read(&mut answer).unwrap_or(0);
    text(&answer[..read])
}
