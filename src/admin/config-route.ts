/**
 * `GET /config`: the config the proxy is running (after env overrides, defaults and the last reload) as
 * JSON, with every secret replaced by `REDACTED` (see config/mask-secrets.ts).
 */
import type { HopConfig } from '../config/types.js';
import { maskSecrets } from '../config/mask-secrets.js';
import { sendText, type AdminRoute } from './server.js';

export function configRoutes(current: () => HopConfig): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/config',
      // Indented: this is read by people (curl, a browser) far more than by programs.
      handler: (_req, res) => sendText(res, 200, `${JSON.stringify(maskSecrets(current()), null, 2)}\n`, 'application/json; charset=utf-8'),
    },
  ];
}
