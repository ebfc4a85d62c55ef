// Build speed at N nodes (issue 12), side by side in one run: vxlab's netns backend (lab up and
// down) against the `ip -batch` floor (the same namespaces and devices, one `ip -batch` per
// namespace) and the tutorial typed as a script (one `ip` process per command). The floor and
// the script run as bash, a small process, as a person would run them. Namespaces are held by
// processes (`unshare --net`, killed with their parent), never named in the host's /run/netns.
// Also: a 100-node multicast lab in which node0 pings all 99 peers, end to end.
import { execa } from 'execa';
import { NetnsBackend, underlayPlan } from '../harness/backends/netns/backend.ts';
import type { Lab } from '../harness/lab/model.ts';
import { runScenario } from '../harness/runner.ts';
import { loadScenario, parseLabText } from '../harness/scenario/resolve.ts';
import { newRunId } from '../harness/util/run-id.ts';
import { kernelSettled } from './kernel-settle.ts';
import { median } from './phases.ts';

export interface BuildRow {
  nodes: number;
  harness_ms: number;
  batch_ms: number;
  tutorial_ms: number;
}

/** A generated lab of `count` nodes, as a lab file would say it. */
export function generatedLab(count: number): Lab {
  const text = [
    'title: bench', 'source: bench', 'diagram: bench', 'underlay: { subnet: 10.0.0.0/16 }',
    `generate: { count: ${count}, name: "node{{ node.index }}", nic: { name: enp0s8, firstAddress: 10.0.1.0/16, mtu: 1500 } }`, '',
  ].join('\n');
  return parseLabText(`bench-${count}`, `bench-${count}.yaml`, text);
}

/**
 * The bash script that builds the lab's underlay in `mode` and tears it down: `batch` feeds each
 * namespace's lines to one `ip -batch -` (nodes at once, as the harness does), `tutorial` runs
 * each line as its own `ip` process, one after another. Holders die with bash (pdeathsig).
 */
export function underlayScript(lab: Lab, mode: 'batch' | 'tutorial'): string {
  const names = ['switch', ...lab.nodes.map((n) => n.name)];
  const out = ['set -e', 'pids=()', 'bj=()', "trap 'kill -9 \"${pids[@]}\" 2>/dev/null; wait' EXIT"];
  // `unshare` execs its command without forking, so $! is the holder in its new namespace.
  for (const name of names) out.push(`setpriv --pdeathsig KILL -- unshare --net -- sleep infinity & pids+=($!) # ${name}`);
  // A holder is ready once its network namespace differs from ours.
  out.push('own=$(readlink /proc/self/ns/net)', 'for p in "${pids[@]}"; do until [ -e /proc/$p/ns/net ] && [ "$(readlink /proc/$p/ns/net)" != "$own" ]; do :; done; done');
  // The plan names the switch by PID: it is known only inside the script.
  const plan = underlayPlan(lab, 999_999_999);
  const fix = (line: string) => line.replace('netns 999999999', 'netns ${pids[0]}');
  const run = (index: number, lines: string[], background: boolean) => {
    if (mode === 'batch') {
      out.push(`nsenter -t \${pids[${index}]} --net -- ip -batch - <<EOF${background ? ' & bj+=($!)' : ''}`, ...lines.map(fix), 'EOF');
    } else {
      for (const line of lines) out.push(`nsenter -t \${pids[${index}]} --net -- ip ${fix(line)}`);
    }
  };
  run(0, plan.switchBefore, false);
  lab.nodes.forEach((n, i) => run(i + 1, plan.perNode.get(n.name)!, mode === 'batch'));
  if (mode === 'batch') out.push('for j in "${bj[@]}"; do wait "$j"; done');
  run(0, plan.switchAfter, false);
  return `${out.join('\n')}\n`;
}

async function timeScript(script: string): Promise<number> {
  const started = performance.now();
  const result = await execa('bash', ['-c', script], { reject: false, timeout: 120_000 });
  if (result.exitCode !== 0) throw new Error(`the bench script failed (exit ${result.exitCode}): ${result.stderr}`);
  return performance.now() - started;
}

async function timeHarness(backend: NetnsBackend, lab: Lab): Promise<number> {
  const started = performance.now();
  const up = await backend.up(lab, { runId: newRunId() });
  await up.down();
  return performance.now() - started;
}

/** Medians of paired runs (harness, floor, tutorial in turn) at each size; fewer runs at 100 nodes. */
export async function measureBuilds(sizes: number[]): Promise<BuildRow[]> {
  const backend = new NetnsBackend();
  const rows: BuildRow[] = [];
  for (const nodes of sizes) {
    const lab = generatedLab(nodes);
    const [batchScript, tutorialScript] = [underlayScript(lab, 'batch'), underlayScript(lab, 'tutorial')];
    const runs = Number(process.env.BENCH_RUNS ?? 5) + (nodes >= 100 ? 0 : 2);
    const samples = { harness: [] as number[], batch: [] as number[], tutorial: [] as number[] };
    await timeHarness(backend, lab); // warm-up: the node tree is located once per process
    // Each sample starts once the kernel has deleted the namespaces of the one before.
    for (let i = 0; i < runs; i++) {
      await kernelSettled();
      samples.harness.push(await timeHarness(backend, lab));
      await kernelSettled();
      samples.batch.push(await timeScript(batchScript));
      await kernelSettled();
      samples.tutorial.push(await timeScript(tutorialScript));
    }
    rows.push({ nodes, harness_ms: median(samples.harness), batch_ms: median(samples.batch), tutorial_ms: median(samples.tutorial) });
  }
  return rows;
}

/** scale-multicast-100 reduced to its build, its steps and node0's 99 pings, end to end (median). */
export async function measurePing100(): Promise<number> {
  const backend = new NetnsBackend();
  const full = await loadScenario('scale-multicast-100');
  const scenario = { ...full, checks: full.checks.filter((c) => c.kind === 'pings') };
  const samples: number[] = [];
  for (let i = 0; i < Number(process.env.BENCH_RUNS ?? 5); i++) {
    // The previous sample's 100 VXLAN devices take the kernel ~1.8 s to delete after it ended.
    await kernelSettled();
    const started = performance.now();
    const result = await runScenario(scenario, { backend, runId: newRunId(), emit: () => undefined });
    if (result.passed !== 1) throw new Error('node0 did not reach all 99 peers');
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** The rows as a table, for `npm run bench`. */
