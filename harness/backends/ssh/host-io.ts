// Reading a host's state and putting it back, over its connection; retried while the
// connection is lost (ssh's own exit code 255), so a teardown survives a dropped master.
import { dirname } from 'node:path';
import { DeadlineError, pollUntil } from '../../util/poll.ts';
import type { ExecResult } from '../../util/process.ts';
import { SSH_FAILED, type SshConnection } from './connection.ts';
import { BATCH_WORD } from '../../policy/policy.ts';
import { BATCHED_READ, leftovers, notOurs, parseHostState, restorePlan, stateWithMade, STATE_READS, sysctlReads, type HostState, type OwnedNames, type RestorePlan } from './host-state.ts';
import { markerDraft } from './marker-path.ts';
import { shellCommand } from './quote.ts';

export class HostIoError extends Error {
  override readonly name = 'HostIoError';
}

/** Hosts that a teardown or `clean` could not put back, each named with what is left on it. */
export class HostsNotRestoredError extends Error {
  override readonly name = 'HostsNotRestoredError';
}

/** The HostsNotRestoredErrors inside an error a teardown threw (AggregateErrors, causes), if any. */
export function hostsNotRestored(error: unknown, seen = new Set<unknown>()): HostsNotRestoredError[] {
  if (!(error instanceof Error) || seen.has(error)) return [];
  seen.add(error);
  if (error instanceof HostsNotRestoredError) return [error];
  const inner = [...(error instanceof AggregateError ? (error.errors as unknown[]) : []), error.cause];
  return inner.flatMap((e) => hostsNotRestored(e, seen));
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

// Between one read's output and the next in the batched read (JSON and yes/no never hold it).
const SEPARATOR = '--vxlab-state-read--';

const isBatched = (argv: readonly string[]) => BATCHED_READ.every((w, i) => argv[i] === w);
const BATCHED = STATE_READS.filter(isBatched);
const SEPARATE = STATE_READS.filter((argv) => !isBatched(argv));

/**
 * One sh script that runs every read of STATE_READS (each argv quoted by quote.ts) with a
 * separator line after each, then the sysctl values: one round trip instead of one per read. The
 * reads that share BATCHED_READ go first as one `ip -batch` (a JSON line each), fed by a here-
 * document (no process of its own); an `sh -c` read runs in the script's own shell.
 */
export function stateReadScript(sysctlKeys: readonly string[], exact = false): string {
  const batch = [`${shellCommand([...BATCHED_READ, '-batch', '-'])} <<'--vxlab-batch--' || exit $?`, ...BATCHED.map((argv) => argv.slice(BATCHED_READ.length).join(' ')), '--vxlab-batch--', `printf '\\n%s\\n' ${SEPARATOR}`];
  const reads = SEPARATE.map((argv) => `${argv[0] === 'sh' && argv[1] === '-c' ? argv[2]! : shellCommand(argv)} || exit $?; printf '\\n%s\\n' ${SEPARATOR}`);
  // -e: a key that does not exist (yet) is left out, not an error.
  // `exact`: the keys a recorded state holds, as they are (expanding them again would add keys).
  const { keys, patterns } = exact ? { keys: [...sysctlKeys], patterns: [] } : sysctlReads(sysctlKeys);
  const sysctl = [
    ...(keys.length > 0 ? [`${shellCommand(['sysctl', '-e', ...keys])} || true`] : []),
    ...patterns.map(({ tree, pattern }) => `${shellCommand(['sysctl', '-e', '-r', pattern, tree])} || true`),
  ];
  return [...batch, ...reads, ...sysctl].join('\n');
}

/** The script's output split back into each read's output (STATE_READS' order) and the sysctl values. Pure. */
export function splitStateReads(stdout: string): { outputs: string[]; sysctls: Record<string, string> } {
  const parts = stdout.split(`\n${SEPARATOR}\n`);
  // Keyed by names read from the host: no prototype (`__proto__`).
  const sysctls: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of (parts[1 + SEPARATE.length] ?? '').split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(line);
    if (m) sysctls[m[1]!] = m[2]!;
  }
  // The batch's part holds a line per read; one missing leaves the outputs short (an error for the caller).
  const batched = (parts[0] ?? '').split('\n').filter((l) => l !== '');
  if (parts.length < 1 + SEPARATE.length || batched.length !== BATCHED.length) return { outputs: [], sysctls };
  const separate = parts.slice(1, 1 + SEPARATE.length);
  return { outputs: STATE_READS.map((argv) => (isBatched(argv) ? batched.shift()! : separate.shift()!)), sysctls };
}

/**
 * The host's state, in one round trip; sysctl keys that do not exist (yet) are left out. The keys
 * the steps write bring what writing them changes (`sysctlReads`); `exact` reads only `sysctlKeys`.
 * `first` (restoreScript's lines) runs before the read, in the same round trip.
 */
export async function readHostState(conn: SshConnection, sysctlKeys: readonly string[], exact = false, first: readonly string[] = []): Promise<HostState> {
  return (await readState(conn, sysctlKeys, exact, first)).state;
}

