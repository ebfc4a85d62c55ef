// The leading options of ip, bridge and tc, read the way each main() reads them: a loop over
// words starting with `-`, each resolved against the program's if/else chain in order. Pure.
import { resolve, type Entry } from './iproute2-matching.ts';
import type { ArgvProblem, CommandFacts } from './types.ts';

export interface OptionMeaning {
  /** Why vxlab refuses it; undefined when allowed. */
  refused?: string;
  /** Checks the value word that follows, when the option takes one. */
  value?: (value: string) => string | undefined;
  /** `-n NS`: the command runs in a guest namespace. */
  netns?: boolean;
  /** The program prints this and exits before it reads a command (`-V`): no command may follow. */
  exits?: string;
}

export interface LeadingOptions {
  /** Index of the first word after the options (the object). */
  next: number;
  netns: boolean;
  /** The namespace `-n NS` names (the last one given). */
  netnsName?: string;
}

export interface OptionSyntax {
  program: string;
  table: readonly Entry<OptionMeaning>[];
  /** ip and bridge stop at `--` and read `--x` as `-x`; tc does neither. */
  gnuDashes: boolean;
}

const allowedNames = (syntax: OptionSyntax) => syntax.table.filter((e) => !e.meaning.refused).map((e) => (e.how === 'color' ? '-color[=WHEN]' : e.name));

export function readLeadingOptions(argv: readonly string[], from: number, syntax: OptionSyntax): LeadingOptions | ArgvProblem {
  let netns = false;
  let netnsName: string | undefined;
  let i = from;
  while (i < argv.length) {
    const word = argv[i]!;
    if (syntax.gnuDashes && word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-')) break;
    const option = syntax.gnuDashes && word[1] === '-' ? word.slice(1) : word;
    const entry = syntax.table.find((e) => e === resolve(option, syntax.table));
    if (!entry) {
      return { index: i, message: `uses \`${word}\`, which is not an option vxlab allows for ${syntax.program}; allowed are ${allowedNames(syntax).join(', ')}` };
    }
    const read = entry.name === word ? `\`${word}\`` : `\`${word}\` (which ${syntax.program} reads as \`${entry.how === 'color' ? '-color' : entry.name}\`)`;
    if (entry.meaning.refused) return { index: i, message: `uses ${read}, which ${entry.meaning.refused}` };
    if (entry.meaning.value) {
      const value = argv[i + 1];
      if (value === undefined) return { index: i, message: `ends with ${read}, which needs a value` };
      const problem = entry.meaning.value(value);
      if (problem) return { index: i + 1, message: problem };
      if (entry.meaning.netns) netnsName = value;
      i++;
    }
    netns ||= entry.meaning.netns === true;
    // ip -V link add wg0 ... exits 0 having done nothing: the words after it would be taken for a command that ran.
    if (entry.meaning.exits && i + 1 < argv.length) return { index: i, message: `uses ${read}, with which ${syntax.program} ${entry.meaning.exits} and exits without running the command after it; write the command without it` };
    i++;
  }
  return { next: i, netns, ...(netnsName !== undefined ? { netnsName } : {}) };
}

export interface IprouteStart {
  /** What is known once the leading options are read; the reader fills in the rest. */
  facts: CommandFacts;
  /** Where the object word stands (after the options). */
  at: number;
  /** The object word, if any. */
  word: string | undefined;
}

/** The start that ip, bridge and tc share: their leading options, then the object word. */
export function readIprouteStart(program: 'ip' | 'bridge' | 'tc', argv: readonly string[], base: number, syntax: OptionSyntax): IprouteStart | { problem: ArgvProblem } {
  const options = readLeadingOptions(argv, base + 1, syntax);
  if ('message' in options) return { problem: options };
  const facts: CommandFacts = {
    program, objectIndex: options.next - base, usesGuestNamespace: options.netns, writesSysctl: false, createdInterfaces: [],
    ...(options.netnsName !== undefined ? { globalNetns: options.netnsName } : {}),
  };
  return { facts, at: options.next, word: argv[options.next] };
}
