// Inline SVG charts drawn by our own code: a line chart (equity) and a bar chart (profit per day).

const NS = 'http://www.w3.org/2000/svg';
const W = 900;
const H = 240;
const PAD = { l: 64, r: 10, t: 10, b: 24 };

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(label) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  return root;
}

function scale(min, max, a, b) {
  const span = max - min || 1;
  return (v) => a + ((v - min) / span) * (b - a);
}

function yAxis(root, min, max, y) {
  for (const v of [min, (min + max) / 2, max]) {
    root.append(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'axis' }));
    root.append(svg('text', { x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, compact(v, max - min)));
  }
}

/** Axis label: short (k/M) only when the span is wide enough that the labels stay distinct. */
export function compact(v, span) {
  const a = Math.abs(v);
  if (a >= 1e6 && span >= 3e5) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3 && span >= 300) return `${(v / 1e3).toFixed(1)}k`;
  return v.toLocaleString(undefined, { maximumFractionDigits: span < 10 ? 2 : span < 100 ? 1 : 0 });
}

/** points: [{x: Date, y: number}] in time order. */
export function lineChart(points, label) {
  const root = frame(label);
  if (points.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No data yet'));
    return root;
  }
  const ys = points.map((p) => p.y);
  const xs = points.map((p) => p.x.getTime());
  const [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  const x = scale(Math.min(...xs), Math.max(...xs), PAD.l, W - PAD.r);
  const y = scale(ymin, ymax, H - PAD.b, PAD.t);
  yAxis(root, ymin, ymax, y);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.x.getTime()).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  root.append(svg('path', { d: `${d} L${x(last.x.getTime()).toFixed(1)},${H - PAD.b} L${x(xs[0]).toFixed(1)},${H - PAD.b} Z`, class: 'area' }));
  root.append(svg('path', { d, class: 'line' }));
  root.append(svg('text', { x: PAD.l, y: H - 6 }, points[0].x.toLocaleDateString()));
  root.append(svg('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end' }, last.x.toLocaleDateString()));
  return root;
}

/** series: [{name, points: [{x: Date, y: number}]}] drawn as lines on one scale. */
export function multiLineChart(series, label) {
  const root = frame(label);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No data yet'));
    return root;
  }
  const ys = all.map((p) => p.y);
  const xs = all.map((p) => p.x.getTime());
  const [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  const x = scale(Math.min(...xs), Math.max(...xs), PAD.l, W - PAD.r);
  const y = scale(ymin, ymax === ymin ? ymin + 1 : ymax, H - PAD.b, PAD.t);
  yAxis(root, ymin, ymax, y);
  series.forEach((s, n) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.x.getTime()).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    const path = svg('path', { d, class: `indicator indicator-${n % 4}`, 'data-series': s.name });
    path.append(svg('title', {}, s.name));
    root.append(path);
  });
  root.append(svg('text', { x: PAD.l, y: H - 6 }, new Date(Math.min(...xs)).toLocaleDateString()));
  root.append(svg('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end' }, new Date(Math.max(...xs)).toLocaleDateString()));
  return root;
}

/** bars: [{label: string, value: number}]; positive green, negative red. */
export function barChart(bars, label) {
  const root = frame(label);
  if (bars.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No data yet'));
    return root;
  }
  const values = bars.map((b) => b.value);
  const ymin = Math.min(0, ...values);
  const ymax = Math.max(0, ...values);
  const y = scale(ymin, ymax === ymin ? ymin + 1 : ymax, H - PAD.b, PAD.t);
  yAxis(root, ymin, ymax, y);
  const step = (W - PAD.l - PAD.r) / bars.length;
  bars.forEach((b, i) => {
    const top = y(Math.max(0, b.value));
    const height = Math.max(1, Math.abs(y(b.value) - y(0)));
    const rect = svg('rect', { x: (PAD.l + i * step + step * 0.15).toFixed(1), y: top.toFixed(1),
      width: Math.max(1, step * 0.7).toFixed(1), height: height.toFixed(1), class: b.value < 0 ? 'bar-neg' : 'bar-pos' });
    rect.append(svg('title', {}, `${b.label}: ${b.value.toFixed(2)}`));
    root.append(rect);
  });
  root.append(svg('text', { x: PAD.l, y: H - 6 }, bars[0].label));
  root.append(svg('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end' }, bars[bars.length - 1].label));
  return root;
}

