/** The public API for embedding hoptrace; re-exports only. */
export { createApp, type App, type AppOptions, type Addresses } from './app.js';
export { loadConfig, buildConfig, configFromText, type HopConfig } from './config/index.js';
export { HopError, ConfigError, HOP_ERR, type HopErrorCode } from './errors.js';
export { createSpanStore, type SpanStore } from './export/span-store.js';
export { toZipkinSpan, type ZipkinSpan } from './export/zipkin-model.js';
