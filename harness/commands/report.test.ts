import { XMLValidator } from 'fast-xml-parser';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from './report.ts';

const PASSING = 'TAP version 14\n1..1\n# vxlab run vx1 on the netns backend\n# Subtest: p2p\n    ok 1 - a\n    1..1\nok 1 - p2p\n';
const FAILING = 'TAP version 13\n1..1\n# vxlab run vx2 on the container backend\n# Subtest: p2p\n    not ok 1 - a\n      ---\n      message: expected 1, got 0\n      ...\n    1..1\nnot ok 1 - p2p\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vxlab-report-'));
  await writeFile(join(dir, 'pass.tap'), PASSING);
  await writeFile(join(dir, 'fail.tap'), FAILING);
  await writeFile(join(dir, 'cut.tap'), PASSING.split('\n').slice(0, 5).join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(files: string[], options: { markdown?: boolean; junit?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await report(files.map((f) => join(dir, f)), { markdown: options.markdown ?? false, junit: options.junit }, (t) => (stdout += t), (t) => (stderr += t));
  return { code, stdout, stderr };
}

describe('npm run lab -- report', () => {
  it('exits 0 when every scenario passed', async () => {
    const r = await run(['pass.tap']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('p2p       pass');
  });

  it('exits 1 on a failure, and writes JUnit with it', async () => {
    const junit = join(dir, 'out.xml');
    const r = await run(['pass.tap', 'fail.tap'], { junit });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('p2p on container (');
    const xml = await readFile(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<failure message="expected 1, got 0" type="failure">');
  });

  it('exits 2 for a file cut short or missing, naming file and line, and says so in the Markdown and JUnit too', async () => {
    const junit = join(dir, 'bad.xml');
    const r = await run(['pass.tap', 'cut.tap', 'nosuch.tap'], { markdown: true, junit });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `vxlab report: ${join(dir, 'cut.tap')}:5: the subtest "p2p" ends without its plan (is the file cut short?)\n` +
        `vxlab report: ${join(dir, 'cut.tap')}:5: the plan says 1 scenarios but the file ends after 0 (is it cut short?)\n` +
        `vxlab report: ${join(dir, 'nosuch.tap')}: does not exist\n`,
    );
    expect(r.stdout).toMatch(/^## vxlab: ❌ 3 problems in the TAP files\n/);
    const xml = await readFile(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('errors="3"');
  });

  it('exits 2 for a directory, never a silent pass', async () => {
    const r = await run(['.']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a directory, not a regular file');
  });
});
