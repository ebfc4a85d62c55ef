// A learner's way through a lab, on the real kernel: `up --bare`, the tutorial's commands typed
// with `exec` and `shell`, `check`, `status`, `down`; and a supervisor killed outright, then `clean`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabRecord } from './learner/records.ts';
import { loadScenario } from './scenario/resolve.ts';
import { hostSnapshot, labResidue, residueAfterPolling, residueOfHarness, runCli, startCli } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';
import { tokenize } from './policy/command-line.ts';
import { pollUntil } from './util/poll.ts';

// A state directory of this test's own: the labs a user may have up are not ours to see.
const labsDir = mkdtempSync(join(tmpdir(), 'vxlab-labs-'));
const env = { VXLAB_LABS_DIR: labsDir };
const cli = (args: string[]) => runCli(args, { env });
const record = () => JSON.parse(readFileSync(join(labsDir, 'multicast.json'), 'utf8')) as LabRecord;

let before: Record<string, unknown>;
beforeEach(async () => {
  before = await hostSnapshot();
});
afterEach(async () => {
  await cli(['down', 'multicast']);
  expect(await hostSnapshot()).toEqual(before);
});
afterAll(() => rmSync(labsDir, { recursive: true, force: true }));

/** The multicast scenario's commands, node by node, as a learner types them. */
async function tutorialCommands(): Promise<{ node: string; text: string }[]> {
  const scenario = await loadScenario('multicast');
  return scenario.steps.flatMap((s) => s.commands.map((c) => ({ node: s.node, text: c.text })));
}

async function typeWithExec(commands: { node: string; text: string }[]): Promise<void> {
  for (const { node, text } of commands) {
    const r = await cli(['exec', 'multicast', node, '--', ...tokenize(text).map((t) => t.value)]);
    expect(r.exitCode, `${node}: ${text}\n${r.stderr}`).toBe(0);
  }
}

describe('up --bare, the tutorial typed with exec, then check', () => {
  it('passes when every command was typed, and down leaves nothing', async () => {
    const up = await cli(['up', 'multicast', '--bare']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('lab multicast is up (bare');
    const { runId, harnessPid } = record();
    // Bare: no step ran, so node0 has no vxlan0 yet.
    const bare = await cli(['exec', 'multicast', 'node0', '--', 'ip', 'link', 'show', 'vxlan0']);
    expect(bare.exitCode).toBe(1);
    expect(bare.stderr).toContain('does not exist');

    await typeWithExec(await tutorialCommands());
    const status = await cli(['status']);
    expect(status.stdout).toMatch(new RegExp(`^multicast +netns +bare +node0,node1,node2 +\\d+ s +${harnessPid}$`, 'm'));

    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode, check.stdout).toBe(0);
    expect(await parseTap(check.stdout)).toMatchObject({ ok: true, pass: 1, fail: 0, extra: [] });
    expect(check.stdout.match(/^ {4}ok \d+ - /gm)).toHaveLength(8);
    // Again: the first check's pings warmed the ARP caches, which `check` empties first, so the
    // capture that counts node0's ARP request still sees it.
    const again = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(again.exitCode, again.stdout).toBe(0);

    const down = await cli(['down', 'multicast']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await residueAfterPolling(() => labResidue(runId), 'the lab to be gone', 5000)).toEqual([]);
    expect(await residueOfHarness(harnessPid)).toEqual([]);
    expect((await cli(['status'])).stdout).toBe('no lab is up (start one with `npm run lab -- up NAME`)\n');
  });

  it('fails with one command left out, and names that command and what it would have made', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { harnessPid } = record();
    const commands = await tutorialCommands();
    const left = commands.findIndex((c) => c.node === 'node2' && c.text === 'ip link set vxlan0 up');
    expect(left).toBeGreaterThan(0);
    await typeWithExec(commands.filter((_, i) => i !== left));

    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode).toBe(1);
    const tap = await parseTap(check.stdout);
    expect(tap.ok).toBe(false);
    expect(check.stdout).toContain('not ok 6 - node0 reaches 10.20.1.4');
    expect(check.stdout).toContain('looks missing:\n        - "node2: `ip link set vxlan0 up` looks missing or wrong: link vxlan0 is down, expected up');
    // Only the command left out is named: every other one left its mark.
    expect(check.stdout.match(/looks missing or wrong/g)?.length).toBe(check.stdout.match(/^ {4}not ok/gm)?.length);
    // The model answer's own lab is gone again.
    await cli(['down', 'multicast']);
    expect(await residueAfterPolling(() => residueOfHarness(harnessPid), 'the labs to be gone', 5000)).toEqual([]);
  });
});

describe('shell and exec', () => {
  it("shell shows the tutorial's prompt and runs each line through the policy; exec refuses what the policy refuses", async () => {
    expect((await cli(['up', 'multicast'])).exitCode).toBe(0);
    const child = startCli(['shell', 'multicast', 'node1'], { env });
    child.stdin?.end('ip -br addr show dev vxlan0\nsudo ip -br link show dev enp0s8\ncat /etc/shadow\nip link show | head\nexit\n');
    const shell = await child;
    expect(String(shell.stdout)).toMatch(/^root@node1:~# vxlan0 +UNKNOWN +10\.20\.1\.3\/24 [^\n]*\nroot@node1:~# enp0s8@\S+ +UP /);
    expect(String(shell.stdout).match(/root@node1:~# /g)).toHaveLength(5);
    expect(String(shell.stderr)).toContain('vxlab refused to run `cat /etc/shadow` on node1: `cat` runs "cat", which is not allowed');
    expect(String(shell.stderr)).toContain('this line has `|` (a pipe or `||` operator)');

    const refused = await cli(['exec', 'multicast', 'node0', '--', 'tcpdump', '-w', '/etc/x', '-i', 'enp0s8']);
    expect(refused.exitCode).toBe(126);
    expect(refused.stderr).toContain('vxlab refused to run');
    // `up` without --bare ran the steps: the checks pass straight away.
    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode, check.stdout).toBe(0);
  });

  it('says what is wrong with a lab that is not up or a node that does not exist', async () => {
    const none = await cli(['exec', 'multicast', 'node0', '--', 'ip', 'link']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('no lab multicast is up: start it with `npm run lab -- up multicast`');
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const again = await cli(['up', 'multicast', '--bare']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('lab multicast is already up');
    const badNode = await cli(['exec', 'multicast', 'node9', '--', 'ip', 'link']);
    expect(badNode.exitCode).toBe(2);
    expect(badNode.stderr).toContain('lab multicast has no node node9; its nodes: node0, node1, node2');
    const badName = await cli(['exec', '../x', 'node0', '--', 'ip', 'link']);
    expect(badName.exitCode).toBe(2);
  });
});

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

