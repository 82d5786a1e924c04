'use strict';
// The lab: runs a program in the notebook's notation on the server (POST /api/lab), then
// replays its timeline: each node made with its value, each gradient reset, each edge of each
// backward pass (`x.grad += out.grad x local`), drawn on the graph of the latest expression.

const $ = (id) => document.getElementById(id);
let presets = [];
let ran = null; // the server's answer: output, variables, nodes, events, focus, topo, checks
let position = 0; // events applied so far
let movedFrom = 0; // where the last move started: its events are described together
let playing = null;
let byId = new Map();

function showError(message) {
  const banner = $('banner');
  banner.textContent = message;
  banner.hidden = !message;
}

function number(x) {
  if (x === null || x === undefined) return '-';
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(6)));
  return x.toExponential(3);
}

const OP_SYMBOL = { '+': '+', '*': '\u00d7', '/': '/', neg: '\u2212', pow: '**', leaf: '' };

async function loadPresets() {
  const answer = await fetch('/api/lab/presets');
  presets = await answer.json();
  const select = $('preset');
  for (const preset of presets) {
    const option = document.createElement('option');
    option.value = preset.name;
    option.textContent = preset.name;
    select.appendChild(option);
  }
  const asked = new URLSearchParams(location.search).get('preset');
  select.value = presets.some((p) => p.name === asked) ? asked : presets[0].name;
  choosePreset();
}

function choosePreset() {
  const preset = presets.find((p) => p.name === $('preset').value);
  $('program').value = preset.program;
  $('about').textContent = preset.about;
  runProgram();
}

async function runProgram() {
  stop();
  const answer = await fetch('/api/lab', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ program: $('program').value }),
  });
  const body = await answer.json();
  if (!answer.ok) {
    showError(body.error);
    return;
  }
  showError('');
  ran = body;
  byId = new Map(ran.nodes.map((n) => [n.id, n]));
  $('scrubber').max = String(ran.events.length);
  $('count').textContent = String(ran.events.length);
  // start where the forward pass is done and the first backward is about to begin
  const seed = ran.events.findIndex((e) => e.kind === 'seed' || e.kind === 'reset');
  position = seed >= 0 ? seed : ran.events.length;
  movedFrom = position;
  renderChecks();
  render();
}

// Replays the first `upTo` events: which nodes exist, each one's gradient (ours and the
// notebook engine's), what was printed, and the latest expression.
function replay(upTo) {
  const created = new Set();
  const grads = new Map();
  const notebook = new Map();
  const printed = [];
  let focus = null;
  let lastCreated = null;
  let sinceSeed = [];
  for (const event of ran.events.slice(0, upTo)) {
    switch (event.kind) {
      case 'create':
        created.add(event.node);
        grads.set(event.node, 0);
        notebook.set(event.node, 0);
        lastCreated = event.node;
        sinceSeed.push(event.node);
        break;
      case 'reset':
        for (const id of event.nodes) {
          grads.set(id, 0);
          if (event.by === 'zero_grad') notebook.set(id, 0);
        }
        break;
      case 'seed':
        grads.set(event.node, event.after);
        notebook.set(event.node, 1); // the notebook's backward assigns out.grad = 1
        focus = event.node;
        sinceSeed = [];
        break;
      case 'edge':
        grads.set(event.node, event.after);
        notebook.set(event.node, event.notebook_after);
        break;
      case 'print':
        printed.push(event.text);
        break;
    }
  }
  // the latest expression: the newest node made since the last backward that nothing made so
  // far uses, else that backward's output
  const used = new Set();
  for (const id of created) for (const operand of byId.get(id).operands) used.add(operand);
  for (const id of sinceSeed) if (!used.has(id)) focus = id;
  if (focus === null) focus = lastCreated;
  return { created, grads, notebook, printed, focus };
}

function describe(event) {
  if (!event) return 'The start: no node made yet.';
  const name = (id) => { const n = byId.get(id); return n.label || `#${id}`; };
  switch (event.kind) {
    case 'create': {
      const node = byId.get(event.node);
      const from = node.operands.map(name).join(', ');
      return `line ${event.line}: made ${name(event.node)} = ${number(node.value)}`
        + (node.op === 'leaf' ? ' (a leaf)' : ` by ${node.op}(${from})`);
    }
    case 'reset':
      return `line ${event.line}: ${event.by} sets ${event.nodes.length} gradient(s) to 0`
        + (event.by === 'backward' ? ' (the intermediate nodes start each pass from 0 here)' : '');
    case 'seed':
      return `line ${event.line}: backward(${name(event.node)}) seeds ${name(event.node)}.grad = ${number(event.before)} + 1 -> ${number(event.after)}`;
    case 'edge':
      return `line ${event.line}: ${event.text}`;
    case 'print':
      return `line ${event.line}: print -> ${event.text}`;
  }
  return '';
}

