// `npm run lab -- graph NAME`: the lab as a Mermaid flowchart, derived from the lab file and the
// scenario's steps (lab/topology.ts). GitHub renders a ```mermaid block. Pure but for loading.
import type { Scenario } from '../lab/model.ts';
import { topologyOf, type Interface, type NodeTopology, type Topology } from '../lab/topology.ts';
import { loadScenario } from '../scenario/resolve.ts';

/** A label Mermaid reads as text: quotes become entities, lines join with <br/>. */
function label(lines: readonly string[]): string {
  return `"${lines.map((l) => l.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')).join('<br/>')}"`;
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_');
const nodeId = (node: string) => `n_${safe(node)}`;
const nicId = (node: string) => `${nodeId(node)}_nic`;
const ifaceId = (iface: Interface) => `i_${safe(iface.key)}`;

function describeInterface(iface: Interface): string[] {
  const lines: string[] = [];
  const history = [iface.createdAs ? `created as ${iface.createdAs}` : '', iface.movedIn ? 'moved in' : ''].filter(Boolean).join(', ');
  lines.push(`${iface.name} (${iface.kind}${history ? `; ${history}` : ''})`);
  if (iface.vxlan) {
    const v = iface.vxlan;
    const parts = [v.id !== undefined ? `VNI ${v.id}` : 'VNI ?', v.group ? `group ${v.group}` : '', v.remote ? `remote ${v.remote}` : '', v.local ? `local ${v.local}` : '', `dstport ${v.dstport ?? '8472 (default)'}`];
    lines.push(parts.filter(Boolean).join(' · '));
    if (v.flags.length > 0) lines.push(v.flags.join(' · '));
  }
  for (const entry of iface.fdb) lines.push(`fdb ${entry.mac}${entry.dst ? ` dst ${entry.dst}` : ''}`);
  lines.push(...iface.addresses);
  return lines;
}

/** A shape per kind: hexagon for a VTEP, trapezoid for a bridge, rectangle otherwise. */
function shape(iface: Interface): string {
  const text = label(describeInterface(iface));
  if (iface.kind === 'vxlan') return `{{${text}}}`;
  if (iface.kind === 'bridge') return `[/${text}\\]`;
  return `[${text}]`;
}

function nodeLines(node: NodeTopology, topology: Topology): string[] {
  const lines: string[] = [];
  const own = node.interfaces.filter((i) => i.netns === undefined);
  lines.push(`  subgraph ${nodeId(node.name)}[${label([node.name])}]`);
  lines.push(`    ${nicId(node.name)}[${label([`${node.nic.name} (underlay NIC)`, `${node.nic.address}/${node.nic.prefixLength}`])}]`);
  for (const iface of own) lines.push(`    ${ifaceId(iface)}${shape(iface)}`);
  for (const ns of node.namespaces) {
    lines.push(`    subgraph ${nodeId(node.name)}_ns_${safe(ns)}[${label([`netns ${ns}`])}]`);
    for (const iface of node.interfaces.filter((i) => i.netns === ns)) lines.push(`      ${ifaceId(iface)}${shape(iface)}`);
    lines.push('    end');
  }
  lines.push('  end');
  lines.push(`  ${nicId(node.name)} --- underlay`);
  const byName = (name: string, netns: string | undefined) => node.interfaces.find((i) => i.name === name && i.netns === netns);
  const nicOfAddress = (address: string) => topology.nodes.find((n) => n.nic.address === address);
  for (const iface of node.interfaces) {
    if (iface.vxlan?.dev !== undefined) {
      if (iface.vxlan.dev === node.nic.name && iface.netns === undefined) lines.push(`  ${ifaceId(iface)} -->|${label([`dev ${iface.vxlan.dev}`])}| ${nicId(node.name)}`);
    }
    if (iface.vxlan?.remote) {
      const peer = nicOfAddress(iface.vxlan.remote);
      if (peer) lines.push(`  ${ifaceId(iface)} -.->|${label([`remote ${iface.vxlan.remote}`])}| ${nicId(peer.name)}`);
    }
    for (const entry of iface.fdb) {
      const peer = entry.dst ? nicOfAddress(entry.dst) : undefined;
      if (peer) lines.push(`  ${ifaceId(iface)} -.->|${label([`fdb ${entry.mac}`])}| ${nicId(peer.name)}`);
    }
    const master = iface.master ? byName(iface.master, iface.netns) : undefined;
    if (master) lines.push(`  ${ifaceId(iface)} ---|${label(['port'])}| ${ifaceId(master)}`);
    const peer = iface.peer ? node.interfaces.find((i) => i.key === iface.peer) : undefined;
    // Each pair once: from the end created first.
    if (peer && node.interfaces.indexOf(iface) < node.interfaces.indexOf(peer)) lines.push(`  ${ifaceId(iface)} ===|${label(['veth pair'])}| ${ifaceId(peer)}`);
  }
  return lines;
}

/** The Mermaid flowchart of a topology. */
export function mermaidOf(topology: Topology): string {
  const lines = ['flowchart TB', `  underlay((${label(['underlay switch', topology.subnet, `MTU ${topology.mtu}`])}))`];
  for (const node of topology.nodes) lines.push(...nodeLines(node, topology));
  return `${lines.join('\n')}\n`;
}

export const scenarioGraph = (scenario: Scenario): string => mermaidOf(topologyOf(scenario));

/** The CLI verb: the flowchart of one scenario, as a fenced block with `--fenced`. */
export async function graph(name: string, options: { fenced: boolean }): Promise<string> {
  const text = scenarioGraph(await loadScenario(name));
  return options.fenced ? `\`\`\`mermaid\n${text}\`\`\`\n` : text;
}
