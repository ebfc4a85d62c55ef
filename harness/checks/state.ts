// The state check: FDB, neighbours, links, routes or bridge ports of a node, matched as subsets.
import type { StateProbe, TableExpectation } from '../lab/model.ts';
import { renderArgv } from '../policy/command-line.ts';
import { DeadlineError, pollUntil } from '../util/poll.ts';
import { compact, matches } from './match.ts';
import { inNetns } from './ping.ts';
import { parseTable, TABLE_COMMANDS, type Entry } from './state-tables.ts';
import type { CheckContext, CheckOutcome } from './types.ts';

export interface TableVerdict {
  problems: string[];
  entries: Entry[];
}

/** Judges one reading of a table against contains / lacks / only. Pure. */
export function judgeTable(expectation: TableExpectation, all: Entry[]): TableVerdict {
  const entries = expectation.dev ? all.filter((e) => e.dev === expectation.dev) : all;
  const problems: string[] = [];
  const show = (e: unknown) => JSON.stringify(compact(e));
  for (const wanted of expectation.contains ?? []) {
    if (!entries.some((e) => matches(wanted, e))) problems.push(`missing an entry like ${show(wanted)}`);
  }
  for (const unwanted of expectation.lacks ?? []) {
    for (const e of entries.filter((entry) => matches(unwanted, entry))) problems.push(`has ${show(e)}, which matches ${show(unwanted)}`);
  }
  if (expectation.only) {
    for (const e of entries.filter((entry) => !expectation.only!.some((allowed) => matches(allowed, entry)))) {
      problems.push(`has ${show(e)}, which none of the expected entries allows`);
    }
  }
  return { problems, entries };
}

export async function runState(spec: StateProbe, ctx: CheckContext): Promise<CheckOutcome> {
  const { table } = spec;
  const argv = inNetns(spec.netns, TABLE_COMMANDS[table]);
  const node = ctx.lab.node(spec.node);
  let last: TableVerdict = { problems: ['not read yet'], entries: [] };
  let failure: string | undefined;
  try {
    // The kernel settles asynchronously (learning, port states): re-read until it holds or time runs out.
    await pollUntil(
      async () => {
        const result = await node.exec(argv, ctx.signal ? { signal: ctx.signal } : {});
        if (result.exitCode !== 0) {
          failure = `${renderArgv(argv)} failed (exit code ${result.exitCode}): ${result.stderr.trim()}`;
          return true;
        }
        last = judgeTable(spec.expect, parseTable(table, result.stdout));
        return last.problems.length === 0 ? true : undefined;
      },
      { what: `${table} on ${spec.node}`, timeoutMs: (spec.timeoutSeconds ?? 3) * 1000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
  }
  const expectation = compact(spec.expect);
  const diagnostics: Record<string, unknown> = { node: spec.node, ...(spec.netns ? { netns: spec.netns } : {}), command: renderArgv(argv) };
  if (failure) return { status: 'fail', reason: failure, diagnostics: { ...diagnostics, expected: expectation, got: failure } };
  if (last.problems.length === 0) return { status: 'pass', diagnostics };
  return {
    status: 'fail',
    reason: last.problems.length === 1 ? last.problems[0] : `${last.problems[0]} (and ${last.problems.length - 1} more)`,
    diagnostics: { ...diagnostics, expected: expectation, got: relevantEntries(expectation, last.entries), ...(last.problems.length > 1 ? { problems: last.problems } : {}) },
  };
}

/** The entries worth showing: those of the devices the expectation names, else all of them. */
export function relevantEntries(expectation: TableExpectation, entries: Entry[]): Entry[] {
  const devices = new Set([...(expectation.contains ?? []), ...(expectation.lacks ?? []), ...(expectation.only ?? [])].map((e) => e.dev).filter((d) => typeof d === 'string'));
  const named = entries.filter((e) => devices.has(e.dev as string));
  return named.length > 0 ? named : entries;
}