function render() {
  if (!ran) return;
  const state = replay(position);
  $('position').textContent = String(position);
  $('scrubber').value = String(position);
  // a move forward of several events (one node's backward) describes each of them
  const first = movedFrom < position && position - movedFrom <= 8 ? movedFrom : position - 1;
  const lines = [];
  for (let i = Math.max(first, 0); i < position; i += 1) lines.push(describe(ran.events[i]));
  $('event-text').textContent = lines.length ? lines.join('\n') : describe(undefined);
  $('output').textContent = state.printed.join('\n');
  const notebookMode = $('notebook-mode').checked;
  const gradOf = (id) => (notebookMode ? state.notebook : state.grads).get(id);
  const rows = $('variables').querySelector('tbody');
  rows.innerHTML = '';
  for (const variable of ran.variables) {
    const row = rows.insertRow();
    const made = state.created.has(variable.node);
    row.insertCell().textContent = variable.name;
    row.insertCell().textContent = made ? number(byId.get(variable.node).value) : '-';
    row.insertCell().textContent = made ? number(gradOf(variable.node)) : '-';
  }
  drawGraph(state, gradOf, ran.events[position - 1]);
}

const RECORD = { width: 190, height: 30, label: 44, value: 64 };
const COLUMN = RECORD.width + 80;
const ROW = 52;

function drawGraph(state, gradOf, event) {
  const svg = $('lab-graph');
  svg.innerHTML = '';
  if (state.focus === null) { svg.setAttribute('width', 10); svg.setAttribute('height', 10); return; }
  // the notebook's post_dfs from the focus, over the nodes made so far: operands first
  const order = [];
  const visited = new Set([state.focus]);
  const stack = [[state.focus, 0]];
  while (stack.length) {
    const [id, next] = stack.pop();
    const operands = byId.get(id).operands.filter((o) => state.created.has(o));
    if (next < operands.length) {
      stack.push([id, next + 1]);
      if (!visited.has(operands[next])) { visited.add(operands[next]); stack.push([operands[next], 0]); }
    } else {
      order.push(id);
    }
  }
  // columns as late as possible: the focus rightmost, each node one column left of its
  // leftmost user (so an edge rarely runs behind another box); rows in breadth-first order from
  // the focus, so operands sit near their user
  const depth = new Map();
  const reversed = order.slice().reverse(); // users before their operands
  const level = new Map([[state.focus, 0]]);
  for (const id of reversed) {
    for (const operand of byId.get(id).operands) {
      if (!visited.has(operand) || !state.created.has(operand)) continue;
      level.set(operand, Math.max(level.get(operand) ?? 0, level.get(id) + 1));
    }
  }
  const deepest = Math.max(...level.values());
  for (const id of order) depth.set(id, deepest - level.get(id));
  const breadth = [state.focus];
  const seen = new Set(breadth);
  for (let i = 0; i < breadth.length; i += 1) {
    for (const operand of byId.get(breadth[i]).operands) {
      if (visited.has(operand) && state.created.has(operand) && !seen.has(operand)) { seen.add(operand); breadth.push(operand); }
    }
  }
  const rowsUsed = new Map();
  const place = new Map();
  for (const id of breadth) {
    const d = depth.get(id);
    const row = rowsUsed.get(d) || 0;
    rowsUsed.set(d, row + 1);
    place.set(id, { x: 20 + d * COLUMN + 60, y: 16 + row * ROW });
  }
  const columns = Math.max(...depth.values()) + 1;
  const height = 24 + Math.max(...rowsUsed.values()) * ROW;
  svg.setAttribute('width', 40 + columns * COLUMN);
  svg.setAttribute('height', height);
  const ns = 'http://www.w3.org/2000/svg';
  const add = (parent, tag, attributes, text) => {
    const element = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
    if (text !== undefined) element.textContent = text;
    parent.appendChild(element);
    return element;
  };
  const opCenter = (id) => { const p = place.get(id); return { x: p.x - 34, y: p.y + RECORD.height / 2 }; };
  const hotTarget = event && event.kind === 'edge' ? event.node : null;
  const hotSource = event && event.kind === 'edge' ? event.from : null;
  // edges first, under the boxes: operand -> op circle -> value
  for (const id of order) {
    const node = byId.get(id);
    if (node.op === 'leaf') continue;
    const c = opCenter(id);
    const p = place.get(id);
    add(svg, 'path', { class: 'edge', d: `M${c.x + 14},${c.y} L${p.x},${c.y}` });
    for (const operand of node.operands) {
      if (!place.has(operand)) continue;
      const o = place.get(operand);
      const x0 = o.x + RECORD.width;
      const y0 = o.y + RECORD.height / 2;
      const hot = operand === hotTarget && id === hotSource;
      add(svg, 'path', {
        class: hot ? 'edge hot' : 'edge',
        d: `M${x0},${y0} C${x0 + 40},${y0} ${c.x - 54},${c.y} ${c.x - 14},${c.y}`,
      });
    }
  }
  order.forEach((id, index) => {
    const node = byId.get(id);
    const p = place.get(id);
    if (node.op !== 'leaf') {
      const c = opCenter(id);
      const op = add(svg, 'g', { class: 'op' });
      add(op, 'circle', { cx: c.x, cy: c.y, r: 14 });
      const symbol = node.op === 'pow' && node.exponent !== null ? `**${number(node.exponent)}` : (OP_SYMBOL[node.op] ?? node.op);
      add(op, 'text', { x: c.x, y: c.y + 4, 'text-anchor': 'middle' }, symbol);
    }
    let kind = 'record';
    if (id === hotTarget) kind += ' target';
    if (id === hotSource) kind += ' source';
    if (event && event.kind === 'create' && event.node === id) kind += ' fresh';
    const g = add(svg, 'g', { class: kind, 'data-node': id });
    add(g, 'rect', { x: p.x, y: p.y, width: RECORD.width, height: RECORD.height, rx: 3 });
    const split1 = p.x + RECORD.label;
    const split2 = split1 + RECORD.value;
    add(g, 'line', { class: 'cell-line', x1: split1, y1: p.y, x2: split1, y2: p.y + RECORD.height });
    add(g, 'line', { class: 'cell-line', x1: split2, y1: p.y, x2: split2, y2: p.y + RECORD.height });
    const mid = p.y + RECORD.height / 2 + 4;
    add(g, 'text', { x: p.x + 5, y: mid }, node.label || `#${id}`);
    add(g, 'text', { x: split1 + 5, y: mid, class: 'value' }, number(node.value));
    add(g, 'text', { x: split2 + 5, y: mid, class: 'grad' }, `grad ${number(gradOf(id))}`);
    add(svg, 'text', { x: p.x + RECORD.width - 2, y: p.y - 3, 'text-anchor': 'end', class: 'badge' }, `#${index + 1}`);
  });
}

