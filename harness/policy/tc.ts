// `tc` (iproute2): global options, objects, verbs, and the qdisc, class, filter and action kinds
// vxlab allows. tc loads any other kind as a shared object (q_KIND.so, f_KIND.so, m_KIND.so), and
// its bpf filter and action load programs from files, so kinds come from explicit lists.
// Followed, iproute2 v6.1.0: tc/tc.c:211-235 (objects), 261-332 (global options: no `--`, `-c` is
// `-cf`, `-n` netns, `-nm` names); tc/tc.c:112-190 (dlopen of kinds); tc/tc_qdisc.c:60-140, 440-465;
// tc/tc_class.c; tc/tc_filter.c:80-175; tc/m_action.c:90-130; tc/q_netem.c:124-140, 417
// (`distribution NAME` reads TC_LIB_DIR/NAME.dist); lib/bpf_legacy.c:842-860.
import { matches, resolve, table } from './iproute2-matching.ts';
import { readIprouteStart, type OptionMeaning, type OptionSyntax } from './iproute2-options.ts';
import { refuse, type Reading } from './types.ts';
import { netnsNameProblem, rules } from './values.ts';

const READS_FILE = 'reads a file outside the lab';

export const TC_OPTIONS: OptionSyntax = {
  program: 'tc',
  gnuDashes: false,
  table: table<OptionMeaning>([
    ['-stats', {}], ['-statistics', {}], ['-details', {}], ['-raw', {}], ['-pretty', {}], ['-graph', {}], ['-Version', { exits: 'prints its version' }], ['-iec', {}], ['-help', { exits: 'prints its usage' }],
    ['-force', { refused: 'keeps a batch going after errors' }],
    ['-batch', { refused: 'reads commands from a file; write one command per entry instead', value: () => undefined }],
    ['-netns', { value: netnsNameProblem, netns: true }],
    ['-Numeric', {}],
    ['-names', { refused: `${READS_FILE} (a class names file)` }], ['-nm', { refused: `${READS_FILE} (a class names file)` }],
    ['-cf', { refused: READS_FILE, value: () => undefined }], ['-conf', { refused: READS_FILE, value: () => undefined }],
    ['-color', {}], ['-timestamp', {}], ['-tshort', {}], ['-json', {}], ['-oneline', {}], ['-brief', {}],
  ]),
};

type ObjectRule = { refused?: string };
const OBJECTS = table<ObjectRule>([
  ['qdisc', {}], ['class', {}], ['filter', {}], ['chain', {}],
  ['actions', { refused: 'manages standalone actions, which can load programs; attach actions to a filter instead' }],
  ['monitor', { refused: 'is not needed by the labs (and `tc monitor file` reads a dump file)' }],
  ['exec', { refused: 'runs BPF programs and commands (`tc exec bpf`) outside vxlab\'s control' }],
  ['help', {}],
]);

const LIST = ['list', 'show', 'lst'] as const;
const VERBS: Record<string, ReturnType<typeof table<string>>> = {
  qdisc: table<string>([['add', 'add'], ['change', 'change'], ['replace', 'replace'], ['link', 'link'], ['delete', 'delete'], ...LIST.map((l) => [l, 'show'] as const), ['help', 'help']]),
  class: table<string>([['add', 'add'], ['change', 'change'], ['replace', 'replace'], ['delete', 'delete'], ...LIST.map((l) => [l, 'show'] as const), ['help', 'help']]),
  filter: table<string>([['add', 'add'], ['delete', 'delete'], ['change', 'change'], ['replace', 'replace'], ...LIST.map((l) => [l, 'show'] as const), ['get', 'get'], ['help', 'help']]),
  chain: table<string>([['add', 'add'], ['delete', 'delete'], ['get', 'get'], ...LIST.map((l) => [l, 'show'] as const), ['help', 'help']]),
};

export const QDISC_KINDS = ['pfifo', 'bfifo', 'pfifo_fast', 'pfifo_head_drop', 'fq', 'fq_codel', 'codel', 'cake', 'tbf', 'htb', 'hfsc', 'drr', 'prio', 'sfq', 'red', 'netem', 'noqueue', 'mq', 'multiq', 'ingress', 'clsact'];
export const CLASS_KINDS = ['htb', 'hfsc', 'drr', 'prio', 'qfq'];
export const FILTER_KINDS = ['u32', 'matchall', 'flower', 'fw', 'route', 'flow'];
/** Actions that cannot load code (gact's verdicts included); pedit, xt, ipt, bpf and ife can. */
export const ACTION_KINDS = ['gact', 'mirred', 'police', 'skbedit', 'vlan', 'csum', 'tunnel_key', 'sample', 'nat', 'connmark', 'ct', 'pass', 'ok', 'drop', 'shot', 'continue', 'reclassify', 'pipe', 'trap', 'goto'];
const NETEM_DISTRIBUTIONS = ['uniform', 'normal', 'pareto', 'paretonormal'];
/**
 * tc action kinds vxlab does not allow, refused wherever they stand: parse_action (tc/m_action.c)
 * reads the word after one action's options as the next action's kind, with no keyword between
 * (`action gact pipe skbmod ...`). skbmod rewrites frames' MACs, the rest are not needed.
 */
