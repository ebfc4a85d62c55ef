// Seventh stranger's attack (issue 13): iproute2's get_netmask (lib/utils.c) reads `default`,
// `all` and `any` as a mask of 0 (get_addr_1 gives them all-zero data, mask2bits(0) is 0), so
// `ip route prepend 0/default dev a7` is `ip route prepend default dev a7`, which the cover check
// refuses. readPrefix reads `0/default` as no prefix at all, so neither the host scope nor
// preflight sees it. On a host that reaches the harness by its default route (here node0, set so
// by the test's own hands: a routed harness is usually reached by the default route), the
// prepended route goes first, the host's replies to the harness leave by a7, and the run's
// connection to node0 is cut: teardown cannot reach it and a7 stays there.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { onNode, onNode0, routeDev, scenarioText } from './testing/fresh-hosts.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack7: a default route written `0/default`, on a host that reaches the harness by its default route', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'), { routed: true });
    // node0 reaches the harness's network by its default route, as most routed hosts do.
    await hosts.onHost('node0', ['ip', 'route', 'del', '10.201.0.0/24']);
    await hosts.onHost('node0', ['ip', 'route', 'add', 'default', 'via', '10.200.0.1', 'dev', 'mgmt']);
  });
  afterAll(() => hosts?.stop());

  it('is refused before anything runs; node0 still reaches the harness out of mgmt', async () => {
    const file = join(hosts.dir, 'mask-word.yaml');
    await writeFile(file, scenarioText('mask word', onNode0([
      'ip link add a7 type bridge',
      'ip link set a7 up',
      'ip route prepend 0/default dev a7',
    ]), onNode('node1', ['ip link show dev enp0s8'])));
    // The control: node0 reaches the harness (10.201.0.2) through its gateway on mgmt.
    expect(JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'route', 'get', '10.201.0.2']))[0]).toMatchObject({ gateway: '10.200.0.1', dev: 'mgmt' });
    const before = await hosts.states();
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    const way = await routeDev(hosts, 'node0', '10.201.0.2');
    // What a stranded run leaves, taken away by the test's own hands (nsenter, not ssh) before judging.
    const left = (await hosts.onHost('node0', ['ip', '-br', 'link', 'show', 'type', 'bridge'])).includes('a7');
    if (left) await hosts.onHost('node0', ['ip', 'link', 'del', 'a7']);
    expect({ node0ReachesTheHarnessBy: way, exitCode: run.exitCode, a7Left: left }, run.stderr).toEqual({ node0ReachesTheHarnessBy: 'mgmt', exitCode: 3, a7Left: false });
    expect(run.stderr).toMatch(/node0: step `ip route prepend 0\/default dev a7` .*covers/);
    expect(await hosts.states()).toEqual(before);
  }, 200_000);
});
