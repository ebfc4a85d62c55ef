// The one firewall rule the container backend adds: in the engine's DOCKER-USER chain, accept
// frames that cross a run's own bridge (the engine's isolation rules for internal networks drop
// multicast, because br_netfilter sends bridged frames through iptables). Its comment names the
// run, so `clean` finds the rules of dead runs.
import { execArgv } from '../../util/process.ts';

export function forwardRuleSpec(bridge: string, runId: string): string[] {
  return ['DOCKER-USER', '-i', bridge, '-o', bridge, '-m', 'comment', '--comment', `vxlab-${runId}`, '-j', 'ACCEPT'];
}

const RULE_COMMENT = /--comment "?vxlab-(vx[0-9a-f]+)"?/;

/** Rules this backend added, as `iptables -D` arguments, by run, from `iptables -S` output (pure). */
export function forwardRules(iptablesSave: string): { runId: string; spec: string[] }[] {
  return iptablesSave
    .split('\n')
    .filter((line) => line.startsWith('-A DOCKER-USER ') && RULE_COMMENT.test(line))
    .map((line) => ({ runId: RULE_COMMENT.exec(line)![1]!, spec: line.slice(3).replace(/"/g, '').split(' ') }));
}

/** The chain's rules of this backend; undefined when there is no chain (the engine filters nothing). */
export async function listForwardRules(): Promise<{ runId: string; spec: string[] }[] | undefined> {
  const saved = await execArgv(['iptables', '-w', '-S', 'DOCKER-USER'], { timeoutMs: 10_000 });
  return saved.exitCode === 0 ? forwardRules(saved.stdout) : undefined;
}

/** Adds (`-I`) or deletes (`-D`) a rule; throws with iptables' own words when it fails. */
export async function changeForwardRule(action: '-I' | '-D', spec: string[]): Promise<void> {
  const result = await execArgv(['iptables', '-w', action, ...spec], { timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`iptables ${action} ${spec.join(' ')} failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
}
