// A corpus of malformed scenarios and labs: each is refused with a ValidationError that says
// where (file:line:column, when there is a position) and what was expected. Nothing else.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, ValidationError, type ValidationIssue } from '../util/errors.ts';
import { loadLab, loadScenario } from './resolve.ts';

const SCENARIOS = new URL('./fixtures/bad-scenarios/', import.meta.url).pathname;
const LABS = new URL('./fixtures/bad-labs/', import.meta.url).pathname;

/** The expected message, from a `# expect: REGEX` last line or a FILE.expect beside it. */
function expectation(dir: string, file: string): RegExp {
  const sidecar = `${dir}${file.replace(/\.yaml$/, '.expect')}`;
  const text = readdirSync(dir).includes(file.replace(/\.yaml$/, '.expect')) ? readFileSync(sidecar, 'utf8') : /# expect: (.*)\n$/.exec(readFileSync(`${dir}${file}`, 'latin1'))?.[1];
  if (!text) throw new Error(`${file} says nothing of what to expect`);
  return new RegExp(text.trim());
}

/** `line:col: path message`, or `-:-: message` for an issue without a position. */
const where = (i: ValidationIssue) => `${i.line ?? '-'}:${i.col ?? '-'}: ${i.path ? `${i.path} ` : ''}${i.message}`;

async function refusal(load: () => Promise<unknown>): Promise<ValidationError> {
  const error = await load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

const scenarioFiles = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
const labFiles = readdirSync(LABS).filter((f) => f.endsWith('.yaml')).sort();

it('the corpus holds at least 40 malformed files', () => {
  expect(scenarioFiles.length + labFiles.length).toBeGreaterThanOrEqual(40);
});

describe.each(scenarioFiles)('scenario %s', (file) => {
  it('is refused with a positioned message saying what was expected', async () => {
    const error = await refusal(() => loadScenario(`${SCENARIOS}${file}`));
    const wanted = expectation(SCENARIOS, file);
    const lines = error.issues.map(where);
    expect(lines.some((l) => wanted.test(l)), `${lines.join('\n')}\n  does not match ${wanted}`).toBe(true);
    for (const issue of error.issues) {
      expect(formatIssue(issue).startsWith(issue.file)).toBe(true);
      expect(issue.file.endsWith(`bad-scenarios/${file}`)).toBe(true);
      // Every issue has a position, except for a file that has no lines to point at.
      if (!['binary.yaml'].includes(file)) expect(issue.line, formatIssue(issue)).toBeGreaterThan(0);
    }
  });
});

describe.each(labFiles)('lab %s', (file) => {
  it('is refused with a positioned message saying what was expected', async () => {
    const error = await refusal(() => loadLab(file.replace(/\.yaml$/, ''), { labsDir: LABS }));
    const wanted = expectation(LABS, file);
    const lines = error.issues.map(where);
    expect(lines.some((l) => wanted.test(l)), `${lines.join('\n')}\n  does not match ${wanted}`).toBe(true);
    for (const issue of error.issues) expect(issue.line, formatIssue(issue)).toBeGreaterThan(0);
  });
});
