// Every command that reaches a node passes the one command policy first, whoever built it: a
// scenario's steps, a check's own ping, tcpdump or table read, a capture's actions. The sandbox
// is what holds; this is the same early refusal the loader gives, enforced where commands run.
import type { ArgvProblem } from '../scenario/programs.ts';
import { checkArgv } from '../scenario/programs.ts';
import { renderArgv } from '../scenario/command-line.ts';
import type { BackgroundProcess, ExecOptions, ExecResult } from '../util/process.ts';
import type { NodeHandle } from './types.ts';

/** The exit code of a command the policy refused: like a shell's "cannot execute". */
export const REFUSED_EXIT_CODE = 126;

/** A batch (`ip -batch -` with its lines on stdin) is checked line by line, as the program reads it. */
export function checkInvocation(argv: readonly string[], input?: string): ArgvProblem | undefined {
  if ((argv[0] === 'ip' || argv[0] === 'bridge') && argv[1] === '-batch' && argv[2] === '-' && argv.length === 3) {
    for (const line of (input ?? '').split('\n').filter((l) => l.trim() !== '')) {
      if (!/^[^"'#\\]+$/.test(line)) return { index: 1, message: `has a batch line with quotes, # or \\: ${line}` };
      const problem = checkArgv([argv[0], ...line.trim().split(/\s+/)]);
      if (problem) return { index: 1, message: `batch line "${line}" ${problem.message}` };
    }
    return undefined;
  }
  // vxlab's own capture streams its pcap to stdout (`-w -`): no file is written.
  const forPolicy = argv[0] === 'tcpdump' ? argv.filter((a, i) => !(a === '-w' && argv[i + 1] === '-') && !(a === '-' && argv[i - 1] === '-w')) : argv;
  return checkArgv(forPolicy);
}

export class CommandRefusedError extends Error {
  override readonly name = 'CommandRefusedError';
}

function refusal(node: string, argv: readonly string[], problem: ArgvProblem): string {
  return `vxlab refused to run \`${renderArgv(argv)}\` on ${node}: ${argv[problem.index] ?? ''} ${problem.message}`.replace(/: {2}/, ': ');
}

/** The node as steps and checks see it: the backend's executor behind the policy. */
export function policed(node: NodeHandle): NodeHandle {
  return {
    name: node.name,
    async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
      const problem = checkInvocation(argv, options?.input);
      if (problem) return { exitCode: REFUSED_EXIT_CODE, stdout: '', stderr: `${refusal(node.name, argv, problem)}\n`, durationMs: 0, timedOut: false };
      return node.exec(argv, options);
    },
    start(argv: readonly string[]): BackgroundProcess {
      const problem = checkInvocation(argv);
      if (problem) throw new CommandRefusedError(refusal(node.name, argv, problem));
      return node.start(argv);
    },
  };
}
