/** `GET /metrics`: the app's and the process's metrics in the Prometheus text format (SPEC §4). */
import type { HopMetrics } from '../metrics/registry.js';
import { sendText, type AdminRoute } from './server.js';

export function metricsRoutes(metrics: HopMetrics): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => sendText(res, 200, await metrics.render(), metrics.contentType),
    },
  ];
}
