/**
 * The export side of one config: a bounded processor per configured exporter plus one feeding the
 * built-in store (which takes a sample of traces under load, store-admission.ts), all off the request path.
 * Exporter failures become counts and a rate-limited log line.
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterConfig } from '../config/types.js';
import { createBoundedProcessor, type BoundedProcessor, type BoundedProcessorOptions, type ExportStats } from './bounded-processor.js';
import { createConsoleExporter } from './console.js';
import { createOtlpExporter } from './otlp.js';
import { createStoreExporter, STORE_DEFAULTS, type SpanStore } from './span-store.js';
import { createStoreAdmission } from './store-admission.js';
import { createZipkinExporter } from './zipkin.js';

export interface ExportPipeline {
  readonly processors: readonly BoundedProcessor[];
  stats(): ExportStats[];
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface PipelineOptions {
  readonly store: SpanStore;
  /** Extra exporters (an in-memory one in tests), each behind its own bounded processor. */
  readonly extraExporters?: readonly SpanExporter[];
  readonly processor?: Partial<Omit<BoundedProcessorOptions, 'name'>>;
  readonly onExportError?: (name: string, error: Error) => void;
  /** Where the built-in store's spans go instead of `store` (a cluster worker relays them to the primary). */
  readonly storeExporter?: SpanExporter;
  /** New traces per second the store takes under load (store-admission.ts); STORE_DEFAULTS when absent, 0 for all. */
  readonly storeTracesPerSecond?: number;
}

export function createExportPipeline(exporters: readonly ExporterConfig[], options: PipelineOptions): ExportPipeline {
  const named: Array<[string, SpanExporter]> = [['store', options.storeExporter ?? createStoreExporter(options.store)]];
  exporters.forEach((config, index) => named.push([`${config.type}[${index}]`, exporterFor(config)]));
  options.extraExporters?.forEach((exporter, index) => named.push([`extra[${index}]`, exporter]));
  const storeRate = options.storeTracesPerSecond ?? STORE_DEFAULTS.tracesPerSecond;
  const admission = storeRate > 0 ? createStoreAdmission(storeRate) : undefined;
  const processors = named.map(([name, exporter], index) =>
    createBoundedProcessor(exporter, { ...options.processor, name, onExportError: options.onExportError, ...(index === 0 ? { admission } : {}) }),
  );
  return {
    processors,
    stats: () => processors.map((processor) => processor.stats()),
    forceFlush: async () => {
      await Promise.all(processors.map((processor) => processor.forceFlush()));
    },
    shutdown: async () => {
      admission?.close();
      await Promise.all(processors.map((processor) => processor.shutdown()));
    },
  };
}

function exporterFor(config: ExporterConfig): SpanExporter {
  switch (config.type) {
    case 'zipkin':
      return createZipkinExporter(config.endpoint);
    case 'otlp':
      return createOtlpExporter({ endpoint: config.endpoint, headers: config.headers });
    case 'console':
      return createConsoleExporter();
  }
}
