// `ip` (iproute2): its global options, objects and the verbs and keywords that matter for
// containment, read as ip itself reads them.
// Followed, iproute2 v6.1.0 (Debian 12's version):
//   ip/ip.c:90-127 (objects, in matching order), ip/ip.c:195-306 (global options);
//   ip/ipnetns.c:1049-1103 (netns verbs), 543-565 (exec); lib/namespace.c:49-57, 104-116
//   (a name without `/` is /run/netns/NAME, anything with `/` is a path, digits a PID in `netns`);
//   ip/iplink.c:604-965 (iplink_parse: `netns` strcmp, `link-netns`/`link-netnsid` matches,
//   xdp* strcmp, `type` after `txqueuelen`), 160-190 (a link kind dlopens link_KIND.so),
//   1810-1860 (link verbs); ip/ipaddress.c:2615-2645; ip/ipneigh.c:740-765; ip/iproute.c:2355-2396;
//   ip/ipmaddr.c (do_multiaddr: verbs by matches(); multiaddr_modify: `dev` strcmp, given once);
//   ip/ipstats.c (do_ipstats: verbs by strcmp; ipstats_set: `dev` strcmp, given once);
//   ip/ipmonitor.c:205-250 (`file` reads a dump); ip/iproute_lwtunnel.c (encap bpf);
//   lib/bpf_legacy.c:842-860 (obj, object-file, object-pinned, pinned, bytecode-file, bcf).
import { checkAddressValues, checkLinkValues, checkNeighValues } from './command-values.ts';
import { matches, resolve, table, type Entry } from './iproute2-matching.ts';
import { readIprouteStart, type OptionMeaning, type OptionSyntax } from './iproute2-options.ts';
import { refuse, type CommandFacts, type Reading } from './types.ts';
import { netnsNameProblem, rules } from './values.ts';

const FAMILIES = ['inet', 'inet6', 'link', 'bridge', 'mpls'];
const family = (v: string) => (FAMILIES.includes(v) ? undefined : `-family expected one of ${FAMILIES.join(', ')}, got "${v}"`);
const count = (what: string) => (v: string) => (rules.count(v) ? `${what} ${rules.count(v)!}` : undefined);

export const IP_OPTIONS: OptionSyntax = {
  program: 'ip',
  gnuDashes: true,
  table: table<OptionMeaning>([
    ['-loops', { value: count('-loops') }],
    ['-family', { value: family }],
    ['=-4', {}], ['=-6', {}], ['=-0', {}], ['=-M', {}], ['=-B', {}],
    ['-human', {}], ['-human-readable', {}], ['-iec', {}],
    ['-stats', {}], ['-statistics', {}], ['-details', {}],
    ['-resolve', { refused: 'looks addresses up in the host\'s name service' }],
    ['-oneline', {}], ['-timestamp', {}], ['-tshort', {}], ['-Version', { exits: 'prints its version' }],
    ['-force', { refused: 'keeps a batch going after errors; vxlab batches commands itself' }],
    ['-batch', { refused: 'reads commands from a file; write one command per entry instead', value: () => undefined }],
    ['-brief', {}], ['-json', {}], ['-pretty', {}],
    ['-rcvbuf', { refused: 'is not needed by the labs', value: () => undefined }],
    ['-color', {}], ['-help', { exits: 'prints its usage' }],
    ['-netns', { value: netnsNameProblem, netns: true }],
    ['-Numeric', {}],
    ['-all', { refused: 'runs the command in every namespace of the node at once; name one with `-n NS`' }],
    ['=-echo', {}],
  ]),
};