/**
 * candles: [[open_time_ms, open, high, low, close, volume], ...] oldest first.
 * opts.lines: [{name, values: Map(open_time_ms -> value)}] drawn over the candles (indicators);
 * opts.markers: [{time, kind: 'buy'|'sell', label}] drawn as triangles at that candle.
 */
export function candlestickChart(candles, label, opts = {}) {
  const root = frame(label);
  root.classList.add('candles');
  if (candles.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No candles in this range'));
    return root;
  }
  const lines = opts.lines || [];
  const markers = opts.markers || [];
  const inRange = new Set(candles.map((c) => c[0]));
  const lineValues = lines.flatMap((l) => [...l.values].filter(([t]) => inRange.has(t)).map(([, v]) => v));
  const lows = candles.map((c) => c[3]).concat(lineValues);
  const highs = candles.map((c) => c[2]).concat(lineValues);
  const [ymin, ymax] = [Math.min(...lows), Math.max(...highs)];
  const y = scale(ymin, ymax === ymin ? ymin + 1 : ymax, H - PAD.b, PAD.t);
  yAxis(root, ymin, ymax, y);
  const step = (W - PAD.l - PAD.r) / candles.length;
  const body = Math.max(1, step * 0.7);
  const xOf = new Map();
  candles.forEach(([t, o, hi, lo, c], i) => {
    const mid = PAD.l + i * step + step / 2;
    xOf.set(t, mid);
    const up = c >= o;
    const g = svg('g', { class: `candle ${up ? 'candle-up' : 'candle-down'}`, 'data-time': t });
    g.append(svg('title', {}, `${new Date(t).toISOString()}  O ${o}  H ${hi}  L ${lo}  C ${c}`));
    g.append(svg('line', { x1: mid.toFixed(1), x2: mid.toFixed(1), y1: y(hi).toFixed(1), y2: y(lo).toFixed(1), class: 'wick' }));
    const top = y(Math.max(o, c));
    g.append(svg('rect', { x: (mid - body / 2).toFixed(1), y: top.toFixed(1), width: body.toFixed(1),
      height: Math.max(1, y(Math.min(o, c)) - top).toFixed(1), class: 'body' }));
    root.append(g);
  });
  lines.forEach((l, n) => {
    const pts = candles.filter((c) => l.values.has(c[0])).map((c) => [xOf.get(c[0]), y(l.values.get(c[0]))]);
    if (pts.length < 2) return;
    const d = pts.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
    const path = svg('path', { d, class: `indicator indicator-${n % 4}`, 'data-indicator': l.name });
    path.append(svg('title', {}, l.name));
    root.append(path);
  });
  for (const m of markers) {
    const mx = xOf.get(m.time);
    if (mx === undefined) continue;
    const candle = candles.find((c) => c[0] === m.time);
    const buy = m.kind === 'buy';
    const py = buy ? y(candle[3]) + 10 : y(candle[2]) - 10;
    const tip = buy ? py - 7 : py + 7;
    const g = svg('g', { class: `marker marker-${m.kind}`, 'data-time': m.time });
    g.append(svg('title', {}, m.label || m.kind));
    g.append(svg('path', { d: `M${mx.toFixed(1)},${tip.toFixed(1)} L${(mx - 5).toFixed(1)},${py.toFixed(1)} L${(mx + 5).toFixed(1)},${py.toFixed(1)} Z` }));
    root.append(g);
  }
  const first = new Date(candles[0][0]);
  const last = new Date(candles[candles.length - 1][0]);
  root.append(svg('text', { x: PAD.l, y: H - 6 }, first.toLocaleString()));
  root.append(svg('text', { x: W - PAD.r, y: H - 6, 'text-anchor': 'end' }, last.toLocaleString()));
  return root;
}
