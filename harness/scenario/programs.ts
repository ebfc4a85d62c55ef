// The programs a scenario may run inside a node, and the arguments that would let a command
// reach outside the lab (the host's namespaces, its files, its global sysctls).

export const ALLOWED_PROGRAMS = ['ip', 'bridge', 'ping', 'tcpdump', 'sysctl', 'tc'] as const;
export type AllowedProgram = (typeof ALLOWED_PROGRAMS)[number];

import { ipObject } from '../lab/iproute2.ts';
import { checkArguments } from './arguments.ts';

export interface ArgvProblem {
  /** Index in argv of the argument at fault. */
  index: number;
  message: string;
}

/** Sysctl trees that are private to a network namespace; everything else is the host's. */
export const NAMESPACED_SYSCTL_PREFIXES = ['net.ipv4.', 'net.ipv6.'] as const;

const TCPDUMP_FORBIDDEN = new Set(['-w', '-W', '-C', '-G', '-z', '-Z', '-F', '-r', '-V', '--relinquish-privileges']);
// In iproute2's own matching order.
const NETNS_VERBS = ['list', 'list-id', 'add', 'set', 'delete', 'pids', 'identify', 'exec', 'monitor', 'attach'];
const IP_OPTIONS_WITH_VALUE = new Set(['-n', '-netns', '-rc', '-rcvbuf', '-l', '-loops', '-f', '-family']);

function isAllowed(program: string): program is AllowedProgram {
  return (ALLOWED_PROGRAMS as readonly string[]).includes(program);
}

/** A namespace may be named, never given as a PID or a path: those could be the host's. */
function checkNetnsRef(argv: readonly string[], index: number): ArgvProblem | undefined {
  const ref = argv[index];
  if (ref === undefined) return undefined;
  if (/^\d+$/.test(ref) || ref.includes('/')) {
    return { index, message: `refers to namespace "${ref}" by PID or path; name a namespace this lab created (e.g. vm0)` };
  }
  return undefined;
}

function checkIp(argv: readonly string[], base: number): ArgvProblem | undefined {
  let i = base + 1;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const option = argv[i]!;
    if (option === '-batch' || option === '-b' || option === '--batch') {
      return { index: i, message: 'uses a batch file; write one command per entry instead' };
    }
    if (option === '-n' || option === '-netns') {
      const problem = checkNetnsRef(argv, i + 1);
      if (problem) return problem;
    }
    if (IP_OPTIONS_WITH_VALUE.has(option)) i++;
  }
  if (ipObject(argv[i]) === 'netns') {
    const given = argv[i + 1] ?? '';
    const verb = given && NETNS_VERBS.find((v) => v.startsWith(given));
    if (verb === 'attach' || verb === 'set') {
      return { index: i + 1, message: `\`ip netns ${verb}\` can adopt a namespace by PID; use \`ip netns add\`` };
    }
    if (verb === 'exec') {
      const problem = checkNetnsRef(argv, i + 2);
      if (problem) return problem;
      if (argv[i + 3] === undefined) return { index: i + 1, message: '`ip netns exec` needs a namespace and a command' };
      return checkProgramAt(argv, i + 3);
    }
  }
  for (let j = i; j < argv.length; j++) {
    // `netns X` moves or creates a device in X; `link-netns X` names where its link lives.
    if (argv[j] === 'netns' || argv[j] === 'link-netns') {
      const problem = checkNetnsRef(argv, j + 1);
      if (problem) return problem;
    }
  }
  return checkArguments('ip', argv, i);
}

function checkBatchless(argv: readonly string[], base: number): ArgvProblem | undefined {
  let object: number | undefined;
  for (let i = base + 1; i < argv.length; i++) {
    if (argv[i] === '-batch' || argv[i] === '-b') return { index: i, message: 'uses a batch file; write one command per entry instead' };
    if (argv[i] === '-n' || argv[i] === '-netns') {
      const problem = checkNetnsRef(argv, i + 1);
      if (problem) return problem;
      i++;
    } else if (object === undefined && !argv[i]!.startsWith('-')) {
      object = i;
    }
  }
  return argv[base] === 'bridge' && object !== undefined ? checkArguments('bridge', argv, object) : undefined;
}

function checkTcpdump(argv: readonly string[], base: number): ArgvProblem | undefined {
  for (let i = base + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
    if (TCPDUMP_FORBIDDEN.has(flag)) {
      return { index: i, message: `uses \`${flag}\`, which reads or writes files or runs commands outside the lab; use a capture check instead` };
    }
  }
  return undefined;
}

function checkSysctl(argv: readonly string[], base: number): ArgvProblem | undefined {
  for (let i = base + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      if (!['-w', '-n', '-q', '-e', '-N'].includes(arg)) {
        return { index: i, message: `uses sysctl option \`${arg}\`; allowed are -w, -n, -q, -e and -N` };
      }
      continue;
    }
    const key = arg.split('=')[0]!.replace(/\//g, '.');
    if (!NAMESPACED_SYSCTL_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      return {
        index: i,
        message: `sets "${key}", which is not private to the node; allowed are keys under ${NAMESPACED_SYSCTL_PREFIXES.join(', ')}`,
      };
    }
  }
  return undefined;
}

function checkProgramAt(argv: readonly string[], base: number): ArgvProblem | undefined {
  const program = argv[base]!;
  if (!isAllowed(program)) {
    return {
      index: base,
      message: `runs "${program}", which is not allowed; allowed programs are ${ALLOWED_PROGRAMS.join(', ')}`,
    };
  }
  switch (program) {
    case 'ip':
      return checkIp(argv, base);
    case 'bridge':
    case 'tc':
      return checkBatchless(argv, base);
    case 'tcpdump':
      return checkTcpdump(argv, base);
    case 'sysctl':
      return checkSysctl(argv, base);
    case 'ping':
      return undefined;
  }
}

/** Checks that argv runs an allowed program in a way that stays inside the lab. */
export function checkArgv(argv: readonly string[]): ArgvProblem | undefined {
  if (argv.length === 0) return { index: 0, message: 'is empty' };
  return checkProgramAt(argv, 0);
}
