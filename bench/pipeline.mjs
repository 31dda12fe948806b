// In-process cost of tracing one hop end to end: the two spans recorded by hoptrace's tracer, then what
// the export side does with them (the built-in store, taking every trace or its default sample under
// load, and a Zipkin JSON body), garbage collection included.
// Each variant runs 20,000 hops per round in 11 alternated rounds; the figure is the median µs per hop.
// `node bench/pipeline.mjs` after `npm run build`.
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { setImmediate as turn } from 'node:timers/promises';
import { createBoundedProcessor } from '../dist/export/bounded-processor.js';
import { createExportPipeline } from '../dist/export/pipeline.js';
import { createSpanStore } from '../dist/export/span-store.js';
import { encodeZipkinJson, zipkinJsonBody } from '../dist/export/zipkin.js';
import { createHopTracer } from '../dist/tracing/hop-tracer.js';
import { createIdGenerator } from '../dist/tracing/id-generator.js';
import { createSampler } from '../dist/tracing/sampler.js';
import { recordHop as hop } from './lib/hop-spans.mjs';

const limits = { attributeCountLimit: 128, attributeValueLengthLimit: 4096, eventCountLimit: 128, linkCountLimit: 128 };
const resource = resourceFromAttributes({ 'service.name': 'bench' });
let bytes = 0;
let bodySpans = 0;
/** The Zipkin exporter's processor as the app builds it, with the body made and not sent. */
const zipkinBody = () =>
  createBoundedProcessor(
    {
      export(spans, done) {
        bytes += zipkinJsonBody(spans).length;
        bodySpans += spans.length;
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    },
    { name: 'zipkin', prepare: encodeZipkinJson },
  );

/** `pipeline`: the export side as the app builds it (built-in store, plus `extra` processors), or none. */
function variant(name, pipeline, extra = []) {
  const processors = pipeline === undefined ? [] : [...createExportPipeline([], { store: createSpanStore(), ...pipeline }).processors, ...extra];
  const tracer = createHopTracer({ resource, scope: { name: 'hoptrace' }, sampler: createSampler({ sampleRate: 1 }), limits, processors, ids: createIdGenerator() });
  return { name, tracer, processors };
}

async function round({ tracer, processors }, hops) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < hops; i += 1) {
    hop(tracer);
    if (i % 500 === 499) await turn(); // lets full batches export, as the event loop would
  }
  await Promise.all(processors.map((p) => p.forceFlush()));
  return Number(process.hrtime.bigint() - start) / hops / 1000;
}

const variants = [
  variant('spans only', undefined),
  variant('+ store, every trace', { storeTracesPerSecond: 0 }),
  variant('+ store, its sample', {}),
  variant('+ store + zipkin body', {}, [zipkinBody()]),
];
const results = new Map(variants.map((v) => [v.name, []]));
for (let r = 0; r < 11; r += 1) for (const v of variants) results.get(v.name).push(await round(v, 20_000));
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const [name, values] of results) console.log(`${name.padEnd(24)} ${median(values).toFixed(2)} µs/hop (min ${Math.min(...values).toFixed(2)})`);
console.log(`zipkin body: ${(bytes / bodySpans).toFixed(0)} bytes/span`);