const DENIED_ACTIONS = new Set(['skbmod', 'simple', 'ctinfo', 'gate', 'mpls']);
const LOADS_CODE = new Set(['bpf', 'ebpf', 'xt', 'ipt', 'pedit', 'ife', 'basic', 'cgroup', 'ematch', 'obj', 'object-file', 'object-pinned', 'pinned', 'bytecode-file', 'bcf', 'bc', 'bytecode']);

/** Generic keywords before the kind, with how many values each takes ([tc_qdisc.c], [tc_filter.c]). */
const GENERIC = table<number>([
  ['=dev', 1], ['=handle', 1], ['=root', 0], ['=clsact', 0], ['=ingress', 0], ['=egress', 0], ['=parent', 1], ['=classid', 1],
  ['estimator', 2], ['ingress_block', 1], ['egress_block', 1], ['block', 1], ['preference', 1], ['priority', 1], ['protocol', 1], ['chain', 1],
]);

function kindsFor(object: string): string[] {
  return object === 'qdisc' ? QDISC_KINDS : object === 'class' ? CLASS_KINDS : FILTER_KINDS;
}

/** The kind's own options: no word that loads code, netem distributions by name, actions from the list. */
function scanKindOptions(argv: readonly string[], from: number): Reading | undefined {
  for (let j = from; j < argv.length; j++) {
    const word = argv[j]!;
    if (LOADS_CODE.has(word)) return refuse(j, `uses \`${word}\`, which loads a program or a module from a file; vxlab allows no BPF, pedit, xt or ematch in tc`);
    if (DENIED_ACTIONS.has(word)) return refuse(j, `names action "${word}", which vxlab does not allow; allowed are ${ACTION_KINDS.join(', ')}`);
    if (word.length >= 2 && matches(word, 'distribution')) {
      const name = argv[j + 1];
      if (name !== undefined && !NETEM_DISTRIBUTIONS.includes(name)) return refuse(j + 1, `names distribution "${name}", which tc would read from a file; allowed are ${NETEM_DISTRIBUTIONS.join(', ')}`);
    }
    // Filters read `action` with matches(): `a` and `ac` start an action list too.
    if (matches(word, 'action') || matches(word, 'actions')) {
      const kind = argv[j + 1];
      if (kind !== undefined && !ACTION_KINDS.includes(kind)) return refuse(j + 1, `names action "${kind}", which vxlab does not allow; allowed are ${ACTION_KINDS.join(', ')}`);
    }
  }
  return undefined;
}

/** Reads `tc ...` with argv[base] = "tc". */
export function readTc(argv: readonly string[], base: number): Reading {
  const start = readIprouteStart('tc', argv, base, TC_OPTIONS);
  if ('problem' in start) return start;
  const { facts, at, word } = start;
  if (word === undefined) return { facts };
  const entry = resolve(word, OBJECTS);
  if (!entry) return refuse(at, `names tc object "${word}", which tc does not have; try one of qdisc, class, filter, chain`);
  facts.object = entry.name;
  if (entry.meaning.refused) return refuse(at, `uses \`tc ${entry.name}\`${word === entry.name ? '' : ` (tc reads "${word}" as ${entry.name})`}, which ${entry.meaning.refused}`);
  if (entry.name === 'help' || argv[at + 1] === undefined) return { facts };
  const verb = resolve(argv[at + 1]!, VERBS[entry.name]!)?.meaning;
  if (!verb) return refuse(at + 1, `uses \`tc ${entry.name} ${argv[at + 1]}\`, which tc does not know`);
  facts.verb = verb;
  let j = at + 2;
  for (; j < argv.length; j++) {
    const generic = resolve(argv[j]!, GENERIC);
    if (!generic) break;
    if (['dev', 'block', 'ingress_block', 'egress_block'].includes(generic.name)) (facts.tcTarget ??= []).push({ keyword: generic.name, index: j + 1, value: argv[j + 1] });
    if (generic.name === 'dev' && argv[j + 1] !== undefined) {
      const problem = rules.ifname(argv[j + 1]!);
      if (problem) return refuse(j + 1, `dev ${problem}`);
    }
    j += generic.meaning;
  }
  // tc reads the first word it does not know as the kind, and loads it.
  const kind = argv[j];
  if (kind !== undefined && ['add', 'change', 'replace', 'link', 'delete'].includes(verb) && entry.name !== 'chain') {
    const kinds = kindsFor(entry.name);
    if (!kinds.includes(kind)) return refuse(j, `names ${entry.name} kind "${kind}", which vxlab does not allow; allowed are ${kinds.join(', ')}`);
  }
  return scanKindOptions(argv, j) ?? { facts };
}
