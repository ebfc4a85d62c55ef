// Sixth stranger's attack (issue 13): `ip route test` is iproute_modify(RTM_NEWROUTE, NLM_F_EXCL)
// (iproute2 ip/iproute.c do_iproute), without NLM_F_CREATE. IPv4 refuses to create a route so
// (fib_table_insert: ENOENT), IPv6 creates it anyway (fib6_add_1 only warns "NLM_F_CREATE should be
// set when creating new route"). The host scope and preflight check only add, change, replace,
// append and prepend (host-scope.ts ADDING), so `ip -6 route test HARNESS/128 dev a6` passes, and on
// a host reached over IPv6 it takes the connection off the management NIC.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack6: `ip -6 route test` over the ssh connection of a host reached over IPv6', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { ipv6: true });
  });
  afterAll(() => hosts?.stop());

  it('is refused before anything runs; node0 still reaches the harness out of mgmt', async () => {
    const file = join(hosts.dir, 'route-test.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: route test', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      '      - ip link add a6 type bridge',
      '      - ip link set a6 up',
      '      - ip -6 route test fd00:200::1/128 dev a6',
      '  - node: node1', '    run:', '      - ip link show dev enp0s8',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    // The control: the run reaches node0 over IPv6 (the harness is fd00:200::1).
    expect(JSON.parse(await hosts.onHost('node0', ['ip', '-j', '-6', 'route', 'get', 'fd00:200::1']))[0]).toMatchObject({ dev: 'mgmt' });
    const before = await hosts.states();
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    // On aebc6f3 the step runs: node0's way to fd00:200::1 is a6, the run's connection to node0
    // times out, teardown cannot reach it (exit 4) and a6 stays there.
    const way = (JSON.parse(await hosts.onHost('node0', ['ip', '-j', '-6', 'route', 'get', 'fd00:200::1'])) as { dev: string }[])[0]!.dev;
    expect({ node0ReachesTheHarnessBy: way, exitCode: run.exitCode }, run.stderr).toEqual({ node0ReachesTheHarnessBy: 'mgmt', exitCode: 3 });
    expect(run.stderr).toMatch(/node0: step `ip -6 route test fd00:200::1\/128 dev a6` .*covers fd00:200::1/);
    expect(await hosts.states()).toEqual(before);
  }, 200_000);
});
