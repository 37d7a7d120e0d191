// Alerts: departures from each device's learned behaviour (threat engine),
// with the baseline each one broke and the observations behind it.
import { get, notMounted } from '../api.js';
import { h, empty, text, fmtNum, timeEl, deviceLink } from '../dom.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'];
// KINDS are the threat engine's alert kinds (threat.Kinds), most specific first.
const KINDS = ['known_bad_indicator', 'smbv1_rdp_unusual_peer', 'new_listening_service', 'new_external_destination', 'cleartext_credentials',
  'new_protocol', 'new_port', 'volume_anomaly', 'alert_rate_exceeded'];
const LIMIT = 200;

// notAvailable is what a page shows when the server does not serve its API.
export function notAvailable(what) {
  return h('p', { class: 'empty not-available' }, `${what} not available on this server: it does not serve this part of the API (the server answered 404).`);
}

export function severityBadge(sev) {
  const s = SEVERITIES.includes(sev) ? sev : 'unknown';
  return h('span', { class: `sev ${s}` }, text(sev, 'unrated'));
}

export function kindText(k) {
  return text(k).replace(/_/g, ' ');
}

// evidenceText is one observation behind an alert, as a line.
export function evidenceText(e) {
  const ep = (ip, port) => (ip ? `${ip}${port ? ':' + port : ''}` : '');
  const flow = [ep(e.src, e.src_port), ep(e.dst, e.dst_port)].filter(Boolean).join(' → ');
  return [e.protocol, e.transport, flow, (e.fields || []).join(', ')].filter(Boolean).join(' · ');
}

// brokeText explains which baseline a deviation broke and what it knew.
export function brokeText(b) {
  if (!b) return '';
  const base = text(b.baseline).replace(/_/g, ' ');
  let s = `New in baseline “${base}”: ${text(b.value)}`;
  if (b.known_count) s += ` (${fmtNum(b.known_count)} known value${b.known_count === 1 ? '' : 's'}${(b.known || []).length ? ', e.g. ' + b.known.slice(0, 5).join(', ') : ''})`;
  else s += ' (nothing known)';
  if (b.detail) s += ` — ${b.detail}`;
  return s;
}

// alertBlock renders one alert; showDevice is off on the device page.
export function alertBlock(a, { showDevice = true } = {}) {
  const ev = a.evidence || [];
  return h('article', { class: 'finding alert' },
    h('div', {}, severityBadge(a.severity), ' ', h('strong', {}, text(a.title)),
      showDevice && a.device_id ? [' on ', deviceLink(a.device_id, a.device_name || a.device_id)] : null,
      a.state && a.state !== 'open' ? [' ', h('span', { class: 'badge' }, a.state + (a.snoozed_by ? ` (${a.snoozed_by})` : ''))] : null),
    h('p', { class: 'evid' }, [kindText(a.kind), `seen ${fmtNum(a.count)}×`, a.site ? `site ${a.site}` : '', a.criticality ? `criticality ${kindText(a.criticality)}` : ''].filter(Boolean).join(' · '),
      ' · first ', timeEl(a.first), ' · last ', timeEl(a.last)),
    h('p', {}, brokeText(a.broke)),
    (a.also || []).length ? h('ul', { class: 'explain', 'aria-label': 'Other baselines broken' }, a.also.map(b => h('li', {}, brokeText(b)))) : null,
    ev.length ? h('details', {}, h('summary', {}, `Evidence (${ev.length} observation${ev.length === 1 ? '' : 's'})`),
      h('ul', { class: 'explain' }, ev.map(e => h('li', {}, timeEl(e.time), ' ', evidenceText(e))))) : null,
    a.baseline_window && a.baseline_window.from ? h('p', { class: 'evid' }, 'Baseline learned ', timeEl(a.baseline_window.from), ' to ', timeEl(a.baseline_window.until)) : null);
}

