// Crashes and crowds: a run killed at each named moment leaves nothing after `clean`, `clean` never
// touches a live run, and many runs of one scenario at once do not collide. (Interrupts at named
// moments: crash-signals.integration.test.ts, a file of its own so that vitest runs both at once.)
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MOMENTS, pausedRun } from './testing/moments.ts';
import { processStartTime } from './backends/harness-identity.ts';
import { HARNESS_LABEL_VARIABLE, NODE_LABEL_VARIABLE, writeMarker } from './backends/netns/marker.ts';
import { hostSnapshot, labResidue, outputUntil, residueAfterPolling, residueOfHarness, runCli, runIdOf, startCli } from './testing/host.ts';
import { pollUntil } from './util/poll.ts';

function noResidueOf(harnessPid: number): Promise<string[]> {
  return residueAfterPolling(() => residueOfHarness(harnessPid), `harness ${harnessPid}'s processes to end`, 5000);
}

describe('clean', () => {
  it("removes a dead run's leftover node and leaves a live run alone", async () => {
    const before = await hostSnapshot();
    // A live run, kept up until we release it.
    const live = startCli(['p2p', '--keep', '--reporter', 'tap']);
    const liveId = runIdOf(await outputUntil(live, 'sudo nsenter'));
    const liveResidue = await labResidue(liveId);
    expect(liveResidue.length).toBe(4); // switch and three nodes

    // A leftover of a run whose harness is gone: a holder with a marker naming a dead process.
    const deadProcess = execa('true');
    const deadPid = deadProcess.pid!;
    await deadProcess;
    const orphan = execa('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { reject: false, env: { [NODE_LABEL_VARIABLE]: 'vxlab-vx0dead01-node0' } });
    await pollUntil(async () => ((await execa('nsenter', ['-t', String(orphan.pid), '-m', '--', 'true'], { reject: false })).exitCode === 0 && (await execa('readlink', [`/proc/${orphan.pid}/exe`])).stdout.endsWith('sleep') ? true : undefined), { what: 'the orphan holder', timeoutMs: 5000 });
    // A private /run for its marker, as a node's sandbox has.
    await execa('nsenter', ['-t', String(orphan.pid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/run']);
    await writeMarker(orphan.pid!, { runId: 'vx0dead01', node: 'node0', harnessPid: deadPid, harnessStart: (await processStartTime(process.pid))! + 1 });
    expect(await labResidue('vx0dead01')).toHaveLength(1);
    // Its run's directory of node roots, named after the dead harness; the live run has one too.
    const deadRoots = join(tmpdir(), `vxlab-root-vx0dead01-${deadPid}-${(await processStartTime(process.pid))! + 1}-Ab12Cd`);
    await mkdir(join(deadRoots, 'node/usr/sbin'), { recursive: true });
    await writeFile(join(deadRoots, 'node/usr/sbin/ip'), '');
    const liveRoots = (await readdir(tmpdir())).filter((name) => name.startsWith(`vxlab-root-${liveId}-`));
    expect(liveRoots).toHaveLength(1);
    // Someone else's process with the same marker but no vxlab label (a container of theirs): never touched.
    const stranger = execa('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { reject: false });
    await pollUntil(async () => ((await execa('readlink', [`/proc/${stranger.pid}/exe`], { reject: false })).stdout.endsWith('sleep') ? true : undefined), { what: 'the stranger', timeoutMs: 5000 });
    await execa('nsenter', ['-t', String(stranger.pid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', '/run']);
    await writeMarker(stranger.pid!, { runId: 'vx0dead02', node: 'node0', harnessPid: deadPid, harnessStart: (await processStartTime(process.pid))! + 1 });

    // Half-started sandboxes, their harness killed while bwrap set them up: labelled, no marker yet.
    // The label names the harness: a dead one's sandbox goes, a live one's (this test's) stays.
    const halfStarted = (runId: string, harness: string) => execa('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { reject: false, env: { [NODE_LABEL_VARIABLE]: `vxlab-${runId}-node0`, [HARNESS_LABEL_VARIABLE]: harness } });
    const deadHalf = halfStarted('vx0dead03', `${deadPid}.${(await processStartTime(process.pid))! + 1}`);
    const liveHalf = halfStarted('vx0a11ce03', `${process.pid}.${(await processStartTime(process.pid))!}`);
    for (const p of [deadHalf, liveHalf]) await pollUntil(async () => ((await execa('readlink', [`/proc/${p.pid}/exe`], { reject: false })).stdout.endsWith('sleep') ? true : undefined), { what: 'a half-started sandbox', timeoutMs: 5000 });

    const result = await runCli(['clean']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('removed run vx0dead01: 2 leftovers\n'); // its node and its roots
    expect(result.stdout).toContain('removed run vx0dead03: 1 leftover\n');
    expect(result.stdout).toContain('left run vx0a11ce03 alone: it is still running\n');
    await deadHalf;
    expect(liveHalf.exitCode).toBeNull();
    liveHalf.kill('SIGKILL');
    await liveHalf;
    expect(existsSync(deadRoots)).toBe(false);
    expect(existsSync(join(tmpdir(), liveRoots[0]!))).toBe(true);
    expect(result.stdout).toContain(`left run ${liveId} alone: it is still running\n`);
    await orphan;
    expect(await labResidue('vx0dead01')).toEqual([]);
    expect(result.stdout).not.toContain('vx0dead02');
    expect(stranger.exitCode).toBeNull(); // still running
    stranger.kill('SIGKILL');
    await stranger;
    expect(await labResidue(liveId)).toEqual(liveResidue);

    live.kill('SIGINT'); // releases --keep: the lab comes down normally
    expect((await live).exitCode).toBe(0);
    expect(await labResidue(liveId)).toEqual([]);
    expect(existsSync(join(tmpdir(), liveRoots[0]!))).toBe(false);
    expect(await hostSnapshot()).toEqual(before);
  });
});

describe('SIGKILL at named moments', () => {
  it.each(MOMENTS)('at $pauseAt: the lab is up when it lands, and clean removes all of it', async ({ pauseAt, trace, points }) => {
    const before = await hostSnapshot();
    const { child, header } = await pausedRun(pauseAt, trace);
    const runId = runIdOf(await header);
    expect(await labResidue(runId)).toHaveLength(4); // switch and three nodes, still up
    child.kill('SIGKILL');
    const result = await child;
    expect(result.signal).toBe('SIGKILL');
    // The TAP shows the run had got exactly this far: the checks before the moment, no end.
    const stdout = String(result.stdout);
    expect(stdout.match(/^ {4}ok \d+ - /gm) ?? []).toHaveLength(points);
    expect(stdout).not.toMatch(/^(not )?ok 1 - p2p$/m);
    expect(String(result.stderr)).not.toContain(`vxlab trace: ${trace}\n`); // never went past the pause
    expect((await runCli(['clean'])).exitCode).toBe(0);
    expect(await noResidueOf(child.pid!)).toEqual([]);
    expect(await residueAfterPolling(() => labResidue(runId), 'the run to be gone', 5000)).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });
});

describe('concurrency', () => {
  it('runs the same scenario 8 times at once, all passing, none colliding', async () => {
    const before = await hostSnapshot();
    const results = await Promise.all(Array.from({ length: 8 }, () => runCli(['multicast', '--reporter', 'tap'])));
    expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
    const ids = results.map((r) => runIdOf(r.stdout));
    expect(new Set(ids).size).toBe(8);
    for (const id of ids) expect(await labResidue(id)).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  }, 180_000);
});
