// Sixth stranger's attack (issue 13): two runs on the same hosts (two people, two terminals, one
// shared set of lab hosts). Preflight does not look at other runs' markers, and teardown restores
// its own record without the live-claim check `clean` makes (backend.ts clean: liveClaims,
// withoutLive). Run A passes preflight and is held before its first step; run B (the same names)
// passes preflight too, creates a6 on node0 and is held at its step 2; A is interrupted, and A's
// teardown deletes a6, a device of B's live run (its "owned" names are its plan, not what it made).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment as held, linkNames, onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('attack6: one run\'s teardown and another live run on the same hosts: a run never deletes a device another live run made: B is refused at preflight, or A\'s teardown leaves B\'s a6', async (hosts) => {
  const file = join(hosts.dir, 'shared.yaml');
  await writeFile(file, scenarioText('shared', onNode0(['ip link add a6 type bridge', 'ip link set a6 up']), onNode('node1', ['ip link show dev enp0s8'])));
  const a = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up' } });
  expect(await held(a)).toBe(true);
  const b = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  const bHeld = await held(b);
  const a6 = async () => (await linkNames(hosts, 'node0')).includes('a6');
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
}, { timeoutMs: 200_000 });
