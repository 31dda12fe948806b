// One hop's spans as the proxy records them (a SERVER span and its CLIENT child, both 200), for the
// in-process benchmarks (micro.mjs, pipeline.mjs). Needs `npm run build`.
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  contextWith,
  describeClientSpan,
  describeServerSpan,
  recordClientStatus,
  recordServerStatus,
  startClientSpan,
  startServerSpan,
} from '../../dist/tracing/hop-spans.js';

export function recordHop(tracer) {
  const server = startServerSpan(tracer, ROOT_CONTEXT, 'GET', '/');
  if (server.isRecording()) {
    describeServerSpan(server, {
      method: 'GET', path: '/orders/42', scheme: 'http', serverAddress: 'localhost', serverPort: 8080, clientAddress: '127.0.0.1',
      userAgent: 'wrk', protocolVersion: '1.1', routeName: 'all', httpRoute: '/',
    });
  }
  const serverContext = contextWith(ROOT_CONTEXT, server);
  const client = startClientSpan(tracer, serverContext, 'GET', '/');
  if (client.isRecording()) {
    describeClientSpan(client, { method: 'GET', url: 'http://127.0.0.1:3000/orders/42', serverAddress: '127.0.0.1', serverPort: 3000, peerService: undefined });
  }
  recordClientStatus(client, 200);
  client.end();
  recordServerStatus(server, 200);
  server.end();
}
