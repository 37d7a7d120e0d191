// CMMS: the outbox of inventory changes sent to the maintenance system
// (with a manual retry of failed deliveries) and the reconciliation of a
// CMMS asset export against what the network shows.
import { get, post, upload, notMounted } from '../api.js';
import { h, panel, empty, text, fmtNum, timeEl, table, deviceLink } from '../dom.js';
import { notAvailable } from './alerts.js';

const LIMIT = 200;

// retryable: dead-lettered, or still pending after a failed attempt.
export function retryable(d) {
  return d.status === 'dead' || (d.status === 'pending' && (Number(d.attempts) > 0 || Boolean(d.last_error)));
}

export function assetText(a) {
  if (!a) return '—';
  const id = a.asset_tag || a.serial || a.mac || a.ip || `row ${a.row}`;
  const what = [a.manufacturer, a.model].filter(Boolean).join(' ');
  return `${id}${what ? ` (${what})` : ''}`;
}

export async function render(main, ctx) {
  const status = ctx.query.get('status') || '';
  main.append(h('h1', {}, 'CMMS'));
  let resp;
  try {
    resp = await get('/api/v1/cmms/outbox', { status, limit: LIMIT });
  } catch (err) {
    if (notMounted(err)) {
      main.append(notAvailable('The CMMS integration is'));
      return;
    }
    throw err;
  }
  main.append(outboxPanel(Array.isArray(resp && resp.deliveries) ? resp.deliveries : [], status, ctx));
  main.append(reconcilePanel(ctx));
}

function outboxPanel(ds, status, ctx) {
  const sel = h('select', { id: 'ob-status' }, [['', 'All'], ['pending', 'Pending'], ['dead', 'Dead (gave up)'], ['delivered', 'Delivered']].map(([v, l]) => h('option', { value: v }, l)));
  sel.value = status;
  sel.addEventListener('change', () => ctx.navigate(`/cmms${sel.value ? '?status=' + encodeURIComponent(sel.value) : ''}`));
  const msg = h('p', { role: 'status', id: 'ob-msg', class: 'evid' });
  const counts = ['pending', 'dead', 'delivered'].map(s => [s, ds.filter(d => d.status === s).length]).filter(([, n]) => n);
  const body = ds.length
    ? [h('p', { id: 'ob-count' }, `${fmtNum(ds.length)} deliver${ds.length === 1 ? 'y' : 'ies'}${ds.length >= LIMIT ? ` (the ${LIMIT} newest)` : ''}: `, counts.map(([s, n]) => `${n} ${s}`).join(', ')),
      table('CMMS deliveries', [
        { label: 'Id', value: d => String(d.id), num: true },
        { label: 'Connector', value: d => text(d.connector) },
        { label: 'Device', value: d => (d.device_id ? deviceLink(d.device_id) : '—') },
        { label: 'Change', value: d => text(d.event_type).replace(/_/g, ' ') },
        { label: 'Status', value: d => h('span', { class: `badge ob-${d.status}` }, text(d.status)) },
        { label: 'Attempts', value: d => fmtNum(d.attempts), num: true },
        { label: 'Last error', value: d => h('span', { class: 'wrap' }, text(d.last_error)) },
        { label: 'Updated', value: d => timeEl(d.updated) },
        { label: 'Action', value: d => (retryable(d) ? h('button', { type: 'button', class: 'secondary retry', 'data-key': `retry-${d.id}`, 'aria-label': `Retry delivery ${d.id}`, onclick: ev => retry(ev.currentTarget, d, msg) }, 'Retry') : '') },
      ], ds)]
    : empty(status ? `No ${status} deliveries.` : 'The outbox is empty: no CMMS connector is configured, or no inventory change has been queued for it yet.');
  const filter = h('form', { class: 'filters', onsubmit: ev => ev.preventDefault() }, h('label', { for: 'ob-status' }, 'Status', sel));
  return panel('Outbox', filter, msg, body);
}

async function retry(btn, d, msg) {
  btn.disabled = true;
  msg.textContent = `Retrying delivery ${d.id}…`;
  try {
    const r = await post(`/api/v1/cmms/outbox/${encodeURIComponent(d.id)}/retry`);
    msg.textContent = `Delivery ${d.id} queued again (${text(r && r.status, 'pending')}).`;
    msg.dataset.done = String(d.id);
    btn.textContent = 'Queued';
  } catch (err) {
    if (err.status === 401) return;
    msg.textContent = `Retry of delivery ${d.id} failed: ${err.message}`;
    msg.dataset.done = 'error';
    btn.disabled = false;
  }
}

