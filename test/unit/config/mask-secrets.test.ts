import { describe, expect, it } from 'vitest';
import { maskSecrets, REDACTED } from '../../../src/config/mask-secrets.js';

const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

describe('maskSecrets', () => {
  it.each([
    ['a token', { adminToken: 'abc' }, { adminToken: REDACTED }],
    ['a password', { auth: { user: 'u', password: 'p' } }, { auth: { user: 'u', password: REDACTED } }],
    ['an authorization field', { Authorization: 'Bearer x' }, { Authorization: REDACTED }],
    ['an API key in camelCase', { apiKey: 'k' }, { apiKey: REDACTED }],
    ['an API key in snake_case', { api_key: 'k' }, { api_key: REDACTED }],
    ['a client secret', { clientSecret: 's' }, { clientSecret: REDACTED }],
    ['every value of a headers map', { headers: { 'x-team': 't', accept: 'json' } }, { headers: { 'x-team': REDACTED, accept: REDACTED } }],
    ['a key file path (shown)', { tls: { cert: '/etc/c.pem', key: '/etc/k.pem' } }, { tls: { cert: '/etc/c.pem', key: '/etc/k.pem' } }],
    ['a relative key file path (shown)', { tls: { key: 'certs/server.key' } }, { tls: { key: 'certs/server.key' } }],
    ['key material in a key field', { tls: { key: PEM_KEY } }, { tls: { key: REDACTED } }],
    ['key material under any name', { extra: [PEM_KEY] }, { extra: [REDACTED] }],
    ['a key that is not a path', { signingKey: 'abcdef' }, { signingKey: REDACTED }],
    ['raw bytes', { ca: new Uint8Array([1, 2]) }, { ca: REDACTED }],
    ['the password of a URL', { endpoint: 'https://user:pw@host:4318/v1/traces' }, { endpoint: `https://user:${REDACTED}@host:4318/v1/traces` }],
    ['a secret query parameter', { endpoint: 'http://h/x?token=t&b=1#f' }, { endpoint: `http://h/x?token=${REDACTED}&b=1#f` }],
    ['a URL without secrets', { endpoint: 'http://127.0.0.1:9411/api/v2/spans?page=2' }, { endpoint: 'http://127.0.0.1:9411/api/v2/spans?page=2' }],
    ['names that only look like key', { monkey: 'banana', keys: ['a'], hotkey: 'x' }, { monkey: 'banana', keys: ['a'], hotkey: 'x' }],
    ['numbers, booleans and null', { port: 8080, enabled: true, peer: null }, { port: 8080, enabled: true, peer: null }],
  ])('masks %s', (_name, input, expected) => {
    expect(maskSecrets(input)).toEqual(expected);
  });

  it('does not change the config it masks', () => {
    const config = Object.freeze({ headers: Object.freeze({ authorization: 'Bearer x' }) });
    maskSecrets(config);
    expect(config.headers.authorization).toBe('Bearer x');
  });
});