type ObjectRule = { refused?: string };
const NOT_NEEDED = 'is not needed by the labs';
const IP_OBJECTS: readonly Entry<ObjectRule>[] = table<ObjectRule>([
  ['address', {}], ['addrlabel', { refused: NOT_NEEDED }], ['maddress', {}], ['route', {}], ['rule', {}],
  ['neighbor', {}], ['neighbour', {}], ['ntable', {}], ['ntbl', {}], ['link', {}],
  ['l2tp', { refused: NOT_NEEDED }], ['fou', { refused: NOT_NEEDED }], ['ila', { refused: NOT_NEEDED }], ['macsec', { refused: NOT_NEEDED }],
  ['tunnel', { refused: NOT_NEEDED }], ['tunl', { refused: NOT_NEEDED }], ['tuntap', { refused: NOT_NEEDED }], ['tap', { refused: NOT_NEEDED }],
  ['token', { refused: NOT_NEEDED }], ['tcpmetrics', { refused: NOT_NEEDED }], ['tcp_metrics', { refused: NOT_NEEDED }],
  ['monitor', {}], ['xfrm', { refused: NOT_NEEDED }], ['mroute', { refused: NOT_NEEDED }], ['mrule', { refused: NOT_NEEDED }],
  ['netns', {}], ['netconf', {}],
  ['vrf', { refused: 'runs programs (`ip vrf exec`) that vxlab cannot check' }],
  ['sr', { refused: NOT_NEEDED }], ['nexthop', {}], ['mptcp', { refused: NOT_NEEDED }], ['ioam', { refused: NOT_NEEDED }],
  ['help', {}], ['stats', {}],
]);

/** Canonical names for aliases ip treats alike. */
const OBJECT_ALIAS: Record<string, string> = { neighbour: 'neighbor', ntbl: 'ntable' };

/** The object an `ip` word names, as iproute2 resolves it (`ip a` → address, `ip n` → neighbor). */
export function ipObject(word: string | undefined): string | undefined {
  const name = word === undefined ? undefined : resolve(word, IP_OBJECTS)?.name;
  return name === undefined ? undefined : (OBJECT_ALIAS[name] ?? name);
}

/** A verb table: [spelling, canonical verb or a refusal]. `=x` compares exactly. */
type VerbRule = { verb: string; refused?: string };
const verbs = (rows: readonly (readonly [string, string | VerbRule])[]) => table(rows.map(([n, v]) => [n, typeof v === 'string' ? { verb: v } : v] as const));
const DUMP = (verb: string) => ({ verb, refused: 'is refused: it moves binary dumps through stdin or stdout, which vxlab owns; use a state check instead' });

const VERBS: Record<string, readonly Entry<VerbRule>[]> = {
  link: verbs([['add', 'add'], ['set', 'set'], ['change', 'set'], ['replace', 'replace'], ['delete', 'delete'], ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['xstats', 'xstats'], ['afstats', 'afstats'], ['property', 'property'], ['help', 'help']]),
  address: verbs([['add', 'add'], ['change', 'change'], ['=chg', 'change'], ['replace', 'replace'], ['delete', 'delete'], ['list', 'show'], ['show', 'show'], ['lst', 'show'], ['flush', 'flush'], ['save', DUMP('save')], ['showdump', DUMP('showdump')], ['restore', DUMP('restore')], ['help', 'help']]),
  neighbor: verbs([['add', 'add'], ['change', 'change'], ['=chg', 'change'], ['replace', 'replace'], ['delete', 'delete'], ['get', 'get'], ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['flush', 'flush'], ['help', 'help']]),
  // ipmaddr.c do_multiaddr: add and delete join or leave a group on the device (SIOCADDMULTI), the rest read.
  maddress: verbs([['add', 'add'], ['delete', 'delete'], ['list', 'show'], ['show', 'show'], ['lst', 'show'], ['help', 'help']]),
  // ipstats.c do_ipstats: strcmp; `set` switches a device's statistics suite (RTM_SETSTATS).
  stats: verbs([['=help', 'help'], ['=show', 'show'], ['=set', 'set']]),
  route: verbs([['add', 'add'], ['change', 'change'], ['=chg', 'change'], ['replace', 'replace'], ['prepend', 'prepend'], ['append', 'append'], ['test', 'test'], ['delete', 'delete'], ['list', 'show'], ['show', 'show'], ['lst', 'show'], ['get', 'get'], ['flush', 'flush'], ['save', DUMP('save')], ['restore', DUMP('restore')], ['showdump', DUMP('showdump')], ['help', 'help']]),
  netns: verbs([
    ['list', 'list'], ['show', 'list'], ['lst', 'list'], ['list-id', 'list-id'], ['help', 'help'], ['add', 'add'],
    ['set', { verb: 'set', refused: 'can adopt a namespace by PID; use `ip netns add`' }],
    ['delete', 'delete'], ['identify', 'identify'], ['pids', 'pids'], ['exec', 'exec'], ['monitor', 'monitor'],
    ['attach', { verb: 'attach', refused: 'can adopt a namespace by PID; use `ip netns add`' }],
  ]),
};

