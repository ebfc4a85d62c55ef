// The one answer to "may this argv run in a node?". The loader calls it for errors at the word
// that was typed; every backend's executor calls checkInvocation before anything runs; the
// compiler reads the facts it learns (objects, verbs, created interfaces, guest namespaces).
import { readBridge } from './bridge.ts';
import { readIp } from './ip.ts';
import { readPing } from './ping.ts';
import { readSysctl } from './sysctl.ts';
import { readTc } from './tc.ts';
import { readTcpdump } from './tcpdump.ts';
import { coverageProblemOf, hostScopeProblemOf, scopeAfterOf, type GuardedAddress, type HostScope } from './host-scope.ts';
import { ALLOWED_PROGRAMS, refuse, type AllowedProgram, type ArgvProblem, type CommandFacts, type Reading } from './types.ts';

export { filterProblem } from './tcpdump.ts';
export { readLinkArgs } from './ip.ts';
export { startScope, type GuardedAddress, type HostScope } from './host-scope.ts';
export { ALLOWED_PROGRAMS, type AllowedProgram, type ArgvProblem, type CommandFacts } from './types.ts';

function isAllowed(program: string): program is AllowedProgram {
  return (ALLOWED_PROGRAMS as readonly string[]).includes(program);
}

/** Reads the command that starts at argv[base] (the program's name). */
function readAt(argv: readonly string[], base: number): Reading {
  const program = argv[base]!;
  if (!isAllowed(program)) {
    return refuse(base, `runs "${program}", which is not allowed; allowed programs are ${ALLOWED_PROGRAMS.join(', ')}`);
  }
  switch (program) {
    case 'ip':
      return readIp(argv, base, (nested) => readAt(argv, nested));
    case 'bridge':
      return readBridge(argv, base);
    case 'tc':
      return readTc(argv, base);
    case 'tcpdump':
      return readTcpdump(argv, base);
    case 'sysctl':
      return readSysctl(argv, base);
    case 'ping':
      return readPing(argv, base);
  }
}

// C0 controls and DEL: a NUL ends an `ip -batch` line (and a C string) early, so the words after it would go unchecked.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What the policy reads in argv, or the problem that makes it refuse the command. */
export function readCommand(argv: readonly string[]): Reading {
  if (argv.length === 0) return refuse(0, 'is empty');
  const bad = argv.findIndex((word) => CONTROL.test(word));
  if (bad >= 0) return refuse(bad, `has a control character (U+${argv[bad]!.codePointAt(argv[bad]!.search(CONTROL))!.toString(16).padStart(4, '0').toUpperCase()}) in "${JSON.stringify(argv[bad]).slice(1, -1)}"; a program would read the word differently from vxlab`);
  return readAt(argv, 0);
}

/** Checks that one command (as a scenario types it) runs an allowed program in a way that stays inside the lab. */
export function checkArgv(argv: readonly string[]): ArgvProblem | undefined {
  return readCommand(argv).problem;
}

/**
 * On a real host (the ssh backend) the policy also keeps a command to what the node's steps
 * create (host-scope.ts): the command's problem there, or undefined.
 */
export function checkArgvOnHost(argv: readonly string[], scope: HostScope): ArgvProblem | undefined {
  const reading = readCommand(argv);
  if (reading.problem) return reading.problem;
  return hostScopeProblemOf(argv, 0, reading.facts, scope, (a, base) => readAt(a, base));
}

/** The host scope after `argv` (an allowed command) ran: ordered, a device counts from the step that creates it. */
export function scopeAfter(argv: readonly string[], scope: HostScope): HostScope {
  const reading = readCommand(argv);
  return reading.facts ? scopeAfterOf(argv, 0, reading.facts, scope, (a, base) => readAt(a, base)) : scope;
}

/** A route or address `argv` adds on a real host that covers one of `protect` (the ssh connection's ends and gateway), or undefined. */
export function coverageProblem(argv: readonly string[], protect: readonly GuardedAddress[]): ArgvProblem | undefined {
  const reading = readCommand(argv);
  return reading.facts ? coverageProblemOf(argv, 0, reading.facts, protect) : undefined;
}

/** The facts of an allowed command; throws for a refused one (callers hold commands the loader accepted). */
export function commandFacts(argv: readonly string[]): CommandFacts {
  const reading = readCommand(argv);
  if (reading.problem) throw new Error(`refused command ${argv.join(' ')}: ${reading.problem.message}`);
  return reading.facts;
}

// ------------------------------------------------------------------ batches

