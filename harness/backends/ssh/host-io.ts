// Reading a host's state and putting it back, over its connection; retried while the
// connection is lost (ssh's own exit code 255), so a teardown survives a dropped master.
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import type { ExecResult } from '../../util/process.ts';
import { SSH_FAILED, type SshConnection } from './connection.ts';
import { differences, parseHostState, restorePlan, STATE_READS, type HostState } from './host-state.ts';

export class HostIoError extends Error {
  override readonly name = 'HostIoError';
}

/** Hosts that `clean` could not put back, each named with what is left on it. */
export class HostsNotRestoredError extends Error {
  override readonly name = 'HostsNotRestoredError';
}

/** Runs vxlab's own command on a host, reopening the connection and trying again while ssh itself fails. */
export async function hostCommand(conn: SshConnection, argv: readonly string[], input?: string, timeoutMs = 60_000): Promise<ExecResult> {
  let last: ExecResult | undefined;
  try {
    return await pollUntil(
      async () => {
        const result = await conn.plainExec(argv, input);
        if (result.exitCode !== SSH_FAILED) return result;
        last = result;
        await conn.open().catch(() => undefined);
        return undefined;
      },
      { what: `${conn.host.node} (${conn.destination}) to answer over SSH`, timeoutMs, maxIntervalMs: 1000 },
    );
  } catch (error) {
    if (error instanceof DeadlineError) throw new HostIoError(`${error.message}: ${last?.stderr.trim() ?? ''}`);
    throw error;
  }
}

async function checked(conn: SshConnection, argv: readonly string[], input?: string): Promise<string> {
  const r = await hostCommand(conn, argv, input);
  if (r.exitCode !== 0) throw new HostIoError(`${conn.host.node} (${conn.destination}): \`${argv.join(' ')}\` failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return r.stdout;
}

/** The host's state; sysctl keys that do not exist (yet) are left out. */
export async function readHostState(conn: SshConnection, sysctlKeys: readonly string[]): Promise<HostState> {
  const outputs = await Promise.all(STATE_READS.map((argv) => checked(conn, argv)));
  const sysctls: Record<string, string> = {};
  if (sysctlKeys.length > 0) {
    const r = await hostCommand(conn, ['sysctl', '-e', ...sysctlKeys]);
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+) = (.*)$/.exec(line);
      if (m) sysctls[m[1]!] = m[2]!;
    }
  }
  return parseHostState(outputs, sysctls);
}

/** Undoes what changed since `before`; returns what is still different afterwards (empty: restored). */
export async function restoreHost(conn: SshConnection, before: HostState): Promise<string[]> {
  const keys = Object.keys(before.sysctls);
  const now = await readHostState(conn, keys);
  const plan = restorePlan(before, now);
  for (const ns of plan.namespaces) await hostCommand(conn, ['ip', 'netns', 'del', ns]);
  if (plan.ip.length > 0) await hostCommand(conn, ['ip', '-force', '-batch', '-'], `${plan.ip.join('\n')}\n`);
  if (plan.bridge.length > 0) await hostCommand(conn, ['bridge', '-force', '-batch', '-'], `${plan.bridge.join('\n')}\n`);
  // Only when empty: a namespace someone else added meanwhile keeps it (and shows as left over).
  if (plan.removeNetnsDir) await hostCommand(conn, ['sh', '-c', 'if [ -z "$(ls -A /run/netns)" ]; then umount -n /run/netns 2>/dev/null; rmdir /run/netns; fi']);
  if (plan.sysctls.length > 0) await hostCommand(conn, ['sysctl', '-q', '-w', ...plan.sysctls]);
  return differences(before, await readHostState(conn, keys));
}
