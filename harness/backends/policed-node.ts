// Every command that reaches a node passes the one command policy first, whoever built it: a
// scenario's steps, a check's own ping, tcpdump or table read, a capture's actions. The sandbox
// is what holds; this is the same early refusal the loader gives, enforced where commands run.
import { renderArgv } from '../policy/command-line.ts';
import { checkInvocation, type ArgvProblem } from '../policy/policy.ts';
import type { BackgroundProcess, ExecOptions, ExecResult } from '../util/process.ts';
import type { NodeHandle } from './types.ts';

/** The exit code of a command the policy refused: like a shell's "cannot execute". */
export const REFUSED_EXIT_CODE = 126;

export class CommandRefusedError extends Error {
  override readonly name = 'CommandRefusedError';
}

export function refusal(node: string, argv: readonly string[], problem: ArgvProblem): string {
  // A problem in a batch's input names its line in the message; one in argv, the word at fault.
  const word = problem.line === undefined ? `\`${argv[problem.index] ?? ''}\` ` : '';
  return `vxlab refused to run \`${renderArgv(argv)}\` on ${node}: ${word}${problem.message}`;
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
