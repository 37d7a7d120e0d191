// Dashboard: device counts by type and manufacturer, risk tiers, the trend
// of open risk and the newest change events.
import { get } from '../api.js';
import { h, panel, empty, fmtNum, timeEl, deviceLink, deviceName, text } from '../dom.js';
import { barChart, lineChart } from '../charts.js';

const TIERS = [
  { name: 'Immediate', color: '#b91c1c' },
  { name: 'Out-of-Cycle', color: '#c2410c' },
  { name: 'Scheduled', color: '#a16207' },
  { name: 'Defer', color: '#3f6212' },
];

function topEntries(obj, n) {
  const rows = Object.entries(obj || {}).map(([label, value]) => ({ label: label || 'unknown', value: Number(value) || 0 }));
  rows.sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  if (rows.length <= n) return rows;
  const rest = rows.slice(n - 1).reduce((s, r) => s + r.value, 0);
  return [...rows.slice(0, n - 1), { label: `${rows.length - n + 1} others`, value: rest, color: '#64748b' }];
}

export function eventText(e) {
  const what = e.attribute ? `${e.attribute}: ` : '';
  const change = e.before || e.after ? `${text(e.before, '(none)')} → ${text(e.after, '(none)')}` : '';
  return `${String(e.type || 'event').replace(/_/g, ' ')}${what || change ? ' — ' : ''}${what}${change}`;
}

export async function render(main, ctx) {
  const d = await get('/api/v1/dashboard', { site: ctx.site });
  main.append(h('h1', {}, 'Dashboard'));
  const tiers = d.risk_tiers || {};
  const open = TIERS.reduce((s, t) => s + (Number(tiers[t.name]) || 0), 0);
  main.append(h('div', { class: 'kpis' },
    kpi(fmtNum(d.devices_total || 0), 'devices'),
    kpi(fmtNum(tiers.Immediate || 0), 'immediate risks'),
    kpi(fmtNum(open), 'open risk items'),
    kpi(fmtNum((d.recent_events || []).length), 'recent changes')));

  const byType = topEntries(d.devices_by_type, 10);
  const byMfr = topEntries(d.devices_by_manufacturer, 10);
  const grid = h('div', { class: 'grid two' });
  grid.append(panel('Devices by type',
    byType.length ? barChart(byType, { title: 'Devices by type' }) : empty('No devices in the inventory yet: no sensor data has been ingested for this scope.')));
  grid.append(panel('Devices by manufacturer',
    byMfr.length ? barChart(byMfr, { title: 'Devices by manufacturer', color: '#0b4f6c' }) : empty('No manufacturer identified yet: no devices, or none with a recognized manufacturer.')));
  grid.append(panel('Risk tiers',
    d.risk_available === false ? empty('Risk assessment is not available on this server: no feeds or risk engine configured (see Feeds).') : open ? barChart(TIERS.map(t => ({ label: t.name, value: Number(tiers[t.name]) || 0, color: t.color })), { title: 'Open risk items by SSVC priority', labelWidth: 110 })
      : empty('No open risk items: either no vulnerability findings match the inventory, or no feeds are loaded (see Feeds).'),
    h('p', {}, h('a', { href: '/findings', 'data-link': true }, 'All findings'), ' · ', h('a', { href: '/plan', 'data-link': true }, 'Remediation plan'))));
  const trend = (d.risk_trend || []).filter(p => p && p.date);
  grid.append(panel('Trend of open risk',
    trend.length >= 2 ? lineChart(trend.map(p => ({ x: String(p.date).slice(0, 10), y: Number(p.open_risk) || 0 })), { title: 'Open risk over time', yFormat: v => fmtNum(v, v < 10 && v % 1 ? 1 : 0) })
      : empty(trend.length === 1 ? `Only one day of history so far (${String(trend[0].date).slice(0, 10)}: open risk ${fmtNum(trend[0].open_risk, 1)}); the trend appears after a second day.` : 'No risk history recorded yet.')));
  const evs = (d.recent_events || []).slice(0, 10);
  grid.append(panel('Newest change events',
    evs.length ? h('ol', { class: 'timeline' }, evs.map(e => h('li', {}, timeEl(e.time), deviceLink(e.device_id, e.device || e.device_id), ' ', eventText(e))))
      : empty('No change events yet: devices appear, move or change software as sensors report them.'),
    h('p', {}, h('a', { href: '/devices', 'data-link': true }, 'Open the inventory'))));
  grid.lastChild.classList.add('wide');
  main.append(grid);
  nameEventDevices(grid.lastChild, evs);
}

// nameEventDevices replaces device ids in the event list with the names a
// technician recognizes, once they arrive; the ids stay if a lookup fails.
function nameEventDevices(root, evs) {
  const ids = [...new Set(evs.filter(e => !e.device).map(e => e.device_id))].slice(0, 10);
  for (const id of ids) {
    get('/api/v1/devices', { q: id, limit: 5 }).then(r => {
      const d = (r && r.items || []).find(x => x.id === id);
      if (!d) return;
      const name = deviceName(d);
      if (name === id) return;
      for (const a of root.querySelectorAll('a[data-link]')) {
        if (a.getAttribute('href') === `/devices/${encodeURIComponent(id)}`) a.textContent = name;
      }
    }).catch(() => {});
  }
}

function kpi(n, label) {
  return h('div', { class: 'kpi' }, h('span', { class: 'n' }, n), h('span', { class: 'l' }, label));
}
