import { afterEach, describe, expect, it } from 'vitest';
import { onStopSignals, STOP_REPEAT_MS } from '../../../src/cli/stop-signals.js';

describe('stop signals', () => {
  let remove: (() => void) | undefined;
  afterEach(() => remove?.());

  it('drains on the first, takes a repeat within STOP_REPEAT_MS as the same one, and exits now on a later one', () => {
    let clock = 1_000;
    const calls: string[] = [];
    remove = onStopSignals({ drain: (signal) => calls.push(`drain ${signal}`), exitNow: (signal) => calls.push(`exit ${signal}`) }, () => clock);

    // Emitted, not sent: the handlers see what a delivered signal gives them.
    process.emit('SIGTERM', 'SIGTERM');
    clock += 1; // `timeout`: the same SIGTERM again, to the process group
    process.emit('SIGTERM', 'SIGTERM');
    clock += STOP_REPEAT_MS - 2;
    process.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['drain SIGTERM']);

    clock += 1;
    process.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['drain SIGTERM', 'exit SIGINT']);
  });
});
