// Twenty-fifth stranger's attack: net.ipv4.tcp_allowed_congestion_control is listed in every
// network namespace, but its write goes to the kernel's one list of congestion controls
// (tcp_cong.c), so a step writing it in a guest changed which ones every process on the host may
// pick, and teardown never put it back. Now refused at load (policy/sysctl.ts KERNEL_WIDE_KEYS).
// Safe here either way: the step would write the value the kernel already has.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a kernel-wide TCP sysctl written in a guest is refused at load', async (hosts) => {
  const current = (await hosts.onHost('node0', ['cat', '/proc/sys/net/ipv4/tcp_allowed_congestion_control'])).trim();
  const file = join(hosts.dir, 'global-sysctl.yaml');
  await writeFile(file, scenarioText('global sysctl from a guest', onNode0(['ip netns add ns1', `ip netns exec ns1 sysctl -w 'net.ipv4.tcp_allowed_congestion_control=${current}'`]), onNode('node1', ['ip link show dev enp0s8'])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const said = `exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
  expect(run.exitCode, said).toBe(2);
  expect(run.stderr, said).toMatch(/tcp_allowed_congestion_control.*every network namespace lists but its write/);
  expect(await hosts.onHost('node0', ['sh', '-c', 'ls -A /run/netns /run/vxlab 2>/dev/null; true']), said).toBe('');
});
