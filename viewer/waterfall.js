// One trace: a header, the waterfall (a bar per span on the trace's time axis, nested under its parent,
// failed spans marked) and, for the span clicked, its tags and annotations.
import { fetchTrace } from './api.js';
import { h } from './dom.js';
import { displayName, formatDuration, formatTime, serviceColor, tickStep } from './format.js';
import { serviceChip, statusPill } from './trace-list.js';

export function createTraceView(traceId) {
  let lastText = '';
  let selectedId;
  let spans = [];
  const head = h('div', { class: 'trace-head' });
  const chart = h('div', { class: 'waterfall', role: 'tree', 'aria-label': 'Spans of the trace' });
  const detail = h('aside', { class: 'span-detail panel' });
  const el = h('section', { class: 'trace-view' },
    h('a', { class: 'back', href: '#/traces' }, '← All traces'),
    h('div', { class: 'panel' }, head, chart),
    detail,
  );

  const view = {
    el,
    async refresh() {
      let result;
      try {
        result = await fetchTrace(traceId);
      } catch (error) {
        if (error.status !== 404) throw error;
        head.replaceChildren(h('h1', {}, 'Trace not found'),
          h('p', { class: 'muted' }, `No stored trace has the id ${traceId}. The store keeps recent traces only.`));
        chart.replaceChildren();
        detail.hidden = true;
        return;
      }
      if (result.text === lastText) return;
      lastText = result.text;
      spans = result.data;
      render();
    },
  };

  function select(spanId) {
    selectedId = spanId;
    for (const row of chart.querySelectorAll('.span-row')) row.classList.toggle('selected', row.dataset.spanId === spanId);
    renderDetail();
  }

  function render() {
    const tree = layout(spans);
    if (selectedId === undefined || !spans.some((span) => span.id === selectedId)) selectedId = tree.rows[0]?.span.id;
    renderHead(tree);
    renderChart(tree);
    renderDetail();
  }

  function renderHead(tree) {
    const root = tree.rows[0]?.span;
    const errors = spans.filter(isError).length;
    const services = [...new Set(spans.map((span) => span.localEndpoint?.serviceName).filter(Boolean))].sort();
    const status = Number(root?.tags?.['http.response.status_code']) || undefined;
    const method = root?.tags?.['http.request.method'];
    const path = root?.tags?.['url.path'];
    fill(head,
      h('h1', {}, method && path ? `${method} ${path}` : root ? displayName(root) : traceId,
        errors > 0 ? h('span', { class: 'badge badge-error' }, `${errors} error${errors > 1 ? 's' : ''}`) : null),
      h('dl', { class: 'facts' },
        fact('Trace', h('code', {}, traceId)),
        fact('Started', formatTime(tree.start)),
        fact('Duration', formatDuration(tree.total)),
        fact('Spans', String(spans.length)),
        fact('Status', statusPill(status)),
        fact('Services', services.map(serviceChip))),
    );
  }

  function renderChart(tree) {
    const step = tickStep(tree.total);
    const ticks = [];
    for (let at = 0; at <= tree.total + 1e-9; at += step) ticks.push(at);
    const pct = (micros) => `${tree.total > 0 ? (micros / tree.total) * 100 : 0}%`;
    chart.replaceChildren(
      h('div', { class: 'wf-header' },
        h('div', { class: 'wf-name' }, 'Service · span'),
        h('div', { class: 'wf-axis' }, ticks.map((at) => h('span', { class: 'tick', style: { left: pct(at) } }, formatDuration(at))))),
      h('div', { class: 'wf-body' },
        h('div', { class: 'wf-grid', 'aria-hidden': 'true' }, ticks.map((at) => h('i', { style: { left: pct(at) } }))),
        tree.rows.map((row) => spanRow(row, tree, pct))),
    );
  }

  function spanRow({ span, depth, orphan }, tree, pct) {
    const service = span.localEndpoint?.serviceName ?? '?';
    const offset = (span.timestamp ?? tree.start) - tree.start;
    const duration = span.duration ?? 0;
    const leftShare = tree.total > 0 ? offset / tree.total : 0;
    const widthShare = tree.total > 0 ? duration / tree.total : 1;
    // The duration goes right of the bar when there is room, else left of it, else inside it.
    const endShare = leftShare + widthShare;
    const labelAt = endShare <= 0.8 ? 'right' : leftShare >= 0.18 ? 'left' : 'inside';
    const failed = isError(span);
    return h('div', {
      class: `span-row${failed ? ' error' : ''}${span.id === selectedId ? ' selected' : ''}`,
      role: 'treeitem', tabindex: '0', 'aria-level': String(depth + 1),
      dataset: { spanId: span.id, depth: String(depth), parentId: span.parentId ?? '' },
      onclick: () => select(span.id),
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(span.id); } },
    },
      h('div', { class: 'wf-name', style: { paddingLeft: `${10 + depth * 18}px` } },
        depth > 0 ? h('span', { class: 'elbow', 'aria-hidden': 'true' }) : null,
        h('i', { class: 'dot', style: { background: serviceColor(service) } }),
        h('span', { class: 'svc' }, service),
        h('span', { class: 'span-name', title: displayName(span) }, displayName(span)),
        span.kind ? h('span', { class: `kind kind-${span.kind.toLowerCase()}` }, span.kind.toLowerCase()) : null,
        failed ? h('span', { class: 'err-mark', title: span.tags?.error ?? 'error' }, '!') : null,
        orphan ? h('span', { class: 'orphan', title: 'its parent span is not in the store' }, '⤴') : null),
      h('div', { class: 'wf-track' },
        h('div', {
          class: `span-bar${failed ? ' error' : ''}`,
          style: { left: pct(offset), width: `max(3px, ${widthShare * 100}%)`, background: failed ? '' : serviceColor(service) },
        }),
        h('span', {
          class: `bar-label label-${labelAt}`,
          style: labelAt === 'right' ? { left: `calc(${endShare * 100}% + 6px)` }
            : labelAt === 'left' ? { right: `calc(${(1 - leftShare) * 100}% + 6px)` }
            : { right: `calc(${(1 - endShare) * 100}% + 6px)` },
        }, formatDuration(duration))),
    );
  }

  function renderDetail() {
    const span = spans.find((candidate) => candidate.id === selectedId);
    detail.hidden = span === undefined;
    if (span === undefined) return;
    const start = Math.min(...spans.map((s) => s.timestamp ?? Infinity));
    const tags = Object.entries(span.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const annotations = [...(span.annotations ?? [])].sort((a, b) => a.timestamp - b.timestamp);
    fill(detail,
      h('h2', {}, displayName(span)),
      isError(span) ? h('p', { class: 'error-note' }, h('b', {}, 'Error: '), span.tags.error) : null,
      h('dl', { class: 'kv' },
        kv('Service', span.localEndpoint?.serviceName ?? '–'),
        kv('Kind', span.kind ?? 'local'),
        kv('Span id', h('code', {}, span.id)),
        kv('Parent id', span.parentId ? h('code', {}, span.parentId) : '– (root)'),
        kv('Start', `+${formatDuration((span.timestamp ?? start) - start)}`),
        kv('Duration', formatDuration(span.duration)),
        span.remoteEndpoint ? kv('Remote', endpointText(span.remoteEndpoint)) : null),
      h('h3', {}, `Tags (${tags.length})`),
      tags.length === 0 ? h('p', { class: 'muted' }, 'None') :
        h('table', { class: 'tags' }, h('tbody', {}, tags.map(([key, value]) =>
          h('tr', { class: key === 'error' ? 'error' : '' }, h('th', {}, key), h('td', {}, value))))),
      h('h3', {}, `Annotations (${annotations.length})`),
      annotations.length === 0 ? h('p', { class: 'muted' }, 'None') :
        h('ul', { class: 'annotations' }, annotations.map((a) =>
          h('li', {}, h('span', { class: 'at' }, `+${formatDuration(a.timestamp - start)}`), ' ', a.value))),
    );
  }

  return view;
}

