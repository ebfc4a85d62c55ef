import { describe, expect, it } from 'vitest';
import { parseTextEntry } from './text-entries.ts';

describe('parseTextEntry reads the tutorials\' lines', () => {
  it.each([
    ['fdb', '00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9 via eth0 self permanent', { mac: '00:00:00:00:00:00', dev: 'vxlan1', dst: '10.10.10.9', via: 'eth0', flags: ['self'], state: 'permanent' }],
    ['fdb', 'a6:8b:d5:2d:83:3c dev vxlan1 dst 10.10.10.9 self', { mac: 'a6:8b:d5:2d:83:3c', dev: 'vxlan1', dst: '10.10.10.9', flags: ['self'] }],
    ['fdb', '00:00:00:00:00:00 dev vxlan1 dst 224.0.0.1 via eth0 self permanent', { mac: '00:00:00:00:00:00', dev: 'vxlan1', dst: '224.0.0.1', via: 'eth0', flags: ['self'], state: 'permanent' }],
    ['fdb', '4e:e9:90:34:2e:b5 dev vxlan1 master br0', { mac: '4e:e9:90:34:2e:b5', dev: 'vxlan1', master: 'br0' }],
    ['fdb', '00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9 port 8472 vni 2 self', { mac: '00:00:00:00:00:00', dev: 'vxlan1', dst: '10.10.10.9', port: 8472, vni: 2, flags: ['self'] }],
    ['route', '192.168.1.0/24 dev vxlan1 proto kernel scope link src 192.168.1.3', { dst: '192.168.1.0/24', dev: 'vxlan1', proto: 'kernel', scope: 'link', src: '192.168.1.3' }],
    ['route', 'default via 10.10.10.1 dev eth0 metric 100', { dst: 'default', via: '10.10.10.1', dev: 'eth0', metric: 100 }],
    ['neigh', '192.168.1.4 dev vxlan1 lladdr a6:8b:d5:2d:83:3c STALE', { dst: '192.168.1.4', dev: 'vxlan1', lladdr: 'a6:8b:d5:2d:83:3c', state: 'STALE' }],
  ] as const)('%s: %s', (table, line, expected) => {
    expect(parseTextEntry(table, line)).toEqual(expected);
  });

  it.each([
    ['fdb', 'dev vxlan1 dst 10.10.10.9', /starts with a MAC address, not "dev"/],
    ['fdb', '00:00:00:00:00:00 dev vxlan1 bogus', /"bogus" is not a word of bridge fdb's output/],
    ['fdb', '00:00:00:00:00:00 dev', /"dev" in a bridge fdb line needs a value/],
    ['route', '10.0.0.0/8 dev eth0 shiny', /"shiny" is not a word of ip route's output/],
    ['neigh', '10.0.0.1 dev eth0 lladdr 00:11:22:33:44:55 HAPPY', /"HAPPY" is not a word/],
    ['route', '10.0.0.0/8 dev eth0 table 100', /"table" cannot be checked: a route check reads the main table/],
    ['neigh', '10.0.0.6 dev eth0 proxy', /"proxy" cannot be checked: the neighbour check reads ip neigh show, which lists no proxy entries/],
    ['link', 'vxlan1 mtu 1396', /link expectations are written as mappings; text lines work for fdb, route, neigh/],
  ] as const)('refuses %s line %j', (table, line, message) => {
    expect(() => parseTextEntry(table, line)).toThrow(message);
  });
});
