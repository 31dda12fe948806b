/**
 * `npm run soak`: a bounded soak of the proxy under mixed traffic and faults (not part of `npm test`).
 *
 * For a set time (SOAK_SECONDS, default 60) a fixed number of concurrent clients (SOAK_CONCURRENCY, default
 * 32) send a mix of requests through a proxy process (scripts/soak-proxy.mjs, the CLI's code plus a figures
 * channel) while:
 *   - upstreams refuse, reset before and during their answer, never answer, stall mid-body, answer 503, or
 *     name a host that does not resolve; one route retries over a refusing and a healthy target;
 *   - clients hang up in the middle of their request and of the answer, and send malformed requests;
 *   - the span collector cycles through accepting, answering 500, hanging and resetting, every 5 s.
 *
 * It prints requests, outcomes by kind, spans exported and dropped, and RSS at start and end, then exits
 * non-zero if the proxy died, if a request to a healthy route failed, if sockets stayed open after the load,
 * or if memory kept growing: after a warm-up (a quarter of the run, while the span store fills to its cap),
 * the samples are split into four quarters and memory "kept growing" when each quarter's median is above
 * the last one's and the last is more than 10% above the first.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.SOAK_SECONDS ?? process.argv[2] ?? 60);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const SAMPLE_EVERY_MS = 1_000;
const COLLECTOR_PHASE_MS = 5_000;
const MB = 1024 * 1024;

// ---------------------------------------------------------------- servers around the proxy

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

/**
 * Where connections are refused. Port 1 (tcpmux) has no listener on any ordinary machine, and unlike a port
 * freed after listening on 0 it cannot be handed to another program's server halfway through a long run.
 */
const REFUSED_URL = 'http://127.0.0.1:1';

const upstreamServer = http.createServer((req, res) => {
  const path = req.url ?? '/';
  req.resume();
  if (path.startsWith('/faulty/reset-mid')) {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('partial', () => res.socket?.destroy());
  } else if (path.startsWith('/faulty/reset')) {
    req.socket.destroy();
  } else if (path.startsWith('/faulty/hang')) {
    // never answers: the route's timeoutMs gives 504
  } else if (path.startsWith('/faulty/stall')) {
    res.writeHead(200);
    res.write('first chunk'); // then silence: response_stalled
  } else if (path.startsWith('/faulty/503')) {
    res.writeHead(503).end('busy');
  } else if (path.startsWith('/ok/stream')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      sent += 1;
      if (sent < 10) res.write('chunk\n');
      else {
        clearInterval(timer);
        res.end('last\n');
      }
    }, 20);
  } else {
    req.on('end', () => res.end('ok'));
  }
});