/** Rows in tree order: each span after its parent, siblings by start time; spans whose parent is absent are roots. */
export function layout(spans) {
  const ids = new Set(spans.map((span) => span.id));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parentId && ids.has(span.parentId) && span.parentId !== span.id) {
      if (!children.has(span.parentId)) children.set(span.parentId, []);
      children.get(span.parentId).push(span);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0);
  const rows = [];
  const seen = new Set();
  const visit = (span, depth, orphan) => {
    if (seen.has(span)) return;
    seen.add(span);
    rows.push({ span, depth, orphan });
    for (const child of (children.get(span.id) ?? []).sort(byStart)) visit(child, depth + 1, false);
  };
  for (const root of roots.sort(byStart)) visit(root, 0, Boolean(root.parentId));
  let start = Infinity;
  let end = -Infinity;
  for (const span of spans) {
    if (span.timestamp === undefined) continue;
    start = Math.min(start, span.timestamp);
    end = Math.max(end, span.timestamp + (span.duration ?? 0));
  }
  if (!Number.isFinite(start)) { start = 0; end = 0; }
  return { rows, start, total: end - start };
}

/** replaceChildren without the holes left by optional parts. */
function fill(el, ...children) {
  el.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
}

function isError(span) {
  return span.tags !== undefined && 'error' in span.tags;
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function kv(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function endpointText(endpoint) {
  const address = endpoint.ipv4 ?? endpoint.ipv6;
  const where = address ? `${address}${endpoint.port ? `:${endpoint.port}` : ''}` : '';
  return [endpoint.serviceName, where && where !== endpoint.serviceName ? `(${where})` : ''].filter(Boolean).join(' ') || '–';
}