function reconcilePanel(ctx) {
  const file = h('input', { type: 'file', id: 'rc-file', accept: '.csv,text/csv,.json,application/json', required: true });
  const link = h('input', { type: 'checkbox', id: 'rc-link' });
  const out = h('div', { id: 'rc-result', 'aria-live': 'polite' });
  const btn = h('button', { type: 'submit' }, 'Reconcile');
  const form = h('form', { class: 'filters', id: 'rc-form', onsubmit: async ev => {
    ev.preventDefault();
    const f = file.files && file.files[0];
    if (!f) return;
    btn.disabled = true;
    out.replaceChildren(h('p', { class: 'loading', role: 'status' }, `Reconciling ${f.name}…`));
    delete out.dataset.done;
    try {
      const content = await f.text();
      const json = content.replace(/^\uFEFF/, '').trimStart().startsWith('{');
      const rep = await upload('/api/v1/cmms/reconcile', { site: ctx.site, format: 'json', link: link.checked ? 'true' : '' }, content, json ? 'application/json' : 'text/csv');
      out.replaceChildren(...reportNodes(rep || {}, f.name));
      out.dataset.done = 'ok';
    } catch (err) {
      if (err.status === 401) return;
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Reconciliation of ${f.name} failed: ${err.message}`));
      out.dataset.done = 'error';
    } finally {
      btn.disabled = false;
    }
  } },
  h('label', { for: 'rc-file' }, 'CMMS export (CSV, or a FHIR Bundle)', file),
  h('label', { for: 'rc-link', class: 'check' }, 'Save matched asset tags', link),
  btn);
  return panel('Reconcile with a CMMS export',
    h('p', { class: 'evid' }, `Upload the asset list of your CMMS. Ward pairs each asset with a device it saw on the network${ctx.site ? ` at site ${ctx.site}` : ''} (by serial, MAC, asset tag, or IP and model) and explains every decision.`),
    form, out);
}

// reportNodes renders a reconciliation report.
export function reportNodes(rep, name) {
  const s = rep.summary || {};
  const matched = rep.matched || [], unmanaged = rep.unmanaged || [], ghosts = rep.ghosts || [];
  const mism = matched.filter(m => (m.mismatches || []).length);
  const kpi = (n, l) => h('div', { class: 'kpi' }, h('span', { class: 'n' }, fmtNum(n)), h('span', { class: 'l' }, l));
  const nodes = [
    h('h3', {}, `Result for ${name}`),
    h('div', { class: 'kpis', id: 'rc-summary' },
      kpi(s.assets ?? 0, 'CMMS assets'), kpi(s.devices ?? 0, 'devices on the network'), kpi(s.matched ?? matched.length, 'matched'),
      kpi(s.mismatched ?? mism.length, 'matched with differences'), kpi(s.unmanaged ?? unmanaged.length, 'unmanaged devices'), kpi(s.ghosts ?? ghosts.length, 'ghost assets')),
  ];
  const by = Object.entries(s.matched_by || {}).filter(([, n]) => n);
  if (by.length) nodes.push(h('p', { class: 'evid' }, 'Matched by: ', by.map(([k, n]) => `${k} ${n}`).join(', ')));
  if ((rep.warnings || []).length) nodes.push(h('ul', { class: 'explain', 'aria-label': 'Warnings' }, rep.warnings.map(w => h('li', {}, w))));
  nodes.push(h('section', { id: 'rc-mismatched', 'aria-label': 'Mismatched' }, h('h3', {}, `Mismatched (${mism.length})`), mism.length
    ? table('Fields the CMMS and the network disagree on', [
      { label: 'Asset', value: m => assetText(m.asset) },
      { label: 'Device', value: m => deviceLink(m.device.id, m.device.hostname || m.device.id) },
      { label: 'Field', value: x => text(x.field) },
      { label: 'CMMS', value: x => text(x.cmms, '(empty)') },
      { label: 'Network', value: x => text(x.network) },
      { label: 'Evidence', value: x => text(x.evidence) },
      { label: 'Suggested update', value: x => text(x.suggested_update) },
    ].map((c, i) => (i < 2 ? { ...c, value: r => (r.first ? c.value(r.m) : '') } : { ...c, value: r => c.value(r.x) })),
    mism.flatMap(m => m.mismatches.map((x, i) => ({ m, x, first: i === 0 }))))
    : empty('No differences: every matched asset agrees with what the network shows.')));
  nodes.push(h('section', { id: 'rc-matched', 'aria-label': 'Matched' }, h('h3', {}, `Matched (${matched.length})`), matched.length
    ? table('Assets matched with a device', [
      { label: 'Row', value: m => String(m.asset.row), num: true },
      { label: 'Asset', value: m => assetText(m.asset) },
      { label: 'Device', value: m => deviceLink(m.device.id, m.device.hostname || m.device.id) },
      { label: 'Matched by', value: m => text(m.matched_by) },
      { label: 'Why', value: m => (m.reasons || []).join('; ') || '—' },
    ], matched)
    : empty('No asset matched a device seen on the network.')));
  nodes.push(h('section', { id: 'rc-unmanaged', 'aria-label': 'Unmanaged' }, h('h3', {}, `Unmanaged devices (${unmanaged.length})`), unmanaged.length
    ? table('Devices on the network the CMMS does not list', [
      { label: 'Device', value: u => deviceLink(u.device.id, u.device.hostname || u.device.id) },
      { label: 'Manufacturer / model', value: u => text([u.device.manufacturer, u.device.model].filter(Boolean).join(' ')) },
      { label: 'Addresses', value: u => text([...(u.device.macs || []), ...(u.device.ips || [])].join(', ')) },
      { label: 'Why', value: u => text(u.reason) },
    ], unmanaged)
    : empty('Every device seen on the network is in the CMMS.')));
  nodes.push(h('section', { id: 'rc-ghosts', 'aria-label': 'Ghosts' }, h('h3', {}, `Ghost assets (${ghosts.length})`), ghosts.length
    ? table('CMMS assets no device matched', [
      { label: 'Row', value: g => String(g.asset.row), num: true },
      { label: 'Asset', value: g => assetText(g.asset) },
      { label: 'Location', value: g => text(g.asset.location) },
      { label: 'Why', value: g => text(g.reason) },
    ], ghosts)
    : empty('Every CMMS asset was seen on the network.')));
  return nodes;
}