let collectorMode = 'accept';
const hanging = new Set();
const collected = { spans: 0, posts: 0 };
const collectorServer = http.createServer((req, res) => {
  let size = 0;
  const chunks = [];
  req.on('data', (chunk) => {
    size += chunk.length;
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (collectorMode === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (collectorMode === 'reset') return req.socket.destroy();
    if (collectorMode === 'fail500') return res.writeHead(500).end();
    collected.posts += 1;
    collected.spans += JSON.parse(Buffer.concat(chunks, size).toString('utf8')).length;
    res.writeHead(202).end();
  });
});
const COLLECTOR_CYCLE = ['accept', 'fail500', 'accept', 'hang', 'accept', 'reset'];

// ---------------------------------------------------------------- the proxy process

function startProxy(configPath) {
  const child = fork(fileURLToPath(new URL('./soak-proxy.mjs', import.meta.url)), [configPath], {
    execArgv: ['--expose-gc'],
    // The proxy's stdout carries its access log, one line a request: not for this terminal.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting = [];
  child.on('message', (message) => {
    const index = waiting.findIndex((entry) => entry.type === message.type);
    if (index !== -1) waiting.splice(index, 1)[0].resolve(message);
  });
  const next = (type) => new Promise((resolve) => waiting.push({ type, resolve }));
  return {
    child,
    listening: next('listening'),
    figures: () => {
      const reply = next('figures');
      child.send('figures');
      return reply.then((message) => message.figures);
    },
    close: () => {
      const reply = next('closed');
      child.kill('SIGTERM');
      return reply.then((message) => message.figures);
    },
  };
}

// ---------------------------------------------------------------- traffic

const MIX = [
  [30, 'ok'],
  [8, 'ok-post'],
  [6, 'retry'],
  [5, 'refused'],
  [3, 'dns'],
  [5, 'reset'],
  [5, 'reset-mid'],
  [3, 'hang'],
  [3, 'stall'],
  [4, 'upstream-503'],
  [6, 'client-abort-response'],
  [4, 'client-abort-request'],
  [3, 'malformed'],
];
const MIX_TOTAL = MIX.reduce((sum, [weight]) => sum + weight, 0);
function pickKind() {
  let roll = Math.random() * MIX_TOTAL;
  for (const [weight, kind] of MIX) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'ok';
}

const PATHS = {
  ok: '/ok/a',
  'ok-post': '/ok/post',
  retry: '/retry/a',
  refused: '/down/a',
  dns: '/dns/a',
  reset: '/faulty/reset',
  'reset-mid': '/faulty/reset-mid',
  hang: '/faulty/hang',
  stall: '/faulty/stall',
  'upstream-503': '/faulty/503',
  'client-abort-response': '/ok/stream',
};
/** Kinds whose every request must succeed: a failure there is the proxy's fault. */
const MUST_SUCCEED = new Set(['ok', 'ok-post', 'retry']);

function request(agent, host, port, kind) {
  return new Promise((resolve) => {
    const method = kind === 'ok-post' || kind === 'client-abort-request' ? 'POST' : 'GET';
    const headers = kind === 'client-abort-request' ? { 'content-length': '1000' } : {};
    const req = http.request({ host, port, method, path: PATHS[kind] ?? '/ok/upload', headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
        if (kind === 'client-abort-response') {
          req.destroy();
          resolve('client-aborted');
        }
      });
      res.on('end', () => {
        if (res.statusCode >= 500 && body.startsWith('{')) resolve(`${res.statusCode} ${JSON.parse(body).error}`);
        else resolve(String(res.statusCode));
      });
      res.on('error', () => resolve(`${res.statusCode} cut`));
      res.on('aborted', () => resolve(`${res.statusCode} cut`));
    });
    req.on('error', (error) => resolve(kind === 'client-abort-request' ? 'client-aborted' : `error ${error.code ?? error.message}`));
    if (kind === 'client-abort-request') {
      req.write('x'.repeat(10), () => setTimeout(() => req.destroy(), 5));
      return;
    }
    req.end(kind === 'ok-post' ? JSON.stringify({ order: 42, items: ['a', 'b'] }) : undefined);
  });
}

function malformed(host, port) {
  const garbage = [
    'GET / HTTP/1.1 extra\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n',
    'GET http://evil.example/ HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n',
    '\x16\x03\x01\x00\xa5\x01\x00',
  ];
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => resolve(`malformed ${/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 'closed'}`));
    socket.end(garbage[Math.floor(Math.random() * garbage.length)]);
  });
}

// ---------------------------------------------------------------- the run

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Quarter medians of the samples after warm-up, and whether they rise every time by more than 10% in all. */
function growth(samples) {
  const quarter = Math.floor(samples.length / 4);
  if (quarter === 0) return { medians: [], keptGrowing: false };
  const medians = [0, 1, 2, 3].map((i) => median(samples.slice(i * quarter, (i + 1) * quarter)));
  const rising = medians.every((value, i) => i === 0 || value > medians[i - 1]);
  return { medians, keptGrowing: rising && medians[3] > medians[0] * 1.1 };
}

