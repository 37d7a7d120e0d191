// Device page: identity with each attribute's evidence and confidence,
// addresses, location, services and the peers that used them, utilization,
// change timeline, findings with their explanation, recommended actions.
// The API may answer the full inventory record (identity map with
// candidates) or the summary shape (flat attributes plus confidence and
// evidence maps); both are shown the same way.
import { get, list, notMounted } from '../api.js';
import { h, panel, empty, errorBox, text, fmtTime, timeEl, fmtNum, pct, table, tierBadge, deviceName, deviceLink } from '../dom.js';
import { hourHeatmap, countBits, lineChart } from '../charts.js';
import { baselineSection } from './alerts.js';
import { eventText } from './dashboard.js';
import { findingBlock, riskIndex, withRisk } from './findings.js';
import { actionTitle, actionReduction, snippetOf } from './plan.js';

const ATTRS = ['manufacturer', 'model', 'version', 'serial', 'type', 'os', 'hostname', 'software'];

// identityRows normalizes both shapes to [{attr, value, confidence, evidence[], others[]}].
export function identityRows(d) {
  const rows = [];
  if (d.identity && typeof d.identity === 'object') {
    const names = [...ATTRS, ...Object.keys(d.identity).filter(k => !ATTRS.includes(k)).sort()];
    for (const name of names) {
      const a = d.identity[name];
      if (!a) continue;
      const cands = Array.isArray(a.candidates) ? a.candidates : [];
      const cur = cands.find(c => String(c.value).trim().toLowerCase() === String(a.value || '').trim().toLowerCase());
      rows.push({
        attr: name, value: a.value || '', confidence: a.confidence,
        evidence: cur ? cur.evidence || [] : [],
        others: cands.filter(c => c !== cur),
      });
    }
    return rows;
  }
  const conf = d.confidence || {}, ev = d.evidence || {};
  for (const name of ATTRS) {
    if (d[name] === undefined && conf[name] === undefined) continue;
    rows.push({ attr: name, value: d[name] || '', confidence: conf[name], evidence: ev[name] || [], others: [] });
  }
  return rows;
}

function evidenceList(evs) {
  if (!evs.length) return h('span', { class: 'evid' }, 'no evidence recorded');
  return h('ul', { class: 'evid' }, evs.map(e => h('li', {},
    `${text(e.protocol)} ${text(e.field, '')}`.trim(), e.value ? ` = “${e.value}”` : '',
    e.rule ? ` (rule ${e.rule}` : '', e.rule && e.confidence !== undefined ? `, ${pct(e.confidence)}` : '', e.rule ? ')' : '',
    e.count ? ` · seen ${fmtNum(e.count)}×` : '', e.last ? ` · last ${fmtTime(e.last)}` : '')));
}

function ipText(x) {
  return typeof x === 'string' ? x : `${x.ip}${x.source ? ` (${x.source})` : ''}`;
}