/** readHostState, with what the round trip wrote on stderr (what `first`'s commands said). */
async function readState(conn: SshConnection, sysctlKeys: readonly string[], exact: boolean, first: readonly string[]): Promise<{ state: HostState; stderr: string }> {
  const r = await hostCommand(conn, ['sh', '-c', [...first, stateReadScript(sysctlKeys, exact)].join('\n')]);
  if (r.exitCode !== 0) throw new HostIoError(`${conn.host.node} (${conn.destination}): reading the host's network state failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return { state: stateFromOutput(conn, r.stdout), stderr: r.stderr };
}

/** stateReadScript's output as the host's state; one cut short is an error naming the host. */
export function stateFromOutput(conn: SshConnection, stdout: string): HostState {
  const { outputs, sysctls } = splitStateReads(stdout);
  if (outputs.length !== STATE_READS.length) throw new HostIoError(`${conn.host.node} (${conn.destination}): reading the host's network state gave ${outputs.length} parts, not ${STATE_READS.length}`);
  return parseHostState(outputs, sysctls);
}

/** What a restore left: the run's facts still different from before, and what changed but is not the run's. */
export interface RestoreResult {
  left: string[];
  notOurs: string[];
  /** What the restore's commands said on stderr, when something is left (why it could not be put back). */
  said?: string;
  /** The run's marker went in the restore's round trip (the host is restored). */
  markerRemoved?: boolean;
}

// ip's makeargs reads `#` as a comment and parses quotes: only plain words go in a batch.
const batchable = (words: readonly string[]) => !words[0]!.startsWith('-') && words.every((w) => BATCH_WORD.test(w));

/**
 * The plan's commands as sh lines, every word quoted by quote.ts: `ip`/`bridge` commands in one
 * `-force -batch -` fed by printf when every word is plain, each alone as argv otherwise. Their
 * output goes to stderr, so that the state read after them is all of stdout. Pure.
 */
export function restoreScript(plan: RestorePlan, markerAfter?: string): string[] {
  const lines = plan.namespaces.map((ns) => shellCommand(['ip', 'netns', 'del', ns]));
  for (const [program, commands] of [['ip', plan.ip], ['bridge', plan.bridge]] as const) {
    const batch = commands.filter(batchable);
    if (batch.length > 0) lines.push(`${shellCommand(['printf', '%s\\n', ...batch.map((w) => w.join(' '))])} | ${shellCommand([program, '-force', '-batch', '-'])}`);
    for (const words of commands.filter((w) => !batchable(w))) lines.push(shellCommand([program, ...words]));
  }
  // Only when empty: a namespace someone else added meanwhile keeps it.
  if (plan.removeNetnsDir) lines.push('if [ -z "$(ls -A /run/netns)" ]; then umount -n /run/netns 2>/dev/null; rmdir /run/netns; fi');
  if (plan.sysctls.length > 0) lines.push(shellCommand(['sysctl', '-q', '-w', ...plan.sysctls]));
  const wrapped = lines.map((line) => `{ ${line}; } >&2`);
  if (markerAfter === undefined || wrapped.length === 0) return wrapped;
  // The run's marker goes in the same round trip when every command succeeded (its directory
  // too when empty); restoreHost puts it back if the read after says the host is not restored.
  return [
    'vxlab_ok=1',
    ...wrapped.map((line) => `${line} || vxlab_ok=0`),
    // The run's marker drafts too (the wrapper's RUN.json.PID.PART.new, a claim's or rewriteMarker's .RUN.json.new): a killed writer's stays otherwise.
    `if [ "$vxlab_ok" = 1 ] && rm -f -- ${shellCommand([markerAfter])} ${shellCommand([markerAfter])}.*.new ${shellCommand([markerDraft(markerAfter)])}; then rmdir -- ${shellCommand([dirname(markerAfter)])} 2>/dev/null; echo ${MARKER_REMOVED} >&2; fi`,
  ];
}

/** What the restore script says on stderr once it has removed the run's marker. */
const MARKER_REMOVED = 'vxlab-marker-removed';

/**
 * Undoes what the run changed since `before`, deleting only what `owned` names; says what is still
 * different. With `marker`, the marker goes in the restore's own round trip when its commands all
 * succeeded, and is put back (`putBack`) if the host is still not restored (clean needs it then).
 * With no sysctl recorded, the run's part of a host is the names it owns alone (restorePlan): the
 * restore is planned on the state those names make (stateWithMade) and goes at once, one round
 * trip; the read after it says whether that was all, else the plan from that read goes too.
 */
export async function restoreHost(conn: SshConnection, before: HostState, owned: OwnedNames, marker?: { path: string; putBack: () => Promise<void> }): Promise<RestoreResult> {
  const keys = Object.keys(before.sysctls);
  const planned = keys.length === 0 && owned.interfaces.length + owned.namespaces.length > 0;
  const now = planned ? stateWithMade(before, owned) : await readHostState(conn, keys, true);
  let result = await restoreFrom(conn, before, now, owned, marker);
  if (planned && result.left.length > 0) result = await restoreFrom(conn, before, result.after, owned, marker);
  const { after: _, ...said } = result;
  return said;
}

/** One restore round trip from `now` (the restore and the read after it); the marker put back if the host is still not restored. */
async function restoreFrom(conn: SshConnection, before: HostState, now: HostState, owned: OwnedNames, marker?: { path: string; putBack: () => Promise<void> }): Promise<RestoreResult & { after: HostState }> {
  const keys = Object.keys(before.sysctls);
  const restore = restoreScript(restorePlan(before, now, owned), marker?.path);
  // The restore and the read after it in one round trip; nothing to restore: `now` is the state after.
  const { state: after, stderr: said } = restore.length === 0 ? { state: now, stderr: '' } : await readState(conn, keys, true, restore);
  const removed = said.split('\n').includes(MARKER_REMOVED);
  const stderr = said.split('\n').filter((l) => l !== MARKER_REMOVED).join('\n');
  const left = leftovers(before, after, owned);
  // Put back whether or not this try said it removed the marker: a try that ssh lost (exit 255)
  // may have removed it before hostCommand ran the restore again.
  if (marker && left.length > 0) await marker.putBack();
  return { after, left, notOurs: notOurs(before, after, owned), markerRemoved: removed && left.length === 0, ...(left.length > 0 && stderr.trim() !== '' ? { said: stderr.trim() } : {}) };
}
