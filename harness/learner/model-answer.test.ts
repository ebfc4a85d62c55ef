import { describe, expect, it } from 'vitest';
import type { NodeState } from '../commands/step.ts';
import { diagnose, factsBetween, findingLines, keyState, surviving } from './model-answer.ts';

type Tables = Record<string, Record<string, unknown>[]>;
const state = (places: Record<string, Tables>): NodeState =>
  new Map(Object.entries(places).map(([p, t]) => [p, new Map(Object.entries(t)) as never]));
const key = (s: NodeState) => keyState(s, new Set());

const empty = state({ '': { link: [{ dev: 'lo', flags: ['UP'], mtu: 65536 }], addr: [], fdb: [], neigh: [] } });
const added = state({
  '': {
    link: [{ dev: 'lo', flags: ['UP'], mtu: 65536 }, { dev: 'vxlan0', address: 'aa:bb:cc:00:00:01', flags: ['BROADCAST'], mtu: 1450, kind: 'vxlan', vxlan: { id: 42 } }],
    addr: [{ dev: 'vxlan0', address: '10.20.1.2/24', scope: 'global' }, { dev: 'vxlan0', address: 'fe80::1/64', scope: 'link' }],
    fdb: [
      { mac: '00:00:00:00:00:00', dev: 'vxlan0', dst: '239.1.1.1', state: 'permanent' },
      { mac: 'aa:bb:cc:00:00:01', dev: 'vxlan0', state: 'permanent' },
      { mac: '12:34:56:78:9a:bc', dev: 'vxlan0', dst: '192.168.8.101' },
    ],
    neigh: [{ dst: '10.20.1.3', dev: 'vxlan0', lladdr: '12:34:56:78:9a:bc', state: ['REACHABLE'] }],
  },
});
const up = state({ '': { ...Object.fromEntries(added.get('')!), link: [{ dev: 'lo', flags: ['UP'], mtu: 65536 }, { dev: 'vxlan0', address: 'aa:bb:cc:00:00:01', flags: ['BROADCAST', 'UP'], mtu: 1450, kind: 'vxlan', vxlan: { id: 42 } }] } as Tables });

describe('the model answer', () => {
  const create = factsBetween('node0', key(empty), key(added));
  const setUp = factsBetween('node0', key(added), key(up));

  it("credits a command with what it made, leaving out what traffic or the random MAC made", () => {
    const ids = [...new Set(create.map((f) => f.id))];
    expect(ids).toEqual(['link vxlan0', 'address 10.20.1.2/24 on vxlan0', 'fdb entry 00:00:00:00:00:00 dev vxlan0 dst 239.1.1.1', 'fdb entry (MAC of vxlan0) dev vxlan0']);
    expect(setUp).toEqual([{ node: 'node0', place: '', table: 'link', id: 'link vxlan0', field: 'up', value: 'up' }]);
  });

  it('keeps only what still holds at the end: the link made down and then set up is expected up', () => {
    const kept = surviving(create, key(up));
    expect(kept.find((f) => f.field === 'up')).toBeUndefined();
    expect(kept.find((f) => f.field === 'mtu')).toMatchObject({ value: '1450' });
  });

  it('names the command whose effect the lab lacks, and only that one', () => {
    const model = [
      { node: 'node0', command: 'ip link add vxlan0 type vxlan id 42', facts: surviving(create, key(up)) },
      { node: 'node0', command: 'ip link set vxlan0 up', facts: setUp },
    ];
    expect(diagnose(model, new Map([['node0', key(up)]]))).toEqual([]);
    expect(findingLines(diagnose(model, new Map([['node0', key(added)]])))).toEqual(['node0: `ip link set vxlan0 up` looks missing or wrong: link vxlan0 is down, expected up']);
    const lines = findingLines(diagnose(model, new Map([['node0', key(empty)]])));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^node0: `ip link add vxlan0 type vxlan id 42` looks missing or wrong: no link vxlan0; no address 10\.20\.1\.2\/24 on vxlan0; /);
  });

  it('says what differs when the command was typed with other values', () => {
    const other = state({ '': { ...Object.fromEntries(up.get('')!), link: [{ dev: 'vxlan0', flags: ['UP'], mtu: 1450, kind: 'vxlan', vxlan: { id: 43 } }] } as Tables });
    const model = [{ node: 'node0', command: 'ip link add vxlan0 type vxlan id 42', facts: surviving(create, key(up)) }];
    expect(findingLines(diagnose(model, new Map([['node0', key(other)]])))[0]).toContain('link vxlan0 has vxlan {"id":43}, expected {"id":42}');
  });
});