export async function render(main, ctx) {
  const id = ctx.params[0];
  let d, risks, plan, threat;
  try {
    [d, risks, plan, threat] = await Promise.all([
      get(`/api/v1/devices/${encodeURIComponent(id)}`),
      riskIndex({ device_id: id }),
      get('/api/v1/plan', { site: ctx.site }).catch(err => { if (err.status === 401) throw err; return null; }),
      threatOf(id),
    ]);
  } catch (err) {
    if (err.status === 404) {
      main.append(h('h1', {}, 'Device not found'), empty(`No device with id “${id}” in your organization.`), h('p', {}, h('a', { href: '/devices', 'data-link': true }, 'Back to the inventory')));
      return;
    }
    throw err;
  }
  const idRows = identityRows(d);
  const attr = name => (idRows.find(r => r.attr === name) || {}).value || d[name] || '';
  const nameSrc = { ...d, hostname: attr('hostname'), manufacturer: attr('manufacturer'), model: attr('model') };
  main.append(h('h1', {}, deviceName(nameSrc)));
  main.append(h('p', { class: 'sub' }, [attr('manufacturer'), attr('model'), attr('version')].filter(Boolean).join(' · ') || 'identity not established yet'));

  const ips = (d.addresses && d.addresses.length ? d.addresses : d.ips || []).map(ipText);
  const facts = [
    ['Device id', h('span', { class: 'mono' }, d.id)],
    ['Site', text(d.site)],
    ['MAC', h('span', { class: 'mono' }, text((d.macs && d.macs.length > 1 ? d.macs : [d.mac]).filter(Boolean).join(', ')))],
    ['IP addresses', text(ips.join(', '))],
    ['Type', text(attr('type'))],
    ['Criticality', text(d.criticality)],
    ['First seen', timeEl(d.first_seen)],
    ['Last seen', timeEl(d.last_seen)],
  ];
  if (d.observations !== undefined) facts.push(['Observations', fmtNum(d.observations)]);
  if (d.silent) facts.push(['Status', 'silent: not heard from recently']);
  if (d.random_mac) facts.push(['Note', 'randomized MAC address']);
  if (d.behind_gateway) facts.push(['Reached through', text((d.gateways || []).join(', '), 'a gateway')]);
  const top = h('div', { class: 'grid two' });
  top.append(panel('Summary', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));
  const loc = [
    ['Location', text(d.location)],
    ['Location from', text(d.location_from)],
    ['Switch port', text(d.switch_port)],
    ['Subnet', text(d.subnet)],
  ];
  top.append(panel('Location', d.location || d.switch_port || d.subnet
    ? h('dl', { class: 'facts' }, loc.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))
    : empty('No location known: no DHCP option 82, LLDP or CDP data reported for this device.')));
  main.append(top);

  main.append(panel('Identity and evidence', idRows.length
    ? table('Identity attributes with evidence', [
      { label: 'Attribute', value: r => r.attr },
      { label: 'Value', value: r => text(r.value, 'unknown') },
      { label: 'Confidence', value: r => (r.confidence === undefined ? '—' : pct(r.confidence)), num: true },
      { label: 'Evidence', value: r => [evidenceList(r.evidence), r.others.length ? h('details', {}, h('summary', {}, `${r.others.length} other candidate value${r.others.length > 1 ? 's' : ''}`), h('ul', {}, r.others.map(c => h('li', {}, `“${c.value}”`, evidenceList(c.evidence || []))))) : null] },
    ], idRows)
    : empty('No identity evidence yet: the sensors have not heard this device describe itself.')));

  const svcs = d.services || [];
  const CAP_SERVICES = 200;
  main.append(panel('Services and peers', svcs.length
    ? table('Services offered by this device and the peers that used them', [
      { label: 'Service', value: s => `${text(s.transport, '')}/${s.port}` },
      { label: 'Uses', value: s => fmtNum(s.count), num: true },
      { label: 'Last used', value: s => fmtTime(s.last) },
      { label: 'Peers', value: s => peersCell(s.peers || []) },
    ], svcs.slice(0, CAP_SERVICES))
    : empty('No services seen: this device was never observed answering on a port.')));

  // A busy server can have thousands of conversations: show the busiest.
  const CAP = 100;
  const busiest = (xs, key) => [...xs].sort((a, b) => (Number(b[key]) || 0) - (Number(a[key]) || 0)).slice(0, CAP);
  const allContacts = d.contacts || [];
  const allExternal = d.external || [];
  const contacts = busiest(allContacts, 'count');
  const external = busiest(allExternal, 'count');
  if (contacts.length || external.length) {
    main.append(panel('Conversations',
    allContacts.length > CAP ? h('p', { class: 'evid' }, `The ${CAP} busiest of ${fmtNum(allContacts.length)} conversations.`) : null,
    contacts.length ? table('Conversations', [
      { label: 'Peer', value: c => text(c.peer) },
      { label: 'Direction', value: c => (c.outbound ? 'outbound' : 'inbound') },
      { label: 'Port', value: c => `${text(c.transport, '')}/${c.port}` },
      { label: 'Application', value: c => text(c.app) },
      { label: 'Bytes', value: c => fmtNum(c.bytes), num: true },
      { label: 'Last', value: c => fmtTime(c.last) },
    ], contacts) : null,
    external.length ? [h('h3', {}, allExternal.length > CAP ? `Public destinations (the ${CAP} busiest of ${fmtNum(allExternal.length)})` : 'Public destinations'), table('Public destinations', [
      { label: 'Address', value: x => text(x.ip) },
      { label: 'Port', value: x => text(x.port) },
      { label: 'Count', value: x => fmtNum(x.count), num: true },
      { label: 'Last', value: x => fmtTime(x.last) },
    ], external)] : null));
  }

  const signals = d.signals || [];
  if (signals.length) {
    main.append(panel('Security signals', table('Security signals', [
      { label: 'Signal', value: s => text(s.name).replace(/_/g, ' ') },
      { label: 'Protocol', value: s => text(s.protocol) },
      { label: 'Detail', value: s => [s.field, s.value].filter(Boolean).join(' = ') || '—' },
      { label: 'Seen', value: s => fmtNum(s.count), num: true },
      { label: 'Last', value: s => fmtTime(s.last) },
    ], signals)));
  }

  const util = (d.utilization || []).filter(u => u && u.day);
  main.append(panel('Utilization', util.length
    ? [hourHeatmap(util.slice(-14).map(u => ({ label: u.day, hours: Number(u.hours) >>> 0, note: `${fmtNum(u.messages)} clinical messages` })), { title: 'Hours with clinical traffic per day (UTC)' }),
      h('p', { class: 'evid' }, `Clinical traffic (DICOM and HL7) by hour, UTC, last ${Math.min(14, util.length)} days. `,
        `Active hours per day on average: ${fmtNum(util.reduce((s, u) => s + countBits(Number(u.hours) >>> 0), 0) / util.length, 1)}. `,
        `Studies stored: ${fmtNum(util.reduce((s, u) => s + (Number(u.stores) || 0), 0))}; results sent: ${fmtNum(util.reduce((s, u) => s + (Number(u.results) || 0), 0))}.`)]
    : empty('No utilization recorded: no DICOM or HL7 traffic seen from this device.')));

  const evs = d.events || [];
  main.append(panel('Change timeline', evs.length
    ? [h('ol', { class: 'timeline' }, [...evs].sort((a, b) => String(b.time).localeCompare(String(a.time))).slice(0, 200).map(e => h('li', {}, timeEl(e.time), eventText(e)))),
      evs.length > 200 ? h('p', { class: 'evid' }, `The 200 newest of ${fmtNum(evs.length)} changes.`) : null]
    : empty('No changes recorded for this device.')));

  main.append(panel('Baseline and alerts', threat.error ? errorBox('the baseline', threat.error) : baselineSection(threat.baseline, threat.alerts, { lineChart })));

  // Findings, with the risk assessment (priority and explanation) where
  // the server has one; risk items without a listed finding still show.
  const fs = list(d.findings).items.map(f => withRisk(f, risks));
  const listed = new Set(fs.map(f => `${f.device_id}|${f.advisory}`));
  for (const [k, r] of risks) if (!listed.has(k)) fs.push(r);
  main.append(panel(`Findings (${fs.length})`, fs.length
    ? fs.map(f => findingBlock(f, { showDevice: false, openExplanation: true }))
    : empty('No vulnerability findings for this device (or no feeds loaded: see Feeds).')));

  // Recommended actions: the plan's actions that cover this device, in
  // plan order, then the advisories' own remediation options.
  const planActs = plan ? list(plan.actions || []).items.filter(a => (a.devices || []).some(x => (typeof x === 'string' ? x : x.id || x.device_id) === d.id)) : [];
  const opts = list(d.actions).items;
  const blocks = [];
  if (planActs.length) {
    blocks.push(h('h3', {}, 'From the remediation plan'), h('ol', {}, planActs.map(a => {
      const snip = snippetOf(a);
      return h('li', {}, a.kind ? [h('span', { class: 'badge' }, String(a.kind).replace(/_/g, ' ')), ' '] : null, actionTitle(a),
        actionReduction(a) !== null ? ` — removes ${fmtNum(actionReduction(a), 1)} risk points` : '', a.effort ? ` · effort: ${a.effort}` : '',
        a.why ? h('div', { class: 'evid' }, String(a.why)) : null,
        snip ? h('details', {}, h('summary', {}, 'Configuration snippet'), h('pre', {}, snip)) : null);
    })));
  }
  if (opts.length) {
    blocks.push(h('h3', {}, 'Remediation options from the advisories'), h('ul', { class: 'explain' }, opts.map(o => h('li', {},
      o.category || o.kind ? [h('span', { class: 'badge' }, String(o.category || o.kind).replace(/_/g, ' ')), ' '] : null,
      o.advisory ? h('strong', {}, `${o.advisory}: `) : null, o.title && !o.text ? actionTitle(o) : text(o.text, ''),
      o.kev ? [' ', h('span', { class: 'badge kev' }, 'KEV')] : null,
      o.url ? [' ', h('a', { href: o.url, rel: 'noopener noreferrer', target: '_blank' }, 'advisory')] : null))));
  }
  main.append(panel('Recommended actions', blocks.length ? blocks : empty('No recommended actions for this device.')));
}

// threatOf reads the device's baseline and alerts: alerts undefined when
// the server does not serve the threat API, baseline null when the device
// has none yet.
async function threatOf(id) {
  let alerts;
  try {
    const r = await get('/api/v1/alerts', { device: id, limit: 50 });
    alerts = Array.isArray(r && r.alerts) ? r.alerts : [];
  } catch (err) {
    if (err.status === 401) throw err;
    if (notMounted(err)) return { alerts: undefined };
    return { error: err };
  }
  try {
    return { alerts, baseline: await get(`/api/v1/devices/${encodeURIComponent(id)}/baseline`) };
  } catch (err) {
    if (err.status === 401) throw err;
    if (err.status === 404) return { alerts, baseline: null };
    return { error: err };
  }
}

function peersCell(peers) {
  if (!peers.length) return 'no peer recorded';
  const shown = peers.slice(0, 5).map(p => `${p.ip || p.mac}${p.count ? ` (${fmtNum(p.count)}×)` : ''}`).join(', ');
  return peers.length > 5 ? `${shown} and ${peers.length - 5} more` : shown;
}

