/** `/healthz`: the process answers. `/readyz`: listening with a valid config and not draining (SPEC §4). */
import { sendText, type AdminRoute } from './server.js';

export function healthRoutes(isReady: () => boolean): AdminRoute[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendText(res, 200, 'ok\n') },
    {
      method: 'GET',
      path: '/readyz',
      handler: (_req, res) => (isReady() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready\n')),
    },
  ];
}
