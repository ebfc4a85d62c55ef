// The marker each host keeps while a run changes it: /run/vxlab/RUNID.json names the run, the
// harness (host, PID, start time, boot) and the state recorded before the steps, so `clean` can
// restore a host whose harness died. /run is a tmpfs: a reboot forgets the run and its changes alike.
import { hostname } from 'node:os';
import * as z from 'zod';
import { bootId, isAlive, pidNamespace } from '../harness-identity.ts';
import { lengthFramed, SSH_FAILED, type HeldCommand, type SshConnection } from './connection.ts';
import type { HostState, OwnedNames } from './host-state.ts';
import { hostCommand } from './host-io.ts';
import { MARKER_DIR, markerDraft, markerPath } from './marker-path.ts';
import { shellWord } from './quote.ts';

export { MARKER_DIR, markerDraft, markerPath } from './marker-path.ts';

export interface SshMarker {
  runId: string;
  node: string;
  harnessHost: string;
  harnessPid: number;
  harnessStart: number;
  bootId: string;
  /** The harness's PID namespace (/proc/self/ns/pid): its PID means nothing in another one. */
  pidNamespace?: string;
  before: HostState;
  /** What the run's steps have made (devices, guest namespaces; written again as they make more): all `clean` may delete. */
  owned: OwnedNames;
}

const markerSchema = z.object({
  runId: z.string().regex(/^[A-Za-z0-9_-]+$/),
  node: z.string(),
  harnessHost: z.string(),
  harnessPid: z.number().int(),
  harnessStart: z.number(),
  bootId: z.string(),
  pidNamespace: z.string().optional(),
  before: z.custom<HostState>((v) => typeof v === 'object' && v !== null && 'links' in v && 'sysctls' in v),
  // A marker from before `owned` was kept names nothing: clean then deletes nothing new.
  // `sysctls` (the values the steps write) left out: every recorded key is restored, as before it was kept.
  owned: z.object({ interfaces: z.array(z.string()), namespaces: z.array(z.string()), sysctls: z.record(z.string(), z.array(z.string())).optional() }).default({ interfaces: [], namespaces: [] }),
});

/**
 * Prints every marker on the host, a line each: its file, a tab, its JSON on one line. Read before
 * anything is printed: a marker its run removes meanwhile (a teardown beside this preflight) is
 * skipped as gone, not listed as "cut short"; one that is there, whatever it holds, is listed.
 */
export const LIST_MARKERS = `for f in ${MARKER_DIR}/*.json; do [ -f "$f" ] || continue; c=$( { tr -d '\\n' < "$f"; } 2>/dev/null ) || continue; printf '%s\\t%s\\n' "$f" "$c"; done`;

/**
 * Writes the run's marker, then reads every marker on the host (one round trip): of two runs
 * that claim a host at once, at least one sees the other's (each reads after its own write).
 * Returns the other runs' markers.
 */
export async function claimHost(conn: SshConnection, marker: SshMarker): Promise<SshMarker[]> {
  const path = markerPath(marker.runId);
  const json = JSON.stringify(marker);
  const r = await hostCommand(conn, ['sh', '-c', `umask 077 && mkdir -p ${MARKER_DIR} && ${WRITE_DRAFT_THEN_RENAME} || exit 1; ${LIST_MARKERS}`, 'vxlab', markerDraft(path), path, String(Buffer.byteLength(json))], json);
  if (r.exitCode !== 0) throw new Error(`${conn.host.node}: cannot write ${MARKER_DIR}/${marker.runId}.json: ${r.stderr.trim()}`);
  return othersOf(r.stdout, marker.runId);
}

/**
 * The end of a script held open for a claim (HeldCommand): it says CLAIM_WAIT, then reads the
 * marker from stdin (its byte length on a line, then its bytes; nothing, the claim is off), writes
 * it at `path` and lists every marker, as claimHost does in a round trip of its own.
 */
export const CLAIM_WAIT = '--vxlab-claim-wait';
export const heldClaimScript = (path: string): string =>
  `echo ${CLAIM_WAIT}; read -r n || exit 0; [ "$n" -gt 0 ] 2>/dev/null || exit 0; umask 077 && mkdir -p ${MARKER_DIR} && head -c "$n" > ${shellWord(markerDraft(path))} && [ "$(wc -c < ${shellWord(markerDraft(path))})" -eq "$n" ] && mv -f ${shellWord(markerDraft(path))} ${shellWord(path)} || { rm -f ${shellWord(markerDraft(path))}; exit 1; }; ${LIST_MARKERS}`;

