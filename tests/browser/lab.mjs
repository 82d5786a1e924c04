// The lab in a real browser: headless Chromium driven by playwright-core. Starts
// `scalargrad playground --port 0`, opens /lab from the playground's header, loads a notebook
// preset, steps its backward pass to the end and reads the notebook's gradients off the page;
// checks Forward step, the scrubber, the notebook-engine view, a parse error and the gradient
// check table, with no errors in the console. Saves screenshots in tests/browser/screenshots/.
//
//   node tests/browser/lab.mjs [path/to/scalargrad]

import { join } from 'node:path';
import { check, launchBrowser, shots, startServer, waitFor, watchConsole } from './harness.mjs';

const { server, address } = await startServer();
const browser = await launchBrowser();
const errors = [];
const expected = { refusals: 0 };

let exitCode = 0;
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  watchConsole(page, 'lab', errors, expected);

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
  expected.refusals = 1;
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
