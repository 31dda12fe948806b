/**
 * The `otlp` exporter: OTLP/HTTP with the JSON encoding, through @opentelemetry/exporter-trace-otlp-http.
 * Each route's service is its span's resource (`service.name`), so a backend files the spans per service.
 *
 * The URL is always passed explicitly: the config pipeline has already resolved
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT into it (config/env.ts), because the
 * exporter's constructor would let an explicit URL beat the environment. Its other variables (timeout,
 * compression, certificates) are still read by the library from the process environment.
 *
 * The exporter is given an agent of our own, so that shutting it down (a reload that drops it, or exit)
 * closes its keep-alive sockets: the library's transport leaves its agent open on shutdown.
 */
import http from 'node:http';
import https from 'node:https';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

export const OTLP_EXPORT_TIMEOUT_MS = 5_000; // as the Zipkin exporter: a hanging collector costs a batch, not the queue

export interface OtlpExporterOptions {
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export function createOtlpExporter(options: OtlpExporterOptions): SpanExporter {
  const agentOptions = { keepAlive: true, maxSockets: 2 };
  const agent = new URL(options.endpoint).protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const exporter = new OTLPTraceExporter({
    url: options.endpoint,
    headers: { ...options.headers },
    timeoutMillis: options.timeoutMs ?? OTLP_EXPORT_TIMEOUT_MS,
    httpAgentOptions: () => agent,
  });
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      exporter.export(spans, done);
    },
    async shutdown(): Promise<void> {
      await exporter.shutdown();
      agent.destroy();
    },
    forceFlush: () => exporter.forceFlush(),
  };
}
