/**
 * Bad input never takes the process down (SPEC §5): a few hundred malformed requests, built from a fixed
 * seed so a failure can be replayed, go to the real CLI over raw sockets. The process must still be alive
 * and answering afterwards, and nothing it answered may be a 5xx (bad input is the client's fault).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCli, writeConfig } from '../helpers/cli.js';
import { send, splitAddress, startRecordingUpstream } from '../helpers/faults.js';

/** mulberry32: a small seeded PRNG, so every run sends the same inputs. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'M-SEARCH', 'get', 'G ET', ''];
const TARGETS = [
  '/api',
  '/api/x?y=1&z',
  '*',
  'http://evil.example/',
  'http://fuzz.internal/api',
  'https://[::1/',
  '//double/slash',
  '/api/%00%zz',
  '/\x7f\x01',
  `/${'a'.repeat(20_000)}`,
  'ftp://x/',
  'evil.example:443',
  '',
  '/api/../../etc/passwd',
  '/api#fragment',
];
const NEARLY_VALID_TARGETS = ['/api', '/api/x?y=1&z', 'http://fuzz.internal/api/abs', 'http://evil.example/api', '/other', '/api/%00%zz', '*'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', '', 'http/1.1', 'HTTP/1.1 extra'];
const HEADERS = [
  'Host: fuzz.internal',
  '',
  'Host: a\r\nHost: b',
  'Content-Length: -1',
  'Content-Length: 99999999999999999999',
  'Content-Length: 5',
  'Content-Length: 3\r\nContent-Length: 4',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunked\r\nContent-Length: 3',
  'Transfer-Encoding: identity',
  ' Folded: continuation',
  'X\x00Null: 1',
  'Connection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x',
  'Expect: 100-continue\r\nContent-Length: 3',
  'Expect: teapot',
  'Host: [::1',
  'Host: fuzz.internal:99999',
  'traceparent: 00-zzzz-yyyy-01\r\ntracestate: ,,,,',
  'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'Content-Type: \xff\xfe',
  `X-Long: ${'b'.repeat(17_000)}`,
  'Bad Header Without Colon',
  ':empty-name',
  'Connection: close',
  'Connection: keep-alive, x-remove-me\r\nX-Remove-Me: 1',
];
const BODIES = ['', 'abc', '3\r\nabc\r\n0\r\n\r\n', 'zz\r\nabc\r\n', 'ffffffffffffffffff\r\n', '\r\n\r\n\r\n', '0\r\n\r\nGET / HTTP/1.1\r\n\r\n'];
const LINE_ENDS = ['\r\n', '\r\n', '\r\n', '\n', '\r'];

function fuzzInputs(count: number, seed: number): Buffer[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const inputs: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i % 5 === 0) {
      inputs.push(Buffer.from(Array.from({ length: 1 + Math.floor(next() * 400) }, () => Math.floor(next() * 256))));
      continue;
    }
    // Two in five are nearly valid (a real method, path and version, a Host) with one or two odd parts,
    // so they get past the parser and exercise the proxy itself; the rest are mixed from any parts.
    const nearlyValid = i % 5 <= 2;
    const eol = nearlyValid ? '\r\n' : pick(LINE_ENDS);
    const headers = Array.from({ length: Math.floor(next() * (nearlyValid ? 3 : 4)) }, () => pick(HEADERS)).filter((header) => header !== '');
    if (nearlyValid) headers.unshift('Host: fuzz.internal');
    const method = nearlyValid ? pick(METHODS.slice(0, 7)) : pick(METHODS);
    const target = nearlyValid ? pick(NEARLY_VALID_TARGETS) : pick(TARGETS);
    const version = nearlyValid ? pick(VERSIONS.slice(0, 2)) : pick(VERSIONS);
    let text = `${method} ${target} ${version}${eol}${headers.map((header) => `${header}${eol}`).join('')}${eol}${pick(BODIES)}`;
    if (next() < 0.15) text = text.slice(0, Math.floor(next() * text.length)); // cut anywhere
    inputs.push(Buffer.from(text, 'latin1'));
  }
  return inputs;
}

/**
 * Sends `input` and returns the status of every response that came back. The socket stays open for writing
 * (a half-close makes Node abort requests still in progress), and is closed once the proxy has been quiet
 * for a moment after answering, or has not answered within a deadline (a request still waiting for bytes).
 */
function exchange(host: string, port: number, input: Buffer): Promise<number[]> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let received = '';
    socket.setEncoding('latin1');
    const deadline = setTimeout(() => socket.destroy(), 1_200);
    let quiet: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: string) => {
      received += chunk;
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.destroy(), 150);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      resolve([...received.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1])));
    });
    socket.write(input);
  });
}

describe('malformed input', () => {
  it('survives a few hundred malformed requests over raw sockets and keeps answering', async () => {
    const upstream = await startRecordingUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const configPath = writeConfig({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      headersTimeoutMs: 500,
      routes: [{ name: 'api', match: { pathPrefix: '/api' }, upstream: upstream.url, timeoutMs: 1_000 }],
    });
    const cli = await startCli(configPath);
    const [host, port] = splitAddress(cli.proxy);

    const inputs = fuzzInputs(300, 0x5eed);
    const statuses: number[] = [];
    for (let start = 0; start < inputs.length; start += 60) {
      const batch = await Promise.all(inputs.slice(start, start + 60).map((input) => exchange(host, port, input)));
      statuses.push(...batch.flat());
      expect(cli.child.exitCode).toBeNull();
    }

    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThan(50);
    expect(cli.child.exitCode).toBeNull();
    expect((await send(`http://${cli.proxy}`, { path: '/api/ping', headers: { host: 'fuzz.internal' } })).status).toBe(200);
    expect((await send(`http://${cli.admin}`, { path: '/healthz' })).status).toBe(200);
    expect(cli.stderr()).not.toMatch(/uncaught|unhandled|TypeError|RangeError/i);
  });
});
