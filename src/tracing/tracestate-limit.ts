/**
 * The size cap on an incoming `tracestate`, applied before the header is parsed. W3C Trace Context
 * §3.3.1.5 (https://www.w3.org/TR/trace-context/#tracestate-limits): past 512 characters a tracestate may
 * be truncated, entries longer than 128 characters first, then entries from the end. Dropping the long
 * ones and then the tail keeps exactly the longest run of short entries, from the start, that fits; so one
 * pass from the start does both, and stops as soon as the cap is reached, however long the header.
 */
const MAX_MEMBER_LENGTH = 128;

/** `value` unchanged when it fits in `maxLength`; otherwise its leading short members that fit, comma-joined. */
export function truncateTracestate(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  let kept = '';
  let start = 0;
  while (start < value.length) {
    let end = value.indexOf(',', start);
    if (end === -1) end = value.length;
    const member = value.slice(start, end).trim();
    start = end + 1;
    if (member === '' || member.length > MAX_MEMBER_LENGTH) continue;
    const length = kept.length + (kept === '' ? 0 : 1) + member.length;
    if (length > maxLength) break;
    kept = kept === '' ? member : `${kept},${member}`;
  }
  return kept;
}