export async function render(main, ctx) {
  const q = ctx.query;
  const state = { severity: q.get('severity') || '', state: q.get('state') || '', kind: q.get('kind') || '', device: q.get('device') || '' };
  main.append(h('h1', {}, 'Alerts'));
  let resp;
  try {
    resp = await get('/api/v1/alerts', { ...state, site: ctx.site, limit: LIMIT });
  } catch (err) {
    if (notMounted(err)) {
      main.append(notAvailable('Alerts are'));
      return;
    }
    throw err;
  }
  const alerts = Array.isArray(resp && resp.alerts) ? resp.alerts : [];
  const go = next => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...state, ...next })) if (v) u.set(k, v);
    ctx.navigate(`/alerts${u.toString() ? '?' + u : ''}`);
  };
  const sevS = h('select', { id: 'al-severity' }, h('option', { value: '' }, 'Any'), SEVERITIES.map(s => h('option', { value: s }, `${s} or higher`)));
  sevS.value = state.severity;
  const kindS = h('select', { id: 'al-kind' }, h('option', { value: '' }, 'Any'), KINDS.map(k => h('option', { value: k }, kindText(k))));
  kindS.value = state.kind;
  if (kindS.value !== state.kind) kindS.append(h('option', { value: state.kind, selected: true }, kindText(state.kind)));
  const stateS = h('select', { id: 'al-state' }, [['', 'Any'], ['open', 'Open'], ['snoozed', 'Snoozed']].map(([v, l]) => h('option', { value: v }, l)));
  stateS.value = state.state;
  const form = h('form', { class: 'filters', onsubmit: ev => { ev.preventDefault(); go({ severity: sevS.value, kind: kindS.value, state: stateS.value }); } },
    h('label', { for: 'al-severity' }, 'Severity', sevS),
    h('label', { for: 'al-kind' }, 'Kind', kindS),
    h('label', { for: 'al-state' }, 'State', stateS),
    h('button', { type: 'submit' }, 'Apply'));
  for (const el of [sevS, kindS, stateS]) el.addEventListener('change', () => form.requestSubmit());
  main.append(form);
  const filtered = Boolean(state.severity || state.state || state.kind || state.device);
  const count = typeof resp.count === 'number' ? resp.count : alerts.length;
  main.append(h('p', { role: 'status', id: 'al-count' }, `${fmtNum(count)} alert${count === 1 ? '' : 's'}${count >= LIMIT ? ` (the ${LIMIT} newest)` : ''}`,
 state.device ? ` on device ${state.device}` : ''));
  if (!alerts.length) {
    main.append(empty(filtered
      ? 'No alert matches these filters.'
      : 'No alerts: no device departed from its learned behaviour, or no baseline has finished learning yet (the threat engine runs during ingest with --alerts).'));
    return;
  }
  const bySev = SEVERITIES.slice().reverse().map(s => [s, alerts.filter(a => a.severity === s).length]).filter(([, n]) => n);
  main.append(h('p', { class: 'evid' }, 'By severity: ', bySev.map(([s, n]) => `${s} ${fmtNum(n)}`).join(', ')));
  main.append(h('section', { class: 'panel', 'aria-label': 'Alert list', id: 'alert-list' }, alerts.map(a => alertBlock(a))));
}

const SETS = [
  ['peers', 'Internal peers'], ['subnets', 'Internal subnets'], ['public_ips', 'Public destinations'], ['dns_names', 'Names looked up'],
  ['ports_out', 'Ports it connects to'], ['services', 'Services it offers'], ['protocols', 'Protocols'], ['conversations', 'Conversations'],
  ['cleartext', 'Cleartext credentials'],
];

// setRows lists a learned set's values, most used first.
export function setRows(set) {
  return Object.entries(set || {}).map(([value, e]) => ({ value, count: Number(e && e.count) || 0, last: e && e.last }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

// fmtBytes shows a byte count in binary units.
export function fmtBytes(n) {
  const v = Number(n) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, x = v;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${fmtNum(x, i ? 1 : 0)} ${units[i]}`;
}

// baselineSection renders the device's learned baseline and its alerts.
// baseline is the API answer, null when the server has none (404), or
// undefined when the threat API is not served at all.
export function baselineSection(baseline, alerts, { lineChart }) {
  const parts = [];
  if (alerts === undefined) {
    return [notAvailable('Baselines and alerts are')];
  }
  if (baseline === null) {
    parts.push(empty('No baseline yet: Ward has not finished learning how this device normally talks (it learns during ingest with --alerts), so nothing can be compared with it.'));
  } else if (baseline) {
    const vr = baseline.volume_range || {};
    const facts = [
      ['Learned', [timeEl(baseline.learning_from), ' to ', timeEl(baseline.learning_until)]],
      ['Observations', fmtNum(baseline.observations)],
      ...SETS.map(([k, label]) => [label, setSummary(baseline[k])]),
    ];
    if (vr.hours) facts.push(['Hourly volume', `mean ${fmtBytes(vr.mean)}, max ${fmtBytes(vr.max)} over ${fmtNum(vr.hours)} hours; above ${fmtBytes(vr.limit)} an hour is an anomaly`]);
    parts.push(h('dl', { class: 'facts', id: 'baseline-facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    const hours = (baseline.hours || []).filter(x => x && x.hour);
    if (hours.length > 1) {
      // One unit for the axis, named in the title, keeps its labels short.
      const max = Math.max(...hours.map(x => Number(x.bytes) || 0));
      const [unit, div] = max >= 2 ** 30 ? ['GiB', 2 ** 30] : max >= 2 ** 20 ? ['MiB', 2 ** 20] : max >= 1024 ? ['KiB', 1024] : ['bytes', 1];
      parts.push(lineChart(hours.map(x => ({ x: String(x.hour).slice(5, 13).replace('T', ' ') + 'h', y: (Number(x.bytes) || 0) / div })),
        { title: `Bytes per hour during the learning window (${unit}, UTC)`, yFormat: v => fmtNum(v, v < 10 && v % 1 ? 1 : 0), width: 900, height: 180 }));
    }
  }
  parts.push(h('h3', {}, `Alerts (${alerts.length})`));
  parts.push(alerts.length ? alerts.map(a => alertBlock(a, { showDevice: false })) : empty('No alerts for this device.'));
  return parts;
}

function setSummary(set) {
  const rows = setRows(set);
  if (!rows.length) return 'none';
  const shown = rows.slice(0, 6).map(r => `${r.value} (${fmtNum(r.count)}×)`).join(', ');
  return `${fmtNum(rows.length)}: ${shown}${rows.length > 6 ? ` and ${fmtNum(rows.length - 6)} more` : ''}`;
}
