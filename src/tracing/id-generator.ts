/**
 * Trace and span ids from a pooled buffer of crypto-random bytes: one `randomFillSync` call fills 4 KiB,
 * enough for 170 hops, and each id is a hex slice of it. Every byte is random, so a trace hoptrace starts
 * may declare its id random (W3C Level 2 flag 0x02, see propagation/tracecontext.ts). An all-zero id is
 * invalid (W3C #trace-id, #parent-id) and is drawn again.
 */
import { randomFillSync } from 'node:crypto';

export interface IdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

const POOL_BYTES = 4096;
const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';

export function createIdGenerator(): IdGenerator {
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;

  function take(bytes: number): string {
    if (offset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    return id;
  }

  return {
    generateTraceId() {
      let id = take(16);
      while (id === INVALID_TRACE_ID) id = take(16);
      return id;
    },
    generateSpanId() {
      let id = take(8);
      while (id === INVALID_SPAN_ID) id = take(8);
      return id;
    },
  };
}
