/**
 * Starts a real hoptrace app (the same createApp the CLI uses) on 127.0.0.1 port 0, with an
 * InMemorySpanExporter beside the configured exporters, and registers its shutdown with the test.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { onTestFinished } from 'vitest';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { buildConfig } from '../../src/config/index.js';

export interface TestProxy {
  app: App;
  url: string;
  adminUrl: string;
  memory: InMemorySpanExporter;
  /** Flushes the processors and returns every span exported so far. */
  spans(): Promise<ReadableSpan[]>;
}

export async function startProxy(config: Record<string, unknown>, options: AppOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<TestProxy> {
  const memory = new InMemorySpanExporter();
  // The access log is off unless a test turns it on: on by default it would write to the test runner's stdout.
  const withTestDefaults = { listen: '127.0.0.1:0', admin: '127.0.0.1:0', drainTimeoutMs: 2_000, accessLog: { enabled: false }, ...config };
  const app = createApp(buildConfig(withTestDefaults, env), {
    extraExporters: [memory],
    processor: { scheduledDelayMs: 20 },
    ...options,
  });
  onTestFinished(() => app.close());
  const addresses = await app.start();
  return {
    app,
    url: `http://${addresses.proxy}`,
    adminUrl: `http://${addresses.admin}`,
    memory,
    async spans() {
      await app.flush();
      return memory.getFinishedSpans();
    },
  };
}
