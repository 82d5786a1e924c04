// The playground page: controls -> settings (kept in the URL) -> the server's session, which
// trains on scalargrad's engine; the page draws the state it sends back.
'use strict';

const FEATURES = ['x1', 'x2', 'x1^2', 'x2^2', 'x1x2', 'sin(x1)', 'sin(x2)'];
const CLASS_RANGE = { moons: [2, 2], circles: [2, 2], xor: [2, 2], spiral: [2, 10], blobs: [2, 10], yinyang: [3, 3] };
const MAX_LAYERS = 8, MAX_WIDTH = 32;
// Paul Tol's bright palette (as the program's pictures use), then more for 10 classes
const PALETTE = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#000000', '#ee7733', '#009988'];
const NEGATIVE = [245, 147, 34], POSITIVE = [8, 119, 189], NEUTRAL = [255, 255, 255];

const DEFAULTS = {
  dataset: 'moons', classes: 0, noise: 0.1, points: 500, test_fraction: 0.5,
  features: ['x1', 'x2'], hidden: [4, 2], activation: 'tanh', loss: null, optimizer: 'sgd',
  lr: 0.1, regularization: 'none', regularization_rate: 0.001, batch_size: 10, seed: 1, speed: 100,
};

let settings = readUrl();
let session = null;       // the server's id for this tab's session
let state = null;         // the latest state
let points = null;        // {version, train, test, class_names}
let curve = [];           // [step, train loss, test loss, train score, test score]
let playing = false;
let polling = false;
let structureKey = '';    // the network's shape last drawn
// states can arrive out of order (a poll sent before Pause may answer after it): each request
// is numbered, and a state older than the one shown is dropped
let issued = 0, shown = 0;

const $ = (id) => document.getElementById(id);

// ---- settings <-> URL ------------------------------------------------------------------

function readUrl() {
  const query = new URLSearchParams(location.search);
  const s = JSON.parse(JSON.stringify(DEFAULTS));
  for (const [key, value] of query) {
    if (!(key in DEFAULTS)) continue;
    if (key === 'features') s.features = value ? value.split(',').filter((f) => FEATURES.includes(f)) : [];
    else if (key === 'hidden') s.hidden = value ? value.split(',').map(Number) : [];
    else if (key === 'loss') s.loss = value || null;
    else if (typeof DEFAULTS[key] === 'number') s[key] = Number(value);
    else s[key] = value;
  }
  if (s.dataset === 'upload') s.dataset = DEFAULTS.dataset; // the file is not in the URL
  return s;
}

function writeUrl() {
  const query = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = settings[key];
    query.set(key, Array.isArray(value) ? value.join(',') : value === null ? '' : String(value));
  }
  history.replaceState(null, '', '?' + query.toString());
}

// ---- talking to the server --------------------------------------------------------------

// a state-bearing request: shown only if nothing newer has been
async function fetchState(method, path, body) {
  const number = ++issued;
  const next = await call(method, path, body);
  if (number < shown) return;
  shown = number;
  show(next.state || next);
  return next;
}

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = typeof body === 'string' ? body : JSON.stringify(body);
    options.headers['Content-Type'] = typeof body === 'string' ? 'text/csv' : 'application/json';
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: 'the server sent no JSON (status ' + response.status + ')' }));
  if (!response.ok) {
    const error = new Error(data.error || 'status ' + response.status);
    error.status = response.status;
    throw error;
  }
  return data;
}

async function start() {
  try {
    points = null;
    curve = [];
    const made = await call('POST', '/api/sessions', settings);
    session = made.id;
    shown = ++issued;
    show(made.state);
    banner('');
  } catch (error) {
    banner(error.message);
  }
}

// send an action; a freed session is started again with the same settings
async function act(action, query = '', body) {
  if (!session) return start();
  try {
    await fetchState('POST', `/api/sessions/${session}/${action}${query}`, body);
    return true;
  } catch (error) {
    if (error.status === 404) { banner('This tab\'s session was freed after a while unused: starting a new one.'); await start(); }
    else banner(error.message);
    return false;
  }
}

