#!/usr/bin/env node
/**
 * WebSocket throughput: echoed messages per second over one connection, straight to the upstream and
 * through the proxy, in one run. Through the proxy twice: a traced session (sampled: relayed message by
 * message with `ws`, counted) and an untraced one (the client sends a traceparent with the sampled flag
 * off: piped byte for byte).
 *
 * The proxy runs as the real CLI in its own process (bin/hoptrace.js, so `npm run build` first); the echo
 * upstream and the client share this process. Each case keeps `window` messages in flight and counts echoes.
 * Besides messages per second (wall clock, so it moves with whatever else the machine runs), the proxy's own
 * CPU time per message is read from /proc (Linux), which other load on the machine does not inflate.
 *
 *   npm run build && node bench/ws-throughput.mjs [rounds]
 *
 * Not part of `npm test`: figures depend on the machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const ROUNDS = Number(process.argv[2] ?? 3);
const CASES = [
  { label: '64 B messages', size: 64, count: 100_000, window: 1_000 },
  { label: '16 KiB messages', size: 16 * 1024, count: 20_000, window: 200 },
];
const UNSAMPLED = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' };

const upstream = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await once(upstream, 'listening');
upstream.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
const upstreamUrl = `ws://127.0.0.1:${upstream.address().port}`;

const proxy = await startProxy(`http://127.0.0.1:${upstream.address().port}`);
const proxyUrl = `ws://${proxy.address}`;

const targets = [
  { name: 'direct', url: upstreamUrl, headers: {} },
  { name: 'proxy, traced (ws relay)', url: proxyUrl, headers: {} },
  { name: 'proxy, untraced (pipe)', url: proxyUrl, headers: UNSAMPLED },
];

const masking = process.env.WS_NO_BUFFER_UTIL ? 'ws masking in JS (WS_NO_BUFFER_UTIL)' : 'ws masking by bufferutil when installed';
console.log(`node ${process.version}, ${ROUNDS} rounds, median of rounds; one connection, echo upstream, no compression, ${masking}\n`);
for (const testCase of CASES) {
  const results = new Map(targets.map((target) => [target.name, { rates: [], cpu: [] }]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Rotate the order each round so warm-up and background noise do not favour one target.
    for (let i = 0; i < targets.length; i += 1) {
      const target = targets[(i + round) % targets.length];
      const cpuBefore = proxyCpuMs(proxy.child.pid);
      const rate = await measure(target, testCase);
      const cpuAfter = proxyCpuMs(proxy.child.pid);
      results.get(target.name).rates.push(rate);
      if (cpuBefore !== undefined) results.get(target.name).cpu.push(((cpuAfter - cpuBefore) * 1000) / testCase.count);
    }
  }
  const direct = median(results.get('direct').rates);
  console.log(`${testCase.label} (${testCase.count} per run, ${testCase.window} in flight):`);
  for (const target of targets) {
    const { rates, cpu } = results.get(target.name);
    const rate = median(rates);
    const share = target.name === 'direct' ? '' : `  ${((rate / direct) * 100).toFixed(0)}% of direct`;
    const cost = target.name === 'direct' || cpu.length === 0 ? '' : `  proxy CPU ${median(cpu).toFixed(1)} µs per echoed message`;
    console.log(`  ${target.name.padEnd(26)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} msg/s${share}${cost}`);
  }
  console.log('');
}

proxy.child.kill('SIGTERM');
await once(proxy.child, 'exit');
upstream.close();

async function measure(target, { size, count, window }) {
  const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
  await once(ws, 'open');
  const payload = Buffer.alloc(size, 0x61);
  let sent = 0;
  let received = 0;
  const started = performance.now();
  await new Promise((resolve, reject) => {
    ws.on('error', reject);
    const fill = () => {
      while (sent < count && sent - received < window) {
        ws.send(payload);
        sent += 1;
      }
    };
    ws.on('message', () => {
      received += 1;
      if (received === count) resolve();
      else if (sent - received <= window / 2) fill();
    });
    fill();
  });
  const seconds = (performance.now() - started) / 1000;
  ws.close(1000);
  await once(ws, 'close');
  return count / seconds;
}

async function startProxy(upstreamHttpUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-bench-'));
  const config = join(dir, 'routes.json');
  writeFileSync(config, JSON.stringify({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'echo', upstream: upstreamHttpUrl }] }));
  const bin = fileURLToPath(new URL('../bin/hoptrace.js', import.meta.url));
  const child = spawn(process.execPath, [bin, '--config', config], { env: { ...process.env, HOPTRACE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const address = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening proxy=(\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`the proxy exited before listening: ${out}`)));
  });
  return { child, address };
}

/** User + system CPU time of a process in ms, from /proc; undefined where there is no /proc. */
function proxyCpuMs(pid) {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return ticks * 10; // USER_HZ is 100 on Linux
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