/** Link kinds vxlab lets `ip link add ... type KIND` create; ip would dlopen link_KIND.so for others. */
export const LINK_KINDS = ['bridge', 'bond', 'dummy', 'geneve', 'gre', 'gretap', 'ifb', 'ipip', 'ipvlan', 'macvlan', 'sit', 'veth', 'vlan', 'vxlan'];

/** Keywords that load BPF programs or read and write files, wherever iproute2 accepts them. */
const FILE_WORDS = new Set(['xdp', 'xdpgeneric', 'xdpdrv', 'xdpoffload', 'bpf', 'End.BPF', 'obj', 'bcf', 'object-file', 'object-pinned', 'pinned', 'bytecode-file']);
/** The same, abbreviated as bpf_legacy.c's matches() allows (only reachable after a refused word; kept as a second wall). */
const FILE_PREFIXED = ['object-file', 'object-pinned', 'pinned', 'bytecode-file'];

function fileWord(word: string): boolean {
  return FILE_WORDS.has(word) || (word.length >= 3 && FILE_PREFIXED.some((full) => matches(word, full)));
}

/** `link-n`...`link-netns` select link-netns after `link` in iplink_parse's order; longer ones link-netnsid. */
const isLinkNetns = (w: string) => w.length > 'link'.length && matches(w, 'link-netns');
const isLinkNetnsid = (w: string) => w.length > 'link-netns'.length && matches(w, 'link-netnsid');
/** `t` is txqueuelen in iplink_parse; `ty`, `typ`, `type` are type. */
const isType = (w: string) => w.length >= 2 && matches(w, 'type');

/** Namespace references and file keywords anywhere in an ip command's arguments. */
function scanArguments(argv: readonly string[], from: number, facts: CommandFacts): Reading | undefined {
  for (let j = from; j < argv.length; j++) {
    const word = argv[j]!;
    if (word === 'netns' || isLinkNetns(word)) {
      facts.usesGuestNamespace = true;
      const ref = argv[j + 1];
      const problem = ref === undefined ? undefined : netnsNameProblem(ref);
      if (problem) return refuse(j + 1, problem);
    } else if (isLinkNetnsid(word)) {
      return refuse(j, `uses \`${word}\` (link-netnsid), which names a namespace by number; use \`link-netns NAME\``);
    } else if (fileWord(word)) {
      return refuse(j, `uses \`${word}\`, which loads a BPF program or reads or writes a file outside the lab`);
    }
  }
  return undefined;
}

/** How iplink_parse reads a word: the values it takes, or where its reading of the device ends. */
type LinkWord = { takes: number } | { ends: 'type' | 'help' | 'vf' } | { device: true };
const V1: LinkWord = { takes: 1 };
const FLAG: LinkWord = { takes: 0 };
/**
 * iplink_parse's keywords in its order (iproute2 v6.1.0 ip/iplink.c:604-990, plus v7.1.0's two
 * gso/gro_ipv4 keywords): `=x` strcmp, else matches() (a prefix). A word none of them takes is the
 * device, so a device named like one (`down`, `m`) is never read as a device.
 */
