import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { childSignal, onAbort } from './abort-fanout.ts';

describe('onAbort', () => {
  it('puts one listener on the signal however many wait on it, and notifies each once', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const unsubscribes = Array.from({ length: 20 }, (_, i) => onAbort(controller.signal, () => calls.push(i)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    unsubscribes[3]!();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 3));
  });

  it('calls at once for a signal that has already aborted', () => {
    let called = false;
    onAbort(AbortSignal.abort(), () => (called = true));
    expect(called).toBe(true);
  });
});

describe('childSignal', () => {
  it("aborts with the parent's reason while subscribed, and not after it is disposed", () => {
    const parent = new AbortController();
    const first = childSignal(parent.signal);
    const second = childSignal(parent.signal);
    second[Symbol.dispose]();
    parent.abort(new Error('stop'));
    expect(first.signal?.reason).toEqual(new Error('stop'));
    expect(second.signal?.aborted).toBe(false);
  });

  it('is no signal when there is no parent', () => {
    expect(childSignal(undefined).signal).toBeUndefined();
  });
});
