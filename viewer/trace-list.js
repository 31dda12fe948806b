// The recent traces: filters (service, route, status, minimum duration, errors only) over a table of
// the newest traces, each row linking to its waterfall.
import { fetchTraces } from './api.js';
import { h } from './dom.js';
import { formatAgo, formatDuration, formatTime, serviceColor } from './format.js';

const STATUS_CHOICES = [
  ['', 'Any status'],
  ['2xx', '2xx'],
  ['3xx', '3xx'],
  ['4xx', '4xx'],
  ['5xx', '5xx'],
];

// Kept across visits to a trace and back.
const filter = { service: '', route: '', status: '', minDurationMs: 0, errorsOnly: false };

export function createTraceList() {
  let lastText = '';
  let asked = 0;
  const serviceSelect = h('select', { name: 'service', 'aria-label': 'Service' });
  const routeSelect = h('select', { name: 'route', 'aria-label': 'Route' });
  const statusSelect = h('select', { name: 'status', 'aria-label': 'Status' },
    STATUS_CHOICES.map(([value, label]) => h('option', { value, selected: filter.status === value }, label)));
  const minInput = h('input', {
    type: 'number', name: 'minDuration', min: '0', step: 'any', placeholder: '0', inputmode: 'decimal',
    value: filter.minDurationMs > 0 ? String(filter.minDurationMs) : undefined, 'aria-label': 'Minimum duration in ms',
  });
  const errorsBox = h('input', { type: 'checkbox', name: 'errors', checked: filter.errorsOnly });
  const count = h('p', { class: 'list-count' });
  const body = h('tbody');
  const empty = h('div', { class: 'empty', hidden: true });

  const onChange = () => {
    filter.service = serviceSelect.value;
    filter.route = routeSelect.value;
    filter.status = statusSelect.value;
    filter.minDurationMs = Number(minInput.value) || 0;
    filter.errorsOnly = errorsBox.checked;
    lastText = '';
    view.refresh().catch(() => {}); // the next live refresh reports failures
  };

  const form = h('form', { class: 'filters', onsubmit: (event) => event.preventDefault(), onchange: onChange },
    h('label', {}, h('span', {}, 'Service'), serviceSelect),
    h('label', {}, h('span', {}, 'Route'), routeSelect),
    h('label', {}, h('span', {}, 'Status'), statusSelect),
    h('label', {}, h('span', {}, 'Min duration'), h('span', { class: 'with-unit' }, minInput, h('em', {}, 'ms'))),
    h('label', { class: 'check' }, errorsBox, h('span', {}, 'Errors only')),
  );
  minInput.addEventListener('input', () => {
    clearTimeout(minInput.timer);
    minInput.timer = setTimeout(onChange, 300);
  });

  const el = h('section', { class: 'panel trace-list' },
    h('div', { class: 'panel-head' }, h('h1', {}, 'Recent traces'), count),
    form,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'traces' },
        h('thead', {}, h('tr', {},
          h('th', { class: 'col-time' }, 'Time'),
          h('th', {}, 'Request'),
          h('th', {}, 'Service'),
          h('th', {}, 'Route'),
          h('th', { class: 'col-status' }, 'Status'),
          h('th', { class: 'col-num' }, 'Spans'),
          h('th', { class: 'col-duration' }, 'Duration'))),
        body)),
    empty,
  );

  const view = {
    el,
    async refresh() {
      const ticket = ++asked;
      const { data, text } = await fetchTraces(filter);
      if (ticket !== asked) return; // a newer read (the filters changed) is on its way
      if (text === lastText) {
        refreshAges(body);
        return;
      }
      lastText = text;
      fillOptions(serviceSelect, data.services, filter.service, 'All services');
      fillOptions(routeSelect, data.routes, filter.route, 'All routes');
      render(data);
    },
  };

  function render(data) {
    const traces = data.traces;
    const longest = Math.max(1, ...traces.map((t) => t.duration));
    body.replaceChildren(...traces.map((trace) => row(trace, longest)));
    count.textContent = `${traces.length} shown · ${data.stored} stored`;
    const filtered = filter.service || filter.route || filter.status || filter.minDurationMs > 0 || filter.errorsOnly;
    empty.hidden = traces.length > 0;
    empty.replaceChildren(
      filtered
        ? h('p', {}, 'No trace matches these filters.')
        : h('p', {}, 'No traces yet. Send a request through the proxy: it shows up here within a second or two.'),
    );
  }

  return view;
}

function row(trace, longest) {
  const open = () => { location.hash = `#/trace/${trace.traceId}`; };
  const isError = trace.errorCount > 0;
  const request = trace.method && trace.path ? [h('b', { class: 'method' }, trace.method), ' ', trace.path] : [trace.name];
  return h('tr', {
    class: `trace-row${isError ? ' error' : ''}`,
    dataset: { traceId: trace.traceId },
    tabindex: '0',
    onclick: open,
    onkeydown: (event) => { if (event.key === 'Enter') open(); },
  },
    h('td', { class: 'col-time' },
      h('span', { class: 'time' }, formatTime(trace.timestamp)),
      h('span', { class: 'ago', dataset: { ts: String(trace.timestamp) } }, formatAgo(trace.timestamp))),
    h('td', { class: 'request' },
      h('a', { href: `#/trace/${trace.traceId}`, onclick: (event) => event.stopPropagation() }, request),
      isError ? h('span', { class: 'badge badge-error', title: `${trace.errorCount} failed span(s)` }, 'error') : null,
      h('span', { class: 'trace-id' }, trace.traceId.slice(0, 16))),
    h('td', {}, trace.services.map((service) => serviceChip(service))),
    h('td', { class: 'route' }, trace.route ?? '–'),
    h('td', { class: 'col-status' }, statusPill(trace.status)),
    h('td', { class: 'col-num' }, String(trace.spanCount)),
    h('td', { class: 'col-duration' },
      h('div', { class: 'duration' },
        h('span', {}, formatDuration(trace.duration)),
        h('span', { class: 'duration-track' },
          h('span', { class: `duration-fill${isError ? ' error' : ''}`, style: { width: `${Math.max(2, (trace.duration / longest) * 100)}%` } })))),
  );
}

export function serviceChip(service) {
  return h('span', { class: 'chip' }, h('i', { class: 'dot', style: { background: serviceColor(service) } }), service);
}

export function statusPill(status) {
  if (status === undefined) return h('span', { class: 'pill pill-none' }, '–');
  const kind = status >= 500 ? 'bad' : status >= 400 ? 'warn' : status >= 300 ? 'info' : 'ok';
  return h('span', { class: `pill pill-${kind}` }, String(status));
}

function fillOptions(select, values, selected, allLabel) {
  const wanted = [''].concat(values);
  if (selected && !wanted.includes(selected)) wanted.push(selected);
  const current = [...select.options].map((option) => option.value);
  if (current.join('\n') === wanted.join('\n')) return;
  select.replaceChildren(...wanted.map((value) => h('option', { value, selected: value === selected }, value || allLabel)));
}

function refreshAges(body) {
  for (const ago of body.querySelectorAll('.ago')) ago.textContent = formatAgo(Number(ago.dataset.ts));
}
