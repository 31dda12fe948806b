/** The `console` exporter: one Zipkin v2 JSON span per line on stdout, for a first look or a log pipeline. */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { encodeZipkinSpan } from './zipkin-model.js';

export function createConsoleExporter(out: NodeJS.WritableStream = process.stdout): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      let text = '';
      for (const span of spans) text += `${encodeZipkinSpan(span).json}\n`;
      out.write(text, () => done({ code: ExportResultCode.SUCCESS }));
    },
    async shutdown(): Promise<void> {},
  };
}
