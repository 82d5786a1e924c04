'use strict';
// The playground's detail panels: a parameter's gradient explained, a training point's graph
// (live while it plays, stepped backward box by box), and every parameter in a table. Loaded
// before page.js, whose state (session, state, points, chosen, ...) these functions read when
// they are called.

// ---- explanations and graphs ------------------------------------------------------------

async function explain(layer, neuron, input) {
  if (!session) return;
  try {
    const why = await call('GET', `/api/sessions/${session}/explain?layer=${layer}&neuron=${neuron}&input=${input}`);
    let html = `<p><b>${escapeHtml(why.parameter)}</b>: value ${format(why.value)}, gradient on the last step <b>${format(why.grad)}</b>, the sum of these ${why.terms.length + why.more_terms} contributions: the chain rule's <code>local &times; upstream</code> for each use of the parameter in the step's graph (its neuron on each of the batch's ${why.batch} examples, and the regularisation). Uses whose upstream gradient is 0 add nothing and are not listed: e.g. examples the hinge loss already puts beyond the margin, or a ReLU that is off.</p>`;
    html += '<table><tr><th>through node</th><th>op</th><th>local derivative</th><th>upstream gradient</th><th>product</th></tr>';
    for (const t of why.terms) html += `<tr><td>${escapeHtml(t.via)}</td><td>${escapeHtml(t.op)}</td><td>${format(t.local)}</td><td>${format(t.upstream)}</td><td>${format(t.product)}</td></tr>`;
    if (why.more_terms > 0) html += `<tr><td colspan="4">and ${why.more_terms} more (not listed)</td><td>${format(why.more_sum)}</td></tr>`;
    html += `<tr><th colspan="4">sum</th><th>${format(why.sum)}</th></tr></table>`;
    $('explain').innerHTML = html;
    $('explain-panel').hidden = false;
  } catch (error) {
    banner(error.message);
  }
}

async function showGraph(index) {
  chosen = index;
  graphStep = null;
  $('graph-panel').hidden = false;
  drawMap();
  // a refresh of the previous point may be under way: wait for it, then draw this one
  while (graphBusy) await new Promise((done) => setTimeout(done, 20));
  await refreshGraph();
}

// the chosen point's graph through the network as it is now (called again while playing)
async function refreshGraph() {
  if (chosen === null || graphBusy || !session) return;
  graphBusy = true;
  const index = chosen;
  try {
    const drawn = await call('GET', `/api/sessions/${session}/graph?point=${index}`);
    if (index !== chosen) return;
    graphData = drawn;
    const label = state.task === 'regression' ? format(drawn.label) : escapeHtml(points.class_names[points.train[index][2]]);
    const at = drawn.columns.slice(0, 6).map((c, j) => `${escapeHtml(c)} ${format(drawn.point[j])}`).join(', ') + (drawn.columns.length > 6 ? ', ...' : '');
    $('graph-info').innerHTML = `<p>Training point ${index} (${at}), label ${label}: its loss <b id="graph-loss">${format(drawn.loss)}</b> through the network at step ${state.step}, after backward. Each box shows a value and its gradient d(loss)/d(value); while training plays they change in place.</p>`;
    $('graph').innerHTML = graphSvg(drawn);
    markGraphStep();
  } catch (error) {
    banner(error.message);
  } finally {
    graphBusy = false;
  }
}

