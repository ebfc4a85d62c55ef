// What a scenario builds, derived from its lab and its steps without running anything: per node,
// the underlay NIC, the interfaces the steps create (VTEPs, bridges, veths), their addresses and
// bridge ports, and the guest namespaces with what moved into them. The command policy reads each
// command (program, object, verb, where the object word is, what runs inside `ip netns exec`);
// this module only reads the keyword values that follow the verb. Pure.
import { commandFacts, type CommandFacts } from '../policy/policy.ts';
import type { Lab, Scenario } from './model.ts';

export interface VxlanSettings {
  id?: string;
  group?: string;
  remote?: string;
  local?: string;
  dstport?: string;
  dev?: string;
  /** Other words of note: nolearning, proxy. */
  flags: string[];
}

export interface Interface {
  /** Stable across renames and moves: the node and creation order. */
  key: string;
  name: string;
  /** The name it was created with, when renamed since. */
  createdAs?: string;
  kind: string;
  /** Guest namespace it lives in; undefined for the node's own. */
  netns?: string;
  /** Moved into its namespace after it was created there (`ip link set X netns NS`). */
  movedIn: boolean;
  addresses: string[];
  master?: string;
  vxlan?: VxlanSettings;
  /** A veth's other end (its key). */
  peer?: string;
  /** Static FDB entries added by hand (`bridge fdb append MAC dev X dst IP`). */
  fdb: { mac: string; dst?: string }[];
}

export interface NodeTopology {
  name: string;
  nic: { name: string; address: string; prefixLength: number };
  interfaces: Interface[];
  /** Guest namespaces, in the order the steps add them. */
  namespaces: string[];
}

export interface Topology {
  lab: string;
  subnet: string;
  mtu: number;
  nodes: NodeTopology[];
}

/** The word after `keyword` among argv[from..], or undefined. */
function valueOf(argv: readonly string[], from: number, keyword: string): string | undefined {
  for (let i = from; i < argv.length - 1; i++) if (argv[i] === keyword) return argv[i + 1];
  return undefined;
}

/** `ip -n NS ...` / `ip -netns NS ...`: the namespace a global option selects (the policy says one is there). */
function globalNetns(argv: readonly string[], objectIndex: number): string | undefined {
  for (let i = 1; i < objectIndex - 1; i++) {
    const word = argv[i]!.replace(/^--/, '-');
    if (word.length >= 2 && '-netns'.startsWith(word)) return argv[i + 1];
  }
  return undefined;
}

/** `ip link set { DEV | dev DEV } ...` or `ip addr add ... dev DEV`: the device argv names. */
function deviceOf(argv: readonly string[], from: number): string | undefined {
  return valueOf(argv, from, 'dev') ?? (argv[from] !== undefined && argv[from] !== 'dev' ? argv[from] : undefined);
}

class NodeBuilder {
  readonly interfaces: Interface[] = [];
  readonly namespaces: string[] = [];
  private created = 0;

  constructor(private readonly node: string) {}

  private find(name: string | undefined, netns: string | undefined): Interface | undefined {
    return name === undefined ? undefined : this.interfaces.find((i) => i.name === name && i.netns === netns);
  }

  private add(name: string, kind: string, netns: string | undefined): Interface {
    const iface: Interface = { key: `${this.node}#${this.created++}`, name, kind, netns, movedIn: false, addresses: [], fdb: [] };
    this.interfaces.push(iface);
    return iface;
  }

  /** Applies one command run in `netns` (undefined: the node's own namespace). */
  apply(argv: readonly string[], facts: CommandFacts, netns: string | undefined): void {
    const at = facts.objectIndex ?? 1;
    const args = at + 2; // first word after the verb
    if (facts.program === 'ip' && facts.object === 'netns') {
      const name = argv[at + 2];
      if (facts.verb === 'add' && name && !this.namespaces.includes(name)) this.namespaces.push(name);
      if (facts.verb === 'exec' && name && facts.nested) this.apply(argv.slice(at + 3), facts.nested, name);
      return;
    }
    const where = globalNetns(argv, at) ?? netns;
    if (facts.program === 'ip' && facts.object === 'link') this.link(argv, facts, args, where);
    else if (facts.program === 'ip' && facts.object === 'address' && facts.verb === 'add') {
      const iface = this.find(valueOf(argv, args, 'dev'), where);
      const address = argv[args] === 'local' ? argv[args + 1] : argv[args];
      if (iface && address) iface.addresses.push(address);
    } else if (facts.program === 'bridge' && facts.object === 'fdb' && (facts.verb === 'add' || facts.verb === 'append')) {
      const iface = this.find(valueOf(argv, args, 'dev'), where);
      const dst = valueOf(argv, args, 'dst');
      if (iface && argv[args]) iface.fdb.push({ mac: argv[args]!, ...(dst ? { dst } : {}) });
    }
  }

