// The container backend holds the sandbox's line too: no host path in a node, /proc/sys writable
// only under net, and CAP_SYS_ADMIN only for commands of nodes that use guest namespaces. Tried
// straight through the executor, past the command policy.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { engineMissing } from '../../testing/container.ts';
import { newRunId } from '../../util/run-id.ts';
import { unpolicedNode } from '../started-lab.ts';
import { ContainerBackend } from './backend.ts';

const missing = await engineMissing();
/** The bounding set of the shell that runs it, in hex: only shell builtins, the image has no grep. */
const BOUNDING_SET = ['sh', '-c', 'while read -r key value; do [ "$key" = CapBnd: ] && echo "$value"; done < /proc/self/status'];
const CAP_SYS_ADMIN = 1n << 21n;

describe.skipIf(missing !== undefined)('a container node', () => {
  it('writes its own network sysctls, never a kernel one, and holds CAP_SYS_ADMIN only with guest namespaces', async () => {
    const nodeNeeds = new Map([
      ['node0', { guestNamespaces: true, sysctlWrites: false }],
      ['node1', { guestNamespaces: false, sysctlWrites: true }],
      ['node2', { guestNamespaces: false, sysctlWrites: false }],
    ]);
    await using lab = await new ContainerBackend().up(await loadLab('three-nodes'), { runId: newRunId(), nodeNeeds });
    const bounding = async (node: string) => BigInt(`0x${(await unpolicedNode(lab, node).exec(BOUNDING_SET)).stdout.trim()}`);
    expect((await bounding('node0')) & CAP_SYS_ADMIN).toBe(CAP_SYS_ADMIN);
    expect((await bounding('node1')) & CAP_SYS_ADMIN).toBe(0n);
    expect((await bounding('node2')) & CAP_SYS_ADMIN).toBe(0n);

    const node1 = unpolicedNode(lab, 'node1');
    expect((await node1.exec(['sysctl', '-w', 'net.ipv4.icmp_echo_ignore_all=1'])).exitCode).toBe(0);
    for (const key of ['kernel.domainname=vxlab-escape', 'net/ipv4/../../kernel/domainname=vxlab-escape']) {
      const result = await node1.exec(['sysctl', '-w', key]);
      expect(result.exitCode, key).not.toBe(0);
    }
    // The remount that made /proc/sys/net writable takes CAP_SYS_ADMIN, which node1's commands lack.
    const remount = await node1.exec(['mount', '-o', 'remount,bind,rw', '/proc/sys']);
    expect(remount.exitCode).not.toBe(0);
    // Commands run as nobody: even node0, which holds CAP_SYS_ADMIN for `ip netns`, cannot turn a
    // cgroup's release_agent into a host command (the escape a review found when they ran as root).
    const node0 = unpolicedNode(lab, 'node0');
    const uid = await node0.exec(['sh', '-c', 'while read -r key real rest; do [ "$key" = Uid: ] && echo "$real"; done < /proc/self/status']);
    expect(uid.stdout.trim()).toBe('65534');
    const agent = '/sys/fs/cgroup/freezer/release_agent';
    const hostAgent = await readFile(agent, 'utf8').catch(() => undefined);
    const escape = await node0.exec(['sh', '-c', 'mkdir -p /tmp/cg && mount -t cgroup -o freezer cgroup /tmp/cg && echo "$0" > /tmp/cg/release_agent && echo WROTE', hostAgent?.trim() ?? '']);
    expect(escape.stdout).not.toContain('WROTE');
    expect(await readFile(agent, 'utf8').catch(() => undefined)).toBe(hostAgent);
    const tree = await node0.exec(['sh', '-c', 'echo x > /usr/sbin/bridge && echo WROTE']);
    expect(tree.stdout).not.toContain('WROTE');
    // No host path: the node's root holds the image's files, not the host's /etc or the project.
    const hostFile = await node1.exec(['sh', '-c', 'test -e /etc/shadow || test -e /work || test -e /root/.ssh; echo $?']);
    expect(hostFile.stdout.trim()).toBe('1');
  });
});
