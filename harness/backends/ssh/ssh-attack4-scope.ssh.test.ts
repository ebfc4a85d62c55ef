// Fourth stranger's attack (issue 13), the host scope's part: each case was a hole on main at
// 76369e1 (scratch-attack4); the expectation is the contained behaviour: refused at load, exit 2.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';

const missing = await sshdMissing();

describe.skipIf(missing !== undefined)('attack4: tc mirred by `de` on an ssh host', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  // tc's mirred reads its target with matches("dev"): `de mgmt` sends a copy of every frame
  // leaving vxlan0 out of the host's management NIC, which the host scope never sees.
  it('is refused at load (exit 2), and no filter mirrors to mgmt', async () => {
    const file = join(hosts.dir, 'mirred.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: mirred', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      '      - ip link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8',
      '      - ip link set vxlan0 up',
      '      - tc qdisc add dev vxlan0 clsact',
      '      - tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror de mgmt',
      '  - node: node0', '    run:', '      - ip link show dev vxlan0',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    const paused = await Promise.race([stderrUntil(child, PAUSED).then(() => true), child.then(() => false)]);
    let filters = '';
    if (paused) {
      filters = await hosts.onHost('node0', ['tc', 'filter', 'show', 'dev', 'vxlan0', 'egress']);
      child.kill('SIGINT');
    }
    const run = await child;
    expect({ mirrorsToMgmt: /Mirror to device mgmt/.test(filters) ? filters : false, exitCode: run.exitCode }).toEqual({ mirrorsToMgmt: false, exitCode: 2 });
  });
});

describe.skipIf(missing !== undefined)('attack4: `bridge link s` on the NIC', () => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab('three-nodes'));
  });
  afterAll(() => hosts?.stop());

  // bridge/link.c tries `set` before `show`: `s` asks the kernel to change enp0s8's bridge-port
  // flags (here enp0s8 is no port, so the kernel says "Operation not supported"; on a host whose
  // NIC is a port of its own bridge, learning/state/cost change and nothing restores them).
  it('is refused at load (exit 2), before anything reaches the host', async () => {
    const file = join(hosts.dir, 'bridge-link-s.yaml');
    await writeFile(file, [
      'lab: three-nodes', 'title: bridge link s', 'tutorial: none', 'explain: none', 'steps:', '  - node: node0', '    run:',
      '      - bridge link s dev enp0s8 learning off',
      'checks:', '  - ping: { from: node0, to: 192.168.8.101 }', '',
    ].join('\n'));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    expect({ exitCode: run.exitCode, reachedTheKernel: /RTNETLINK answers/.test(run.stdout + run.stderr) }).toEqual({ exitCode: 2, reachedTheKernel: false });
  });
});
