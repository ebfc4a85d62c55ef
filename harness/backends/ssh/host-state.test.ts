import { describe, expect, it } from 'vitest';
import { differences, leftovers, liveClaims, notOurs, parseHostState, restorePlan, sysctlReads, sysctlWritesMeet, theirSysctls, withoutLive, withSysctlsOf } from './host-state.ts';

const link = (ifname: string, extra: Record<string, unknown> = {}) => ({ ifname, mtu: 1500, flags: ['BROADCAST', 'UP'], address: '02:00:00:00:00:01', ...extra });

function state(parts: { links: unknown[]; addrs?: unknown[]; routes?: unknown[]; neigh?: unknown[]; fdb?: unknown[]; netns?: unknown[] }, sysctls: Record<string, string> = {}) {
  const j = (v: unknown[] | undefined) => JSON.stringify(v ?? []);
  return parseHostState([j(parts.links), j(parts.addrs), j(parts.routes), '', j(parts.neigh), j(parts.fdb), parts.netns ? j(parts.netns) : '', parts.netns ? 'yes\n' : 'no\n'], sysctls);
}

describe('restorePlan', () => {
  const before = state(
    {
      links: [link('lo'), link('enp0s8')],
      addrs: [{ ifname: 'enp0s8', addr_info: [{ local: '192.168.8.100', prefixlen: 24, scope: 'global' }, { local: 'fe80::1', prefixlen: 64, scope: 'link' }] }],
      routes: [{ dst: '192.168.8.0/24', dev: 'enp0s8', protocol: 'kernel' }, { dst: '10.9.0.0/16', gateway: '192.168.8.1', dev: 'enp0s8', protocol: 'static' }],
    },
    { 'net.ipv4.ip_forward': '0' },
  );
  const after = state(
    {
      links: [link('lo'), link('enp0s8', { mtu: 1400, master: 'br0' }), link('vxlan0', { linkinfo: { info_kind: 'vxlan' } }), link('br0')],
      addrs: [{ ifname: 'enp0s8', addr_info: [{ local: '10.20.1.2', prefixlen: 24, scope: 'global' }, { local: 'fe80::1', prefixlen: 64, scope: 'link' }] }],
      routes: [{ dst: '10.20.1.0/24', dev: 'enp0s8', protocol: 'kernel' }, { dst: '10.30.0.0/16', dev: 'enp0s8', protocol: 'boot' }, { dst: '10.40.0.0/16', dev: 'vxlan0', protocol: 'boot' }],
      neigh: [{ dst: '10.20.1.3', dev: 'enp0s8', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] }, { dst: '10.20.1.4', dev: 'enp0s8', lladdr: '02:00:00:00:00:0a', state: ['REACHABLE'] }],
      fdb: [
        { mac: '00:00:00:00:00:00', ifname: 'vxlan0', dst: '10.10.10.9', flags: ['self'], state: 'permanent' },
        { mac: '01:00:5e:00:00:01', ifname: 'enp0s8', flags: ['self'], state: 'permanent' },
      ],
      netns: [{ name: 'vm0' }],
    },
    { 'net.ipv4.ip_forward': '1' },
  );

  it('deletes the run\'s devices and namespaces and puts back its sysctls; what others changed on the NIC is theirs, left alone', () => {
    expect(restorePlan(before, after, { interfaces: ['vxlan0', 'br0'], namespaces: ['vm0'] })).toEqual({
      namespaces: ['vm0'],
      ip: ['link del dev vxlan0', 'link del dev br0'].map((l) => l.split(' ')),
      bridge: [],
      sysctls: ['net.ipv4.ip_forward=0'],
      removeNetnsDir: true,
      // The host scope forbids the steps to touch the NIC: whatever changed on it is another tool's.
      notOurs: [
        'added address 10.20.1.2/24 dev enp0s8',
        'added link enp0s8: mtu 1400 up master br0 address 02:00:00:00:00:01',
        'added neighbour 10.20.1.3 dev enp0s8 lladdr 02:00:00:00:00:09',
        'added route 4 table main 10.30.0.0/16 dev enp0s8',
        'removed address 192.168.8.100/24 dev enp0s8',
        'removed link enp0s8: mtu 1500 up master - address 02:00:00:00:00:01',
        'removed route 4 table main 10.9.0.0/16 dev enp0s8 via 192.168.8.1',
      ],
    });
  });

  it('counts as left over only the run\'s own facts: others\' routes, addresses and neighbours on the NIC are not', () => {
    const owned = { interfaces: ['vxlan0', 'br0'], namespaces: ['vm0'] };
    expect(leftovers(before, after, owned)).toEqual([
      '+ directory /run/netns',
      '+ fdb 00:00:00:00:00:00 dev vxlan0 dst 10.10.10.9',
      '+ guest namespace vm0',
      '+ link br0: mtu 1500 up master - address 02:00:00:00:00:01',
      '+ link vxlan0: mtu 1500 up master - address 02:00:00:00:00:01',
      '+ route 4 table main 10.40.0.0/16 dev vxlan0',
      '+ sysctl net.ipv4.ip_forward = 1',
      '- sysctl net.ipv4.ip_forward = 0',
    ]);
    // A host whose NIC others changed, once the run's part is back, has nothing left of the run.
    const restored = state(
      {
        links: [link('lo'), link('enp0s8', { mtu: 1400 })],
        addrs: [{ ifname: 'enp0s8', addr_info: [{ local: '10.20.1.2', prefixlen: 24, scope: 'global' }] }],
        routes: [{ dst: '10.30.0.0/16', dev: 'enp0s8', protocol: 'boot' }],
        neigh: [{ dst: '10.20.1.3', dev: 'enp0s8', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] }],
      },
      { 'net.ipv4.ip_forward': '0' },
    );
    expect(leftovers(before, restored, owned)).toEqual([]);
    expect(restorePlan(before, restored, owned)).toMatchObject({ ip: [], bridge: [], sysctls: [] });
    expect(notOurs(before, restored, owned)).toContain('added route 4 table main 10.30.0.0/16 dev enp0s8');
    expect(notOurs(before, restored, owned)).toContain('removed route 4 table main 10.9.0.0/16 dev enp0s8 via 192.168.8.1');
  });

  it('deletes only the devices and namespaces the steps name; anything else new is not ours, left alone', () => {
    const plan = restorePlan(before, after, { interfaces: ['vxlan0'], namespaces: [] });
    expect(plan.ip).toContainEqual(['link', 'del', 'dev', 'vxlan0']);
    expect(plan.ip.flat()).not.toContain('br0');
    expect(plan.namespaces).toEqual([]);
    expect(plan.notOurs.slice(0, 2)).toEqual(['device br0', 'guest namespace vm0']);
    // What is on a device that is not ours is theirs too: not a leftover of the run.
    expect(leftovers(before, after, { interfaces: ['vxlan0'], namespaces: [] }).join('\n')).not.toMatch(/br0|vm0|netns/);
  });

  it('reads a device named __proto__ or constructor as a device, and deletes it when the steps name it', () => {
    const weird = state({ links: [link('lo'), link('enp0s8'), link('__proto__'), link('constructor')] });
    expect(Object.keys(weird.links)).toEqual(['lo', 'enp0s8', '__proto__', 'constructor']);
    const plan = restorePlan(before, weird, { interfaces: ['__proto__'], namespaces: [] });
    expect(plan.ip.filter((w) => w[1] === 'del')).toEqual([['link', 'del', 'dev', '__proto__']]);
    expect(plan.notOurs[0]).toEqual('device constructor');
    expect(differences(before, weird)).toContain('+ link __proto__: mtu 1500 up master - address 02:00:00:00:00:01');
    // A marker comes back through JSON.parse: a plain object whose own key is __proto__.
    const fromMarker = JSON.parse(JSON.stringify(weird)) as typeof weird;
    expect(restorePlan(before, fromMarker, { interfaces: ['__proto__'], namespaces: [] }).ip).toContainEqual(['link', 'del', 'dev', '__proto__']);
    expect(restorePlan(fromMarker, fromMarker, { interfaces: [], namespaces: [] }).ip).toEqual([]);
  });

  it('sees no difference between a state and itself, and names every changed fact otherwise', () => {
    expect(differences(before, before)).toEqual([]);
    const changed = differences(before, after);
    expect(changed).toContain('+ link vxlan0: mtu 1500 up master - address 02:00:00:00:00:01');
    expect(changed).toContain('- address 192.168.8.100/24 dev enp0s8');
    expect(changed).toContain('+ guest namespace vm0');
    expect(changed).toContain('- sysctl net.ipv4.ip_forward = 0');
    // Learned neighbours, the NIC's own multicast entries, kernel routes and link-local addresses are not a run's.
    expect(changed.join('\n')).not.toMatch(/10\.20\.1\.4|01:00:5e|fe80|192\.168\.8\.0\/24|10\.20\.1\.0\/24/);
  });
});

