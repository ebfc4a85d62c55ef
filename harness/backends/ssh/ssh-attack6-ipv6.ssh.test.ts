// Sixth stranger's attack (issue 13): `ip route test` is iproute_modify(RTM_NEWROUTE, NLM_F_EXCL)
// (iproute2 ip/iproute.c do_iproute), without NLM_F_CREATE. IPv4 refuses to create a route so
// (fib_table_insert: ENOENT), IPv6 creates it anyway (fib6_add_1 only warns "NLM_F_CREATE should be
// set when creating new route"). The host scope and preflight check only add, change, replace,
// append and prepend (host-scope.ts ADDING), so `ip -6 route test HARNESS/128 dev a6` passes, and on
// a host reached over IPv6 it takes the connection off the management NIC.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode, onNode0, routeDev, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('attack6: `ip -6 route test` over the ssh connection of a host reached over IPv6: is refused before anything runs; node0 still reaches the harness out of mgmt', async (hosts) => {
  const file = join(hosts.dir, 'route-test.yaml');
  await writeFile(file, scenarioText('route test', onNode0([
    'ip link add a6 type bridge',
    'ip link set a6 up',
    'ip -6 route test fd00:200::1/128 dev a6',
  ]), onNode('node1', ['ip link show dev enp0s8'])));
  // The control: the run reaches node0 over IPv6 (the harness is fd00:200::1).
  expect(JSON.parse(await hosts.onHost('node0', ['ip', '-j', '-6', 'route', 'get', 'fd00:200::1']))[0]).toMatchObject({ dev: 'mgmt' });
  const before = await hosts.states();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  // On aebc6f3 the step runs: node0's way to fd00:200::1 is a6, the run's connection to node0
  // times out, teardown cannot reach it (exit 4) and a6 stays there.
  const way = await routeDev(hosts, 'node0', 'fd00:200::1');
  expect({ node0ReachesTheHarnessBy: way, exitCode: run.exitCode }, run.stderr).toEqual({ node0ReachesTheHarnessBy: 'mgmt', exitCode: 3 });
  expect(run.stderr).toMatch(/node0: step `ip -6 route test fd00:200::1\/128 dev a6` .*covers fd00:200::1/);
  expect(await hosts.states()).toEqual(before);
}, { ipv6: true, timeoutMs: 200_000 });
