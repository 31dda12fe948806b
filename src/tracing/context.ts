/**
 * The OpenTelemetry Context the proxy passes around explicitly, as a chain of single entries.
 *
 * The API's own (BaseContext, behind ROOT_CONTEXT) copies its whole Map on every setValue and hashes on
 * every getValue. A hop sets two values (its SERVER span, then each CLIENT span) and reads a few more (the
 * sampler, the propagators, the traceresponse), on every request; here a setValue is one small object and a
 * getValue walks a chain that is never more than a handful of entries long. The behaviour is the
 * interface's: a context is immutable, setValue and deleteValue return a new one, and any code written
 * against the API (the library propagators among them) works on it unchanged.
 */
import type { Context } from '@opentelemetry/api';

class ChainedContext implements Context {
  constructor(
    private readonly parent: ChainedContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    for (let context: ChainedContext | undefined = this; context !== undefined; context = context.parent) {
      if (context.key === key) return context.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new ChainedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // An entry set to undefined reads as absent, as a deleted one does in BaseContext.
    return this.getValue(key) === undefined ? this : new ChainedContext(this, key, undefined);
  }
}

/** The empty context hoptrace starts every request from (in place of the API's ROOT_CONTEXT). */
export const EMPTY_CONTEXT: Context = new ChainedContext(undefined, undefined, undefined);
