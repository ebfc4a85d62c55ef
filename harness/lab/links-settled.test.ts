import { describe, expect, it } from 'vitest';
import type { NodeHandle } from '../backends/types.ts';
import { CommandFailedError } from '../util/errors.ts';
import type { ExecResult } from '../util/process.ts';
import { splitNamespacesAndLinks, unsettledLinks, waitForSettledLinks } from './links-settled.ts';

// `ip link show` in a node on this machine (6.18) right after `ip link set veth1 up`, read while
// the kernel's link watch had not yet run (caught with a scale lab being deleted beside it), and after.
const PENDING = [
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
  '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1446 qdisc noqueue state UP mode DEFAULT group default qlen 1000',
  '    link/ether fa:16:3e:0c:e3:c6 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
  '3: br0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000',
  '    link/ether 02:00:00:00:09:01 brd ff:ff:ff:ff:ff:ff',
  '4: veth1@if5: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state DOWN mode DEFAULT group default qlen 1000',
  '    link/ether 9e:ab:18:d5:25:55 brd ff:ff:ff:ff:ff:ff link-netns vm0',
  '5: vxlan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1396 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
  '6: enp0s8@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state LOWERLAYERDOWN mode DEFAULT group default qlen 1000',
  '7: veth9@if8: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000',
].join('\n');
const SETTLED = PENDING.replace('<NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state DOWN', '<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP')
  .replace('state LOWERLAYERDOWN', 'state UP');

describe('unsettledLinks', () => {
  it('names the links that are up with their carrier on while their state still says down', () => {
    expect(unsettledLinks(PENDING)).toEqual([
      { dev: 'veth1', state: 'DOWN' },
      { dev: 'enp0s8', state: 'LOWERLAYERDOWN' },
    ]);
  });

  it('leaves alone a link that is down, one without carrier (br0 with no port forwarding), and UNKNOWN (lo, vxlan)', () => {
    expect(unsettledLinks(SETTLED)).toEqual([]);
    expect(SETTLED).toContain('3: br0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN');
    expect(SETTLED).toContain('4: veth1@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br0 state UP');
  });
});

describe('splitNamespacesAndLinks', () => {
  it('reads the guest namespaces before the first link line, with or without their id', () => {
    expect(splitNamespacesAndLinks(`vm0 (id: 0)\nvm1\n${PENDING}\n`)).toEqual({ namespaces: ['vm0', 'vm1'], links: `${PENDING}\n` });
    expect(splitNamespacesAndLinks(`${PENDING}\n`).namespaces).toEqual([]);
  });
});

/** A node whose `ip link show` answers come from `answers` in turn (the last one repeats). */
function nodeAnswering(answers: { node: string[]; vm0?: string[] }): NodeHandle & { calls: string[] } {
  const calls: string[] = [];
  const next = (list: string[]) => (list.length > 1 ? list.shift()! : list[0]!);
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false }) as ExecResult;
  return {
    name: 'test-1',
    calls,
    start: () => {
      throw new Error('not used');
    },
    exec: async (argv, options) => {
      calls.push(`${argv.join(' ')}${options?.input ? ` <<< ${options.input.trim().replace(/\n/g, '; ')}` : ''}`);
      if (argv.join(' ') === 'ip -batch -') return ok(`${answers.vm0 ? 'vm0 (id: 0)\n' : ''}${next(answers.node)}\n`);
      if (argv.join(' ') === 'ip link show') return ok(next(answers.node));
      if (argv.join(' ') === 'ip netns exec vm0 ip link show') return ok(next(answers.vm0!));
      throw new Error(`unexpected ${argv.join(' ')}`);
    },
  };
}

describe('waitForSettledLinks', () => {
  it('reads a node once with one batch when nothing is coming up, and says nothing', async () => {
    const node = nodeAnswering({ node: [SETTLED] });
    const told: string[] = [];
    await waitForSettledLinks([node], { timeoutMs: 1000, onWait: (r) => told.push(r) });
    expect(node.calls).toEqual(['ip -batch - <<< netns list; link show']);
    expect(told).toEqual([]);
  });

  it('reads again until the links have come up, in the node and in its guest namespace, and says once what it waits for', async () => {
    const node = nodeAnswering({ node: [PENDING, PENDING, SETTLED], vm0: [PENDING, SETTLED] });
    const told: string[] = [];
    await waitForSettledLinks([node], { timeoutMs: 5000, onWait: (r) => told.push(r) });
    expect(node.calls).toEqual([
      'ip -batch - <<< netns list; link show',
      'ip netns exec vm0 ip link show',
      'ip link show',
      'ip netns exec vm0 ip link show',
      'ip link show',
    ]);
    expect(told).toEqual(['waiting for the kernel to bring up links on test-1: veth1 (DOWN), enp0s8 (LOWERLAYERDOWN)']);
  });

  it('breaks the lab after its deadline, naming the node, the command and the links still down', async () => {
    const node = nodeAnswering({ node: [SETTLED], vm0: [PENDING] });
    const error = await waitForSettledLinks([node], { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).what).toBe('links on test-1 did not come up within 0.05 s: their carrier is on, their state still down');
    expect((error as CommandFailedError).failure).toMatchObject({ node: 'test-1', command: 'ip netns exec vm0 ip link show', stdout: 'veth1: state DOWN\nenp0s8: state LOWERLAYERDOWN' });
  });
});
