// `npm run bench`: issue 12's figures, each the median of several runs (BENCH_RUNS, default 5),
// pairs measured in turn in the same run. Prints a table; with `--json`, also one JSON object on
// the last line. `--phases` adds each scenario's phases (lab up, steps, checks, teardown).
// Speed targets belong here, never in timed tests. Needs root (it builds labs and baselines).
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../harness/backends/registry.ts';
import type { RunEvent } from '../harness/report/events.ts';
import { runScenarios } from '../harness/runner.ts';
import { PROJECT_ROOT, listScenarioNames, loadLab, loadScenario } from '../harness/scenario/resolve.ts';
import { newRunId } from '../harness/util/run-id.ts';
import { buildCli, builtCliIsStale } from '../harness/build/bundle.ts';
import { measureBuilds, measurePing100, type BuildRow } from './build-sizes.ts';
import { kernelSettled } from './kernel-settle.ts';
import { phaseTimes, median, type PhaseTimes } from './phases.ts';
import { bash, multicastScript } from './shell-labs.ts';
import { benchSsh } from './ssh.ts';
import { upUnsandboxed } from './unsandboxed-lab.ts';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const json = process.argv.includes('--json');
const withPhases = process.argv.includes('--phases');
const CLI = join(PROJECT_ROOT, 'dist', 'cli.cjs');
const out = (text: string) => process.stdout.write(text);

interface CliRun {
  ms: number;
  /** From spawning the CLI to its first kernel command: the first node's sandbox (bwrap), or the VXLAN probe when the kernel lacks the module. */
  firstKernelMs: number | undefined;
}

/** Runs the compiled CLI as `npm run lab` does, timing it from spawn to exit; it must exit 0. */
function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.timeOrigin + performance.now();
    const child = spawn(process.execPath, [CLI, ...args, '--reporter', 'tap'], { env: { ...process.env, VXLAB_TRACE_SPAWNS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.timeOrigin + performance.now() - spawnedAt;
      if (code !== 0) {
        const failed = stdout.split(/\n(?= *(?:not )?ok |# Subtest)/).filter((block) => /^ *not ok/.test(block));
        return reject(new Error(`vxlab ${args.join(' ')} exited ${code}:\n${stderr.replace(/^vxlab-spawn .*\n/gm, '')}${failed.join('\n')}`));
      }
      const first = /^vxlab-spawn ([\d.]+) (?:unshare --net|ip |bwrap)/m.exec(stderr);
      resolve({ ms, firstKernelMs: first ? Number(first[1]) - spawnedAt : undefined });
    });
  });
}

if (builtCliIsStale()) await buildCli();