/** Words a batch line can carry as they are: iproute2's makeargs() would read quotes, `#` and `\`. */
// eslint-disable-next-line no-control-regex -- a control character (a NUL ends the line for ip) is never a batch word
export const BATCH_WORD = /^[^\s"'#\\\u0000-\u001f\u007f]+$/;
export const BATCH_PROGRAMS = ['ip', 'bridge'] as const;
export type BatchProgram = (typeof BATCH_PROGRAMS)[number];

/** The line a command becomes in `ip -batch -` (or bridge's), or undefined when it must run alone. */
export function batchLine(argv: readonly string[]): { program: BatchProgram; line: string } | undefined {
  const program = argv[0];
  if (program !== 'ip' && program !== 'bridge') return undefined;
  // Global options (-n NS, -j) change the whole process, and a batch line has none.
  if (argv.length < 2 || argv[1]!.startsWith('-')) return undefined;
  if (!argv.slice(1).every((a) => BATCH_WORD.test(a))) return undefined;
  if (checkArgv(argv)) return undefined;
  // In a batch, `ip netns exec` forks its program and waits: a deadline or a lost channel would
  // end ip and leave the program running. Alone, ip execs it, so the program is the process.
  if (readCommand(argv).facts?.nested) return undefined;
  return { program, line: argv.slice(1).join(' ') };
}

/** The argv of vxlab's own batch process; nothing else may run with an input. */
export const batchArgv = (program: BatchProgram): string[] => [program, '-batch', '-'];

/**
 * The executor's check: argv as it will run, with the input it gets on stdin. Only vxlab's own
 * `ip -batch -` / `bridge -batch -` take an input, and then each line is checked as a command of
 * that program; a problem there names its line.
 */
export function checkInvocation(argv: readonly string[], input?: string, scope?: HostScope): ArgvProblem | undefined {
  return scope ? checkOnHost(argv, input, scope).problem : invocationProblem(argv, input, checkArgv);
}

/**
 * The ssh executor's check: checkInvocation against the scope as it stands, and the scope after
 * the command (each line of a batch seeing what the lines before it created).
 */
export function checkOnHost(argv: readonly string[], input: string | undefined, scope: HostScope): { problem?: ArgvProblem; scope: HostScope } {
  let current = scope;
  const problem = invocationProblem(argv, input, (a) => {
    const p = checkArgvOnHost(a, current);
    if (!p) current = scopeAfter(a, current);
    return p;
  });
  return problem ? { problem, scope } : { scope: current };
}

/**
 * The scope after a command has run: what it makes, deletes, renames or moves if it succeeded
 * (exit 0), nothing otherwise. Teardown deletes only what this holds, so the ssh executor runs
 * every line that changes a name alone: a batch's exit cannot say how far it got.
 */
export function scopeAfterRun(argv: readonly string[], input: string | undefined, scope: HostScope, result: { exitCode: number | undefined }): HostScope {
  if (result.exitCode !== 0) return scope;
  const lines = input === undefined ? [argv] : input.split('\n').filter((l) => l !== '').map((l) => [argv[0]!, ...l.split(' ')]);
  return lines.reduce((current, line) => scopeAfter(line, current), scope);
}

/** The names a scope holds, as one comparable string: devices, then guest namespaces. */
export const scopeNames = (s: HostScope): string => `${[...s.devices].sort().join(' ')}|${[...s.namespaces].sort().join(' ')}`;

function invocationProblem(argv: readonly string[], input: string | undefined, check: (a: readonly string[]) => ArgvProblem | undefined): ArgvProblem | undefined {
  if (input === undefined) return check(argv);
  const program = argv[0];
  if ((program !== 'ip' && program !== 'bridge') || argv.length !== 3 || argv[1] !== '-batch' || argv[2] !== '-') {
    return { index: 0, message: 'gets an input, which only vxlab\'s own `ip -batch -` and `bridge -batch -` may' };
  }
  const lines = input.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [n, line] of lines.entries()) {
    const words = line.split(' ');
    const where = `batch line ${n + 1} "${line}"`;
    if (line === '' || !words.every((w) => BATCH_WORD.test(w))) {
      return { index: 0, line: n + 1, message: `${where} is not plain words separated by single spaces (no quotes, "#" or "\\")` };
    }
    if (words[0]!.startsWith('-')) return { index: 0, line: n + 1, message: `${where} starts with an option; a batch line starts with an object` };
    const problem = check([program, ...words]);
    if (problem) return { index: 0, line: n + 1, message: `${where}: ${problem.message}` };
  }
  return undefined;
}
