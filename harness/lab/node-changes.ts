// What a scenario's commands create or change on each node, by name: the interfaces, guest
// namespaces, FDB entries and sysctl keys. A backend that runs on real hosts checks them before the steps
// (nothing of that name may exist yet) and records the sysctls to restore afterwards.
import { commandFacts, readLinkArgs, type HostScope } from '../policy/policy.ts';
import type { CommandFacts } from '../policy/types.ts';
import type { Command, Scenario } from './model.ts';

/** An FDB entry as `bridge fdb add|append|replace` names it (the MAC in lower case). */
export interface FdbEntry {
  mac: string;
  dev: string;
  dst?: string;
  vlan?: number;
}

export interface NodeChanges {
  interfaces: string[];
  namespaces: string[];
  /** FDB entries the commands add (the same entry once). */
  fdb: FdbEntry[];
  /** net.* keys the commands write, dotted (`net.ipv4.ip_forward`). */
  sysctls: string[];
  /** key -> every value the commands write to it: a restore puts back only a key that still holds one. */
  sysctlWrites?: Record<string, string[]>;
  /** The commands that add routes or addresses in the host's own namespace (preflight holds them off the ssh connection). */
  addressing?: string[][];
}

/** sysctl's key, as procps reads it: if the first separator is `/`, `/` and `.` swap. */
function dottedKey(key: string): string {
  const first = /[./]/.exec(key)?.[0];
  return first === '/' ? key.replace(/[./]/g, (c) => (c === '/' ? '.' : '/')) : key;
}

function sysctlWrites(argv: readonly string[]): [string, string][] {
  if (argv[0] !== 'sysctl') return [];
  return argv.slice(1).filter((w) => !w.startsWith('-') && w.includes('=')).map((w) => [dottedKey(w.slice(0, w.indexOf('='))), w.slice(w.indexOf('=') + 1)]);
}

// bridge's fdb keywords that take a value (iproute2's fdb_modify); the rest after the MAC are flags.
const FDB_VALUE_WORDS = new Set(['dev', 'dst', 'vlan', 'port', 'dst_port', 'vni', 'via', 'src_vni', 'nhid']);

/** The entry a `bridge fdb add|append|replace` adds, or undefined for any other command. */
export function fdbEntryAdded(argv: readonly string[], facts: CommandFacts): FdbEntry | undefined {
  if (facts.program !== 'bridge' || facts.object !== 'fdb' || facts.objectIndex === undefined) return undefined;
  if (!['add', 'append', 'replace'].includes(facts.verb ?? '')) return undefined;
  // The policy holds the MAC to the word after the verb.
  const [first, ...words] = argv.slice(facts.objectIndex + 2);
  const mac = first?.toLowerCase();
  let dev: string | undefined;
  let dst: string | undefined;
  let vlan: number | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!FDB_VALUE_WORDS.has(word)) continue;
    const value = words[++i];
    if (word === 'dev') dev = value;
    else if (word === 'dst') dst = value;
    else if (word === 'vlan' && value !== undefined) vlan = Number(value);
  }
  if (!mac || !dev) return undefined;
  return { mac, dev, ...(dst !== undefined ? { dst } : {}), ...(vlan !== undefined ? { vlan } : {}) };
}

export const fdbEntryText = (f: FdbEntry): string => `${f.mac} dev ${f.dev}${f.dst !== undefined ? ` dst ${f.dst}` : ''}${f.vlan !== undefined ? ` vlan ${f.vlan}` : ''}`;

/** The names a node's commands create, as the host scope's `planned` (none for a node without changes). */
export function plannedOf(changes: NodeChanges | undefined): NonNullable<HostScope['planned']> {
  return { devices: new Set(changes?.interfaces ?? []), namespaces: new Set(changes?.namespaces ?? []) };
}

export function nodeChanges(scenario: Pick<Scenario, 'lab' | 'steps' | 'checks'>): Map<string, NodeChanges> {
  const changes = new Map(scenario.lab.nodes.map((n) => [n.name, { interfaces: [] as string[], namespaces: [] as string[], fdb: [] as FdbEntry[], sysctls: [] as string[] } as NodeChanges]));
  const note = (node: string, commands: readonly Command[]) => {
    const c = changes.get(node)!;
    for (const { argv } of commands) {
      const facts = commandFacts(argv);
      // `ip -n NS link add X` makes X inside guest NS, which goes with NS: not a name in the host's namespace.
      if (facts.globalNetns === undefined) c.interfaces.push(...facts.createdInterfaces);
      // `ip link set dev vx9 name lab9` on a device the steps made: the new name is theirs too.
      if (facts.program === 'ip' && facts.object === 'link' && facts.verb === 'set' && !facts.usesGuestNamespace) {
        const renamed = readLinkArgs(argv, (facts.objectIndex ?? 1) + 2).name;
        if (renamed) c.interfaces.push(renamed.value);
      }
      if (facts.program === 'ip' && facts.object === 'netns' && facts.verb === 'add' && facts.objectIndex !== undefined) {
        const name = argv[facts.objectIndex + 2];
        if (name) c.namespaces.push(name);
      }
      const entry = fdbEntryAdded(argv, facts);
      if (entry) c.fdb.push(entry);
      for (const [key, value] of sysctlWrites(argv)) {
        c.sysctls.push(key);
        // No prototype: a key is the scenario's word.
        c.sysctlWrites ??= Object.create(null) as Record<string, string[]>;
        if (!(c.sysctlWrites[key] ??= []).includes(value)) c.sysctlWrites[key].push(value);
      }
      if (facts.program === 'ip' && (facts.object === 'route' || facts.object === 'address') && facts.globalNetns === undefined) (c.addressing ??= []).push([...argv]);
    }
  };
  for (const step of scenario.steps) note(step.node, step.commands);
  for (const check of scenario.checks) {
    if (check.kind !== 'capture') continue;
    for (const action of check.during) if (action.kind === 'run') note(action.node, action.commands);
  }
  for (const c of changes.values()) {
    c.interfaces = [...new Set(c.interfaces)];
    c.namespaces = [...new Set(c.namespaces)];
    c.fdb = [...new Map(c.fdb.map((f) => [fdbEntryText(f), f])).values()];
    c.sysctls = [...new Set(c.sysctls)];
  }
  return changes;
}
