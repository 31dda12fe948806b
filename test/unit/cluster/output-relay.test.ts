import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutputRelay } from '../../../src/cluster/output-relay.js';

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'hoptrace-relay-')), 'out.log');
}

describe('worker output relay', () => {
  it('writes whole lines from several streams, whatever the chunks, each stream in its order', async () => {
    const path = tempFile();
    const fd = openSync(path, 'a');
    const relay = createOutputRelay(fd);
    const a = new PassThrough();
    const b = new PassThrough();
    const ended = [relay.relay(a), relay.relay(b)];
    const lineA = (i: number): string => `{"from":"a","i":${i},"pad":"${'x'.repeat(i % 97)}"}\n`;
    const lineB = (i: number): string => `{"from":"b","i":${i}}\n`;
    const textA = Array.from({ length: 500 }, (_, i) => lineA(i)).join('');
    const textB = Array.from({ length: 500 }, (_, i) => lineB(i)).join('');
    // Chunks cut anywhere, mid-line included, the two streams taking turns.
    for (let at = 0; at < Math.max(textA.length, textB.length); at += 777) {
      a.write(textA.slice(at, at + 777));
      b.write(textB.slice(at, at + 333));
      b.write(textB.slice(at + 333, at + 777));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // A worker that dies mid-line: its last words still end with a newline.
    a.end('{"from":"a","last":true');
    b.end();
    await Promise.all(ended);
    await relay.flush();
    closeSync(fd);

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.filter((line) => line.startsWith('{"from":"a"')).join('\n')).toBe(`${textA}{"from":"a","last":true`);
    expect(lines.filter((line) => line.startsWith('{"from":"b"')).join('\n')).toBe(textB.slice(0, -1));
    expect(lines).toHaveLength(1_001);
  });
});
