// Drives the dashboard of a sensor or trade node (`vigil demo --kind ...`) in
// headless Chromium (Debian's /usr/bin/chromium, through playwright-core)
// for kind_dashboard_test.cpp.
//
//   node kind_dashboard.mjs URL SCREENSHOT KIND [KEY]
//
// Checks: the page loads without console errors or failed requests and
// shows the kind view (not the service cards): one table row per key with
// its latest window. KIND trade: clicking KEY's row (default SYM0002|XNAS)
// selects it, and its candles are drawn with uPlot: the page's model
// (window.vigilDashboard) holds consistent OHLC candles, the draw hook drew
// them all, and the canvas has rising (green) and falling (red) candle
// pixels and the VWAP line; the scheduled 8 % jump of SYM0002 is then listed
// as an anomaly of a SYM0002 key and marked in the table. KIND sensor: 16
// sensors, one chart per measure with values. Saves SCREENSHOT and prints a
// JSON summary on stdout. Exit status 0 only if every check held.
import { launchBrowser } from './browser.mjs';

const [url, screenshot, kind, keyArg] = process.argv.slice(2);
if (!url || !screenshot || !['trade', 'sensor'].includes(kind)) {
  console.error('usage: node kind_dashboard.mjs URL SCREENSHOT trade|sensor '
    + '[KEY]');
  process.exit(2);
}

const failures = [];
const problems = []; // console errors, page errors, failed requests
const summary = { kind };

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

