// What a Node user would write: http-proxy in front of one upstream, a keep-alive agent, no tracing.
import http from 'node:http';
import httpProxy from 'http-proxy';
import { serveIpc } from '../lib/ipc-child.mjs';

const target = process.argv[2];
const agent = new http.Agent({ keepAlive: true });
const proxy = httpProxy.createProxyServer({ target, agent });

const server = http.createServer((req, res) => {
  proxy.web(req, res, {}, () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
serveIpc(server, {});
