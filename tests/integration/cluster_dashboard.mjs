// Drives a vigil store's dashboard in headless Chromium (Debian's
// /usr/bin/chromium, through playwright-core) for cluster_test.cpp.
//
//   node cluster_dashboard.mjs URL NODE [NODE...]
//
// Checks: the page loads without console errors or failed requests; the
// cluster panel is shown, says the cluster runs, and lists one row per named
// node with its role and a non-empty partition list; the partitions of the
// rows are disjoint and together cover the topic. Prints a JSON summary on
// stdout; exit status 0 only if every check held.
import { launchBrowser } from './browser.mjs';

const [url, ...names] = process.argv.slice(2);
if (!url || names.length === 0) {
  console.error('usage: node cluster_dashboard.mjs URL NODE [NODE...]');
  process.exit(2);
}
const failures = [];
const problems = [];
const check = (ok, what) => { if (!ok) failures.push(what); return ok; };

const { browser, close } = await launchBrowser();
let view = null;
try {
  const page = browser.pages()[0] || await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
  const response = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  check(response && response.ok(), 'GET / answers 200');
  const deadline = Date.now() + 45000;
  for (;;) {
    view = await page.evaluate(() => {
      const panel = document.getElementById('cluster-panel');
      const rows = [...document.querySelectorAll('#nodes tbody tr')].map(
        (tr) => [...tr.cells].map((td) => td.textContent));
      return {
        shown: panel && !panel.hidden,
        state: document.getElementById('cluster-state').dataset.state || '',
        header: document.getElementById('cluster-state').textContent,
        rows,
      };
    });
    const have = new Set(view.rows.map((r) => r[0]));
    if (view.shown && view.state === 'running'
        && names.every((n) => have.has(n))) break;
    if (Date.now() > deadline) {
      failures.push('timed out waiting for a running cluster of '
        + names.join(', ') + ': ' + JSON.stringify(view));
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // "16: 0-15" -> [0..15]
  const parts = (cell) => {
    const list = cell.split(': ')[1] || 'none';
    if (list === 'none') return [];
    return list.split(',').flatMap((r) => {
      const [a, b] = r.split('-').map(Number);
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  };
  const seen = new Map();
  for (const row of view.rows) {
    if (!names.includes(row[0])) continue;
    check(row[1] === 'ingest', row[0] + ': role ' + row[1]);
    const ps = parts(row[3]);
    check(ps.length > 0 && ps.length === Number(row[3].split(':')[0]),
      row[0] + ': partitions ' + row[3]);
    for (const p of ps) {
      check(!seen.has(p), 'partition ' + p + ' listed for ' + seen.get(p)
        + ' and ' + row[0]);
      seen.set(p, row[0]);
    }
  }
  view.partitions = seen.size;
} finally {
  await close();
}
check(problems.length === 0, 'page problems: ' + problems.join('; '));
console.log(JSON.stringify({ view, failures }, null, 1));
process.exit(failures.length ? 1 : 0);
