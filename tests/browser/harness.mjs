// What the browser tests share: the server started on port 0 (its address read from what it
// prints), headless Chromium started with this machine's flags, `check` and `waitFor`, and a
// console watcher that tells expected refusals (a 400 the test asked for) from errors.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

/** The binary to test: the first argument, else the debug build. */
export const binary = process.argv[2] || join(here, '..', '..', 'target', 'debug', 'scalargrad');

/** Where screenshots go (made if missing). */
export const shots = join(here, 'screenshots');
mkdirSync(shots, { recursive: true });

/** Fails the test with `message` unless `condition`; prints it when it holds. */
export function check(condition, message) {
  if (!condition) throw new Error('FAILED: ' + message);
  console.log('ok   ' + message);
}

/** Polls `predicate` every 50 ms until it holds, failing after `ms`. */
export async function waitFor(page, predicate, what, ms = 15000) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await predicate()) return;
    await page.waitForTimeout(50);
  }
  throw new Error('FAILED: timed out waiting for ' + what);
}

/** `scalargrad playground --port 0` and the address it prints first. */
export async function startServer() {
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
  return { server, address };
}

/** Headless Chromium (Debian's, or $CHROMIUM) with the flags this machine's closed network needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/**
 * Collects a page's console errors into `errors`, except as many "status of 400" messages as
 * `expected.refusals` allows (refusals the test provokes, which Chromium logs as failed
 * resources).
 */
export function watchConsole(page, name, errors, expected) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expected.refusals > 0 && message.text().includes('status of 400')) { expected.refusals -= 1; return; }
    errors.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
}
