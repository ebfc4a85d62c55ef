import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenarioText } from '../scenario/resolve.ts';
import { nodeChanges } from './node-changes.ts';

describe('nodeChanges', () => {
  it('names the interfaces and guest namespaces the steps create, per node', async () => {
    const changes = nodeChanges(await loadScenario('bridge-netns'));
    const all = [...changes.values()];
    expect(all.some((c) => c.namespaces.includes('vm0'))).toBe(true);
    expect(all.some((c) => c.interfaces.includes('br0'))).toBe(true);
  });

  it('names p2p\'s vxlan0 on node0 and node1 and nothing on node2', async () => {
    const changes = nodeChanges(await loadScenario('p2p'));
    expect(changes.get('node0')).toEqual({ interfaces: ['vxlan0'], namespaces: [], sysctls: [] });
    expect(changes.get('node2')).toEqual({ interfaces: [], namespaces: [], sysctls: [] });
  });

  it('names a device the steps create under its new name too, when they rename it', async () => {
    const text = 'lab: three-nodes\ntitle: t\ntutorial: t\nexplain: t\nsteps:\n  - node: node0\n    run:\n      - ip link add vx9 type bridge\n      - ip link set dev vx9 name __proto__\nchecks:\n  - ping: { from: node0, to: 192.168.8.101 }\n';
    const changes = nodeChanges(await parseScenarioText('rename.yaml', text));
    expect(changes.get('node0')!.interfaces).toEqual(['vx9', '__proto__']);
  });
});
