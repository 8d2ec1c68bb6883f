// Drives vigil's dashboard in headless Chromium (Debian's /usr/bin/chromium,
// through playwright-core) for dashboard_test.cpp.
//
//   node dashboard.mjs URL SCREENSHOT [SYNC_DIR]
//
// Checks: the page loads without console errors or failed requests; one card
// with three charts per service (8); the errors incident on payments is
// marked (chart band, card entry and anomalies list), listed as an incident
// with its summary, and payments is listed first. With SYNC_DIR: writes SYNC_DIR/seen (the latest window shown), waits
// for SYNC_DIR/more (the test produced more events), then waits, without
// reloading, until the page shows a newer window. Saves a screenshot of the
// incident (SCREENSHOT with -incident before .png) and one at the end, and
// prints a JSON summary on stdout. Exit status 0 only if every check held.
import { launchBrowser } from './browser.mjs';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [url, screenshot, syncDir] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error('usage: node dashboard.mjs URL SCREENSHOT [SYNC_DIR]');
  process.exit(2);
}

const SERVICES = 8;
const failures = [];
const problems = []; // console errors, page errors, failed requests
const summary = {};

function check(ok, what) {
  if (!ok) failures.push(what);
  return ok;
}

async function until(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) {
      failures.push('timed out: ' + what);
      return null;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const { browser, close } = await launchBrowser();

try {
  const page = browser.pages()[0] || await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) =>
    problems.push('request failed: ' + r.url() + ' '
      + (r.failure() ? r.failure().errorText : '')));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push('HTTP ' + r.status() + ' ' + r.url());
  });

  const response = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  check(response && response.ok(), 'GET / answers 200');
  await page.evaluate(() => { window.__vigilSentinel = 'same page'; });

  // One card per service, each with its three uPlot charts drawn.
  const cards = await until('one card per service', 30000, async () => {
    const n = await page.evaluate(() =>
      document.querySelectorAll('.service-card .charts canvas').length);
    const c = await page.locator('.service-card').count();
    return c === SERVICES && n === 3 * SERVICES ? c : null;
  });
  summary.cards = cards;
  summary.services = await page.$$eval('.service-card',
    (els) => els.map((e) => e.dataset.service));

  // The incident: marked on the payments card and in the anomalies list.
  const marked = await until('payments anomaly marked', 30000, () =>
    page.evaluate(() => {
      const card = document.querySelector(
        '.service-card[data-service="payments"]');
      const entry = document.querySelector(
        '#anomalies li[data-service="payments"][data-metric="error_rate"]');
      const mark = card && card.querySelector(
        '.card-anomalies li[data-metric="error_rate"]');
      return card && Number(card.dataset.anomalies) > 0 && entry && mark
        ? { anomalies: Number(card.dataset.anomalies),
            severity: entry.dataset.severity,
            score: entry.querySelector('.score').textContent }
        : null;
    }));
  summary.payments = marked;
  // The combined detector names what fired and scores in [0, 1].
  const scored = /^(spike|level_shift|variance_change) score (0\.[5-9]\d|1\.00)$/
    .test(marked.score);
  check(scored, 'the anomaly names its detector and a score in [0.5, 1], got '
    + marked.score);
  summary.first = await page.$eval('.service-card',
    (e) => e.dataset.service);
  check(summary.first === 'payments', 'payments (alerting) is shown first, '
    + 'got ' + summary.first);
  // The incident the narrator made of it, in the incidents list.
  summary.incident = await until('payments incident listed', 30000, () =>
    page.evaluate(() => {
      const li = document.querySelector(
        '#incidents li.incident[data-service="payments"]');
      return li ? { severity: li.dataset.severity, open: li.dataset.open,
        since: li.querySelector('.since').textContent,
        duration: li.querySelector('.duration').textContent,
        summary: li.querySelector('.summary').textContent } : null;
    }));
  if (check(summary.incident != null, 'the payments incident is listed')) {
    check(/^payments: error rate up to [0-9.]+% vs [0-9.]+% expected/
      .test(summary.incident.summary), 'the incident summary names the error '
      + 'rate: ' + summary.incident.summary);
    check(['high', 'critical'].includes(summary.incident.severity),
      'the incident is high or critical, got ' + summary.incident.severity);
    check(/^since \d\d:\d\d:\d\d$/.test(summary.incident.since),
      'the incident says since when');
    check(/^(ongoing|resolved) · /.test(summary.incident.duration),
      'the incident says ongoing or how long it lasted');
  }
  summary.verdict = await page.$eval('#verdict', (e) => e.textContent);
  check(/payments/.test(summary.verdict), 'the verdict names payments');

  // The error-rate chart of payments has a marker drawn in its plot area:
  // pixels of a severity color (not the line's color) on the canvas.
  summary.markerPixels = await page.evaluate(() => {
    const canvas = document.querySelector(
      '.service-card[data-service="payments"] .chart-errors canvas');
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d');
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const colors = [[0xff, 0x33, 0x55], [0xff, 0x8c, 0x1a],
      [0xff, 0xd2, 0x3f], [0x7f, 0xb2, 0xff]];
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 255) continue;
      for (const c of colors)
        if (Math.abs(data[i] - c[0]) < 3 && Math.abs(data[i + 1] - c[1]) < 3
            && Math.abs(data[i + 2] - c[2]) < 3) { ++n; break; }
    }
    return n;
  });
  check(summary.markerPixels > 20, 'an anomaly marker is drawn on the '
    + 'payments error chart (' + summary.markerPixels + ' px)');

  summary.health = await page.$$eval('#health .tile', (els) =>
    els.map((e) => e.querySelector('.tile-label').textContent + '='
      + e.querySelector('.tile-value').textContent));
  check(summary.health.some((t) => t.startsWith('consumer lag=')),
    'consumer lag is shown');

  // The incident as the on-call engineer sees it (docs/dashboard.png),
  // after a second refresh has filled in events/s.
  await until('a second refresh', 15000, () => page.evaluate(() =>
    Number(document.body.dataset.refreshes) >= 2));
  await page.screenshot({ path: screenshot.replace(/\.png$/, '')
    + '-incident.png', fullPage: true });

  if (syncDir) {
    const seen = Number(await page.$eval('#services',
      (e) => e.dataset.latestWindow));
    summary.seenWindow = seen;
    check(seen > 0, 'a latest window is shown');
    writeFileSync(join(syncDir, 'seen'), String(seen));
    await until('the test to produce more events', 180000,
      () => existsSync(join(syncDir, 'more')));
    const newer = await until('a newer window without reload', 90000,
      () => page.evaluate((s) => {
        const w = Number(document.getElementById('services')
          .dataset.latestWindow);
        return w > s ? w : null;
      }, seen));
    summary.newerWindow = newer;
    const same = await page.evaluate(() => window.__vigilSentinel);
    check(same === 'same page', 'the page was not reloaded');
  }

  await page.screenshot({ path: screenshot, fullPage: true });
  summary.screenshot = screenshot;

  if (syncDir) {
    // The operator holds consumption with `vigil console pause`: the
    // health tiles say so on the next refresh.
    writeFileSync(join(syncDir, 'ready-to-pause'), '1');
    await until('the test to pause the node', 60000,
      () => existsSync(join(syncDir, 'paused')));
    summary.pausedTile = await until('a paused tile', 30000, () =>
      page.evaluate(() => {
        for (const t of document.querySelectorAll('#health .tile')) {
          if (t.querySelector('.tile-label').textContent === 'consumption')
            return t.querySelector('.tile-value').textContent + ' '
              + (t.title || t.textContent);
        }
        return null;
      }));
    check(/^paused .*by the operator since/.test(summary.pausedTile || ''),
      'the consumption tile says paused by the operator: '
      + summary.pausedTile);
  }
} catch (e) {
  failures.push('exception: ' + (e && e.stack ? e.stack : e));
} finally {
  await close();
}

for (const p of problems) failures.push(p);
summary.failures = failures;
console.log(JSON.stringify(summary, null, 1));
process.exit(failures.length ? 1 : 0);
