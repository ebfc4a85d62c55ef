// Fourth attack (issue 13): the host scope read against iproute2 v6.1.0; each case was let
// through on main at 76369e1 and is refused on an ssh host now.
import { describe, expect, it } from 'vitest';
import { checkArgvOnHost, scopeAfter, startScope, type HostScope } from './policy.ts';

const scope: HostScope = { devices: new Set(['vxlan0']), namespaces: new Set(), nic: 'enp0s8' };

describe('ssh host scope: tc mirred reads its device with matches("dev") (tc/m_mirred.c parse_egress)', () => {
  // `de mgmt` is `dev mgmt` to tc: every packet leaving vxlan0 is copied (or moved) out of the
  // host's management NIC, or injected into its ingress, which the scope never sees.
  it.each([
    'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror de mgmt',
    'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress redirect d enp0s8',
    'tc filter add dev vxlan0 ingress protocol all u32 match u32 0 0 action mirred ingress redirect de mgmt',
  ])('%s is refused', (text) => {
    const argv = text.split(' ');
    const at = argv.lastIndexOf(argv.at(-1)!);
    expect(checkArgvOnHost(argv, scope)).toMatchObject({ index: at });
  });
  it('the same with `dev` is refused today (the control)', () => {
    const argv = 'tc filter add dev vxlan0 egress protocol all u32 match u32 0 0 action mirred egress mirror dev mgmt'.split(' ');
    expect(checkArgvOnHost(argv, scope)).toMatchObject({ index: argv.length - 1 });
  });
});

describe('ssh host scope: `bridge link s` is `set` (bridge/link.c do_link tries set and change before show)', () => {
  // readOnlyWord takes `s` for show; bridge runs brlink_modify: port flags, state, cost, and with
  // `self` the NIC driver's own bridge mode (hwmode vepa|veb on SR-IOV NICs), none restored.
  it.each([
    'bridge link s dev enp0s8 learning off state 0',
    'bridge link s dev enp0s8 hwmode vepa self',
    'bridge vlan g set dev enp0s8 vid 1 mcast_snooping 0',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)).toBeDefined();
  });
});

describe('ssh host scope: bridge link, vlan, mdb and vni verbs in bridge\'s own order', () => {
  it.each([
    'bridge link c dev enp0s8 learning off',
    'bridge vlan se vid 1 dev enp0s8 state 0',
    'bridge vlan global set vid 1 dev enp0s8 mcast_snooping 0',
    'bridge vlan global s dev enp0s8',
    'bridge mdb a dev enp0s8 port enp0s8 grp 239.1.1.1',
    'bridge vni s',
    'bridge link s',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)).toBeDefined();
  });
  it.each([
    'bridge link show dev enp0s8', 'bridge vlan s dev enp0s8', 'bridge vlan tunnelshow', 'bridge vlan global',
    'bridge vlan global show dev enp0s8', 'bridge mdb s dev enp0s8', 'bridge vni show', 'bridge link set dev vxlan0 learning off',
  ])('%s is let through', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)).toBeUndefined();
  });
});

describe('ssh host scope: a device on the NIC\'s link stays in the host\'s namespace', () => {
  /** The scope after `steps`, each let through, and the problem with `last` there (its word). */
  function after(steps: string[], last: string): string | undefined {
    let s: HostScope = { ...startScope('enp0s8'), namespaces: new Set(['a4v']) };
    for (const step of steps) {
      expect(checkArgvOnHost(step.split(' '), s)).toBeUndefined();
      s = scopeAfter(step.split(' '), s);
    }
    const argv = last.split(' ');
    const p = checkArgvOnHost(argv, s);
    return p && argv[p.index];
  }
  it.each([
    [['ip link add link enp0s8 name mv0 type macvlan mode bridge'], 'ip link set mv0 netns a4v'],
    [['ip link add link enp0s8 name mv0 type macvlan mode bridge'], 'ip link set dev mv0 up netns a4v'],
    [['ip link add l enp0s8 name iv0 type ipvlan mode l2'], 'ip link set iv0 netns a4v'],
    [['ip link add link enp0s8 name v10 type vlan id 10', 'ip link set dev v10 name eth9'], 'ip link set eth9 netns a4v'],
    [[], 'ip link add link enp0s8 name mv0 netns a4v type macvlan'],
    [['ip link add link enp0s8 name v10 type vlan id 10', 'ip link add link v10 name mv1 type macvlan'], 'ip link set mv1 netns a4v'],
  ])('after %j, `%s` is refused at its netns', (steps, last) => {
    expect(after(steps, last)).toBe('netns');
  });
  it.each([
    [['ip link add veth0 type veth peer name veth1'], 'ip link set veth1 netns a4v'],
    [['ip link add vxlan0 type vxlan id 42 dstport 4789 dev enp0s8', 'ip link add link vxlan0 name mv0 type macvlan'], 'ip link set mv0 netns a4v'],
    [['ip link add vxlan0 type vxlan id 42 dstport 4789 dev enp0s8'], 'ip link set vxlan0 netns a4v'],
    [['ip link add link enp0s8 name mv0 type macvlan mode bridge'], 'ip link set mv0 up'],
  ])('after %j, `%s` is let through', (steps, last) => {
    expect(after(steps, last)).toBeUndefined();
  });
});

describe('ssh host scope: bridge fdb\'s `port` is the VXLAN UDP port (bridge/fdb.c:434), mdb\'s a device', () => {
  it.each([
    'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.101 port 4789',
    'bridge fdb add 00:00:00:00:00:00 dev vxlan0 master static',
  ])('%s is let through', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)).toBeUndefined();
  });
  it.each([
    'bridge fdb add 00:00:00:00:00:00 dev enp0s8 dst 192.168.8.101 port 4789',
    'bridge fdb add 00:00:00:00:00:00 dev vxlan0 via enp0s8',
    'bridge mdb add dev vxlan0 port enp0s8 grp 239.1.1.1',
  ])('%s is refused', (text) => {
    expect(checkArgvOnHost(text.split(' '), scope)).toBeDefined();
  });
});
