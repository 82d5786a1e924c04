// The lab in a real browser: headless Chromium driven by playwright-core. Starts
// `scalargrad playground --port 0`, opens /lab from the playground's header, loads a notebook
// preset, steps its backward pass to the end and reads the notebook's gradients off the page;
// checks Forward step, the scrubber, the notebook-engine view, a parse error and the gradient
// check table, with no errors in the console. Saves screenshots in tests/browser/screenshots/.
//
//   node tests/browser/lab.mjs [path/to/scalargrad]

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2] || join(here, '..', '..', 'target', 'debug', 'scalargrad');
const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error('FAILED: ' + message);
  console.log('ok   ' + message);
}

const server = spawn(binary, ['playground', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const address = await new Promise((resolve, reject) => {
  let seen = '';
  server.stdout.on('data', (chunk) => {
    seen += chunk;
    const found = seen.match(/playground: (http:\/\/\S+)/);
    if (found) resolve(found[1]);
  });
  server.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  setTimeout(() => reject(new Error('the server printed no address within 20 s')), 20000);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});
const errors = [];
let refusalsExpected = 0;

const waitFor = async (page, predicate, what, ms = 15000) => {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await predicate()) return;
    await page.waitForTimeout(50);
  }
  throw new Error('FAILED: timed out waiting for ' + what);
};

let exitCode = 0;
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (refusalsExpected > 0 && message.text().includes('status of 400')) { refusalsExpected -= 1; return; }
    errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  // the playground's header links to the lab
  await page.goto(address);
  await page.click('a[href="/lab"]');
  await waitFor(page, async () => (await page.locator('#count').textContent()) !== '0', 'the first preset to run');
  check(page.url().endsWith('/lab'), 'the playground header opens the lab');
  const presetNames = await page.locator('#preset option').evaluateAll((all) => all.map((o) => o.value));
  check(presetNames.length === 12 && presetNames[0] === 'accumulation' && presetNames.includes('gradcheck'),
    `the notebook's cells are listed in order (${presetNames.join(', ')})`);

  // In [16]: z = x * -y; the page opens with the forward pass done
  await page.selectOption('#preset', 'neg');
  await waitFor(page, async () => (await page.locator('#program').inputValue()).includes('x * -y'), 'the neg preset');
  await waitFor(page, async () => (await page.locator('#output').textContent()) === '-20', 'the forward pass printed');
  const gradCell = (name) => page.locator('#variables tbody tr', { hasText: name }).locator('td').nth(2);
  check(await gradCell('z').textContent() === '0', 'before backward, the gradients are 0');
  await page.screenshot({ path: join(shots, 'lab-forward.png'), fullPage: true });

  // Backward step by step: each step one node's local backward, with its update written out
  const texts = [];
  for (let i = 0; i < 10; i += 1) {
    const before = await page.locator('#position').textContent();
    await page.click('#backward-step');
    if (await page.locator('#position').textContent() === before) break;
    texts.push(await page.locator('#event-text').textContent());
    if (i === 1) {
      check(await page.locator('#lab-graph .edge.hot').count() >= 1, 'the edge being applied is highlighted');
      await page.screenshot({ path: join(shots, 'lab-backward.png'), fullPage: true });
    }
  }
  check(texts.some((t) => /x\.grad \+= z\.grad x local = 1 x -5 -> -5/.test(t)),
    `an update reads x.grad += z.grad x local = 1 x -5 -> -5 (${texts.join(' | ')})`);
  await page.click('#end');
  check(await page.locator('#output').textContent() === '-20\n1 -5 -4', 'run to the end prints the notebook\'s 1 -5 -4');
  check(await gradCell('x').textContent() === '-5' && await gradCell('y').textContent() === '-4',
    'the variables table shows the notebook\'s gradients x = -5, y = -4');
  const records = await page.locator('#lab-graph g.record').count();
  check(records === 4, `the graph shows x, y, neg(y) and z as records (${records})`);

  // Forward step from the start creates the nodes one at a time
  await page.click('#restart');
  await page.click('#forward-step');
  check(await page.locator('#lab-graph g.record').count() === 1, 'one forward step: one node made');
  await page.click('#forward-step');
  check(await page.locator('#lab-graph g.record').count() === 1, 'the second leaf starts a graph of its own');
  // the scrubber moves through the timeline
  await page.locator('#scrubber').fill('8');
  check(await page.locator('#position').textContent() === '8', 'the scrubber moves to event 8');

  // accumulation: a second backward on the same nodes, and the notebook engine's view
  await page.selectOption('#preset', 'backward twice');
  await waitFor(page, async () => (await page.locator('#program').inputValue()).includes('y + y'), 'the preset');
  await page.click('#end');
  check(await page.locator('#output').textContent() === '12\n24', 'a second backward adds exactly the same: 12 then 24');
  await page.check('#notebook-mode');
  check(await gradCell('x').textContent() === '36', 'the notebook engine\'s view shows its 36');
  await page.screenshot({ path: join(shots, 'lab-notebook-engine.png'), fullPage: true });
  await page.uncheck('#notebook-mode');

  // the gradient check table
  await page.selectOption('#preset', 'gradcheck');
  await waitFor(page, async () => await page.locator('#checks tbody tr').count() === 17, 'the gradcheck table');
  const verdicts = await page.locator('#checks td.pass').count();
  check(verdicts === 17, 'all 17 of the notebook\'s gradient checks pass');
  await page.screenshot({ path: join(shots, 'lab-gradcheck.png'), fullPage: true });

  // a parse error names its line and column
  refusalsExpected = 1;
  await page.fill('#program', 'x = Node(5)\ny = x +');
  await page.click('#run');
  await waitFor(page, async () => !(await page.locator('#banner').isHidden()), 'the error banner');
  check((await page.locator('#banner').textContent()).startsWith('line 2, column 8:'), 'a parse error names line 2, column 8');
  check(errors.length === 0, `no errors in the console${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (error) {
  console.error(error.message);
  exitCode = 1;
} finally {
  await browser.close();
  server.kill('SIGINT');
}
process.exit(exitCode);
