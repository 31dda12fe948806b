// The viewer's shell: a hash router over three views (#/traces, #/trace/<id>, #/map) and the live
// refresh, which re-reads the current view every two seconds while "Live" is on and the tab is visible.
import { createServiceMap } from './service-map.js';
import { createTraceList } from './trace-list.js';
import { createTraceView } from './waterfall.js';

const REFRESH_MS = 2000;

const main = document.getElementById('view');
const live = document.getElementById('live');
const status = document.getElementById('status');
let current; // { key, view, refreshing }

function route() {
  const [, name = 'traces', arg] = location.hash.replace(/^#/, '').split('/');
  if (name === 'trace' && arg) return { key: `trace/${arg}`, nav: 'traces', create: () => createTraceView(decodeURIComponent(arg)) };
  if (name === 'map') return { key: 'map', nav: 'map', create: createServiceMap };
  return { key: 'traces', nav: 'traces', create: createTraceList };
}

function show() {
  const next = route();
  if (current?.key === next.key) return;
  const view = next.create();
  current = { key: next.key, view, refreshing: false };
  main.replaceChildren(view.el);
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === next.nav);
  }
  refresh();
}

async function refresh() {
  const shown = current;
  if (shown === undefined || shown.refreshing) return;
  shown.refreshing = true;
  try {
    await shown.view.refresh();
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    status.classList.remove('failed');
  } catch (error) {
    status.textContent = `Cannot read traces: ${error.message}`;
    status.classList.add('failed');
  } finally {
    shown.refreshing = false;
  }
}

window.addEventListener('hashchange', show);
live.addEventListener('change', () => { if (live.checked) refresh(); });
setInterval(() => {
  if (live.checked && document.visibilityState === 'visible') refresh();
}, REFRESH_MS);
show();
