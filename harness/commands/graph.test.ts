import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, listScenarioNames, loadScenario } from '../scenario/resolve.ts';
import { scenarioGraph } from './graph.ts';

const graphOf = async (name: string) => scenarioGraph(await loadScenario(name));

/**
 * What a Mermaid flowchart needs to parse: one header, subgraphs closed, every node declared once
 * with a quoted label, and every edge between declared nodes.
 */
function structureProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.trimEnd().split('\n');
  if (lines[0] !== 'flowchart TB') problems.push(`header ${lines[0]}`);
  const declared = new Set<string>();
  const edges: [string, string][] = [];
  let depth = 0;
  for (const line of lines.slice(1)) {
    const t = line.trim();
    let m: RegExpExecArray | null;
    if ((m = /^subgraph (\w+)\["[^"]*"\]$/.exec(t))) {
      depth++;
      if (declared.has(m[1]!)) problems.push(`${m[1]} declared twice`);
      declared.add(m[1]!);
    } else if (t === 'end') {
      if (--depth < 0) problems.push('end without subgraph');
    } else if ((m = /^(\w+)(\(\(|\{\{|\[\/|\[)"[^"]*"(\)\)|\}\}|\\\]|\])$/.exec(t))) {
      if (declared.has(m[1]!)) problems.push(`${m[1]} declared twice`);
      declared.add(m[1]!);
    } else if ((m = /^(\w+) (---|-->|-\.->|===)(\|"[^"]*"\|)? (\w+)$/.exec(t))) {
      edges.push([m[1]!, m[4]!]);
    } else {
      problems.push(`cannot read: ${t}`);
    }
  }
  if (depth !== 0) problems.push(`${depth} subgraphs left open`);
  for (const [a, b] of edges) for (const end of [a, b]) if (!declared.has(end)) problems.push(`edge to undeclared ${end}`);
  return problems;
}

describe('graph NAME: a Mermaid flowchart of the lab', () => {
  it('is well formed for every scenario', async () => {
    for (const name of await listScenarioNames()) expect(structureProblems(await graphOf(name)), name).toEqual([]);
  });

  it('the structure check catches a broken chart (so it can fail)', () => {
    expect(structureProblems('flowchart TB\n  subgraph a["a"]\n  x["x"]\n  x --- y\n')).toEqual(['1 subgraphs left open', 'edge to undeclared y']);
  });

  it('multicast: every node with its NIC and address on the underlay switch, a VTEP in group 239.1.1.1 on it', async () => {
    const text = await graphOf('multicast');
    expect(text).toContain('underlay(("underlay switch<br/>192.168.8.0/24<br/>MTU 1500"))');
    for (const [n, last] of [[0, 2], [1, 3], [2, 4]] as const) {
      expect(text).toContain(`  subgraph n_node${n}["node${n}"]\n    n_node${n}_nic["enp0s8 (underlay NIC)<br/>192.168.8.10${n}/24"]\n`);
      expect(text).toContain(`i_node${n}_0{{"vxlan0 (vxlan)<br/>VNI 42 · group 239.1.1.1 · dstport 4789<br/>10.20.1.${last}/24"}}`);
      expect(text).toContain(`  n_node${n}_nic --- underlay\n  i_node${n}_0 -->|"dev enp0s8"| n_node${n}_nic\n`);
    }
  });

  it('p2p: each VTEP points at its remote peer NIC; node2 has only its NIC', async () => {
    const text = await graphOf('p2p');
    expect(text).toContain('i_node0_0 -.->|"remote 192.168.8.101"| n_node1_nic');
    expect(text).toContain('i_node1_0 -.->|"remote 192.168.8.100"| n_node0_nic');
    expect(text).toContain('  subgraph n_node2["node2"]\n    n_node2_nic["enp0s8 (underlay NIC)<br/>192.168.8.102/24"]\n  end\n');
  });

  it('bridge-netns: br0 with its two ports, and vm0 holding the veth that moved in as eth0', async () => {
    const text = await graphOf('bridge-netns');
    expect(text).toContain('i_test_1_3[/"br0 (bridge)"\\]');
    expect(text).toContain('i_test_1_0 ---|"port"| i_test_1_3');
    expect(text).toContain('i_test_1_2 ---|"port"| i_test_1_3');
    expect(text).toContain('    subgraph n_test_1_ns_vm0["netns vm0"]\n      i_test_1_1["eth0 (veth; created as veth0, moved in)<br/>192.168.1.3/24"]\n    end\n');
    expect(text).toContain('i_test_1_1 ===|"veth pair"| i_test_1_2');
  });

  it('multicast-containers: docker0 with both containers and the VTEP as ports on each node', async () => {
    const text = await graphOf('multicast-containers');
    for (const n of [0, 1, 2]) {
      expect(text).toContain(`i_node${n}_0[/"docker0 (bridge)<br/>192.168.0.${n + 1}/24"\\]`);
      for (const port of [2, 4, 5]) expect(text).toContain(`i_node${n}_${port} ---|"port"| i_node${n}_0`);
      expect(text).toContain(`subgraph n_node${n}_ns_c1["netns c1"]\n      i_node${n}_1["eth0 (veth; created as c1-eth0, moved in)<br/>192.168.0.${n + 1}0/24"]`);
    }
  });

  it("the README shows every scenario's graph as it is now, so none can drift", async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const shown = new Map([...readme.matchAll(/<!-- graph ([\w-]+) -->\n```mermaid\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));
    // A generated lab's graph (30 or 100 nodes) is too large to read in the README; it is not shown.
    const all = await listScenarioNames();
    const sizes = await Promise.all(all.map(async (n) => (await loadScenario(n)).lab.nodes.length));
    const names = all.filter((_, i) => sizes[i]! <= 12);
    expect(names.length).toBeLessThan(all.length);
    expect([...shown.keys()].sort()).toEqual([...names].sort());
    for (const name of names) expect(shown.get(name), name).toBe(await graphOf(name));
  });
});
