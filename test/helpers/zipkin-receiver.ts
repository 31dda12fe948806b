/** A Zipkin-compatible span receiver: accepts POST /api/v2/spans (JSON) and keeps what arrived. */
import http from 'node:http';
import type { ZipkinSpan } from '../../src/export/zipkin-model.js';
import { listen } from './listen.js';
import { waitFor } from './wait.js';

export interface ZipkinReceiver {
  endpoint: string;
  spans: ZipkinSpan[];
  posts: number;
  /** Waits until at least `count` spans arrived; returns them all. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ZipkinSpan[]>;
}

export async function startZipkinReceiver(status = 202): Promise<ZipkinReceiver> {
  const receiver: ZipkinReceiver = {
    endpoint: '',
    spans: [],
    posts: 0,
    waitForSpans: (count, timeoutMs = 5_000) =>
      waitFor(() => receiver.spans.length >= count && receiver.spans, timeoutMs, `${count} spans at the Zipkin receiver`),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/spans' && status < 300) {
        receiver.posts += 1;
        receiver.spans.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ZipkinSpan[]));
      }
      res.writeHead(status).end();
    });
  });
  const { url } = await listen(server);
  receiver.endpoint = `${url}/api/v2/spans`;
  return receiver;
}
