// `exec NAME NODE -- CMD...`: one command in a running lab's node, through the lab's policed
// executor (a refused command exits 126 with the reason). Its exit code is the command's.
import type { ExecResult } from '../util/process.ts';
import { UsageError } from '../util/errors.ts';
import { ask, runningLab } from './lab-client.ts';

/** The exit code a shell would give: the command's, 124 for a deadline (like timeout(1)), 137 if killed. */
export function shellExitCode(result: ExecResult): number {
  if (result.timedOut) return 124;
  return result.exitCode ?? 137;
}

export async function execInLab(name: string, node: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
  const record = await runningLab(name);
  if (!record.nodes.includes(node)) throw new UsageError(`lab ${name} has no node ${node}; its nodes: ${record.nodes.join(', ')}`);
  if (argv.length === 0) throw new UsageError('give the command after `--`, e.g. `exec multicast node0 -- ip -br link`');
  let result: ExecResult | undefined;
  await ask(name, { op: 'exec', node, argv, ...(timeoutMs ? { timeoutMs } : {}) }, (reply) => {
    if (reply.type === 'exec') result = reply.result;
  });
  if (!result) throw new Error(`lab ${name}'s supervisor gave no result for \`${argv.join(' ')}\``);
  return result;
}
