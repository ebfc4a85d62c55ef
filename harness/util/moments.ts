// Named moments of a run, for tests that must signal a run at a known point (never a random delay).
import type { Moment } from '../runner.ts';

/**
 * VXLAB_TRACE=1 prints each named moment of a run on stderr (`vxlab trace: capture:2 p2p: ...`).
 * VXLAB_PAUSE_AT=MOMENT (start, lab-up, step, step:N, capture, capture:N, teardown; `load` is the
 * entry's, in main.ts) also holds the run there once, until it is interrupted, or SIGUSR2 resumes
 * it (60 s at most): tests signal a run at a known moment, or act on a lab that is surely still up.
 */
// Once per process, whichever tracer meets the moment first (a supervisor has one for `up` and one per `check`).
let pauseAt = process.env.VXLAB_PAUSE_AT || undefined;
// SIGUSR2 resumes a pause. With the knob set it never ends the process (its default): a second one,
// or one sent after a pause resumed by itself, would kill the run where it stands (the 33rd attack).
if (pauseAt !== undefined) process.on('SIGUSR2', () => undefined);

export function momentTracer(signal: AbortSignal): (moment: Moment) => Promise<void> {
  const trace = process.env.VXLAB_TRACE === '1';
  return async (moment) => {
    const id = moment.number === undefined ? moment.name : `${moment.name}:${moment.number}`;
    const pause = pauseAt !== undefined && (pauseAt === id || pauseAt === moment.name) && !signal.aborted;
    if (!pause) {
      if (trace) process.stderr.write(`vxlab trace: ${id} ${moment.scenario}: ${moment.where}\n`);
      return;
    }
    pauseAt = undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        process.off('SIGUSR2', done);
        resolve();
      };
      const timer = setTimeout(done, 60_000);
      signal.addEventListener('abort', done, { once: true });
      process.on('SIGUSR2', done);
      process.stderr.write(`vxlab trace: ${id} ${moment.scenario}: ${moment.where} (paused until interrupted)\n`);
    });
  };
}