// The ssh backend's figure stands alone: it builds its own sshd hosts, and the netns figures
// below need no ssh.
if (process.env.BENCH_BACKEND === 'ssh') {
  const rows = await benchSsh(runs, { 'three-nodes': ['multicast'], 'two-vms': ['manual-fdb'] });
  out(`ssh backend against netns, ${runs} paired runs per figure (medians), ${cpus().length} CPUs: ${cpus()[0]?.model ?? 'unknown'}\n`);
  const table = [['npm run lab (sshd hosts in namespaces)', 'ssh', 'netns', 'ratio'], ...rows.map((r) => [`${r.scenarios.join(' ')} (${r.lab})`, `${r.ssh_ms.toFixed(0)} ms`, `${r.netns_ms.toFixed(0)} ms`, `${(r.ssh_ms / r.netns_ms).toFixed(2)}x`])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const row of table) out(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}\n`);
  out('limit (issue 13): at most 2x over loopback-speed links\n');
  for (const r of rows) for (const why of r.failed) out(`left out, a failed run on ${r.lab}: ${why}\n`);
  if (json) out(`${JSON.stringify({ ssh: rows.map((r) => ({ ...r, ssh_ms: Math.round(r.ssh_ms), netns_ms: Math.round(r.netns_ms) })) })}\n`);
} else {
  const backend = await createBackend(process.env.BENCH_BACKEND ?? 'netns');
  await backend.checkPrerequisites();

  // End to end, side by side: the multicast scenario through the CLI, and the same lab by hand.
  const startup: number[] = [];
  const scenario: number[] = [];
  const script: number[] = [];
  // Each sample starts on a settled kernel: the namespaces of the one before are deleted after it
  // exits, under RTNL, and whichever side ran next would pay for them.
  for (let i = 0; i < runs; i++) {
    await kernelSettled();
    const run = await runCli(['multicast']);
    scenario.push(run.ms);
    if (run.firstKernelMs !== undefined) startup.push(run.firstKernelMs);
    await kernelSettled();
    script.push(await bash(multicastScript()));
  }
  const suite: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    await kernelSettled();
    suite.push((await runCli(['--all'])).ms);
  }
  const builds: BuildRow[] = await measureBuilds([3, 10, 30, 100]);
  // A 100-node multicast lab in which node0 pings all 99 peers, end to end.
  const ping100 = await measurePing100();

  const ms = (n: number | null) => (n === null || Number.isNaN(n) ? '-' : `${n.toFixed(0)} ms`);
  const rows: string[][] = [
    ['figure', 'vxlab', 'baseline', 'ratio', 'baseline is'],
    ['CLI start to first kernel command', ms(median(startup)), '', '', ''],
    ['npm run lab multicast (8 checks)', ms(median(scenario)), ms(median(script)), `${(median(scenario) / median(script)).toFixed(2)}x`, 'bash + ip, ping -c 3 -i 0.01'],
    ['npm run lab -- --all', ms(median(suite)), '', '', ''],
    ['100 nodes, node0 pings 99 peers', ms(ping100), '', '', 'build, steps, pings, teardown'],
    ...builds.flatMap((b) => [
      [`lab build, ${b.nodes} nodes`, ms(b.harness_ms), ms(b.batch_ms), `${(b.harness_ms / b.batch_ms).toFixed(2)}x`, 'ip -n NS -batch - per namespace'],
      ['', '', ms(b.tutorial_ms), `${(b.harness_ms / b.tutorial_ms).toFixed(2)}x`, 'tutorial typed as a script'],
    ]),
  ];

  // The sandbox's cost (issue 10: at most 20% slower up than before): lab up and down on netns,
  // sandboxed against the unsandboxed baseline, measured alternately in this same run.
  if (backend.name === 'netns') {
    for (const labName of ['three-nodes', 'two-vms']) {
      const lab = await loadLab(labName);
      const sandboxed: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < runs * 2; i++) {
        let started = performance.now();
        const up = await backend.up(lab, { runId: newRunId() });
        await up.down();
        sandboxed.push(performance.now() - started);
        started = performance.now();
        const down = await upUnsandboxed(lab);
        await down();
        bare.push(performance.now() - started);
      }
      const [a, b] = [median(sandboxed), median(bare)];
      rows.push([`${labName} up + down, sandboxed`, ms(a), ms(b), `${(a / b).toFixed(2)}x`, 'unsandboxed holders']);
    }
  }

  if (withPhases) {
    rows.push(['', '', '', '', ''], ['scenario (phases)', 'lab up', 'steps', 'checks', 'teardown / total']);
    for (const name of await listScenarioNames()) {
      const loaded = await loadScenario(name);
      const samples: PhaseTimes[] = [];
      for (let i = 0; i < runs; i++) {
        const events: { at: number; event: RunEvent }[] = [];
        const started = performance.now();
        await runScenarios([loaded], { backend, runId: newRunId(), emit: (event) => events.push({ at: performance.now() - started, event }) });
        samples.push(phaseTimes(events, performance.now() - started));
      }
      const m = (pick: (p: PhaseTimes) => number) => ms(median(samples.map(pick)));
      rows.push([name, m((p) => p.labUp), m((p) => p.steps), m((p) => p.checks), `${m((p) => p.teardown)} / ${m((p) => p.total)}`]);
    }
  }

  out(`${backend.name} backend, ${runs} runs per figure (medians), ${cpus().length} CPUs: ${cpus()[0]?.model ?? 'unknown'}\n`);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) out(`${row.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`.trimEnd() + '\n');
  if (json) {
    const round = (n: number) => Math.round(n * 10) / 10;
    out(
      `${JSON.stringify({
        startup_ms: startup.length > 0 ? round(median(startup)) : null,
        build: builds.map((b) => ({ nodes: b.nodes, harness_ms: round(b.harness_ms), batch_ms: round(b.batch_ms), tutorial_ms: round(b.tutorial_ms) })),
        scenario_ms: round(median(scenario)),
        script_ms: round(median(script)),
        suite_ms: round(median(suite)),
        ping100_ms: round(ping100),
      })}\n`,
    );
  }
}
