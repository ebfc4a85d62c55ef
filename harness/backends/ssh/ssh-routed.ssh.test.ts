// A routed management network (issue 13): the harness one hop away from the hosts, which reach
// it through their gateway 10.200.0.1. The ends of $SSH_CONNECTION (10.201.0.2 and the host's
// own address) are not enough to guard then: an address that covers the gateway sends the host's
// way back to the harness off its management NIC. Preflight reads the gateway (the host's route
// back to the client end) and refuses such a step before anything runs.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { failingPoints, parseTap } from '../../testing/tap.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

/** The device the host's route to `address` leaves through, read by the kernel's own lookup. */
async function routeDevice(hosts: SshdHosts, node: string, address: string): Promise<string> {
  return (JSON.parse(await hosts.onHost(node, ['ip', '-j', 'route', 'get', address])) as { dev: string }[])[0]!.dev;
}

describe.skipIf(missing !== undefined)('the ssh backend over a routed management network', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { routed: true });
  });
  afterAll(() => hosts?.stop());

  it('runs multicast through the hosts\' gateway, every check passing, and restores every host', async () => {
    // The moment this file is about: the hosts reach the harness through a gateway, not on-link.
    expect(JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'route', 'get', '10.201.0.2']))[0]).toMatchObject({ gateway: '10.200.0.1', dev: 'mgmt' });
    const before = await hosts.states();
    const run = await hosts.runCli(['multicast', '--reporter', 'tap']);
    expect(failingPoints(run.stdout), run.stderr).toEqual([]);
    expect(await parseTap(run.stdout)).toMatchObject({ ok: true, fail: 0, extra: [] });
    expect(run.exitCode).toBe(0);
    expect(await hosts.states()).toEqual(before);
  }, 120_000);

  it('refuses a step whose address covers the gateway before anything runs; by hand, that step takes the host\'s way to its gateway off the management NIC', async () => {
    const steps = ['ip link add gw0 type bridge', 'ip addr add 10.200.0.2/30 dev gw0', 'ip link set gw0 up'];
    // By hand first, on node1 (a test's own hands, not vxlab): the danger is real.
    expect(await routeDevice(hosts, 'node1', '10.200.0.1')).toBe('mgmt');
    await hosts.onHost('node1', ['sh', '-c', steps.join(' && ')]);
    const stranded = await routeDevice(hosts, 'node1', '10.200.0.1');
    await hosts.onHost('node1', ['ip', 'link', 'del', 'gw0']);
    expect(stranded).toBe('gw0');

    const file = join(hosts.dir, 'take-the-gateway.yaml');
    await writeFile(file, ['lab: three-nodes', 'title: take the gateway', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      ...steps.map((s) => `      - ${s}`), 'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', ''].join('\n'));
    const before = await hosts.states();
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect(run.stderr).toMatch(/node0: step `ip addr add 10\.200\.0\.2\/30 dev gw0` adds the address 10\.200\.0\.2\/30, which covers 10\.200\.0\.1, the gateway the ssh connection vxlab reaches this host by goes through/);
    expect(run.exitCode).toBe(3);
    expect(await hosts.states()).toEqual(before);
    expect(await routeDevice(hosts, 'node0', '10.200.0.1')).toBe('mgmt');
  }, 120_000);
});
