// A corpus of malformed scenarios and labs: each is refused with a ValidationError that says
// where (file:line:column, when there is a position) and what was expected. Nothing else.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/**
 * Special files cannot live in git: they are made here, in a temp dir, at run time. Each is
 * refused at once (a FIFO used to block forever) with one issue naming what the file is.
 */
describe('special files as scenario and lab paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vxlab-special-'));
  let socket: Server;
  beforeAll(async () => {
    await execa('mkfifo', [join(dir, 'fifo.yaml')]);
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    mkdirSync(join(dir, 'directory.yaml'));
    // Sparse: 2 GiB that take no disk, refused by its size before any byte is read.
    writeFileSync(join(dir, 'huge.yaml'), '');
    truncateSync(join(dir, 'huge.yaml'), 2 * 1024 ** 3);
    writeFileSync(join(dir, 'just-over.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    socket = createServer();
    await new Promise<void>((resolve) => socket.listen(join(dir, 'socket.yaml'), resolve));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.yaml'));
  });
  afterAll(() => {
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['fifo.yaml', 'is a FIFO, not a regular file'],
    ['zero.yaml', 'is a character device (through a symbolic link to /dev/zero), not a regular file'],
    ['directory.yaml', 'is a directory, not a regular file'],
    ['socket.yaml', 'is a socket, not a regular file'],
    ['huge.yaml', 'is more than the 1 MiB vxlab reads from a file (2147483648 bytes)'],
    ['just-over.yaml', 'is more than the 1 MiB vxlab reads from a file (1048579 bytes)'],
    ['dangling.yaml', 'does not exist'],
  ])('scenario %s: %s', async (file, message) => {
    const error = await refusal(() => loadScenario(join(dir, file)));
    expect(error.issues).toEqual([{ file: join(dir, file), path: '', message }]);
  });

  it('lab fifo: is a FIFO, not a regular file', async () => {
    const error = await refusal(() => loadLab('fifo', { labsDir: dir }));
    expect(error.issues).toEqual([{ file: join(dir, 'fifo.yaml'), path: '', message: 'is a FIFO, not a regular file' }]);
  });

  it('a scenario that names a lab which is a special file: refused the same way', async () => {
    const scenarios = join(dir, 'scenarios');
    mkdirSync(scenarios);
    writeFileSync(join(scenarios, 'uses-fifo.yaml'), 'lab: fifo\ntitle: t\ntutorial: s\nexplain: e\nsteps: [{ node: node0, run: [ip link show] }]\nchecks: [{ ping: { from: node0, to: 10.0.0.1 } }]\n');
    const error = await refusal(() => loadScenario(join(scenarios, 'uses-fifo.yaml'), { labsDir: dir }));
    expect(error.issues.map((i) => i.message)).toEqual(['is a FIFO, not a regular file']);
  });
});
