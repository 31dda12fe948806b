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
import { createStoreExporter, STORE_DEFAULTS, type SpanStore, type StoreExporter } from './span-store.js';
import { createStoreAdmission } from './store-admission.js';
import { createZipkinExporter, encodeZipkinJson } from './zipkin.js';

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
  readonly storeExporter?: StoreExporter;
  /** New traces per second the store takes under load (store-admission.ts); STORE_DEFAULTS when absent, 0 for all. */
  readonly storeTracesPerSecond?: number;
}

/**
 * The store's batches go out sooner than a collector's: an export to the store is a function call, and a
 * span that waits half a second outlives the young generation, so the store's sample would fill the old
 * generation with spans the store has already turned into one string each.
 */
const STORE_EXPORT_DELAY_MS = 50;

export function createExportPipeline(exporters: readonly ExporterConfig[], options: PipelineOptions): ExportPipeline {
  const common = { ...options.processor, onExportError: options.onExportError };
  const storeRate = options.storeTracesPerSecond ?? STORE_DEFAULTS.tracesPerSecond;
  const admission = storeRate > 0 ? createStoreAdmission(storeRate) : undefined;
  const storeExporter = options.storeExporter ?? createStoreExporter(options.store);
  const store = createBoundedProcessor(storeExporter, {
    scheduledDelayMs: STORE_EXPORT_DELAY_MS,
    ...common,
    name: 'store',
    admission,
    prepare: (span) => storeExporter.encode(span),
  });
  const processors = [
    store,
    ...exporters.map((config, index) => processorFor(config, { ...common, name: `${config.type}[${index}]` })),
    ...(options.extraExporters ?? []).map((exporter, index) => createBoundedProcessor(exporter, { ...common, name: `extra[${index}]` })),
  ];
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

function processorFor(config: ExporterConfig, options: BoundedProcessorOptions): BoundedProcessor {
  switch (config.type) {
    case 'zipkin':
      return createBoundedProcessor(createZipkinExporter(config.endpoint), { ...options, prepare: encodeZipkinJson });
    case 'otlp':
      return createBoundedProcessor(createOtlpExporter({ endpoint: config.endpoint, headers: config.headers }), options);
    case 'console':
      return createBoundedProcessor(createConsoleExporter(), options);
  }
}