export const IPLINK_WORDS: readonly Entry<LinkWord>[] = table<LinkWord>([
  ['=up', FLAG], ['=down', FLAG], ['=name', V1], ['=index', V1], ['link', V1], ['address', V1], ['broadcast', V1], ['=brd', V1],
  ['txqueuelen', V1], ['=qlen', V1], ['txqlen', V1], ['=mtu', V1],
  ['=xdpgeneric', { ends: 'vf' }], ['=xdpdrv', { ends: 'vf' }], ['=xdpoffload', { ends: 'vf' }], ['=xdp', { ends: 'vf' }],
  ['=netns', V1], ['=multicast', V1], ['=allmulticast', V1], ['=promisc', V1], ['=trailers', V1], ['=arp', V1], ['=carrier', V1],
  ['=vf', { ends: 'vf' }], ['master', V1], ['=vrf', V1], ['nomaster', FLAG], ['dynamic', V1], ['type', { ends: 'type' }], ['alias', V1],
  ['=group', V1], ['=mode', V1], ['=state', V1], ['numtxqueues', V1], ['numrxqueues', V1], ['addrgenmode', V1],
  ['link-netns', V1], ['link-netnsid', V1], ['=protodown', V1], ['=protodown_reason', { takes: 2 }],
  ['=gso_max_size', V1], ['=gso_max_segs', V1], ['=gro_max_size', V1], ['=gso_ipv4_max_size', V1], ['=gro_ipv4_max_size', V1],
  ['=parentdev', V1], ['help', { ends: 'help' }], ['=dev', { device: true }],
]);

/** Words `ip addr show|flush` reads as keywords before taking a bare word as the device (ipaddress.c, ipaddr_list_flush_or_save). */
const IPADDR_LIST_WORDS = ['to', 'scope', 'all', 'up', 'label', 'group', 'master', 'vrf', 'nomaster', 'type', 'dev'];

export interface LinkArgs {
  /** The device as iplink_parse finds it: after `dev`, or a word no keyword takes. */
  device?: { index: number; value: string };
  /** `name NEW`. */
  name?: { index: number; value: string };
  /** Every keyword's value, by the keyword's full name (`m docker0` is master docker0). */
  values: { keyword: string; index: number; value: string }[];
  /** Where iplink_parse stopped: at `type`'s kind (the rest is the kind's), `help`, or a word vxlab does not follow (vf, xdp). */
  stop?: { index: number; why: 'type' | 'help' | 'vf' };
}

/** Reads `ip link add|set|delete|...` arguments from argv[from] as iplink_parse does. */
export function readLinkArgs(argv: readonly string[], from: number): LinkArgs {
  const args: LinkArgs = { values: [] };
  for (let j = from; j < argv.length; j++) {
    const word = argv[j]!;
    const entry = resolve(word, IPLINK_WORDS);
    const meaning = entry?.meaning ?? { device: true as const };
    if ('ends' in meaning) {
      args.stop = { index: j, why: meaning.ends };
      return args;
    }
    if ('device' in meaning) {
      const at = entry ? j + 1 : j;
      if (argv[at] !== undefined) args.device = { index: at, value: argv[at] };
      j = at;
      continue;
    }
    for (let k = 1; k <= meaning.takes && j + k < argv.length; k++) {
      const value = { keyword: entry!.name, index: j + k, value: argv[j + k]! };
      args.values.push(value);
      if (entry!.name === 'name') args.name = value;
    }
    j += meaning.takes;
  }
  return args;
}

/**
 * Why a name the steps give a device would be read as something else: iproute2 reads a word
 * an `ip link` (or `ip addr show|flush`) keyword matches as that keyword, and then takes the next
 * bare word as the device (`ip link set down enp0s8` downs enp0s8). Undefined for a plain name.
 */
export function keywordNameProblem(name: string): string | undefined {
  const entry = resolve(name, IPLINK_WORDS);
  const keyword = entry?.name ?? (IPADDR_LIST_WORDS.includes(name) ? name : undefined);
  if (keyword === undefined) return undefined;
  return `names a device "${name}", which iproute2 reads as the keyword \`${keyword}\` (so \`ip link set ${name} DEV\` would act on DEV); choose a name no ip link keyword matches`;
}

