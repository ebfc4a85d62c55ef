// `npm run bench:rtt`: the in-lab round-trip time under load, the evidence behind the ping
// check's "unreachable" window (checks/ping.ts). N labs at once (default 8), each the multicast
// scenario's lab and steps; in each, node0 pings node1 over VXLAN many times at ping's
// unprivileged floor interval, and every reply's time is one sample. Prints percentiles.
import { createBackend } from '../harness/backends/registry.ts';
import { compileSteps } from '../harness/lab/compile.ts';
import { loadScenario } from '../harness/scenario/resolve.ts';
import { newRunId } from '../harness/util/run-id.ts';

const concurrent = Number(process.env.RTT_LABS ?? 8);
const echoes = Number(process.env.RTT_ECHOES ?? 500);
const backend = await createBackend('netns');
await backend.checkPrerequisites();
const scenario = await loadScenario('multicast');

interface Samples {
  steady: number[];
  /** Echoes that first had to resolve their neighbour (ARP through the multicast group). */
  firstAfterFlush: number[];
}

async function oneLab(): Promise<Samples> {
  await using lab = await backend.up(scenario.lab, { runId: newRunId() });
  for (const { step, batches } of compileSteps(scenario)) {
    for (const batch of batches) {
      const argv = batch.kind === 'batch' ? batch.argv : batch.command.argv;
      const r = await lab.node(step.node).exec(argv, batch.kind === 'batch' ? { input: batch.input } : {});
      if (r.exitCode !== 0) throw new Error(`step on ${step.node} failed: ${r.stderr}`);
    }
  }
  const times = (stdout: string) => [...stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const firstAfterFlush: number[] = [];
  for (let i = 0; i < 20; i++) {
    await lab.node('node0').exec(['ip', 'neigh', 'flush', 'dev', 'vxlan0']);
    firstAfterFlush.push(...times((await lab.node('node0').exec(['ping', '-n', '-c', '1', '-W', '5', '10.20.1.3'])).stdout));
  }
  const r = await lab.node('node0').exec(['ping', '-n', '-c', String(echoes), '-i', '0.002', '10.20.1.3'], { timeoutMs: 60_000 });
  return { steady: times(r.stdout), firstAfterFlush };
}

const results = await Promise.all(Array.from({ length: concurrent }, oneLab));
function describe(what: string, samples: number[], sent: number): string {
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return `${what}: ${samples.length} replies of ${sent} echoes: median ${at(0.5)} ms, p99 ${at(0.99)} ms, p99.9 ${at(0.999)} ms, max ${samples.at(-1)} ms\n`;
}
process.stdout.write(`${concurrent} labs at once\n`);
process.stdout.write(describe('steady (neighbour known)', results.flatMap((r) => r.steady), concurrent * echoes));
process.stdout.write(describe('first echo after a neighbour flush', results.flatMap((r) => r.firstAfterFlush), concurrent * 20));
