/**
 * The capture rules that no config can loosen (SPEC §2, §3): these headers carry credentials, so they are
 * dropped from a route's `capture` lists when the config is built, even when listed.
 */
export const NEVER_CAPTURED_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Lower-cases header names and drops the never-captured ones and duplicates. */
export function capturableHeaders(names: readonly string[] | undefined): string[] {
  const kept = new Set<string>();
  for (const name of names ?? []) {
    const lower = name.toLowerCase();
    if (!NEVER_CAPTURED_HEADERS.has(lower)) kept.add(lower);
  }
  return [...kept];
}
