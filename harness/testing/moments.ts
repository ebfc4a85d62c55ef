// For tests that kill or interrupt a run at its named moments (VXLAB_PAUSE_AT holds it there).
import { expect } from 'vitest';
import { outputUntil, startCli, stderrUntil } from './host.ts';

/**
 * The named moments of a p2p run, and where its TAP says an interrupt landed. VXLAB_PAUSE_AT holds
 * the run at the moment (it prints the trace line, then waits for the signal), so every signal
 * lands there: no delays, and a run can never finish first.
 */
export const MOMENTS = [
  { pauseAt: 'lab-up', trace: 'lab-up p2p: with the lab up, before the first step', points: 0 },
  { pauseAt: 'step:2', trace: 'step:2 p2p: at step 2 of 2 (on node1)', points: 0 },
  { pauseAt: 'capture', trace: 'capture:2 p2p: in check 2 of 6, capturing on node1 enp0s8', points: 1 },
  { pauseAt: 'teardown', trace: 'teardown p2p: while the lab was being torn down', points: 6 },
] as const;
export const PAUSED = ' (paused until interrupted)\n';

/**
 * p2p held at its capture (check 2), after its first check: what a test does after `ok 1` happens
 * while the run is surely still going, whatever the load. SIGUSR2 resumes it, once PAUSED is seen.
 */
export const HELD_AFTER_FIRST_CHECK = { env: { VXLAB_PAUSE_AT: 'capture:2' } };

/** Starts p2p held at a moment; resolves once the run says it is there, with its run id. */
export async function pausedRun(pauseAt: string, trace: string) {
  const child = startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_TRACE: '1', VXLAB_PAUSE_AT: pauseAt } });
  const header = outputUntil(child, '# vxlab run'); // listening from the start: stdout comes first
  const stderr = await stderrUntil(child, PAUSED);
  // The run's own word that it is at this moment, and at no later one.
  expect(stderr.trimEnd().split('\n').at(-1)).toBe(`vxlab trace: ${trace}${PAUSED.trimEnd()}`);
  // Wrapped: an async function would otherwise wait for the child (a promise) to end.
  return { child, header };
}

