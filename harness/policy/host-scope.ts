// The policy's scope for a node that is a real host (the ssh backend): no sandbox, no namespace
// of vxlab's own, so the policy is the only layer between a scenario and the host's network.
// A command may change only what the steps create there (devices, guest namespaces); the lab's
// NIC may be read and be the lower device of a device the steps create; everything inside a
// guest namespace the steps create is the lab's. Pure; reads argv through the policy's own
// reading (readCommand's facts), so there is one parser.
import { isIP } from 'node:net';
import { getoptLong, isProblem } from './getopt.ts';
import { linkAddNames, readLinkArgs, type LinkArgs } from './ip.ts';
import { matches } from './iproute2-matching.ts';
import { PING_GETOPT } from './ping.ts';
import { covers, readAddress, readPrefix } from './prefixes.ts';
import { slashdot, SYSCTL_GETOPT } from './sysctl.ts';
import { TCPDUMP_GETOPT } from './tcpdump.ts';
import type { ArgvProblem, CommandFacts, Reading } from './types.ts';

/** An address the ssh connection to a host depends on: one of its two ends, or the gateway the host reaches the harness through. */
export interface GuardedAddress {
  address: string;
  role: 'end' | 'gateway';
}

export interface HostScope {
  /** Devices the node's steps create in the host's own namespace (and names they rename them to). */
  devices: ReadonlySet<string>;
  /** Guest namespaces the node's steps create. */
  namespaces: ReadonlySet<string>;
  /** The lab's NIC on this host. */
  nic: string;
  /**
   * Addresses no route or address a command adds in the host's namespace may cover: the ends of
   * the ssh connection vxlab reaches the host by ($SSH_CONNECTION) and its gateway, once known.
   */
  protect?: readonly GuardedAddress[];
  /**
   * The names the scenario's commands create on this node (node-changes.ts): what teardown deletes.
   * When given, nothing else may be created (a learner's `exec` could otherwise leave a device
   * that no teardown owns).
   */
  planned?: { devices: ReadonlySet<string>; namespaces: ReadonlySet<string> };
  /** Devices the steps create on the NIC that share its link (macvlan, ipvlan, vlan...): they stay in the host's namespace. */
  onNic?: ReadonlySet<string>;
  /**
   * What each created device goes with (a veth's other end, or the guest namespace that end went
   * to): deleting that takes the device too, and its name must leave the scope then, or a host
   * device later found by that name would count as the run's.
   */
  goesWith?: ReadonlyMap<string, { device?: string; namespace?: string; movedAway?: 'dies' }>;
}

/** The scope before any step ran: nothing created yet (a device counts from the step that creates it). */
export const startScope = (nic: string, options: { protect?: readonly GuardedAddress[]; planned?: HostScope['planned'] } = {}): HostScope => ({ devices: new Set(), namespaces: new Set(), nic, ...options });

