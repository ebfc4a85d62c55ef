// Ninth stranger's attack (issue 13): tcCommand (policy/host-scope.ts) takes every `dev WORD`
// after the verb as the device a tc command acts on, mirred's `dev` too. `tc filter add block 7
// ... action mirred egress redirect dev a8` acts on no device of its own but on shared block 7,
// which here is the host owner's (a clsact with ingress_block 7 on node0's mgmt, set before the
// run). The filter lands on mgmt's ingress, and teardown, deleting a8, leaves it there.
// (Matching only 192.0.2.1 keeps the connection up; `match u32 0 0` would steal every frame mgmt
// receives and strand node0, as checked by hand inside `unshare --net`.) Now the device comes only
// from tc's own `dev` before the kind (facts.tcTarget), and `block`, `ingress_block`,
// `egress_block` and mirred's `blockid` are refused on ssh hosts, at load.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { onNode, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack9: a tc filter on the host\'s own shared block, named by mirred\'s dev', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
    // The host owner's own shared block on the management interface.
    await hosts.onHost('node0', ['tc', 'qdisc', 'add', 'dev', 'mgmt', 'ingress_block', '7', 'clsact']);
  });
  afterAll(async () => {
    await hosts?.onHost('node0', ['tc', 'qdisc', 'del', 'dev', 'mgmt', 'clsact']).catch(() => undefined);
    await hosts?.stop();
  });

  it('is refused before anything runs; block 7 keeps no filter of the run', async () => {
    const file = join(hosts.dir, 'shared-block.yaml');
    await writeFile(file, scenarioText('shared block', onNode0([
      'ip link add a8 type bridge',
      'ip link set a8 up',
      'tc filter add block 7 protocol ip prio 1 u32 match ip dst 192.0.2.1/32 action mirred egress redirect dev a8',
    ]), onNode('node1', ['ip link show dev enp0s8'])));
    const before = await hosts.onHost('node0', ['tc', 'filter', 'show', 'dev', 'mgmt', 'ingress']);
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    const after = await hosts.onHost('node0', ['tc', 'filter', 'show', 'dev', 'mgmt', 'ingress']);
    // Refused at load (exit 2, at the step): on an ssh host tc acts on a device the steps create, never a shared block.
    expect({ exitCode: run.exitCode, mgmtIngressFilters: after }, run.stderr).toEqual({ exitCode: 2, mgmtIngressFilters: before });
    expect(run.stderr).toMatch(/shared-block\.yaml:\d+:\d+: steps\[0\]\.run\[\d\] uses tc's shared `block` 7/);
  }, 200_000);
});
