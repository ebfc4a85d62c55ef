// A state check's window on the real kernel, watched by `bridge monitor fdb` in the node: a quiet
// table is read at the window's start and end only, and an entry that appears mid-window is read
// at once, long before the window ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import { NetnsBackend } from '../backends/netns/backend.ts';
import { loadLab } from '../scenario/resolve.ts';
import { newRunId } from '../util/run-id.ts';
import { runState } from './state.ts';

let lab: StartedLab;
beforeAll(async () => {
  lab = await new NetnsBackend().up(await loadLab('three-nodes'), { runId: newRunId() });
  for (const argv of [
    ['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '192.168.8.100', 'dev', 'enp0s8'],
    ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan0', 'dst', '192.168.8.101'],
  ]) {
    const result = await lab.node('node0').exec(argv);
    expect(result.exitCode, result.stderr).toBe(0);
  }
});
afterAll(() => lab?.down());

const STRANGER = '02:00:00:00:00:99';
const expectation = { dev: 'vxlan0', contains: [{ mac: '00:00:00:00:00:00' }], lacks: [{ mac: STRANGER }] };

describe('a watched state window', () => {
  it('reads a quiet table twice, at its start and its end, watched throughout by the table monitor', async () => {
    const started = performance.now();
    const outcome = await runState({ node: 'node0', table: 'fdb', timeoutSeconds: 1, expect: expectation }, { lab });
    expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    // Polling every 100 ms read it 11 times.
    expect(outcome.diagnostics).toMatchObject({ reads: 2, watchedBy: 'bridge monitor fdb' });
  });

  it('reads an entry that appears mid-window at once, and fails long before the window ends', async () => {
    const window = runState({ node: 'node0', table: 'fdb', timeoutSeconds: 20, expect: expectation }, { lab });
    let outcome: Awaited<typeof window> | undefined;
    void window.then((o) => (outcome = o));
    // Changes the forbidden entry until the check has ended: the monitor subscribes a few ms after
    // it starts, and only a change after that is printed. Each replace alternates the entry's dst.
    // (With the quiet window above read twice, only the monitor can have asked for the reading.)
    const started = performance.now();
    for (let i = 0; outcome === undefined && performance.now() - started < 10_000; i++) {
      const result = await lab.node('node0').exec(['bridge', 'fdb', 'replace', STRANGER, 'dev', 'vxlan0', 'dst', `192.168.8.${102 + (i % 2)}`, 'self', 'permanent']);
      expect(result.exitCode, result.stderr).toBe(0);
    }
    const verdict = await window;
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain(`which matches {"mac":"${STRANGER}"}`);
    // The window was 20 s; its end reading never came.
    expect(performance.now() - started).toBeLessThan(10_000);
    await lab.node('node0').exec(['bridge', 'fdb', 'del', STRANGER, 'dev', 'vxlan0', 'self']);
  });
});
