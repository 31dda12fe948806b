/**
 * The `zipkin` exporter: Zipkin v2 JSON (see zipkin-model.ts for why the transform is our own) POSTed to
 * the configured endpoint.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPoster } from './http-post.js';
import { zipkinJsonArray } from './zipkin-model.js';

export const ZIPKIN_POST_TIMEOUT_MS = 5_000;

export function createZipkinExporter(endpoint: string, timeoutMs = ZIPKIN_POST_TIMEOUT_MS): SpanExporter {
  const poster = createPoster(endpoint, 'application/json', timeoutMs);
  let isShutdown = false;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      if (isShutdown) return done({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      poster.post(zipkinJsonArray(spans), done);
    },
    async shutdown(): Promise<void> {
      isShutdown = true;
      poster.close();
    },
  };
}
