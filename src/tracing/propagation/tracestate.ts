/**
 * The W3C `tracestate` header by the rules of Trace Context Level 2
 * (https://www.w3.org/TR/trace-context-2/#tracestate-header), as a `TraceState` the SDK carries from the
 * incoming context to every span of the trace and that injection serializes again.
 *
 * It replaces @opentelemetry/core's TraceState for what comes off the wire, because that one reads the
 * older key grammar (a key must start with a letter; `@` only as one `tenant@vendor` split with a
 * 241/14-character limit) and, on a bad member, drops that member and keeps the rest. Here:
 * - key = ( lcalpha / DIGIT ) 0*255 ( keychar ),
 *   keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"            (#key)
 * - value = 0*255(chr) nblk-chr, nblk-chr = %x21-2B / %x2D-3C / %x3E-7E, chr = %x20 / nblk-chr    (#value)
 * - "There can be a maximum of 32 list-members in a list."                                (#list)
 * - "Only one entry per key is allowed."                                  (#combined-header-value)
 * - "Spaces and horizontal tabs surrounding list-members are ignored." and "Empty and whitespace-only
 *   list members are allowed" (they come from joining several headers), so they are skipped and not counted.
 * A header that breaks any rule is discarded whole (processing model, step 3: "If the tracestate header cannot
 * be parsed the vendor MAY discard the entire header"; the W3C test suite expects exactly that for bad keys,
 * duplicate keys and a 33rd member), so nothing half-understood is passed on.
 *
 * "When receiving multiple tracestate header fields, they MUST be combined into a single header according to
 * RFC7230": Node already joins repeated `tracestate` lines with ", " in order; an array is joined the same way.
 */
import type { TraceState } from '@opentelemetry/api';

export const TRACE_STATE_MAX_MEMBERS = 32;

const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** Immutable; `set`/`unset` follow the spec's mutation rules (a changed key moves to the left). */
export class W3CTraceState implements TraceState {
  private serialized: string | undefined;

  /** `members` in header order, already valid. */
  constructor(private readonly members: ReadonlyArray<readonly [string, string]>) {}

  get(key: string): string | undefined {
    for (const [name, value] of this.members) if (name === key) return value;
    return undefined;
  }

  /** #mutating-the-tracestate-field: "Modified keys MUST be moved to the beginning (left) of the list." */
  set(key: string, value: string): W3CTraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    const rest = this.members.filter(([name]) => name !== key);
    // Adding a member past the limit drops the rightmost one (#tracestate-limits: "removed starting from the end").
    return new W3CTraceState([[key, value] as const, ...rest].slice(0, TRACE_STATE_MAX_MEMBERS));
  }

  unset(key: string): W3CTraceState {
    return new W3CTraceState(this.members.filter(([name]) => name !== key));
  }

  serialize(): string {
    if (this.serialized === undefined) this.serialized = this.members.map(([key, value]) => `${key}=${value}`).join(',');
    return this.serialized;
  }

  get size(): number {
    return this.members.length;
  }
}

/**
 * Parses the (combined) `tracestate` header. Returns undefined when the header is absent, holds no member, or
 * breaks a rule (the whole header is discarded then). Never throws.
 */
export function parseTraceState(header: string | string[] | undefined): W3CTraceState | undefined {
  if (header === undefined) return undefined;
  const combined = typeof header === 'string' ? header : header.join(',');
  const members: Array<readonly [string, string]> = [];
  for (const raw of combined.split(',')) {
    const member = trimOws(raw);
    if (member === '') continue;
    if (members.length === TRACE_STATE_MAX_MEMBERS) return undefined;
    const equals = member.indexOf('=');
    if (equals <= 0) return undefined;
    const key = member.slice(0, equals);
    const value = member.slice(equals + 1);
    if (!KEY.test(key) || !VALUE.test(value) || hasKey(members, key)) return undefined;
    members.push([key, value]);
  }
  return members.length === 0 ? undefined : new W3CTraceState(members);
}

/** At most 32 members: a scan is cheaper than building a Set for every request. */
function hasKey(members: ReadonlyArray<readonly [string, string]>, key: string): boolean {
  for (const [name] of members) if (name === key) return true;
  return false;
}

/** OWS is spaces and horizontal tabs (RFC 7230 §3.2.3); a value keeps its leading spaces, since the key comes first. */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start += 1;
  while (end > start && isOws(text.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
