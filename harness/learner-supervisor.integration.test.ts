// A learner's lab supervisor on the real kernel: a stranger on its socket, the supervisor killed
// outright (then `clean` and `status`), and interrupts of `up` and `check`. (Split from
// learner.integration.test.ts, so the two run side by side.)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labResidue, residueAfterPolling, residueOfHarness, runCli, startCli } from './testing/host.ts';
import { learnerLabs } from './testing/learner-labs.ts';
import { parseTap } from './testing/tap.ts';
import { pollUntil } from './util/poll.ts';

const { labsDir, env, cli, record } = learnerLabs('multicast');

describe('the supervisor against a stranger on its socket', () => {
  /** Sends one raw line on the lab's socket; resolves with everything the supervisor answered. */
  const raw = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = createConnection(join(labsDir, 'multicast.sock'));
      let answer = '';
      socket.on('error', reject).on('connect', () => socket.end(`${line}\n`)).on('data', (d) => (answer += String(d))).on('close', () => resolve(answer));
    });

  it('answers malformed requests with an error and keeps serving', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { harnessPid } = record();
    for (const line of ['null', '42', '{"op":"reboot"}', '{"op":"exec","node":"node0","argv":"ip link"}', '{"op":"exec","node":"node0","argv":["ip"],"extra":1}', 'x'.repeat(2 * 1024 * 1024)]) {
      expect(await raw(line), line.slice(0, 60)).toMatch(/^\{"type":"error","message":"not a request/);
    }
    expect(() => process.kill(harnessPid, 0)).not.toThrow();
    const exec = await cli(['exec', 'multicast', 'node0', '--', 'ip', '-br', 'link', 'show', 'lo']);
    expect(exec.exitCode, exec.stderr).toBe(0);
  });

  it('two `up` of one lab at once: one comes up, the other is refused, and down leaves no supervisor', async () => {
    const results = await Promise.all([cli(['up', 'multicast', '--bare']), cli(['up', 'multicast', '--bare'])]);
    expect(results.map((r) => r.exitCode).sort()).toEqual([0, 2]);
    expect(results.find((r) => r.exitCode === 2)!.stderr).toMatch(/lab multicast is (already up|being brought up by another `up`)/);
    const { harnessPid } = record();
    expect((await cli(['down', 'multicast'])).exitCode).toBe(0);
    expect(await residueAfterPolling(() => residueOfHarness(harnessPid), 'the lab to be gone', 10_000)).toEqual([]);
    expect(readdirSync(labsDir).filter((f) => f.startsWith('multicast.'))).toEqual([]);
  });
});

describe('down and a stopped supervisor', () => {
  it('says the supervisor is stopped instead of waiting on it; the lab goes down once it goes on', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { harnessPid, runId } = record();
    process.kill(harnessPid, 'SIGSTOP');
    try {
      // The kernel queues the connection and the request of a stopped supervisor: no answer ever comes.
      const result = await runCli(['down', 'multicast'], { env, timeoutMs: 30_000 });
      expect(result.stderr).toContain(`lab multicast's supervisor (PID ${harnessPid}) is stopped, so it cannot take the lab down: it will once it goes on (\`kill -CONT ${harnessPid}\`)`);
      expect(result.exitCode).toBe(1);
      expect((await labResidue(runId)).join('\n')).toContain(`vxlab-${runId}-node0:`);
    } finally {
      process.kill(harnessPid, 'SIGCONT');
    }
    // It reads the request it was sent while stopped, and takes the lab down.
    expect(await residueAfterPolling(() => residueOfHarness(harnessPid), 'the lab to go down', 20_000)).toEqual([]);
    await pollUntil(() => (readdirSync(labsDir).some((f) => f.startsWith('multicast.')) ? undefined : true), { what: "the lab's files to go", timeoutMs: 10_000 });
  });
});

describe('down and a client that keeps its connection open', () => {
  it('closes it after teardown, so that down ends at once', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { harnessPid } = record();
    // Half a request, and then nothing: before, the supervisor waited for this client to leave (`down` timed out after 60 s).
    const idle = createConnection(join(labsDir, 'multicast.sock'));
    const closed = new Promise<void>((resolve) => idle.on('error', () => undefined).on('close', () => resolve()));
    await new Promise<void>((resolve) => idle.once('connect', () => idle.write('{"op":', () => resolve())));
    try {
      const result = await runCli(['down', 'multicast'], { env, timeoutMs: 30_000 });
      expect(result.stdout).toBe('lab multicast is down\n');
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await residueAfterPolling(() => residueOfHarness(harnessPid), 'the lab to go down', 10_000)).toEqual([]);
      await closed;
    } finally {
      idle.destroy();
    }
  });
});

describe('up and what sits where a lab keeps its files', () => {
  it('refuses a directory at the record, with its name, and leaves nothing claimed', async () => {
    mkdirSync(join(labsDir, 'multicast.json'));
    try {
      const result = await cli(['up', 'multicast', '--bare']);
      expect(result.stderr).toContain(`${join(labsDir, 'multicast.json')} is a directory, where lab multicast keeps its record: remove it`);
      expect(result.exitCode).toBe(2);
      expect(readdirSync(labsDir).filter((f) => f.startsWith('multicast.'))).toEqual(['multicast.json']);
    } finally {
      rmSync(join(labsDir, 'multicast.json'), { recursive: true });
    }
  });
});

