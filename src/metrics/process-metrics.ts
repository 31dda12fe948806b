/**
 * prom-client's default process metrics (CPU, memory, heap, event-loop lag, GC, file descriptors).
 *
 * They describe the process, not an app, so there is one set per process, made on first use and merged
 * into every app's /metrics. Making a set per app would be wrong twice over: two apps in one process
 * would report the same process twice, and prom-client starts an event-loop delay monitor and a GC
 * observer for each set that it has no way to stop, so every app created (tests create many) would leave
 * both running for the life of the process.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

export function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