// Pixels of the canvas under `selector` within 2 of each RGB color.
async function colorPixels(page, selector, colors) {
  return page.evaluate(([sel, cs]) => {
    const canvas = document.querySelector(sel);
    if (!canvas) return null;
    const ctx = canvas.getContext('2d');
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = cs.map(() => 0);
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 255) continue;
      cs.forEach((c, k) => {
        if (Math.abs(data[i] - c[0]) <= 2 && Math.abs(data[i + 1] - c[1]) <= 2
            && Math.abs(data[i + 2] - c[2]) <= 2) counts[k]++;
      });
    }
    return counts;
  }, [selector, colors]);
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

  // The kind view, not the service cards.
  summary.bodyKind = await until('the page switches to the ' + kind + ' view',
    30000, () => page.evaluate(() => document.body.dataset.kind || null));
  check(summary.bodyKind === kind, 'body data-kind is ' + kind + ', got '
    + summary.bodyKind);
  summary.view = await page.evaluate(() => ({
    servicesHidden: document.getElementById('services-panel').hidden,
    kindShown: !document.getElementById('kind-panel').hidden,
    cards: document.querySelectorAll('.service-card').length,
    title: document.getElementById('kind-name').textContent,
    headers: [...document.querySelectorAll('#kind-keys thead th')]
      .map((th) => th.textContent),
  }));
  check(summary.view.servicesHidden && summary.view.kindShown
    && summary.view.cards === 0, 'the kind panel replaces the service cards');

  if (kind === 'trade') {
    const key = keyArg || 'SYM0002|XNAS';
    check(summary.view.title === 'Symbols', 'the panel is titled Symbols, got '
      + summary.view.title);
    for (const h of ['symbol', 'exchange', 'events', 'price open',
      'price high', 'price low', 'price close', 'price vwap', 'size sum'])
      check(summary.view.headers.includes(h), 'the table has a column ' + h);
    // Every symbol, each on its exchanges, with its latest candle.
    summary.table = await until('20 symbols listed', 30000, () =>
      page.evaluate(() => {
        const rows = [...document.querySelectorAll('#kind-keys tbody tr')];
        const symbols = new Set(rows.map((r) => r.dataset.key.split('|')[0]));
        const close = document.querySelector(
          '#kind-keys tbody tr td[data-column="price_close"]');
        return symbols.size === 20 && close
          ? { rows: rows.length, symbols: symbols.size,
            firstClose: close.textContent } : null;
      }));
    check(summary.table && /^[0-9][0-9,]*\.[0-9]+$/
      .test(summary.table.firstClose), 'a latest close is shown');

    // The operator picks a symbol: its candles are drawn.
    await page.click('#kind-keys tbody tr[data-key="' + key + '"]');
    summary.selected = await until('the candles of ' + key, 30000, () =>
      page.evaluate((k) => {
        const m = window.vigilDashboard;
        const d = document.getElementById('kind-detail');
        return m && m.key === k && d.dataset.key === k && m.candles
          && m.candles.length >= 10 && m.candlesDrawn === m.candles.length
          ? { key: m.key, candles: m.candles.length,
            drawn: m.candlesDrawn, attr: d.dataset.candles,
            canvases: document.querySelectorAll('#kind-charts canvas').length,
            hash: location.hash }
          : null;
      }, key));
    if (check(summary.selected != null, 'candles of ' + key + ' drawn')) {
      check(summary.selected.canvases === 1, 'one candle chart');
      check(summary.selected.hash === '#key=' + encodeURIComponent(key),
        'the address names the selected key: ' + summary.selected.hash);
      check(summary.selected.attr === String(summary.selected.candles),
        'data-candles is the candle count');
    }
    // Each candle is a consistent OHLC with a VWAP within its range.
    const model = await page.evaluate(() => window.vigilDashboard.candles);
    let bad = 0, up = 0, down = 0;
    for (const c of model || []) {
      const ok = [c.open, c.high, c.low, c.close, c.vwap, c.volume]
        .every((v) => typeof v === 'number' && isFinite(v))
        && c.low <= Math.min(c.open, c.close)
        && Math.max(c.open, c.close) <= c.high
        && c.low - 1e-9 <= c.vwap && c.vwap <= c.high + 1e-9
        && c.volume > 0 && c.events > 0;
      if (!ok) bad++;
      if (c.close > c.open) up++;
      if (c.close < c.open) down++;
    }
    summary.model = { candles: (model || []).length, bad, up, down,
      last: model && model[model.length - 1] };
    check(bad === 0, bad + ' candles are not consistent OHLC with volume');
    check(up > 0 && down > 0, 'both rising and falling candles: ' + up
      + ' up, ' + down + ' down');
    // What the draw hook painted: green and red candle bodies, the yellow
    // VWAP line.
    const [green, red, yellow] = await colorPixels(page,
      '#kind-charts .chart-candles canvas',
      [[0x3d, 0xdc, 0x84], [0xff, 0x33, 0x55], [0xff, 0xd2, 0x3f]]) || [];
    summary.pixels = { green, red, yellow };
    check(green > 20 && red > 20, 'rising and falling candles are drawn: '
      + green + ' green and ' + red + ' red pixels');
    check(yellow > 20, 'the VWAP line is drawn: ' + yellow + ' px');
    summary.stats = await page.$$eval('#kind-stats .stat', (els) =>
      els.map((e) => e.querySelector('.stat-label').textContent + '='
        + e.querySelector('.stat-value').textContent));
    check(summary.stats.some((s) => s.startsWith('close=')),
      'the latest close is shown');

    // The demo's 8 % jump of SYM0002: an anomaly of a SYM0002 key, listed
    // and marked in the table.
    summary.jump = await until('the jump of SYM0002 listed', 240000, () =>
      page.evaluate(() => {
        const li = document.querySelector(
          '#anomalies li[data-metric="price"][data-service^="SYM0002|"]');
        if (!li) return null;
        const tr = document.querySelector('#kind-keys tbody tr[data-key="'
          + li.dataset.service + '"]');
        return { service: li.dataset.service, severity: li.dataset.severity,
          score: li.querySelector('.score').textContent,
          rowAnomalies: tr ? Number(tr.dataset.anomalies) : 0,
          verdict: document.getElementById('verdict').textContent };
      }));
    if (summary.jump) {
      check(summary.jump.rowAnomalies > 0, 'the key\'s row counts it');
      check(/^jump score /.test(summary.jump.score), 'the jump rule fired: '
        + summary.jump.score);
    }
  } else {
    check(summary.view.title === 'Sensors', 'the panel is titled Sensors, got '
      + summary.view.title);
    summary.table = await until('16 sensors listed', 30000, () =>
      page.evaluate(() => {
        const rows = [...document.querySelectorAll('#kind-keys tbody tr')];
        return rows.length === 16 ? { rows: rows.length,
          keys: rows.map((r) => r.dataset.key).sort() } : null;
      }));
    if (summary.table)
      check(summary.table.keys.every((k) => /^sensor-\d{4}\|.+$/.test(k)),
        'each row is a sensor_id|site key');
    for (const h of ['sensor id', 'site', 'events', 'ph mean',
      'temperature c mean', 'humidity pct mean', 'ec ms cm mean'])
      check(summary.view.headers.includes(h), 'the table has a column ' + h);
    // The selected sensor: one chart per measure, each with values.
    summary.selected = await until('the charts of a sensor', 30000, () =>
      page.evaluate(() => {
        const m = window.vigilDashboard;
        const canvases = document.querySelectorAll('#kind-charts canvas');
        if (!m || !m.key || !m.series || canvases.length !== 4) return null;
        const counts = Object.fromEntries(Object.entries(m.series).map(
          ([k, v]) => [k, v.filter((x) => typeof x === 'number').length]));
        return Object.values(counts).every((n) => n >= 5)
          ? { key: m.key, counts, candles: m.candles || null } : null;
      }));
    if (summary.selected)
      check(summary.selected.candles === null, 'no candles for sensors');
  }

  await until('a second refresh', 15000, () => page.evaluate(() =>
    Number(document.body.dataset.refreshes) >= 2));
  summary.verdict = await page.$eval('#verdict', (e) => e.textContent);
  check(/SYMBOLS|SENSORS|ALERTING/.test(summary.verdict), 'the verdict counts '
    + 'the keys: ' + summary.verdict);
  await page.screenshot({ path: screenshot, fullPage: true });
  summary.screenshot = screenshot;
} catch (e) {
  failures.push('exception: ' + (e && e.stack ? e.stack : e));
} finally {
  await close();
}

for (const p of problems) failures.push(p);
summary.failures = failures;
console.log(JSON.stringify(summary, null, 1));
process.exit(failures.length ? 1 : 0);
