// Room in the kernel's one neighbour table, on the real kernel: a lab waits (and says so) while
// other labs hold the room it needs, is built once they release it, and gives its own room back;
// a run killed outright leaves its reservation to `clean`. Each test has a ledger of its own
// (VXLAB_NEIGHBOUR_LEDGER), so labs of the test files beside it neither wait on it nor free it.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from './backends/neighbour-ledger.ts';
import { readNeighbourTable } from './backends/neighbour-table.ts';
import { neighbourDemand } from './lab/neighbours.ts';
import { loadScenario } from './scenario/resolve.ts';
import { labResidue, outputUntil, residueAfterPolling, runCli, runIdOf, startCli, stderrUntil } from './testing/host.ts';

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const ledgerDirForTest = () => scratch[scratch.push(mkdtempSync(join(tmpdir(), 'vxlab-ledger-it-'))) - 1]!;
const entriesIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('room in the neighbour table', () => {
  it('a lab waits while other labs hold the room it needs, then is built and passes, and gives its room back', async () => {
    const dir = ledgerDirForTest();
    const ledger = (await openLedger(dir))!;
    const { limit } = await readNeighbourTable();
    // This test process holds all but 10 entries, as a large lab of another run would.
    const held = await ledger.locked(async () => ledger.add('a large lab of another run', limit - 10));
    const child = startCli(['multicast', '--reporter', 'tap'], { env: { VXLAB_NEIGHBOUR_LEDGER: dir, VXLAB_TRACE: '1' } });
    const waiting = await outputUntil(child, "# waiting for room in the kernel's neighbour table");
    expect(waiting).toMatch(new RegExp(`^ {4}# waiting for room in the kernel's neighbour table \\(${neighbourDemand(await loadScenario('multicast')).entries} entries\\), held by a large lab of another run \\(${limit - 10}, process ${process.pid}\\)$`, 'm'));
    const runId = runIdOf(waiting);
    // Nothing is built while it waits: no node, no lab-up moment.
    expect(await labResidue(runId)).toEqual([]);
    expect(child.exitCode).toBeNull();
    const lateStderr = stderrUntil(child, 'vxlab trace: lab-up');
    await ledger.remove(held);
    await lateStderr;
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/^ok 1 - multicast$/m);
    expect(entriesIn(dir)).toEqual([]);
  });

  it('a run killed outright leaves its room reserved, and clean gives it back with its nodes', async () => {
    const dir = ledgerDirForTest();
    const env = { VXLAB_NEIGHBOUR_LEDGER: dir };
    const entries = neighbourDemand(await loadScenario('p2p')).entries;
    const child = startCli(['p2p', '--reporter', 'tap'], { env: { ...env, VXLAB_PAUSE_AT: 'lab-up' } });
    const runId = runIdOf(await outputUntil(child, '# vxlab run '));
    await stderrUntil(child, '(paused until interrupted)');
    const [entry] = entriesIn(dir);
    expect(JSON.parse(readFileSync(join(dir, entry!), 'utf8'))).toMatchObject({ harnessPid: child.pid, scenario: 'p2p', entries });
    child.kill('SIGKILL');
    await child;
    expect(entriesIn(dir)).toEqual([entry]);
    const cleaned = await runCli(['clean'], { env });
    expect(cleaned.exitCode).toBe(0);
    expect(cleaned.stdout).toContain(`released the neighbour-table room of p2p (${entries} entries): its run (PID ${child.pid}) is gone\n`);
    expect(entriesIn(dir)).toEqual([]);
    expect(await residueAfterPolling(() => labResidue(runId), 'the run to be gone', 5000)).toEqual([]);
  });

  it('a ledger directory others may write to is never used quietly: the lab is broken with the reason, and clean says it and exits 1', async () => {
    const dir = ledgerDirForTest();
    chmodSync(dir, 0o777);
    const result = await runCli(['multicast', '--reporter', 'tap'], { env: { VXLAB_NEIGHBOUR_LEDGER: dir } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^ {4}not ok 1 - the lab builds\n {6}---\n {6}message: "the neighbour ledger \/tmp\/vxlab-ledger-it-\w+ can be written by other users \(mode 777\): remove it, or set VXLAB_NEIGHBOUR_LEDGER to a directory of your own"$/m);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    // clean does the rest, says what it could not read, and exits 1: a reservation may be left there.
    const cleaned = await runCli(['clean'], { env: { VXLAB_NEIGHBOUR_LEDGER: dir } });
    expect(cleaned.exitCode).toBe(1);
    expect(cleaned.stderr).toContain(`vxlab: the neighbour ledger ${dir} can be written by other users (mode 777)`);
  });
});