/** The name iplink_parse gives the device it reads from argv[from] (`name`, else the device). */
const linkName = (args: LinkArgs) => (args.name ?? args.device)?.value;

/** Interfaces that `ip link add ...` creates in this namespace (a veth peer moved away by `netns` is not). */
/**
 * The devices `ip link add` makes, each with the guest namespace it goes to (`netns NS`), if any:
 * the device, then a veth's peer (`... type veth peer name veth1` or `peer veth1`, read by
 * iplink_parse again).
 */
export function linkAddNames(argv: readonly string[], from: number): { name: string; netns?: string }[] {
  const made: { name: string; netns?: string }[] = [];
  const args = readLinkArgs(argv, from);
  const one = (a: LinkArgs) => {
    const name = linkName(a);
    const netns = a.values.find((v) => v.keyword === 'netns')?.value;
    if (name) made.push(netns === undefined ? { name } : { name, netns });
  };
  one(args);
  const peer = argv.indexOf('peer', args.stop?.index ?? argv.length);
  if (peer >= 0) one(readLinkArgs(argv, peer + 1));
  return made;
}

/** The devices `ip link add` makes in the namespace it runs in: one sent to a guest (`netns NS`) goes with that namespace. */
function linkAddCreates(argv: readonly string[], from: number): string[] {
  return linkAddNames(argv, from).filter((d) => d.netns === undefined).map((d) => d.name);
}

/** The names an `ip link add` gives (peer included, moved or not) and a rename's new name: each must not read as a keyword. */
function namedWords(argv: readonly string[], from: number, verb: string | undefined): { index: number; value: string }[] {
  const args = readLinkArgs(argv, from);
  const named = verb === 'add' ? [args.name ?? args.device] : [args.name];
  if (verb === 'add') {
    const peer = argv.indexOf('peer', args.stop?.index ?? argv.length);
    if (peer >= 0) {
      const peerArgs = readLinkArgs(argv, peer + 1);
      named.push(peerArgs.name ?? peerArgs.device);
    }
  }
  return named.filter((n) => n !== undefined);
}

function readVerb(argv: readonly string[], at: number, object: string, facts: CommandFacts): Reading | undefined {
  const word = argv[at];
  if (word === undefined) return undefined;
  const entry = resolve(word, VERBS[object]!);
  if (!entry) return refuse(at, `uses \`ip ${object} ${word}\`, which ip does not know; its verbs are ${[...new Set(VERBS[object]!.map((e) => e.meaning.verb))].join(', ')}`);
  facts.verb = entry.meaning.verb;
  if (entry.meaning.refused) return refuse(at, `\`ip ${object} ${entry.meaning.verb}\` ${entry.meaning.refused}`);
  return undefined;
}

function readNetns(argv: readonly string[], at: number, facts: CommandFacts, readNested: (base: number) => Reading): Reading {
  facts.usesGuestNamespace = true;
  const verbProblem = readVerb(argv, at, 'netns', facts);
  if (verbProblem) return verbProblem;
  const verb = facts.verb ?? 'list';
  const name = argv[at + 1];
  if (verb === 'identify' && name !== undefined) {
    return refuse(at + 1, '`ip netns identify PID` looks at another process\'s namespace; vxlab allows `ip netns identify` alone');
  }
  if (['add', 'delete', 'pids', 'exec'].includes(verb)) {
    if (name === undefined) return refuse(at, `\`ip netns ${verb}\` needs a namespace name`);
    const problem = netnsNameProblem(name);
    if (problem) return refuse(at + 1, problem);
  }
  if (verb === 'exec') {
    if (argv[at + 2] === undefined) return refuse(at, '`ip netns exec` needs a namespace and a command');
    const nested = readNested(at + 2);
    if (nested.problem) return nested;
    facts.nested = nested.facts;
    facts.writesSysctl = nested.facts.writesSysctl;
  }
  return { facts };
}

