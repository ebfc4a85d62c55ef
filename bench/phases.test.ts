import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../harness/report/events.ts';
import { median, phaseTimes } from './phases.ts';

const ev = (at: number, event: Partial<RunEvent> & { type: RunEvent['type'] }) => ({ at, event: event as RunEvent });

describe('phaseTimes', () => {
  it('splits a run at lab-up, the first and last check, and scenario-end', () => {
    const times = phaseTimes(
      [
        ev(1, { type: 'scenario-start' }),
        ev(51, { type: 'lab-up' }),
        ev(81, { type: 'check', durationMs: 10 }),
        ev(471, { type: 'check', durationMs: 390 }),
        ev(475, { type: 'scenario-end' }),
      ],
      480,
    );
    expect(times).toEqual({ labUp: 50, steps: 20, checks: 400, teardown: 4, total: 480 });
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
