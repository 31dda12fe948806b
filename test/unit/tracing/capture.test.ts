import { describe, expect, it } from 'vitest';
import { createCapturePolicy, headerAttributes, redactQuery } from '../../../src/tracing/capture.js';

describe('redactQuery', () => {
  const keep = new Set(['page', 'q']);
  it.each([
    ['', undefined],
    ['?', undefined],
    ['?page=2', 'page=2'],
    ['?token=abc', 'token=REDACTED'],
    ['?page=2&token=abc&q=x', 'page=2&token=REDACTED&q=x'],
    ['?flag&empty=&a=b=c', 'flag&empty=&a=REDACTED'],
    ['?a=1&', 'a=REDACTED&'],
    ['?&&a=1', '&&a=REDACTED'],
    ['?p%61ge=2', 'p%61ge=REDACTED'], // names are compared as sent, never decoded
    ['?PAGE=2', 'PAGE=REDACTED'], // and case-sensitively
  ])('%j → %j', (search, expected) => {
    expect(redactQuery(search, keep)).toBe(expected);
  });
});

describe('createCapturePolicy', () => {
  it('never captures credential headers, whatever the config says', () => {
    const policy = createCapturePolicy({
      requestHeaders: ['X-Tenant', 'AUTHORIZATION', 'Cookie'],
      responseHeaders: ['Set-Cookie', 'proxy-authorization', 'x-cache'],
      queryParams: [],
    });
    expect(policy.requestHeaders.map((capture) => capture.attribute)).toEqual(['http.request.header.x-tenant']);
    expect(policy.responseHeaders.map((capture) => capture.attribute)).toEqual(['http.response.header.x-cache']);
  });

  it('turns present headers into one-item string arrays and skips absent ones', () => {
    const policy = createCapturePolicy({ requestHeaders: ['x-a', 'x-b', 'x-c'], responseHeaders: [], queryParams: [] });
    expect(headerAttributes(policy.requestHeaders, { 'x-a': '1, 2', 'x-c': ['3', '4'] })).toEqual({
      'http.request.header.x-a': ['1, 2'],
      'http.request.header.x-c': ['3', '4'],
    });
    expect(headerAttributes(policy.requestHeaders, {})).toBeUndefined();
  });
});
