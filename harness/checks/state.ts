// The state check: FDB, neighbours, links, routes or bridge ports of a node, matched as subsets.
import type { NodeHandle } from '../backends/types.ts';
import type { StateProbe, TableExpectation } from '../lab/model.ts';
import type { BackgroundProcess } from '../util/process.ts';
import { renderArgv } from '../policy/command-line.ts';
import { DeadlineError, pollUntil } from '../util/poll.ts';
import { compact, matches } from './match.ts';
import { inNetns } from './ping.ts';
import { parseTable, TABLE_COMMANDS, TABLE_MONITORS, type Entry } from './state-tables.ts';
import { MIN_READ_GAP_MS, readThroughWindow } from './watched-window.ts';
import type { CheckContext, CheckOutcome } from './types.ts';

export interface TableVerdict {
  /** Everything wrong with this reading. */
  problems: string[];
  /** Of those, what `contains` misses: a later reading may still have it. */
  missing: string[];
  /** Of those, what `lacks` and `only` forbid, or a device or table they need that is absent: wrong at any reading. */
  forbidden: string[];
  entries: Entry[];
}

/** Judges one reading of a table against contains / lacks / only. Pure. */
export function judgeTable(expectation: TableExpectation, all: Entry[]): TableVerdict {
  const entries = expectation.dev ? all.filter((e) => e.dev === expectation.dev) : all;
  const missing: string[] = [];
  const forbidden: string[] = [];
  const show = (e: unknown) => JSON.stringify(compact(e));
  for (const wanted of expectation.contains ?? []) {
    if (!entries.some((e) => matches(wanted, e))) missing.push(`missing an entry like ${show(wanted)}`);
  }
  if (expectation.lacks || expectation.only) forbidden.push(...absences(expectation, all, entries));
  for (const unwanted of expectation.lacks ?? []) {
    for (const e of entries.filter((entry) => matches(unwanted, entry))) forbidden.push(`has ${show(e)}, which matches ${show(unwanted)}`);
  }
  if (expectation.only) {
    for (const e of entries.filter((entry) => !expectation.only!.some((allowed) => matches(allowed, entry)))) {
      forbidden.push(`has ${show(e)}, which none of the expected entries allows`);
    }
  }
  return { problems: [...missing, ...forbidden], missing, forbidden, entries };
}

/** An empty table, or a device with no entry, lacks everything: say so rather than pass. */
function absences(expectation: TableExpectation, all: Entry[], entries: Entry[]): string[] {
  if (all.length === 0) return ['the table is empty, so lacks and only prove nothing'];
  if (expectation.dev && entries.length === 0) return [`no entry of device ${expectation.dev}: the device is missing, or its table is empty`];
  const named = new Set([...(expectation.lacks ?? []), ...(expectation.only ?? [])].map((e) => e.dev).filter((d): d is string => typeof d === 'string'));
  return [...named].filter((dev) => !entries.some((e) => e.dev === dev)).map((dev) => `no entry of device ${dev}: the device is missing, or its table is empty`);
}

/**
 * Tables whose entries only commands make: a link's attributes (a VXLAN's remote, group, MTU) are
 * never learned from traffic or changed by a timer, so a lacks or only there holds at one reading.
 * FDB and neighbour entries are learned, bridge port states move on timers, and addresses and
 * routes follow DAD and links coming up: there they must hold for a whole window.
 */
const ONLY_COMMANDS_CHANGE: ReadonlySet<StateProbe['table']> = new Set(['link']);

/** Must lacks and only hold at every reading of a window (not only at the first good one)? */
export function holdsThroughout(spec: Pick<StateProbe, 'table' | 'expect'>): boolean {
  return (spec.expect.lacks !== undefined || spec.expect.only !== undefined) && !ONLY_COMMANDS_CHANGE.has(spec.table);
}

/** How long a state check reads: lacks and only must hold at every reading of the whole window. */
export function stateWindowMs(spec: Pick<StateProbe, 'timeoutSeconds' | 'expect' | 'table'>): number {
  return (spec.timeoutSeconds ?? (holdsThroughout(spec) ? 1 : 3)) * 1000;
}

export async function runState(spec: StateProbe, ctx: CheckContext): Promise<CheckOutcome> {
  const { table } = spec;
  const argv = inNetns(spec.netns, TABLE_COMMANDS[table]);
  const node = ctx.lab.node(spec.node);
  const throughout = holdsThroughout(spec);
  let last: TableVerdict = { problems: ['not read yet'], missing: ['not read yet'], forbidden: [], entries: [] };
  let containsSeen = !spec.expect.contains;
  let reads = 0;
  let failure: string | undefined;
  // The kernel settles asynchronously (learning, port states): contains may come true at any
  // reading of the window; lacks and only must hold at every one, until the window ends (a
  // learned entry can appear after a first good reading).
  const read = async (): Promise<true | undefined> => {
    const result = await node.exec(argv, ctx.signal ? { signal: ctx.signal } : {});
    if (result.exitCode !== 0) {
      failure = `${renderArgv(argv)} failed (exit code ${result.exitCode}): ${result.stderr.trim()}`;
      return true;
    }
    reads++;
    last = judgeTable(spec.expect, parseTable(table, result.stdout));
    if (last.forbidden.length > 0) return true;
    if (last.missing.length === 0) containsSeen = true;
    return containsSeen && !throughout ? true : undefined;
  };
  let watched: string | undefined;
  if (throughout) {
    const monitorArgv = TABLE_MONITORS[table] && inNetns(spec.netns, TABLE_MONITORS[table]);
    const monitor = monitorArgv && startMonitor(node, monitorArgv);
    try {
      if (await readThroughWindow(read, monitor, stateWindowMs(spec), ctx.signal)) watched = renderArgv(monitorArgv!);
    } finally {
      await monitor?.stop(500);
    }
  } else {
    try {
      await pollUntil(read, { what: `${table} on ${spec.node}`, timeoutMs: stateWindowMs(spec), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
    }
  }
  const expectation = compact(spec.expect);
  const diagnostics: Record<string, unknown> = { node: spec.node, ...(spec.netns ? { netns: spec.netns } : {}), command: renderArgv(argv) };
  if (failure) return { status: 'fail', reason: failure, diagnostics: { ...diagnostics, expected: expectation, got: failure } };
  if (throughout) Object.assign(diagnostics, { reads, watchedBy: watched ?? `nothing: read every ${MIN_READ_GAP_MS} ms` });
  if (last.forbidden.length === 0 && containsSeen) return { status: 'pass', diagnostics };
  const problems = [...last.forbidden, ...(containsSeen ? [] : last.missing)];
  return {
    status: 'fail',
    reason: problems.length === 1 ? problems[0] : `${problems[0]} (and ${problems.length - 1} more)`,
    diagnostics: { ...diagnostics, expected: expectation, got: relevantEntries(expectation, last.entries), ...(problems.length > 1 ? { problems } : {}) },
  };
}

/** The table's monitor, started before the window's first reading; none if the node cannot run it. */
function startMonitor(node: NodeHandle, argv: string[]): BackgroundProcess | undefined {
  try {
    return node.start(argv);
  } catch {
    return undefined;
  }
}

/** The entries worth showing: those of the devices the expectation names, else all of them. */
export function relevantEntries(expectation: TableExpectation, entries: Entry[]): Entry[] {
  const devices = new Set([...(expectation.contains ?? []), ...(expectation.lacks ?? []), ...(expectation.only ?? [])].map((e) => e.dev).filter((d) => typeof d === 'string'));
  const named = entries.filter((e) => devices.has(e.dev as string));
  return named.length > 0 ? named : entries;
}
