// Thirteenth attack (issue 13), policy level; the ssh tests (ssh-attack13-*) show each on sshd hosts.
// Names other tools read as something else: `if3x` (iproute2: interface index 3 when no device has
// the name), `va%d` (the kernel picks the number), libpcap's capture sources (`dbus-system`,
// `nflog`...), a namespace `0x4d2` (iproute2: PID 1234 when /run/netns has no such file). On ssh
// hosts: devices the kernel would name, a sysctl value of more than one number, and the scope
// following deletions made inside a guest or of a lower device.
import { describe, expect, it } from 'vitest';
import { checkArgv, checkArgvOnHost, scopeAfterRun, type HostScope } from './policy.ts';
import { scopeAfterSteps } from './testing/scope-after-steps.ts';

const words = (text: string) => text.split(' ');

const afterSteps = (steps: string[], planned = ['va', 'vb', 'lw', 'lx', 'mv'], namespaces = ['ns1']): HostScope => scopeAfterSteps(steps, planned, namespaces);

describe('attack13: names another tool reads as something else, on every backend', () => {
  it.each(['if3x', 'if+3', 'if-3', 'if3', 'va%d', 'dbus-system', 'dbus-session', 'nflog', 'nfqueue0', 'usbmon1', 'bluetooth0', 'bluetooth-mon'])('an interface named %s is refused', (name) => {
    expect(checkArgv(words(`ip link add ${name} type bridge`))?.message).toMatch(/interface index N|in whose place the kernel puts a number|capture source of its own/);
  });
  it.each(['iface3', 'vif3', 'ifb0', 'eth0', 'nflo'])('an interface named %s is a name', (name) => {
    expect(checkArgv(words(`ip link add ${name} type bridge`))).toBeUndefined();
  });
  it.each(['0x4d2', '0X1F', '010', '1234'])('a namespace named %s (a PID to iproute2) is refused', (name) => {
    expect(checkArgv(words(`ip netns add ${name}`))?.message).toMatch(/by PID or path/);
  });
  it.each(['dbus-system', 'nflog', '3'])('tcpdump -i %s is refused', (value) => {
    expect(checkArgv(['tcpdump', '-i', value, '-c', '1'])).toBeDefined();
  });
});

describe('attack13: on ssh hosts', () => {
  it.each([
    'ip link add type veth',
    'ip link add link enp0s8 type macvlan',
    'ip link add va type veth',
  ])('%s (a device the kernel names) is refused', (text) => {
    expect(checkArgvOnHost(words(text), afterSteps([]))?.message).toMatch(/without a name|without naming its peer/);
  });

  it('a sysctl value of more than one number is refused (the kernel writes the first)', () => {
    expect(checkArgvOnHost(['sysctl', '-w', 'net.ipv4.ip_forward=1 0'], afterSteps([]))?.message).toMatch(/holds one number/);
    expect(checkArgvOnHost(['sysctl', '-w', 'net.ipv4.ip_forward=1'], afterSteps([]))).toBeUndefined();
  });

  it('a veth end whose peer was deleted inside a guest leaves the scope', () => {
    for (const del of ['ip -n ns1 link del vb', 'ip netns exec ns1 ip link del vb']) {
      const scope = afterSteps(['ip netns add ns1', 'ip link add va type veth peer name vb', 'ip link set dev vb netns ns1', del]);
      expect(checkArgvOnHost(words('ip link set dev va down'), scope)?.message, del).toMatch(/va/);
    }
  });

  it('`ip netns` from inside a guest is refused (`-n NS`: attack 15; `ip netns exec NS ip netns`: attack 17)', () => {
    const scope = afterSteps(['ip netns add ns1', 'ip netns add ns2'], ['va'], ['ns1', 'ns2']);
    expect(checkArgvOnHost(words('ip netns exec ns1 ip netns delete ns2'), scope)?.message).toMatch(/inside guest namespace ns1.*at the top level/);
    expect(checkArgvOnHost(words('ip -n ns1 netns delete ns2'), scope)?.message).toMatch(/inside guest namespace ns1.*at the top level/);
  });

  it('a macvlan leaves the scope with its lower device', () => {
    const scope = afterSteps(['ip link add lw type veth peer name lx', 'ip link add mv link lw type macvlan', 'ip link del lw']);
    expect(checkArgvOnHost(words('ip link set dev mv down'), scope)?.message).toMatch(/mv/);
  });
});

describe('attack13 leads: tcpdump options that change the NIC', () => {
  it('refuses -j adapter (hardware time stamping) and -I (monitor mode); -j host is fine', () => {
    expect(checkArgv(['tcpdump', '-i', 'enp0s8', '-j', 'adapter_unsynced'])?.message).toMatch(/hardware settings/);
    expect(checkArgv(['tcpdump', '-i', 'enp0s8', '--time-stamp-type=adapter'])?.message).toMatch(/hardware settings/);
    expect(checkArgv(['tcpdump', '-i', 'enp0s8', '-I'])?.message).toMatch(/monitor mode/);
    expect(checkArgv(['tcpdump', '-i', 'enp0s8', '-j', 'host'])).toBeUndefined();
  });
});

describe('attack15 (policy): on ssh hosts', () => {
  it('refuses `ip -n NS netns add` (the host\'s /run/netns, followed by no scope) and a bridge\'s STP (the kernel runs /sbin/bridge-stp)', () => {
    const scope = afterSteps(['ip netns add ns1'], ['br9'], ['ns1', 'ns3']);
    expect(checkArgvOnHost(words('ip -n ns1 netns add ns3'), scope)?.message).toMatch(/at the top level/);
    expect(checkArgvOnHost(words('ip link add br9 type bridge stp_state 1'), scope)?.message).toMatch(/bridge-stp/);
    expect(checkArgvOnHost(words('ip link add br9 type bridge stp_state 0'), scope)).toBeUndefined();
  });
});

describe('attack15: what a command made for certain (scopeAfterRun)', () => {
  it('holds what a command that exited 0 made, and nothing of one that failed', () => {
    const scope = afterSteps([]);
    const add = words('ip link add va type veth peer name vb');
    expect([...scopeAfterRun(add, undefined, scope, { exitCode: 0 }).devices].sort()).toEqual(['va', 'vb']);
    expect([...scopeAfterRun(add, undefined, scope, { exitCode: 2 }).devices]).toEqual([]);
    expect([...scopeAfterRun(add, undefined, scope, { exitCode: undefined }).devices]).toEqual([]);
  });
});
