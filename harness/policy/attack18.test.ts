// Eighteenth attack (issue 13), policy level: a rename or a move with more in one `ip link set`
// (the kernel keeps the new name when a later part fails), `ping -I ADDR%DEV` (SO_BINDTODEVICE on
// DEV), and reads of host devices by a route read or a state check's `dev`. The ssh tests
// (ssh-attack18-*) show them on sshd hosts.
import { describe, expect, it } from 'vitest';
import { checkCommands } from '../checks/check-commands.ts';
import type { Check } from '../lab/model.ts';
import { checkArgvOnHost, startScope, type HostScope } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

const words = (s: string) => s.split(' ');
const after = (steps: string[]): HostScope => scopeAfterSteps(steps, ['br9', 'vc', 'vd', 'wg0', 'mp'], ['ns1']);

describe('attack18: on ssh hosts', () => {
  const made = after(['ip netns add ns1', 'ip link add br9 type bridge', 'ip link add vc type veth peer name vd']);

  it.each([
    'ip link set dev br9 name wg0 master vc',
    'ip link set br9 name wg0 up',
    'ip link set dev br9 mtu 1400 name wg0',
    'ip link set dev vc netns ns1 up',
  ])('refuses %s (a rename or a move with more)', (step) => {
    expect(checkArgvOnHost(words(step), made)?.message).toMatch(/a rename or a move is a command of its own/);
  });

  it.each(['ip link set dev br9 name wg0', 'ip link set br9 name wg0', 'ip link set dev vc netns ns1', 'ip link set vc netns ns1', 'ip link set dev br9 mtu 1400 up'])('lets %s through', (step) => {
    expect(checkArgvOnHost(words(step), made)).toBeUndefined();
  });

  it('refuses ping -I ADDR%DEV, whatever the address', () => {
    expect(checkArgvOnHost(words('ping -c 1 -I ::%mgmt 192.168.8.77'), made)?.message).toMatch(/binds the ping to a device with "%"/);
    expect(checkArgvOnHost(words('ping -c 1 -I 192.168.8.5%enp0s8 192.168.8.77'), made)?.message).toMatch(/"%"/);
    expect(checkArgvOnHost(words('ping -c 1 -I 192.168.8.5 192.168.8.77'), made)).toBeUndefined();
  });

  it('holds a route read\'s device to the scope, as the other reads', () => {
    expect(checkArgvOnHost(words('ip route show dev mgmt'), made)?.message).toMatch(/mgmt/);
    expect(checkArgvOnHost(words('ip route show dev enp0s8'), made)).toBeUndefined();
    expect(checkArgvOnHost(words('ip route show'), made)).toBeUndefined();
  });

  it('gives the policy a state check\'s devices as reads of their own', () => {
    const check = { kind: 'state', index: 0, name: 's', spec: { node: 'node0', table: 'addr', expect: { dev: 'mgmt', contains: [{ dev: 'br9', address: '1.2.3.4/32' }] } } } as unknown as Check;
    const argvs = checkCommands(check).map((c) => c.argv.join(' '));
    expect(argvs).toEqual(['ip -j addr show', 'ip -j addr show dev mgmt', 'ip -j addr show dev br9']);
    expect(checkArgvOnHost(words(argvs[1]!), made)?.message).toMatch(/mgmt/);
    expect(checkArgvOnHost(words(argvs[2]!), made)).toBeUndefined();
  });
});

describe('attack18 leads: on ssh hosts', () => {
  it('refuses VLAN registration (gvrp, mvrp), which announces the VLAN to the host network\'s switches', () => {
    const scope = startScope('enp0s8', { planned: { devices: new Set(['v10']), namespaces: new Set() } });
    expect(checkArgvOnHost(words('ip link add link enp0s8 name v10 type vlan id 10 gvrp on'), scope)?.message).toMatch(/VLAN registration/);
    expect(checkArgvOnHost(words('ip link add link enp0s8 name v10 type vlan id 10 mv on'), scope)?.message).toMatch(/VLAN registration/);
    expect(checkArgvOnHost(words('ip link add link enp0s8 name v10 type vlan id 10 gvrp off'), scope)).toBeUndefined();
  });
});

describe('attack21: ping -I on ssh hosts', () => {
  const scope = startScope('enp0s8', { planned: { devices: new Set(['va']), namespaces: new Set() } });
  it.each(['10', '1.2', '1.2.3.4.5', '10.66.0'])('holds -I %s to the scope: iputils takes it for a device name', (value) => {
    expect(checkArgvOnHost(['ping', '-c', '1', '-I', value, '10.66.0.2'], scope)?.message).toMatch(/neither the lab's NIC|reads device/);
  });
  it.each(['10.66.0.1', 'fd00::1'])('lets -I %s through: an address', (value) => {
    expect(checkArgvOnHost(['ping', '-c', '1', '-I', value, '10.66.0.2'], scope)).toBeUndefined();
  });
});
