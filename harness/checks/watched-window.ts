// A window in which a table must hold throughout (`lacks`, `only`): read at its start and at its
// end, and again whenever a monitor of the table prints a change. A quiet table is read twice, not
// every 100 ms, and a change is read within one command's time instead of at the next poll.
import { pause } from '../util/poll.ts';
import type { BackgroundProcess } from '../util/process.ts';

/**
 * The least time between two readings. A busy table (a monitor printing all the time) is read as
 * often as polling read it, never more; without a monitor, the window polls at this pace.
 */
export const MIN_READ_GAP_MS = 100;

/** One reading of the table; true once the verdict cannot change (a failed read, a forbidden entry). */
export type Reading = () => Promise<boolean | undefined>;

/**
 * Reads through a window of `windowMs`. With a running monitor, waits for its output (or the
 * window's end) between readings; with none, or once it has ended, reads every MIN_READ_GAP_MS.
 * Returns whether the monitor watched the whole window.
 */
export async function readThroughWindow(read: Reading, monitor: BackgroundProcess | undefined, windowMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + windowMs;
  let heard = monitor?.outputWritten ?? 0;
  let lastRead = performance.now();
  const watching = () => monitor?.running === true;
  if (await read()) return watching();
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    if (monitor && watching() && monitor.outputWritten === heard) {
      // Quiet: sleep until the monitor prints, ends, or the window closes.
      await pause(left, signal, (wake) => {
        void monitor.exited.then(wake, wake);
        return monitor.onOutput(wake);
      });
      continue;
    }
    // A change was printed (or nothing watches): read again, no sooner than the gap allows.
    const gap = lastRead + MIN_READ_GAP_MS - performance.now();
    if (gap >= left) {
      // The window's end comes first, and its reading will see the change.
      await pause(left, signal);
      continue;
    }
    if (gap > 0) await pause(gap, signal);
    heard = monitor?.outputWritten ?? 0;
    lastRead = performance.now();
    if (await read()) return watching();
  }
  const watchedThroughout = watching();
  // The window's end: whatever appeared since and stayed is seen here.
  await read();
  return watchedThroughout;
}
