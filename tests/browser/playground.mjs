// The playground in a real browser: headless Chromium (Debian's package) driven by
// playwright-core. Starts `scalargrad playground --port 0`, loads the page, and checks what a
// learner does: Play (the step count rises, the loss falls), Pause (it holds), Step (+1),
// Reset (back to 0), a second tab (its own model), a point's graph and an explained gradient,
// controls made from the server's vocabulary (a dataset and an optimizer changed through them),
// a table of five columns uploaded, with no errors in the console. Saves screenshots in
// tests/browser/screenshots/.
//
//   node tests/browser/playground.mjs [path/to/scalargrad]

import { join } from 'node:path';
import { check, launchBrowser, shots, startServer, waitFor, watchConsole } from './harness.mjs';

const { server, address } = await startServer();
const browser = await launchBrowser();
const errors = [];
const expected = { refusals: 0 }; // the bad upload's 400, which Chromium logs as a failed resource
const watch = (page, name) => watchConsole(page, name, errors, expected);

const stepOf = async (page) => Number(await page.locator('#step').textContent());
const lossOf = async (page) => Number(await page.locator('#train-loss').textContent());

let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  watch(page, 'tab 1');
  await page.goto(address);
  await waitFor(page, async () => (await page.locator('#train-loss').textContent()) !== '-', 'the first state');
  check(await stepOf(page) === 0, 'the page starts at step 0');
  const firstLoss = await lossOf(page);
  // the controls come from the server's vocabulary, not from lists in the page
  const vocabulary = await (await fetch(address + 'api/vocabulary')).json();
  const listed = (key) => vocabulary.settings.find((s) => s.key === key).range.choices.map((c) => c.name);
  const optionsOf = async (id) => page.locator(`#${id} option`).evaluateAll((all) => all.map((o) => o.value).filter((v) => v && v !== 'upload'));
  for (const key of ['dataset', 'optimizer', 'activation']) {
    check(JSON.stringify(await optionsOf(key)) === JSON.stringify(listed(key)), `the ${key} control lists the server's ${listed(key).length} choices`);
  }
  check(Number.isFinite(firstLoss) && Number.isFinite(Number(await page.locator('#test-loss').textContent())), `train and test losses are shown (${firstLoss})`);
  await page.screenshot({ path: join(shots, 'start.png'), fullPage: true });

  const play = page.getByRole('button', { name: /^Play/ });
  await play.click();
  await waitFor(page, async () => await stepOf(page) >= 50, 'the step count to pass 50');
  // the pace, reported (speed is for the bench to measure, not for a test to assert)
  const before = { step: await stepOf(page), redraws: await page.evaluate(() => redraws), at: Date.now() };
  await page.waitForTimeout(2000);
  const seconds = (Date.now() - before.at) / 1000;
  const steps = (await stepOf(page) - before.step) / seconds;
  const drawn = (await page.evaluate(() => redraws) - before.redraws) / seconds;
  console.log(`info the default network played at ${steps.toFixed(0)} steps/s with ${drawn.toFixed(1)} redraws/s`);
  // the learning rate changes while playing without starting over
  const atChange = await stepOf(page);
  await page.locator('#lr').fill('0.3');
  await page.locator('#lr').dispatchEvent('change');
  await page.waitForTimeout(300);
  check(await stepOf(page) >= atChange, `changing the learning rate while playing does not reset (${atChange} -> ${await stepOf(page)})`);
  await waitFor(page, async () => await stepOf(page) >= 300, 'the step count to pass 300');
  check(await page.getByRole('button', { name: /^Pause/ }).count() === 1, 'the Play button reads Pause while playing');
  const playedLoss = await lossOf(page);
  check(playedLoss < firstLoss, `the training loss falls while playing (${firstLoss} -> ${playedLoss})`);
  await page.screenshot({ path: join(shots, 'playing.png'), fullPage: true });

  await page.getByRole('button', { name: /^Pause/ }).click();
  await waitFor(page, async () => (await page.getByRole('button', { name: /^Play/ }).count()) === 1, 'Play again after Pause');
  const paused = await stepOf(page);
  await page.waitForTimeout(700);
  check(await stepOf(page) === paused, `Pause holds the step count (${paused})`);

  await page.getByRole('button', { name: /^Step/ }).click();
  await waitFor(page, async () => await stepOf(page) === paused + 1, 'Step to advance by one');
  check(await stepOf(page) === paused + 1, 'Step advances by exactly one');

  // the computation graph of a training point: click the map where a point is drawn
  // (the first of the first 40 points whose loss is not 0: its graph has gradients to show)
  for (let i = 0; i < 40; i++) {
    const target = await page.evaluate((k) => {
      const [x, y] = toPixel(points.train[k][0], points.train[k][1]);
      return { x, y };
    }, i);
    await page.locator('#map').click({ position: target });
    await waitFor(page, async () => page.locator('#graph-panel').isVisible(), 'the graph panel');
    await page.waitForTimeout(100);
    if (Number(await page.locator('#graph-info b').textContent()) > 0) break;
  }
  check(await page.locator('#graph svg rect').count() > 10, 'a training point shows its computation graph');
  // a weight's gradient explained: the link with the largest gradient on the last step (a step
  // whose whole batch is beyond the hinge margin leaves every gradient 0: then step again)
  for (let tries = 0; tries < 20; tries++) {
    const largest = await page.evaluate(() => Math.max(...layout.links.map(([, l, k, j]) => Math.abs(state.network.layers[l][k].grads[j] || 0))));
    if (largest > 0) break;
    const before = await stepOf(page);
    await page.getByRole('button', { name: /^Step/ }).click();
    await waitFor(page, async () => await stepOf(page) === before + 1, 'one more step');
  }
  const shown = await page.evaluate(() => {
    let best = 0;
    layout.links.forEach(([, l, k, j], i) => {
      const [, bl, bk, bj] = layout.links[best];
      if (Math.abs(state.network.layers[l][k].grads[j]) > Math.abs(state.network.layers[bl][bk].grads[bj])) best = i;
    });
    layout.links[best][0].dispatchEvent(new MouseEvent('click'));
    const [, l, k, j] = layout.links[best];
    return state.network.layers[l][k].grads[j];
  });
  await waitFor(page, async () => page.locator('#explain-panel').isVisible(), 'the explanation');
  await waitFor(page, async () => (await page.locator('#explain table tr').count()) > 0, 'the explanation table');
  const rows = await page.locator('#explain table tr').count();
  check(rows >= 3, `a link's gradient is explained term by term (${rows - 2} terms)`);
  const sum = Number(await page.locator('#explain table tr:last-child th:last-child').textContent());
  check(Math.abs(sum - shown) <= 1e-4 * Math.max(1, Math.abs(shown)), `the terms sum to the gradient shown on the link (${sum} vs ${shown})`);

  // the chosen point's backward pass, step by step on its drawing (a point the hinge still
  // counts: its gradient flows past the loss)
  const flowing = await page.evaluate(async () => {
    for (let k = 0; k < points.train.length; k++) {
      await showGraph(k);
      if (graphData && graphData.backward.length >= 3) return k;
    }
    return -1;
  });
  check(flowing >= 0, `a training point whose gradient flows back through the network (point ${flowing})`);
  await page.click('#graph-step');
  check(await page.locator('#graph .hot-box').count() === 1 && (await page.locator('#graph-step-text').textContent()).startsWith('Step 1 of'),
    `Backward step highlights the first node and writes its terms (${await page.locator('#graph-step-text').textContent()})`);
  await page.click('#graph-step');
  check((await page.locator('#graph-step-text').textContent()).startsWith('Step 2 of') && await page.locator('#graph path.hot-edge').count() >= 1,
    'the second step highlights the edges its gradient flows through');

  // every parameter in a table, sorted by |gradient|, then in the network's order
  await page.click('#show-parameters');
  await waitFor(page, async () => (await page.locator('#parameters tbody tr').count()) > 0, 'the parameter table');
  const gradsShown = await page.locator('#parameters tbody tr td:nth-child(3)').allTextContents();
  const magnitudes = gradsShown.map((t) => Math.abs(Number(t)));
  check(magnitudes.every((m, i) => i === 0 || m <= magnitudes[i - 1]), `the parameter table sorts by |gradient| (${gradsShown.slice(0, 4).join(', ')}, ...)`);
  await page.click('#sort-network');
  await waitFor(page, async () => (await page.locator('#parameters tbody tr td').first().textContent()) === 'w[0][0][0]', 'the network order');
  check(true, 'the parameter table sorts in the network\'s order too (w[0][0][0] first)');
  await page.locator('#parameters tbody tr').first().hover();
  check(await page.locator('path.link.highlight').count() === 1, 'hovering a row highlights its link in the network');
  await page.screenshot({ path: join(shots, 'details.png'), fullPage: true });

  // the chosen example's graph is live: different values at two moments of play
  const lossNow = await page.locator('#graph-loss').textContent();
  await page.getByRole('button', { name: /^Play/ }).click();
  await waitFor(page, async () => (await page.locator('#graph-loss').textContent()) !== lossNow, 'the graph to change while playing');
  check(true, `the chosen point's graph changes while training plays (loss ${lossNow} -> ${await page.locator('#graph-loss').textContent()})`);
  await page.getByRole('button', { name: /^Pause/ }).click();
  await waitFor(page, async () => (await page.getByRole('button', { name: /^Play/ }).count()) === 1, 'Pause');

  // points under the user's hand: add one with a click, drag one, shift-click to remove
  const pointsBefore = await page.evaluate(() => points.train.length);
  await page.selectOption('#point-mode', 'add');
  await page.locator('#map').click({ position: { x: 12, y: 12 } });
  await waitFor(page, async () => (await page.evaluate(() => points.train.length)) === pointsBefore + 1, 'the added point');
  check(true, `a click on the map adds a point (${pointsBefore} -> ${pointsBefore + 1} training points)`);
  const added = await page.evaluate(() => points.train[points.train.length - 1]);
  const [ax, ay] = await page.evaluate(([x, y]) => toPixel(x, y), added);
  const box = await page.locator('#map').boundingBox();
  const versionBeforeMove = await page.evaluate(() => points.version);
  await page.mouse.move(box.x + ax, box.y + ay);
  await page.mouse.down();
  await page.mouse.move(box.x + ax + 40, box.y + ay + 30, { steps: 5 });
  await page.mouse.up();
  await waitFor(page, async () => (await page.evaluate(() => points.version)) > versionBeforeMove, 'the server to move the point');
  check(await page.evaluate(() => points.train[points.train.length - 1][0]) > added[0], 'dragging a point moves it on the server');
  const csv = await page.evaluate(async () => (await fetch(document.getElementById('dl-data').href)).text());
  const total = await page.evaluate(() => points.train.length + points.test.length);
  check(csv.trim().split('\n').length === total + 1, `the edited data downloads as CSV (${total} rows and a header)`);
  const moved = await page.evaluate(() => toPixel(...points.train[points.train.length - 1]));
  await page.locator('#map').click({ position: { x: moved[0], y: moved[1] }, modifiers: ['Shift'] });
  await waitFor(page, async () => (await page.evaluate(() => points.train.length)) === pointsBefore, 'the removed point');
  check(true, 'shift-click removes a point');
  await page.selectOption('#point-mode', 'inspect');
  await page.screenshot({ path: join(shots, 'edited.png'), fullPage: true });

  await page.getByRole('button', { name: /^Reset/ }).click();
  await waitFor(page, async () => await stepOf(page) === 0, 'Reset to step 0');
  check(await stepOf(page) === 0, 'Reset starts over at step 0');
  const resetLoss = await lossOf(page);
  check(Math.abs(resetLoss - firstLoss) < 1e-9, `Reset brings back the same initial loss (${resetLoss})`);

  // a second tab trains its own model: tab 1 stays at 0 while tab 2 plays
  const second = await context.newPage();
  watch(second, 'tab 2');
  await second.goto(address + '?dataset=spiral&classes=3&hidden=8,8&activation=relu&lr=0.03&loss=cross-entropy');
  await waitFor(second, async () => (await second.locator('#train-loss').textContent()) !== '-', 'tab 2 state');
  await second.getByRole('button', { name: /^Play/ }).click();
  await waitFor(second, async () => await stepOf(second) >= 100, 'tab 2 to play');
  await page.waitForTimeout(200);
  check(await stepOf(page) === 0, 'tab 1 is still at step 0 while tab 2 plays: each tab has its own model');
  check(await second.locator('#dataset').inputValue() === 'spiral', 'the settings came from the URL');
  check((await second.locator('#confusion tr').count()) === 4, 'a 3-class confusion matrix is shown');
  await second.screenshot({ path: join(shots, 'second-tab.png'), fullPage: true });
  await second.getByRole('button', { name: /^Pause/ }).click();

  // your own CSV file: uploaded from the page, trained on; a bad one names its line
  expected.refusals = 1;
  await page.locator('#upload').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('x1,x2,label\n0,0,a\n1,oops,b\n') });
  await waitFor(page, async () => (await page.locator('#banner').textContent()).includes('line 3'), 'the bad line to be named');
  check(true, 'a bad CSV file is refused, naming its line');
  let csvRows = 'x1,x2,label\n';
  for (let i = 0; i < 60; i++) csvRows += `${(i % 10) / 5 - 1},${Math.floor(i / 10) / 3 - 1},${i % 10 < 5 ? 'left' : 'right'}\n`;
  await page.locator('#upload').setInputFiles({ name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(csvRows) });
  await waitFor(page, async () => (await page.locator('#dataset').inputValue()) === 'upload', 'the uploaded data');
  check((await page.locator('#confusion').textContent()).includes('right'), 'an uploaded file is trained on, its class names shown');

  // a diverging run stops and names the first non-finite number
  const third = await context.newPage();
  watch(third, 'tab 3');
  await third.goto(address + '?dataset=gauss&hidden=32,32,32&activation=relu&lr=100&loss=mse');
  await waitFor(third, async () => (await third.locator('#train-loss').textContent()) !== '-', 'tab 3 state');
  await third.getByRole('button', { name: /^Play/ }).click();
  await waitFor(third, async () => (await third.locator('#banner').textContent()).includes('First non-finite number'), 'the divergence report');
  await waitFor(third, async () => (await third.getByRole('button', { name: /^Play/ }).count()) === 1, 'play to stop by itself');
  check(true, 'a diverging run stops by itself and shows the first non-finite number and its op');
  await third.screenshot({ path: join(shots, 'diverged.png') });
  await third.close();

  // a dataset and an optimizer changed through the controls: the session takes them
  await page.locator('#dataset').selectOption('circles');
  await waitFor(page, async () => (await page.evaluate(() => state.settings.dataset)) === 'circles', 'the circles');
  await page.locator('#optimizer').selectOption('adam');
  await waitFor(page, async () => (await page.evaluate(() => state.settings.optimizer)) === 'adam', 'adam');
  check(page.url().includes('dataset=circles') && page.url().includes('optimizer=adam'), 'a dataset and an optimizer chosen through the controls reach the session and the URL');
  await page.getByRole('button', { name: /^Step/ }).click();
  await waitFor(page, async () => await stepOf(page) === 1, 'a step with adam');

  // a table of five named columns, its label named: its map is a slice over two of them
  let table = 'a,b,kind,c,d,e\n';
  for (let i = 0; i < 80; i++) {
    const v = (i % 20) / 10 - 1, w = Math.floor(i / 20) / 2 - 0.75;
    table += `${v},${w},${v * w > 0 ? 'same' : 'mixed'},${(i % 7) / 7},${(i % 3) - 1},${i % 2}\n`;
  }
  await page.locator('#upload-label').fill('kind');
  await page.locator('#upload').setInputFiles({ name: 'five.csv', mimeType: 'text/csv', buffer: Buffer.from(table) });
  await waitFor(page, async () => (await page.evaluate(() => state.settings.data)) === 'five.csv', 'the five-column table');
  const inputs = await page.evaluate(() => state.network.features.length);
  check(inputs === 5, `a table of five input columns is trained on (${inputs} inputs)`);
  check((await page.locator('#map-title').textContent()).includes('a slice'), 'its map is a slice over two columns');
  await page.getByRole('button', { name: /^Play/ }).click();
  await waitFor(page, async () => await stepOf(page) >= 100, 'the table to train');
  await page.getByRole('button', { name: /^Pause/ }).click();
  await page.screenshot({ path: join(shots, 'table.png'), fullPage: true });
  await page.locator('#dataset').selectOption('moons');
  await waitFor(page, async () => (await page.evaluate(() => state.settings.data)) === null, 'back to the moons');

  // the digits: their own settings come with them, and a digit drawn on the pad is read
  await page.locator('#dataset').selectOption('digits');
  await waitFor(page, async () => !(await page.locator('#pad-panel').isHidden()), 'the drawing pad');
  check(await page.evaluate(() => JSON.stringify(state.settings.hidden)) === '[32]' && await page.evaluate(() => state.settings.optimizer) === 'adam',
    'choosing the digits brings their settings within the page\'s limits (one layer of 32, Adam)');
  await page.getByRole('button', { name: /^Play/ }).click();
  await waitFor(page, async () => await stepOf(page) >= 40, 'the digits to train', 60000);
  console.log(`info the digits played to step ${await stepOf(page)}`);
  // a "1": one stroke down the middle of the pad
  const pad = await page.locator('#digit-pad').boundingBox();
  await page.mouse.move(pad.x + pad.width * 0.52, pad.y + pad.height * 0.15);
  await page.mouse.down();
  await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.85, { steps: 12 });
  await page.mouse.up();
  await waitFor(page, async () => /^[0-9]$/.test(await page.locator('#digit-prediction').textContent()), 'a prediction');
  const read = await page.locator('#digit-prediction').textContent();
  const bars = await page.locator('#pad-probabilities .bar').count();
  check(bars === 10, `the pad's digit is read as ${read}, with all ten probabilities shown`);
  const inked = await page.evaluate(() => pad.filter(Boolean).length);
  check(inked > 20, `the stroke inked ${inked} of the pad's 1024 pixels`);
  await page.getByRole('button', { name: /^Pause/ }).click();
  await page.screenshot({ path: join(shots, 'digits.png'), fullPage: true });
  await page.locator('#output-column').screenshot({ path: join(shots, 'digits-pad.png') });
  await page.click('#pad-clear');
  check(await page.locator('#digit-prediction').textContent() === '-', 'Clear empties the pad');
  await page.locator('#dataset').selectOption('moons');
  await waitFor(page, async () => (await page.locator('#pad-panel').isHidden()) && (await page.evaluate(() => JSON.stringify(state.settings.hidden))) !== '[32]', 'back to the moons');

  // a reload keeps the configuration, which lives in the URL
  await page.locator('#activation').selectOption('relu');
  await waitFor(page, async () => page.url().includes('activation=relu'), 'the URL to follow the settings');
  await page.reload();
  await waitFor(page, async () => (await page.locator('#train-loss').textContent()) !== '-', 'the reloaded state');
  check(await page.locator('#activation').inputValue() === 'relu', 'a reload brings the configuration back');

  check(errors.length === 0, 'no errors in the console' + (errors.length ? ': ' + errors.join('; ') : ''));
} catch (error) {
  console.error(error.message);
  console.error('banner: ' + await browser.contexts()[0]?.pages()[0]?.locator('#banner').textContent().catch(() => '?'));
  exitCode = 1;
} finally {
  await browser.close();
  server.kill('SIGINT');
}
process.exit(exitCode);
