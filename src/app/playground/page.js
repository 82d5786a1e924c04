// The playground page: controls -> settings (kept in the URL) -> the server's session, which
// trains on scalargrad's engine; the page draws the state it sends back. Which settings there
// are, their ranges, choices, help and starting values come from the server's vocabulary
// (GET /api/vocabulary); this page only says where each control goes.
'use strict';

// where each setting's control goes (the network's inputs and layers have controls of their own)
const PLACES = {
  'top-settings': ['lr', 'activation', 'loss', 'optimizer', 'l2', 'l1', 'speed'],
  'data-settings': ['dataset', 'classes', 'noise', 'samples', 'test_fraction', 'batch_size', 'seed'],
  'table-settings': ['columns', 'plot_columns', 'standardize'],
};
// Paul Tol's bright palette (as the program's pictures use), then more for 10 classes
const PALETTE = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#000000', '#ee7733', '#009988'];
const NEGATIVE = [245, 147, 34], POSITIVE = [8, 119, 189], NEUTRAL = [255, 255, 255];

let vocabulary = null;    // {settings: [...], start: {...}, limits: {...}}
let byKey = {};           // each setting's description, by key
let settings = null;      // the settings, as the server's JSON holds them
let session = null;       // the server's id for this tab's session
let state = null;         // the latest state
let points = null;        // {version, train, test, class_names, columns}
let curve = [];           // [step, train loss, test loss, train metric, test metric]
let playing = false;
let polling = false;
let structureKey = '';    // the network's shape last drawn
// states can arrive out of order (a poll sent before Pause may answer after it): each request
// is numbered, and a state older than the one shown is dropped
let issued = 0, shown = 0;
let chosen = null;        // the training point whose loss's graph is shown, live while playing
let graphData = null;     // its latest graph: nodes, edges, backward steps
let graphStep = null;     // backward steps applied on the drawing (null: the whole pass)
let graphBusy = false;
let parameterOrder = 'grad';
let parametersBusy = false;

const $ = (id) => document.getElementById(id);

// ---- settings <-> URL ------------------------------------------------------------------

// a setting's value from text (a URL's or a control's), by the kind of its range
function parseValue(key, text) {
  const kind = byKey[key].range.kind;
  if (kind === 'switch') return text === 'true';
  if (kind === 'widths') return text ? text.split(',').map(Number) : [];
  if (text === '' || text === null || text === undefined) return null;
  if (kind === 'whole' || kind === 'number') return Number(text);
  return text;
}

function textOf(value) {
  if (value === null || value === undefined) return '';
  return Array.isArray(value) ? value.join(',') : String(value);
}

function readUrl() {
  const query = new URLSearchParams(location.search);
  const s = JSON.parse(JSON.stringify(vocabulary.start));
  for (const [key, value] of query) if (key in byKey) s[key] = parseValue(key, value);
  s.data = null; // a file sent from this page is not in the URL
  return s;
}

