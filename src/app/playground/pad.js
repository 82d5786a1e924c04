'use strict';
// The playground's drawing pad for 8x8 digits: a 32x32 bitmap drawn with the mouse or a finger,
// read by the server (POST .../pad) as the network trains. Loaded before page.js, whose state
// (session, points) and helpers (call, rgb, diverging, escapeHtml) it uses when called.

// ---- the drawing pad (8x8 digits) ----------------------------------------------------------

const PAD = 32; // the pad's bitmap is 32 x 32, reduced to 8 x 8 counts as the digits were made
let pad = new Array(PAD * PAD).fill(false);
let padInk = false;
let padBusy = false, padAgain = false;

function drawPad() {
  const canvas = $('digit-pad'), g = canvas.getContext('2d'), cell = canvas.width / PAD;
  g.fillStyle = '#fff'; g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#111';
  pad.forEach((ink, i) => { if (ink) g.fillRect((i % PAD) * cell, Math.floor(i / PAD) * cell, cell, cell); });
  g.strokeStyle = '#ddd';
  for (let k = 1; k < 8; k++) {
    const at = k * canvas.width / 8;
    g.beginPath(); g.moveTo(at, 0); g.lineTo(at, canvas.height); g.moveTo(0, at); g.lineTo(canvas.width, at); g.stroke();
  }
}

// ink under a pen about 2.5 pixels of the bitmap wide, at a point of the canvas
function inkAt(px, py) {
  const canvas = $('digit-pad'), cell = canvas.width / PAD;
  const cx = px / cell, cy = py / cell;
  for (let y = Math.floor(cy - 2); y <= cy + 2; y++) {
    for (let x = Math.floor(cx - 2); x <= cx + 2; x++) {
      if (x < 0 || y < 0 || x >= PAD || y >= PAD) continue;
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= 3.2) pad[y * PAD + x] = true;
    }
  }
  padInk = true;
}

// what the network makes of the drawing: one request at a time, the latest drawing last
async function readPad() {
  if (!session || !padInk) return;
  if (padBusy) { padAgain = true; return; }
  padBusy = true;
  try {
    const read = await call('POST', `/api/sessions/${session}/pad`, { bitmap: pad.map((ink) => (ink ? '1' : '0')).join('') });
    showPadReading(read);
  } catch (error) {
    banner(error.message);
  } finally {
    padBusy = false;
    if (padAgain) { padAgain = false; readPad(); }
  }
}

function drawGrid(canvas, values, colour) {
  const g = canvas.getContext('2d'), cell = canvas.width / 8;
  values.forEach((v, i) => { g.fillStyle = rgb(colour(v)); g.fillRect((i % 8) * cell, Math.floor(i / 8) * cell, cell, cell); });
}

function showPadReading(read) {
  $('digit-prediction').textContent = read.label;
  drawGrid($('pad-counts'), read.counts, (c) => { const v = Math.round(255 * (1 - c / 16)); return [v, v, v]; });
  const reach = Math.max(1e-12, ...read.gradient.map(Math.abs));
  drawGrid($('pad-gradient'), read.gradient, (g) => diverging(g / reach));
  const names = points ? points.class_names : [];
  $('pad-probabilities').innerHTML = read.probabilities.map((p, k) => `<div class="bar${k === read.class ? ' chosen' : ''}"><span>${escapeHtml(names[k] || String(k))}</span><i style="width:${(100 * p).toFixed(1)}%"></i><b>${(100 * p).toFixed(1)}%</b></div>`).join('');
}

function clearPad() {
  pad = new Array(PAD * PAD).fill(false);
  padInk = false;
  drawPad();
  $('digit-prediction').textContent = '-';
  $('pad-probabilities').innerHTML = '';
  for (const id of ['pad-counts', 'pad-gradient']) { const c = $(id); c.getContext('2d').clearRect(0, 0, c.width, c.height); }
}

function bindPad() {
  const canvas = $('digit-pad');
  let drawing = false;
  const at = (event) => { const r = canvas.getBoundingClientRect(); return [(event.clientX - r.left) * canvas.width / r.width, (event.clientY - r.top) * canvas.height / r.height]; };
  canvas.addEventListener('pointerdown', (event) => { drawing = true; canvas.setPointerCapture(event.pointerId); inkAt(...at(event)); drawPad(); readPad(); });
  canvas.addEventListener('pointermove', (event) => { if (!drawing) return; inkAt(...at(event)); drawPad(); readPad(); });
  canvas.addEventListener('pointerup', () => { drawing = false; readPad(); });
  $('pad-clear').addEventListener('click', clearPad);
  drawPad();
}
