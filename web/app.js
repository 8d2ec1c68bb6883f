// vigil dashboard: polls the node's JSON API, lists the incidents, and draws
// one card per service (requests/s, errors %, p95 ms) with uPlot, anomalies
// marked on the charts. A node of another event kind (GET /api/kind: sensor,
// trade, a declared one) gets the kind view instead of the service cards:
// its keys with their latest window, and the selected key charted (candles
// for a measure reporting ohlc).
// Everything is served by the node; no network access beyond it.
'use strict';

(function () {
  const REFRESH_MS = 3000;
  const STALE_MS = 15000;
  // Anomalies within this many windows of a service's latest one make it
  // "alerting" (the card turns red and moves up).
  const ACTIVE_WINDOWS = 3;

  const SEVERITY_RANK = { low: 1, medium: 2, high: 3, critical: 4 };
  const SEVERITY_COLOR = {
    low: '#7fb2ff',
    medium: '#ffd23f',
    high: '#ff8c1a',
    critical: '#ff3355',
  };

  // One chart per metric of a card; `metric` is the detector's name.
  const CHARTS = [
    { key: 'rate', metric: 'request_rate', title: 'requests/s',
      color: '#4fd1ff', fill: 'rgba(79,209,255,0.12)', minMax: 1 },
    { key: 'errors', metric: 'error_rate', title: 'errors %',
      color: '#ff9f7a', fill: 'rgba(255,159,122,0.12)', minMax: 2 },
    { key: 'p95', metric: 'p95_latency_ms', title: 'p95 ms',
      color: '#c9a8ff', fill: 'rgba(201,168,255,0.12)', minMax: 10 },
  ];

  const METRIC_LABEL = {
    request_rate: 'request rate',
    error_rate: 'error rate',
    p95_latency_ms: 'p95 latency',
  };

  const state = {
    minutes: 30,
    mode: null, // 'request' or 'kind' once GET /api/kind answered
    again: false, // refresh once more when the running one ends
    cards: new Map(), // service -> card
    lastOk: 0,
    lastEvents: null, // {events, at} for the events/s tile
    eventsPerSec: null,
    inFlight: false,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // -- formatting -------------------------------------------------------------

  function fmtRate(v) {
    if (v == null || !isFinite(v)) return '–';
    return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
  }

  function fmtPct(v) {
    if (v == null || !isFinite(v)) return '–';
    return v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : Math.round(v) + '';
  }

  function fmtMs(v) {
    if (v == null || !isFinite(v)) return '–';
    return v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
  }

  function fmtCount(v) {
    if (v == null || !isFinite(v)) return '–';
    if (v >= 1e9) return (v / 1e9).toFixed(2) + 'G';
    if (v >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    if (v >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    return Math.round(v).toLocaleString('en-US');
  }

  function fmtAge(ms) {
    if (ms == null || !isFinite(ms)) return '–';
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function fmtClock(ms) {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }

  function fmtHourMinute(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':'
      + String(d.getMinutes()).padStart(2, '0');
  }

  function fmtMetricValue(metric, v) {
    if (metric === 'error_rate') return fmtPct(v * 100) + ' %';
    if (metric === 'request_rate') return fmtRate(v) + ' req/s';
    if (metric === 'p95_latency_ms') return fmtMs(v) + ' ms';
    if (v == null || !isFinite(v)) return '–';
    if (Number.isInteger(v) || Math.abs(v) >= 1000)
      return v.toLocaleString('en-US', { maximumFractionDigits: 1 });
    return Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }

  // -- data -------------------------------------------------------------------

  async function getJSON(path) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 4000);
    try {
      const r = await fetch(path, { cache: 'no-store', signal: ctl.signal });
      const body = await r.json().catch(() => null);
      return { ok: r.ok, status: r.status, body };
    } finally {
      clearTimeout(timer);
    }
  }

  function windowSeconds(w) {
    const d = (w.window_end - w.window_start) / 1000;
    return d > 0 ? d : 10;
  }

  // Columns for uPlot: x in seconds, one array per chart.
  function toSeries(windows) {
    const x = [], rate = [], errors = [], p95 = [];
    for (const w of windows) {
      x.push(w.window_start / 1000);
      rate.push(w.request_count / windowSeconds(w));
      errors.push(w.error_rate * 100);
      p95.push(w.p95_latency_ms);
    }
    return { x, rate, errors, p95 };
  }

  // -- charts -----------------------------------------------------------------

  // Draws each anomaly of the chart's metric as a band over its window in the
  // severity's color, with a downward triangle on top.
  function anomalyPlugin(card, chartDef) {
    return {
      hooks: {
        draw: [
          (u) => {
            const list = card.anomalies.filter(
              (a) => a.metric === chartDef.metric);
            if (!list.length) return;
            const ctx = u.ctx;
            const top = u.bbox.top, height = u.bbox.height;
            const ratio = window.devicePixelRatio || 1;
            ctx.save();
            for (const a of list) {
              const color = SEVERITY_COLOR[a.severity] || SEVERITY_COLOR.high;
              const x0 = u.valToPos(a.window_start / 1000, 'x', true);
              const x1 = u.valToPos(a.window_end / 1000, 'x', true);
              if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) continue;
              const w = Math.max(x1 - x0, 3 * ratio);
              ctx.globalAlpha = 0.28;
              ctx.fillStyle = color;
              ctx.fillRect(x0, top, w, height);
              ctx.globalAlpha = 1;
              const cx = x0 + w / 2, s = 6 * ratio;
              ctx.beginPath();
              ctx.moveTo(cx - s, top);
              ctx.lineTo(cx + s, top);
              ctx.lineTo(cx, top + 1.6 * s);
              ctx.closePath();
              ctx.fill();
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function makeChart(card, def, host, width) {
    const axis = {
      stroke: '#9aa4b2',
      grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
      ticks: { stroke: 'rgba(255,255,255,0.12)', width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const opts = {
      width: width,
      height: 96,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      padding: [10, 16, 0, 0],
      scales: {
        x: {
          time: true,
          range: () => [state.xMin, state.xMax],
        },
        y: {
          range: (u, min, max) => [0, Math.max(def.minMax, max * 1.15)],
        },
      },
      axes: [
        Object.assign({}, axis, { size: 22, space: 70,
          values: (u, vals) => vals.map((v) => fmtHourMinute(v * 1000)) }),
        Object.assign({}, axis, { size: 42, space: 28,
          values: (u, vals) => vals.map((v) => def.key === 'errors'
            ? fmtPct(v) : def.key === 'p95' ? fmtMs(v) : fmtRate(v)) }),
      ],
      series: [
        {},
        { label: def.title, stroke: def.color, fill: def.fill, width: 2,
          points: { show: false } },
      ],
      plugins: [anomalyPlugin(card, def)],
    };
    return new uPlot(opts, [[], []], host);
  }

  // -- service cards ------------------------------------------------------------

  function makeCard(service) {
    const root = el('article', 'service-card ok');
    root.dataset.service = service;
    root.dataset.anomalies = '0';
    const head = el('header', 'card-head');
    const name = el('h3', 'service-name', service);
    const pill = el('span', 'pill ok', 'OK');
    head.append(name, pill);
    const stats = el('div', 'stats');
    const values = {};
    for (const def of CHARTS) {
      const box = el('div', 'stat stat-' + def.key);
      const v = el('div', 'stat-value', '–');
      const l = el('div', 'stat-label', def.title);
      box.append(v, l);
      stats.append(box);
      values[def.key] = v;
    }
    const charts = el('div', 'charts');
    const marks = el('ul', 'card-anomalies');
    root.append(head, stats, charts, marks);
    const card = { service, root, pill, values, charts: {}, chartHost: charts,
                   marks, anomalies: [], rank: 0, latest: null, series: null };
    for (const def of CHARTS) {
      const wrap = el('div', 'chart chart-' + def.key);
      wrap.dataset.metric = def.metric;
      const label = el('div', 'chart-title', def.title);
      wrap.append(label);
      charts.append(wrap);
      card.charts[def.key] = { def, wrap, plot: null };
    }
    return card;
  }

  function chartWidth(card) {
    return Math.max(160, card.chartHost.clientWidth - 2);
  }

  function ensureCharts(card) {
    const width = chartWidth(card);
    for (const key in card.charts) {
      const c = card.charts[key];
      if (!c.plot) c.plot = makeChart(card, c.def, c.wrap, width);
      else if (Math.abs(c.plot.width - width) > 1)
        c.plot.setSize({ width, height: 96 });
    }
  }

  function updateCard(card, windows, anomalies) {
    card.series = toSeries(windows);
    card.latest = windows.length ? windows[windows.length - 1] : null;
    card.anomalies = anomalies;
    const latestStart = card.latest ? card.latest.window_start : 0;
    const span = card.latest ? card.latest.window_end - latestStart : 10000;
    const active = anomalies.filter(
      (a) => a.window_start >= latestStart - (ACTIVE_WINDOWS - 1) * span);
    let worst = 0;
    for (const a of active)
      worst = Math.max(worst, SEVERITY_RANK[a.severity] || 3);
    card.worst = worst;
    // Alerting first (by severity), then services with anomalies earlier in
    // the range (recovering), then by the latest error rate.
    const errRate = card.latest ? card.latest.error_rate : 0;
    card.rank = worst * 1e6 + (anomalies.length ? 1e5 : 0)
      + Math.min(99999, errRate * 1e5);

    const level = worst >= 3 ? 'bad' : worst > 0 ? 'warn' : 'ok';
    card.root.className = 'service-card ' + level;
    card.root.dataset.anomalies = String(anomalies.length);
    card.root.dataset.latestWindow = String(latestStart);
    card.pill.className = 'pill ' + level;
    card.pill.textContent = level === 'ok' ? 'OK'
      : active.map((a) => METRIC_LABEL[a.metric] || a.metric)
        .filter((v, i, all) => all.indexOf(v) === i).join(' · ').toUpperCase();

    const l = card.latest;
    const activeMetrics = new Set(active.map((a) => a.metric));
    const set = (key, metric, text) => {
      card.values[key].textContent = text;
      card.values[key].parentNode.classList.toggle('alarm',
        activeMetrics.has(metric));
    };
    set('rate', 'request_rate', l ? fmtRate(l.request_count / windowSeconds(l)) : '–');
    set('errors', 'error_rate', l ? fmtPct(l.error_rate * 100) : '–');
    set('p95', 'p95_latency_ms', l ? fmtMs(l.p95_latency_ms) : '–');

    card.marks.replaceChildren();
    for (const a of anomalies.slice(0, 3)) {
      const li = el('li', 'mark sev-' + a.severity);
      li.dataset.metric = a.metric;
      li.dataset.severity = a.severity;
      li.append(el('span', 'dot'),
        el('span', 'mark-text', fmtClock(a.window_start) + ' '
          + (METRIC_LABEL[a.metric] || a.metric) + ' '
          + fmtMetricValue(a.metric, a.observed)));
      card.marks.append(li);
    }

    ensureCharts(card);
    const s = card.series;
    card.charts.rate.plot.setData([s.x, s.rate]);
    card.charts.errors.plot.setData([s.x, s.errors]);
    card.charts.p95.plot.setData([s.x, s.p95]);
  }

  // -- panels -------------------------------------------------------------------

  // Ongoing incidents first, then the most severe, then the newest.
  function incidentOrder(a, b) {
    return (b.open ? 1 : 0) - (a.open ? 1 : 0)
      || (SEVERITY_RANK[b.severity] || 0) - (SEVERITY_RANK[a.severity] || 0)
      || b.started_at - a.started_at;
  }

  // `eventNow`: end of the newest window shown, the event-time "now" that
  // ongoing durations count to (the wall clock would count replay delays).
  function renderIncidents(incidents, eventNow) {
    const list = $('incidents');
    list.replaceChildren();
    if (incidents == null) {
      $('incident-count').textContent = '';
      list.append(el('li', 'empty', 'Incidents unavailable.'));
      return;
    }
    const ongoing = incidents.filter((i) => i.open).length;
    $('incident-count').textContent = ongoing ? String(ongoing) : '';
    if (!incidents.length) {
      list.append(el('li', 'empty', 'No incidents in the last '
        + state.minutes + ' minutes.'));
      return;
    }
    for (const i of incidents.slice().sort(incidentOrder).slice(0, 20)) {
      const li = el('li', 'incident sev-' + i.severity
        + (i.open ? ' ongoing' : ' resolved'));
      li.dataset.id = String(i.id);
      li.dataset.service = i.service;
      li.dataset.severity = i.severity;
      li.dataset.open = String(i.open);
      const sev = el('span', 'sev', i.severity.toUpperCase());
      const svc = el('strong', 'svc', i.service);
      const since = el('time', 'since', 'since ' + fmtClock(i.started_at));
      since.dateTime = new Date(i.started_at).toISOString();
      since.title = new Date(i.started_at).toISOString();
      const end = i.open ? Math.max(eventNow, i.started_at) : i.ended_at;
      const duration = el('span', 'duration', i.open
        ? 'ongoing · ' + fmtAge(end - i.started_at)
        : 'resolved · ' + fmtAge(end - i.started_at));
      const summary = el('span', 'summary', i.summary || '');
      summary.title = i.anomaly_count + ' anomalies';
      li.append(sev, svc, since, duration, summary);
      list.append(li);
    }
  }

  function renderAnomalies(anomalies) {
    const list = $('anomalies');
    list.replaceChildren();
    $('anomaly-count').textContent = anomalies.length
      ? String(anomalies.length) : '';
    if (!anomalies.length) {
      list.append(el('li', 'empty', 'No anomalies in the last '
        + state.minutes + ' minutes.'));
      return;
    }
    for (const a of anomalies.slice(0, 40)) {
      const li = el('li', 'anomaly sev-' + a.severity);
      li.dataset.service = a.service;
      li.dataset.metric = a.metric;
      li.dataset.severity = a.severity;
      li.dataset.windowStart = String(a.window_start);
      const sev = el('span', 'sev', a.severity.toUpperCase());
      const when = el('time', 'when', fmtClock(a.window_start));
      when.dateTime = new Date(a.window_start).toISOString();
      const what = el('span', 'what');
      what.append(el('strong', 'svc', a.service), ' ',
        METRIC_LABEL[a.metric] || a.metric);
      const detail = el('span', 'detail',
        fmtMetricValue(a.metric, a.observed) + ' (expected '
        + fmtMetricValue(a.metric, a.expected) + ')');
      // The combined detector scores in [0, 1] (0.5 pages) and names the
      // detector that fired; the EWMA detector's score is a z-score.
      const score = el('span', 'score', (a.detector ? a.detector + ' ' : '')
        + 'score ' + Number(a.score).toFixed(2));
      li.append(sev, when, what, detail, score);
      list.append(li);
    }
  }

  function tile(label, value, level, detail) {
    const t = el('div', 'tile ' + (level || 'neutral'));
    t.append(el('div', 'tile-value', value), el('div', 'tile-label', label));
    if (detail) t.title = detail;
    return t;
  }

  function sumValues(obj) {
    let n = 0;
    for (const k in obj || {}) n += Number(obj[k]) || 0;
    return n;
  }

  function renderHealth(status, now) {
    const tiles = [];
    if (!status) {
      tiles.push(tile('node status', 'unavailable', 'bad'));
    } else {
      const events = Number(status.events) || 0;
      if (state.lastEvents && now > state.lastEvents.at
          && events >= state.lastEvents.events) {
        state.eventsPerSec = (events - state.lastEvents.events) * 1000
          / (now - state.lastEvents.at);
      }
      state.lastEvents = { events, at: now };
      tiles.push(tile('events', fmtCount(events), 'neutral'));
      tiles.push(tile('events/s now', state.eventsPerSec == null ? '…'
        : fmtRate(state.eventsPerSec), 'neutral'));
      const invalid = sumValues(status.invalid);
      const reasons = Object.entries(status.invalid || {})
        .filter(([, v]) => v > 0).map(([k, v]) => k + ': ' + v).join(', ');
      tiles.push(tile('invalid events', fmtCount(invalid),
        invalid > 0 ? 'warn' : 'ok', reasons || 'none'));
      const lag = Number(status.total_lag) || 0;
      tiles.push(tile('consumer lag', fmtCount(lag),
        lag > 100000 ? 'bad' : lag > 10000 ? 'warn' : 'ok',
        (status.assigned_partitions || 0) + ' partitions assigned'));
      const wm = status.watermark;
      tiles.push(tile('watermark delay', wm == null ? 'none'
        : fmtAge(now - wm), wm == null ? 'warn' : 'neutral',
        wm == null ? 'no event yet' : 'event time ' + fmtClock(wm)));
      const assigned = Number(status.assigned_partitions) || 0;
      if (status.paused_by_operator) {
        tiles.push(tile('consumption', 'paused', 'warn',
          'by the operator since ' + fmtClock(status.paused_since)
          + ' (vigil console resume)'));
      } else {
        tiles.push(tile('partitions assigned', String(assigned),
          assigned > 0 ? 'ok' : 'bad'));
      }
      const cp = status.last_checkpoint_at;
      const cpAge = cp == null ? null : now - cp;
      tiles.push(tile('last checkpoint', cp == null ? 'none'
        : fmtAge(cpAge) + ' ago',
        cp == null ? 'warn' : cpAge > 60000 ? 'bad' : cpAge > 15000
          ? 'warn' : 'ok', 'checkpoint #' + (status.last_checkpoint || 0)));
      const restarts = sumValues(status.restarts);
      const who = Object.entries(status.restarts || {})
        .filter(([, v]) => v > 0).map(([k, v]) => k + ' ×' + v).join(', ');
      tiles.push(tile('actor restarts', String(restarts),
        restarts > 0 ? 'warn' : 'ok', who || 'no restarts'));
      if (status.cluster) {
        const c = status.cluster;
        const nodes = (c.nodes || []).length;
        tiles.push(tile('cluster', c.running ? nodes + ' nodes' : 'holding',
          c.running ? 'ok' : 'bad', 'generation ' + c.generation + ', '
          + (c.node_losses || 0) + ' node losses'));
      }
      renderPartitions(status.partitions || []);
    }
    renderCluster(status ? status.cluster : null, now);
    $('health').replaceChildren(...tiles);
  }

  // "0-3,7,9-11" of sorted partition numbers.
  function ranges(xs) {
    const out = [];
    for (let i = 0; i < xs.length;) {
      let j = i;
      while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
      out.push(j > i ? xs[i] + '-' + xs[j] : String(xs[i]));
      i = j + 1;
    }
    return out.length ? out.join(',') : 'none';
  }

  // The store's view of the cluster (absent on other nodes): who owns which
  // partitions, and whether the cluster runs or holds.
  function renderCluster(cluster, now) {
    const panel = $('cluster-panel');
    if (!cluster) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const st = $('cluster-state');
    const n = (cluster.nodes || []).length;
    st.textContent = (cluster.running ? 'running' : 'holding') + ' · '
      + n + (n === 1 ? ' node' : ' nodes') + ' · generation '
      + cluster.generation;
    st.dataset.state = cluster.running ? 'running' : 'holding';
    const unowned = cluster.unowned_partitions || [];
    const u = $('cluster-unowned');
    u.textContent = unowned.length
      ? 'Holding: partitions without an owner: ' + ranges(unowned)
        + ' (the consumer group moves them within the session timeout)'
      : '';
    u.className = 'cluster-unowned' + (unowned.length ? ' bad' : '');
    const rows = [];
    for (const node of cluster.nodes || []) {
      const tr = el('tr');
      tr.dataset.node = node.name;
      const parts = (node.partitions || []).slice().sort((a, b) => a - b);
      const hbAge = node.last_heartbeat_ms ? now - node.last_heartbeat_ms : null;
      const hb = el('td', 'num' + (hbAge != null && hbAge > 5000 ? ' warn' : ''),
        hbAge == null ? '–' : fmtAge(hbAge) + ' ago');
      tr.append(el('td', 'node-name', node.name), el('td', '', node.role),
        el('td', 'addr', node.address),
        el('td', 'parts', parts.length + ': ' + ranges(parts)),
        el('td', 'num', node.lag < 0 ? '?' : fmtCount(node.lag)),
        el('td', 'num' + (node.restarts > 0 ? ' warn' : ''),
          String(node.restarts)),
        hb,
        el('td', 'num', node.joined_ms ? fmtAge(now - node.joined_ms) + ' ago'
          : '–'));
      rows.push(tr);
    }
    $('nodes').tBodies[0].replaceChildren(...rows);
  }

  function renderPartitions(partitions) {
    const host = $('partitions');
    host.replaceChildren();
    if (!partitions.length) {
      host.append(el('div', 'empty', 'No partition assigned.'));
      return;
    }
    const max = Math.max(1, ...partitions.map((p) => p.lag));
    for (const p of partitions) {
      const row = el('div', 'partition');
      row.dataset.partition = String(p.partition);
      const bar = el('div', 'bar');
      const fillEl = el('div', 'bar-fill' + (p.lag > 10000 ? ' warn' : ''));
      fillEl.style.width = (100 * p.lag / max).toFixed(1) + '%';
      bar.append(fillEl);
      row.append(el('span', 'pname', 'p' + p.partition), bar,
        el('span', 'plag', fmtCount(p.lag)));
      host.append(row);
    }
  }

  // `noun`: what `cards` are, e.g. SERVICES or SYMBOLS.
  function renderVerdict(cards, reachable, noun) {
    const v = $('verdict');
    if (!reachable) {
      v.className = 'verdict bad';
      v.dataset.state = 'unreachable';
      v.textContent = 'NODE UNREACHABLE';
      return;
    }
    const alerting = cards.filter((c) => c.worst > 0);
    if (!cards.length) {
      v.className = 'verdict unknown';
      v.dataset.state = 'empty';
      v.textContent = 'NO DATA YET';
    } else if (!alerting.length) {
      v.className = 'verdict ok';
      v.dataset.state = 'ok';
      v.textContent = 'ALL ' + cards.length + ' ' + (noun || 'SERVICES')
        + ' OK';
    } else {
      const bad = alerting.some((c) => c.worst >= 3);
      v.className = 'verdict ' + (bad ? 'bad' : 'warn');
      v.dataset.state = bad ? 'bad' : 'warn';
      v.textContent = alerting.length + ' ALERTING: '
        + alerting.map((c) => c.service).join(', ');
    }
  }

  function renderUpdated(now) {
    const u = $('updated');
    if (!state.lastOk) {
      u.textContent = 'waiting for the node…';
      u.className = 'updated';
      return;
    }
    const age = now - state.lastOk;
    u.textContent = (age > STALE_MS ? 'STALE: last data ' : 'updated ')
      + fmtAge(age) + ' ago';
    u.className = 'updated' + (age > STALE_MS ? ' stale' : '');
  }

  // -- event kinds --------------------------------------------------------------

  // A node of another event kind than request (sensor, trade, a declared
  // one) stores its windows in the kind's own table; GET /api/kind names it,
  // its key columns and value columns. The kind view lists every key with
  // its latest window and charts the windows of the selected key: candles
  // (open/high/low/close, volume bars, VWAP line) if a measure reports ohlc,
  // else one line chart per measure with its min–max band and healthy band.
  const kind = {
    info: null, // GET /api/kind
    candle: null, // candle columns, or null
    headline: [], // value columns shown in the table
    rows: new Map(), // key -> { tr, cells, row, worst, anomalies }
    selected: null, // joined key
    built: null, // key the detail charts were built for
    charts: [], // { plot, host, height }
    detail: { anomalies: [] }, // what the anomaly markers read
    windowSec: 10,
    xMin: 0,
    xMax: 0,
    model: null, // the test-facing model (window.vigilDashboard)
  };

  // Exposed for the browser tests and for the curious: what the page shows.
  window.vigilDashboard = { kind: null };

  function fmtValue(v) {
    if (v == null || !isFinite(v)) return '–';
    const a = Math.abs(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    if (a >= 1000) return v.toLocaleString('en-US',
      { maximumFractionDigits: 1 });
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }

  function columnLabel(c) {
    return c.replace(/_/g, ' ');
  }

  // "symbol" -> "symbols", "sensor_id" -> "sensors": what a key is called.
  function keyNoun(info) {
    const k = (info.keys && info.keys[0]) || 'key';
    return k.replace(/_id$/, '').replace(/_/g, ' ') + 's';
  }

  // The measure reporting open/high/low/close, with its VWAP and the
  // volume (a sum of another measure), or null.
  function candleColumns(info) {
    for (const m of info.measures || []) {
      const has = (s) => m.columns.includes(m.name + '_' + s)
        ? m.name + '_' + s : null;
      const open = has('open'), high = has('high'), low = has('low'),
        close = has('close');
      if (!(open && high && low && close)) continue;
      let volume = null;
      for (const o of info.measures)
        if (o !== m && !volume)
          volume = o.columns.find((c) => c === o.name + '_sum') || null;
      return { measure: m.name, open, high, low, close, vwap: has('vwap'),
        volume };
    }
    return null;
  }

  // The value columns of the table: all if few, else one per measure (its
  // mean, close, last or sum), as the console's `services` shows them.
  function headlineColumns(info, n) {
    if (info.columns.length <= n) return info.columns.slice();
    const out = [];
    for (const m of info.measures || []) {
      if (out.length >= n) break;
      const pick = ['mean', 'close', 'last', 'sum'].map((s) => m.name + '_' + s)
        .find((c) => m.columns.includes(c));
      out.push(pick || m.columns[0]);
    }
    return out;
  }

  // The columns of one measure's line chart: the headline, min and max.
  function measureColumns(m) {
    const has = (s) => m.columns.includes(m.name + '_' + s)
      ? m.name + '_' + s : null;
    return {
      main: ['mean', 'close', 'last', 'sum'].map(has).find((c) => c)
        || m.columns[0],
      min: has('min') || has('low'),
      max: has('max') || has('high'),
    };
  }

  function setupKind(info) {
    kind.info = info;
    kind.candle = candleColumns(info);
    kind.headline = headlineColumns(info, 6);
    document.body.dataset.kind = info.kind;
    window.vigilDashboard.kind = info.kind;
    $('services-panel').hidden = true;
    const panel = $('kind-panel');
    panel.hidden = false;
    panel.dataset.kind = info.kind;
    const noun = keyNoun(info);
    $('kind-name').textContent = noun.charAt(0).toUpperCase() + noun.slice(1);
    $('kind-hint').textContent = info.kind + ' · ' + info.table + ' · '
      + info.keys.join(' | ') + ' · alerting first · click a row for its '
      + (kind.candle ? 'candles' : 'charts');
    const head = $('kind-keys').tHead.rows[0];
    const cells = info.keys.map((k) => el('th', '', columnLabel(k)));
    cells.push(el('th', 'num', 'events'));
    for (const c of kind.headline) cells.push(el('th', 'num', columnLabel(c)));
    cells.push(el('th', 'num', 'anomalies'), el('th', 'num', 'window'));
    head.replaceChildren(...cells);
    const m = /(?:^#|&)key=([^&]*)/.exec(location.hash);
    if (m) kind.selected = decodeURIComponent(m[1]);
  }

  function selectKey(key) {
    if (kind.selected === key) return;
    kind.selected = key;
    history.replaceState(null, '', '#key=' + encodeURIComponent(key));
    for (const [k, r] of kind.rows) r.tr.classList.toggle('selected', k === key);
    refresh();
  }

  function kindRow(key) {
    let r = kind.rows.get(key);
    if (r) return r;
    const tr = el('tr');
    tr.dataset.key = key;
    tr.tabIndex = 0;
    tr.addEventListener('click', () => selectKey(key));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') selectKey(key);
    });
    r = { tr, row: null, worst: 0, anomalies: [] };
    kind.rows.set(key, r);
    return r;
  }

  function renderKindRow(r, anomalies) {
    const w = r.row;
    const span = w.window_end - w.window_start || 10000;
    const active = anomalies.filter((a) => a.window_start
      >= w.window_start - (ACTIVE_WINDOWS - 1) * span);
    r.anomalies = anomalies;
    r.worst = 0;
    for (const a of active)
      r.worst = Math.max(r.worst, SEVERITY_RANK[a.severity] || 3);
    r.rank = r.worst * 10 + (anomalies.length ? 1 : 0);
    const level = r.worst >= 3 ? 'bad' : r.worst > 0 ? 'warn' : 'ok';
    r.tr.className = level + (w.key === kind.selected ? ' selected' : '');
    r.tr.dataset.anomalies = String(anomalies.length);
    r.tr.dataset.latestWindow = String(w.window_start);
    const cells = kind.info.keys.map((k) =>
      el('td', 'key', w.key_values[k]));
    cells.push(el('td', 'num', fmtCount(w.event_count)));
    for (const c of kind.headline) {
      const td = el('td', 'num', fmtValue(w.values[c]));
      td.dataset.column = c;
      cells.push(td);
    }
    cells.push(el('td', 'num' + (anomalies.length ? ' alarm' : ''),
      anomalies.length ? String(anomalies.length) : ''));
    cells.push(el('td', 'num', fmtClock(w.window_start)));
    r.tr.replaceChildren(...cells);
  }

  const AXIS = {
    stroke: '#9aa4b2',
    grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
    ticks: { stroke: 'rgba(255,255,255,0.12)', width: 1 },
    font: '11px system-ui, sans-serif',
  };

  // Ticks less than a minute apart show their seconds.
  function timeAxis() {
    return Object.assign({}, AXIS, { size: 22, space: 70,
      values: (u, vals) => vals.map((v) => vals.length > 1
        && vals[1] - vals[0] < 60 ? fmtClock(v * 1000)
        : fmtHourMinute(v * 1000)) });
  }

  const UP = '#3ddc84', DOWN = '#ff3355';

  // Draws the candles and volume bars under the series (the VWAP line goes
  // on top): a wick from low to high and a body from open to close per
  // window, green if it closed at or above its open, red below; volume bars
  // in the lowest fifth. Counts the candles drawn for the tests.
  function candlePlugin(host) {
    return {
      hooks: {
        drawAxes: [
          (u) => {
            const [xs, o, h, l, c, , v] = u.data;
            const ctx = u.ctx;
            const { left, top, width, height } = u.bbox;
            const ratio = window.devicePixelRatio || 1;
            const x0 = u.valToPos(u.scales.x.min, 'x', true);
            const slot = u.valToPos(u.scales.x.min + kind.windowSec, 'x', true)
              - x0;
            const body = Math.max(1, Math.round(slot * 0.7));
            const half = Math.floor(body / 2);
            const wick = Math.max(1, Math.round(ratio));
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, width, height);
            ctx.clip();
            let drawn = 0;
            for (let i = 0; i < xs.length; i++) {
              const cx = Math.round(u.valToPos(xs[i], 'x', true));
              if (cx < left - body || cx > left + width + body) continue;
              if (v && v[i] != null) {
                const y0 = u.valToPos(0, 'vol', true);
                const y1 = u.valToPos(v[i], 'vol', true);
                ctx.fillStyle = c[i] != null && o[i] != null && c[i] < o[i]
                  ? 'rgba(255,51,85,0.30)' : 'rgba(61,220,132,0.30)';
                ctx.fillRect(cx - half, y1, body, Math.max(1, y0 - y1));
              }
              if (o[i] == null || h[i] == null || l[i] == null || c[i] == null)
                continue;
              const color = c[i] >= o[i] ? UP : DOWN;
              ctx.fillStyle = color;
              const yh = u.valToPos(h[i], 'y', true);
              const yl = u.valToPos(l[i], 'y', true);
              ctx.fillRect(cx - Math.floor(wick / 2), yh, wick,
                Math.max(1, yl - yh));
              const yo = u.valToPos(o[i], 'y', true);
              const yc = u.valToPos(c[i], 'y', true);
              ctx.fillRect(cx - half, Math.min(yo, yc), body,
                Math.max(wick, Math.abs(yc - yo)));
              drawn++;
            }
            ctx.restore();
            host.dataset.candlesDrawn = String(drawn);
            window.vigilDashboard.candlesDrawn = drawn;
          },
        ],
      },
    };
  }

  function makeCandleChart(host, width) {
    const cc = kind.candle;
    const hidden = { paths: () => null, points: { show: false } };
    const opts = {
      width: width,
      height: 340,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      padding: [12, 28, 0, 0],
      scales: {
        x: { time: true, range: () => [kind.xMin, kind.xMax] },
        y: {
          range: (u, min, max) => {
            if (min == null || max == null) return [0, 1];
            const pad = (max - min) * 0.08 || Math.abs(max) * 0.01 || 1;
            return [min - pad, max + pad];
          },
        },
        vol: { range: (u, min, max) => [0, Math.max(1, max || 0) * 5] },
      },
      axes: [
        timeAxis(),
        Object.assign({}, AXIS, { size: 60, space: 30,
          values: (u, vals) => vals.map(fmtValue) }),
      ],
      series: [
        {},
        Object.assign({ label: 'open', scale: 'y' }, hidden),
        Object.assign({ label: 'high', scale: 'y' }, hidden),
        Object.assign({ label: 'low', scale: 'y' }, hidden),
        Object.assign({ label: 'close', scale: 'y' }, hidden),
        { label: 'vwap', scale: 'y', stroke: '#ffd23f', width: 1.5,
          points: { show: false }, show: !!cc.vwap },
        Object.assign({ label: 'volume', scale: 'vol' }, hidden),
      ],
      plugins: [candlePlugin(host),
        anomalyPlugin(kind.detail, { metric: cc.measure })],
    };
    return new uPlot(opts, [[], [], [], [], [], [], []], host);
  }

  // Draws the healthy band's bounds as dashed lines.
  function healthyPlugin(m) {
    return {
      hooks: {
        draw: [
          (u) => {
            if (!m.healthy) return;
            const ctx = u.ctx;
            const { left, width } = u.bbox;
            ctx.save();
            ctx.strokeStyle = 'rgba(61,220,132,0.7)';
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = window.devicePixelRatio || 1;
            for (const b of [m.healthy.low, m.healthy.high]) {
              if (b == null) continue;
              const y = u.valToPos(b, 'y', true);
              ctx.beginPath();
              ctx.moveTo(left, y);
              ctx.lineTo(left + width, y);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function makeMeasureChart(m, host, width) {
    const cols = measureColumns(m);
    const opts = {
      width: width,
      height: 120,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      padding: [10, 28, 0, 0],
      scales: {
        x: { time: true, range: () => [kind.xMin, kind.xMax] },
        y: {
          range: (u, min, max) => {
            if (min == null || max == null) return [0, 1];
            const h = m.healthy || {};
            const lo = Math.min(min, h.low != null ? h.low : min);
            const hi = Math.max(max, h.high != null ? h.high : max);
            const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
            return [lo - pad, hi + pad];
          },
        },
      },
      axes: [
        timeAxis(),
        Object.assign({}, AXIS, { size: 48, space: 28,
          values: (u, vals) => vals.map(fmtValue) }),
      ],
      series: [
        {},
        { label: cols.min || 'min', stroke: 'rgba(79,209,255,0.35)', width: 1,
          points: { show: false }, show: !!cols.min },
        { label: cols.max || 'max', stroke: 'rgba(79,209,255,0.35)', width: 1,
          points: { show: false }, show: !!cols.max },
        { label: cols.main, stroke: '#4fd1ff', width: 2,
          points: { show: false } },
      ],
      bands: cols.min && cols.max
        ? [{ series: [2, 1], fill: 'rgba(79,209,255,0.10)' }] : [],
      plugins: [healthyPlugin(m), anomalyPlugin(kind.detail,
        { metric: m.name })],
    };
    return { plot: new uPlot(opts, [[], [], [], []], host), cols };
  }

  function detailWidth() {
    return Math.max(260, $('kind-charts').clientWidth - 2);
  }

  function buildKindCharts() {
    for (const c of kind.charts) c.plot.destroy();
    kind.charts = [];
    const host = $('kind-charts');
    host.replaceChildren();
    const width = detailWidth();
    if (kind.candle) {
      const wrap = el('div', 'chart chart-candles');
      wrap.dataset.metric = kind.candle.measure;
      wrap.append(el('div', 'chart-title', kind.candle.measure
        + ' · candles' + (kind.candle.vwap ? ' · vwap' : '')
        + (kind.candle.volume ? ' · volume' : '')));
      host.append(wrap);
      kind.charts.push({ kind: 'candles', wrap,
        plot: makeCandleChart(wrap, width), height: 340 });
      return;
    }
    for (const m of kind.info.measures || []) {
      const wrap = el('div', 'chart chart-measure');
      wrap.dataset.metric = m.name;
      const c = makeMeasureChart(m, wrap, width);
      wrap.prepend(el('div', 'chart-title', columnLabel(c.cols.main)
        + (c.cols.min && c.cols.max ? ' · min–max' : '')
        + (m.healthy ? ' · healthy band' : '')));
      host.append(wrap);
      kind.charts.push({ kind: 'measure', wrap, plot: c.plot, cols: c.cols,
        height: 120 });
    }
  }

  function resizeKindCharts() {
    const width = detailWidth();
    for (const c of kind.charts)
      if (Math.abs(c.plot.width - width) > 1)
        c.plot.setSize({ width, height: c.height });
  }

  function renderKindDetail(windows) {
    const key = kind.selected;
    const detail = $('kind-detail');
    detail.dataset.key = key || '';
    $('kind-selected').textContent = key || 'no data yet';
    if (kind.built !== key || !kind.charts.length) {
      buildKindCharts();
      kind.built = key;
    }
    const r = key ? kind.rows.get(key) : null;
    const anomalies = r ? r.anomalies : [];
    const span = windows.length
      ? windows[windows.length - 1].window_end
        - windows[windows.length - 1].window_start : kind.windowSec * 1000;
    kind.windowSec = span / 1000 || 10;
    kind.detail.anomalies = anomalies.map((a) =>
      Object.assign({}, a, { window_end: a.window_start + span }));
    const worst = r ? r.worst : 0;
    const level = worst >= 3 ? 'bad' : worst > 0 ? 'warn' : 'ok';
    const pill = $('kind-pill');
    pill.className = 'pill ' + level;
    pill.textContent = level === 'ok' ? 'OK' : anomalies.filter((a, i, all) =>
      all.findIndex((b) => b.metric === a.metric) === i)
      .map((a) => a.metric).join(' · ').toUpperCase();

    // The time axis: the range, or only the data if there is less of it,
    // at least two minutes.
    const last = windows.length ? windows[windows.length - 1] : null;
    kind.xMax = (last ? last.window_end : Date.now()) / 1000;
    kind.xMin = Math.max(kind.xMax - state.minutes * 60,
      windows.length ? windows[0].window_start / 1000 : 0);
    if (kind.xMax - kind.xMin < 120) kind.xMin = kind.xMax - 120;

    const mid = windows.map((w) => (w.window_start + w.window_end) / 2000);
    const col = (c) => windows.map((w) => c && w.values[c] != null
      ? w.values[c] : null);
    const stats = [];
    const stat = (label, value, cls) => {
      const box = el('div', 'stat' + (cls ? ' ' + cls : ''));
      box.append(el('div', 'stat-value', value), el('div', 'stat-label', label));
      stats.push(box);
    };
    const model = { kind: kind.info.kind, key, windows: windows.length };
    if (kind.candle) {
      const cc = kind.candle;
      const o = col(cc.open), h = col(cc.high), l = col(cc.low),
        c = col(cc.close), vw = col(cc.vwap), vol = col(cc.volume);
      kind.charts[0].plot.setData([mid, o, h, l, c, vw, vol]);
      model.candles = windows.map((w, i) => ({ t: w.window_start,
        open: o[i], high: h[i], low: l[i], close: c[i], vwap: vw[i],
        volume: vol[i], events: w.event_count }));
      detail.dataset.candles = String(windows.length);
      if (last) {
        const first = windows[0].values[cc.open];
        const close = last.values[cc.close];
        const change = first ? (close - first) / first * 100 : null;
        stat('close', fmtValue(close), close >= last.values[cc.open]
          ? 'up' : 'down');
        stat('change ' + fmtAge(last.window_end - windows[0].window_start),
          change == null ? '–'
          : (change >= 0 ? '+' : '') + change.toFixed(2) + ' %',
        change >= 0 ? 'up' : 'down');
        if (cc.vwap) stat('vwap', fmtValue(last.values[cc.vwap]));
        if (cc.volume) stat('volume', fmtCount(last.values[cc.volume]));
        stat('trades', fmtCount(last.event_count));
      }
    } else {
      delete detail.dataset.candles;
      model.series = {};
      for (const chart of kind.charts) {
        const cs = chart.cols;
        chart.plot.setData([mid, col(cs.min), col(cs.max), col(cs.main)]);
        model.series[cs.main] = col(cs.main);
      }
      if (last)
        for (const chart of kind.charts)
          stat(columnLabel(chart.cols.main), fmtValue(last.values[chart.cols.main]),
            anomalies.some((a) => a.metric === chart.wrap.dataset.metric
              && a.window_start >= last.window_start
                - (ACTIVE_WINDOWS - 1) * span) ? 'alarm' : '');
    }
    $('kind-stats').replaceChildren(...stats);
    const marks = $('kind-marks');
    marks.replaceChildren();
    for (const a of anomalies.slice(0, 3)) {
      const li = el('li', 'mark sev-' + a.severity);
      li.dataset.metric = a.metric;
      li.dataset.severity = a.severity;
      li.append(el('span', 'dot'), el('span', 'mark-text',
        fmtClock(a.window_start) + ' ' + a.metric + ' ' + fmtValue(a.observed)
        + ' (expected ' + fmtValue(a.expected) + ', ' + a.detector + ')'));
      marks.append(li);
    }
    model.candlesDrawn = window.vigilDashboard.candlesDrawn;
    Object.assign(window.vigilDashboard, model);
  }

  async function refreshKind(now) {
    const m = state.minutes;
    const [keys, anomalies, status, incidents] = await Promise.all([
      getJSON('/api/kind/keys'),
      getJSON('/api/anomalies?minutes=' + m),
      getJSON('/api/status').catch(() => null),
      getJSON('/api/incidents?minutes=' + m).catch(() => null),
    ]);
    if (!keys.ok || !anomalies.ok)
      throw new Error('api answered ' + keys.status + '/' + anomalies.status);
    const rows = keys.body.keys || [];
    const anomalyList = (anomalies.body.anomalies || []).map((a) =>
      Object.assign({ window_end: a.window_start + 10000 }, a));
    const byKey = new Map();
    for (const a of anomalyList) {
      if (!byKey.has(a.service)) byKey.set(a.service, []);
      byKey.get(a.service).push(a);
    }
    const seen = new Set();
    for (const w of rows) {
      const r = kindRow(w.key);
      r.row = w;
      renderKindRow(r, byKey.get(w.key) || []);
      seen.add(w.key);
    }
    for (const [k, r] of kind.rows)
      if (!seen.has(k)) {
        r.tr.remove();
        kind.rows.delete(k);
      }
    const ordered = [...kind.rows.values()].sort((a, b) =>
      b.rank - a.rank || a.row.key.localeCompare(b.row.key));
    const body = $('kind-keys').tBodies[0];
    ordered.forEach((r, i) => {
      if (body.children[i] !== r.tr) body.insertBefore(r.tr,
        body.children[i] || null);
    });
    const panel = $('kind-panel');
    panel.dataset.keys = String(ordered.length);
    panel.dataset.latestWindow = String(Math.max(0,
      ...ordered.map((r) => r.row.window_start)));
    window.vigilDashboard.keys = ordered.map((r) => r.row.key);

    // The selected key: the operator's choice (or the address's #key=),
    // else the most alerting one.
    if (!kind.selected || !kind.rows.has(kind.selected))
      kind.selected = ordered.length ? ordered[0].row.key : null;
    for (const [k, r] of kind.rows)
      r.tr.classList.toggle('selected', k === kind.selected);
    let windows = [];
    if (kind.selected) {
      const w = await getJSON('/api/kind/windows?minutes=' + m + '&key='
        + encodeURIComponent(kind.selected));
      if (w.ok) windows = w.body.windows || [];
    }
    renderKindDetail(windows);

    const lastEnd = Math.max(0, ...rows.map((w) => w.window_end));
    renderIncidents(incidents && incidents.ok
      ? (incidents.body.incidents || []) : null, lastEnd || now);
    renderAnomalies(anomalyList);
    renderHealth(status && status.ok ? status.body : null, now);
    renderVerdict(ordered.map((r) => ({ worst: r.worst, service: r.row.key })),
      true, keyNoun(kind.info).toUpperCase());
  }

  // -- refresh ----------------------------------------------------------------

  // Which view the node gets: its kind, asked once (a node without
  // /api/kind is a request node).
  async function detectKind() {
    const r = await getJSON('/api/kind');
    if (r.ok && r.body && r.body.kind && r.body.kind !== 'request') {
      setupKind(r.body);
      state.mode = 'kind';
    } else if (r.ok || r.status === 404) {
      document.body.dataset.kind = 'request';
      window.vigilDashboard.kind = 'request';
      state.mode = 'request';
    } else {
      throw new Error('api answered ' + r.status);
    }
  }

  async function refresh() {
    // A refresh asked for while one runs (a key clicked) follows it.
    if (state.inFlight) {
      state.again = true;
      return;
    }
    state.inFlight = true;
    state.again = false;
    const now = Date.now();
    try {
      if (!state.mode) await detectKind();
      if (state.mode === 'kind') await refreshKind(now);
      else await refreshRequest(now);
      state.lastOk = Date.now();
      document.body.dataset.refreshes =
        String((Number(document.body.dataset.refreshes) || 0) + 1);
    } catch (e) {
      if (Date.now() - state.lastOk > STALE_MS) renderVerdict([], false);
    } finally {
      state.inFlight = false;
      renderUpdated(Date.now());
      if (state.again) setTimeout(refresh, 0);
    }
  }

  async function refreshRequest(now) {
    const m = state.minutes;
    const [services, anomalies, status, incidents] = await Promise.all([
      getJSON('/api/services'),
      getJSON('/api/anomalies?minutes=' + m),
      getJSON('/api/status').catch(() => null),
      getJSON('/api/incidents?minutes=' + m).catch(() => null),
    ]);
    if (!services.ok || !anomalies.ok)
      throw new Error('api answered ' + services.status + '/'
        + anomalies.status);
    const names = (services.body.services || []).map((s) => s.service);
    const series = await Promise.all(names.map((n) =>
      getJSON('/api/windows?minutes=' + m + '&service='
        + encodeURIComponent(n))));
    const anomalyList = (anomalies.body.anomalies || []).map((a) =>
      Object.assign({ window_end: a.window_start + 10000 }, a));

    // A common time axis for all small multiples.
    // It spans the range, or only the data if there is less of it.
    let xMax = 0, xMin = Infinity;
    const windowsOf = new Map();
    names.forEach((n, i) => {
      const rows = series[i].ok ? (series[i].body.windows || []) : [];
      windowsOf.set(n, rows);
      for (const r of rows) {
        xMax = Math.max(xMax, r.window_end);
        xMin = Math.min(xMin, r.window_start);
      }
    });
    if (!xMax) xMax = now;
    state.xMax = xMax / 1000;
    state.xMin = Math.max(state.xMax - m * 60,
      isFinite(xMin) ? xMin / 1000 : 0);
    if (state.xMax - state.xMin < 120) state.xMin = state.xMax - 120;

    const host = $('services');
    for (const n of names) {
      let card = state.cards.get(n);
      if (!card) {
        card = makeCard(n);
        state.cards.set(n, card);
        host.append(card.root);
      }
      const rows = windowsOf.get(n);
      const span = rows.length
        ? rows[rows.length - 1].window_end - rows[rows.length - 1].window_start
        : 10000;
      updateCard(card, rows, anomalyList.filter((a) => a.service === n)
        .map((a) => Object.assign({}, a,
          { window_end: a.window_start + span })));
    }
    for (const [n, card] of state.cards) {
      if (!names.includes(n)) {
        card.root.remove();
        state.cards.delete(n);
      }
    }
    const ordered = [...state.cards.values()].sort((a, b) =>
      b.rank - a.rank || a.service.localeCompare(b.service));
    ordered.forEach((c, i) => {
      if (host.children[i] !== c.root) host.insertBefore(c.root,
        host.children[i] || null);
    });
    host.dataset.latestWindow = String(Math.max(0,
      ...ordered.map((c) => (c.latest ? c.latest.window_start : 0))));

    renderIncidents(incidents && incidents.ok
      ? (incidents.body.incidents || []) : null, xMax);
    renderAnomalies(anomalyList);
    renderHealth(status && status.ok ? status.body : null, now);
    renderVerdict(ordered, true);
  }

  function start() {
    const range = $('range');
    const saved = Number(localStorage.getItem('vigil.minutes'));
    if ([15, 30, 60, 180].includes(saved)) range.value = String(saved);
    state.minutes = Number(range.value);
    range.addEventListener('change', () => {
      state.minutes = Number(range.value);
      localStorage.setItem('vigil.minutes', range.value);
      refresh();
    });
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        state.cards.forEach(ensureCharts);
        resizeKindCharts();
      }, 150);
    });
    refresh();
    setInterval(refresh, REFRESH_MS);
    setInterval(() => renderUpdated(Date.now()), 1000);
  }

  start();
})();