async function poll() {
  if (polling || !session) return;
  polling = true;
  const since = curve.length ? curve[curve.length - 1][0] : -1;
  const query = (since >= 0 ? `since=${since}&` : '') + `data=${points ? points.version : 0}`;
  try {
    await fetchState('GET', `/api/sessions/${session}/state?${query}`);
  } catch (error) {
    if (error.status === 404) { playing = false; banner('This tab\'s session was freed: press Play or Reset to start a new one.'); session = null; }
    else banner(error.message);
  }
  polling = false;
}

function loop() {
  if (playing) poll();
  setTimeout(loop, 66); // about 15 redraws a second while playing
}

async function changed(startsOver) {
  writeUrl();
  syncControls();
  if (!session) return start();
  if (startsOver) { curve = []; }
  await act('settings', '', settings);
}

// ---- state -> page ----------------------------------------------------------------------

let redraws = 0; // states drawn, for the browser test's report of the pace

function show(next) {
  state = next;
  redraws += 1;
  if (next.points) points = next.points;
  if (next.curve.length && curve.length && next.curve[0][0] <= curve[curve.length - 1][0]) curve = [];
  curve.push(...next.curve);
  if (next.step === 0 && next.curve.length) curve = next.curve.slice();
  playing = next.playing;
  $('play').textContent = playing ? 'Pause' : 'Play';
  $('step').textContent = String(next.step);
  $('train-loss').textContent = format(next.train_loss);
  $('test-loss').textContent = format(next.test_loss);
  const regression = next.task === 'regression';
  $('score-name').textContent = regression ? 'RMSE' : 'Accuracy';
  $('train-score').textContent = regression ? format(next.train_score) : percent(next.train_score);
  $('test-score').textContent = regression ? format(next.test_score) : percent(next.test_score);
  if (next.diverged) {
    const d = next.diverged;
    banner(`Training stopped at step ${d.step}: the loss became NaN or infinite.\n` +
      (d.anomaly ? `First non-finite number: ${d.anomaly}\n` : '') + `Suggestion: ${d.suggestion}.`);
  }
  for (const [id, file] of [['dl-json', 'model.json'], ['dl-safetensors', 'model.safetensors'], ['dl-metrics', 'metrics.csv']]) {
    $(id).href = `/api/sessions/${session}/${file}`;
  }
  drawNetwork();
  drawMap();
  drawCurve();
  drawConfusion();
}

function format(x) {
  if (x === null || x === undefined) return '-';
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
}

function percent(x) { return x === null ? '-' : (100 * x).toFixed(1) + '%'; }

function banner(text) {
  $('banner').hidden = !text;
  $('banner').textContent = text;
}

// ---- colours ----------------------------------------------------------------------------

function mix(a, b, t) { return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)); }

// a signed number in [-1, 1]: orange for negative, white at 0, blue for positive
function diverging(t) {
  const c = Math.max(-1, Math.min(1, t));
  return c < 0 ? mix(NEUTRAL, NEGATIVE, -c) : mix(NEUTRAL, POSITIVE, c);
}

function hexRgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }

function classColor(k, classes) {
  if (classes === 2) return k === 1 ? POSITIVE : NEGATIVE;
  return hexRgb(PALETTE[k % PALETTE.length]);
}

function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }

// the largest |target|, to scale regression colours
function targetScale() {
  if (!points) return 1;
  let m = 0;
  for (const p of points.train) m = Math.max(m, Math.abs(p[2] || 0));
  return m || 1;
}

// ---- the decision map -------------------------------------------------------------------

const mapCells = document.createElement('canvas');

