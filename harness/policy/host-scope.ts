// The policy's scope for a node that is a real host (the ssh backend): no sandbox, no namespace
// of vxlab's own, so the policy is the only layer between a scenario and the host's network.
// A command may change only what the steps create there (devices, guest namespaces); the lab's
// NIC may be read and be the lower device of a device the steps create; everything inside a
// guest namespace the steps create is the lab's. Pure; reads argv through the policy's own
// reading (readCommand's facts), so there is one parser.
import { getoptLong, isProblem } from './getopt.ts';
import { PING_GETOPT } from './ping.ts';
import { TCPDUMP_GETOPT } from './tcpdump.ts';
import type { ArgvProblem, CommandFacts, Reading } from './types.ts';

export interface HostScope {
  /** Devices the node's steps create in the host's own namespace (and names they rename them to). */
  devices: ReadonlySet<string>;
  /** Guest namespaces the node's steps create. */
  namespaces: ReadonlySet<string>;
  /** The lab's NIC on this host. */
  nic: string;
}

type Read = (argv: readonly string[], base: number) => Reading;

const READ_VERBS = new Set(['show', 'list', 'get', 'help', 'xstats', 'afstats', 'list-id', 'identify', 'monitor']);
/** `ip rule`, `ip nexthop`, `ip ntable` verbs that only read (iproute2 matches prefixes: `ip rule s`). */
const readOnlyWord = (w: string | undefined) => w === undefined || ['show', 'list', 'lst', 'get', 'help'].some((v) => v.startsWith(w));

const problem = (index: number, message: string): ArgvProblem => ({ index, message });

function created(scope: HostScope, index: number, dev: string | undefined, doing: string): ArgvProblem | undefined {
  if (dev === undefined) return problem(index, `${doing} without naming a device; on an ssh host, name one the steps create`);
  if (scope.devices.has(dev)) return undefined;
  const whose = dev === scope.nic ? `the host's NIC ${dev}` : `"${dev}", which the steps do not create`;
  return problem(index, `${doing} ${whose}; on an ssh host a command may change only devices the steps create (${[...scope.devices].join(', ') || 'none'})`);
}

function readable(scope: HostScope, index: number, dev: string): ArgvProblem | undefined {
  if (scope.devices.has(dev) || dev === scope.nic) return undefined;
  return problem(index, `reads device "${dev}", which is neither the lab's NIC ${scope.nic} nor one the steps create; on an ssh host the rest of the host is not the lab's`);
}

function namespaceProblem(scope: HostScope, index: number, ns: string | undefined): ArgvProblem | undefined {
  if (ns === undefined || scope.namespaces.has(ns)) return undefined;
  return problem(index, `names guest namespace "${ns}", which the steps do not create; on an ssh host a command may use only the steps' own (${[...scope.namespaces].join(', ') || 'none'})`);
}

/** Every `netns NS`, `link-netns NS` after `from`: where a device may be moved. */
function namespaceWords(argv: readonly string[], from: number, scope: HostScope): ArgvProblem | undefined {
  for (let j = from; j < argv.length - 1; j++) {
    if (argv[j] === 'netns' || (argv[j]!.length > 4 && 'link-netns'.startsWith(argv[j]!))) {
      const p = namespaceProblem(scope, j + 1, argv[j + 1]);
      if (p) return p;
    }
  }
  return undefined;
}

/** Indices of `KEYWORD value` pairs in argv[from..]. */
function valuesOf(argv: readonly string[], from: number, keywords: readonly string[]): { index: number; value: string }[] {
  const found: { index: number; value: string }[] = [];
  for (let j = from; j < argv.length - 1; j++) if (keywords.includes(argv[j]!)) found.push({ index: j + 1, value: argv[j + 1]! });
  return found;
}

/** Inside a guest namespace the steps created: its devices are the lab's; only other namespaces matter. */
function inGuest(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  if (facts.program !== 'ip' && facts.program !== 'bridge' && facts.program !== 'tc') return undefined;
  const at = base + (facts.objectIndex ?? 1);
  const g = namespaceProblem(scope, facts.globalNetns === undefined ? base : argv.indexOf(facts.globalNetns, base + 1), facts.globalNetns);
  if (g) return g;
  if (facts.object === 'netns') return netnsCommand(argv, at, facts, scope, read);
  return namespaceWords(argv, at + 1, scope);
}

