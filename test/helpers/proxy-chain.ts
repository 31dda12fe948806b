/**
 * Two hoptrace apps in a chain, the way several processes share one viewer: A ("Frontend", route `shop`)
 * forwards to B ("backend", route `orders`), B to a real upstream that answers 503 on `/api/fail` and 200
 * otherwise. A exports its spans with a `zipkin` exporter to B's admin POST /api/v2/spans, so B's store
 * holds each request as one joined trace of four spans.
 */
import { expect } from 'vitest';
import { startProxy, type TestProxy } from './proxy.js';
import { startUpstream, type Upstream } from './upstream.js';

export const FAIL_PATH = '/api/fail';

export interface ProxyChain {
  upstream: Upstream;
  a: TestProxy;
  b: TestProxy;
  /** Sends GET `path` through A; returns the trace id its traceresponse names. */
  request(path: string): Promise<{ status: number; traceId: string }>;
  /** Exports everything so far: A's spans to B's admin port, B's own to its store. */
  flush(): Promise<void>;
}

export async function startChain(): Promise<ProxyChain> {
  const upstream = await startUpstream((req, res) => {
    const failing = req.url === FAIL_PATH;
    res.writeHead(failing ? 503 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'down' : 'ok');
  });
  const b = await startProxy({
    tracing: { serviceName: 'backend' },
    routes: [{ name: 'orders', service: 'backend', match: { pathPrefix: '/api' }, upstream: upstream.url }],
  });
  const a = await startProxy({
    tracing: { serviceName: 'edge', exporters: [{ type: 'zipkin', endpoint: `${b.adminUrl}/api/v2/spans` }] },
    routes: [{ name: 'shop', service: 'Frontend', peerService: 'Backend', match: { pathPrefix: '/api' }, upstream: b.url }],
  });
  return {
    upstream,
    a,
    b,
    async request(path) {
      const response = await fetch(`${a.url}${path}`);
      await response.text();
      const traceResponse = response.headers.get('traceresponse');
      expect(traceResponse, `traceresponse of ${path}`).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      return { status: response.status, traceId: traceResponse!.split('-')[1]! };
    },
    async flush() {
      await a.app.flush();
      await b.app.flush();
    },
  };
}
