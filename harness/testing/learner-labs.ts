// A learner test file's lab state: a labs directory of its own (the labs a user may have up are
// not the test's to see), the CLI pointed at it, and the host guard around each test (after a `down`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { LabRecord } from '../learner/records.ts';
import { hostUnchangedAroundEachTest } from './host-guard.ts';
import { runCli } from './host.ts';

export function learnerLabs(lab: string) {
  const labsDir = mkdtempSync(join(tmpdir(), 'vxlab-labs-'));
  const env = { VXLAB_LABS_DIR: labsDir };
  const cli = (args: string[]) => runCli(args, { env });
  const record = () => JSON.parse(readFileSync(join(labsDir, `${lab}.json`), 'utf8')) as LabRecord;
  hostUnchangedAroundEachTest(() => cli(['down', lab]));
  afterAll(() => rmSync(labsDir, { recursive: true, force: true }));
  return { labsDir, env, cli, record };
}
