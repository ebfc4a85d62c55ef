// Sixth stranger's attack (issue 13): a route written with a sign (`+10.201.0.2`, as strtoul
// reads it in iproute2's get_addr_ipv4) is no address to the cover check, but 10.201.0.2 to ip: on
// a routed host it takes the way back to the harness off the management NIC. Preflight should
// refuse it (exit 3) before anything runs, as it refuses `ip route add 10.201.0.2 dev a6`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode, onNode0, routeDev, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('attack6: a route to the harness written with a sign, on a routed host: is refused before anything runs; node0 still routes the harness out of mgmt', async (hosts) => {
  const file = join(hosts.dir, 'signed-route.yaml');
  await writeFile(file, scenarioText('signed route', onNode0([
    'ip link add a6 type bridge',
    'ip link set a6 up',
    'ip route add +10.201.0.2 dev a6',
  ]), onNode('node1', ['ip link show dev enp0s8'])));
  const before = await hosts.states();
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  // On aebc6f3 the step runs: node0's replies to 10.201.0.2 leave by a6, the run's
  // connection to node0 times out, teardown cannot reach it (exit 4) and a6 stays there.
  const way = await routeDev(hosts, 'node0', '10.201.0.2');
  expect({ node0RoutesTheHarnessOut: way, exitCode: run.exitCode }, run.stderr).toEqual({ node0RoutesTheHarnessOut: 'mgmt', exitCode: 3 });
  expect(run.stderr).toMatch(/node0: step `ip route add \+10\.201\.0\.2 dev a6` .*covers 10\.201\.0\.2/);
  expect(await hosts.states()).toEqual(before);
}, { routed: true, timeoutMs: 200_000 });
