// `bridge` (iproute2): global options, objects, fdb verbs and monitor groups, read as bridge reads them.
// Followed, iproute2 v6.1.0: bridge/bridge.c:60-74 (objects), 108-181 (global options: `-b` is
// batch, `-n` netns, `-c` color, `-com` compressvlans); bridge/fdb.c:815-836 (fdb verbs); bridge/link.c, vlan.c, mdb.c, vni.c (their verbs);
// bridge/monitor.c:93-121 (`file` replays a dump).
import { checkFdbValues } from './command-values.ts';
import { resolve, table } from './iproute2-matching.ts';
import { readIprouteStart, type OptionMeaning, type OptionSyntax } from './iproute2-options.ts';
import { refuse, type Reading } from './types.ts';
import { netnsNameProblem, rules } from './values.ts';

export const BRIDGE_OPTIONS: OptionSyntax = {
  program: 'bridge',
  gnuDashes: true,
  table: table<OptionMeaning>([
    ['-help', { exits: 'prints its usage' }], ['-Version', { exits: 'prints its version' }], ['-stats', {}], ['-statistics', {}], ['-details', {}], ['-oneline', {}], ['-timestamp', {}],
    ['-family', { value: (v) => (['inet', 'inet6'].includes(v) ? undefined : `-family expected inet or inet6, got "${v}"`) }],
    ['=-4', {}], ['=-6', {}],
    ['-netns', { value: netnsNameProblem, netns: true }],
    ['-color', {}], ['-compressvlans', {}],
    ['-force', { refused: 'keeps a batch going after errors; vxlab batches commands itself' }],
    ['-json', {}], ['-pretty', {}],
    ['-batch', { refused: 'reads commands from a file; write one command per entry instead', value: () => undefined }],
  ]),
};

const OBJECTS = table<string>([['link', 'link'], ['fdb', 'fdb'], ['mdb', 'mdb'], ['vlan', 'vlan'], ['vni', 'vni'], ['monitor', 'monitor'], ['help', 'help']]);
const FDB_VERBS = table<string>([
  ['add', 'add'], ['append', 'append'], ['replace', 'replace'], ['delete', 'delete'], ['get', 'get'],
  ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['=flush', 'flush'], ['help', 'help'],
]);
/** bridge/link.c:596-604: set and change before show, so `bridge link s` is set. */
const LINK_VERBS = table<string>([['set', 'set'], ['change', 'change'], ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['help', 'help']]);
/** bridge/vlan.c:1342-1358: `global` by strcmp (`bridge vlan g` is no verb), `s` is show. */
const VLAN_VERBS = table<string>([
  ['add', 'add'], ['delete', 'delete'], ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['tunnelshow', 'show'], ['set', 'set'], ['=global', 'global'], ['help', 'help'],
]);
/** bridge/vlan.c:1321-1326: `bridge vlan global` reads its own verb by strcmp. */
const VLAN_GLOBAL_VERBS = table<string>([['=show', 'show'], ['=lst', 'show'], ['=list', 'show'], ['=set', 'set']]);
/** bridge/mdb.c:572-582. */
const MDB_VERBS = table<string>([['add', 'add'], ['delete', 'delete'], ['show', 'show'], ['lst', 'show'], ['list', 'show'], ['help', 'help']]);
/** bridge/vni.c:427-436: strcmp throughout. */
const VNI_VERBS = table<string>([['=add', 'add'], ['=delete', 'delete'], ['=show', 'show'], ['=lst', 'show'], ['=list', 'show'], ['=help', 'help']]);
const VERBS: Record<string, ReturnType<typeof table<string>>> = { link: LINK_VERBS, vlan: VLAN_VERBS, mdb: MDB_VERBS, vni: VNI_VERBS };
const MONITOR = table<string>([['file', 'file'], ['link', 'link'], ['fdb', 'fdb'], ['mdb', 'mdb'], ['vlan', 'vlan'], ['=vni', 'vni'], ['=all', 'all'], ['help', 'help']]);

/** Reads `bridge ...` with argv[base] = "bridge". */
export function readBridge(argv: readonly string[], base: number): Reading {
  const start = readIprouteStart('bridge', argv, base, BRIDGE_OPTIONS);
  if ('problem' in start) return start;
  const { facts, at, word } = start;
  if (word === undefined) return { facts };
  const object = resolve(word, OBJECTS)?.meaning;
  if (!object) return refuse(at, `names bridge object "${word}", which bridge does not have; try one of ${OBJECTS.map((e) => e.name).join(', ')}`);
  facts.object = object;
  if (object === 'monitor') {
    for (let j = at + 1; j < argv.length; j++) {
      const group = resolve(argv[j]!, MONITOR)?.meaning;
      if (!group) return refuse(j, `uses \`${argv[j]}\`, which \`bridge monitor\` does not know`);
      if (group === 'file') return refuse(j, `uses \`${argv[j]}\` (which \`bridge monitor\` reads as \`file\`): it replays a dump file from outside the lab`);
    }
    return { facts };
  }
  if (object === 'fdb' && argv[at + 1] !== undefined) {
    const verb = resolve(argv[at + 1]!, FDB_VERBS)?.meaning;
    if (!verb) return refuse(at + 1, `uses \`bridge fdb ${argv[at + 1]}\`, which bridge does not know`);
    facts.verb = verb;
    if (['add', 'append', 'replace', 'delete'].includes(verb)) {
      const problem = checkFdbValues(argv, at + 2);
      if (problem) return { problem };
    }
  }
  const verbs = VERBS[object];
  if (verbs && argv[at + 1] !== undefined) {
    const verb = resolve(argv[at + 1]!, verbs)?.meaning;
    if (!verb) return refuse(at + 1, `uses \`bridge ${object} ${argv[at + 1]}\`, which bridge does not know`);
    // `bridge vlan global show|set`: what it does is the next word's.
    if (verb === 'global' && argv[at + 2] !== undefined) {
      const sub = resolve(argv[at + 2]!, VLAN_GLOBAL_VERBS)?.meaning;
      if (!sub) return refuse(at + 2, `uses \`bridge vlan global ${argv[at + 2]}\`, which bridge does not know`);
      facts.verb = sub === 'show' ? 'show' : 'global set';
    } else facts.verb = verb === 'global' ? 'show' : verb;
  }
  // `bridge link set dev X ...` and the rest take interface names and flags, no files or namespaces.
  for (let j = at + 1; j < argv.length - 1; j++) {
    if (argv[j] === 'dev') {
      const problem = rules.ifname(argv[j + 1]!);
      if (problem) return refuse(j + 1, `dev ${problem}`);
    }
  }
  return { facts };
}
