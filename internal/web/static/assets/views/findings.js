// Findings: vulnerability findings with their match reason and, where the
// API gives the risk assessment, the SSVC priority and its explanation.
import { get, list } from '../api.js';
import { h, empty, text, fmtNum, pct, tierBadge, deviceLink, safeURL } from '../dom.js';

const PAGE = 50;

export function maxCVSS(f) {
  const scores = [...(f.cvss || []), ...((f.likelihood && f.likelihood.cvss) || [])].map(s => Number(s.score)).filter(n => !Number.isNaN(n));
  return scores.length ? Math.max(...scores) : null;
}

function priorityOf(f) {
  if (f.decision && (f.decision.priority_name || f.decision.priority)) return f.decision.priority_name || f.decision.priority;
  return f.priority || f.tier || '';
}

function isKEV(f) {
  return Boolean(f.kev || (f.likelihood && f.likelihood.kev));
}

function epssOf(f) {
  const v = f.epss !== undefined ? f.epss : f.likelihood && f.likelihood.epss;
  return v === undefined || v === null ? null : Number(v);
}

// findingBlock renders one finding (vuln finding or risk item) with its
// explanation and remediation options.
export function findingBlock(f, { showDevice = true, openExplanation = false } = {}) {
  const prio = priorityOf(f);
  const head = h('div', {},
    prio ? [tierBadge(prio), ' '] : null,
    isKEV(f) ? [h('span', { class: 'badge kev', title: 'In CISA Known Exploited Vulnerabilities' }, 'KEV'), ' '] : null,
    h('strong', {}, text(f.advisory)), ' ', text(f.title, ''),
    showDevice && f.device_id ? [' on ', deviceLink(f.device_id, f.device || f.device_id)] : null);
  const facts = [];
  if ((f.cves || []).length) facts.push(`CVEs: ${f.cves.join(', ')}`);
  const cv = maxCVSS(f);
  if (cv !== null) facts.push(`CVSS ${fmtNum(cv, 1)}`);
  const ep = epssOf(f);
  if (ep !== null) facts.push(`EPSS ${pct(ep)}`);
  const conf = f.match_confidence || f.confidence;
  if (conf) facts.push(`match: ${String(conf).replace(/_/g, ' ')}`);
  if (f.status) facts.push(`status: ${String(f.status).replace(/_/g, ' ')}`);
  if (f.score !== undefined && f.score !== null) facts.push(`score ${fmtNum(f.score, 0)}/100`);
  if (f.residual && f.residual.resolved) facts.push('resolved by applied controls');
  const expl = f.explanation || [];
  const rems = f.remediations || [];
  return h('article', { class: 'finding' }, head,
    h('p', { class: 'evid' }, facts.join(' · ')),
    f.reason ? h('p', {}, 'Why it matches: ', f.reason) : null,
    expl.length ? h('details', { open: openExplanation }, h('summary', {}, 'Explanation'),
      h('ul', { class: 'explain' }, expl.map(x => h('li', {}, h('strong', {}, text(x.input)), x.value ? `: ${x.value}` : '', x.why ? ` — ${x.why}` : '', x.source ? h('span', { class: 'evid' }, ` (${x.source})`) : null)))) : null,
    rems.length ? h('details', {}, h('summary', {}, `Remediation options (${rems.length})`),
      h('ul', { class: 'explain' }, rems.map(r => h('li', {}, h('strong', {}, text(r.kind || r.category)), ': ', text(r.text, ''),
        r.fixed_version ? ` (fixed in ${r.fixed_version})` : '',
        r.url ? [' ', h('a', { href: safeURL(r.url), rel: 'noopener noreferrer', target: '_blank' }, 'advisory')] : null)))) : null);
}

// riskIndex fetches risk items (SSVC decision, explanation) keyed by
// device|advisory, to show beside the findings; empty when the server has
// no risk assessment.
export async function riskIndex(params) {
  const idx = new Map();
  try {
    const r = list(await get('/api/v1/risks', { ...params, limit: 500 }));
    for (const it of r.items) idx.set(`${it.device_id}|${it.advisory}`, it);
  } catch (err) {
    if (err.status === 401) throw err;
  }
  return idx;
}