function drawMap() {
  const view = state.view, n = view.map_size;
  mapCells.width = n; mapCells.height = n;
  const small = mapCells.getContext('2d');
  const image = small.createImageData(n, n);
  const regression = state.task === 'regression', scale = targetScale();
  view.map.forEach((cell, i) => {
    let c;
    if (Array.isArray(cell)) c = mix(NEUTRAL, classColor(cell[0], view.classes), 0.25 + 0.6 * (cell[1] / 100));
    else if (cell === null) c = [120, 120, 120];
    else if (regression) c = diverging(cell / scale);
    else c = diverging(Math.tanh(cell) * 0.8);
    image.data.set([c[0], c[1], c[2], 255], 4 * i);
  });
  small.putImageData(image, 0, 0);
  const canvas = $('map'), g = canvas.getContext('2d');
  g.imageSmoothingEnabled = true;
  g.drawImage(mapCells, 0, 0, canvas.width, canvas.height);
  if (!points) return;
  const draw = (rows, test) => {
    for (const [x, y, label] of rows) {
      const [px, py] = toPixel(x, y);
      g.beginPath();
      g.arc(px, py, 3.2, 0, 2 * Math.PI);
      g.fillStyle = rgb(regression ? diverging(label / scale) : classColor(label, view.classes));
      g.fill();
      g.lineWidth = test ? 1.6 : 0.8;
      g.strokeStyle = test ? '#000' : '#fff';
      g.stroke();
    }
  };
  draw(points.train, false);
  if ($('show-test').checked) draw(points.test, true);
}