describe('sysctls whose write sets every device (an `all` key, ip_forward)', () => {
  it('records each device\'s own key beside the all key, and forwarding\'s all.accept_redirects', () => {
    expect(sysctlReads(['net.ipv4.ip_forward'])).toEqual({
      keys: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.all.accept_redirects'],
      patterns: [{ tree: 'net.ipv4.conf', pattern: '^net\\.ipv4\\.conf\\.[^.]+\\.forwarding$' }],
    });
    expect(sysctlReads(['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.vxlan0.disable_ipv6'])).toEqual({
      keys: ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.vxlan0.disable_ipv6'],
      patterns: [{ tree: 'net.ipv6.conf', pattern: '^net\\.ipv6\\.conf\\.[^.]+\\.disable_ipv6$' }],
    });
    // A device's own key and `default` overwrite nothing else: read as they are.
    expect(sysctlReads(['net.ipv4.conf.enp0s8.forwarding', 'net.ipv4.conf.default.rp_filter'])).toEqual({ keys: ['net.ipv4.conf.enp0s8.forwarding', 'net.ipv4.conf.default.rp_filter'], patterns: [] });
  });

  it('tells when two runs\' writes change a key in common, through what they change too (attack 12: a dead run\'s ip_forward, a live all.forwarding)', () => {
    expect(sysctlWritesMeet(['net.ipv4.ip_forward'], ['net.ipv4.conf.all.forwarding'])).toBe(true);
    expect(sysctlWritesMeet(['net.ipv4.conf.enp0s8.forwarding'], ['net.ipv4.ip_forward'])).toBe(true);
    expect(sysctlWritesMeet(['net.ipv6.conf.all.disable_ipv6'], ['net.ipv6.conf.vxlan0.disable_ipv6'])).toBe(true);
    expect(sysctlWritesMeet(['net.ipv4.conf.enp0s8.forwarding'], ['net.ipv4.conf.vx0.forwarding'])).toBe(false);
    expect(sysctlWritesMeet(['net.ipv4.ip_forward'], ['net.ipv6.conf.all.forwarding'])).toBe(false);
  });

  it('gives a lab, out of a read made for several labs, every value its own read would have: device keys of an all key included', () => {
    const wide = state({ links: [link('lo'), link('enp0s8')] }, {
      'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0', 'net.ipv4.conf.all.accept_redirects': '1',
      'net.ipv4.conf.lo.forwarding': '0', 'net.ipv4.conf.enp0s8.forwarding': '1', 'net.ipv6.conf.enp0s8.disable_ipv6': '0',
    });
    expect(withSysctlsOf(wide, ['net.ipv4.ip_forward']).sysctls).toEqual({
      'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0', 'net.ipv4.conf.all.accept_redirects': '1',
      'net.ipv4.conf.lo.forwarding': '0', 'net.ipv4.conf.enp0s8.forwarding': '1',
    });
    expect(withSysctlsOf(wide, ['net.ipv6.conf.enp0s8.disable_ipv6']).sysctls).toEqual({ 'net.ipv6.conf.enp0s8.disable_ipv6': '0' });
    expect(withSysctlsOf(wide, []).sysctls).toEqual({});
  });

  it('writes the all key back first, then every device\'s own key and accept_redirects, even those that look unchanged', () => {
    const links = [link('lo'), link('enp0s8'), link('eth1')];
    // Before: forwarding off, but on for eth1 alone; a hardened host (accept_redirects off).
    const before = state({ links }, {
      'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0', 'net.ipv4.conf.all.accept_redirects': '0',
      'net.ipv4.conf.default.forwarding': '0', 'net.ipv4.conf.lo.forwarding': '0', 'net.ipv4.conf.enp0s8.forwarding': '0', 'net.ipv4.conf.eth1.forwarding': '1',
    });
    // After `sysctl -w net.ipv4.ip_forward=1`: every device on (eth1 looks unchanged), accept_redirects stays off.
    const now = state({ links }, {
      'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.conf.all.accept_redirects': '0',
      'net.ipv4.conf.default.forwarding': '1', 'net.ipv4.conf.lo.forwarding': '1', 'net.ipv4.conf.enp0s8.forwarding': '1', 'net.ipv4.conf.eth1.forwarding': '1',
    });
    const plan = restorePlan(before, now, { interfaces: [], namespaces: [] });
    // Writing ip_forward=0 turns every device off and accept_redirects on: what follows puts them back.
    expect(plan.sysctls.slice(0, 2).sort()).toEqual(['net.ipv4.conf.all.forwarding=0', 'net.ipv4.ip_forward=0']);
    expect(plan.sysctls.slice(2).sort()).toEqual([
      'net.ipv4.conf.all.accept_redirects=0', 'net.ipv4.conf.default.forwarding=0', 'net.ipv4.conf.enp0s8.forwarding=0', 'net.ipv4.conf.eth1.forwarding=1', 'net.ipv4.conf.lo.forwarding=0',
    ]);
    expect(plan.sysctls.indexOf('net.ipv4.conf.all.accept_redirects=0')).toBeGreaterThan(plan.sysctls.indexOf('net.ipv4.conf.all.forwarding=0'));
    // A device's own key alone is written alone.
    const one = restorePlan(before, state({ links }, { ...before.sysctls, 'net.ipv4.conf.enp0s8.forwarding': '1' }), { interfaces: [], namespaces: [] });
    expect(one.sysctls).toEqual(['net.ipv4.conf.enp0s8.forwarding=0']);
  });
});

