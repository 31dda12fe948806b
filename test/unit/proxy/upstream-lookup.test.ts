import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { lookupUpstream } from '../../../src/proxy/upstream-lookup.js';

function lookup(hostname: string, all = false): Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) => lookupUpstream(hostname, { all }, (error, address) => resolve({ error, address })));
}

describe('lookupUpstream', () => {
  it.each(['upstream.invalid', 'a.b.INVALID', 'invalid', 'trailing.invalid.'])('fails %s with ENOTFOUND, as RFC 6761 asks', async (name) => {
    const { error } = await lookup(name);

    expect(error).toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: name });
  });

  it('fails the same way when every address is asked for (net.connect with autoSelectFamily)', async () => {
    expect((await lookup('upstream.invalid', true)).error?.code).toBe('ENOTFOUND');
  });

  it('leaves every other name to the system resolver', async () => {
    const { error, address } = await lookup('localhost', true);

    expect(error).toBeNull();
    expect((address as LookupAddress[]).map((entry) => entry.address)).toContain('127.0.0.1');
  });
});
