// Splits one scenario's run events into phases by their arrival times. Pure.
import type { RunEvent } from '../harness/report/events.ts';

export interface PhaseTimes {
  labUp: number;
  steps: number;
  checks: number;
  teardown: number;
  total: number;
}

export function phaseTimes(events: { at: number; event: RunEvent }[], total: number): PhaseTimes {
  const at = (type: RunEvent['type']) => events.find((e) => e.event.type === type)?.at;
  const start = at('scenario-start') ?? 0;
  const up = at('lab-up') ?? start;
  const checks = events.flatMap((e) => (e.event.type === 'check' ? [{ at: e.at, durationMs: e.event.durationMs }] : []));
  // Steps end where the first check began: its arrival minus its own duration.
  const stepsEnd = checks[0] ? checks[0].at - checks[0].durationMs : up;
  const lastCheck = checks.at(-1)?.at ?? stepsEnd;
  const end = at('scenario-end') ?? total;
  return { labUp: up - start, steps: stepsEnd - up, checks: lastCheck - stepsEnd, teardown: end - lastCheck, total };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
