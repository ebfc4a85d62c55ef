// --shard through the CLI, on real labs.
import { describe, expect, it } from 'vitest';
import { parseTap, pointsByScenario } from './testing/tap.ts';
import { runCli } from './testing/host.ts';

describe('npm run lab -- --shard K/N', () => {
  it('runs only the K-th slice of the selected scenarios', async () => {
    const [first, second] = await Promise.all([runCli(['p2p', 'multicast', 'p2p-mtu', '--shard', '1/2', '--reporter', 'tap']), runCli(['p2p', 'multicast', 'p2p-mtu', '--shard', '2/2', '--reporter', 'tap'])]);
    expect(Object.keys(pointsByScenario(first.stdout))).toEqual(['p2p', 'p2p-mtu']);
    expect(Object.keys(pointsByScenario(second.stdout))).toEqual(['multicast']);
    expect(await parseTap(first.stdout)).toMatchObject({ ok: true, count: 2, extra: [] });
    expect(await parseTap(second.stdout)).toMatchObject({ ok: true, count: 1, extra: [] });
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
  });

  it('passes an empty shard as skipped', async () => {
    const r = await runCli(['p2p', '--shard', '2/2', '--reporter', 'tap']);
    expect(r.stdout).toBe('TAP version 14\n1..0 # SKIP shard 2/2 of 1 scenarios is empty\n');
    expect(r.exitCode).toBe(0);
  });

  it.each(['0/2', '3/2', '1/0', 'half'])('refuses --shard %s with exit 2 and builds nothing', async (shard) => {
    const r = await runCli(['--all', '--shard', shard, '--reporter', 'tap']);
    expect(r.stderr).toMatch(/^vxlab: --shard /);
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(2);
  });
});
