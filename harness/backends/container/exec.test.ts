// The exec wrapper is plain POSIX shell: it runs here exactly as it runs in a node.
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import { recordedArgv, signalArgv } from './exec.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vxlab-exec-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('recordedArgv', () => {
  it('passes each argument through untouched, never as shell text', async () => {
    const wrapped = recordedArgv(join(dir, 'pid'), ['printf', '%s|', '$(touch x)', '; echo no', "it's", '"q"', '*', '']);
    const result = await execa(wrapped[0]!, wrapped.slice(1), { cwd: dir });
    expect(result.stdout).toBe('$(touch x)|; echo no|it\'s|"q"|*||');
    expect(await readFile(join(dir, 'x')).catch(() => 'not made')).toBe('not made');
  });

  it('records the PID of the program itself (the shell execs it)', async () => {
    const pidFile = join(dir, 'pid');
    const argv = recordedArgv(pidFile, ['sleep', '30']);
    const child = execa(argv[0]!, argv.slice(1), { reject: false });
    const recorded = await pollUntil(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, { what: 'the PID file', timeoutMs: 5000 });
    expect(recorded).toBe(child.pid);
    child.kill('SIGKILL');
    await child;
  });
});

describe('signalArgv', () => {
  it('delivers the signal to the recorded process', async () => {
    const pidFile = join(dir, 'pid');
    const argv = recordedArgv(pidFile, ['sleep', '30']);
    const child = execa(argv[0]!, argv.slice(1), { reject: false });
    await pollUntil(async () => ((await readFile(pidFile, 'utf8').catch(() => '')) ? true : undefined), { what: 'the PID file', timeoutMs: 5000 });
    const kill = signalArgv(pidFile, 'SIGTERM');
    expect((await execa(kill[0]!, kill.slice(1))).exitCode).toBe(0);
    expect((await child).signal).toBe('SIGTERM');
  });
});