async function main() {
  const upstream = await listen(upstreamServer);
  const collector = await listen(collectorServer);
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-soak-'));
  const configPath = join(dir, 'routes.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      drainTimeoutMs: 5_000,
      tracing: { serviceName: 'soak', exporters: [{ type: 'zipkin', endpoint: `${collector}/api/v2/spans` }] },
      routes: [
        { name: 'ok', match: { pathPrefix: '/ok' }, upstream },
        { name: 'faulty', match: { pathPrefix: '/faulty' }, upstream, timeoutMs: 300 },
        {
          name: 'retry',
          match: { pathPrefix: '/retry' },
          upstream: { targets: [REFUSED_URL, upstream] },
          retry: { attempts: 2, on: ['connect-failure'] },
          outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 1_000 },
        },
        { name: 'down', match: { pathPrefix: '/down' }, upstream: REFUSED_URL },
        { name: 'dns', match: { pathPrefix: '/dns' }, upstream: 'http://upstream.invalid' },
      ],
    }),
  );

  const proxy = startProxy(configPath);
  let proxyDied = false;
  proxy.child.on('exit', (code, signal) => {
    if (!stopping) {
      proxyDied = true;
      console.error(`soak: the proxy process died (code ${code}, signal ${signal})`);
    }
  });
  let stopping = false;
  const { addresses } = await proxy.listening;
  const [host, portText] = addresses.proxy.split(':');
  const port = Number(portText);
  const atStart = await proxy.figures();

  console.log(`soak: ${SECONDS} s, ${CONCURRENCY} concurrent clients, proxy on ${addresses.proxy}`);
  const outcomes = new Map();
  const failedHealthy = new Map();
  let requests = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const deadline = Date.now() + SECONDS * 1_000;

  let phase = 0;
  const collectorTimer = setInterval(() => {
    phase = (phase + 1) % COLLECTOR_CYCLE.length;
    collectorMode = COLLECTOR_CYCLE[phase];
    if (collectorMode !== 'hang') {
      for (const res of hanging) res.writeHead(503).end();
      hanging.clear();
    }
  }, COLLECTOR_PHASE_MS);

  const samples = [];
  const sampler = setInterval(async () => {
    if (proxyDied) return;
    const figures = await proxy.figures();
    samples.push({ at: Date.now(), rss: figures.rss, heap: figures.heapUsed });
  }, SAMPLE_EVERY_MS);

  async function client() {
    while (Date.now() < deadline && !proxyDied) {
      const kind = pickKind();
      const outcome = kind === 'malformed' ? await malformed(host, port) : await request(agent, host, port, kind);
      requests += 1;
      const key = `${kind}: ${outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (MUST_SUCCEED.has(kind) && outcome !== '200') failedHealthy.set(key, (failedHealthy.get(key) ?? 0) + 1);
    }
  }
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const elapsed = (Date.now() - startedAt) / 1_000;
  clearInterval(sampler);
  clearInterval(collectorTimer);
  collectorMode = 'accept';
  for (const res of hanging) res.writeHead(503).end();
  agent.destroy();

  let atEnd;
  let socketsLeft;
  let atClose;
  if (!proxyDied) {
    // Let what the clients left behind (aborted exchanges, stalled answers) settle before counting sockets.
    const settleBy = Date.now() + 5_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      atEnd = await proxy.figures();
    } while ((atEnd.openSockets > 0 || atEnd.upstreamSockets.active > 0) && Date.now() < settleBy);
    socketsLeft = { client: atEnd.openSockets, upstream: atEnd.upstreamSockets.active };
    stopping = true;
    atClose = await proxy.close();
  }
  const [exitCode] = proxyDied ? [null] : await once(proxy.child, 'exit');

  const warmUp = Math.max(Math.floor(samples.length / 4), 1);
  const rssGrowth = growth(samples.slice(warmUp).map((sample) => sample.rss));
  const heapGrowth = growth(samples.slice(warmUp).map((sample) => sample.heap));
  const zipkin = atClose?.exportStats.find((stats) => stats.name.startsWith('zipkin'));

  console.log(`requests: ${requests} in ${elapsed.toFixed(1)} s (${Math.round(requests / elapsed)}/s)`);
  console.log('outcomes by kind:');
  for (const [key, count] of [...outcomes].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${key.padEnd(48)} ${count}`);
  if (zipkin !== undefined) {
    console.log(
      `spans (zipkin exporter): exported ${zipkin.exported}, dropped ${zipkin.dropped}, failed exports ${zipkin.failedExports}; the collector received ${collected.spans} in ${collected.posts} posts`,
    );
    const store = atClose.exportStats.find((stats) => stats.name === 'store');
    console.log(`spans (built-in store): exported ${store.exported}, dropped ${store.dropped}; holding ${atClose.storeStats.spans} spans of ${atClose.storeStats.traces} traces`);
  }
  const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
  if (atEnd !== undefined) {
    console.log(`rss: start ${mb(atStart.rss)}, end ${mb(atEnd.rss)}; after warm-up, quarter medians ${rssGrowth.medians.map(mb).join(' → ')}`);
    console.log(`heap after gc: start ${mb(atStart.heapUsed)}, end ${mb(atEnd.heapUsed)}; after warm-up, quarter medians ${heapGrowth.medians.map(mb).join(' → ')}`);
    console.log(`sockets after the load: client ${socketsLeft.client}, upstream busy ${socketsLeft.upstream}`);
  }
  console.log(`proxy: ${proxyDied ? 'DIED' : `alive until SIGTERM, exit code ${exitCode}`}`);

  const failures = [];
  if (proxyDied) failures.push('the proxy process died');
  if (exitCode !== 0 && !proxyDied) failures.push(`the proxy exited with ${exitCode} after SIGTERM`);
  if (failedHealthy.size > 0) failures.push(`requests to healthy routes failed: ${JSON.stringify(Object.fromEntries(failedHealthy))}`);
  if (socketsLeft !== undefined && (socketsLeft.client > 0 || socketsLeft.upstream > 0)) failures.push('sockets stayed open after the load');
  if (rssGrowth.keptGrowing) failures.push('RSS kept growing');
  if (heapGrowth.keptGrowing) failures.push('the heap kept growing');
  console.log(failures.length === 0 ? 'soak: PASS' : `soak: FAIL: ${failures.join('; ')}`);

  upstreamServer.closeAllConnections();
  collectorServer.closeAllConnections();
  upstreamServer.close();
  collectorServer.close();
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
