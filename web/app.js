// vigil dashboard: polls the node's JSON API, lists the incidents, and draws
// one card per service (requests/s, errors %, p95 ms) with uPlot, anomalies
// marked on the charts.
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
    return String(v);
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

  function renderVerdict(cards, reachable) {
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
      v.textContent = 'ALL ' + cards.length + ' SERVICES OK';
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

  // -- refresh ----------------------------------------------------------------

  async function refresh() {
    if (state.inFlight) return;
    state.inFlight = true;
    const now = Date.now();
    const m = state.minutes;
    try {
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
      state.lastOk = Date.now();
      document.body.dataset.refreshes =
        String((Number(document.body.dataset.refreshes) || 0) + 1);
    } catch (e) {
      if (Date.now() - state.lastOk > STALE_MS) renderVerdict([], false);
    } finally {
      state.inFlight = false;
      renderUpdated(Date.now());
    }
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
      resizeTimer = setTimeout(() => state.cards.forEach(ensureCharts), 150);
    });
    refresh();
    setInterval(refresh, REFRESH_MS);
    setInterval(() => renderUpdated(Date.now()), 1000);
  }

  start();
})();