describe('withoutLive', () => {
  it('takes out of a dead run\'s restore the names and sysctl keys a live run on the host claims, and says which', () => {
    const dead = state({ links: [link('lo'), link('enp0s8')] }, { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.enp0s8.rp_filter': '1' });
    const liveRun = { before: state({ links: [link('lo'), link('enp0s8')] }, { 'net.ipv4.ip_forward': '0' }), owned: { interfaces: ['vxlan0'], namespaces: ['vm0'] } };
    const r = withoutLive(dead, { interfaces: ['vxlan0', 'br9'], namespaces: ['vm0', 'vm1'] }, liveClaims([liveRun]));
    expect(r.owned).toEqual({ interfaces: ['br9'], namespaces: ['vm1'] });
    expect({ ...r.before.sysctls }).toEqual({ 'net.ipv4.conf.enp0s8.rp_filter': '1' });
    expect(r.skipped).toEqual(['device vxlan0', 'guest namespace vm0', 'sysctl net.ipv4.ip_forward']);
    // The live run's vxlan0, now on the host, is not deleted (the restore reads only the keys left: ip_forward is not among them).
    const now = state({ links: [link('lo'), link('enp0s8'), link('vxlan0', { linkinfo: { info_kind: 'vxlan' } })] }, { 'net.ipv4.conf.enp0s8.rp_filter': '1' });
    const plan = restorePlan(r.before, now, r.owned);
    expect(plan.ip).toEqual([]);
    expect(plan.sysctls).toEqual([]);
    expect(leftovers(r.before, now, r.owned)).toEqual([]);
  });
});

describe('theirSysctls', () => {
  const links = [link('lo'), link('enp0s8')];
  const before = state({ links }, { 'net.ipv4.conf.enp0s8.arp_announce': '0', 'net.ipv4.ip_local_port_range': '32768\t60999' });
  const owned = { interfaces: [], namespaces: [], sysctls: { 'net.ipv4.conf.enp0s8.arp_announce': ['1'], 'net.ipv4.ip_local_port_range': ['1000 2000'] } };

  it('restores a key that still holds a value the steps wrote (a vector compared word by word)', () => {
    const now = state({ links }, { 'net.ipv4.conf.enp0s8.arp_announce': '1', 'net.ipv4.ip_local_port_range': '1000\t2000' });
    expect(theirSysctls(before, now, owned).size).toBe(0);
    expect(restorePlan(before, now, owned).sysctls.sort()).toEqual(['net.ipv4.conf.enp0s8.arp_announce=0', 'net.ipv4.ip_local_port_range=32768\t60999']);
  });

  it('leaves a key the host\'s owner set since to a value of their own, names it not ours, and does not count it left', () => {
    const now = state({ links }, { 'net.ipv4.conf.enp0s8.arp_announce': '2', 'net.ipv4.ip_local_port_range': '32768\t60999' });
    expect([...theirSysctls(before, now, owned)]).toEqual([['net.ipv4.conf.enp0s8.arp_announce', '2']]);
    const plan = restorePlan(before, now, owned);
    expect(plan.sysctls).toEqual([]);
    expect(plan.notOurs).toEqual(['sysctl net.ipv4.conf.enp0s8.arp_announce = 2 (set since; the steps wrote 1)']);
    expect(leftovers(before, now, owned)).toEqual([]);
    // A marker without the values (older vxlab): restored as before.
    expect(restorePlan(before, now, { interfaces: [], namespaces: [] }).sysctls).toEqual(['net.ipv4.conf.enp0s8.arp_announce=0']);
  });

  it('a device\'s key follows its all key: the owner\'s all key leaves both; an owner\'s device key is written back after our all key', () => {
    const fwd = { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0', 'net.ipv4.conf.all.accept_redirects': '1', 'net.ipv4.conf.enp0s8.forwarding': '0' };
    const b = state({ links }, fwd);
    const wrote = { interfaces: [], namespaces: [], sysctls: { 'net.ipv4.ip_forward': ['1'] } };
    // The steps wrote ip_forward=1, which set every forwarding key: all ours.
    const ours = state({ links }, { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.conf.all.accept_redirects': '0', 'net.ipv4.conf.enp0s8.forwarding': '1' });
    expect(theirSysctls(b, ours, wrote).size).toBe(0);
    // The steps wrote enp0s8.forwarding=0 only (1 at the start); the owner since set all.forwarding=1: every key is theirs.
    const b1 = state({ links }, { ...fwd, 'net.ipv4.conf.enp0s8.forwarding': '1' });
    const theirsNow = state({ links }, { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.conf.all.accept_redirects': '0', 'net.ipv4.conf.enp0s8.forwarding': '1' });
    const allWrote = { interfaces: [], namespaces: [], sysctls: { 'net.ipv4.conf.all.forwarding': ['0'] } };
    expect([...theirSysctls(b1, theirsNow, allWrote).keys()].sort()).toEqual(['net.ipv4.conf.all.accept_redirects', 'net.ipv4.conf.all.forwarding', 'net.ipv4.ip_forward']);
    expect(restorePlan(b1, theirsNow, allWrote).sysctls).toEqual([]);
    // The steps wrote ip_forward=1; the owner since set enp0s8.forwarding=0 (1 before): the all keys go back, then the owner's 0.
    const owners = state({ links }, { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.forwarding': '1', 'net.ipv4.conf.all.accept_redirects': '0', 'net.ipv4.conf.enp0s8.forwarding': '0' });
    expect([...theirSysctls(b1, owners, wrote)]).toEqual([['net.ipv4.conf.enp0s8.forwarding', '0']]);
    const plan = restorePlan(b1, owners, wrote);
    expect(plan.sysctls.slice(0, 2).sort()).toEqual(['net.ipv4.conf.all.forwarding=0', 'net.ipv4.ip_forward=0']);
    expect(plan.sysctls.at(-1)).toBe('net.ipv4.conf.enp0s8.forwarding=0');
  });
});
