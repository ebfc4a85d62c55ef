// Eighth stranger's attack (issue 13): a dead run's sysctl that a live run also writes. Run B
// sets node0's net.ipv4.ip_forward 0 -> 1 and is SIGKILLed (its marker: before 0, wrote 1).
// Preflight lets run A go on (B's marker is not live); A records before = 1 (B's value) and
// writes 1 too. A `clean` while A holds skips ip_forward in B's restore ("left to that run":
// withoutLive) and removes B's marker; A's teardown then puts back its own before, 1. Nothing
// records the 0 any more: the host keeps forwarding after every run and every clean. Now
// preflight refuses a host whose dead run set a key this run sets too: clean first.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import { onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a dead run\'s sysctl, also written by a live run, is put back once both are gone (clean while the live run holds)', async (hosts) => {
  const file = join(hosts.dir, 'forward.yaml');
  await writeFile(file, scenarioText('forward', '  - node: node0\n    run:\n      - sysctl -w net.ipv4.ip_forward=1\n  - node: node1\n    run:\n      - ip link show dev enp0s8'));
  const forwarding = async () => (await hosts.onHost('node0', ['sysctl', '-n', 'net.ipv4.ip_forward'])).trim();
  const original = await forwarding();
  expect(original).toBe('0');
  // Run B: killed after its sysctl step.
  const dead = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  await stderrUntil(dead, PAUSED);
  expect(await forwarding()).toBe('1');
  dead.kill('SIGKILL');
  await dead;
  // Run A, the same scenario: refused at preflight (exit 3), since it would record B's 1 as the
  // host's own (a `clean` beside it would then leave the key to A, and A put back the 1).
  const refused = await hosts.runCli([file, '--reporter', 'tap']);
  expect(refused.exitCode, refused.stderr).toBe(3);
  expect(refused.stderr).toMatch(/node0: run vx[0-9a-f]+, whose harness is gone, set net\.ipv4\.ip_forward on .* and did not put it back, and this run sets it too; run `npm run lab -- clean --backend ssh/);
  expect(await forwarding()).toBe('1');
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  // B's marker gone, the host forwarding as before either run; and A now runs and leaves it so.
  expect({ ipForward: await forwarding(), vxlabDirLeft: ((await hosts.state('node0')).run ?? []).includes('vxlab') }, clean.stdout + clean.stderr).toEqual({ ipForward: original, vxlabDirLeft: false });
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect([run.exitCode, await forwarding()], run.stderr).toEqual([0, original]);
});
