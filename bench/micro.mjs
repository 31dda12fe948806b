// In-process A/B of the span hot path: sdk-trace-base's BasicTracerProvider against hoptrace's own
// tracer, the same sampler and the same two spans per hop, alternated in rounds so that a busy machine
// slows both alike. `node bench/micro.mjs` after `npm run build`.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createHopTracer } from '../dist/tracing/hop-tracer.js';
import { createIdGenerator } from '../dist/tracing/id-generator.js';
import { createSampler } from '../dist/tracing/sampler.js';
import { recordHop as hop } from './lib/hop-spans.mjs';
import { toZipkinSpan } from '../dist/export/zipkin-model.js';

const limits = { attributeCountLimit: 64, attributeValueLengthLimit: 1024, eventCountLimit: 32, linkCountLimit: 8 };
const ended = [];
const processor = { onStart() {}, onEnd(span) { if (ended.length < 1024) ended.push(span); }, forceFlush: async () => {}, shutdown: async () => {} };
const resource = resourceFromAttributes({ 'service.name': 'bench' });

function tracers(sampleRate) {
  const sampler = createSampler({ sampleRate });
  return {
    sdk: new BasicTracerProvider({ resource, sampler, spanLimits: limits, spanProcessors: [processor] }).getTracer('hoptrace'),
    hop: createHopTracer({ resource, scope: { name: 'hoptrace' }, sampler, limits, processors: [processor], ids: createIdGenerator() }),
  };
}


function time(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) fn();
  return Number(process.hrtime.bigint() - start) / n / 1000;
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const sampleRate of [1, 0]) {
  const { sdk, hop: own } = tracers(sampleRate);
  const results = { sdk: [], hop: [] };
  for (let round = 0; round < 11; round += 1) {
    results.sdk.push(time(() => hop(sdk), 50_000));
    results.hop.push(time(() => hop(own), 50_000));
  }
  console.log(`sampleRate ${sampleRate}: sdk-trace-base ${median(results.sdk).toFixed(2)} µs/hop, hoptrace tracer ${median(results.hop).toFixed(2)} µs/hop (2 spans, median of 11 rounds)`);
}
const spans = ended.slice(0, 512);
console.log(`toZipkinSpan ${median(Array.from({ length: 11 }, () => time(() => spans.map(toZipkinSpan), 200) / 512)).toFixed(3)} µs/span`);
const zipkin = spans.map(toZipkinSpan);
console.log(`JSON.stringify ${median(Array.from({ length: 11 }, () => time(() => JSON.stringify(zipkin), 200) / 512)).toFixed(3)} µs/span, ${(JSON.stringify(zipkin).length / 512).toFixed(0)} bytes/span`);
const v8 = await import('node:v8');
const results = { stringify: [], serialize: [] };
for (let round = 0; round < 11; round += 1) {
  results.stringify.push(time(() => JSON.stringify(zipkin), 200) / 512);
  results.serialize.push(time(() => v8.serialize(zipkin), 200) / 512);
}
console.log(`per span: JSON.stringify ${median(results.stringify).toFixed(3)} µs, v8.serialize (what postMessage does) ${median(results.serialize).toFixed(3)} µs`);
