/**
 * A copy of a config fit to show on the admin port (`GET /config`): every secret replaced by `REDACTED`.
 *
 * What counts as a secret, wherever it sits in the config (fields are added over time, so this goes by
 * name and shape, not by a list of today's fields):
 * - a field whose name says it holds one: token, password, secret, authorization, cookie, credential,
 *   passphrase, an API key or a private key;
 * - every value of a `headers` map (exporters send credentials there: `authorization`, `x-api-key`, …);
 * - a field named `key` (or `…Key`, `…_key`) unless it holds a file path: `tls.key` names the key's file,
 *   and the path is shown, not the key;
 * - key material itself: a PEM block or raw bytes, whatever the field is called;
 * - the password in a URL (`https://user:pass@host`) and query parameters named like a secret.
 */
export const REDACTED = 'REDACTED';

const SECRET_NAME = /token|passw(or)?d|secret|authorization|cookie|credential|passphrase|api[-_]?key|private[-_]?key/i;
const KEY_NAME = /(^|[-_])(key|Key|KEY)$|[a-z0-9]Key$/;
const FILE_PATH = /[/\\]|\.(pem|key|crt)$/i;
const HEADER_MAPS = /^headers$/i;
const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const URL_WITH_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i;

export function maskSecrets(value: unknown): unknown {
  return mask(value, undefined);
}

function mask(value: unknown, name: string | undefined): unknown {
  if (value === null || value === undefined) return value;
  if (name !== undefined && SECRET_NAME.test(name)) return REDACTED;
  if (typeof value === 'string') {
    if (name !== undefined && KEY_NAME.test(name) && !FILE_PATH.test(value)) return REDACTED;
    return maskString(value);
  }
  if (typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => mask(item, undefined));
  const out: Record<string, unknown> = {};
  const allValuesSecret = name !== undefined && HEADER_MAPS.test(name);
  for (const [key, child] of Object.entries(value)) out[key] = allValuesSecret ? REDACTED : mask(child, key);
  return out;
}

function maskString(value: string): string {
  if (PEM.test(value)) return REDACTED;
  let masked = value.replace(URL_WITH_PASSWORD, `$1:${REDACTED}@`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(masked) && masked.includes('?')) masked = maskQuery(masked);
  return masked;
}

function maskQuery(url: string): string {
  const query = url.indexOf('?');
  const hash = url.indexOf('#', query);
  const end = hash === -1 ? url.length : hash;
  const params = url
    .slice(query + 1, end)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const key = equals === -1 ? param : param.slice(0, equals);
      return equals !== -1 && SECRET_NAME.test(decodeURIComponentSafe(key)) ? `${key}=${REDACTED}` : param;
    });
  return `${url.slice(0, query + 1)}${params.join('&')}${url.slice(end)}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