/** `ip netns VERB NAME ...`: only the steps' namespaces; what `exec` runs is inside one of them. */
function netnsCommand(argv: readonly string[], at: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  const verb = facts.verb ?? 'list';
  if (!['add', 'delete', 'exec', 'pids'].includes(verb)) return undefined;
  const p = namespaceProblem(scope, at + 2, argv[at + 2]);
  if (p || verb !== 'exec') return p;
  const nested = at + 3;
  const reading = read(argv, nested);
  return reading.facts ? inGuest(argv, nested, reading.facts, scope, read) : reading.problem;
}

function ipCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  if (facts.object === 'netns') return netnsCommand(argv, at, facts, scope, read);
  const verb = facts.verb;
  const rest = at + 2;
  const devs = () => valuesOf(argv, rest, ['dev']);
  switch (facts.object) {
    case 'link': {
      const moved = namespaceWords(argv, rest, scope);
      if (moved) return moved;
      if (verb === 'add') {
        // Creates; what it is built on may be the NIC (a VXLAN's `dev enp0s8`), what it joins must be the lab's.
        for (const { index, value } of valuesOf(argv, rest, ['dev', 'link'])) {
          if (!scope.devices.has(value) && value !== scope.nic) return problem(index, `builds on device "${value}", which is neither the lab's NIC ${scope.nic} nor one the steps create`);
        }
        for (const { index, value } of valuesOf(argv, rest, ['master'])) {
          const p = created(scope, index, value, 'joins the new device to');
          if (p) return p;
        }
        return undefined;
      }
      if (verb === undefined || READ_VERBS.has(verb)) {
        for (const { index, value } of valuesOf(argv, rest, ['dev', 'master'])) {
          const p = readable(scope, index, value);
          if (p) return p;
        }
        return undefined;
      }
      // set, change, replace, delete, property: the device itself, then whatever it is joined to.
      if (argv[rest] === 'group') return problem(rest, 'acts on a group of devices, which may be the host\'s; name one device the steps create');
      const word = argv[rest];
      // `name X` first is the NEW name: iproute2 takes the device from a bare word further on.
      if (word === 'name') return problem(rest, `names the new name before the device; on an ssh host write \`ip link ${verb} dev DEVICE name NEWNAME\`, the device one the steps create`);
      const target = word === 'dev' ? { index: rest + 1, value: argv[rest + 1] } : { index: rest, value: word };
      const p = created(scope, target.index, target.value, `changes (${verb})`);
      if (p) return p;
      for (const { index, value } of valuesOf(argv, target.index + 1, ['master', 'dev'])) {
        const q = created(scope, index, value, 'joins it to');
        if (q) return q;
      }
      return undefined;
    }
    case 'address':
    case 'neighbor':
    case 'maddress': {
      if (verb === undefined || READ_VERBS.has(verb) || (facts.object === 'maddress' && readOnlyWord(argv[at + 1]))) {
        for (const { index, value } of devs()) {
          const p = readable(scope, index, value);
          if (p) return p;
        }
        return undefined;
      }
      const found = devs();
      if (found.length === 0) return created(scope, at + 1, undefined, `changes ${facts.object === 'neighbor' ? 'neighbours' : 'addresses'} (${verb ?? argv[at + 1]})`);
      for (const { index, value } of found) {
        const p = created(scope, index, value, `changes ${facts.object === 'neighbor' ? 'neighbours' : 'addresses'} (${verb ?? argv[at + 1]}) on`);
        if (p) return p;
      }
      return undefined;
    }
    case 'route': {
      if (verb === undefined || READ_VERBS.has(verb)) return undefined;
      if (verb === 'flush') return problem(at + 1, '`ip route flush` would remove the host\'s own routes; on an ssh host a route may be added or removed only on a device the steps create');
      // `oif` is `dev` to ip route (the last one named wins).
      const found = valuesOf(argv, rest, ['dev', 'oif']);
      if (found.length === 0) return created(scope, at + 1, undefined, `changes the host's routes (${verb})`);
      for (const { index, value } of found) {
        const p = created(scope, index, value, `changes a route (${verb}) on`);
        if (p) return p;
      }
      return undefined;
    }
    case 'rule':
    case 'nexthop':
    case 'ntable':
      if (readOnlyWord(argv[at + 1])) return undefined;
      return problem(at + 1, `changes the host's ${facts.object === 'rule' ? 'policy routing rules' : facts.object === 'nexthop' ? 'nexthops' : 'neighbour tables'} (\`ip ${facts.object} ${argv[at + 1]}\`), which nothing records or restores; on an ssh host only the steps' own devices change`);
    default:
      return undefined;
  }
}

function bridgeCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  const verb = facts.verb ?? argv[at + 1];
  const pairs = valuesOf(argv, at + 2, ['dev', 'br', 'port', 'via', 'master']);
  if (readOnlyWord(verb)) {
    for (const { index, value } of pairs) {
      const p = readable(scope, index, value);
      if (p) return p;
    }
    return undefined;
  }
  if (pairs.length === 0) return created(scope, at + 1, undefined, `changes bridge ${facts.object ?? ''} entries (${verb ?? ''})`);
  for (const { index, value } of pairs) {
    const p = created(scope, index, value, `changes bridge ${facts.object ?? ''} entries (${verb ?? ''}) on`);
    if (p) return p;
  }
  return undefined;
}

function tcCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  const pairs = valuesOf(argv, at + 2, ['dev']);
  if (facts.verb === undefined || ['show', 'list', 'get', 'help'].includes(facts.verb)) {
    for (const { index, value } of pairs) {
      const p = readable(scope, index, value);
      if (p) return p;
    }
    return undefined;
  }
  // A qdisc or filter on a device the steps create goes with it; anywhere else nothing restores it.
  if (pairs.length === 0) return created(scope, at + 1, undefined, `changes traffic control (tc ${facts.object ?? ''} ${facts.verb})`);
  for (const { index, value } of pairs) {
    const p = created(scope, index, value, `changes traffic control (tc ${facts.object ?? ''} ${facts.verb}) on`);
    if (p) return p;
  }
  return undefined;
}

/** tcpdump -i DEV, ping -I DEV: read the NIC or the steps' devices (ping -I may also give an address). */
function interfaceOption(argv: readonly string[], base: number, scope: HostScope, program: 'tcpdump' | 'ping'): ArgvProblem | undefined {
  const parsed = getoptLong(argv, base + 1, program === 'tcpdump' ? TCPDUMP_GETOPT : PING_GETOPT);
  if (isProblem(parsed)) return parsed;
  for (const o of parsed.options) {
    if (o.id !== (program === 'tcpdump' ? 'i' : 'I') || o.value === undefined) continue;
    if (program === 'ping' && /^[\d.]+$|:/.test(o.value)) continue;
    const p = readable(scope, o.valueIndex ?? o.index, o.value);
    if (p) return p;
  }
  return undefined;
}

/** `sysctl -w net.ipv4.conf.DEV.x=1`: a per-device key names the NIC or one of the steps' devices. */
function sysctlCommand(argv: readonly string[], base: number, scope: HostScope): ArgvProblem | undefined {
  for (let j = base + 1; j < argv.length; j++) {
    const w = argv[j]!;
    if (!w.includes('=')) continue;
    const m = /^net[./](?:ipv4|ipv6)[./](?:conf|neigh)[./]([^./=]+)[./]/.exec(w);
    if (m && m[1] !== 'all' && m[1] !== 'default' && !scope.devices.has(m[1]!) && m[1] !== scope.nic) {
      return problem(j, `sets a key of device "${m[1]}", which is neither the lab's NIC ${scope.nic} nor one the steps create`);
    }
  }
  return undefined;
}

/** The problem with an allowed command (its facts read) on a real host, or undefined when it stays in scope. */
export function hostScopeProblemOf(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  if (facts.globalNetns !== undefined) return inGuest(argv, base, facts, scope, read);
  switch (facts.program) {
    case 'ip':
      return ipCommand(argv, base, facts, scope, read);
    case 'bridge':
      return bridgeCommand(argv, base, facts, scope);
    case 'tc':
      return tcCommand(argv, base, facts, scope);
    case 'tcpdump':
    case 'ping':
      return interfaceOption(argv, base, scope, facts.program);
    case 'sysctl':
      return sysctlCommand(argv, base, scope);
  }
}
