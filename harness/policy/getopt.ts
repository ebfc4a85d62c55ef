// A model of glibc's getopt_long, as tcpdump, ping and sysctl call it: bundled short flags
// (`-nw FILE`), attached values (`-wFILE`), optional values only attached (`-pFILE`), GNU
// argument permutation (an option after an operand still counts), `--` ending options,
// `--long=value`, and unique-prefix abbreviation of long options. Pure.
// Followed: glibc posix/getopt.c (process_long_option, _getopt_internal_r).
import type { ArgvProblem } from './types.ts';

export type Arity = 'none' | 'required' | 'optional';

export interface LongOption {
  name: string;
  arity: Arity;
  /** The short option it stands for, or its own name when it has none. */
  id: string;
}

export interface GetoptSpec {
  /** The program's optstring, e.g. "c:C:d": a letter, `:` for a value, `::` for an optional one. */
  shorts: string;
  longs: readonly LongOption[];
}

export interface ParsedOption {
  /** A short letter, or a long option's name when it has no letter. */
  id: string;
  /** How it was written: `-w`, `--inter`, `-n` inside `-nw`. */
  spelled: string;
  value?: string;
  /** The argv index of the word that holds the option. */
  index: number;
  /** The argv index of the word that holds its value (the same word when attached). */
  valueIndex?: number;
}

export interface Operand {
  value: string;
  index: number;
}

export interface Getopt {
  options: ParsedOption[];
  operands: Operand[];
}

function shortArity(spec: GetoptSpec, letter: string): Arity | undefined {
  const at = letter === ':' ? -1 : spec.shorts.indexOf(letter);
  if (at < 0) return undefined;
  if (spec.shorts[at + 1] !== ':') return 'none';
  return spec.shorts[at + 2] === ':' ? 'optional' : 'required';
}

/** Parses argv[from..] as the program's getopt_long loop would; a problem is what the program would refuse. */
export function getoptLong(argv: readonly string[], from: number, spec: GetoptSpec): Getopt | ArgvProblem {
  const options: ParsedOption[] = [];
  const operands: Operand[] = [];
  for (let i = from; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      for (let j = i + 1; j < argv.length; j++) operands.push({ value: argv[j]!, index: j });
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const exact = spec.longs.find((l) => l.name === name);
      const candidates = exact ? [exact] : spec.longs.filter((l) => l.name.startsWith(name));
      const first = candidates[0];
      if (!first) return { index: i, message: `uses \`${word}\`, an option the program does not have` };
      // glibc accepts an abbreviation of several options only when they all mean the same.
      if (candidates.some((c) => c.id !== first.id || c.arity !== first.arity)) {
        return { index: i, message: `uses \`--${name}\`, which is ambiguous: it may be ${candidates.map((c) => `--${c.name}`).join(', ')}` };
      }
      const option: ParsedOption = { id: first.id, spelled: `--${first.name}`, index: i };
      if (eq >= 0) {
        if (first.arity === 'none') return { index: i, message: `gives a value to \`--${first.name}\`, which takes none` };
        option.value = word.slice(eq + 1);
        option.valueIndex = i;
      } else if (first.arity === 'required') {
        if (i + 1 >= argv.length) return { index: i, message: `ends with \`--${first.name}\`, which needs a value` };
        option.value = argv[++i]!;
        option.valueIndex = i;
      }
      options.push(option);
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      for (let k = 1; k < word.length; k++) {
        const letter = word[k]!;
        const arity = shortArity(spec, letter);
        if (arity === undefined) return { index: i, message: `uses \`-${letter}\`${word.length > 2 ? ` (in \`${word}\`)` : ''}, an option the program does not have` };
        const option: ParsedOption = { id: letter, spelled: `-${letter}`, index: i };
        options.push(option);
        if (arity === 'none') continue;
        const rest = word.slice(k + 1);
        if (rest !== '') {
          option.value = rest;
          option.valueIndex = i;
        } else if (arity === 'required') {
          if (i + 1 >= argv.length) return { index: i, message: `ends with \`-${letter}\`, which needs a value` };
          option.value = argv[++i]!;
          option.valueIndex = i;
        }
        break;
      }
      continue;
    }
    // GNU getopt permutes: options after an operand are still options.
    operands.push({ value: word, index: i });
  }
  return { options, operands };
}

export function isProblem(x: Getopt | ArgvProblem): x is ArgvProblem {
  return 'message' in x;
}
