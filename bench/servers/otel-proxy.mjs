// The same bare proxy with tracing written by hand the obvious way: sdk-trace-base, a BatchSpanProcessor
// with its defaults, the published Zipkin exporter and the W3C propagator; one SERVER span per request,
// its context injected into the headers http-proxy copies upstream.
import http from 'node:http';
import httpProxy from 'http-proxy';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { serveIpc } from '../lib/ipc-child.mjs';

const [target, zipkinUrl] = process.argv.slice(2);
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bare-otel' }),
  spanProcessors: [new BatchSpanProcessor(new ZipkinExporter({ url: zipkinUrl }))],
});
const tracer = provider.getTracer('bench');
const propagator = new W3CTraceContextPropagator();
const agent = new http.Agent({ keepAlive: true });
const proxy = httpProxy.createProxyServer({ target, agent });

const server = http.createServer((req, res) => {
  const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
  const span = tracer.startSpan(
    `${req.method} /`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        'url.path': req.url,
        'server.address': req.headers.host,
        'user_agent.original': req.headers['user-agent'],
      },
    },
    parent,
  );
  propagator.inject(trace.setSpan(parent, span), req.headers, defaultTextMapSetter);
  res.on('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  proxy.web(req, res, {}, () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
serveIpc(server, {}, () => provider.shutdown());
