// `--step`: after each step of a run, show what it changed on its node (links, addresses, FDB and
// neighbour entries, in the node and in each guest namespace, read with the state checks' own
// readers), then wait for Enter before the next step. EOF on stdin stops the waiting.
import { createInterface, type Interface as Readline } from 'node:readline';
import type { NodeHandle } from '../backends/types.ts';
import { inNetns } from '../checks/ping.ts';
import { parseTable, TABLE_COMMANDS, type Entry } from '../checks/state-tables.ts';
import { guestNamespaces } from '../lab/guest-namespaces.ts';
import type { Step } from '../lab/model.ts';
import type { StateTable } from '../scenario/schema.ts';

/** The tables a step's diff shows, in this order. */
export const STEP_TABLES = ['link', 'addr', 'fdb', 'neigh'] as const satisfies readonly StateTable[];

/** Where a table was read: the node itself ('') or a guest namespace. */
export type NodeState = Map<string, Map<(typeof STEP_TABLES)[number], Entry[]>>;

/** One entry as a line, in the words of the text output (`dev vxlan0 mtu 1450 state DOWN ...`). */
export function entryLine(entry: Entry): string {
  const word = (v: unknown): string => (Array.isArray(v) ? v.map(word).join(',') : v !== null && typeof v === 'object' ? `{${entryLine(v as Entry)}}` : String(v));
  return Object.entries(entry).map(([k, v]) => `${k} ${word(v)}`).join(' ');
}

/** Lines added (+) and removed (-) between two readings of a node, grouped by where and table. */
export function stateDiff(before: NodeState, after: NodeState): string[] {
  const lines: string[] = [];
  const places = [...new Set([...before.keys(), ...after.keys()])];
  for (const place of places) {
    for (const table of STEP_TABLES) {
      const was = (before.get(place)?.get(table) ?? []).map(entryLine);
      const now = (after.get(place)?.get(table) ?? []).map(entryLine);
      const removed = was.filter((l) => !now.includes(l));
      const added = now.filter((l) => !was.includes(l));
      if (removed.length + added.length === 0) continue;
      lines.push(`${place ? `netns ${place} ` : ''}${table}:`);
      for (const l of removed) lines.push(`  - ${l}`);
      for (const l of added) lines.push(`  + ${l}`);
    }
  }
  return lines;
}

/** Reads a node's tables, in its own namespace and in each guest namespace it has. */
export async function readNodeState(node: NodeHandle, signal?: AbortSignal): Promise<NodeState> {
  const opts = signal ? { signal } : {};
  const state: NodeState = new Map();
  for (const place of ['', ...(await guestNamespaces(node, signal))]) {
    const tables = new Map<(typeof STEP_TABLES)[number], Entry[]>();
    for (const table of STEP_TABLES) {
      const result = await node.exec(inNetns(place || undefined, TABLE_COMMANDS[table]), opts);
      tables.set(table, result.exitCode === 0 ? parseTable(table, result.stdout) : []);
    }
    state.set(place, tables);
  }
  return state;
}

export interface Stepper {
  aroundStep(step: Step, node: NodeHandle, run: () => Promise<void>, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** A stepper that writes to `write` and waits for a line on `input` (Enter) after each step. */
export function createStepper(write: (text: string) => void, input: NodeJS.ReadableStream): Stepper {
  let readline: Readline | undefined;
  let ended = false;
  const lines: string[] = [];
  let waiter: (() => void) | undefined;
  const ensureReadline = () => {
    if (readline || ended) return;
    readline = createInterface({ input, terminal: false });
    readline.on('line', (l) => {
      lines.push(l);
      waiter?.();
    });
    readline.on('close', () => {
      ended = true;
      waiter?.();
    });
  };
  const waitForEnter = (signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      ensureReadline();
      const done = () => {
        waiter = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      if (lines.shift() !== undefined || ended || signal?.aborted) return done();
      waiter = () => {
        if (lines.shift() !== undefined || ended) done();
      };
      signal?.addEventListener('abort', done, { once: true });
    });
  return {
    async aroundStep(step, node, run, signal) {
      const before = await readNodeState(node, signal);
      await run();
      const diff = stateDiff(before, await readNodeState(node, signal));
      write(`step ${step.index + 1} changed on ${node.name}:\n${diff.length ? diff.map((l) => `  ${l}\n`).join('') : '  nothing in links, addresses, FDB or neighbours\n'}`);
      if (ended && lines.length === 0) return;
      write('press Enter for the next step\n');
      await waitForEnter(signal);
    },
    close() {
      readline?.close();
      readline = undefined;
    },
  };
}
