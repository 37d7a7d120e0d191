// Procurement: assess one or more candidate products before purchase from
// the manufacturer's advisory record, field evidence and the resulting
// score, with the questions to put to the manufacturer.
import { get, apiURL, notMounted } from '../api.js';
import { h, panel, empty, text, fmtNum, table } from '../dom.js';
import { columnChart } from '../charts.js';
import { notAvailable } from './alerts.js';

const MAX = 8;

// candidatesOf reads the candidates from the page's query: manufacturer
// and model, then compare=M/X (repeatable, or joined with ';').
export function candidatesOf(q) {
  const out = [];
  const m = (q.get('manufacturer') || '').trim();
  if (m) out.push({ manufacturer: m, model: (q.get('model') || '').trim() });
  for (const c of q.getAll('compare')) {
    for (const part of c.split(';')) {
      const p = part.trim();
      if (!p) continue;
      const i = p.indexOf('/');
      out.push(i < 0 ? { manufacturer: p, model: '' } : { manufacturer: p.slice(0, i).trim(), model: p.slice(i + 1).trim() });
    }
  }
  return out.filter(c => c.manufacturer);
}

// queryOf is the API query for candidates: one goes as manufacturer and
// model, several as compare=Manufacturer/Model.
export function queryOf(cands) {
  const u = new URLSearchParams();
  if (cands.length === 1) {
    u.set('manufacturer', cands[0].manufacturer);
    if (cands[0].model) u.set('model', cands[0].model);
  } else {
    for (const c of cands) u.append('compare', c.model ? `${c.manufacturer}/${c.model}` : c.manufacturer);
  }
  return u;
}

export function candidateName(c) {
  return [c.manufacturer, c.model].filter(Boolean).join(' ');
}

export async function render(main, ctx) {
  const cands = candidatesOf(ctx.query);
  main.append(h('h1', {}, 'Procurement assessment'));
  main.append(h('p', { class: 'sub' }, 'Grade a product before you buy it from evidence: the manufacturer’s advisories (how many, how severe, exploited, fixed and how fast) and what the same model does in your network.'));
  main.append(candidateForm(cands, ctx));
  if (!cands.length) {
    main.append(empty('No candidate yet: enter a manufacturer (and a model if you know it), or add several to compare them side by side.'));
    return;
  }
  const q = queryOf(cands);
  if (ctx.site) q.set('site', ctx.site);
  let rep;
  try {
    rep = await get(`/api/v1/assess?${q}`);
  } catch (err) {
    if (notMounted(err)) {
      main.append(notAvailable('Procurement assessment is'));
      return;
    }
    throw err;
  }
  const html = new URLSearchParams(q);
  html.set('format', 'html');
  main.append(h('p', {}, h('a', { href: `/api/v1/assess?${html}`, target: '_blank', rel: 'noopener', id: 'assess-html' }, 'Open this assessment as a self-contained report (HTML, printable)'),
    ' · ', text(rep.feeds, 'feeds unknown'), rep.inventory ? ' · with field evidence from your inventory' : ' · no field evidence (no inventory)'));
  const as = rep.assessments || [];
  if (rep.comparison && (rep.comparison.rows || []).length && as.length > 1) main.append(comparisonPanel(rep.comparison, as));
  for (const a of as) main.append(assessmentPanel(a));
  if ((rep.method || []).length) {
    main.append(panel('Method', h('details', {}, h('summary', {}, 'How the record is read and the score computed'), h('ul', { class: 'explain' }, rep.method.map(m => h('li', {}, m))))));
  }
}

