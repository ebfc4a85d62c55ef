// Polling with a deadline: the only sanctioned way to wait for the kernel or a tool.
import { onAbort } from './abort-fanout.ts';

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export interface PollOptions {
  /** What we are waiting for, for the error message. */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The longest pause between tries (50 ms unless said). */
  maxIntervalMs?: number;
}

/**
 * Waits `ms`, or less if `wakeEarly` (given the wake-up, returning its unsubscribe) calls back
 * first; rejects with the signal's reason if it aborts.
 */
export function pause(ms: number, signal?: AbortSignal, wakeEarly?: (wake: () => void) => () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    const unsubscribeAbort = signal ? onAbort(signal, aborted) : () => undefined;
    const unsubscribeWake = wakeEarly ? wakeEarly(done) : () => undefined;
    function settle() {
      clearTimeout(timer);
      unsubscribeAbort();
      unsubscribeWake();
    }
    function done() {
      settle();
      resolve();
    }
    function aborted() {
      settle();
      reject(signal?.reason);
    }
  });
}

/**
 * Calls `probe` until it returns something other than `undefined`, backing off from 2 ms to
 * 50 ms (or maxIntervalMs) between tries; throws DeadlineError once `timeoutMs` has passed.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, options: PollOptions): Promise<T> {
  // The monotonic clock, to the fraction of a ms: Date.now() could end a window up to 1 ms short (or jump).
  const deadline = performance.now() + options.timeoutMs;
  let wait = 2;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) throw new DeadlineError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await pause(Math.min(wait, Math.max(1, deadline - performance.now())), options.signal);
    wait = Math.min(wait * 2, options.maxIntervalMs ?? 50);
  }
}
