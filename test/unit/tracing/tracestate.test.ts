import { describe, expect, it } from 'vitest';
import { TraceState as LibraryTraceState } from '@opentelemetry/core';
import { parseTraceState } from '../../../src/tracing/propagation/tracestate.js';

const members = (count: number, from = 1): string =>
  Array.from({ length: count }, (_, i) => `bar${String(i + from).padStart(2, '0')}=${i + from}`).join(',');

describe('tracestate (W3C Trace Context Level 2)', () => {
  // [what, header as received, what is propagated]
  const valid: Array<[string, string | string[], string]> = [
    ['the spec example of one system', 'congo=t61rcWkgMzE', 'congo=t61rcWkgMzE'],
    ['the spec example of two systems', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    ['the spec example after Congo re-entered', 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7', 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7'],
    ['the spec list example', 'vendorname1=opaqueValue1,vendorname2=opaqueValue2', 'vendorname1=opaqueValue1,vendorname2=opaqueValue2'],
    ['several header fields combined in order', ['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'], 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    ['a multi-tenant key', 'fw529a3039@dt=FW4;0;1,congo=t61rcWkgMzE', 'fw529a3039@dt=FW4;0;1,congo=t61rcWkgMzE'],
    ['a key that starts with a digit (Level 2 grammar)', '1congo=x', '1congo=x'],
    ['a tenant longer than 241 characters (Level 2 grammar)', `${'t'.repeat(242)}@v=1`, `${'t'.repeat(242)}@v=1`],
    ['a vendor longer than 14 characters (Level 2 grammar)', `t@${'v'.repeat(20)}=1`, `t@${'v'.repeat(20)}=1`],
    ['more than one @ (every keychar may be @)', 'a@b@c=1', 'a@b@c=1'],
    ['every key character', 'a0_-*/@z=1', 'a0_-*/@z=1'],
    ['a key of 256 characters', `${'k'.repeat(256)}=1`, `${'k'.repeat(256)}=1`],
    ['a value of 256 characters', `k=${'v'.repeat(256)}`, `k=${'v'.repeat(256)}`],
    ['32 members', members(32), members(32)],
    ['spaces and tabs around members', ' \t foo=1 \t ,\t bar=2 ', 'foo=1,bar=2'],
    ['empty and whitespace-only members (not counted)', `foo=1,, ,\t,${members(31)}`, `foo=1,${members(31)}`],
    ['a value with inner and leading spaces', 'foo= a b', 'foo= a b'],
    ['a value with every printable character but , and =', 'foo=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~', 'foo=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~'],
  ];
  it.each(valid)('keeps %s', (_what, header, expected) => {
    expect(parseTraceState(header)?.serialize()).toBe(expected);
  });

  // Each of these breaks a rule, so the whole header is discarded, the valid members with it.
  const invalid: Array<[string, string | string[]]> = [
    ['33 members', members(33)],
    ['33 members across two header fields', [members(16), members(17, 17)]],
    ['a key of 257 characters', `foo=1,${'k'.repeat(257)}=1`],
    ['an upper-case key', 'foo=1,FOO=1'],
    ['a key with a dot', 'foo=1,foo.bar=1'],
    ['a key starting with @', 'foo=1,@vendor=1'],
    ['a key starting with _', 'foo=1,_foo=1'],
    ['a space before =', 'foo=1,bar =1'],
    ['a member without =', 'foo=1,bar'],
    ['an empty key', 'foo=1,=1'],
    ['an empty value', 'foo=1,bar='],
    ['a value with =', 'foo=1,bar=a=b'],
    ['a value of 257 characters', `foo=1,k=${'v'.repeat(257)}`],
    ['a value with a control character', 'foo=1,bar=a\u0001b'],
    ['a value with a non-ASCII character', 'foo=1,bar=caf\u00e9'],
    ['a duplicated key', 'foo=1,bar=2,foo=3'],
    ['a duplicated key across header fields', ['foo=1', 'foo=1']],
  ];
  it.each(invalid)('discards the whole header with %s', (_what, header) => {
    expect(parseTraceState(header)).toBeUndefined();
  });

  it.each([[''], [' '], [' , ,\t']])('has nothing to propagate for the empty header %j', (header) => {
    expect(parseTraceState(header)).toBeUndefined();
  });

  it('differs from the library TraceState, which keeps the valid members of an invalid header', () => {
    const header = 'foo=1,FOO=2,1bar=3';
    expect(new LibraryTraceState(header).serialize()).toBe('foo=1');
    expect(parseTraceState(header)).toBeUndefined();
    expect(parseTraceState('foo=1,1bar=3')?.serialize()).toBe('foo=1,1bar=3');
  });

  it('moves a set key to the left and drops the rightmost member past 32', () => {
    const state = parseTraceState(members(32))!;
    const updated = state.set('bar05', 'x');
    expect(updated.serialize()).toBe(`bar05=x,${members(32).split(',').filter((m) => !m.startsWith('bar05=')).join(',')}`);
    const added = state.set('congo', 'y');
    expect(added.serialize()).toBe(`congo=y,${members(31)}`);
    expect(added.unset('congo').get('congo')).toBeUndefined();
    expect(state.set('Bad', 'x')).toBe(state);
  });
});
