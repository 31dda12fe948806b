// A Zipkin-compatible span sink: accepts POST <anything>/api/v2/spans and counts the spans of each body
// (one `"traceId"` key per span) under the path's first segment, so each target can have its own count.
import http from 'node:http';
import { serveIpc } from '../lib/ipc-child.mjs';

const KEY = Buffer.from('"traceId"');
const counts = {};
let bytes = 0;
let posts = 0;

function countSpans(body) {
  let n = 0;
  for (let at = body.indexOf(KEY); at !== -1; at = body.indexOf(KEY, at + KEY.length)) n += 1;
  return n;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'POST') {
      const body = Buffer.concat(chunks);
      const name = (req.url ?? '/').split('/')[1] ?? '';
      counts[name] = (counts[name] ?? 0) + countSpans(body);
      bytes += body.length;
      posts += 1;
    }
    res.writeHead(202, { 'content-length': 0 });
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
serveIpc(server, { count: () => ({ counts, bytes, posts }) });
