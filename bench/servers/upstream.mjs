// The benchmark's upstream: plain node:http, a tiny fixed body, keep-alive. It counts the requests it
// answers so the benchmark can divide the spans a sink received by the requests that really crossed.
import http from 'node:http';
import { serveIpc } from '../lib/ipc-child.mjs';

const BODY = Buffer.from('hello from the upstream\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': BODY.length };
let requests = 0;

const server = http.createServer((req, res) => {
  requests += 1;
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
serveIpc(server, { count: () => requests });
