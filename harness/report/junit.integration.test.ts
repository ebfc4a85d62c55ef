// --reporter junit through the CLI: a real lab, and the paths that end a run before any lab.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/resolve.ts';
import { runCli } from '../testing/host.ts';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase'].includes(name) });
type Doc = { testsuites: Record<string, string> & { testsuite: Array<Record<string, string> & { testcase: Array<Record<string, unknown>> }> } };

describe('npm run lab -- --reporter junit', () => {
  it('writes one well-formed document: a testsuite for p2p, a testcase per check, all passed', async () => {
    const r = await runCli(['p2p', '--reporter', 'junit']);
    expect(r.exitCode).toBe(0);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = parser.parse(r.stdout) as Doc;
    const scenario = await loadScenario('p2p');
    expect(doc.testsuites).toMatchObject({ '@tests': String(scenario.checks.length), '@failures': '0', '@errors': '0' });
    expect(doc.testsuites.testsuite.map((s) => s['@name'])).toEqual(['p2p']);
    expect(doc.testsuites.testsuite[0]!.testcase.map((c) => c['@name'])).toEqual(scenario.checks.map((c) => c.name));
  });

  it('reports an invalid scenario as an error document and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-junit-'));
    try {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, 'lab: no-such-lab\ntitle: x\n');
      const r = await runCli([file, '--reporter', 'junit']);
      expect(r.exitCode).toBe(2);
      expect(XMLValidator.validate(r.stdout)).toBe(true);
      expect((parser.parse(r.stdout) as Doc).testsuites).toMatchObject({ '@errors': '1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
