// The service map: which service calls which, from the dependency links of the stored traces, drawn as
// an SVG graph (callers left, callees right) with request counts, error rates and latency on each edge,
// and the same figures in a table below.
import { fetchServiceMap } from './api.js';
import { h, s } from './dom.js';
import { formatDuration, formatPercent, serviceColor } from './format.js';

const WINDOWS = [
  [5 * 60_000, 'Last 5 minutes'],
  [60 * 60_000, 'Last hour'],
  [24 * 60 * 60_000, 'Last day'],
];
const NODE_W = 200;
const NODE_H = 58;
const COL_GAP = 230;
const ROW_GAP = 64;
const LANE = 44; // height of one lane above the nodes, for a call that skips a column
const LABEL_ROOM = 34; // two label lines above a line
const PAD = 24;

let lookbackMs = WINDOWS[1][0];

export function createServiceMap() {
  let lastText = '';
  let asked = 0;
  const onWindow = () => {
    lookbackMs = Number(windowSelect.value);
    lastText = '';
    view.refresh().catch(() => {}); // the next live refresh reports failures
  };
  const windowSelect = h('select', { 'aria-label': 'Time window', onchange: onWindow },
    WINDOWS.map(([value, label]) => h('option', { value: String(value), selected: value === lookbackMs }, label)));
  const graph = h('div', { class: 'map-graph' });
  const table = h('div', { class: 'table-wrap' });
  const el = h('section', { class: 'panel service-map' },
    h('div', { class: 'panel-head' }, h('h1', {}, 'Service map'), h('label', { class: 'inline' }, 'Window ', windowSelect)),
    graph,
    h('h2', {}, 'Calls'),
    table,
  );

  const view = {
    el,
    async refresh() {
      const ticket = ++asked;
      const { data, text } = await fetchServiceMap(lookbackMs);
      if (ticket !== asked) return; // a newer read (another window) is on its way
      if (text === lastText) return;
      lastText = text;
      if (data.links.length === 0) {
        graph.replaceChildren(h('div', { class: 'empty' }, h('p', {}, 'No calls between services in this window yet.')));
        table.replaceChildren();
        return;
      }
      graph.replaceChildren(drawGraph(data));
      table.replaceChildren(linkTable(data.links));
    },
  };
  return view;
}