  private link(argv: readonly string[], facts: CommandFacts, args: number, netns: string | undefined): void {
    if (facts.verb === 'add') {
      const typeAt = argv.findIndex((w, i) => i >= args && w.length >= 2 && 'type'.startsWith(w));
      const kind = typeAt >= 0 ? (argv[typeAt + 1] ?? 'link') : 'link';
      const [name, peerName] = facts.createdInterfaces;
      const mainName = name ?? valueOf(argv, args, 'name') ?? argv[args]!;
      const iface = this.add(mainName, kind, netns);
      const after = typeAt >= 0 ? typeAt + 2 : argv.length;
      if (kind === 'vxlan') {
        const get = (k: string) => valueOf(argv, after, k);
        const vxlan: VxlanSettings = { flags: argv.slice(after).filter((w) => ['nolearning', 'proxy', 'learning', 'l2miss', 'l3miss'].includes(w)) };
        for (const [field, keyword] of [['id', 'id'], ['group', 'group'], ['remote', 'remote'], ['local', 'local'], ['dstport', 'dstport'], ['dev', 'dev']] as const) {
          const value = get(keyword) ?? (field === 'id' ? get('vni') : undefined);
          if (value !== undefined) vxlan[field] = value;
        }
        iface.vxlan = vxlan;
      }
      if (kind === 'veth') {
        const peerAt = argv.indexOf('peer', after - 1);
        const otherName = peerName ?? (argv[peerAt + 1] === 'name' ? argv[peerAt + 2] : argv[peerAt + 1]);
        if (otherName) {
          const movedTo = valueOf(argv, peerAt, 'netns');
          const other = this.add(otherName, 'veth', movedTo ?? netns);
          other.movedIn = movedTo !== undefined;
          iface.peer = other.key;
          other.peer = iface.key;
        }
      }
      return;
    }
    if (facts.verb !== 'set') return;
    const iface = this.find(deviceOf(argv, args), netns);
    if (!iface) return;
    const master = valueOf(argv, args, 'master');
    if (master) iface.master = master;
    if (argv.includes('nomaster')) delete iface.master;
    const rename = valueOf(argv, args, 'name');
    if (rename) {
      iface.createdAs ??= iface.name;
      iface.name = rename;
    }
    const movedTo = valueOf(argv, args, 'netns');
    if (movedTo) {
      iface.netns = movedTo;
      iface.movedIn = true;
      delete iface.master;
    }
  }
}

function labNodes(lab: Lab): NodeTopology[] {
  return lab.nodes.map((n) => ({ name: n.name, nic: { name: n.nic.name, address: n.nic.address, prefixLength: n.nic.prefixLength }, interfaces: [], namespaces: [] }));
}

/** The lab and what the scenario's steps build on it (checks' `run:` actions are left out). */
export function topologyOf(scenario: Pick<Scenario, 'lab' | 'steps'>): Topology {
  const nodes = labNodes(scenario.lab);
  const builders = new Map(nodes.map((n) => [n.name, new NodeBuilder(n.name)]));
  for (const step of scenario.steps) {
    const builder = builders.get(step.node)!;
    for (const command of step.commands) builder.apply(command.argv, commandFacts(command.argv), undefined);
  }
  return {
    lab: scenario.lab.name,
    subnet: `${scenario.lab.subnet.network}/${scenario.lab.subnet.prefixLength}`,
    mtu: scenario.lab.nodes[0]?.nic.mtu ?? 1500,
    nodes: nodes.map((n) => ({ ...n, interfaces: builders.get(n.name)!.interfaces, namespaces: builders.get(n.name)!.namespaces })),
  };
}

/** The vxlan module's port for a device created without `dstport` (or with `dstport 0`). */
export const LINUX_DEFAULT_VXLAN_PORT = 8472;

/** The UDP ports the steps' VXLAN devices use, sorted: what a capture decodes as VXLAN. */
export function vxlanPortsOf(scenario: Pick<Scenario, 'lab' | 'steps'>): number[] {
  const ports = new Set<number>();
  for (const node of topologyOf(scenario).nodes) {
    for (const iface of node.interfaces) {
      if (!iface.vxlan) continue;
      const port = Number(iface.vxlan.dstport ?? 0);
      ports.add(Number.isInteger(port) && port > 0 ? port : LINUX_DEFAULT_VXLAN_PORT);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