function toPixel(x, y) {
  const [x0, x1, y0, y1] = state.view.extent, canvas = $('map');
  return [(x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height];
}

// ---- the loss curves ---------------------------------------------------------------------

function drawCurve() {
  const canvas = $('curve'), g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (curve.length < 1) return;
  let top = 0;
  for (const row of curve) for (const v of [row[1], row[2]]) if (v !== null && isFinite(v)) top = Math.max(top, v);
  top = top || 1;
  const last = Math.max(1, curve[curve.length - 1][0]);
  const line = (column, color) => {
    g.beginPath();
    let started = false;
    for (const row of curve) {
      if (row[column] === null) continue;
      const x = row[0] / last * (canvas.width - 2) + 1, y = canvas.height - 2 - row[column] / top * (canvas.height - 14);
      if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
    }
    g.strokeStyle = color; g.lineWidth = 1.5; g.stroke();
  };
  line(2, '#0877bd');
  line(1, '#333');
  g.fillStyle = '#555'; g.font = '11px sans-serif';
  g.fillText(`train (black), test (blue); top ${format(top)}`, 4, 10);
}

// ---- the confusion matrix ----------------------------------------------------------------

function drawConfusion() {
  const box = $('confusion');
  if (state.task === 'regression' || !points) { box.innerHTML = ''; return; }
  const names = points.class_names;
  let html = `<table><caption>Confusion (${state.confusion_of} set): rows true, columns predicted</caption><tr><th></th>`;
  html += names.map((n) => `<th>${escapeHtml(n)}</th>`).join('') + '</tr>';
  state.confusion.forEach((row, i) => {
    html += `<tr><th>${escapeHtml(names[i])}</th>` + row.map((v, j) => `<td style="background:${i === j && v ? '#e3f0fa' : v ? '#fdeee0' : '#fff'}">${v}</td>`).join('') + '</tr>';
  });
  box.innerHTML = html + '</table>';
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// ---- the network diagram ----------------------------------------------------------------

let layout = null; // {tile, columns: [{x, ys}], links: [[path element, layer, neuron, input]]}

function drawNetwork() {
  const net = state.network;
  const widths = [net.features.length, ...net.layers.map((l) => l.length)];
  const key = JSON.stringify([net.features, widths, settings.features]);
  if (key !== structureKey) { buildNetwork(net, widths); structureKey = key; }
  // tiles
  const tiles = state.view.tiles, size = state.view.tile_size;
  tiles.forEach((layer, l) => layer.forEach((tile, k) => {
    const canvas = layout.canvases[l][k];
    if (!canvas) return;
    const g = canvas.getContext('2d');
    const image = g.createImageData(size, size);
    tile.cells.forEach((v, i) => {
      const c = diverging(v / 100);
      image.data.set([c[0], c[1], c[2], 255], 4 * i);
    });
    g.putImageData(image, 0, 0);
    canvas.title = l === 0 ? `input ${net.features[k]}` : `layer ${l - 1}, neuron ${k}: largest |output| ${format(tile.scale)}`;
  }));
  // links and biases, by weight
  let largest = 0;
  for (const layer of net.layers) for (const n of layer) for (const w of n.weights) largest = Math.max(largest, Math.abs(w || 0));
  for (const [path, l, k, j] of layout.links) {
    const neuron = net.layers[l][k], w = neuron.weights[j] || 0;
    path.setAttribute('stroke', rgb(w < 0 ? NEGATIVE : POSITIVE));
    path.setAttribute('stroke-width', String(0.5 + 4.5 * Math.abs(w) / (largest || 1)));
    path.lastChild.textContent = `weight ${format(w)}, gradient ${format(neuron.grads[j])} (click to explain)`;
  }
  for (const [box, l, k] of layout.biases) {
    const neuron = net.layers[l][k], b = neuron.bias || 0;
    box.style.background = rgb(diverging(b / (largest || 1)));
    box.title = `bias ${format(b)}, gradient ${format(neuron.grads[neuron.grads.length - 1])} (click to explain)`;
  }
}

function buildNetwork(net, widths) {
  const box = $('network');
  box.innerHTML = '';
  const columns = widths.length;
  const tallest = Math.max(...widths, FEATURES.length);
  const tile = Math.max(14, Math.min(40, Math.floor(560 / tallest) - 6));
  const gap = Math.max(4, Math.min(12, tile / 3));
  const width = Math.max(380, box.clientWidth || 520);
  const step = (width - tile - 70) / Math.max(1, columns - 1);
  const height = tallest * (tile + gap) + 30;
  box.style.height = height + 'px';
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', String(width)); svg.setAttribute('height', String(height));
  box.appendChild(svg);
  const xs = widths.map((_, c) => 60 + c * step);
  const ys = widths.map((n) => Array.from({ length: n }, (_, k) => 24 + k * (tile + gap) + (tallest - n) * (tile + gap) / 2));
  // the input column lists every feature; the chosen ones carry tiles
  const chosen = net.features;
  FEATURES.forEach((f, i) => {
    const on = chosen.includes(f);
    const label = document.createElement('div');
    label.className = 'feature-toggle' + (on ? '' : ' off');
    label.textContent = f;
    label.title = on ? 'click to remove this input' : 'click to add this input';
    const k = chosen.indexOf(f);
    label.style.left = '0px';
    label.style.top = (on ? ys[0][k] + tile / 2 - 7 : height - 14 - (FEATURES.length - i) * 0) + 'px';
    if (!on) { label.style.top = ''; label.style.bottom = '0px'; label.style.left = (i * 52) + 'px'; label.style.position = 'absolute'; }
    label.addEventListener('click', () => toggleFeature(f));
    box.appendChild(label);
  });
  layout = { canvases: [], links: [], biases: [] };
  const size = state.view.tile_size;
  widths.forEach((n, c) => {
    layout.canvases.push([]);
    for (let k = 0; k < n; k++) {
      const canvas = document.createElement('canvas');
      canvas.width = size; canvas.height = size;
      canvas.className = 'tile' + (c === 0 ? ' input' : '');
      canvas.style.left = xs[c] + 'px'; canvas.style.top = ys[c][k] + 'px';
      canvas.style.width = tile + 'px'; canvas.style.height = tile + 'px';
      box.appendChild(canvas);
      layout.canvases[c].push(canvas);
      if (c > 0) {
        const bias = document.createElement('div');
        bias.className = 'bias';
        bias.style.left = (xs[c] - 9) + 'px'; bias.style.top = (ys[c][k] + tile - 7) + 'px';
        bias.addEventListener('click', () => explain(c - 1, k, 'bias'));
        box.appendChild(bias);
        layout.biases.push([bias, c - 1, k]);
        for (let j = 0; j < widths[c - 1]; j++) {
          const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
          const x0 = xs[c - 1] + tile, y0 = ys[c - 1][j] + tile / 2, x1 = xs[c], y1 = ys[c][k] + tile / 2;
          const mid = (x0 + x1) / 2;
          path.setAttribute('d', `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`);
          path.setAttribute('class', 'link');
          path.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
          path.addEventListener('click', () => explain(c - 1, k, j));
          svg.appendChild(path);
          layout.links.push([path, c - 1, k, j]);
        }
      }
    }
    // layer headings with +/- for the hidden layers
    const heading = document.createElement('div');
    heading.className = 'layer-label';
    heading.style.left = (xs[c] - 20) + 'px'; heading.style.top = '0px'; heading.style.width = (tile + 40) + 'px';
    if (c === 0) heading.textContent = 'inputs';
    else if (c === columns - 1) heading.textContent = 'output';
    else {
      const l = c - 1;
      heading.innerHTML = `<button type="button" title="one more neuron">+</button> ${n} <button type="button" title="one neuron fewer">&minus;</button>`;
      const [more, fewer] = heading.querySelectorAll('button');
      more.addEventListener('click', () => resize(l, 1));
      fewer.addEventListener('click', () => resize(l, -1));
    }
    box.appendChild(heading);
  });
}

function toggleFeature(f) {
  const on = settings.features.includes(f);
  if (on && settings.features.length === 1) { banner('The network needs at least one input.'); return; }
  settings.features = on ? settings.features.filter((x) => x !== f) : FEATURES.filter((x) => x === f || settings.features.includes(x));
  changed(true);
}

function resize(layer, by) {
  const next = settings.hidden[layer] + by;
  if (next < 1 || next > MAX_WIDTH) return;
  settings.hidden[layer] = next;
  changed(true);
}

// ---- explanations and graphs ------------------------------------------------------------

async function explain(layer, neuron, input) {
  if (!session) return;
  try {
    const why = await call('GET', `/api/sessions/${session}/explain?layer=${layer}&neuron=${neuron}&input=${input}`);
    let html = `<p><b>${escapeHtml(why.parameter)}</b>: value ${format(why.value)}, gradient on the last step <b>${format(why.grad)}</b>, the sum of these ${why.terms.length} contributions: the chain rule's <code>local &times; upstream</code> for each use of the parameter in the step's graph (its neuron on each of the batch's ${why.batch} examples, and the regularisation). Uses whose upstream gradient is 0 add nothing and are not listed: e.g. examples the hinge loss already puts beyond the margin, or a ReLU that is off.</p>`;
    html += '<table><tr><th>through node</th><th>op</th><th>local derivative</th><th>upstream gradient</th><th>product</th></tr>';
    for (const t of why.terms) html += `<tr><td>${escapeHtml(t.via)}</td><td>${escapeHtml(t.op)}</td><td>${format(t.local)}</td><td>${format(t.upstream)}</td><td>${format(t.product)}</td></tr>`;
    html += `<tr><th colspan="4">sum</th><th>${format(why.sum)}</th></tr></table>`;
    $('explain').innerHTML = html;
    $('explain-panel').hidden = false;
  } catch (error) {
    banner(error.message);
  }
}

async function showGraph(index) {
  try {
    const drawn = await call('GET', `/api/sessions/${session}/graph?point=${index}`);
    const label = state.task === 'regression' ? format(drawn.label) : escapeHtml(points.class_names[points.train[index][2]]);
    $('graph-info').innerHTML = `<p>Training point ${index} at (${format(drawn.point[0])}, ${format(drawn.point[1])}), label ${label}: its loss <b>${format(drawn.loss)}</b> through the current network, after backward. Each box shows a value and its gradient d(loss)/d(value).</p>`;
    $('graph').innerHTML = graphSvg(drawn);
    $('graph-panel').hidden = false;
  } catch (error) {
    banner(error.message);
  }
}

// a layered drawing: each node one column right of its deepest input
function graphSvg(drawn) {
  const byId = new Map(drawn.nodes.map((n) => [n.id, n]));
  const inputs = new Map(drawn.nodes.map((n) => [n.id, []]));
  for (const [from, to] of drawn.edges) if (inputs.has(to)) inputs.get(to).push(from);
  for (const n of drawn.nodes) if (n.kind === 'op') inputs.get(n.makes).push(n.id);
  const rank = new Map();
  const rankOf = (id) => {
    if (rank.has(id)) return rank.get(id);
    rank.set(id, 0);
    const r = Math.max(-1, ...inputs.get(id).filter((p) => byId.has(p)).map(rankOf)) + 1;
    rank.set(id, r);
    return r;
  };
  drawn.nodes.forEach((n) => rankOf(n.id));
  const columns = [];
  for (const n of drawn.nodes) (columns[rank.get(n.id)] = columns[rank.get(n.id)] || []).push(n);
  const W = 150, H = 46, GAP_X = 40, GAP_Y = 10;
  const place = new Map();
  columns.forEach((col, c) => col.forEach((n, k) => place.set(n.id, [10 + c * (W + GAP_X), 10 + k * (H + GAP_Y)])));
  const width = 20 + columns.length * (W + GAP_X), height = 20 + Math.max(...columns.map((c) => c.length)) * (H + GAP_Y);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`;
  const edge = (from, to) => {
    const [x0, y0] = place.get(from), [x1, y1] = place.get(to);
    svg += `<path d="M${x0 + W},${y0 + H / 2} C${x0 + W + GAP_X / 2},${y0 + H / 2} ${x1 - GAP_X / 2},${y1 + H / 2} ${x1},${y1 + H / 2}" fill="none" stroke="#9ab" />`;
  };
  for (const [from, to] of drawn.edges) if (place.has(from) && place.has(to)) edge(from, to);
  for (const n of drawn.nodes) if (n.kind === 'op' && place.has(n.makes)) edge(n.id, n.makes);
  for (const n of drawn.nodes) {
    const [x, y] = place.get(n.id);
    if (n.kind === 'op') {
      svg += `<ellipse cx="${x + W / 2}" cy="${y + H / 2}" rx="${W / 2 - 10}" ry="${H / 2 - 8}" fill="#fff8e8" stroke="#c90"/>`;
      svg += `<text x="${x + W / 2}" y="${y + H / 2 + 4}" text-anchor="middle">${escapeHtml(n.title)}</text>`;
    } else {
      const fill = n.kind === 'layer' ? '#eef3fb' : n.title === 'loss' ? '#fde8e6' : '#fff';
      svg += `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="4" fill="${fill}" stroke="#678"/>`;
      svg += `<text x="${x + 6}" y="${y + 13}" font-weight="bold">${escapeHtml(n.title)}</text>`;
      if (n.kind === 'layer') {
        svg += `<text x="${x + 6}" y="${y + 27}">values ${format(n.values[0])} .. ${format(n.values[1])}</text>`;
        svg += `<text x="${x + 6}" y="${y + 40}">grads ${format(n.grads[0])} .. ${format(n.grads[1])}</text>`;
      } else {
        svg += `<text x="${x + 6}" y="${y + 27}">value ${format(n.value)}</text>`;
        svg += `<text x="${x + 6}" y="${y + 40}">grad ${format(n.grad)}</text>`;
      }
    }
  }
  return svg + '</svg>';
}

// ---- controls ----------------------------------------------------------------------------

function syncControls() {
  for (const id of ['lr', 'activation', 'optimizer', 'regularization', 'regularization_rate', 'speed', 'dataset', 'points']) {
    const element = $(id), value = String(settings[id]);
    if (element.tagName === 'SELECT' && ![...element.options].some((o) => o.value === value)) {
      element.add(new Option(value, value));
    }
    element.value = value;
  }
  $('loss').value = settings.loss || '';
  $('noise').value = settings.noise; $('noise-value').textContent = settings.noise;
  $('test_fraction').value = settings.test_fraction; $('test-value').textContent = Math.round(settings.test_fraction * 100) + '%';
  $('batch_size').value = settings.batch_size; $('batch-value').textContent = settings.batch_size;
  $('seed').value = settings.seed;
  const range = CLASS_RANGE[settings.dataset];
  const classes = $('classes');
  classes.innerHTML = '';
  if (range) for (let k = range[0]; k <= range[1]; k++) classes.add(new Option(String(k), String(k)));
  classes.disabled = !range || range[0] === range[1];
  if (range) classes.value = String(settings.classes || range[0]);
  $('hidden-count').textContent = String(settings.hidden.length);
}

function bind() {
  const live = { lr: Number, regularization: String, regularization_rate: Number, speed: Number, batch_size: Number };
  const restart = { activation: String, optimizer: String, dataset: String, points: Number, noise: Number, test_fraction: Number, seed: Number };
  for (const [id, parse] of Object.entries(live)) $(id).addEventListener('change', () => { settings[id] = parse($(id).value); changed(false); });
  for (const [id, parse] of Object.entries(restart)) {
    $(id).addEventListener('change', () => {
      settings[id] = parse($(id).value);
      if (id === 'dataset') { settings.classes = 0; settings.loss = null; }
      changed(true);
    });
  }
  $('noise').addEventListener('input', () => { $('noise-value').textContent = $('noise').value; });
  $('batch_size').addEventListener('input', () => { $('batch-value').textContent = $('batch_size').value; });
  $('loss').addEventListener('change', () => { settings.loss = $('loss').value || null; changed(true); });
  $('classes').addEventListener('change', () => { settings.classes = Number($('classes').value); changed(true); });
  $('regenerate').addEventListener('click', () => { settings.seed += 1; changed(true); });
  $('add-layer').addEventListener('click', () => { if (settings.hidden.length < MAX_LAYERS) { settings.hidden.push(2); changed(true); } });
  $('remove-layer').addEventListener('click', () => { if (settings.hidden.length > 0) { settings.hidden.pop(); changed(true); } });
  $('play').addEventListener('click', () => act(playing ? 'pause' : 'play'));
  $('step-button').addEventListener('click', () => act('step', '?count=1'));
  $('reset').addEventListener('click', () => { curve = []; banner(''); act('reset'); });
  $('show-test').addEventListener('change', () => state && drawMap());
  $('map').addEventListener('click', (event) => {
    if (!points) return;
    const rect = $('map').getBoundingClientRect();
    const mx = event.clientX - rect.left, my = event.clientY - rect.top;
    let best = -1, distance = 64; // within 8 pixels
    points.train.forEach(([x, y], i) => {
      const [px, py] = toPixel(x, y), d = (px - mx) ** 2 + (py - my) ** 2;
      if (d < distance) { distance = d; best = i; }
    });
    if (best >= 0) showGraph(best);
  });
  $('upload').addEventListener('change', async () => {
    const file = $('upload').files[0];
    if (!file) return;
    if (file.size > 1048576) { banner(`${file.name} is larger than 1 MB.`); return; }
    const text = await file.text();
    if (await act('upload', `?task=${$('upload-task').value}`, text)) {
      settings.dataset = 'upload';
      $('dataset').options[8].disabled = false;
      curve = [];
      syncControls();
      banner('');
    }
  });
  for (const button of document.querySelectorAll('[data-close]')) button.addEventListener('click', () => { $(button.dataset.close).hidden = true; });
}

syncControls();
bind();
writeUrl();
start().then(loop);
