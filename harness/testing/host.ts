// Test support for integration tests: run the CLI for real, and prove the host is untouched.
import { execa, type ResultPromise } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../scenario/resolve.ts';

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

export async function runCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean } = {}): Promise<CliResult> {
  const r = await startCli(args, options);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function json(argv: string[]): Promise<unknown> {
  const r = await execa(argv[0]!, argv.slice(1));
  return JSON.parse(r.stdout || '[]');
}

/** What vxlab must never change in the root namespace. */
export async function hostSnapshot(): Promise<Record<string, unknown>> {
  const links = (await json(['ip', '-j', 'link', 'show'])) as Record<string, unknown>[];
  return {
    netns: (await execa('ip', ['netns', 'list'])).stdout,
    links: links.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, mtu: l.mtu, address: l.address, flags: l.flags, master: l.master })),
    addresses: await json(['ip', '-j', 'addr', 'show']),
    routes: await json(['ip', '-j', 'route', 'show', 'table', 'all']),
    rules: await json(['ip', '-j', 'rule', 'show']),
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