function candidateForm(cands, ctx) {
  const rows = h('div', { class: 'cands', id: 'cands' });
  let n = 0;
  const addRow = (c = { manufacturer: '', model: '' }) => {
    const i = ++n;
    const m = h('input', { type: 'text', id: `cand-m-${i}`, value: c.manufacturer, required: rows.childElementCount === 0, autocomplete: 'off', class: 'cand-m' });
    const x = h('input', { type: 'text', id: `cand-x-${i}`, value: c.model, autocomplete: 'off', class: 'cand-x' });
    const row = h('div', { class: 'filters cand' },
      h('label', { for: `cand-m-${i}` }, `Manufacturer ${i}`, m),
      h('label', { for: `cand-x-${i}` }, `Model ${i} (optional)`, x));
    if (rows.childElementCount > 0) {
      row.append(h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove candidate ${i}`, onclick: () => { row.remove(); addB.disabled = rows.childElementCount >= MAX; } }, 'Remove'));
    }
    rows.append(row);
    addB.disabled = rows.childElementCount >= MAX;
    return m;
  };
  const addB = h('button', { type: 'button', class: 'secondary', id: 'cand-add', onclick: () => addRow().focus() }, 'Add a candidate to compare');
  for (const c of cands.length ? cands : [undefined]) addRow(c);
  const form = h('form', { id: 'assess-form', onsubmit: ev => {
    ev.preventDefault();
    const list = [...rows.querySelectorAll('.cand')].map(r => ({ manufacturer: r.querySelector('.cand-m').value.trim(), model: r.querySelector('.cand-x').value.trim() })).filter(c => c.manufacturer);
    if (!list.length) return;
    ctx.navigate(`/assess?${queryOf(list)}`);
  } }, rows, h('div', { class: 'filters' }, addB, h('button', { type: 'submit', id: 'assess-go' }, 'Assess')));
  return panel('Candidates', form);
}

function comparisonPanel(c, as) {
  const names = as.map(a => candidateName(a.candidate || {}));
  return panel('Side by side',
    c.best ? h('p', { id: 'assess-best' }, 'Best scored: ', h('strong', {}, c.best)) : h('p', { class: 'evid' }, 'The scores do not single out one candidate.'),
    table('Comparison of the candidates', [{ label: 'Measure', value: r => text(r.measure) }, ...names.map((nm, i) => ({ label: nm, value: r => text((r.values || [])[i]) }))], c.rows));
}

export function gradeClass(g) {
  return /^[A-E]$/.test(g || '') ? `grade g-${g.toLowerCase()}` : 'grade g-na';
}

function assessmentPanel(a) {
  const c = a.candidate || {};
  const sc = a.score || {};
  const rec = a.record || {};
  const name = candidateName(c);
  const canon = a.canonical_manufacturer && a.canonical_manufacturer !== c.manufacturer ? ` (recognised as ${a.canonical_manufacturer})` : '';
  const parts = [];
  parts.push(h('div', { class: 'grade-line' },
    h('span', { class: gradeClass(sc.grade), 'aria-label': `Grade ${text(sc.grade, 'n/a')}` }, text(sc.grade, 'n/a')),
    h('span', {}, sc.total === null || sc.total === undefined ? 'No score: no part of the assessment had evidence.' : `Score ${fmtNum(sc.total, 0)} of 100 (${fmtNum(sc.points, 1)} of ${fmtNum(sc.max, 0)} points with evidence)`,
      canon, a.known_manufacturer === false ? ' · not in Ward’s manufacturer table' : '')));
  if ((a.messages || []).length) parts.push(h('ul', { class: 'explain messages' }, a.messages.map(m => h('li', {}, m))));
  if ((sc.parts || []).length) {
    parts.push(h('h3', {}, 'Score breakdown'), table(`Score breakdown for ${name}`, [
      { label: 'Part', value: p => text(p.name) },
      { label: 'Points', value: p => (p.scored ? `${fmtNum(p.points, 1)} / ${fmtNum(p.max, 0)}` : `not scored (of ${fmtNum(p.max, 0)})`), num: true },
      { label: 'Why', value: p => text(p.why) },
    ], sc.parts));
  }
  parts.push(h('h3', {}, 'Key findings'), (a.key_findings || []).length ? h('ul', { class: 'explain key-findings' }, a.key_findings.map(k => h('li', {}, k))) : empty('No key findings.'));
  const qs = a.questions || [];
  parts.push(h('h3', {}, 'Questions to the manufacturer'), qs.length
    ? h('ol', { class: 'explain questions' }, qs.map(q => h('li', {}, text(q.text), q.evidence ? h('div', { class: 'evid' }, 'Evidence: ', q.evidence) : null)))
    : empty('No questions: the record gives nothing specific to ask about.'));
  const years = rec.per_year || [];
  const hasYears = years.some(y => (Number(y.advisories) || 0) + (Number(y.cves) || 0) + (Number(y.cve_records) || 0) > 0);
  parts.push(h('h3', {}, 'Advisories per year'));
  if (hasYears) {
    parts.push(h('div', { class: 'chart-box' }, columnChart(years.map(y => String(y.year)), [
      { name: 'advisories', color: '#0b4f6c', values: years.map(y => (Number(y.advisories) || 0) + (Number(y.cve_records) || 0)) },
      { name: 'CVEs', color: '#c2410c', values: years.map(y => Number(y.cves) || 0) },
    ], { title: `Advisories and CVEs per year for ${a.canonical_manufacturer || c.manufacturer}` })),
    h('p', { class: 'legend' }, h('span', { class: 'lg-adv' }, 'advisories (and standalone CVE records)'), h('span', { class: 'lg-cve' }, 'CVEs first listed')),
    h('p', { class: 'evid' }, `${fmtNum(rec.advisories)} advisories and ${fmtNum(rec.cve_records)} standalone CVE records, ${fmtNum(rec.cves)} distinct CVEs${rec.first ? `, from ${String(rec.first).slice(0, 10)}` : ''}${rec.last ? ` to ${String(rec.last).slice(0, 10)}` : ''}.`));
  } else {
    parts.push(empty(`No advisories on record for ${a.canonical_manufacturer || c.manufacturer}: nothing to chart. An empty record can mean a careful manufacturer or one nobody has looked at.`));
  }
  return panel(name || 'Candidate', parts);
}
