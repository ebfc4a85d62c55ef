// Test support for integration tests: run the CLI for real, and prove the host is untouched.
import { execa, type ResultPromise } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { findLabProcesses } from '../backends/netns/marker.ts';
import { PROJECT_ROOT } from '../scenario/resolve.ts';
import { pollUntil } from '../util/poll.ts';

export const CLI = join(PROJECT_ROOT, 'harness', 'cli.ts');

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Starts `vxlab ARGS` under node with tsx, as `npm run lab -- ARGS` would. */
export function startCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean } = {}): ResultPromise<{ reject: false }> {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: PROJECT_ROOT,
    reject: false,
    env: { NO_COLOR: '1', ...options.env },
    extendEnv: options.extendEnv ?? true,
    stripFinalNewline: false,
    timeout: 120_000,
  }) as ResultPromise<{ reject: false }>;
}

/** Resolves with all the child has printed so far once that contains `text`. */
export function outputUntil(child: ResultPromise, text: string): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve(seen);
    });
  });
}

export async function runCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean } = {}): Promise<CliResult> {
  const r = await startCli(args, options);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function json(argv: string[]): Promise<unknown> {
  const r = await execa(argv[0]!, argv.slice(1));
  return JSON.parse(r.stdout || '[]');
}

/** Every readable sysctl under the trees a scenario may set (net.ipv4, net.ipv6), as key=value. */
async function sysctls(): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const value = await readFile(path, 'utf8').catch(() => undefined); // write-only entries (flush)
        if (value !== undefined) values[path.slice('/proc/sys/'.length).replace(/\//g, '.')] = value.trim();
      }
    }
  };
  await walk('/proc/sys/net/ipv4');
  await walk('/proc/sys/net/ipv6');
  return values;
}

async function nftRuleset(): Promise<string> {
  const r = await execa('nft', ['-s', 'list', 'ruleset'], { reject: false });
  return r.exitCode === 0 ? r.stdout : `nft unavailable: ${r.stderr || r.message}`;
}

/** What vxlab must never change in the root namespace. */
export async function hostSnapshot(): Promise<Record<string, unknown>> {
  const links = (await json(['ip', '-j', 'link', 'show'])) as Record<string, unknown>[];
  const neighbours = (await json(['ip', '-j', 'neigh', 'show', 'nud', 'permanent'])) as Record<string, unknown>[];
  return {
    netns: (await execa('ip', ['netns', 'list'])).stdout,
    links: links.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, mtu: l.mtu, address: l.address, flags: l.flags, master: l.master })),
    addresses: await json(['ip', '-j', 'addr', 'show']),
    routes: await json(['ip', '-j', 'route', 'show', 'table', 'all']),
    rules: await json(['ip', '-j', 'rule', 'show']),
    // Entries a tool adds are permanent; learned ones come and go with the host's own traffic.
    neighbours: neighbours.map((n) => ({ dst: n.dst, dev: n.dev, lladdr: n.lladdr })),
    sysctls: await sysctls(),
    nftables: await nftRuleset(),
  };
}

/** The run id a TAP stream announces in its `# vxlab run ID` comment. */
export function runIdOf(tap: string): string {
  const match = /^# vxlab run (vx[0-9a-f]+) /m.exec(tap);
  if (!match) throw new Error(`no run id in:\n${tap.slice(0, 500)}`);
  return match[1]!;
}

/**
 * Processes that still hold a vxlab node's private /run: any is a leaked lab. Give the run id:
 * other runs (parallel test files, a benchmark) may legitimately be alive at the same time.
 */
export async function labResidue(runId: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const mounts = await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '');
    const label = / - tmpfs (vxlab-vx\S+) /.exec(mounts);
    if (label?.[1]!.startsWith(`vxlab-${runId}-`)) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?');
      found.push(`${pid} ${comm.trim()} ${label[1]}`);
    }
  }
  return found;
}

/** Leftovers of the run a given harness process made, found by the marker in each node's /run. */
export async function residueOfHarness(harnessPid: number): Promise<string[]> {
  return (await findLabProcesses()).filter((p) => p.marker.harnessPid === harnessPid).map((p) => `${p.pid} ${p.marker.runId} ${p.marker.node}`);
}

/**
 * What a residue probe still finds once leftovers have had time to go: killed processes leave
 * /proc, and dead namespaces' devices the host, a moment after the fact. Polls, never sleeps.
 */
export async function residueAfterPolling(probe: () => Promise<string[]>, what: string, timeoutMs: number): Promise<string[]> {
  return pollUntil(async () => ((await probe()).length === 0 ? [] : undefined), { what, timeoutMs }).catch(() => probe());
}

/** What changed between two snapshots, one line per changed key (and per changed sysctl). */
export function snapshotDifferences(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(before)) {
    const a = before[key];
    const b = after[key];
    if (isDeepStrictEqual(a, b)) continue;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b as object)])) {
        const x = (a as Record<string, unknown>)[k];
        const y = (b as Record<string, unknown>)[k];
        if (!isDeepStrictEqual(x, y)) out.push(`${key} ${k}: ${JSON.stringify(x)} -> ${JSON.stringify(y)}`);
      }
    } else {
      out.push(`${key}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    }
  }
  return out;
}
