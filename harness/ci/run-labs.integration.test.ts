// .ci/gha/run-labs.sh, the workflow's labs step, run here for real on a small shard.
import { execa } from 'execa';
import { XMLValidator } from 'fast-xml-parser';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, listScenarioNames } from '../scenario/resolve.ts';
import { hostSnapshot, labResidue, runIdOf } from '../testing/host.ts';
import { parseTap, pointsByScenario } from '../testing/tap.ts';
import { shardOf } from '../util/shard.ts';

const RUN_LABS = join(PROJECT_ROOT, '.ci', 'gha', 'run-labs.sh');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vxlab-gha-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function runLabs(args: string[], out: string, summary: string) {
  return execa(RUN_LABS, args, { reject: false, env: { VXLAB_CI_OUT: out, GITHUB_STEP_SUMMARY: summary, NO_COLOR: '1' }, all: true, timeout: 300_000 });
}

describe('.ci/gha/run-labs.sh', () => {
  it('runs a shard of every scenario into TAP, JUnit and the job summary, and exits 0', async () => {
    const before = await hostSnapshot();
    const out = join(dir, 'ok');
    const summary = join(dir, 'ok.md');
    // 1/6 keeps the test short (two scenarios) and goes through the same path as the workflow's 1/2.
    const r = await runLabs(['netns', '1/6'], out, summary);
    expect(r.exitCode, r.all).toBe(0);
    const expected = shardOf(await listScenarioNames(), { index: 1, count: 6 });
    const tap = await readFile(join(out, 'labs-netns-1-of-6.tap'), 'utf8');
    expect(Object.keys(pointsByScenario(tap))).toEqual(expected);
    expect(await parseTap(tap)).toMatchObject({ ok: true, count: expected.length, extra: [] });
    const xml = await readFile(join(out, 'labs-netns-1-of-6.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('failures="0" errors="0"');
    const md = await readFile(summary, 'utf8');
    expect(md).toContain('**netns backend, shard 1/6**');
    expect(md).toContain(`## vxlab: ✅ ${expected.length} passed, 0 failed`);
    for (const name of expected) expect(md).toContain(`| \`${name}\` | ✅ pass |`);
    // Every capture kept, and named in the TAP.
    const pcaps = (await readdir(join(out, 'pcaps'))).sort();
    expect(pcaps.length).toBeGreaterThan(0);
    expect(pcaps.every((f) => tap.includes(`# pcap: ${join(out, 'pcaps', f)}\n`))).toBe(true);
    expect(await labResidue(runIdOf(tap))).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });

  it('fails the leg when the run cannot start, and the summary says why', async () => {
    const out = join(dir, 'bad');
    const summary = join(dir, 'bad.md');
    const r = await runLabs(['netns', '3/2'], out, summary);
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain('vxlab: --shard 3/2: K may not exceed N');
    expect(await readFile(summary, 'utf8')).toContain('the file is empty: no TAP at all');
  });
});
