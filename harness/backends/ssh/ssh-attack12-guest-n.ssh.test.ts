// Twelfth stranger's attack (issue 13): the tenth attack's fix (a device made inside a guest is not
// owned by name in the host's namespace) read only `netns NS` on the device. `ip -n NS link add
// wg0 type veth peer name x0` also makes wg0 and x0 inside guest NS (the host scope knew: it
// leaves them out), yet node-changes listed both as devices of the host's own namespace. The
// marker then owned wg0 by name in the host's namespace, and `clean` after a SIGKILL (or the run's
// own teardown) deleted another tool's wg0 made there since (a VPN's tunnel, docker0, ...).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, linkNames, onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const steps = scenarioText('guest-n', onNode0(['ip netns add ns1', 'ip -n ns1 link add wg0 type veth peer name x0']), onNode('node1', ['ip link show dev enp0s8']));

/** Whether the host owner's wg0 (and its peer) outlived what `end` does to a run held after its steps; removed after. */
async function ownersWg0After(hosts: SshdHosts, end: (run: ReturnType<SshdHosts['startCli']>) => Promise<string>): Promise<{ left: string[]; evidence: string }> {
  const file = join(hosts.dir, 'guest-n.yaml');
  await writeFile(file, steps);
  const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  expect(await heldAtMoment(run)).toBe(true);
  const evidence = await end(run);
  const links = await linkNames(hosts, 'node0');
  const left = ['wg0', 'wg0p'].filter((d) => links.includes(d));
  if (left.length > 0) await hosts.onHost('node0', ['ip', 'link', 'del', 'wg0']);
  return { left, evidence };
}

// A stand-in for a VPN's wg0, brought up in the host's namespace by its owner.
const ownersWg0 = (hosts: SshdHosts) => hosts.onHost('node0', ['ip', 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0p']);

onFreshHosts('clean after a SIGKILL leaves another tool\'s wg0 when the steps made theirs with `ip -n NS link add`', async (hosts) => {
  const { left, evidence } = await ownersWg0After(hosts, async (run) => {
    run.kill('SIGKILL');
    await run;
    await ownersWg0(hosts);
    const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    return clean.stdout + clean.stderr;
  });
  expect(left, evidence).toEqual(['wg0', 'wg0p']);
});

onFreshHosts('the run\'s own teardown leaves another tool\'s wg0 that came up mid-run when the steps made wg0 with `ip -n NS`', async (hosts) => {
  const { left, evidence } = await ownersWg0After(hosts, async (run) => {
    await ownersWg0(hosts);
    run.kill('SIGTERM');
    const done = await run;
    return String(done.stdout) + String(done.stderr);
  });
  expect(left, evidence).toEqual(['wg0', 'wg0p']);
});
