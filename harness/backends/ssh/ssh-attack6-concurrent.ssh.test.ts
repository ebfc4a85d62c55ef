// Sixth stranger's attack (issue 13): two runs on the same hosts (two people, two terminals, one
// shared set of lab hosts). Preflight does not look at other runs' markers, and teardown restores
// its own record without the live-claim check `clean` makes (backend.ts clean: liveClaims,
// withoutLive). Run A passes preflight and is held before its first step; run B (the same names)
// passes preflight too, creates a6 on node0 and is held at its step 2; A is interrupted, and A's
// teardown deletes a6, a device of B's live run (its "owned" names are its plan, not what it made).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack6: one run\'s teardown and another live run on the same hosts', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  it('a run never deletes a device another live run made: B is refused at preflight, or A\'s teardown leaves B\'s a6', async () => {
    const file = join(hosts.dir, 'shared.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: shared', 'tutorial: none', 'explain: none', 'steps:',
      '  - node: node0', '    run:', '      - ip link add a6 type bridge', '      - ip link set a6 up',
      '  - node: node1', '    run:', '      - ip link show dev enp0s8',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    const held = (child: ReturnType<SshdHosts['startCli']>) => Promise.race([stderrUntil(child, PAUSED).then(() => true), child.then(() => false)]);
    const a = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up' } });
    expect(await held(a)).toBe(true);
    const b = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    const bHeld = await held(b);
    const a6 = async () => (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).some((l) => l.ifname === 'a6');
    const whileBRuns = { bHeld, a6Before: bHeld && (await a6()) };
    a.kill('SIGINT');
    const aRun = await a;
    const a6AfterA = bHeld && (await a6());
    if (bHeld) b.kill('SIGINT');
    const bRun = await b;
    const outcome = bHeld ? { bRefused: false, a6Made: whileBRuns.a6Before, a6KeptForB: a6AfterA } : { bRefused: bRun.exitCode === 3, a6Made: false, a6KeptForB: true };
    expect(outcome.bRefused || (outcome.a6Made && outcome.a6KeptForB), JSON.stringify({ outcome, aExit: aRun.exitCode, bExit: bRun.exitCode, aStderr: String(aRun.stderr).slice(-600), bStderr: String(bRun.stderr).slice(-600) })).toBe(true);
    // Both ended: nothing of either is left.
    expect(await a6()).toBe(false);
  }, 200_000);
});
