// Eighth stranger's attack (issue 13): glibc's strtoul negates a minus-signed number in unsigned
// long arithmetic and reports no overflow while the digits fit in 64 bits, so get_addr_ipv4
// (iproute2 lib/utils.c) reads `-18446744073709551606.200.0.1` as 10.200.0.1. prefixes.ts's
// strtoul0 takes every negative number but -0 to be out of range, readPrefix reads no address,
// and the cover check (and preflight's) skips the word. The host route to the harness's own
// address then goes out of a device the steps create: node0's replies to the harness leave by
// a8, the run's connection is cut, teardown cannot reach node0 and a8 stays there.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode, onNode0, routeDev, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('attack8: a host route to the harness written with a negative part strtoul wraps to 10: is refused before anything runs; node0 still reaches the harness out of mgmt', async (hosts) => {
  const file = join(hosts.dir, 'negative-part.yaml');
  await writeFile(file, scenarioText('negative part', onNode0([
    'ip link add a8 type bridge',
    'ip link set a8 up',
    'ip route add -18446744073709551606.200.0.1 dev a8',
  ]), onNode('node1', ['ip link show dev enp0s8'])));
  // The control: node0 reaches the harness (10.200.0.1) on mgmt.
  expect(await routeDev(hosts, 'node0', '10.200.0.1')).toBe('mgmt');
  const before = await hosts.states();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const way = await routeDev(hosts, 'node0', '10.200.0.1');
  // What a stranded run leaves, taken away by the test's own hands (nsenter, not ssh) before judging.
  const left = (await hosts.onHost('node0', ['ip', '-br', 'link', 'show', 'type', 'bridge'])).includes('a8');
  if (left) await hosts.onHost('node0', ['ip', 'link', 'del', 'a8']);
  expect({ node0ReachesTheHarnessBy: way, exitCode: run.exitCode, a8Left: left }, run.stderr).toEqual({ node0ReachesTheHarnessBy: 'mgmt', exitCode: 3, a8Left: false });
  expect(run.stderr).toMatch(/node0: step `ip route add -18446744073709551606\.200\.0\.1 dev a8` .*(covers|cannot read)/);
  expect(await hosts.states()).toEqual(before);
}, { timeoutMs: 200_000 });
