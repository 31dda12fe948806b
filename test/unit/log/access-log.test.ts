import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAccessLog } from '../../../src/log/access-log.js';
import type { HopRecord } from '../../../src/proxy/hop-record.js';

const RECORD: HopRecord = {
  route: 'orders',
  service: 'orders-svc',
  method: 'GET',
  path: '/api/orders/7',
  status: 200,
  durationMs: 3.5124567,
  upstreamDurationMs: 3.1,
  upstream: 'http://127.0.0.1:3001',
  bytesIn: 12,
  bytesOut: 245,
  errorType: undefined,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  sampled: true,
};

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'hoptrace-access-')), 'access.log');
}

function lines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('access log', () => {
  it('writes one JSON line per request with the trace and span ids and every field of the record', async () => {
    const path = tempFile();
    const log = createAccessLog({ enabled: true, destination: path });
    log.open();
    log.onHopStart();
    log.onHopEnd(RECORD);
    log.onHopStart();
    log.onHopEnd({ ...RECORD, route: undefined, status: 404, upstream: undefined, upstreamDurationMs: undefined, errorType: 'route_not_found', sampled: false });
    await log.close();

    const [first, second] = lines(path);
    expect(Math.abs(Number(first!.time) - Date.now())).toBeLessThan(60_000);
    expect(first).toEqual({
      level: 'info',
      time: expect.any(Number),
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      sampled: true,
      route: 'orders',
      service: 'orders-svc',
      method: 'GET',
      path: '/api/orders/7',
      status: 200,
      duration_ms: 3.512,
      upstream_duration_ms: 3.1,
      bytes_in: 12,
      bytes_out: 245,
      upstream: 'http://127.0.0.1:3001',
      error: null,
    });
    expect(second).toMatchObject({ route: null, status: 404, upstream: null, upstream_duration_ms: null, error: 'route_not_found', sampled: false });
  });

  it('appends to an existing file', async () => {
    const path = tempFile();
    for (let i = 0; i < 2; i += 1) {
      const log = createAccessLog({ enabled: true, destination: path });
      log.open();
      log.onHopStart();
      log.onHopEnd({ ...RECORD, status: 200 + i });
      await log.close();
    }
    expect(lines(path).map((line) => line.status)).toEqual([200, 201]);
  });

  it('keeps up with a busy event loop: a turn\'s lines go out in the one write that turn completes', async () => {
    // One write is in flight at a time and its completion waits for the loop's next turn, as under full
    // load. 100 lines a turn (~33 KB) over 300 turns is ~10 MB: with 4 KiB writes the backlog grew past the
    // 8 MiB cap and lines were dropped.
    const path = tempFile();
    let dropped = 0;
    const log = createAccessLog({ enabled: true, destination: path }, { onDrop: () => (dropped += 1) });
    log.open();
    const turns = 300;
    const perTurn = 100;
    for (let turn = 0; turn < turns; turn += 1) {
      for (let i = 0; i < perTurn; i += 1) {
        log.onHopStart();
        log.onHopEnd({ ...RECORD, path: `/api/orders/${turn}/${i}` });
      }
      const until = performance.now() + 2;
      while (performance.now() < until); // the rest of a busy turn
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.close();

    expect(dropped).toBe(0);
    const written = lines(path);
    expect(written).toHaveLength(turns * perTurn);
    expect(written.at(-1)).toMatchObject({ path: `/api/orders/${turns - 1}/${perTurn - 1}` });
  });

  it('closes only after the requests that started under it are written', async () => {
    const path = tempFile();
    const log = createAccessLog({ enabled: true, destination: path });
    log.open();
    log.onHopStart();
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    log.onHopEnd(RECORD);
    await closing;
    expect(lines(path)).toHaveLength(1);
  });

  it('fails to open a file in a directory that does not exist, with its own error code', () => {
    const log = createAccessLog({ enabled: true, destination: '/nonexistent-hoptrace-dir/access.log' });
    expect(() => log.open()).toThrowError(
      expect.objectContaining({
        code: 'HOP_ERR_ACCESS_LOG_OPEN',
        message: 'accessLog.destination: cannot open /nonexistent-hoptrace-dir/access.log: ENOENT: no such file or directory',
      }),
    );
  });

  it('writes nothing and opens nothing when disabled', async () => {
    const path = tempFile();
    const log = createAccessLog({ enabled: false, destination: path });
    log.open();
    log.onHopStart();
    log.onHopEnd(RECORD);
    await log.close();
    expect(existsSync(path)).toBe(false);
  });
});