function renderChecks() {
  const body = $('checks').querySelector('tbody');
  body.innerHTML = '';
  $('check-wrap').hidden = ran.checks.length === 0;
  for (const check of ran.checks) {
    const row = body.insertRow();
    for (const text of [check.expression, number(check.x), String(check.analytic), String(check.numeric),
      check.diff.toExponential(3), String(check.eps), String(check.tol)]) {
      row.insertCell().textContent = text;
    }
    const verdict = row.insertCell();
    verdict.textContent = check.passed ? 'pass' : 'fail';
    verdict.className = check.passed ? 'pass' : 'fail';
  }
}

function moveTo(next) {
  if (!ran) return;
  movedFrom = position;
  position = Math.max(0, Math.min(ran.events.length, next));
  render();
}

function forwardStep() {
  if (!ran) return;
  let next = position;
  while (next < ran.events.length && ran.events[next].kind !== 'create') next += 1;
  moveTo(next + 1);
}

// one node's local backward: every edge it passes its gradient through (after any reset or
// seed that comes first)
function backwardStep() {
  if (!ran) return;
  let next = position;
  while (next < ran.events.length && ran.events[next].kind !== 'edge') next += 1;
  if (next >= ran.events.length) { moveTo(ran.events.length); return; }
  const from = ran.events[next].from;
  while (next < ran.events.length && ran.events[next].kind === 'edge' && ran.events[next].from === from) next += 1;
  moveTo(next);
}

function stop() {
  if (playing) clearInterval(playing);
  playing = null;
  $('play').textContent = 'Play';
}

function togglePlay() {
  if (playing) { stop(); return; }
  if (ran && position >= ran.events.length) position = 0;
  $('play').textContent = 'Pause';
  playing = setInterval(() => {
    if (!ran || position >= ran.events.length) { stop(); return; }
    moveTo(position + 1);
  }, 350);
}

$('preset').addEventListener('change', choosePreset);
$('run').addEventListener('click', runProgram);
$('restart').addEventListener('click', () => moveTo(0));
$('step-back').addEventListener('click', () => moveTo(position - 1));
$('step-one').addEventListener('click', () => moveTo(position + 1));
$('forward-step').addEventListener('click', forwardStep);
$('backward-step').addEventListener('click', backwardStep);
$('play').addEventListener('click', togglePlay);
$('end').addEventListener('click', () => { stop(); moveTo(ran ? ran.events.length : 0); });
$('scrubber').addEventListener('input', (e) => { stop(); moveTo(Number(e.target.value)); });
$('notebook-mode').addEventListener('change', render);
loadPresets().catch((error) => showError(String(error)));
