/** Types for http-proxy's outgoing passes (no typings ship for its lib/ files); used by forward.ts only. */
declare module 'http-proxy/lib/http-proxy/passes/web-outgoing.js' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  type OutgoingPass = (req: IncomingMessage, res: ServerResponse, proxyRes: IncomingMessage, options: object) => unknown;
  const passes: Record<string, OutgoingPass>;
  export default passes;
}
