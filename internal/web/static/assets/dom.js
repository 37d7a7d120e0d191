// DOM helpers. Everything that comes from the API is inserted as text
// (text nodes, textContent, attribute values set one by one): device
// names and banners come from the network and are treated as hostile.
// Nothing in the UI ever assigns innerHTML.

// h builds an element: h('a', {href: '/x', class: 'y'}, 'text', child, [more]).
// Attribute values are set with setAttribute; "on" attributes must be
// functions (event listeners), so markup can never carry script.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new TypeError(`${k} must be a function`);
      el.addEventListener(k.slice(2), v);
    } else if (k === 'href' || k === 'src' || k === 'action') {
      el.setAttribute(k, safeURL(v));
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// safeURL lets through same-origin paths and web links only: an advisory
// URL from a feed must not become a javascript: link.
export function safeURL(u) {
  const s = String(u);
  if (s.startsWith('/') && !s.startsWith('//')) return s;
  if (/^https?:/i.test(s)) return s;
  if (s.startsWith('#')) return s;
  return '#';
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// text returns a display string for a possibly missing value.
export function text(v, dash = '—') {
  if (v === undefined || v === null || v === '') return dash;
  return String(v);
}

export function fmtTime(v) {
  if (!v) return '—';
  const d = new Date(v);
  if (isNaN(d) || d.getUTCFullYear() < 1971) return '—';
  return d.toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

export function timeEl(v) {
  const t = fmtTime(v);
  return t === '—' ? t : h('time', { datetime: v }, t);
}

export function fmtNum(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(Number(n))) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function pct(x) {
  if (x === undefined || x === null) return '—';
  return `${fmtNum(Number(x) * 100, 0)} %`;
}

export function empty(msg) {
  return h('p', { class: 'empty' }, msg);
}

export function errorBox(what, err) {
  return h('p', { class: 'error', role: 'alert' }, `Could not load ${what}: ${err && err.message ? err.message : err}`);
}

export function panel(title, ...children) {
  const id = 'p-' + Math.random().toString(36).slice(2, 9);
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

// table renders rows with columns [{label, value(row) -> node|string, num}].
export function table(caption, cols, rows) {
  const thead = h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label))));
  const tbody = h('tbody', {}, rows.map(r => h('tr', {}, cols.map(c => h('td', { class: c.num ? 'num' : null }, c.value(r))))));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'visually-hidden' }, caption), thead, tbody));
}

// tierClass maps an SSVC priority name or letter to a CSS class.
export function tierBadge(name) {
  const map = { I: 'Immediate', O: 'Out-of-Cycle', S: 'Scheduled', D: 'Defer' };
  const n = map[name] || name;
  const cls = { Immediate: 'immediate', 'Out-of-Cycle': 'out-of-cycle', Scheduled: 'scheduled', Defer: 'defer' }[n] || 'unknown';
  return h('span', { class: `tier ${cls}` }, text(n, 'unrated'));
}

// deviceName is what a technician recognizes: host name, model or address.
export function deviceName(d) {
  if (!d) return '—';
  const ip = Array.isArray(d.ips) && d.ips.length ? (typeof d.ips[0] === 'string' ? d.ips[0] : d.ips[0].ip) : '';
  const model = [d.manufacturer, d.model].filter(Boolean).join(' ');
  return d.hostname || d.device || model || ip || d.mac || d.id;
}

export function deviceLink(id, label) {
  return h('a', { href: `/devices/${encodeURIComponent(id)}`, 'data-link': true }, text(label || id));
}
