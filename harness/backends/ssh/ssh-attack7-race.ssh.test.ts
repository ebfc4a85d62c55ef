// Seventh stranger's attack (issue 13): preflight refuses a host another live run is changing
// (markerLive), but it reads the markers and the run writes its own only later, in up(): a check
// then an act, with no claim taken in between. Two runs started at the same moment (two people,
// two CI jobs on one set of lab hosts) both read no marker, both pass, and both change the same
// hosts, which ssh-attack6-concurrent showed ends with one run's teardown deleting the other's
// devices. Here both runs are held at lab-up: on c8f7f26 both often got there. Now each run writes
// its marker and reads the others' in one round trip (claimHost): of two that claim at once, at
// least one sees the other's and backs off before its steps (a broken lab, exit 1, nothing
// changed); one that comes later is refused at preflight (exit 3). Never both go on.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment as held, linkNames, onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('attack7: two runs started at once on the same hosts: never both change the hosts; one that does not says why (preflight, exit 3, or backing off, exit 1)', async (hosts) => {
  const file = join(hosts.dir, 'shared.yaml');
  await writeFile(file, scenarioText('shared', onNode0(['ip link add a7 type bridge', 'ip link set a7 up']), onNode('node1', ['ip link show dev enp0s8'])));
  // The window is the time between one run's marker read and its marker write (a few ssh round
  // trips): a race, so it is run up to ATTEMPTS times; with a claim taken atomically no attempt
  // can get both runs there, and on c8f7f26 about one attempt in three does (measured here, 3
  // tries, under a CI run's load).
  const ATTEMPTS = 6;
  const outcomes: { bothChangingTheHosts: boolean; unexplained: number }[] = [];
  // The evidence of every attempt that failed (not only the last attempt's): a race is seen once.
  const failed: string[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const a = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up' } });
    const b = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up' } });
    const [aHeld, bHeld] = await Promise.all([held(a), held(b)]);
    const markers = await hosts.onHost('node0', ['sh', '-c', 'ls /run/vxlab 2>/dev/null || true']);
    if (aHeld) a.kill('SIGINT');
    if (bHeld) b.kill('SIGINT');
    const [aRun, bRun] = await Promise.all([a, b]);
    // A run held at lab-up was interrupted there (exit 130); one that was not must say why it stopped.
    const explained = (run: typeof aRun) =>
      (run.exitCode === 3 && /another vxlab run \(vx[0-9a-f]+, harness pid \d+ on .*\) is changing/.test(String(run.stderr))) ||
      (run.exitCode === 1 && /another vxlab run claimed these hosts at the same time .*backs off before its steps and changed nothing/.test(String(run.stdout)));
    const unexplained = [aHeld ? undefined : aRun, bHeld ? undefined : bRun].filter((r) => r !== undefined && !explained(r)).length;
    const outcome = { bothChangingTheHosts: aHeld && bHeld, unexplained };
    outcomes.push(outcome);
    if (outcome.bothChangingTheHosts || outcome.unexplained > 0) {
      const said = (run: typeof aRun, wasHeld: boolean) => `(exit ${run.exitCode}, ${wasHeld ? 'held' : explained(run) ? 'explained' : 'UNEXPLAINED'}):\n${String(run.stderr).slice(-1500)}\n${String(run.stdout).slice(-800)}`;
      failed.push(`attempt ${i + 1}: markers on node0 while held: ${markers}\nA ${said(aRun, aHeld)}\nB ${said(bRun, bHeld)}`);
    }
    if (outcome.bothChangingTheHosts) break;
  }
  expect(outcomes.filter((o) => o.bothChangingTheHosts || o.unexplained > 0), failed.join('\n\n')).toEqual([]);
  expect(await linkNames(hosts, 'node0')).not.toContain('a7');
}, { timeoutMs: 200_000 });
