// The e2e suite's small test harness: steps with pass/fail/skip counts, screenshots, page
// helpers that record CSP violations, and login/bot-status helpers against one server.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });

export const results = { passed: 0, failed: 0, skipped: 0 };
export const problems = [];
let base = '';

/** The server every helper talks to. */
export function setBase(url) { base = url; }

/** Runs one named step; a step that returns `{skip: reason}` is counted as skipped. */
export async function step(name, fn) {
  const started = Date.now();
  try {
    const outcome = await fn();
    if (outcome && outcome.skip) {
      results.skipped += 1;
      console.log(`SKIP ${name}: ${outcome.skip}`);
    } else {
      results.passed += 1;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    }
  } catch (err) {
    results.failed += 1;
    console.log(`FAIL ${name}: ${err && err.stack ? err.stack.split('\n').slice(0, 4).join('\n     ') : err}`);
  }
}

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

/** A page that records CSP violations and uncaught errors (404 "not deployed" loads are fine). */
export async function newPage(context) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  return page;
}

export async function login(page, email, password) {
  await page.goto(base + '/');
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
}

export async function botStatus(page, name) {
  return page.getAttribute(`tr[data-bot-name="${name}"] .status-cell .badge`, 'data-status');
}

export async function waitStatus(page, name, status, timeout = 10000) {
  await page.waitForSelector(`tr[data-bot-name="${name}"] .badge[data-status="${status}"]`, { timeout });
}

/** False when the server answers the JSON 404 of an unknown route (feature not deployed). */
export async function routeExists(p) {
  const r = await fetch(base + p);
  const body = await r.json().catch(() => ({}));
  return !(r.status === 404 && body?.error?.code === 'NOT_FOUND');
}
