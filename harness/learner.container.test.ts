// The learner's verbs on the container backend: `up --bare`, the tutorial typed with `exec`,
// `check`, then `down`; and a supervisor killed outright takes its containers with it (after `clean`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LabRecord } from './learner/records.ts';
import { tokenize } from './policy/command-line.ts';
import { loadScenario } from './scenario/resolve.ts';
import { containerResidue, engineMissing } from './testing/container.ts';
import { residueAfterPolling, runCli } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

const missing = await engineMissing();
// Made by the suite's own hooks, which do not run when it is skipped (no engine): nothing is left then.
let labsDir = '';
const cli = (args: string[]) => runCli(args, { env: { VXLAB_LABS_DIR: labsDir }, timeoutMs: 180_000 });
const record = () => JSON.parse(readFileSync(join(labsDir, 'multicast.json'), 'utf8')) as LabRecord;
const noResidue = (runId: string) => residueAfterPolling(() => containerResidue(runId), `run ${runId}'s containers to go`, 20_000);

describe.skipIf(missing !== undefined)('learner verbs on the container backend', () => {
  beforeAll(() => {
    labsDir = mkdtempSync(join(tmpdir(), 'vxlab-labs-'));
  });
  afterEach(async () => {
    await cli(['down', 'multicast']);
  });
  afterAll(() => rmSync(labsDir, { recursive: true, force: true }));

  it('up --bare, the tutorial typed with exec, check passes; down removes every container', async () => {
    const up = await cli(['up', 'multicast', '--bare', '--backend', 'container']);
    expect(up.exitCode, up.stderr).toBe(0);
    const { runId, backend } = record();
    expect(backend).toBe('container');
    expect((await containerResidue(runId)).filter((r) => r.startsWith('container')).length).toBe(3);
    const scenario = await loadScenario('multicast');
    for (const step of scenario.steps) {
      for (const command of step.commands) {
        const r = await cli(['exec', 'multicast', step.node, '--', ...tokenize(command.text).map((t) => t.value)]);
        expect(r.exitCode, `${step.node}: ${command.text}\n${r.stderr}`).toBe(0);
      }
    }
    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode, check.stdout).toBe(0);
    expect(await parseTap(check.stdout)).toMatchObject({ ok: true, fail: 0, extra: [] });
    expect((await cli(['down', 'multicast'])).exitCode).toBe(0);
    expect(await noResidue(runId)).toEqual([]);
  }, 300_000);

  it('a supervisor killed outright: clean removes its containers and status forgets the lab', async () => {
    expect((await cli(['up', 'multicast', '--bare', '--backend', 'container'])).exitCode).toBe(0);
    const { runId, harnessPid } = record();
    process.kill(harnessPid, 'SIGKILL');
    const clean = await cli(['clean', '--backend', 'container']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(await noResidue(runId)).toEqual([]);
    expect((await cli(['status'])).stdout).toContain('no lab is up');
  }, 300_000);
});
