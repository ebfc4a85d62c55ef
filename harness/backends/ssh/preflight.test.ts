import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { NodeChanges } from '../../lab/node-changes.ts';
import { factProblems, FACTS_SCRIPT, parseHostFacts, sharedHostProblems } from './preflight.ts';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const changes = (interfaces: string[], addressing: string[][] = []): NodeChanges => ({ interfaces, namespaces: [], fdb: [], sysctls: [], addressing });

describe('preflight reads the ssh connection\'s ends and the altnames in its one round trip', () => {
  it('reads $SSH_CONNECTION, run here as on a host (this machine\'s ip -j link read as well)', async () => {
    const r = await execa('sh', ['-c', FACTS_SCRIPT], { env: { PATH, SSH_CONNECTION: '10.200.0.1 40022 10.200.0.10 22' }, extendEnv: false });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('--vxlab-facts');
    expect(parseHostFacts(lines.slice(1)).ends).toEqual(['10.200.0.1', '10.200.0.10']);
    expect(lines.some((l) => l.startsWith('[') && l.includes('"ifname":"lo"'))).toBe(true);
  });

  it('reads the gateway of the host\'s route back to the client end, and no gateway for an on-link client', async () => {
    // This machine's own routes (a lookup only: nothing is sent), for a client given IPv4-mapped.
    const route = JSON.parse((await execa('ip', ['-j', 'route', 'get', '198.51.100.7'])).stdout) as { gateway?: string }[];
    const r = await execa('sh', ['-c', FACTS_SCRIPT], { env: { PATH, SSH_CONNECTION: '::ffff:198.51.100.7 40022 10.200.0.10 22' }, extendEnv: false });
    expect(parseHostFacts(r.stdout.split('\n')).gateways).toEqual(route[0]?.gateway ? [route[0].gateway] : []);
    const local = await execa('sh', ['-c', FACTS_SCRIPT], { env: { PATH, SSH_CONNECTION: '127.0.0.1 40022 127.0.0.1 22' }, extendEnv: false });
    expect(parseHostFacts(local.stdout.split('\n')).gateways).toEqual([]);
    expect(parseHostFacts(['ssh-route [{"dst":"10.201.0.2","gateway":"10.200.0.1","dev":"mgmt"}]']).gateways).toEqual(['10.200.0.1']);
    expect(parseHostFacts(['ssh-route not json']).gateways).toEqual([]);
  });

  it('finds it in an ancestor\'s environment when sudo (here env -i) cleared it', async () => {
    const r = await execa('sh', ['-c', 'env -i PATH="$PATH" sh -c "$0"; true', FACTS_SCRIPT], { env: { PATH, SSH_CONNECTION: 'fd00::1 40022 fd00::10 22' }, extendEnv: false });
    expect(parseHostFacts(r.stdout.split('\n')).ends).toEqual(['fd00::1', 'fd00::10']);
  });

  it('names a created device that is an altname on the host, and a step routing over the connection', () => {
    const facts = parseHostFacts(['ssh-connection 10.200.0.1 40022 10.200.0.10 22', JSON.stringify([{ ifname: 'enp0s8', altnames: ['vx9', 'enx080027'] }, { ifname: 'lo' }])]);
    const problems = factProblems('node0', changes(['vx9', 'br0'], [['ip', 'route', 'add', '10.200.0.1/32', 'dev', 'vx9'], ['ip', 'addr', 'add', '10.20.1.2/24', 'dev', 'vx9']]), facts, 'run `vxlab clean`');
    expect(problems).toEqual([
      expect.stringMatching(/^node0: enp0s8 has the altname vx9, a device the steps create, so the steps would act on enp0s8; remove the altname \(sudo ip link property del dev enp0s8 altname vx9\)/),
      expect.stringMatching(/^node0: step `ip route add 10\.200\.0\.1\/32 dev vx9` routes \(add\) 10\.200\.0\.1\/32, which covers 10\.200\.0\.1, an end of the ssh connection/),
    ]);
    expect(factProblems('node0', changes(['br0']), facts, '')).toEqual([]);
    // No ends known: a step that routes or addresses fails closed; one that does not is fine.
    const blind = parseHostFacts(['ssh-connection ', '[]']);
    expect(factProblems('node0', changes(['vx9'], [['ip', 'addr', 'add', '10.20.1.2/24', 'dev', 'vx9']]), blind, '')).toEqual([expect.stringMatching(/could not read \$SSH_CONNECTION/)]);
    expect(factProblems('node0', changes(['vx9']), blind, '')).toEqual([]);
  });
});

describe('preflight tells two nodes on one host', () => {
  it('reads this machine\'s boot and network namespace as its identity', async () => {
    const r = await execa('sh', ['-c', FACTS_SCRIPT], { env: { PATH }, extendEnv: false });
    const boot = (await execa('cat', ['/proc/sys/kernel/random/boot_id'])).stdout.trim();
    expect(parseHostFacts(r.stdout.split('\n')).identity).toMatch(new RegExp(`^boot ${boot} netns \\d+$`));
  });

  it('names the nodes that share one, and only those; a host that said nothing is not compared', () => {
    const ids = new Map([
      ['node0', { identity: 'boot b1 netns 7', destination: '10.200.0.10' }],
      ['node1', { identity: 'boot b1 netns 7', destination: '10.200.0.10' }],
      ['node2', { identity: 'boot b1 netns 8', destination: '10.200.0.12' }],
      ['node3', { destination: '10.200.0.13' }],
      ['node4', { destination: '10.200.0.13' }],
    ]);
    expect(sharedHostProblems(ids)).toEqual([expect.stringMatching(/^node0 and node1 are one host \(10\.200\.0\.10, 10\.200\.0\.10: /)]);
    expect(parseHostFacts(['host-id b1 ', '[]']).identity).toBeUndefined();
  });
});
