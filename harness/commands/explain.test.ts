import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, listScenarioNames, loadScenario } from '../scenario/resolve.ts';
import { explainScenario } from './explain.ts';

const explained = async (name: string) => explainScenario(await loadScenario(name));

describe('explain NAME', () => {
  it("lists every node's commands exactly as the scenario types them, in order, at the tutorial's prompt", async () => {
    for (const name of await listScenarioNames()) {
      const scenario = await loadScenario(name);
      const text = explainScenario(scenario);
      const typed = text.split('\n').filter((l) => /^ {4}root@[^:]+:~# /.test(l));
      const expected = scenario.lab.nodes.flatMap((n) => scenario.steps.filter((s) => s.node === n.name).flatMap((s) => s.commands.map((c) => `    root@${n.name}:~# ${c.text}`)));
      expect(typed, name).toEqual(expected);
      expect(expected.length, name).toBeGreaterThan(0);
    }
  });

  it('numbers every check by its name, in the order they run', async () => {
    for (const name of await listScenarioNames()) {
      const scenario = await loadScenario(name);
      const headings = explainScenario(scenario).split('\n').filter((l) => /^ {2}\d+\. /.test(l));
      expect(headings, name).toEqual(scenario.checks.map((c, i) => `  ${i + 1}. ${c.name}`));
    }
  });

  it('multicast: the why, node by node, and each check in plain words', async () => {
    const text = await explained('multicast');
    expect(text).toMatch(/^multicast: Multicast VXLAN on three nodes\nTutorial: seed 000 §2\.2 .*\nLab: three-nodes, Three Vagrant VMs on one L2 network\n/);
    expect(text).toContain('What the tutorial shows:\n  With `group 239.1.1.1` instead of `remote`, each VTEP joins a multicast group on the underlay.\n');
    expect(text).toContain('  node2 (enp0s8 192.168.8.102/24)\n    root@node2:~# ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8\n');
    expect(text).toContain(
      [
        '  1. vxlan0 on node0 joins group 239.1.1.1 with VNI 42 on UDP 4789, with no remote',
        '     reads the links and their VXLAN details on node0 (`ip -d link show`):',
        '       it holds an entry with dev vxlan0, vxlan id 42, group 239.1.1.1, dev enp0s8, port 4789',
        '       it holds no entry with dev vxlan0, vxlan remote one of 192.168.8.101, 192.168.8.102',
      ].join('\n'),
    );
    expect(text).toContain("while node1 runs `ip neigh flush dev vxlan0`, then node0 runs `ip neigh flush dev vxlan0`, then node0 runs `ping -c 1 10.20.1.3`; it sees:\n       exactly 1 packet: node0's ARP request goes to the group\n");
    expect(text).toContain('       no packet: no ICMP between node0 and node1 reaches node2\n');
    expect(text).toContain('  5. node0 reaches 10.20.1.3\n     `ping -c 3 10.20.1.3` on node0 gets all 3 replies within 5 s.\n');
  });

  it('p2p: a node with no commands says so; an unreachable ping says no reply is expected', async () => {
    const text = await explained('p2p');
    expect(text).toContain('  node2 (enp0s8 192.168.8.102/24)\n    nothing: this node only takes part in the checks\n');
    expect(text).toContain('`ping -c 1 10.20.1.4` on node0 gets no reply within 100 ms.');
  });

  it('multicast-containers: pings from a container, sizes and DF, a namespace table read with ip netns exec', async () => {
    const text = await explained('multicast-containers');
    expect(text).toContain('`ip netns exec c1 ping -c 1 -s 1423 -M do 192.168.0.20` on node0 with 1423-byte payloads, never fragmented gets no reply within 100 ms.');
    const bridge = await explained('bridge-netns');
    expect(bridge).toContain("reads the addresses on test-1's namespace vm0 (`ip netns exec vm0 ip addr show`):");
    expect(bridge).toContain('it holds no entry with mac 4e:e9:90:34:2e:b5, state permanent');
  });

  it("the README's excerpt is what explain prints, so it cannot drift", async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const excerpt = /<!-- explain multicast -->\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(excerpt?.length).toBeGreaterThan(100);
    expect(await explained('multicast')).toContain(excerpt);
  });
});