function unplanned(scope: HostScope, index: number, name: string, what: 'device' | 'guest namespace'): ArgvProblem | undefined {
  const planned = what === 'device' ? scope.planned?.devices : scope.planned?.namespaces;
  if (!planned || planned.has(name)) return undefined;
  return problem(index, `creates ${what} "${name}", which the scenario's steps do not; on an ssh host only what they create is deleted at teardown (${[...planned].join(', ') || 'none'})`);
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

/**
 * Every `netns NS` after `from`: where a device may be moved. `link-netns` is refused: a veth's
 * peer made there carries a name the host scope would take for one in the host's namespace.
 */
function namespaceWords(argv: readonly string[], from: number, scope: HostScope): ArgvProblem | undefined {
  for (let j = from; j < argv.length - 1; j++) {
    if (argv[j]!.length > 4 && 'link-netns'.startsWith(argv[j]!)) return problem(j, `uses \`${argv[j]}\` (the namespace a veth's peer is made in, or a device's link is in), which vxlab does not follow on an ssh host; write \`peer name NAME netns NS\``);
    if (argv[j] === 'netns') {
      const p = namespaceProblem(scope, j + 1, argv[j + 1]);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * After `type KIND` the kind's own parser reads the words: vxlan, gre, gre6, ip6tnl take the lower
 * device with matches("dev") (iproute2 v6.1.0 ip/iplink_vxlan.c:135, link_gre.c:274), so `d`
 * and `de` are `dev` there. Every kind's words are read that way (stricter for the others).
 */
function kindDevices(argv: readonly string[], from: number, also: readonly string[]): { index: number; value: string }[] {
  const found: { index: number; value: string }[] = [];
  for (let j = from; j < argv.length - 1; j++) if (matches(argv[j]!, 'dev') || also.includes(argv[j]!)) found.push({ index: j + 1, value: argv[j + 1]! });
  return found;
}

/** Indices of `KEYWORD value` pairs in argv[from..]. */
function valuesOf(argv: readonly string[], from: number, keywords: readonly string[]): { index: number; value: string }[] {
  const found: { index: number; value: string }[] = [];
  for (let j = from; j < argv.length - 1; j++) if (keywords.includes(argv[j]!)) found.push({ index: j + 1, value: argv[j + 1]! });
  return found;
}

/** Inside a guest namespace the steps created: its devices are the lab's; only other namespaces matter. */
function inGuest(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope): ArgvProblem | undefined {
  if (facts.program !== 'ip' && facts.program !== 'bridge' && facts.program !== 'tc') return undefined;
  const at = base + (facts.objectIndex ?? 1);
  const g = namespaceProblem(scope, facts.globalNetns === undefined ? base : argv.indexOf(facts.globalNetns, base + 1), facts.globalNetns);
  if (g) return g;
  // /run/netns is the host's whichever network namespace ip runs in: what `ip -n NS netns add`
  // (or `ip netns exec NS ip netns add`) makes there follows no scope.
  const family = bridgeFamilyChange(argv, base, at, facts);
  if (family) return family;
  if (facts.object === 'netns') return problem(at, `runs \`ip netns\` inside guest namespace ${facts.globalNetns ?? guestOf(argv, base)}, which still changes the host's /run/netns; on an ssh host write \`ip netns ...\` at the top level`);
  // A device moved on from one guest to another takes along what the host scope tied to the first.
  const move = argv.findIndex((w, k) => k > at && (w === 'netns' || (w.length > 4 && 'link-netns'.startsWith(w))));
  if (move >= 0) return problem(move, `moves a device from one guest namespace to another (or makes one there), which vxlab does not follow on an ssh host; create it in the host namespace with \`netns NS\` instead`);
  return undefined;
}

/** The guest a nested `ip netns exec NS ...` command runs in: the word after `exec` before `base`. */
const guestOf = (argv: readonly string[], base: number): string => argv[base - 1] ?? '?';

/** `ip netns VERB NAME ...`: only the steps' namespaces; what `exec` runs is inside one of them. */
function netnsCommand(argv: readonly string[], at: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  const verb = facts.verb ?? 'list';
  // `add` creates the namespace: from this command on it is the steps' own (preflight says none such exists yet).
  if (verb === 'add' && argv[at + 2] !== undefined) return unplanned(scope, at + 2, argv[at + 2]!, 'guest namespace');
  if (!['delete', 'exec', 'pids'].includes(verb)) return undefined;
  const p = namespaceProblem(scope, at + 2, argv[at + 2]);
  if (p || verb !== 'exec') return p;
  const nested = at + 3;
  const reading = read(argv, nested);
  return reading.facts ? inGuest(argv, nested, reading.facts, scope) : reading.problem;
}

function ipCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  if (facts.object === 'netns') return netnsCommand(argv, at, facts, scope, read);
  const verb = facts.verb;
  const rest = at + 2;
  const devs = () => valuesOf(argv, rest, ['dev']);
  switch (facts.object) {
    case 'link': {
      const family = bridgeFamilyChange(argv, base, at, facts);
      if (family) return family;
      const moved = namespaceWords(argv, rest, scope);
      if (moved) return moved;
      // A bridge's STP turned on in the host's first namespace makes the kernel run /sbin/bridge-stp (a usermode helper).
      const stp = argv.findIndex((w, k) => k >= rest && w.length >= 3 && 'stp_state'.startsWith(w) && argv[k + 1] !== undefined && argv[k + 1] !== '0');
      if (stp >= 0) return problem(stp, 'turns on a bridge\'s STP, for which the kernel runs the host\'s /sbin/bridge-stp; on an ssh host leave stp_state 0');
      const changing = verb === 'add' || verb === 'set' || verb === 'change' || verb === 'replace';
      const registers = changing ? vlanRegistration(argv, readLinkArgs(argv, rest)) : undefined;
      if (registers) return registers;
      const away = changing ? movedOffNic(argv, readLinkArgs(argv, rest), verb, scope) ?? macOnNic(argv, readLinkArgs(argv, rest), verb, scope) : undefined;
      if (away) return away;
      if (verb === 'add') {
        // Creates; what it is built on may be the NIC (a VXLAN's `dev enp0s8`), what it joins must be the lab's.
        const args = readLinkArgs(argv, rest);
        // A device the kernel names (veth0, macvlan0) is nobody's: teardown could not find it as the run's.
        const kind = args.stop?.why === 'type' ? argv[args.stop.index + 1] : undefined;
        const names = linkAddNames(argv, rest);
        if (args.name === undefined && args.device === undefined) return problem(at + 1, 'adds a device without a name, which the kernel then chooses; on an ssh host name every device the steps create (ip link add NAME type ...)');
        if ((kind === 'veth' || kind === 'vxcan') && names.length < 2) return problem(args.stop!.index + 1, `adds a ${kind} without naming its peer, which the kernel then names; on an ssh host write \`type ${kind} peer name NAME\``);
        for (const name of facts.createdInterfaces) {
          const p = unplanned(scope, [args.name, args.device].find((a) => a?.value === name)?.index ?? rest, name, 'device');
          if (p) return p;
        }
        const lower = [...args.values.filter((v) => v.keyword === 'link'), ...kindDevices(argv, args.stop?.index ?? argv.length, ['link'])];
        for (const v of args.values) {
          if (v.keyword !== 'master' && v.keyword !== 'vrf') continue;
          const p = created(scope, v.index, v.value, 'joins the new device to');
          if (p) return p;
        }
        for (const { index, value } of lower) {
          if (!scope.devices.has(value) && value !== scope.nic) return problem(index, `builds on device "${value}", which is neither the lab's NIC ${scope.nic} nor one the steps create`);
        }
        const passthru = passthruProblem(argv, args, scope);
        if (passthru) return passthru;
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
      // An altname is a name the kernel finds a device by: given to a host device, a name of the
      // run (one whose device is gone) would reach that device. Labs need none.
      if (verb === 'property') return problem(at + 1, '`ip link property` adds or removes a device\'s altnames, names the kernel then finds it by (a name of the run on the host\'s NIC would reach the NIC); on an ssh host the steps give devices no altnames');
      // set, change, replace, delete: the device as iplink_parse finds it, then what it is joined to.
      const args = readLinkArgs(argv, rest);
      if (args.stop?.why === 'vf') return problem(args.stop.index, `uses \`${argv[args.stop.index]}\`, which vxlab does not follow on an ssh host`);
      const group = args.values.find((v) => v.keyword === 'group');
      if (group) return problem(group.index - 1, 'acts on a group of devices, which may be the host\'s; name one device the steps create');
      // `name X` before the device: X is the NEW name, and iproute2 takes the device from a bare word further on.
      if (args.name && args.device && args.name.index < args.device.index) return problem(args.name.index - 1, `names the new name before the device; on an ssh host write \`ip link ${verb} dev DEVICE name NEWNAME\`, the device one the steps create`);
      const target = args.device ?? args.name;
      const p = created(scope, target?.index ?? rest, target?.value, `changes (${verb})`);
      if (p) return p;
      const alone = renameOrMoveWithMore(argv, rest, args, target);
      if (alone) return alone;
      const renamed = args.name && args.name !== target ? unplanned(scope, args.name.index, args.name.value, 'device') : undefined;
      return renamed ?? joinedProblem(argv, args, scope);
    }
    case 'address':
    case 'neighbor':
    case 'maddress': {
      if (verb === undefined || READ_VERBS.has(verb)) {
        for (const { index, value } of devs()) {
          const p = readable(scope, index, value);
          if (p) return p;
        }
        return undefined;
      }
      const found = devs();
      const what = facts.object === 'neighbor' ? 'neighbours' : facts.object === 'maddress' ? 'multicast addresses' : 'addresses';
      if (found.length === 0) return created(scope, at + 1, undefined, `changes ${what} (${verb})`);
      for (const { index, value } of found) {
        const p = created(scope, index, value, `changes ${what} (${verb}) on`);
        if (p) return p;
      }
      return facts.object === 'address' && ADDING.has(verb ?? '') ? coverProblem(argv, rest, scope, 'adds the address') : undefined;
    }
    case 'route': {
      if (verb === undefined || READ_VERBS.has(verb)) {
        for (const { index, value } of valuesOf(argv, rest, ['dev', 'oif', 'iif'])) {
          const p = readable(scope, index, value);
          if (p) return p;
        }
        return undefined;
      }
      if (verb === 'flush') return problem(at + 1, '`ip route flush` would remove the host\'s own routes; on an ssh host a route may be added or removed only on a device the steps create');
      const odd = routeProblem(argv, base, at, verb);
      if (odd) return odd;
      // `oif` is `dev` to ip route (the last one named wins).
      const found = valuesOf(argv, rest, ['dev', 'oif']);
      if (found.length === 0) return created(scope, at + 1, undefined, `changes the host's routes (${verb})`);
      for (const { index, value } of found) {
        const p = created(scope, index, value, `changes a route (${verb}) on`);
        if (p) return p;
      }
      const covers = ADDING.has(verb) ? coverProblem(argv, rest, scope, `routes (${verb})`) : undefined;
      if (covers) return covers;
      // NLM_F_REPLACE swaps the host's own route of that prefix (the NIC's subnet, a local address)
      // for ours, and teardown's deleting our device then takes it away for good.
      if (verb === 'replace' || verb === 'change') return problem(at + 1, `\`ip route ${verb}\` would take over the host's own route of that prefix (the NIC's subnet route, a local address's route), which is lost for good when the device goes; on an ssh host use \`ip route add\` (or append, prepend, del) on a device the steps create`);
      return undefined;
    }
    case 'stats': {
      // `ip stats set dev X l3_stats on` switches a device's statistics suite, which nothing records.
      if (verb !== 'set') {
        for (const { index, value } of devs()) {
          const p = readable(scope, index, value);
          if (p) return p;
        }
        return undefined;
      }
      const found = devs();
      if (found.length === 0) return created(scope, at + 1, undefined, 'changes a device\'s statistics (ip stats set)');
      for (const { index, value } of found) {
        const p = created(scope, index, value, 'changes the statistics (ip stats set) of');
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

/**
 * `ip -B link` changing something: in the bridge family the kernel sends `ip link del` of a
 * bridge port to the bridge-port handler, which deletes nothing and answers 0, so the exit would
 * say a device went that is still there.
 */
function bridgeFamilyChange(argv: readonly string[], base: number, at: number, facts: CommandFacts): ArgvProblem | undefined {
  if (facts.program !== 'ip' || facts.object !== 'link' || facts.verb === undefined || READ_VERBS.has(facts.verb)) return undefined;
  const globals = argv.slice(base + 1, at);
  const bridge = globals.some((w, k) => w === '-B' || w === '--B' || (w === 'bridge' && k > 0 && /^-{1,2}f/.test(globals[k - 1]!)));
  return bridge ? problem(base + 1, 'changes a link in the bridge family (`-B`), where the kernel answers some changes with success having done nothing (`ip -B link del` of a bridge port); on an ssh host write `ip link` without a family') : undefined;
}

/**
 * A VLAN's `gvrp on` or `mvrp on` (iplink_vlan.c reads both with matches()) makes the host
 * register the VLAN with the switches of the NIC's network: they would carry it there.
 */
function vlanRegistration(argv: readonly string[], args: LinkArgs): ArgvProblem | undefined {
  if (args.stop?.why !== 'type' || argv[args.stop.index + 1] !== 'vlan') return undefined;
  for (let j = args.stop.index + 2; j < argv.length - 1; j++) {
    const w = argv[j]!;
    if (('gvrp'.startsWith(w) || 'mvrp'.startsWith(w)) && argv[j + 1] !== 'off') return problem(j, `turns on VLAN registration (\`${w} ${argv[j + 1]}\`), which announces the VLAN to the switches of the host's network; on an ssh host leave gvrp and mvrp off`);
  }
  return undefined;
}

/**
 * A rename or a move to a guest namespace with anything else in the same `ip link set`: the
 * kernel renames (or moves) before it applies the rest (do_setlink) and keeps the new name when a
 * later part fails, so the command's exit would not say whether the name changed. Alone, it does.
 */
function renameOrMoveWithMore(argv: readonly string[], rest: number, args: LinkArgs, target: { index: number } | undefined): ArgvProblem | undefined {
  const change = args.name && args.name !== target ? args.name : args.values.find((v) => v.keyword === 'netns');
  if (!change || !target) return undefined;
  const used = new Set([target.index, change.index, change.index - 1]);
  if (argv[target.index - 1] !== undefined && target.index - 1 >= rest && matches(argv[target.index - 1]!, 'dev')) used.add(target.index - 1);
  const extra = argv.findIndex((_, k) => k >= rest && !used.has(k));
  if (extra < 0) return undefined;
  return problem(extra, `renames or moves the device and changes more in the same command (\`${argv[extra]}\`); the kernel keeps the new name when a later part fails, so on an ssh host a rename or a move is a command of its own (\`ip link set dev DEV name NEW\`, then the rest)`);
}

/** Route types the kernel never keeps on the device named (an IPv6 one goes to lo; an IPv4 one has none): they outlive it. */
const REJECT_ROUTE_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/**
 * What `ip route` may not do on an ssh host whatever its device: a reject route (it stays when the
 * device goes), a `protocol` of its own (the state read leaves kernel and ra routes out, so such a
 * route would never be seen or undone), an IPv6 delete (ip6_route_del deletes a route that uses
 * a nexthop object before it compares the device: the host's own, FRR's or networkd's), MPLS.
 */
function routeProblem(argv: readonly string[], base: number, at: number, verb: string): ArgvProblem | undefined {
  const globals = argv.slice(base + 1, at);
  const familyWord = (k: number) => k > 0 && /^-{1,2}f/.test(globals[k - 1]!);
  if (globals.some((w, k) => w === '-M' || (w === 'mpls' && familyWord(k)))) return problem(base + 1, 'changes MPLS routes, which vxlab neither records nor restores; on an ssh host routes are IPv4 or IPv6 on a device the steps create');
  for (let j = at + 2; j < argv.length; j++) {
    const w = argv[j]!;
    if (argv[j - 1] === 'table') continue;
    if (REJECT_ROUTE_TYPES.has(w)) return problem(j, `adds a ${w} route, which the kernel keeps on no device the steps create (IPv6 moves it to lo), so it outlives the run; on an ssh host a route goes through a device the steps create`);
    if (w.length >= 2 && 'protocol'.startsWith(w)) return problem(j, `gives the route a protocol of its own (\`${w}\`); on an ssh host the steps' routes keep the default one, which vxlab records and undoes`);
    // IPv6 keeps each leg of a multipath route as a route of its own: a leg without the steps'
    // device (its gateway resolved to the NIC) outlives the device (iproute2 reads both by strcmp).
    if (w === 'nexthop' || w === 'nhid') return problem(j, `uses \`${w}\` (a multipath route, or a nexthop object), whose legs need not go through a device the steps create and can outlive it; on an ssh host a route has one \`dev\` the steps create`);
  }
  const ipv6 = globals.some((w, k) => w === '-6' || (w === 'inet6' && familyWord(k))) || argv.slice(at + 2).some((w) => /^[0-9a-fA-F]*:[0-9a-fA-F:.]*(\/\d+)?$/.test(w) && w.includes(':'));
  if (ipv6 && (verb === 'delete' || verb === 'del')) return problem(at + 1, 'deletes an IPv6 route, and the kernel deletes one that uses a nexthop object (the host\'s own) before it looks at the device; on an ssh host IPv6 routes of the steps go with their device');
  return undefined;
}

function bridgeCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  const verb = facts.verb ?? argv[at + 1];
  // fdb.c reads `brport` as `dev` (the last one named wins); its `port` is the VXLAN UDP port, mdb's
  // a device; `master` is a flag to every bridge object (iproute2 v6.1.0 bridge/fdb.c:434, 466).
  const pairs = valuesOf(argv, at + 2, facts.object === 'fdb' ? ['dev', 'brport', 'br', 'via'] : ['dev', 'brport', 'br', 'port', 'via']);
  // The verb as bridge resolved it (readBridge's tables, in bridge's own order: `bridge link s` is set).
  if (facts.verb !== undefined ? ['show', 'get', 'help'].includes(facts.verb) : readOnlyWord(verb)) {
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

/** tc actions refused on ssh hosts wherever they stand (a later action's kind follows the options with no keyword), and why. */
const HOST_DENIED_ACTIONS = new Map([
  ['vlan', 'can rewrite a frame\'s Ethernet header (push_eth src_mac: another host\'s MAC on the lab network)'],
  ['nat', 'rewrites IPv4 addresses (another host\'s ssh address as a source)'],
  ['ct', 'puts entries in the host\'s connection tracking table and can rewrite addresses (ct nat)'],
  ['sample', 'hands frames to the host\'s psample listeners'],
]);

function tcCommand(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope): ArgvProblem | undefined {
  const at = base + (facts.objectIndex ?? 1);
  const target = facts.tcTarget ?? [];
  // A shared block may be the host owner's (a qdisc of theirs bound to it): nothing the steps make is surely theirs.
  const block = target.find((t) => t.keyword !== 'dev');
  if (block) return problem(block.index - 1, `uses tc's shared \`${block.keyword}\`${block.value === undefined ? '' : ` ${block.value}`}, which the host's own qdiscs may be bound to; on an ssh host tc acts on a device the steps create (dev X)`);
  if (argv.slice(at + 2).some((w) => w === 'blockid')) return problem(argv.indexOf('blockid', at + 2), 'redirects to a shared block (mirred blockid), whose devices may be the host\'s; on an ssh host mirred names a device the steps create');
  // An action given an index that exists is that action, the host's own (a mirred to its ifb, a policer), whatever the options say.
  // vlan's push_eth/pop_eth and nat rewrite the MAC or IPv4 source of what leaves (the NIC's link
  // included); ct (its nat, the host's conntrack table) and sample (the host's psample listeners) reach past the lab.
  const reaching = argv.findIndex((w, k) => k > at + 1 && HOST_DENIED_ACTIONS.has(w));
  if (reaching >= 0) return problem(reaching, `uses tc action "${argv[reaching]}", which ${HOST_DENIED_ACTIONS.get(argv[reaching]!)}; on an ssh host tc actions may not rewrite frames or reach the host's own tables`);
  const indexed = argv.findIndex((w, k) => k > at + 1 && w.length >= 3 && matches(w, 'index'));
  if (indexed >= 0) return problem(indexed, `binds an action by \`${argv[indexed]}\`: an existing action of that index (the host's own mirred or policer) would serve the lab's filter, whatever its options say; on an ssh host a filter's actions are its own`);
  // Only the `dev` before the kind says where the qdisc or filter goes; a later one is an action's (mirred, checked below).
  const pairs = target.filter((t) => t.keyword === 'dev').map(({ index, value }) => ({ index, value: value ?? '' }));
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
  return mirredProblem(argv, at + 2, scope);
}

/**
 * mirred sends frames out of (or into) the device it names, which it reads with matches("dev")
 * (iproute2 v6.1.0 tc/m_mirred.c:170): `d` and `de` are `dev` there. From the first `mirred` on,
 * every such word's device must be one the steps create (stricter for a later action's words).
 */
function mirredProblem(argv: readonly string[], from: number, scope: HostScope): ArgvProblem | undefined {
  const start = argv.indexOf('mirred', from);
  if (start < 0) return undefined;
  for (let j = start + 1; j < argv.length; j++) {
    if (!matches(argv[j]!, 'dev')) continue;
    const p = created(scope, j + 1, argv[j + 1], 'mirrors or redirects traffic (tc action mirred) to');
    if (p) return p;
    // Frames of any source MAC would leave by it onto the lab's network.
    if (scope.onNic?.has(argv[j + 1]!)) return problem(j + 1, `mirrors or redirects traffic (tc action mirred) to "${argv[j + 1]}", a device on the host's NIC ${scope.nic}'s link; on an ssh host only the device's own frames leave by it`);
  }
  return undefined;
}

/** tcpdump -i DEV, ping -I DEV: read the NIC or the steps' devices (ping -I may also give an address). */
function interfaceOption(argv: readonly string[], base: number, scope: HostScope, program: 'tcpdump' | 'ping'): ArgvProblem | undefined {
  const parsed = getoptLong(argv, base + 1, program === 'tcpdump' ? TCPDUMP_GETOPT : PING_GETOPT);
  if (isProblem(parsed)) return parsed;
  let named = false;
  for (const o of parsed.options) {
    if (o.id !== (program === 'tcpdump' ? 'i' : 'I') || o.value === undefined) continue;
    named = true;
    // iputils reads `ADDR%DEV` as a source address bound to device DEV (SO_BINDTODEVICE), whatever the family.
    if (program === 'ping' && o.value.includes('%')) return problem(o.valueIndex ?? o.index, `binds the ping to a device with "%" (\`${o.value}\`); on an ssh host ping names the lab's NIC ${scope.nic} or a device the steps create (-I DEV), or a source address without %`);
    // A source address only when inet_pton reads it so (a dotted quad, or IPv6): iputils takes `10` or `1.2` for a device's name.
    if (program === 'ping' && ((isIP(o.value) === 4 && /^\d+\.\d+\.\d+\.\d+$/.test(o.value)) || isIP(o.value) === 6)) continue;
    // libpcap opens `any` as its every-interface pseudo-device, even where a device has that name.
    if (program === 'tcpdump' && o.value === 'any') return problem(o.valueIndex ?? o.index, 'captures on "any", every interface of the host; on an ssh host tcpdump reads the lab\'s NIC or a device the steps create (-i DEV)');
    const p = readable(scope, o.valueIndex ?? o.index, o.value);
    if (p) return p;
  }
  // Without -i tcpdump opens the host's first interface, often the one that carries ssh.
  if (program === 'tcpdump' && !named) return problem(base, `captures without -i, on the host's first interface; on an ssh host tcpdump names the lab's NIC ${scope.nic} or a device the steps create (-i DEV)`);
  return undefined;
}

/**
 * The sysctl keys a step may write on a real host (the path under /proc/sys/net/, as procps opens
 * it): what the labs use (scenarios/*.yaml, the tutorials: ip_forward, forwarding, a created
 * device's disable_ipv6) and per-device keys of the steps' own devices, whose effect goes with
 * them. Everything else is the host's: `all`/`default`/the NIC's disable_ipv6 removes the host's
 * IPv6 addresses, arp_ignore on `all` strands it, tcp_mem and the like exist only in the host's
 * own namespace and act on every socket, stable_secret cannot be read before nor unset after.
 */
const HOST_SYSCTLS = {
  /** net.ipv4.KEY, net.ipv6.KEY */
  global: ['ipv4/ip_forward'],
  /** net.ipv4.conf.{all,NIC,created}.KEY */
  everyDevice: ['ipv4/forwarding'],
  /** net.ipv4.conf.CREATED.KEY, net.ipv6.conf.CREATED.KEY */
  createdDevice: ['ipv4/forwarding', 'ipv4/proxy_arp', 'ipv4/rp_filter', 'ipv4/arp_ignore', 'ipv4/arp_announce', 'ipv4/arp_filter', 'ipv4/arp_accept',
    // Not ipv6/forwarding: turning it on anywhere purges every default route router advertisements gave the host (rt6_purge_dflt_routers).
    'ipv4/accept_local', 'ipv4/send_redirects', 'ipv4/accept_redirects', 'ipv6/disable_ipv6', 'ipv6/accept_dad'],
};
/** Keys a device on the NIC's link (macvlan, ipvlan, vlan) may not have: with them it answers for others there. */
const ON_NIC_DENIED = ['ipv4/proxy_arp', 'ipv4/forwarding'];
const createdKeys = (family: string) => HOST_SYSCTLS.createdDevice.filter((k) => k.startsWith(`${family}/`)).map((k) => k.slice(family.length + 1)).join(',');
const HOST_SYSCTLS_TEXT = `net.ipv4.ip_forward, net.ipv4.conf.{all,NIC,DEV}.forwarding, and on a device DEV the steps create net.ipv4.conf.DEV.{${createdKeys('ipv4')}} and net.ipv6.conf.DEV.{${createdKeys('ipv6')}}`;

/** Why a written key (its /proc/sys path parts after net/) is not one a step may change on this host. */
function hostSysctlProblem(path: readonly string[], scope: HostScope): string | undefined {
  const [family, tree, dev, key] = path;
  if (path.length === 2 && HOST_SYSCTLS.global.includes(`${family}/${tree}`)) return undefined;
  if (path.length === 4 && (tree === 'conf' || tree === 'neigh')) {
    if (dev !== 'all' && dev !== 'default' && !scope.devices.has(dev!) && dev !== scope.nic) return `sets a key of device "${dev}", which is neither the lab's NIC ${scope.nic} nor one the steps create`;
    if (tree === 'conf' && (dev === 'all' || dev === scope.nic) && HOST_SYSCTLS.everyDevice.includes(`${family}/${key}`)) return undefined;
    // A device on the NIC's link that forwards and proxies ARP answers there for every address it
    // routes elsewhere, the ssh connection's other end included (arp_fwd_proxy).
    if (tree === 'conf' && scope.onNic?.has(dev!) && ON_NIC_DENIED.includes(`${family}/${key}`)) return `sets ${key} on "${dev}", a device on the host's NIC ${scope.nic}'s link, where it would answer ARP for other stations (the ssh connection's other end too); on an ssh host set it on a device off the NIC`;
    // `all` and `default` are the host's whole tree, never a device of the steps (the kernel refuses the names).
    if (tree === 'conf' && dev !== 'all' && dev !== 'default' && scope.devices.has(dev!) && HOST_SYSCTLS.createdDevice.includes(`${family}/${key}`)) return undefined;
  }
  return `sets "net.${path.join('.')}", which is not a key vxlab lets a scenario change on a real host (what it changes is the host's, or cannot be put back); on an ssh host a step may set ${HOST_SYSCTLS_TEXT}`;
}

/** `sysctl -w KEY=VALUE` on a real host: only the keys of HOST_SYSCTLS, read as procps reads them (readSysctl has refused the rest). */
function sysctlCommand(argv: readonly string[], base: number, scope: HostScope): ArgvProblem | undefined {
  const parsed = getoptLong(argv, base + 1, SYSCTL_GETOPT);
  if (isProblem(parsed)) return parsed;
  const writeMode = parsed.options.some((o) => o.id === 'w');
  for (const operand of parsed.operands) {
    const eq = operand.value.indexOf('=');
    if (!writeMode && eq < 0) continue;
    const key = eq >= 0 ? operand.value.slice(0, eq) : operand.value;
    const p = hostSysctlProblem(slashdot(key, '/').split('/').slice(1), scope);
    if (p) return problem(operand.index, p);
    // Each key allowed here holds one number, and the kernel ignores what follows it (`1 0` writes 1),
    // which a restore comparing text would take for someone else's value.
    if (eq >= 0 && !/^(0|-?[1-9]\d*)$/.test(operand.value.slice(eq + 1))) return problem(operand.index, `writes "${operand.value.slice(eq + 1)}" to ${slashdot(key, '.')}, which holds one number; on an ssh host write one plain decimal number, such as 1`);
  }
  return undefined;
}

/**
 * A passthru macvlan (or macvtap) takes over its lower device: the kernel makes it promiscuous and
 * gives it the macvlan's MAC address (`ip link set dev MV address X` changes the NIC's). Only on a
 * device the steps create. iplink_macvlan.c reads `mode` by matches(), its value by strcmp.
 */
function passthruProblem(argv: readonly string[], args: LinkArgs, scope: HostScope): ArgvProblem | undefined {
  if (args.stop?.why !== 'type' || !['macvlan', 'macvtap'].includes(argv[args.stop.index + 1] ?? '')) return undefined;
  for (let j = args.stop.index + 2; j < argv.length - 1; j++) {
    if (!matches(argv[j]!, 'mode') || argv[j + 1] !== 'passthru') continue;
    const lower = args.values.filter((v) => v.keyword === 'link').at(-1)?.value;
    if (lower !== undefined && scope.devices.has(lower)) return undefined;
    return problem(j + 1, `makes a passthru ${argv[args.stop.index + 1]} on ${lower === scope.nic ? `the host's NIC ${lower}` : `"${lower ?? '(no lower device)'}"`}, which takes the lower device over (its MAC address, promiscuous mode); on an ssh host use mode bridge, vepa or private, or passthru on a device the steps create`);
  }
  return undefined;
}

/** Kinds that put their frames on the lower device's own link, as a station of its network. */
const SHARES_LINK = ['macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan'];

/** Does `ip link add` build a device that shares the NIC's link (`link NIC` or a device on it, a kind of SHARES_LINK)? */
function buildsOnNic(argv: readonly string[], args: LinkArgs, scope: HostScope): boolean {
  if (args.stop?.why !== 'type' || !SHARES_LINK.includes(argv[args.stop.index + 1] ?? '')) return false;
  // A macvlan on a vlan on the NIC shares the NIC's link too.
  return args.values.some((v) => v.keyword === 'link' && (v.value === scope.nic || (scope.onNic?.has(v.value) ?? false)));
}

/**
 * A device on the NIC's link moved into a guest namespace is a station of the lab's network that
 * the host scope no longer sees: given the host's own address (or the gateway's, or the ssh
 * end's), it answers ARP for it and takes the host's traffic, the ssh connection too. It stays in
 * the host's namespace, where every address and route it gets is checked.
 */
function movedOffNic(argv: readonly string[], args: LinkArgs, verb: string, scope: HostScope): ArgvProblem | undefined {
  const into = args.values.find((v) => v.keyword === 'netns');
  if (!into) return undefined;
  const target = (args.device ?? args.name)?.value;
  const onNic = verb === 'add' ? buildsOnNic(argv, args, scope) : target !== undefined && (scope.onNic?.has(target) ?? false);
  if (!onNic) return undefined;
  return problem(into.index - 1, `moves ${verb === 'add' ? 'the new device' : `"${target}"`}, built on the host's NIC ${scope.nic}, into guest namespace "${into.value}", where it would share the host's network unchecked (an address there can take the host's own, or the ssh connection's); on an ssh host a device on the NIC stays in the host's namespace: give the guest a veth to a bridge instead`);
}

/**
 * A device on the NIC's link given a MAC address of the steps' choosing is a station that can
 * claim another's on the lab's network (a gateway's, another host's: the switch then sends it
 * their frames, the ssh connection's too when it runs over the NIC). It keeps the kernel's MAC.
 */
function macOnNic(argv: readonly string[], args: LinkArgs, verb: string, scope: HostScope): ArgvProblem | undefined {
  const target = (args.device ?? args.name)?.value;
  const onNic = verb === 'add' ? buildsOnNic(argv, args, scope) : target !== undefined && (scope.onNic?.has(target) ?? false);
  if (!onNic) return undefined;
  const what = verb === 'add' ? 'a new device' : `"${target}"`;
  const mac = args.values.find((v) => v.keyword === 'address' || v.keyword === 'broadcast' || v.keyword === 'brd');
  if (mac) return problem(mac.index - 1, `sets the ${mac.keyword === 'address' ? 'MAC' : 'broadcast'} address of ${what} on the host's NIC ${scope.nic}'s link, where it could claim another station's (a gateway's, another host's) and take its frames; on an ssh host a device on the NIC keeps the addresses the kernel gives it`);
  // As a port of a bridge (or bond, vrf) it would carry frames the master sends, whatever their source MAC.
  const master = args.values.find((v) => v.keyword === 'master' || v.keyword === 'vrf');
  if (master) return problem(master.index - 1, `joins ${what}, on the host's NIC ${scope.nic}'s link, to "${master.value}": its frames, of any source MAC (the master's own, another station's), would leave onto the lab's network; on an ssh host a device on the NIC joins no master`);
  return undefined;
}

/** After the device: the master, vrf and lower device it is joined to must be the steps' too (a kind's own `dev`, after `type`, as well). */
function joinedProblem(argv: readonly string[], args: LinkArgs, scope: HostScope): ArgvProblem | undefined {
  const joined = [...args.values.filter((v) => ['master', 'vrf', 'link'].includes(v.keyword)), ...kindDevices(argv, args.stop?.index ?? argv.length, ['master', 'link'])];
  for (const { index, value } of joined) {
    const q = created(scope, index, value, 'joins it to');
    if (q) return q;
  }
  for (const v of args.values.filter((x) => x.keyword === 'netns' || x.keyword === 'link-netns')) {
    const q = namespaceProblem(scope, v.index, v.value);
    if (q) return q;
  }
  return undefined;
}

/**
 * Verbs that put a route or an address in place (`ip route replace` too; `ip route test` sends
 * no NLM_F_CREATE, yet IPv6 creates the route anyway).
 */
const ADDING = new Set(['add', 'change', 'replace', 'append', 'prepend', 'test']);
/** Keywords of ip route / ip address whose value is not a prefix (a device, a table, a number). */
const NOT_A_PREFIX = new Set(['dev', 'oif', 'iif', 'table', 'vrf', 'metric', 'priority', 'preference', 'pref', 'proto', 'protocol', 'scope', 'label', 'mtu', 'advmss',
  'weight', 'realm', 'realms', 'expires', 'type', 'nhid', 'encap', 'tos', 'dsfield', 'congctl', 'features', 'hoplimit', 'initcwnd', 'initrwnd', 'rto_min',
  'window', 'rtt', 'rttvar', 'reordering', 'ssthresh', 'cwnd', 'valid_lft', 'preferred_lft', 'lladdr', 'ttl-propagate', 'fastopen_no_cookie', 'quickack']);

/**
 * A route or address whose prefix (or gateway, peer, source: every address word, to be simple)
 * covers an end of the ssh connection, or the gateway a routed connection goes through, would take
 * the connection off the management network and strand the host; `default`, `all`, `any` cover everything.
 */
function coverProblem(argv: readonly string[], from: number, scope: HostScope, doing: string): ArgvProblem | undefined {
  const ends = (scope.protect ?? []).flatMap((guarded) => {
    const address = readAddress(guarded.address);
    return address ? [{ ...guarded, parsed: address }] : [];
  });
  if (ends.length === 0) return undefined;
  for (let j = from; j < argv.length; j++) {
    const word = argv[j]!;
    if (NOT_A_PREFIX.has(word)) {
      j++;
      continue;
    }
    const prefix = readPrefix(word);
    // Fail closed: an address whose length vxlab reads differently from ip could cover anything.
    if (prefix === undefined && word.includes('/') && readPrefix(word.slice(0, word.indexOf('/'))) !== undefined) {
      return problem(j, `${doing} ${word}, a prefix whose length vxlab cannot read as iproute2 would; on an ssh host write the length as a number (/24)`);
    }
    const end = prefix && ends.find((e) => covers(prefix, e.parsed));
    if (end) {
      const what = end.role === 'gateway' ? 'the gateway the ssh connection vxlab reaches this host by goes through' : 'an end of the ssh connection vxlab reaches this host by';
      return problem(j, `${doing} ${word}, which covers ${end.address}, ${what}; it would cut the host off. On an ssh host, routes and addresses stay off the management network's addresses`);
    }
  }
  return undefined;
}

/** The problem with an allowed command (its facts read) on a real host, or undefined when it stays in scope. */
export function hostScopeProblemOf(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): ArgvProblem | undefined {
  if (facts.globalNetns !== undefined) return inGuest(argv, base, facts, scope);
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

/**
 * The scope after the command ran (or was let through): what it creates counts from now on, what
 * it deletes, renames or moves to a guest namespace stops counting. Pure; reads the policy's facts.
 */
export function scopeAfterOf(argv: readonly string[], base: number, facts: CommandFacts, scope: HostScope, read: Read): HostScope {
  if (facts.program !== 'ip') return scope;
  const at = base + (facts.objectIndex ?? 1);
  if (facts.globalNetns !== undefined) return scopeAfterGuest(argv, at, facts, scope, facts.globalNetns);
  if (facts.object === 'netns' && facts.verb === 'exec' && argv[at + 2] !== undefined) {
    const nested = read(argv, at + 3);
    return nested.facts?.program === 'ip' ? scopeAfterGuest(argv, at + 3 + (nested.facts.objectIndex ?? 1), nested.facts, scope, argv[at + 2]!) : scope;
  }
  const devices = new Set(scope.devices);
  const namespaces = new Set(scope.namespaces);
  const goesWith = new Map(scope.goesWith ?? []);
  /** Removes a device and everything that goes with it. */
  const gone = (device: string) => {
    devices.delete(device);
    const tied = goesWith.get(device);
    goesWith.delete(device);
    for (const [other, to] of goesWith) if (to.device === device) gone(other);
    if (tied?.device !== undefined && devices.has(tied.device)) gone(tied.device);
  };
  if (facts.object === 'netns') {
    const name = argv[at + 2];
    if (name === undefined) return scope;
    if (facts.verb === 'add') namespaces.add(name);
    else if (facts.verb === 'delete') {
      namespaces.delete(name);
      for (const [device, to] of [...goesWith]) if (to.namespace === name) gone(device);
    } else return scope;
    return { ...scope, devices, namespaces, goesWith };
  }
  if (facts.object !== 'link') return scope;
  if (facts.verb === 'add') {
    for (const d of facts.createdInterfaces) devices.add(d);
    // A veth pair: each host-side end goes with the other end, or with the guest namespace it went to.
    const made = linkAddNames(argv, at + 2);
    if (made.length === 2) {
      const [a, b] = made as [{ name: string; netns?: string }, { name: string; netns?: string }];
      for (const [self, other] of [[a, b], [b, a]] as const) {
        if (self.netns === undefined) goesWith.set(self.name, other.netns === undefined ? { device: other.name } : { namespace: other.netns });
      }
    }
    // A macvlan, vlan or ipvlan goes when its lower device goes (the kernel deletes it with it).
    const args = readLinkArgs(argv, at + 2);
    const kind = args.stop?.why === 'type' ? argv[args.stop.index + 1] : undefined;
    // A VXLAN goes with the lower device its own `dev` names (vxlan_handle_lowerdev_unregister).
    const lower = kind === 'vxlan' ? kindDevices(argv, args.stop!.index, []).at(-1)?.value : args.values.filter((v) => v.keyword === 'link').at(-1)?.value;
    // The VXLAN also goes when that device leaves for another namespace (any NETDEV_UNREGISTER);
    // macvlan, vlan and ipvlan stay then (they "twiddle thumbs on netns device moves").
    if (made.length === 1 && lower !== undefined && devices.has(lower) && kind !== undefined && (UPPER_KINDS.has(kind) || kind === 'vxlan')) goesWith.set(made[0]!.name, kind === 'vxlan' ? { device: lower, movedAway: 'dies' } : { device: lower });
    const onNic = buildsOnNic(argv, args, scope) ? new Set([...(scope.onNic ?? []), ...facts.createdInterfaces]) : scope.onNic;
    return { ...scope, devices, goesWith, ...(onNic ? { onNic } : {}) };
  }
  if (facts.verb === 'delete' || facts.verb === 'set' || facts.verb === 'replace') {
    const args = readLinkArgs(argv, at + 2);
    const target = (args.device ?? args.name)?.value;
    if (target === undefined || !devices.has(target)) return scope;
    const moved = args.values.some((v) => v.keyword === 'netns');
    const onNic = new Set(scope.onNic ?? []);
    if (facts.verb === 'delete') {
      gone(target);
      onNic.delete(target);
    } else if (moved) {
      // Its other end, still here, now goes with the namespace it went to.
      const into = args.values.find((v) => v.keyword === 'netns')!.value;
      devices.delete(target);
      goesWith.delete(target);
      for (const [other, to] of [...goesWith]) {
        if (to.device !== target) continue;
        if (to.movedAway === 'dies') gone(other);
        else goesWith.set(other, { namespace: into });
      }
      onNic.delete(target);
    } else if (args.name && args.device && args.name.value !== target) {
      const renamed = args.name.value;
      devices.delete(target);
      devices.add(renamed);
      const tied = goesWith.get(target);
      goesWith.delete(target);
      if (tied) goesWith.set(renamed, tied);
      for (const [other, to] of goesWith) if (to.device === target) goesWith.set(other, { ...to, device: renamed });
      if (onNic.delete(target)) onNic.add(renamed);
    }
    return { ...scope, devices, goesWith, ...(scope.onNic ? { onNic } : {}) };
  }
  return scope;
}

/** Device kinds the kernel deletes with their lower device (`link DEV`). */
const UPPER_KINDS = new Set(['macvlan', 'macvtap', 'vlan', 'ipvlan', 'ipvtap']);

/**
 * A command inside guest namespace `guest` (`ip -n NS`, `ip netns exec NS ip ...`): what it deletes
 * there may take a host device along (a veth's other end). The scope does not know which guest
 * device went, so a delete there drops every host device tied to that namespace; deleting a
 * namespace (its file in /run/netns is the host's) drops the namespace and its devices.
 */
function scopeAfterGuest(argv: readonly string[], at: number, facts: CommandFacts, scope: HostScope, guest: string): HostScope {
  const deletes = facts.verb === 'delete';
  if (!deletes || (facts.object !== 'link' && facts.object !== 'netns')) return scope;
  const namespaces = new Set(scope.namespaces);
  const gone = facts.object === 'netns' ? argv[at + 2] : guest;
  if (facts.object === 'netns' && gone !== undefined) namespaces.delete(gone);
  const devices = new Set(scope.devices);
  const goesWith = new Map(scope.goesWith ?? []);
  const drop = (device: string) => {
    devices.delete(device);
    goesWith.delete(device);
    for (const [other, to] of [...goesWith]) if (to.device === device) drop(other);
  };
  for (const [device, to] of [...goesWith]) if (to.namespace === gone) drop(device);
  return { ...scope, devices, namespaces, goesWith };
}

/** Does an allowed command add a route or address in the host's namespace that covers one of `protect`? (Preflight's check, once it knows the ssh connection's ends.) */
export function coverageProblemOf(argv: readonly string[], base: number, facts: CommandFacts, protect: readonly GuardedAddress[]): ArgvProblem | undefined {
  if (facts.globalNetns !== undefined || facts.program !== 'ip' || !ADDING.has(facts.verb ?? '')) return undefined;
  if (facts.object !== 'route' && facts.object !== 'address') return undefined;
  const scope: HostScope = { devices: new Set(), namespaces: new Set(), nic: '', protect };
  return coverProblem(argv, base + (facts.objectIndex ?? 1) + 2, scope, facts.object === 'route' ? `routes (${facts.verb})` : 'adds the address');
}
