/**
 * POSTs one export body to a collector, over a keep-alive agent owned by the exporter, with a deadline.
 * A collector that hangs costs one socket until the deadline, never one more per batch (the published
 * exporters' send has no deadline of its own, so a hanging collector piles up sockets).
 */
import http from 'node:http';
import https from 'node:https';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

export interface Poster {
  post(body: string | Uint8Array, done: (result: ExportResult) => void): void;
  close(): void;
}

export function createPoster(endpoint: string, contentType: string, timeoutMs: number): Poster {
  const url = new URL(endpoint);
  const isHttps = url.protocol === 'https:';
  const agent = isHttps ? new https.Agent({ keepAlive: true, maxSockets: 2 }) : new http.Agent({ keepAlive: true, maxSockets: 2 });
  const request = isHttps ? https.request : http.request;

  return {
    post(body, done) {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        done(result);
      };
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            finish(
              status < 300
                ? { code: ExportResultCode.SUCCESS }
                : { code: ExportResultCode.FAILED, error: new Error(`${url.host} answered ${status}`) },
            );
          });
          res.on('error', (error) => finish({ code: ExportResultCode.FAILED, error }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url.host} did not answer within ${timeoutMs} ms`)));
      req.on('error', (error) => finish({ code: ExportResultCode.FAILED, error }));
      req.end(body);
    },
    close() {
      agent.destroy();
    },
  };
}
