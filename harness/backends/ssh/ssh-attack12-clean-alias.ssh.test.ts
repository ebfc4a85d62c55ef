// Twelfth stranger's attack (issue 13): the eighth attack's preflight guard (a dead run set a
// sysctl this run sets too: clean first) compared key names, but a run records more keys than it
// names: `net.ipv4.conf.all.forwarding` brings `net.ipv4.ip_forward` (sysctlReads). Run B wrote
// ip_forward 0 -> 1 and was SIGKILLed; run A, writing conf.all.forwarding=1, passed preflight and
// recorded ip_forward = 1 (B's) as the host's own; a `clean` while A held skipped ip_forward in
// B's restore ("left to that run") and removed B's marker, and A's teardown put back its before,
// 1: the host kept forwarding after every run and every clean. Now the guard compares what the
// two runs' writes change (sysctlWritesMeet): A is refused (exit 3) until `clean` puts B's 0 back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const withStep = (sysctl: string) => scenarioText('forward', onNode0([sysctl]), onNode('node1', ['ip link show dev enp0s8']));

onFreshHosts('a run that writes conf.all.forwarding is refused while a dead run\'s ip_forward is not put back; clean puts it back', async (hosts) => {
  const b = join(hosts.dir, 'b.yaml');
  const a = join(hosts.dir, 'a.yaml');
  await writeFile(b, withStep('sysctl -w net.ipv4.ip_forward=1'));
  await writeFile(a, withStep('sysctl -w net.ipv4.conf.all.forwarding=1'));
  const forwarding = async () => (await hosts.onHost('node0', ['sysctl', '-n', 'net.ipv4.ip_forward'])).trim();
  expect(await forwarding()).toBe('0');
  const dead = hosts.startCli([b, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  expect(await heldAtMoment(dead)).toBe(true);
  dead.kill('SIGKILL');
  await dead;
  expect(await forwarding()).toBe('1');
  const refused = await hosts.runCli([a, '--reporter', 'tap']);
  expect(refused.exitCode, refused.stdout + refused.stderr).toBe(3);
  expect(refused.stderr).toMatch(/node0: run vx[0-9a-f]+, whose harness is gone, set net\.ipv4\.ip_forward on .* and did not put it back, and this run sets it too; .*clean/);
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  expect(await forwarding(), clean.stdout + clean.stderr).toBe('0');
  const ran = await hosts.runCli([a, '--reporter', 'tap']);
  expect({ exitCode: ran.exitCode, forwarding: await forwarding() }, ran.stdout + ran.stderr).toEqual({ exitCode: 0, forwarding: '0' });
});
