/**
 * capNewSpace holds V8's new space at its cap without `--max-semi-space-size`. Each case runs in a node
 * process of its own (the flags it sets are process-wide), on the built module (npm test builds first):
 * objects that survive a few young collections make V8 grow the new space, to 32 MB when nothing holds it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TUNING = fileURLToPath(new URL('../../../dist/cli/v8-tuning.js', import.meta.url));
const MB = 1024 * 1024;

/**
 * The new space's size, in bytes, after allocating with survivors, in a process started with `nodeFlags`
 * and set up by `setup`.
 */
function newSpaceAfterLoad(setup: string, nodeFlags: string[] = []): number {
  const script = `
    const { capNewSpace, newSpaceBytes } = await import(${JSON.stringify(TUNING)});
    ${setup}
    const kept = [];
    for (let i = 0; i < 3e6; i += 1) {
      kept.push({ i, s: 'x' + i });
      if (kept.length > 40000) kept.splice(0, 20000);
      // Collections are observed between turns of the event loop, as in the proxy.
      if (i % 20000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    process.stdout.write(String(newSpaceBytes()));
  `;
  const child = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  return Number(child.stdout);
}

describe('capNewSpace', () => {
  it('keeps the new space at the cap, where it grows past it otherwise', () => {
    expect(newSpaceAfterLoad('')).toBeGreaterThan(8 * MB);
    expect(newSpaceAfterLoad('capNewSpace(8 * 1024 * 1024);')).toBeLessThanOrEqual(8 * MB);
  });

  it('never doubles a new space past the cap from a size that is not a power of two', () => {
    // V8 shrinks the new space to any size when allocation slows; a start size of 3 MB stands in for that.
    // 3, 6, 12: one more doubling would make 24.
    const oddStart = ['--min-semi-space-size=3'];
    expect(newSpaceAfterLoad('', oddStart)).toBeGreaterThan(16 * MB);
    const capped = newSpaceAfterLoad('capNewSpace(16 * 1024 * 1024);', oddStart);
    expect(capped).toBeLessThanOrEqual(16 * MB);
    expect(capped).toBeGreaterThan(8 * MB);
  });

  it('lets it grow again once stopped', () => {
    expect(newSpaceAfterLoad('capNewSpace(4 * 1024 * 1024)();')).toBeGreaterThan(4 * MB);
  });
});
