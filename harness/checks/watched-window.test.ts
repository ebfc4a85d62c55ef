// A watched window reads its table at the start, at the end, and whenever the table's monitor
// prints a change (no sooner than 100 ms after the last reading); with no monitor, or once it has
// ended, it reads every 100 ms. The monitor here is scripted: it prints when the test says.
import { describe, expect, it } from 'vitest';
import { BackgroundProcess, type ExecResult } from '../util/process.ts';
import { MIN_READ_GAP_MS, readThroughWindow } from './watched-window.ts';

class ScriptedMonitor extends BackgroundProcess {
  private ended = false;
  private end!: (result: ExecResult) => void;
  readonly exited = new Promise<ExecResult>((resolve) => (this.end = resolve));

  constructor() {
    super(['bridge', 'monitor', 'fdb']);
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Prints one change, as `bridge monitor fdb` would. */
  print(line = '4e:e9:90:34:2e:b5 dev vxlan0 dst 192.168.8.101 self\n'): void {
    this.receiveStdout(Buffer.from(line));
  }

  signal(): void {
    this.exit();
  }

  exit(): void {
    if (this.ended) return;
    this.ended = true;
    this.end({ exitCode: 0, stdout: '', stderr: '', durationMs: 0, timedOut: false });
  }
}

/** A reading that records when it happened (ms into the window) and says "go on" unless told. */
function readings(verdictAt?: (n: number) => true | undefined) {
  const started = performance.now();
  const at: number[] = [];
  const read = async () => {
    at.push(performance.now() - started);
    return verdictAt?.(at.length);
  };
  return { read, at };
}

const later = (ms: number, then: () => void) => setTimeout(then, ms);

describe('a watched window', () => {
  it('reads a quiet table twice: at its start and at its end', async () => {
    const monitor = new ScriptedMonitor();
    const { read, at } = readings();
    expect(await readThroughWindow(read, monitor, 400, undefined)).toBe(true);
    expect(at).toHaveLength(2);
    expect(at[0]).toBeLessThan(50);
    expect(at[1]).toBeGreaterThanOrEqual(395);
  });

  it('reads again as soon as the monitor prints a change, and stops at a forbidden entry', async () => {
    const monitor = new ScriptedMonitor();
    later(200, () => monitor.print());
    // The second reading sees the entry the change added: the verdict is final.
    const { read, at } = readings((n) => (n === 2 ? true : undefined));
    const started = performance.now();
    await readThroughWindow(read, monitor, 5000, undefined);
    expect(at).toHaveLength(2);
    // Not before the change was printed (timers may fire a ms early against performance.now()).
    expect(at[1]).toBeGreaterThanOrEqual(190);
    // Long before the window's end: the change itself asked for this reading.
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('reads a busy table no more often than every 100 ms', async () => {
    const monitor = new ScriptedMonitor();
    const chatter = setInterval(() => monitor.print(), 5);
    try {
      const { read, at } = readings();
      await readThroughWindow(read, monitor, 500, undefined);
      const gaps = at.slice(1, -1).map((t, i) => t - at[i]!);
      expect(gaps.length).toBeGreaterThan(0);
      // Timers may fire a ms or two early against performance.now().
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(MIN_READ_GAP_MS - 5);
      expect(at.length).toBeLessThanOrEqual(500 / MIN_READ_GAP_MS + 2);
    } finally {
      clearInterval(chatter);
    }
  });

  it('reads every 100 ms when there is no monitor', async () => {
    const { read, at } = readings();
    expect(await readThroughWindow(read, undefined, 500, undefined)).toBe(false);
    expect(at.length).toBeGreaterThanOrEqual(5);
    expect(at.at(-1)).toBeGreaterThanOrEqual(500);
  });

  it('goes back to reading every 100 ms when the monitor ends mid-window, and says it did not watch throughout', async () => {
    const monitor = new ScriptedMonitor();
    later(100, () => monitor.exit());
    const { read, at } = readings();
    expect(await readThroughWindow(read, monitor, 600, undefined)).toBe(false);
    // Before the end: 0 ms; then every 100 ms from ~100 ms on, whereas a watched quiet window reads twice.
    expect(at.length).toBeGreaterThanOrEqual(4);
  });

  it('stops waiting when the run is interrupted', async () => {
    const monitor = new ScriptedMonitor();
    const controller = new AbortController();
    later(50, () => controller.abort(new Error('interrupted')));
    const { read } = readings();
    await expect(readThroughWindow(read, monitor, 5000, controller.signal)).rejects.toThrow('interrupted');
  });
});
