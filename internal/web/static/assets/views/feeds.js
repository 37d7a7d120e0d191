// Feeds status: which vulnerability sources are loaded, how fresh they
// are, and the import log.
import { get } from '../api.js';
import { h, panel, empty, text, fmtNum, table } from '../dom.js';

export async function render(main) {
  const resp = (await get('/api/v1/feeds/status')) || {};
  // The server answers {origin, status}; a bare status is accepted too.
  const st = resp.status && typeof resp.status === 'object' ? resp.status : resp;
  const origin = resp.origin || null;
  main.append(h('h1', {}, 'Feeds'));
  const adv = Object.entries(st.advisories || {}).sort((a, b) => a[0].localeCompare(b[0]));
  const advTotal = adv.reduce((s, [, n]) => s + (Number(n) || 0), 0);
  const imports = st.imports || [];
  if (!advTotal && !st.kev && !st.epss && !imports.length) {
    main.append(empty('No feeds loaded: no advisories, KEV or EPSS data. Import them with `ward feeds update` or `ward feeds import`; until then no device can be matched to a vulnerability.'));
    return;
  }
  const facts = [
    ...adv.map(([src, n]) => [`Advisories (${src})`, fmtNum(n)]),
    ['Known exploited (KEV)', st.kev ? fmtNum(st.kev) : 'not loaded'],
    ['EPSS scores', st.epss ? fmtNum(st.epss) : 'not loaded'],
    ['Newest advisory update', text(st.latest_advisory_update)],
  ];
  if (st.snapshot_imported) facts.push(['Bundled snapshot', st.snapshot_imported]);
  if (origin && origin.kind) facts.push(['Matching uses', `${origin.kind} data${origin.snapshot_date ? ` (snapshot of ${origin.snapshot_date})` : ''}`]);
  main.append(panel('Loaded data', h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));
  main.append(panel('Import log', imports.length
    ? table('Feed imports', [
      { label: 'Imported', value: r => text(r.imported_at) },
      { label: 'Format', value: r => text(r.format) },
      { label: 'Records', value: r => fmtNum(r.records), num: true },
      { label: 'Dataset date', value: r => text(r.dataset_date) },
      { label: 'Version', value: r => text(r.version) },
      { label: 'Source', value: r => h('span', { class: 'mono' }, text(r.path)) },
      { label: 'SHA-256', value: r => h('span', { class: 'mono', title: r.sha256 || '' }, text(r.sha256 ? r.sha256.slice(0, 12) + '…' : '')) },
    ], imports)
    : empty('No imports recorded.')));
}
