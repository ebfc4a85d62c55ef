// `sysctl` (procps-ng): options from an explicit list, and keys read the way procps turns them
// into paths under /proc/sys, so that only per-namespace keys (net.ipv4., net.ipv6.) are reached.
// Followed: procps-ng v4.0.2 src/sysctl.c:914-930 (longopts), 954 (optstring
// "bneNwfp::qoxaAXr:Vdh"), 118-140 (slashdot: the first separator decides; if it is `.`, every
// `.` and `/` swap), 153-175 (setting_new), 638-683 (parse_setting_line: key before `=`, a
// leading `-` ignores failure, white space stripped), 1043-1050 (write mode: -w or a `=`).
import { getoptLong, isProblem, type GetoptSpec } from './getopt.ts';
import { refuse, type Reading } from './types.ts';

export const SYSCTL_GETOPT: GetoptSpec = {
  shorts: 'bneNwfp::qoxaAXr:Vdh',
  longs: [
    { name: 'all', arity: 'none', id: 'a' },
    { name: 'deprecated', arity: 'none', id: 'deprecated' },
    { name: 'dry-run', arity: 'none', id: 'dry-run' },
    { name: 'binary', arity: 'none', id: 'b' },
    { name: 'ignore', arity: 'none', id: 'e' },
    { name: 'names', arity: 'none', id: 'N' },
    { name: 'values', arity: 'none', id: 'n' },
    { name: 'load', arity: 'optional', id: 'p' },
    { name: 'quiet', arity: 'none', id: 'q' },
    { name: 'write', arity: 'none', id: 'w' },
    { name: 'system', arity: 'none', id: 'system' },
    { name: 'pattern', arity: 'required', id: 'r' },
    { name: 'help', arity: 'none', id: 'h' },
    { name: 'version', arity: 'none', id: 'V' },
  ],
};

const ALLOWED = new Set(['b', 'n', 'e', 'N', 'w', 'q', 'h', 'V', 'dry-run']);
const WHY: Record<string, string> = {
  p: 'loads settings from a file', f: 'loads settings from a file', system: 'loads settings from the host\'s files',
  a: 'reads every key of the host', A: 'reads every key of the host', X: 'reads every key of the host', deprecated: 'only matters with --all',
  r: 'filters --all, which reads every key of the host',
};

/** Sysctl trees that are private to a network namespace; everything else is the host's. */
export const NAMESPACED_SYSCTL_PREFIXES = ['net.ipv4.', 'net.ipv6.'] as const;

/** procps's slashdot(): if the first separator is not already `to`, swap every `.` and `/`. */
export function slashdot(key: string, to: '.' | '/'): string {
  const first = /[./]/.exec(key)?.[0];
  if (first === undefined || first === to) return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** The path under /proc/sys that procps opens for a key, or why vxlab refuses the key. */
export function sysctlKeyProblem(key: string, writes: boolean): string | undefined {
  const shown = slashdot(key, '.');
  const outside = `${writes ? 'sets' : 'reads'} "${shown}", which is not private to the node; allowed are keys under ${NAMESPACED_SYSCTL_PREFIXES.join(', ')}`;
  if (key === '' || /[\s*?[]/.test(key) || key.startsWith('-')) return `names key "${key}", which is not a plain key such as net.ipv4.ip_forward`;
  const segments = slashdot(key, '/').split('/');
  if (segments[0] !== 'net' || (segments[1] !== 'ipv4' && segments[1] !== 'ipv6') || segments.length < 3) return outside;
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return `names key "${key}", which procps reads as the path /proc/sys/${segments.join('/')}: an empty, "." or ".." part could leave net.ipv4./net.ipv6.`;
  }
  const why = writes ? KERNEL_WIDE_KEYS.get(segments.join('.')) : undefined;
  if (why) return `sets "${shown}", which every network namespace lists but ${why}; a lab has no need of it`;
  return undefined;
}

/**
 * Keys under net.ipv4./net.ipv6. that each namespace lists but whose write reaches the whole
 * kernel (net/ipv4/tcp_cong.c), with why: refused as writes on every backend.
 */
const KERNEL_WIDE_KEYS = new Map([
  ['net.ipv4.tcp_allowed_congestion_control', 'its write changes the kernel-wide list of congestion controls every process may choose'],
  ['net.ipv4.tcp_congestion_control', 'its write makes the kernel load the module of a congestion control it lacks'],
]);

/**
 * Why a value written to a key is refused: a number must be plain decimal. The kernel reads
 * integers in base 0 (`01` and `0x1` are 1), and a restore that compares the value read back with
 * the step's text would take such a value for someone else's.
 */
export function sysctlValueProblem(key: string, value: string): string | undefined {
  const spelled = value.trim().split(/\s+/).find((word) => /^[+-]?(0[xX][\da-fA-F]*|\d+)$/.test(word) && !/^(0|-?[1-9]\d*)$/.test(word));
  if (spelled === undefined) return undefined;
  return `writes "${spelled}" to ${slashdot(key, '.')}, a number the kernel may read as another (it reads 01 and 0x1 as 1); write numbers in plain decimal, such as 1`;
}

/** Reads `sysctl ...` with argv[base] = "sysctl". */
export function readSysctl(argv: readonly string[], base: number): Reading {
  const parsed = getoptLong(argv, base + 1, SYSCTL_GETOPT);
  if (isProblem(parsed)) return { problem: parsed };
  for (const option of parsed.options) {
    if (!ALLOWED.has(option.id)) {
      const spelled = argv[option.index] === option.spelled ? `\`${option.spelled}\`` : `\`${option.spelled}\` (in \`${argv[option.index]}\`)`;
      return refuse(option.index, `uses sysctl option ${spelled}, which ${WHY[option.id] ?? 'vxlab does not allow'}; allowed are -w, -n, -N, -q, -e, -b and their long forms`);
    }
  }
  const writeMode = parsed.options.some((o) => o.id === 'w');
  let writes = false;
  for (const operand of parsed.operands) {
    const eq = operand.value.indexOf('=');
    const write = writeMode || eq >= 0;
    writes ||= write;
    // parse_setting_line strips white space around the key; the tokenizer leaves none unless quoted.
    const key = eq >= 0 ? operand.value.slice(0, eq) : operand.value;
    const problem = sysctlKeyProblem(key, write) ?? (eq >= 0 ? sysctlValueProblem(key, operand.value.slice(eq + 1)) : undefined);
    if (problem) return refuse(operand.index, problem);
  }
  return { facts: { program: 'sysctl', usesGuestNamespace: false, writesSysctl: writes, createdInterfaces: [] } };
}