function readMonitor(argv: readonly string[], at: number, facts: CommandFacts): Reading {
  const groups = table<string>([
    ['file', 'file'], ['label', 'label'], ['link', 'link'], ['address', 'address'], ['route', 'route'], ['mroute', 'mroute'],
    ['prefix', 'prefix'], ['neigh', 'neigh'], ['netconf', 'netconf'], ['rule', 'rule'], ['nsid', 'nsid'], ['nexthop', 'nexthop'],
    ['=stats', 'stats'], ['=all', 'all'], ['all-nsid', 'all-nsid'], ['help', 'help'], ['=dev', 'dev'],
  ]);
  for (let j = at; j < argv.length; j++) {
    const entry = resolve(argv[j]!, groups);
    if (!entry) return refuse(j, `uses \`${argv[j]}\`, which \`ip monitor\` does not know`);
    if (entry.meaning === 'file') return refuse(j, `uses \`${argv[j]}\` (which \`ip monitor\` reads as \`file\`): it replays a dump file from outside the lab`);
    if (entry.meaning === 'dev') {
      const problem = argv[j + 1] === undefined ? undefined : rules.ifname(argv[j + 1]!);
      if (problem) return refuse(j + 1, `dev ${problem}`);
      j++;
    }
  }
  return { facts };
}

/** Reads `ip ...` with argv[base] = "ip". */
export function readIp(argv: readonly string[], base: number, readNested: (base: number) => Reading): Reading {
  const start = readIprouteStart('ip', argv, base, IP_OPTIONS);
  if ('problem' in start) return start;
  const { facts, at, word } = start;
  if (word === undefined) return { facts };
  const entry = resolve(word, IP_OBJECTS);
  if (!entry) return refuse(at, `names ip object "${word}", which ip does not have; try one of ${IP_OBJECTS.filter((e) => !e.meaning.refused).map((e) => e.name).join(', ')}`);
  const object = OBJECT_ALIAS[entry.name] ?? entry.name;
  facts.object = object;
  if (entry.meaning.refused) {
    return refuse(at, `uses \`ip ${object}\`${word === object ? '' : ` (ip reads "${word}" as ${object})`}, which ${entry.meaning.refused}; allowed objects are ${IP_OBJECTS.filter((e) => !e.meaning.refused).map((e) => e.name).join(', ')}`);
  }
  if (object === 'netns') return readNetns(argv, at + 1, facts, readNested);
  if (object === 'monitor') return readMonitor(argv, at + 1, facts);
  if (VERBS[object]) {
    const problem = readVerb(argv, at + 1, object, facts);
    if (problem) return problem;
  }
  const scanned = scanArguments(argv, at + 2, facts);
  if (scanned) return scanned;
  const modifies = ['add', 'set', 'change', 'replace', 'delete'].includes(facts.verb ?? '');
  if (object === 'link' && modifies) {
    for (let j = at + 2; j < argv.length - 1; j++) {
      if (isType(argv[j]!) && !LINK_KINDS.includes(argv[j + 1]!)) {
        return refuse(j + 1, `creates a link of type "${argv[j + 1]}", which vxlab does not allow; allowed types are ${LINK_KINDS.join(', ')}`);
      }
    }
    const problem = checkLinkValues(argv, at + 2);
    if (problem) return { problem };
    for (const { index, value } of namedWords(argv, at + 2, facts.verb)) {
      const keyword = keywordNameProblem(value);
      if (keyword) return refuse(index, keyword);
    }
    if (facts.verb === 'add') facts.createdInterfaces = linkAddCreates(argv, at + 2);
  } else if (object === 'address' && modifies) {
    const problem = checkAddressValues(argv, at + 2);
    if (problem) return { problem };
  } else if (object === 'neighbor' && modifies) {
    const problem = checkNeighValues(argv, at + 2);
    if (problem) return { problem };
  }
  return { facts };
}
