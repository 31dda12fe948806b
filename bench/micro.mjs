import { createTracing } from '../dist/tracing/tracing.js';
import { startServerSpan, startClientSpan, contextWith, recordServerStatus, recordClientStatus } from '../dist/tracing/hop-spans.js';
import { toZipkinSpan } from '../dist/export/zipkin-model.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { headersGetter } from '../dist/tracing/propagation.js';
const ended = [];
const proc = { onStart() {}, onEnd(s) { if (ended.length < 1024) ended.push(s); }, forceFlush: async () => {}, shutdown: async () => {} };
for (const rate of [0, 1]) {
  const tracing = createTracing({ serviceName: 'x', sampleRate: rate, propagation: ['tracecontext'], traceResponse: true, exporters: [] }, [proc]);
  const tracer = tracing.tracerFor('x');
  const headers = { host: 'localhost:8080', 'user-agent': 'wrk', accept: '*/*' };
  function one() {
    const parent = tracing.propagator.extract(ROOT_CONTEXT, headers, headersGetter);
    const s = startServerSpan(tracer, parent, { method: 'GET', path: '/', scheme: 'http', serverAddress: 'localhost', serverPort: 8080, clientAddress: '127.0.0.1', userAgent: 'wrk', protocolVersion: '1.1', routeName: 'all', httpRoute: '/' });
    const sc = contextWith(parent, s);
    const c = startClientSpan(tracer, sc, { method: 'GET', httpRoute: '/', url: 'http://127.0.0.1:3000/', serverAddress: '127.0.0.1', serverPort: 3000, peerService: undefined });
    const out = {}; tracing.propagator.inject(contextWith(sc, c), out, { set: (c, k, v) => { c[k] = v; } });
    recordClientStatus(c, 200); c.end(); recordServerStatus(s, 200); s.end();
  }
  for (let i = 0; i < 200000; i++) one();
  const N = 500000; const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) one();
  console.log(`rate ${rate}: ${(Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2)} us per hop (2 spans)`);
}
const N = 200000; let t = process.hrtime.bigint(); let z;
for (let i = 0; i < N; i++) z = toZipkinSpan(ended[i & 1023]);
console.log(`toZipkinSpan ${(Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2)} us/span`);
const batch = ended.slice(0, 512).map(toZipkinSpan);
t = process.hrtime.bigint(); let len = 0;
for (let i = 0; i < 400; i++) len += JSON.stringify(batch).length;
console.log(`stringify ${(Number(process.hrtime.bigint() - t) / 400 / 512 / 1000).toFixed(2)} us/span, ${len / 400 / 512} bytes/span`);
