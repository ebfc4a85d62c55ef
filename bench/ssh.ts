// `BENCH_BACKEND=ssh npm run bench`: issue 13's limit, a scenario on the ssh backend at most 2x
// its netns time over loopback-speed links. The ssh hosts are the tests' own (Debian's sshd in
// namespaces, testing/sshd-hosts.ts); runs alternate ssh, netns, ssh, ... and the medians compare.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SshdHosts } from '../harness/backends/ssh/testing/sshd-hosts.ts';
import { PROJECT_ROOT, loadLab } from '../harness/scenario/resolve.ts';
import { kernelSettled } from './kernel-settle.ts';
import { median } from './phases.ts';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.cjs');

/** Runs argv to its end, timed from spawn to exit; a run that does not exit 0 is an error, with its output. */
function timed(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}:\n${output}`))));
  });
}

export interface SshBenchRow {
  lab: string;
  scenarios: string[];
  ssh_ms: number;
  netns_ms: number;
  /** Pairs left out because a run failed (a busy machine can miss a check's window), with why. */
  failed: string[];
}

/** Each lab's scenarios through the CLI on sshd hosts and on netns, `runs` pairs, medians. */
export async function benchSsh(runs: number, labs: Record<string, string[]>): Promise<SshBenchRow[]> {
  const rows: SshBenchRow[] = [];
  for (const [labName, scenarios] of Object.entries(labs)) {
    const hosts = await SshdHosts.build(await loadLab(labName));
    try {
      const ssh: number[] = [];
      const netns: number[] = [];
      const failed: string[] = [];
      for (let i = 0; i < runs; i++) {
        try {
          // The harness reaches the hosts from the management namespace, as in the tests. Each run
          // starts once the kernel has deleted the last one's namespaces: a netns run's go after it
          // exits (kernel-settle.ts), and would otherwise be paid for by the ssh run after it.
          await kernelSettled();
          const a = await timed([...hosts.inMgmt, process.execPath, CLI, ...scenarios, '--reporter', 'tap', '--backend', 'ssh', '--hosts', hosts.hostsFile]);
          await kernelSettled();
          const b = await timed([process.execPath, CLI, ...scenarios, '--reporter', 'tap']);
          ssh.push(a);
          netns.push(b);
        } catch (error) {
          failed.push((error as Error).message.split('\n').filter((l) => /not ok|message:/.test(l)).join(' ').slice(0, 300));
        }
      }
      rows.push({ lab: labName, scenarios, ssh_ms: median(ssh), netns_ms: median(netns), failed });
    } finally {
      await hosts.stop();
    }
  }
  return rows;
}