function writeUrl() {
  const query = new URLSearchParams();
  for (const key of Object.keys(byKey)) {
    if (key === 'data' || textOf(settings[key]) === textOf(vocabulary.start[key])) continue;
    query.set(key, textOf(settings[key]));
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
  $('metric-name').textContent = regression ? 'RMSE' : 'Accuracy';
  $('train-metric').textContent = regression ? format(next.train_metric) : percent(next.train_metric);
  $('test-metric').textContent = regression ? format(next.test_metric) : percent(next.test_metric);
  if (next.diverged) {
    const d = next.diverged;
    banner(`Training stopped at step ${d.step}: the loss became NaN or infinite.\n` +
      (d.anomaly ? `First non-finite number: ${d.anomaly}\n` : '') + `Suggestion: ${d.suggestion}.`);
  }
  for (const [id, file] of [['dl-json', 'model.json'], ['dl-safetensors', 'model.safetensors'], ['dl-metrics', 'metrics.csv']]) {
    $(id).href = `/api/sessions/${session}/${file}`;
  }
  $('map-title').textContent = `The map over ${next.view.title}`;
  drawNetwork();
  drawMap();
  drawCurve();
  drawConfusion();
  syncPointTools();
  const padShown = Array.isArray(next.image) && next.image[0] === 8 && next.image[1] === 8 && next.view.classes > 1;
  $('pad-panel').hidden = !padShown;
  // while it trains, the drawing is read again by the network as it is now
  if (padShown && padInk && (redraws % 6 === 0 || !playing)) readPad();
  if (chosen !== null && points && chosen >= points.train.length) chosen = null;
  // the chosen point's graph and the parameter table follow the training, a few times a second
  if (chosen !== null && !$('graph-panel').hidden && (redraws % 4 === 0 || !playing)) refreshGraph();
  if (!$('parameters-panel').hidden && (redraws % 4 === 0 || !playing)) refreshParameters();
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
    // a class and its confidence (0 a tie, 100 certain), or a regression's value
    if (Array.isArray(cell)) c = mix(NEUTRAL, classColor(cell[0], view.classes), 0.15 + 0.6 * (cell[1] / 100));
    else if (cell === null) c = [120, 120, 120];
    else c = diverging(cell / scale);
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
  if (chosen !== null && points.train[chosen]) {
    const [px, py] = toPixel(points.train[chosen][0], points.train[chosen][1]);
    g.beginPath();
    g.arc(px, py, 7.5, 0, 2 * Math.PI);
    g.lineWidth = 2.5;
    g.strokeStyle = '#111';
    g.stroke();
  }
  g.fillStyle = '#333'; g.font = '11px sans-serif';
  g.fillText(view.axes[0] + ' \u2192', canvas.width - 90, canvas.height - 4);
  if (view.axes[1]) { g.save(); g.translate(11, 90); g.rotate(-Math.PI / 2); g.fillText(view.axes[1] + ' \u2192', 0, 0); g.restore(); }
}

function toPixel(x, y) {
  const [x0, x1, y0, y1] = state.view.extent, canvas = $('map');
  return [(x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height];
}

// the plane's coordinates of a pixel of the map
function fromPixel(px, py) {
  const [x0, x1, y0, y1] = state.view.extent, canvas = $('map');
  return [x0 + px / canvas.width * (x1 - x0), y1 - py / canvas.height * (y1 - y0)];
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

let layout = null; // {canvases: [[canvas]], links: [[path, layer, neuron, input]], biases}

function drawNetwork() {
  const net = state.network;
  const widths = [net.features.length, ...net.layers.map((l) => l.length)];
  const key = JSON.stringify([net.features, net.offered, widths]);
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
  // the inputs the data offers, each a toggle: the chosen ones carry tiles below
  const toggles = document.createElement('div');
  toggles.className = 'feature-toggles';
  for (const f of net.offered) {
    const on = net.features.includes(f);
    const label = document.createElement('span');
    label.className = 'feature-toggle' + (on ? '' : ' off');
    label.textContent = f;
    label.title = on ? 'click to remove this input' : 'click to add this input';
    label.addEventListener('click', () => toggleFeature(f));
    toggles.appendChild(label);
  }
  box.appendChild(toggles);
  const diagram = document.createElement('div');
  diagram.className = 'diagram';
  box.appendChild(diagram);
  const columns = widths.length;
  const tallest = Math.max(...widths);
  const tile = Math.max(14, Math.min(40, Math.floor(560 / tallest) - 6));
  const gap = Math.max(4, Math.min(12, tile / 3));
  const width = Math.max(380, box.clientWidth || 520);
  const step = (width - tile - 70) / Math.max(1, columns - 1);
  const height = tallest * (tile + gap) + 30;
  diagram.style.height = height + 'px';
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', String(width)); svg.setAttribute('height', String(height));
  diagram.appendChild(svg);
  const xs = widths.map((_, c) => 60 + c * step);
  const ys = widths.map((n) => Array.from({ length: n }, (_, k) => 24 + k * (tile + gap) + (tallest - n) * (tile + gap) / 2));
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
      diagram.appendChild(canvas);
      layout.canvases[c].push(canvas);
      if (c === 0) {
        const name = document.createElement('div');
        name.className = 'input-name';
        name.textContent = net.features[k];
        name.style.top = (ys[c][k] + tile / 2 - 7) + 'px';
        diagram.appendChild(name);
      } else {
        const bias = document.createElement('div');
        bias.className = 'bias';
        bias.style.left = (xs[c] - 9) + 'px'; bias.style.top = (ys[c][k] + tile - 7) + 'px';
        bias.addEventListener('click', () => explain(c - 1, k, 'bias'));
        diagram.appendChild(bias);
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
    diagram.appendChild(heading);
  });
}

function toggleFeature(f) {
  const offered = state.network.offered, chosen = state.network.features;
  const on = chosen.includes(f);
  if (on && chosen.length === 1) { banner('The network needs at least one input.'); return; }
  const next = offered.filter((x) => (x === f ? !on : chosen.includes(x)));
  settings.features = next.join(',');
  changed(true);
}

function resize(layer, by) {
  const next = settings.hidden[layer] + by;
  if (next < 1 || next > vocabulary.limits.width) return;
  settings.hidden[layer] = next;
  changed(true);
}

// ---- points under the user's hand ----------------------------------------------------------

// the class list (or target box) for added points, from the data's classes
function syncPointTools() {
  if (!points) return;
  // points are edited on the map's plane: data of two columns
  $('point-editing').hidden = (points.columns || []).length !== 2;
  const regression = state.task === 'regression';
  $('point-class-label').hidden = regression;
  $('point-target-label').hidden = !regression;
  const select = $('point-class');
  const names = points.class_names || [];
  if (select.options.length !== names.length || [...select.options].some((o, k) => o.textContent !== names[k])) {
    select.innerHTML = '';
    names.forEach((name, k) => { const o = document.createElement('option'); o.value = String(k); o.textContent = name; select.appendChild(o); });
  }
  $('dl-data').href = `/api/sessions/${session}/data.csv`;
}

async function editPoints(body) {
  graphStep = null;
  await act('points', '', body);
}

// the training point within 8 pixels of a map pixel, or -1
function pointNear(mx, my) {
  let best = -1, distance = 64;
  points.train.forEach(([x, y], i) => {
    const [px, py] = toPixel(x, y), d = (px - mx) ** 2 + (py - my) ** 2;
    if (d < distance) { distance = d; best = i; }
  });
  return best;
}

function bindMap() {
  const map = $('map');
  let dragging = null; // {index, moved}
  const at = (event) => { const r = map.getBoundingClientRect(); return [event.clientX - r.left, event.clientY - r.top]; };
  map.addEventListener('mousedown', (event) => {
    if (!points) return;
    const [mx, my] = at(event);
    const index = pointNear(mx, my);
    if (index >= 0 && !event.shiftKey && $('point-mode').value !== 'remove') dragging = { index, moved: false, from: [mx, my] };
  });
  map.addEventListener('mousemove', (event) => {
    if (!dragging) return;
    const [mx, my] = at(event);
    if (!dragging.moved && (mx - dragging.from[0]) ** 2 + (my - dragging.from[1]) ** 2 < 16) return;
    dragging.moved = true;
    const [x, y] = fromPixel(mx, my);
    points.train[dragging.index][0] = x; points.train[dragging.index][1] = y;
    drawMap();
  });
  map.addEventListener('mouseup', async (event) => {
    if (!points) return;
    const [mx, my] = at(event);
    const held = dragging;
    dragging = null;
    if (held && held.moved) {
      const [x, y] = fromPixel(mx, my);
      await editPoints({ move: held.index, to: [x, y] });
      return;
    }
    const index = pointNear(mx, my);
    const mode = event.shiftKey ? 'remove' : $('point-mode').value;
    if (mode === 'remove') { if (index >= 0) await editPoints({ remove: index }); return; }
    if (mode === 'add') {
      const [x, y] = fromPixel(mx, my);
      const label = state.task === 'regression' ? Number($('point-target').value) : Number($('point-class').value);
      await editPoints({ add: [x, y, label] });
      return;
    }
    if (index >= 0) showGraph(index);
  });
}

// ---- controls ----------------------------------------------------------------------------

// a readable name for a setting's key (`test_fraction` -> `Test fraction`; `lr` spelled out)
function nameOf(key) {
  if (key === 'lr') return 'Learning rate';
  const words = key.replace(/_/g, ' ');
  return words[0].toUpperCase() + words.slice(1);
}

// the choices of the `classes` control: the numbers the chosen dataset can make
function classRange() {
  const dataset = byKey.dataset.range.choices.find((c) => c.name === settings.dataset);
  return settings.data || !dataset || !dataset.classes ? null : dataset.classes;
}

// one setting's control, made from its description: a select for choices, a number box for
// numbers, a checkbox for a switch, a text box for names
function control(key) {
  const setting = byKey[key], range = setting.range;
  const label = document.createElement('label');
  label.title = setting.help;
  label.appendChild(document.createTextNode(nameOf(key) + ' '));
  let element;
  if (range.kind === 'choice' || key === 'classes') {
    element = document.createElement('select');
    if (key !== 'classes') {
      if (vocabulary.start[key] === null) element.add(new Option('default', ''));
      for (const choice of range.choices) {
        const option = new Option(choice.name, choice.name);
        option.title = choice.describe;
        element.add(option);
      }
    }
    if (key === 'dataset') element.add(new Option('your table', 'upload'));
  } else if (range.kind === 'switch') {
    element = document.createElement('input');
    element.type = 'checkbox';
  } else if (range.kind === 'whole' || range.kind === 'number') {
    element = document.createElement('input');
    element.type = 'number';
    element.step = range.kind === 'whole' ? '1' : 'any';
    if (range.min !== undefined) element.min = String(range.min);
    if (range.max !== null && range.max !== undefined) element.max = String(range.max);
  } else {
    element = document.createElement('input');
    element.type = 'text';
    element.placeholder = 'default';
  }
  element.id = key;
  label.appendChild(element);
  element.addEventListener('change', () => {
    const text = element.type === 'checkbox' ? String(element.checked) : element.value;
    if (key === 'dataset') {
      if (text === 'upload') return;
      // the settings the old dataset brought go back to the start; the new one's come in
      const choices = byKey.dataset.range.choices;
      const old = choices.find((c) => c.name === settings.dataset);
      const next = choices.find((c) => c.name === text);
      for (const k of Object.keys((old && old.defaults) || {})) if (k in byKey) settings[k] = vocabulary.start[k];
      Object.assign(settings, { dataset: text, data: null, classes: null, loss: null, features: null, label: null, columns: null, plot_columns: null });
      for (const [k, v] of Object.entries((next && next.defaults) || {})) if (k in byKey) settings[k] = parseValue(k, v);
      // within the playground's limits (the digits bring 64 hidden units; a page draws 32)
      settings.hidden = settings.hidden.map((w) => Math.min(w, vocabulary.limits.width));
    } else {
      settings[key] = parseValue(key, text);
    }
    changed(!setting.live);
  });
  return label;
}

function buildControls() {
  for (const [place, keys] of Object.entries(PLACES)) {
    const box = $(place);
    for (const key of keys) if (key in byKey) box.appendChild(control(key));
  }
  $('upload-limit').textContent = `${Math.round(vocabulary.limits.upload_bytes / 1048576)} MB, ${vocabulary.limits.upload_rows} rows and ${vocabulary.limits.columns} input columns`;
}

function syncControls() {
  for (const keys of Object.values(PLACES)) {
    for (const key of keys) {
      const element = $(key);
      if (!element) continue;
      if (element.type === 'checkbox') element.checked = Boolean(settings[key]);
      else if (key !== 'dataset' && key !== 'classes') element.value = textOf(settings[key]);
    }
  }
  const dataset = $('dataset');
  const upload = [...dataset.options].find((o) => o.value === 'upload');
  upload.disabled = !settings.data;
  upload.text = settings.data ? `table: ${settings.data}` : 'your table';
  dataset.value = settings.data ? 'upload' : settings.dataset;
  const range = classRange(), classes = $('classes');
  classes.innerHTML = '';
  if (range) for (let k = range[0]; k <= range[1]; k++) classes.add(new Option(String(k), String(k)));
  classes.disabled = !range || range[0] === range[1];
  if (range) classes.value = String(settings.classes || range[0]);
  $('hidden-count').textContent = String(settings.hidden.length);
}

function bind() {
  $('regenerate').addEventListener('click', () => { settings.seed += 1; changed(true); });
  $('add-layer').addEventListener('click', () => { if (settings.hidden.length < vocabulary.limits.layers) { settings.hidden.push(2); changed(true); } });
  $('remove-layer').addEventListener('click', () => { if (settings.hidden.length > 0) { settings.hidden.pop(); changed(true); } });
  $('play').addEventListener('click', () => act(playing ? 'pause' : 'play'));
  $('step-button').addEventListener('click', () => act('step', '?count=1'));
  $('reset').addEventListener('click', () => { curve = []; banner(''); act('reset'); });
  $('show-test').addEventListener('change', () => state && drawMap());
  bindMap();
  bindPad();
  $('graph-step').addEventListener('click', () => {
    if (!graphData || !graphData.backward.length) return;
    graphStep = graphStep === null ? 0 : Math.min(graphStep + 1, graphData.backward.length - 1);
    markGraphStep();
  });
  $('graph-whole').addEventListener('click', () => { graphStep = null; markGraphStep(); });
  $('show-parameters').addEventListener('click', () => { $('parameters-panel').hidden = false; refreshParameters(); });
  for (const [id, order] of [['sort-network', 'network'], ['sort-grad', 'grad'], ['sort-update', 'update']]) {
    $(id).addEventListener('click', () => { parameterOrder = order; refreshParameters(); });
  }
  $('upload').addEventListener('change', async () => {
    const file = $('upload').files[0];
    if (!file) return;
    if (file.size > vocabulary.limits.upload_bytes) { banner(`${file.name} is larger than the playground takes.`); return; }
    const text = await file.text();
    const label = $('upload-label').value.trim();
    const query = `?name=${encodeURIComponent(file.name)}&task=${$('upload-task').value}` + (label ? `&label=${encodeURIComponent(label)}` : '');
    if (await act('upload', query, text)) {
      settings = JSON.parse(JSON.stringify(state.settings));
      curve = [];
      syncControls();
      writeUrl();
      banner('');
    }
  });
  for (const button of document.querySelectorAll('[data-close]')) {
    button.addEventListener('click', () => {
      $(button.dataset.close).hidden = true;
      if (button.dataset.close === 'graph-panel') { chosen = null; if (state) drawMap(); }
    });
  }
}

async function boot() {
  try {
    vocabulary = await call('GET', '/api/vocabulary');
  } catch (error) {
    banner('The server did not say which settings there are: ' + error.message);
    return;
  }
  for (const setting of vocabulary.settings) byKey[setting.key] = setting;
  settings = readUrl();
  buildControls();
  syncControls();
  bind();
  writeUrl();
  await start();
  loop();
}

boot();
