// Sites and sensors: where data comes from, when each sensor last
// uploaded, and how much it still holds in its spool.
import { get, list } from '../api.js';
import { h, panel, empty, text, timeEl, fmtNum, table } from '../dom.js';

function staleness(t) {
  if (!t) return 'never uploaded';
  const age = (Date.now() - new Date(t).getTime()) / 1000;
  if (Number.isNaN(age)) return '';
  if (age < 120) return 'just now';
  if (age < 7200) return `${Math.round(age / 60)} min ago`;
  if (age < 172800) return `${Math.round(age / 3600)} h ago`;
  return `${Math.round(age / 86400)} days ago`;
}

export async function render(main) {
  const [sitesR, sensorsR] = await Promise.all([get('/api/v1/sites'), get('/api/v1/sensors')]);
  const sites = list(sitesR).items, sensors = list(sensorsR).items;
  main.append(h('h1', {}, 'Sites and sensors'));
  main.append(panel(`Sites (${sites.length})`, sites.length
    ? table('Sites', [
      { label: 'Site', value: s => text(typeof s === 'string' ? s : s.name || s.id) },
      { label: 'Id', value: s => h('span', { class: 'mono' }, text(typeof s === 'string' ? s : s.id)) },
      { label: 'Organization', value: s => text(s.organization) },
      // Device counts only when the server sends them.
      sites.some(s => typeof s.devices === 'number') ? { label: 'Devices', value: s => (typeof s.devices === 'number' ? fmtNum(s.devices) : '—'), num: true } : null,
      { label: 'Created', value: s => timeEl(s.created_at || s.created) },
    ].filter(Boolean), sites)
    : empty('No sites defined: an administrator creates them (POST /api/v1/sites).')));
  main.append(panel(`Sensors (${sensors.length})`, sensors.length
    ? table('Sensors', [
      { label: 'Sensor', value: s => text(s.name) },
      { label: 'Site', value: s => text(s.site) },
      { label: 'Last upload', value: s => [timeEl(s.last_upload), h('span', { class: 'evid' }, ` ${staleness(s.last_upload)}`)] },
      { label: 'Batches', value: s => fmtNum(s.batches || 0), num: true },
      { label: 'Spool backlog', value: s => fmtNum(s.spool_backlog || 0), num: true },
      { label: 'Dropped', value: s => (s.dropped ? h('strong', { title: 'observations dropped from a full spool' }, fmtNum(s.dropped)) : '0'), num: true },
    ], sensors)
    : empty('No sensors have uploaded yet: run `ward sensor --server URL --token T` at a site.')));
}
