// Fifteenth stranger's attack: ownership is "what commands made for certain" (scopeAfterRun): of a
// batch that failed, the lines before the one `Command failed -:N` names, else NOTHING. But many of
// iproute2's parse errors (invarg/missarg/duparg) call exit(-1) from inside the batch, and then ip
// prints no `Command failed` line: exit 255, so every earlier line of the batch (which ran and
// created devices and namespaces) is owned by nobody. The step fails (a broken lab), and teardown
// leaves the run's own devices and namespace on the host as "not ours, left alone". Consecutive ip
// commands of a step are one batch (lab/compile.ts), so a scenario only has to end its step with a
// command the policy passes and ip refuses by exit: `txqueuelen abc`, `metric abc`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

async function runAndLook(hosts: SshdHosts, last: string) {
  const file = join(hosts.dir, 'batch-exit.yaml');
  await writeFile(file, scenarioText('batch exit', onNode0(['ip netns add ns15', 'ip link add va type veth peer name vb', last])));
  const done = await hosts.runCli([file, '--reporter', 'tap']);
  const evidence = `exit ${done.exitCode}\n${done.stdout}\n${done.stderr}`;
  const links = await linkNames(hosts, 'node0');
  const netns = await hosts.onHost('node0', ['ip', 'netns', 'list']);
  const left = [...['va', 'vb'].filter((d) => links.includes(d)), ...(netns.includes('ns15') ? ['netns ns15'] : [])];
  return { left, evidence };
}

onFreshHosts('a batch ended by ip\'s own exit (txqueuelen abc): teardown still deletes what its earlier lines made', async (hosts) => {
  const { left, evidence } = await runAndLook(hosts, 'ip link set dev va txqueuelen abc');
  expect(left, evidence).toEqual([]);
});

onFreshHosts('a batch ended by ip\'s own exit (route metric abc): teardown still deletes what its earlier lines made', async (hosts) => {
  const { left, evidence } = await runAndLook(hosts, 'ip route add 10.99.0.0/16 dev va metric abc');
  expect(left, evidence).toEqual([]);
});

// What that leaves can be a live entry into the host: a VXLAN device on the NIC, up, with an
// address, listening on UDP 4789 on every address of the host after the run has "ended".
onFreshHosts('a VXLAN device made before ip\'s own exit is not left up on the host after the run', async (hosts) => {
  const file = join(hosts.dir, 'batch-exit-vxlan.yaml');
  await writeFile(file, scenarioText('batch exit vxlan', onNode0(['ip link add vx15 type vxlan id 15 dstport 4789 dev enp0s8', 'ip addr add 10.155.0.1/24 dev vx15', 'ip link set dev vx15 up', 'ip link set dev vx15 txqueuelen abc'])));
  const done = await hosts.runCli([file, '--reporter', 'tap']);
  const evidence = `exit ${done.exitCode}\n${done.stdout}\n${done.stderr}`;
  const left = await hosts.onHost('node0', ['ip', '-br', 'addr', 'show']);
  expect(left, evidence).not.toContain('vx15');
});