/** Columns by call depth: a service sits one column right of its deepest caller (cycles cut). */
function columns(services, links) {
  const column = new Map(services.map((name) => [name, 0]));
  for (let pass = 0; pass < services.length; pass += 1) {
    let changed = false;
    for (const link of links) {
      const next = column.get(link.parent) + 1;
      if (link.parent !== link.child && next > column.get(link.child) && next < services.length) {
        column.set(link.child, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return column;
}

function drawGraph({ services, links, localServices }) {
  const column = columns(services, links);
  const byColumn = [];
  for (const name of services) (byColumn[column.get(name)] ??= []).push(name);
  orderRows(byColumn, links);
  const skips = links.filter((link) => column.get(link.child) - column.get(link.parent) > 1);
  const backs = links.filter((link) => column.get(link.child) <= column.get(link.parent));
  // Room above the nodes for calls that skip a column (one lane each), below for calls going back.
  const top = PAD + skips.length * LANE;
  const tallest = Math.max(...byColumn.map((names) => names?.length ?? 0));
  const block = tallest * NODE_H + (tallest - 1) * ROW_GAP;
  const height = top + block + PAD + (backs.length > 0 ? 70 : 0);
  const position = new Map();
  byColumn.forEach((names, col) => {
    const offset = top + (block - (names.length * NODE_H + (names.length - 1) * ROW_GAP)) / 2;
    names.forEach((name, row) => position.set(name, { x: PAD + col * (NODE_W + COL_GAP), y: offset + row * (NODE_H + ROW_GAP) }));
  });
  const width = PAD * 2 + byColumn.length * NODE_W + (byColumn.length - 1) * COL_GAP;
  const traced = new Set(localServices ?? []);
  const incoming = new Map();
  for (const link of links) incoming.set(link.child, (incoming.get(link.child) ?? 0) + link.callCount);

  const edges = links.map((link) => {
    const lane = skips.indexOf(link);
    const laneY = lane === -1 ? undefined : PAD + (skips.length - lane - 1) * LANE + LABEL_ROOM;
    return edge(link, position.get(link.parent), position.get(link.child), laneY, top + block);
  });
  return s('svg', {
    class: 'map', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Service map',
    style: { maxWidth: `${width}px` },
  },
    s('defs', {},
      marker('arrow', 'edge-arrow'),
      marker('arrow-error', 'edge-arrow error')),
    edges.map((e) => e.line),
    services.map((name) => node(name, position.get(name), traced.has(name), incoming.get(name))),
    edges.map((e) => e.label), // labels last, so no node or line covers them
  );
}

/** Orders each column by the mean row of its callers, which untangles most crossings. */
function orderRows(byColumn, links) {
  const row = new Map();
  byColumn.forEach((names, col) => {
    if (col > 0) {
      const weight = (name) => {
        const rows = links.filter((link) => link.child === name && row.has(link.parent)).map((link) => row.get(link.parent));
        return rows.length === 0 ? Infinity : rows.reduce((a, b) => a + b, 0) / rows.length;
      };
      names.sort((a, b) => weight(a) - weight(b) || (a < b ? -1 : 1));
    }
    names.forEach((name, index) => row.set(name, index));
  });
}

function marker(id, cls) {
  return s('marker', { id, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '8', markerHeight: '8', orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
}

/**
 * A call as a curve with its figures: into the next column directly, over the nodes in a lane of its own
 * when it skips columns, under them when it goes back (a cycle).
 */
function edge(link, from, to, laneY, bottom) {
  const failing = link.errorCount > 0;
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = to.x;
  const y2 = to.y + NODE_H / 2;
  let d;
  let labelX;
  let labelY;
  if (x2 > x1 && laneY === undefined) {
    const bend = (x2 - x1) / 2;
    d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2 - 2},${y2}`;
    labelX = (x1 + x2) / 2;
    labelY = (y1 + y2) / 2;
  } else if (x2 > x1) {
    // A cubic whose two control points share one height peaks at 3/4 of it plus 1/8 of each end.
    const control = (laneY - 0.125 * (y1 + y2)) / 0.75;
    d = `M${x1},${y1} C${x1 + 90},${control} ${x2 - 90},${control} ${x2 - 2},${y2}`;
    labelX = (x1 + x2) / 2;
    labelY = laneY;
  } else {
    const low = bottom + 45;
    d = `M${from.x + NODE_W / 2},${from.y + NODE_H} C${from.x + NODE_W / 2},${low} ${to.x + NODE_W / 2},${low} ${to.x + NODE_W / 2},${to.y + NODE_H + 2}`;
    labelX = (from.x + to.x + NODE_W) / 2;
    labelY = bottom + 62;
  }
  const width = Math.min(6, 1.5 + Math.log10(1 + link.callCount));
  const data = { dataset: { parent: link.parent, child: link.child } };
  return {
    line: s('g', { class: `map-edge${failing ? ' error' : ''}`, ...data },
      s('title', {}, `${link.parent} → ${link.child}: ${link.callCount} calls, ${link.errorCount} errors`),
      s('path', { d, 'stroke-width': width.toFixed(1), 'marker-end': `url(#${failing ? 'arrow-error' : 'arrow'})` })),
    label: s('g', { class: `map-edge-label${failing ? ' error' : ''}`, ...data },
      s('text', { x: labelX, y: labelY - 22, class: 'edge-label' }, `${link.callCount} req · ${formatPercent(link.errorCount, link.callCount)} err`),
      s('text', { x: labelX, y: labelY - 7, class: 'edge-label sub' }, `p50 ${formatDuration(link.p50)} · p95 ${formatDuration(link.p95)}`)),
  };
}

function node(name, at, traced, calls) {
  return s('g', { class: `map-node${traced ? '' : ' untraced'}`, dataset: { service: name }, transform: `translate(${at.x},${at.y})` },
    s('title', {}, traced ? name : `${name} (not traced itself: seen as an upstream)`),
    s('rect', { class: 'box', width: NODE_W, height: NODE_H, rx: '10' }),
    s('rect', { class: 'stripe', x: '6', y: '12', width: '5', height: NODE_H - 24, rx: '2.5', style: { fill: serviceColor(name) } }),
    s('text', { x: '18', y: '24', class: 'node-name' }, clip(name, 21)),
    s('text', { x: '18', y: '43', class: 'node-sub' }, `${traced ? 'traced' : 'upstream'}${calls ? ` · ${calls} in` : ''}`),
  );
}

function linkTable(links) {
  return h('table', { class: 'links' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'Caller'), h('th', {}, 'Callee'), h('th', { class: 'col-num' }, 'Requests'),
      h('th', { class: 'col-num' }, 'Errors'), h('th', { class: 'col-num' }, 'Error rate'),
      h('th', { class: 'col-num' }, 'p50'), h('th', { class: 'col-num' }, 'p95'), h('th', { class: 'col-num' }, 'Max'))),
    h('tbody', {}, links.map((link) => h('tr', { class: link.errorCount > 0 ? 'error' : '', dataset: { parent: link.parent, child: link.child } },
      h('td', {}, link.parent), h('td', {}, link.child),
      h('td', { class: 'col-num' }, String(link.callCount)),
      h('td', { class: 'col-num' }, String(link.errorCount)),
      h('td', { class: 'col-num' }, formatPercent(link.errorCount, link.callCount)),
      h('td', { class: 'col-num' }, formatDuration(link.p50)),
      h('td', { class: 'col-num' }, formatDuration(link.p95)),
      h('td', { class: 'col-num' }, formatDuration(link.max))))),
  );
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
