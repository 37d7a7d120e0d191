// Remediation plan: actions ranked by risk removed per effort, and the
// cumulative share of current risk they remove, drawn as a curve.
import { get, list } from '../api.js';
import { h, panel, empty, text, fmtNum, deviceLink } from '../dom.js';
import { lineChart } from '../charts.js';

export function actionTitle(a) {
  return text(a.title || a.summary || a.text || a.description || [a.kind, a.target].filter(Boolean).join(' ') || a.id);
}

export function actionReduction(a) {
  for (const k of ['risk_removed', 'risk_reduction', 'reduction', 'removed']) {
    if (typeof a[k] === 'number') return a[k];
  }
  return null;
}

// snippetOf joins an action's generated configuration: a string, or an
// object of snippets by target ({cisco_ios, iptables}).
export function snippetOf(a) {
  const v = a.acl || a.snippet || a.snippets;
  if (!v) return '';
  if (typeof v === 'string') return v;
  return Object.entries(v).map(([k, s]) => `# ${k.replace(/_/g, ' ')}\n${s}`).join('\n');
}

function count(v) {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'number') return v;
  return null;
}

// curveOf returns [{n, share}] with share in 0..1: the plan's own curve
// when it sends one, otherwise the running sum of the actions' reductions
// over the plan's total.
export function curveOf(plan, actions) {
  const raw = plan.steps || plan.curve || plan.cumulative || plan.cumulative_curve;
  const total = Number(plan.total_risk ?? plan.current_risk ?? plan.risk_total) || actions.reduce((s, a) => s + (actionReduction(a) || 0), 0);
  if (Array.isArray(raw) && raw.length) {
    return raw.map((p, i) => {
      if (typeof p === 'number') return { n: i + 1, share: p > 1 ? p / 100 : p };
      const n = p.rank ?? p.actions ?? p.n ?? i + 1;
      const percent = p.cumulative_percent ?? p.percent;
      let share = p.share ?? p.fraction ?? (percent !== undefined ? percent / 100 : undefined);
      const removed = p.cumulative_removed ?? p.removed ?? p.cumulative;
      if (share === undefined && removed !== undefined && total) share = removed / total;
      return { n, share: Number(share) || 0 };
    });
  }
  if (!total) return [];
  let run = 0;
  return actions.map((a, i) => {
    run += actionReduction(a) || 0;
    return { n: i + 1, share: run / total };
  });
}

export async function render(main, ctx) {
  const plan = (await get('/api/v1/plan', { site: ctx.site })) || {};
  const actions = Array.isArray(plan) ? plan : list(plan.actions || plan.items || []).items;
  main.append(h('h1', {}, 'Remediation plan'));
  if (!actions.length) {
    main.append(empty('No remediation actions: there are no open risk items to act on (no findings, or no feeds loaded: see Feeds).'));
    return;
  }
  const curve = curveOf(Array.isArray(plan) ? {} : plan, actions);
  if (curve.length) {
    const k80 = curve.find(p => p.share >= 0.8);
    const last = curve[curve.length - 1];
    const headline = plan.summary ? String(plan.summary) : k80
      ? `These ${k80.n} action${k80.n > 1 ? 's' : ''} remove ${fmtNum(k80.share * 100, 0)} % of the current risk.`
      : `All ${last.n} actions together remove ${fmtNum(last.share * 100, 0)} % of the current risk.`;
    main.append(h('p', { class: 'sub', id: 'plan-headline' }, headline));
    main.append(panel('Cumulative risk reduction', lineChart([{ x: '0', y: 0 }, ...curve.map(p => ({ x: String(p.n), y: Math.min(100, p.share * 100) }))], {
      title: 'Share of current risk removed after the first N actions', width: 1100, height: 260, yMax: 100, yFormat: v => `${fmtNum(v, 0)} %`,
    }), h('p', { class: 'evid' }, 'Horizontal axis: number of actions taken in plan order; vertical: share of the current risk they remove.')));
  } else {
    main.append(empty('The plan gives no risk figures, so no reduction curve can be drawn.'));
  }
  const rows = actions.map((a, i) => ({ a, i, share: curve[i] ? curve[i].share : null }));
  const thead = h('thead', {}, h('tr', {}, ['Rank', 'Action', 'Effort', 'Devices', 'Findings', 'Risk removed', 'Cumulative'].map((l, i) => h('th', { scope: 'col', class: i >= 3 ? 'num' : null }, l))));
  const tbody = h('tbody', {}, rows.map(({ a, i, share }) => {
    const devs = Array.isArray(a.devices) ? a.devices : [];
    const why = a.why || a.reason || a.rationale;
    const snippet = snippetOf(a);
    return h('tr', {},
      h('td', {}, String(a.rank ?? i + 1)),
      h('td', {}, h('div', {}, a.kind ? h('span', { class: 'badge' }, String(a.kind).replace(/_/g, ' ')) : null, ' ', actionTitle(a)),
        why ? h('div', { class: 'evid' }, String(why)) : null,
        devs.length ? h('details', {}, h('summary', {}, `${devs.length} device${devs.length > 1 ? 's' : ''}`),
          h('ul', {}, devs.slice(0, 50).map(d => h('li', {}, typeof d === 'string' ? deviceLink(d) : [deviceLink(d.id || d.device_id, d.device || d.name || d.id), d.ip ? ` (${d.ip})` : ''])))) : null,
        snippet ? h('details', {}, h('summary', {}, 'Configuration snippet'), h('pre', {}, snippet)) : null),
      h('td', {}, text(a.effort), a.applied ? h('div', { class: 'evid' }, 'applied') : null),
      h('td', { class: 'num' }, text(count(a.devices) ?? a.device_count)),
      h('td', { class: 'num' }, text(count(a.findings) ?? count(a.items) ?? a.finding_count)),
      h('td', { class: 'num' }, actionReduction(a) === null ? '—' : fmtNum(actionReduction(a), 1)),
      h('td', { class: 'num' }, share === null ? '—' : `${fmtNum(share * 100, 0)} %`));
  }));
  main.append(panel(`Actions (${actions.length}), most risk removed per effort first`, h('div', { class: 'table-wrap' }, h('table', { id: 'plan' }, h('caption', { class: 'visually-hidden' }, 'Ranked remediation actions'), thead, tbody))));
}
