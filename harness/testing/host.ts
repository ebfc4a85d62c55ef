// Test support for integration tests: run the CLI for real, and prove the host is untouched.
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { NODE_LABEL_VARIABLE, findLabProcesses } from '../backends/netns/marker.ts';
import { runDirOwner } from '../backends/netns/root-tree.ts';
import { PROJECT_ROOT } from '../scenario/resolve.ts';
import { pollUntil } from '../util/poll.ts';

/** The compiled CLI (`npm run build`; vitest's global setup builds it when stale), as `npm run lab` runs it. */
export const CLI = join(PROJECT_ROOT, 'dist', 'cli.cjs');

/** The argv that runs the CLI of the project at `root` (a copy of the project has its own dist/). */
export function cliArgv(args: readonly string[], root = PROJECT_ROOT): string[] {
  return [process.execPath, join(root, 'dist', 'cli.cjs'), ...args];
}

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Starts `vxlab ARGS` under node, as `npm run lab -- ARGS` would. */
export function startCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean; timeoutMs?: number } = {}): ResultPromise<{ reject: false }> {
  const [node, ...rest] = cliArgv(args);
  return execa(node!, rest, {
    cwd: PROJECT_ROOT,
    reject: false,
    env: { NO_COLOR: '1', ...options.env },
    extendEnv: options.extendEnv ?? true,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 120_000,
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

/** Resolves with all the child has printed on stderr so far once that contains `text`. */
export function stderrUntil(child: ResultPromise, text: string): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve(seen);
    });
  });
}

export async function runCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await startCli(args, options);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function json(argv: string[]): Promise<unknown> {
  const r = await execa(argv[0]!, argv.slice(1));
  return JSON.parse(r.stdout || '[]');
}

/** Kernel sysctls that change on their own (a PID counter, a fresh UUID per read, entropy, open terminals). */
const VOLATILE_SYSCTLS = new Set(['kernel.ns_last_pid', 'kernel.random.uuid', 'kernel.random.entropy_avail', 'kernel.pty.nr']);

/** Host files a breakout would be after; their contents must not change. */
const WATCHED_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

/** Every readable sysctl under the trees a scenario may set (net.ipv4, net.ipv6) and the kernel's own, as key=value. */
async function sysctls(): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    // An interface may go while we walk (another program's veth): its directory is then simply gone.
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const value = await readFile(path, 'utf8').catch(() => undefined); // write-only entries (flush)
        const key = path.slice('/proc/sys/'.length).replace(/\//g, '.');
        if (value !== undefined && !VOLATILE_SYSCTLS.has(key)) values[key] = value.trim();
      }
    }
  };
  await walk('/proc/sys/net/ipv4');
  await walk('/proc/sys/net/ipv6');
  await walk('/proc/sys/kernel');
  return values;
}

async function nftRuleset(): Promise<string> {
  const r = await execa('nft', ['-s', 'list', 'ruleset'], { reject: false });
  return r.exitCode === 0 ? r.stdout : `nft unavailable: ${r.stderr || r.message}`;
}

/** A SHA-256 of each watched host file (or why it could not be read). */
async function fileHashes(): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const file of WATCHED_FILES) {
    hashes[file] = await readFile(file).then((b) => createHash('sha256').update(b).digest('hex'), (e: NodeJS.ErrnoException) => `unreadable: ${e.code}`);
  }
  return hashes;
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
    hostname: hostname(),
    files: await fileHashes(),
  };
}

/** The run id a TAP stream announces in its `# vxlab run ID` comment. */
export function runIdOf(tap: string): string {
  const match = /^# vxlab run (vx[0-9a-f]+) /m.exec(tap);
  if (!match) throw new Error(`no run id in:\n${tap.slice(0, 500)}`);
  return match[1]!;
}

/**
 * The node sandboxes of a run that still have a process (bwrap or what runs in it), one line
 * each with their PIDs, found by the label each sandbox carries in its argv and environment, so
 * that even one without a marker yet counts. Give the run id: other runs (parallel test files,
 * a benchmark) may be alive at the same time.
 */
export async function labResidue(runId: string): Promise<string[]> {
  const prefix = `vxlab-${runId}-`;
  const sandboxes = new Map<string, string[]>();
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')).split('\0');
    const label =
      environ.find((e) => e.startsWith(`${NODE_LABEL_VARIABLE}=${prefix}`))?.slice(NODE_LABEL_VARIABLE.length + 1) ??
      argv.find((a, i) => argv[i - 1] === NODE_LABEL_VARIABLE && a.startsWith(prefix));
    if (label) sandboxes.set(label, [...(sandboxes.get(label) ?? []), pid]);
  }
  return [...sandboxes].map(([label, pids]) => `${label}: ${pids.join(' ')}`).sort();
}

/** Leftovers of the run a given harness process made: processes by the marker in each node's /run, node root directories by their name. */
export async function residueOfHarness(harnessPid: number): Promise<string[]> {
  const processes = (await findLabProcesses()).filter((p) => p.marker.harnessPid === harnessPid).map((p) => `${p.pid} ${p.marker.runId} ${p.marker.node}`);
  const dirs = (await readdir(tmpdir())).filter((name) => runDirOwner(name)?.harnessPid === harnessPid).map((name) => join(tmpdir(), name));
  return [...processes, ...dirs];
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
