// Inventory: searchable, filterable, sortable, paged device table with a
// CSV export of the same selection. The filter state lives in the URL so
// reloads, bookmarks and the back button work.
import { get, list, apiURL } from '../api.js';
import { h, empty, text, fmtTime, fmtNum, deviceLink, deviceName } from '../dom.js';

const PAGE = 50;

const COLS = [
  { key: 'hostname', label: 'Device', value: d => deviceLink(d.id, deviceName(d)) },
  { key: 'type', label: 'Type', value: d => text(d.type) },
  { key: 'manufacturer', label: 'Manufacturer', value: d => text(d.manufacturer) },
  { key: 'model', label: 'Model', value: d => text(d.model) },
  { key: 'version', label: 'Version', value: d => text(d.version), nosort: true },
  { key: 'ip', label: 'IP', value: d => text((d.ips || []).map(x => (typeof x === 'string' ? x : x.ip)).join(', ')) },
  { key: 'mac', label: 'MAC', value: d => h('span', { class: 'mono' }, text(d.mac)) },
  { key: 'criticality', label: 'Criticality', value: d => text(d.criticality) },
  { key: 'site', label: 'Site', value: d => text(d.site), nosort: true },
  { key: 'location', label: 'Location', value: d => h('span', { class: 'wrap' }, text(d.location)), nosort: true },
  { key: 'last_seen', label: 'Last seen (UTC)', value: d => h('span', { class: 'nowrap' }, fmtTime(d.last_seen).replace(/ UTC$/, '')) },
];

function options(obj) {
  return Object.keys(obj || {}).filter(Boolean).sort((a, b) => a.localeCompare(b));
}

export async function render(main, ctx) {
  const q = ctx.query;
  const state = {
    q: q.get('q') || '',
    type: q.get('type') || '',
    manufacturer: q.get('manufacturer') || '',
    site: q.get('site') || ctx.site || '',
    sort: q.get('sort') || 'hostname',
    offset: Math.max(0, parseInt(q.get('offset') || '0', 10) || 0),
  };
  const params = { ...state, limit: PAGE };
  const [resp, dash] = await Promise.all([
    get('/api/v1/devices', params),
    get('/api/v1/dashboard', { site: state.site }).catch(() => ({})),
  ]);
  const { items, total } = list(resp);

  const go = next => {
    const s = { ...state, ...next };
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(s)) if (v !== '' && !(k === 'offset' && !v) && !(k === 'sort' && v === 'hostname')) u.set(k, v);
    ctx.navigate(`/devices${u.toString() ? '?' + u : ''}`);
  };

  main.append(h('h1', {}, 'Inventory'));
  const search = h('input', { type: 'search', id: 'inv-q', name: 'q', value: state.q, placeholder: 'name, IP, MAC, model…' });
  const sel = (id, name, label, values, cur) => {
    const s = h('select', { id, name }, h('option', { value: '' }, `All`), values.map(v => h('option', { value: v }, v)));
    if (cur && !values.includes(cur)) s.append(h('option', { value: cur }, cur));
    s.value = cur;
    return [h('label', { for: id }, label, s), s];
  };
  const [typeL, typeS] = sel('inv-type', 'type', 'Type', options(dash.devices_by_type), state.type);
  const [mfrL, mfrS] = sel('inv-mfr', 'manufacturer', 'Manufacturer', options(dash.devices_by_manufacturer), state.manufacturer);
  const [siteL, siteS] = sel('inv-site', 'site', 'Site', (dash.sites || []).length ? dash.sites : siteOptions(), state.site);
  const form = h('form', { class: 'filters', role: 'search', onsubmit: ev => { ev.preventDefault(); go({ q: search.value.trim(), type: typeS.value, manufacturer: mfrS.value, site: siteS.value, offset: 0 }); } },
    h('label', { for: 'inv-q' }, 'Search', search), typeL, mfrL, siteL,
    h('button', { type: 'submit' }, 'Apply'),
    h('a', { class: 'button secondary', href: apiURL('/api/v1/devices.csv', { q: state.q, type: state.type, manufacturer: state.manufacturer, site: state.site, sort: state.sort }), download: 'ward-devices.csv' }, 'Export CSV'));
  for (const s of [typeS, mfrS, siteS]) s.addEventListener('change', () => form.requestSubmit());
  main.append(form);

  const shown = items.length ? `${fmtNum(state.offset + 1)}–${fmtNum(state.offset + items.length)} of ${fmtNum(total)}` : `0 of ${fmtNum(total)}`;
  main.append(h('p', { role: 'status', id: 'inv-count' }, `Devices ${shown}`, state.site || !items.length || !items.every(d => d.site === items[0].site) ? '' : h('span', { class: 'evid' }, ` · site ${items[0].site}`)));
  if (!items.length) {
    const filtered = state.q || state.type || state.manufacturer || state.site;
    main.append(empty(filtered ? 'No device matches these filters.' : 'No devices in the inventory yet: no sensor data has been ingested.'));
    return;
  }
  // One site in view: its column would repeat the same name on every row.
  const oneSite = items.every(d => d.site === items[0].site);
  const cols = COLS.filter(c => !(c.key === 'site' && oneSite));
  const sortKey = state.sort.replace(/^-/, '');
  const desc = state.sort.startsWith('-');
  const thead = h('thead', {}, h('tr', {}, cols.map(c => {
    if (c.nosort) return h('th', { scope: 'col' }, c.label);
    const active = c.key === sortKey;
    return h('th', { scope: 'col', 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'sort', 'data-key': c.key, onclick: () => go({ sort: active && !desc ? `-${c.key}` : c.key, offset: 0 }) }, c.label));
  })));
  const tbody = h('tbody', {}, items.map(d => h('tr', {}, cols.map(c => h('td', {}, c.value(d))))));
  main.append(h('div', { class: 'table-wrap' }, h('table', { id: 'inventory' }, h('caption', { class: 'visually-hidden' }, 'Devices; activate a column header to sort'), thead, tbody)));
  const prev = h('button', { type: 'button', id: 'inv-prev', class: 'secondary', disabled: state.offset === 0, onclick: () => go({ offset: Math.max(0, state.offset - PAGE) }) }, '← Previous');
  const next = h('button', { type: 'button', id: 'inv-next', class: 'secondary', disabled: state.offset + items.length >= total, onclick: () => go({ offset: state.offset + PAGE }) }, 'Next →');
  main.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, h('span', {}, `Page ${Math.floor(state.offset / PAGE) + 1} of ${Math.max(1, Math.ceil(total / PAGE))}`), next));
}

function siteOptions() {
  const sel = document.getElementById('site-select');
  return sel ? [...sel.options].map(o => o.value).filter(Boolean) : [];
}