// withRisk overlays the risk assessment on a vulnerability finding.
export function withRisk(f, idx) {
  const r = idx.get(`${f.device_id}|${f.advisory}`);
  if (!r) return f;
  return { ...f, device: r.device, decision: r.decision, score: r.score, explanation: r.explanation, residual: r.residual, likelihood: r.likelihood, remediations: r.remediations && r.remediations.length ? r.remediations : f.remediations };
}

export async function render(main, ctx) {
  const q = ctx.query;
  const state = {
    status: q.get('status') || '',
    kev: q.get('kev') || '',
    sort: q.get('sort') || '',
    offset: Math.max(0, parseInt(q.get('offset') || '0', 10) || 0),
  };
  const [resp, risks] = await Promise.all([
    get('/api/v1/findings', { ...state, site: ctx.site, limit: PAGE }),
    riskIndex({ site: ctx.site }),
  ]);
  const { total } = list(resp);
  const items = list(resp).items.map(f => withRisk(f, risks));
  const go = next => {
    const s = { ...state, ...next };
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(s)) if (v && !(k === 'offset' && !v)) u.set(k, v);
    ctx.navigate(`/findings${u.toString() ? '?' + u : ''}`);
  };
  main.append(h('h1', {}, 'Findings'));
  const statusS = h('select', { id: 'f-status' },
    [['', 'All open'], ['affected', 'Affected'], ['under_investigation', 'Under investigation'], ['not_affected', 'Not affected']].map(([v, l]) => h('option', { value: v }, l)));
  statusS.value = state.status;
  const kevC = h('input', { type: 'checkbox', id: 'f-kev', checked: state.kev === 'true' });
  const sortS = h('select', { id: 'f-sort' }, [['', 'Default'], ['-cvss', 'CVSS, highest first'], ['-epss', 'EPSS, highest first'], ['device_id', 'Device'], ['advisory', 'Advisory']].map(([v, l]) => h('option', { value: v }, l)));
  sortS.value = state.sort;
  const form = h('form', { class: 'filters', onsubmit: ev => { ev.preventDefault(); go({ status: statusS.value, kev: kevC.checked ? 'true' : '', sort: sortS.value, offset: 0 }); } },
    h('label', { for: 'f-status' }, 'Status', statusS),
    h('label', { for: 'f-sort' }, 'Sort', sortS),
    h('label', { for: 'f-kev', class: 'check' }, 'Known exploited only', kevC),
    h('button', { type: 'submit' }, 'Apply'));
  for (const el of [statusS, kevC, sortS]) el.addEventListener('change', () => form.requestSubmit());
  main.append(form);
  main.append(h('p', { role: 'status' }, items.length ? `Findings ${fmtNum(state.offset + 1)}–${fmtNum(state.offset + items.length)} of ${fmtNum(total)}` : `0 of ${fmtNum(total)} findings`));
  if (!items.length) {
    main.append(empty(state.status || state.kev ? 'No finding matches these filters.' : 'No vulnerability findings: no advisory matches a device in the inventory, or no feeds are loaded (see Feeds).'));
    return;
  }
  const sec = h('section', { class: 'panel', 'aria-label': 'Findings list' }, items.map(f => findingBlock(f)));
  main.append(sec);
  if (total > PAGE) {
    main.append(h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', class: 'secondary', disabled: state.offset === 0, onclick: () => go({ offset: Math.max(0, state.offset - PAGE) }) }, '← Previous'),
      h('span', {}, `Page ${Math.floor(state.offset / PAGE) + 1} of ${Math.ceil(total / PAGE)}`),
      h('button', { type: 'button', class: 'secondary', disabled: state.offset + items.length >= total, onclick: () => go({ offset: state.offset + PAGE }) }, 'Next →')));
  }
}