describe('a supervisor killed outright', () => {
  it('takes its lab with it; clean finds nothing of it; status forgets it', async () => {
    expect((await cli(['up', 'multicast'])).exitCode).toBe(0);
    const { runId, harnessPid } = record();
    // The lab is there to be killed: each node's sandbox carries the run's label.
    for (const node of ['node0', 'node1', 'node2']) expect((await labResidue(runId)).join('\n')).toContain(`vxlab-${runId}-${node}:`);
    process.kill(harnessPid, 'SIGKILL');
    const clean = await cli(['clean', '--backend', 'netns']);
    expect(clean.stdout).toContain(`forgot lab multicast: its supervisor (PID ${harnessPid}) is gone`);
    expect(await residueAfterPolling(() => labResidue(runId), 'the lab to be gone', 5000)).toEqual([]);
    expect((await cli(['status'])).stdout).toContain('no lab is up');
  });

  it('status forgets it too, when it is asked first', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { runId, harnessPid } = record();
    process.kill(harnessPid, 'SIGKILL');
    expect(await residueAfterPolling(() => labResidue(runId), 'the nodes to die with their supervisor', 5000)).toEqual([]);
    expect((await cli(['status'])).stdout).toContain(`forgot lab multicast: its supervisor (PID ${harnessPid}) is gone`);
    expect((await cli(['status'])).stdout).toContain('no lab is up');
  });
});

describe('interrupting', () => {
  it('a check whose client leaves mid-check stops where it is; the supervisor serves the next one', async () => {
    // The supervisor holds the first check at its first capture (a named moment, in its log);
    // the steps `up` runs have no capture.
    expect((await runCli(['up', 'multicast'], { env: { ...env, VXLAB_PAUSE_AT: 'capture' } })).exitCode).toBe(0);
    const supervisor = record().harnessPid;
    const log = join(labsDir, 'multicast.log');
    const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    const client = startCli(['check', 'multicast', '--reporter', 'tap'], { env });
    await pollUntil(() => (/capture:\d+ multicast: .*\(paused until interrupted\)/.test(logText()) ? true : undefined), { what: 'the check to pause at its capture', timeoutMs: 30_000 });
    client.kill('SIGKILL');
    await client.catch(() => undefined);
    await pollUntil(() => (logText().includes('vxlab supervisor: a check stopped where it was: its client left') ? true : undefined), { what: 'the supervisor to stop the check', timeoutMs: 15_000 });
    expect(() => process.kill(supervisor, 0)).not.toThrow();
    const next = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(next.exitCode, next.stdout).toBe(0);
    expect(await parseTap(next.stdout)).toMatchObject({ ok: true, extra: [] });
  });


  it('up killed outright while its supervisor builds: a second up is refused while that supervisor lives', async () => {
    const log = join(labsDir, 'multicast.log');
    const first = startCli(['up', 'multicast'], { env: { ...env, VXLAB_PAUSE_AT: 'step:2' } });
    const paused = await pollUntil(() => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return text.includes('(paused until interrupted)') ? text : undefined;
    }, { what: 'the supervisor to pause at step 2', timeoutMs: 30_000 });
    const supervisor = Number(/supervisor PID (\d+)/.exec(paused)![1]);
    const runId = /run (vx[0-9a-f]+)/.exec(paused)![1]!;
    first.kill('SIGKILL');
    await first;
    // The supervisor holds the claim itself, so the dead `up` left no stale one to take over.
    const second = await cli(['up', 'multicast', '--bare']);
    expect(second.exitCode, second.stdout + second.stderr).toBe(2);
    expect(second.stderr).toContain(`lab multicast is being brought up by another \`up\` (PID ${supervisor})`);
    process.kill(supervisor, 'SIGTERM');
    expect(await residueAfterPolling(() => labResidue(runId), 'the first lab to be gone', 30_000)).toEqual([]);
    // Its last act removes its record, claim and log: wait for it, so the next test starts clean.
    await pollUntil(() => (existsSync(`/proc/${supervisor}`) ? undefined : true), { what: 'the first supervisor to exit', timeoutMs: 30_000 });
    // It never served, so its log stays for an `up` to read, and its `up` is gone: the next test must not read it.
    expect(existsSync(join(labsDir, 'multicast.lock'))).toBe(false);
    rmSync(log, { force: true });
  });

  it('Ctrl-C while up runs the steps stops the supervisor, which tears the lab down', async () => {
    // The supervisor holds at step 2 (a named moment, written to its log), so the signal lands then.
    const up = startCli(['up', 'multicast'], { env: { ...env, VXLAB_PAUSE_AT: 'step:2' } });
    const log = join(labsDir, 'multicast.log');
    const paused = await pollUntil(() => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return text.includes('step:2 multicast: at step 2 of 3 (on node1) (paused until interrupted)') ? text : undefined;
    }, { what: 'the supervisor to pause at step 2', timeoutMs: 30_000 });
    const runId = /run (vx[0-9a-f]+)/.exec(paused)![1]!;
    // The lab was being built: node0's step had run.
    expect((await labResidue(runId)).length).toBeGreaterThan(0);
    up.kill('SIGINT');
    const result = await up;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr)).toContain('interrupted by SIGINT');
    expect(existsSync(join(labsDir, 'multicast.json'))).toBe(false);
    expect((await cli(['status'])).stdout).toContain('no lab is up');
    expect(await residueAfterPolling(() => labResidue(runId), 'the lab to be gone', 10_000)).toEqual([]);
  });
});

