import { describe, expect, it } from 'vitest';
import { differences, parseHostState, restorePlan, withoutForeign } from './host-state.ts';

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

  it('removes what the run added and puts back what it changed, only on devices that were there', () => {
    expect(restorePlan(before, after, { interfaces: ['vxlan0', 'br0'], namespaces: ['vm0'] })).toEqual({
      namespaces: ['vm0'],
      ip: [
        'link del dev vxlan0',
        'link del dev br0',
        'link set dev enp0s8 nomaster',
        'link set dev enp0s8 mtu 1500',
        'addr del 10.20.1.2/24 dev enp0s8',
        'addr add 192.168.8.100/24 dev enp0s8',
        'route del 10.30.0.0/16 dev enp0s8 table main',
        'route add 10.9.0.0/16 via 192.168.8.1 dev enp0s8 table main',
        'neigh del 10.20.1.3 dev enp0s8',
      ].map((l) => l.split(' ')),
      bridge: [],
      sysctls: ['net.ipv4.ip_forward=0'],
      removeNetnsDir: true,
      notOurs: [],
    });
  });

  it('deletes only the devices and namespaces the steps name; anything else new is not ours, left alone', () => {
    const plan = restorePlan(before, after, { interfaces: ['vxlan0'], namespaces: [] });
    expect(plan.ip).toContainEqual(['link', 'del', 'dev', 'vxlan0']);
    expect(plan.ip.flat()).not.toContain('br0');
    expect(plan.namespaces).toEqual([]);
    expect(plan.notOurs).toEqual(['device br0', 'guest namespace vm0']);
    // What is on a device that is not ours is theirs too: not a leftover of the run.
    const theirs = withoutForeign(before, after, { interfaces: ['vxlan0'], namespaces: [] });
    expect(differences(before, theirs).join('\n')).not.toMatch(/link br0|guest namespace vm0/);
  });

  it('reads a device named __proto__ or constructor as a device, and deletes it when the steps name it', () => {
    const weird = state({ links: [link('lo'), link('enp0s8'), link('__proto__'), link('constructor')] });
    expect(Object.keys(weird.links)).toEqual(['lo', 'enp0s8', '__proto__', 'constructor']);
    const plan = restorePlan(before, weird, { interfaces: ['__proto__'], namespaces: [] });
    expect(plan.ip.filter((w) => w[1] === 'del')).toEqual([['link', 'del', 'dev', '__proto__']]);
    expect(plan.notOurs).toEqual(['device constructor']);
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