// highlights the backward steps applied so far: the latest step's box, the boxes its gradient
// flows into and the edges between them, with its terms written out
function markGraphStep() {
  const steps = graphData ? graphData.backward : [];
  const text = $('graph-step-text');
  for (const e of $('graph').querySelectorAll('.hot-box, .into-box, .hot-edge')) e.classList.remove('hot-box', 'into-box', 'hot-edge');
  if (graphStep === null || !steps.length) { text.textContent = steps.length ? `${steps.length} backward steps: press Backward step to apply them one at a time.` : ''; return; }
  const step = steps[Math.min(graphStep, steps.length - 1)];
  const titles = new Map(graphData.nodes.map((n) => [n.id, n.title]));
  const box = $('graph').querySelector(`[data-id="${step.box}"]`);
  if (box) box.classList.add('hot-box');
  for (const into of step.into) {
    const target = $('graph').querySelector(`[data-id="${into}"]`);
    if (target) target.classList.add('into-box');
    for (const path of $('graph').querySelectorAll(`path[data-from="${into}"]`)) {
      const to = path.dataset.to;
      if (to === step.box || to === 'op' + step.box.slice(1)) path.classList.add('hot-edge');
    }
  }
  const terms = step.terms.map((t) => `${titles.get(t.to) || t.to}.grad += ${format(t.upstream)} \u00d7 ${format(t.local)} = ${format(t.product)}`);
  text.textContent = `Step ${graphStep + 1} of ${steps.length}: ${titles.get(step.box) || step.box} passes its gradient back (upstream \u00d7 local): ${terms.join('; ')}${step.more ? `; and ${step.more} more` : ''}`;
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
    svg += `<path data-from="${from}" data-to="${to}" d="M${x0 + W},${y0 + H / 2} C${x0 + W + GAP_X / 2},${y0 + H / 2} ${x1 - GAP_X / 2},${y1 + H / 2} ${x1},${y1 + H / 2}" fill="none" stroke="#9ab" />`;
  };
  for (const [from, to] of drawn.edges) if (place.has(from) && place.has(to)) edge(from, to);
  for (const n of drawn.nodes) if (n.kind === 'op' && place.has(n.makes)) edge(n.id, n.makes);
  for (const n of drawn.nodes) {
    const [x, y] = place.get(n.id);
    svg += `<g data-id="${n.id}">`;
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
    svg += '</g>';
  }
  return svg + '</svg>';
}

// ---- every parameter in a table ----------------------------------------------------------

async function refreshParameters() {
  if (parametersBusy || !session) return;
  parametersBusy = true;
  try {
    const table = await call('GET', `/api/sessions/${session}/parameters?sort=${parameterOrder}&limit=40`);
    const adam = table.optimizer === 'adam' || table.optimizer === 'adamw';
    $('state-head').textContent = adam ? 'Adam m, \u221av' : table.optimizer === 'momentum' ? 'velocity' : 'optimizer state';
    for (const [id, order] of [['sort-network', 'network'], ['sort-grad', 'grad'], ['sort-update', 'update']]) $(id).classList.toggle('active', order === parameterOrder);
    $('parameters-info').textContent = `${table.rows.length} of ${table.total} parameters, ${parameterOrder === 'network' ? 'in the network\'s order' : `largest |${parameterOrder === 'grad' ? 'gradient' : 'update'}| first`}, at step ${state.step} (${table.optimizer}). Hover a row to find its link; click it for its gradient explained.`;
    const body = $('parameters').querySelector('tbody');
    body.innerHTML = '';
    for (const row of table.rows) {
      const tr = body.insertRow();
      const name = row.input === null ? `b[${row.layer}][${row.neuron}]` : `w[${row.layer}][${row.neuron}][${row.input}]`;
      const optimizerState = adam ? `${format(row.m)}, ${format(row.sqrt_v)}` : table.optimizer === 'momentum' ? format(row.velocity) : '-';
      for (const text of [name, format(row.value), format(row.grad), optimizerState, format(row.update)]) tr.insertCell().textContent = text;
      tr.dataset.layer = row.layer; tr.dataset.neuron = row.neuron; tr.dataset.input = row.input === null ? 'bias' : row.input;
      tr.addEventListener('mouseenter', () => highlightParameter(row, true));
      tr.addEventListener('mouseleave', () => highlightParameter(row, false));
      tr.addEventListener('click', () => explain(row.layer, row.neuron, row.input === null ? 'bias' : row.input));
    }
  } catch (error) {
    banner(error.message);
  } finally {
    parametersBusy = false;
  }
}

// a parameter's link (or bias square) in the network diagram, emphasised
function highlightParameter(row, on) {
  if (!layout) return;
  if (row.input === null) {
    const found = layout.biases.find(([, l, k]) => l === row.layer && k === row.neuron);
    if (found) found[0].style.outline = on ? '3px solid #111' : '';
    return;
  }
  const found = layout.links.find(([, l, k, j]) => l === row.layer && k === row.neuron && j === row.input);
  if (found) found[0].classList.toggle('highlight', on);
}