/** What a held claim's stdin gets: the marker, as heldClaimScript reads it. */
export const heldClaimInput = (marker: SshMarker): string => lengthFramed(JSON.stringify(marker));

/**
 * Claims the host through the preflight round trip held open for it (programProblems' `held`):
 * the same marker and listing as claimHost, without a round trip of its own; a held command ssh
 * lost is claimed again the usual way. Returns the other runs' markers.
 */
export async function claimHeld(held: HeldCommand, conn: SshConnection, marker: SshMarker): Promise<SshMarker[]> {
  const r = await held.finish(heldClaimInput(marker));
  if (r.exitCode === SSH_FAILED) return claimHost(conn, marker);
  if (r.exitCode !== 0) throw new Error(`${conn.host.node}: cannot write ${MARKER_DIR}/${marker.runId}.json: ${r.stderr.trim()}`);
  const wait = r.stdout.lastIndexOf(`\n${CLAIM_WAIT}\n`);
  return othersOf(wait >= 0 ? r.stdout.slice(wait + CLAIM_WAIT.length + 2) : '', marker.runId);
}

/** The other runs' markers, from the listing after a claim (pure). */
export const othersOf = (listing: string, runId: string): SshMarker[] => parseMarkers(listing).markers.filter((m) => m.runId !== runId);


/** sh: stdin to the draft $1, renamed to $2 only when it is all $3 bytes (a lost connection ends stdin early); else no draft stays. */
const WRITE_DRAFT_THEN_RENAME = '{ cat > "$1" && [ "$(wc -c < "$1")" -eq "$3" ] && mv -f "$1" "$2" || { rm -f "$1"; false; }; }';

/** Writes the run's marker again (what its steps have made since): replaced whole, by rename, so `clean` never reads half of one. */
export async function rewriteMarker(conn: SshConnection, marker: SshMarker): Promise<void> {
  const path = markerPath(marker.runId);
  const json = JSON.stringify(marker);
  const r = await hostCommand(conn, ['sh', '-c', `umask 077 && ${WRITE_DRAFT_THEN_RENAME}`, 'vxlab', markerDraft(path), path, String(Buffer.byteLength(json))], json);
  if (r.exitCode !== 0) throw new Error(`${conn.host.node}: cannot write ${MARKER_DIR}/${marker.runId}.json: ${r.stderr.trim()}`);
}

export async function removeMarker(conn: SshConnection, runId: string): Promise<void> {
  // The directory goes with the last marker: a restored host keeps nothing of vxlab's.
  // With the run's marker drafts (the wrapper's RUN.json.PID.PART.new, a claim's or rewriteMarker's .RUN.json.new): a killed writer's stays otherwise.
  await hostCommand(conn, ['sh', '-c', `rm -f -- "${MARKER_DIR}/$1.json" "${MARKER_DIR}/$1.json".*.new "${MARKER_DIR}/.$1.json.new" && { rmdir ${MARKER_DIR} 2>/dev/null || true; }`, 'vxlab', runId]);
}

/** Every marker on a host; an unreadable one is reported, not trusted. */
export async function readMarkers(conn: SshConnection): Promise<{ markers: SshMarker[]; unreadable: string[] }> {
  return parseMarkers((await hostCommand(conn, ['sh', '-c', LIST_MARKERS])).stdout);
}

/** LIST_MARKERS' output, read (pure). */
export function parseMarkers(stdout: string): { markers: SshMarker[]; unreadable: string[] } {
  const markers: SshMarker[] = [];
  const unreadable: string[] = [];
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [file, json] = line.split('\t', 2) as [string, string | undefined];
    try {
      markers.push(markerSchema.parse(JSON.parse(json ?? '')));
    } catch {
      unreadable.push(file);
    }
  }
  return { markers, unreadable };
}

/** May the marker's harness still be running? One this process cannot see (another machine, boot or PID namespace) counts as live. */
export async function markerLive(m: SshMarker): Promise<boolean> {
  if (m.harnessHost !== hostname() || m.bootId !== (await bootId())) return true;
  if (m.pidNamespace !== undefined && m.pidNamespace !== (await pidNamespace())) return true;
  return isAlive(m);
}
