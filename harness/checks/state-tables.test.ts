import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relevantEntries, judgeTable } from './state.ts';
import { parseTable } from './state-tables.ts';
import { matches } from './match.ts';
import { parseTextEntry } from '../scenario/text-entries.ts';

const json = (table: string) => readFileSync(new URL(`./fixtures/test-1-${table}.json`, import.meta.url), 'utf8');

describe('parseTable on real iproute2 JSON (bridge-netns, test-1)', () => {
  it('names FDB fields as the text output does', () => {
    const fdb = parseTable('fdb', json('fdb'));
    expect(fdb).toContainEqual({ mac: '00:00:00:00:00:00', dev: 'vxlan1', dst: '224.0.0.6', via: 'eth0', flags: ['self'], state: 'permanent' });
    expect(fdb).toContainEqual(expect.objectContaining({ mac: '4e:e9:90:34:2e:b5', dev: 'vxlan1', dst: '10.10.10.9', flags: ['self'] }));
    expect(fdb).toContainEqual(expect.objectContaining({ mac: '4e:e9:90:34:2e:b5', dev: 'vxlan1', master: 'br0' }));
  });

  it('reads VXLAN attributes of links', () => {
    const vxlan1 = parseTable('link', json('link')).find((l) => l.dev === 'vxlan1');
    expect(vxlan1).toMatchObject({ mtu: 1396, kind: 'vxlan', master: 'br0', vxlan: { id: 2, group: '224.0.0.6', dev: 'eth0', port: 4789, learning: true, proxy: false } });
  });

  it('reads routes with proto and src', () => {
    expect(parseTable('route', json('route'))).toContainEqual({ dst: '10.10.10.0/24', dev: 'eth0', proto: 'kernel', scope: 'link', src: '10.10.10.11', type: 'unicast', flags: [] });
  });
  it('names a route\'s type, unicast included (ip prints it only for the others)', () => {
    // Real `ip -j route show` output (iproute2 6.1) for `10.8.0.0/16 dev lo` and `blackhole 10.9.0.0/16`.
    const real = '[{"dst":"10.8.0.0/16","dev":"lo","scope":"link","flags":[]},{"type":"blackhole","dst":"10.9.0.0/16","flags":[]}]';
    const routes = parseTable('route', real);
    expect(routes).toEqual([{ dst: '10.8.0.0/16', dev: 'lo', scope: 'link', type: 'unicast', flags: [] }, { dst: '10.9.0.0/16', type: 'blackhole', flags: [] }]);
    expect(routes.map((r) => matches(parseTextEntry('route', 'blackhole 10.9.0.0/16'), r))).toEqual([false, true]);
    expect(routes.map((r) => matches({ type: 'unicast' }, r))).toEqual([true, false]);
  });

  it('reads bridge ports', () => {
    expect(parseTable('bridgeLink', json('bridgeLink'))).toEqual([
      expect.objectContaining({ dev: 'vxlan1', master: 'br0', state: 'forwarding', mtu: 1396 }),
      expect.objectContaining({ dev: 'veth1', master: 'br0', state: 'forwarding', mtu: 1500 }),
    ]);
  });

  it('reads addresses one entry each, as `ip addr show` prints them', () => {
    const json = JSON.stringify([
      { ifname: 'lo', mtu: 65536, operstate: 'UNKNOWN', address: '00:00:00:00:00:00', flags: ['LOOPBACK'], addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
      { ifname: 'vxlan1', mtu: 1396, operstate: 'DOWN', address: '86:65:ef:3d:a1:e7', flags: ['BROADCAST', 'MULTICAST'], addr_info: [] },
    ]);
    expect(parseTable('addr', json)).toEqual([
      { dev: 'lo', mtu: 65536, state: 'UNKNOWN', mac: '00:00:00:00:00:00', flags: ['LOOPBACK'], address: '127.0.0.1/8', family: 'inet', scope: 'host' },
      { dev: 'vxlan1', mtu: 1396, state: 'DOWN', mac: '86:65:ef:3d:a1:e7', flags: ['BROADCAST', 'MULTICAST'] },
    ]);
  });

  it('reads neighbours, and an empty answer as no entries', () => {
    expect(parseTable('neigh', json('neigh'))).toContainEqual(expect.objectContaining({ dst: '10.10.10.9', dev: 'eth0', lladdr: 'fa:16:3e:50:61:0d' }));
    expect(parseTable('neigh', '')).toEqual([]);
  });
});

describe('every key a tutorial fdb line can name is one the reader produces', () => {
  // Real `bridge -j fdb show` output (iproute2 6.1): an external VTEP's entry with src_vni, one
  // behind a nexthop group, and one added `dynamic` (learned entries look the same: state "").
  const real = JSON.stringify([
    { mac: '00:11:22:33:44:55', ifname: 'vx', dst: '10.0.0.1', src_vni: 100, flags: ['self'], state: 'permanent' },
    { mac: '00:11:22:33:44:77', ifname: 'vy', dst: '10.0.0.2', flags: ['self'], state: '' },
    { mac: '00:11:22:33:44:66', ifname: 'vy', nhid: 2, flags: ['self'], state: 'permanent' },
  ]);
  const table = parseTable('fdb', real);
  it.each([
    ['00:11:22:33:44:55 dev vx dst 10.0.0.1 src_vni 100 self permanent', 0],
    ['00:11:22:33:44:77 dev vy dst 10.0.0.2 self dynamic', 1],
    ['00:11:22:33:44:66 dev vy nhid 2 self permanent', 2],
  ] as const)('%s matches the entry it was printed from, and only that one', (line, index) => {
    const expectation = parseTextEntry('fdb', line);
    expect(table.map((entry) => matches(expectation, entry))).toEqual(table.map((_, i) => i === index));
  });
  it('so a lacks on them can fail', () => {
    expect(judgeTable({ lacks: [parseTextEntry('fdb', '00:11:22:33:44:55 src_vni 100')] }, table).problems).toHaveLength(1);
    expect(judgeTable({ lacks: [parseTextEntry('fdb', '00:11:22:33:44:66 nhid 2')] }, table).problems).toHaveLength(1);
    expect(judgeTable({ lacks: [{ state: 'dynamic' }] }, table).problems).toHaveLength(1);
  });
});

describe('route flags and router neighbours, as the reader produces them', () => {
  it('a tutorial line\'s linkdown, onlink and router match only entries that have them', () => {
    // Real `ip -j route show` and `ip -j neigh show` output (iproute2 6.1), a veth whose peer is down.
    const routes = parseTable('route', '[{"dst":"10.0.0.0/24","dev":"d0","protocol":"kernel","scope":"link","prefsrc":"10.0.0.1","flags":["linkdown"]},{"dst":"10.7.0.0/16","gateway":"10.9.9.9","dev":"d0","flags":["onlink","linkdown"]}]');
    expect(routes.map((r) => matches(parseTextEntry('route', '10.7.0.0/16 via 10.9.9.9 dev d0 onlink linkdown'), r))).toEqual([false, true]);
    expect(routes.map((r) => matches(parseTextEntry('route', '10.0.0.0/24 dev d0 proto kernel scope link src 10.0.0.1 linkdown'), r))).toEqual([true, false]);
    expect(routes.map((r) => matches(parseTextEntry('route', '10.0.0.0/24 dev d0 onlink'), r))).toEqual([false, false]);
    const neighbours = parseTable('neigh', '[{"dst":"10.0.0.5","dev":"d0","lladdr":"02:00:00:00:00:05","router":null,"state":["PERMANENT"]},{"dst":"10.0.0.7","dev":"d0","lladdr":"02:00:00:00:00:07","state":["STALE"]}]');
    expect(neighbours.map((n) => matches(parseTextEntry('neigh', '10.0.0.5 dev d0 lladdr 02:00:00:00:00:05 router PERMANENT'), n))).toEqual([true, false]);
    expect(neighbours.map((n) => matches(parseTextEntry('neigh', '10.0.0.7 dev d0 router'), n))).toEqual([false, false]);
  });
});

describe('judgeTable', () => {
  const fdb = parseTable('fdb', json('fdb'));

  it('passes contains when each expectation matches some entry', () => {
    expect(judgeTable({ dev: 'vxlan1', contains: [{ mac: '00:00:00:00:00:00', dst: '224.0.0.6' }] }, fdb).problems).toEqual([]);
  });
  it('says which expected entry is missing', () => {
    expect(judgeTable({ contains: [{ mac: '00:00:00:00:00:00', dst: '10.10.10.9' }] }, fdb).problems).toEqual([
      'missing an entry like {"mac":"00:00:00:00:00:00","dst":"10.10.10.9"}',
    ]);
  });
  it('names the entries that lacks forbids, and those only does not allow', () => {
    const lacks = judgeTable({ dev: 'vxlan1', lacks: [{ mac: '4e:e9:90:34:2e:b5', flags: ['self'], dst: '10.10.10.9' }] }, fdb);
    expect(lacks.problems).toEqual([expect.stringMatching(/^has \{"mac":"4e:e9:90:34:2e:b5".*which matches/)]);
    const only = judgeTable({ dev: 'vxlan1', only: [{ state: 'permanent' }] }, fdb);
    expect(only.problems.length).toBeGreaterThan(0);
    expect(only.problems.every((p) => p.endsWith('which none of the expected entries allows'))).toBe(true);
  });
  it('filters by device first', () => {
    expect(judgeTable({ dev: 'eth0', lacks: [{ mac: '4e:e9:90:34:2e:b5' }] }, fdb).problems).toEqual([]);
    expect(judgeTable({ dev: 'vxlan1', lacks: [{ mac: '4e:e9:90:34:2e:b5' }] }, fdb).problems).not.toEqual([]);
  });
  it('shows the entries of the devices an expectation names', () => {
    expect(relevantEntries({ contains: [{ dev: 'vxlan1' }] }, fdb).every((e) => e.dev === 'vxlan1')).toBe(true);
    expect(relevantEntries({ contains: [{ mac: 'x' }] }, fdb)).toBe(fdb);
  });
});
