// Charts drawn as inline SVG. Labels are text nodes (never markup), and
// each chart carries a title and description for screen readers. Callers
// decide what to show when there is no data: these functions are only
// called with something to draw.

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let seq = 0;
function frame(width, height, title, desc) {
  const id = `chart-${++seq}`;
  return s('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMinYMin meet',
  }, s('title', { id: `${id}-t` }, title), s('desc', { id: `${id}-d` }, desc));
}

function clip(label, n) {
  const t = String(label);
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// barChart draws horizontal bars: data [{label, value, color?}].
export function barChart(data, { title, width = 460, labelWidth = 170, color = '#0e7490' } = {}) {
  const row = 22;
  const height = data.length * row + 8;
  const max = Math.max(...data.map(d => d.value), 0);
  const desc = data.map(d => `${d.label}: ${d.value}`).join('; ');
  const svg = frame(width, height, title, desc);
  const barW = width - labelWidth - 50;
  data.forEach((d, i) => {
    const y = 4 + i * row;
    const w = max > 0 && d.value > 0 ? Math.max(1, (d.value / max) * barW) : 0;
    const label = s('text', { x: labelWidth - 6, y: y + 14, 'text-anchor': 'end' }, clip(d.label, 22));
    label.append(s('title', {}, String(d.label)));
    svg.append(label,
      s('rect', { x: labelWidth, y: y + 2, width: w, height: row - 6, fill: d.color || color, rx: 2 }),
      s('text', { x: labelWidth + w + 5, y: y + 14 }, String(d.value)));
  });
  return svg;
}

// lineChart draws y over ordered x labels: points [{x, y}].
// Options: yMax (fixed top), yFormat, area (fill below).
export function lineChart(points, { title, width = 460, height = 200, yMax, yFormat = v => String(v), color = '#0e7490', area = true } = {}) {
  const m = { l: 48, r: 12, t: 10, b: 28 };
  const desc = points.map(p => `${p.x}: ${yFormat(p.y)}`).join('; ');
  const svg = frame(width, height, title, desc);
  const top = yMax !== undefined ? yMax : niceMax(Math.max(...points.map(p => p.y), 0));
  const iw = width - m.l - m.r, ih = height - m.t - m.b;
  const X = i => m.l + (points.length === 1 ? iw / 2 : (i / (points.length - 1)) * iw);
  const Y = v => m.t + ih - (top > 0 ? (v / top) * ih : 0);
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    svg.append(s('line', { class: 'grid-line', x1: m.l, x2: width - m.r, y1: Y(v), y2: Y(v) }),
      s('text', { class: 'muted', x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, yFormat(v)));
  }
  svg.append(s('line', { class: 'axis', x1: m.l, x2: width - m.r, y1: m.t + ih, y2: m.t + ih }));
  const step = Math.max(1, Math.ceil(points.length / 6));
  points.forEach((p, i) => {
    if (i % step === 0 || i === points.length - 1) {
      const anchor = points.length > 1 && i === 0 ? 'start' : points.length > 1 && i === points.length - 1 ? 'end' : 'middle';
      svg.append(s('text', { class: 'muted', x: X(i), y: height - 8, 'text-anchor': anchor }, clip(p.x, 12)));
    }
  });
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${X(i).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ');
  if (area && points.length > 1) {
    svg.append(s('path', { d: `${path} L${X(points.length - 1).toFixed(1)},${Y(0)} L${X(0).toFixed(1)},${Y(0)} Z`, fill: color, 'fill-opacity': 0.12 }));
  }
  svg.append(s('path', { d: path, fill: 'none', stroke: color, 'stroke-width': 2 }));
  // Markers only where they stay distinguishable; the path carries the rest.
  points.forEach((p, i) => {
    if (points.length > 30 && i % Math.ceil(points.length / 30) !== 0 && i !== points.length - 1) return;
    const c = s('circle', { cx: X(i), cy: Y(p.y), r: 3, fill: color });
    c.append(s('title', {}, `${p.x}: ${yFormat(p.y)}`));
    svg.append(c);
  });
  return svg;
}

// heatmap draws days × 24 hours; days [{label, hours: uint32 bitmask, note}].
export function hourHeatmap(days, { title, width = 1000 } = {}) {
  const lw = 90, cell = Math.floor((width - lw - 4) / 24), row = 20;
  const height = days.length * row + 22;
  const active = days.map(d => `${d.label}: ${countBits(d.hours)} active hours`).join('; ');
  const svg = frame(width, height, title, active);
  for (let hr = 0; hr < 24; hr += 3) {
    svg.append(s('text', { class: 'muted', x: lw + hr * cell + cell / 2, y: 12, 'text-anchor': 'middle' }, String(hr).padStart(2, '0')));
  }
  days.forEach((d, i) => {
    const y = 18 + i * row;
    svg.append(s('text', { x: lw - 6, y: y + 13, 'text-anchor': 'end' }, d.label));
    for (let hr = 0; hr < 24; hr++) {
      const on = ((d.hours >>> hr) & 1) === 1;
      const r = s('rect', { x: lw + hr * cell, y, width: cell - 1, height: row - 2, fill: on ? '#0e7490' : '#e2e8f0' });
      r.append(s('title', {}, `${d.label} ${String(hr).padStart(2, '0')}:00 ${on ? 'clinical traffic' : 'idle'}${d.note ? ' · ' + d.note : ''}`));
      svg.append(r);
    }
  });
  return svg;
}

export function countBits(n) {
  let c = 0;
  for (let v = n >>> 0; v; v &= v - 1) c++;
  return c;
}

// columnChart draws vertical grouped columns: categories (x labels) and
// series [{name, color, values[]}] aligned with them. A legend in the
// caller names the series; each column carries its own title.
export function columnChart(categories, series, { title, width = 560, height = 220 } = {}) {
  const m = { l: 40, r: 10, t: 10, b: 26 };
  const desc = categories.map((c, i) => `${c}: ${series.map(se => `${se.name} ${se.values[i] ?? 0}`).join(', ')}`).join('; ');
  const svg = frame(width, height, title, desc);
  const top = niceMax(Math.max(0, ...series.flatMap(se => se.values.map(v => Number(v) || 0))));
  const iw = width - m.l - m.r, ih = height - m.t - m.b;
  const Y = v => m.t + ih - (v / top) * ih;
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    svg.append(s('line', { class: 'grid-line', x1: m.l, x2: width - m.r, y1: Y(v), y2: Y(v) }),
      s('text', { class: 'muted', x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  svg.append(s('line', { class: 'axis', x1: m.l, x2: width - m.r, y1: m.t + ih, y2: m.t + ih }));
  const slot = iw / Math.max(1, categories.length);
  const bw = Math.max(2, Math.min(28, (slot * 0.8) / Math.max(1, series.length)));
  const step = Math.max(1, Math.ceil(categories.length / 12));
  categories.forEach((c, i) => {
    const x0 = m.l + i * slot + (slot - bw * series.length) / 2;
    series.forEach((se, j) => {
      const v = Number(se.values[i]) || 0;
      const r = s('rect', { x: x0 + j * bw, y: Y(v), width: bw - 1, height: Math.max(0, m.t + ih - Y(v)), fill: se.color || '#0e7490' });
      r.append(s('title', {}, `${c}: ${v} ${se.name}`));
      svg.append(r);
    });
    if (i % step === 0) svg.append(s('text', { class: 'muted', x: m.l + i * slot + slot / 2, y: height - 8, 'text-anchor': 'middle' }, clip(c, 8)));
  });
  return svg;
}
