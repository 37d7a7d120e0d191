// Ward UI entry point: a small client-side router over the History API.
// Each view is a module exporting render(main, ctx) that fills <main>.
import { getMe, logout, list, get } from './api.js';
import { h, clear, errorBox } from './dom.js';
import * as dashboard from './views/dashboard.js';
import * as inventory from './views/inventory.js';
import * as device from './views/device.js';
import * as findings from './views/findings.js';
import * as plan from './views/plan.js';
import * as sites from './views/sites.js';
import * as feeds from './views/feeds.js';
import * as alerts from './views/alerts.js';
import * as cmms from './views/cmms.js';
import * as assess from './views/assess.js';

const routes = [
  { re: /^\/(dashboard)?$/, view: dashboard, nav: '/dashboard' },
  { re: /^\/devices$/, view: inventory, nav: '/devices' },
  { re: /^\/devices\/([^/]+)$/, view: device, nav: '/devices' },
  { re: /^\/findings$/, view: findings, nav: '/findings' },
  { re: /^\/plan$/, view: plan, nav: '/plan' },
  { re: /^\/sites$/, view: sites, nav: '/sites' },
  { re: /^\/feeds$/, view: feeds, nav: '/feeds' },
  { re: /^\/alerts$/, view: alerts, nav: '/alerts' },
  { re: /^\/cmms$/, view: cmms, nav: '/cmms' },
  { re: /^\/assess$/, view: assess, nav: '/assess' },
];

const SITE_KEY = 'ward.site';
let renderSeq = 0;

export function currentSite() {
  return sessionStorage.getItem(SITE_KEY) || '';
}

export function navigate(href, replace = false) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  render();
}

async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  // A control that caused this render (a filter, a sort button) keeps the
  // keyboard focus when the new page has it again.
  const active = document.activeElement;
  const keep = active && main.contains(active) ? focusKey(active) : '';
  const path = location.pathname;
  let match = null, route = null;
  for (const r of routes) {
    match = path.match(r.re);
    if (match) { route = r; break; }
  }
  for (const a of document.querySelectorAll('header nav a')) {
    if (route && a.getAttribute('href') === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main);
  delete main.dataset.rendered;
  if (!route) {
    document.title = 'Not found · Ward';
    main.append(h('h1', {}, 'Page not found'), h('p', {}, 'There is no page at this address. ', h('a', { href: '/dashboard', 'data-link': true }, 'Go to the dashboard.')));
    main.dataset.rendered = path;
    return;
  }
  main.append(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const ctx = {
    params: match.slice(1).map(v => (v === undefined ? v : decodeURIComponent(v))),
    query: new URLSearchParams(location.search),
    site: currentSite(),
    navigate,
    // stale reports whether a newer navigation replaced this one, so a
    // slow answer does not overwrite the page the user moved to.
    stale: () => seq !== renderSeq,
  };
  const frag = document.createElement('div');
  try {
    await route.view.render(frag, ctx);
  } catch (err) {
    if (err && err.status === 401) return;
    frag.append(errorBox('this page', err));
  }
  if (seq !== renderSeq) return;
  clear(main);
  main.append(...frag.childNodes);
  // Tests and assistive tooling can tell a finished page from "Loading…".
  main.dataset.rendered = path + location.search;
  const h1 = main.querySelector('h1');
  document.title = `${h1 ? h1.textContent : 'Ward'} · Ward`;
  let again = keep ? main.querySelector(keep) : null;
  // "Next" on the last page is disabled: stay in the same group of controls.
  if (again && again.disabled) again = again.closest('nav, form')?.querySelector('button:not([disabled])') || null;
  if (again) again.focus({ preventScroll: true });
  else main.focus({ preventScroll: true });
}

// focusKey is a selector that finds the same control on the re-rendered page.
function focusKey(el) {
  if (el.id) return `#${CSS.escape(el.id)}`;
  if (el.dataset && el.dataset.key) return `${el.tagName.toLowerCase()}[data-key="${CSS.escape(el.dataset.key)}"]`;
  return '';
}

function siteName(s) {
  if (typeof s === 'string') return { id: s, name: s };
  return { id: s.id || s.name, name: s.name || s.id };
}

async function boot() {
  document.addEventListener('click', ev => {
    const a = ev.target.closest && ev.target.closest('a[data-link]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  document.getElementById('logout').addEventListener('click', () => logout());

  let me;
  try {
    me = await getMe();
  } catch (err) {
    if (err && err.status === 401) return; // redirected to /login
    const main = clear(document.getElementById('main'));
    main.append(h('h1', {}, 'Ward'), errorBox('your session', err));
    return;
  }
  const who = document.getElementById('who');
  who.textContent = [me.organization, me.role].filter(Boolean).join(' · ');
  const sel = document.getElementById('site-select');
  let siteList = Array.isArray(me.sites) ? me.sites : [];
  if (!siteList.length) {
    try { siteList = list(await get('/api/v1/sites')).items; } catch { siteList = []; }
  }
  for (const s of siteList.map(siteName)) sel.append(h('option', { value: s.id }, s.name));
  sel.value = currentSite();
  if (sel.value !== currentSite()) sessionStorage.removeItem(SITE_KEY);
  sel.addEventListener('change', () => {
    if (sel.value) sessionStorage.setItem(SITE_KEY, sel.value);
    else sessionStorage.removeItem(SITE_KEY);
    render();
  });
  await render();
  document.body.dataset.ready = 'true';
}

boot();
