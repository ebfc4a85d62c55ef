// A background program on a real sshd host (a capture's tcpdump) takes its signals through its
// channel, and ends with the harness that started it: a SIGKILLed harness leaves nothing running
// there, even a program that never writes again (it used to live on until its next write failed).
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { loadLab } from '../../scenario/resolve.ts';
import { outputUntil } from '../../testing/host.ts';
import { pollUntil } from '../../util/poll.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';
import type { PartOutcome, RemotePart } from './connection.ts';

const missing = await sshdMissing();
const CHILD = join(import.meta.dirname, 'testing', 'background-child.ts');

describe.skipIf(missing !== undefined)('a background program on an ssh host', () => {
  let hosts: SshdHosts;
  let node: string;
  beforeAll(async () => {
    const lab = await loadLab('two-vms');
    node = lab.nodes[0]!.name;
    hosts = await SshdHosts.build(lab);
  });
  afterAll(() => hosts?.stop());

  const child = (args: string[]) => execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), process.execPath, '--import', 'tsx', CHILD, ...args], { reject: false });
  /** `sleep` processes on the host once their count is `want`, or as they are after 10 s. */
  const sleepsOnceThere = async (want: number): Promise<number[]> => pollUntil(async () => {
    const pids = await hosts.processesOn(node, 'sleep');
    return pids.length === want ? pids : undefined;
  }, { what: `${want} sleep on ${node}`, timeoutMs: 10_000 }).catch(() => hosts.processesOn(node, 'sleep'));

  it('ends when the harness that started it is SIGKILLed', async () => {
    const run = child(['keep', hosts.hostsFile, node, '-', 'sleep', '1000']);
    const said = await Promise.race([outputUntil(run, '\n'), run.then((r) => `ended: ${String(r.stderr)}`)]);
    const dir = /started (\S+)/.exec(said)?.[1];
    expect(dir, said).toBeDefined();
    try {
      // It runs on the host (the moment this test is about), and writes nothing that could fail.
      expect(await sleepsOnceThere(1)).toHaveLength(1);
      run.kill('SIGKILL');
      await run;
      expect(await sleepsOnceThere(0)).toEqual([]);
    } finally {
      for (const pid of await hosts.processesOn(node, 'sleep')) process.kill(pid, 'SIGKILL');
      await rm(dir!, { recursive: true, force: true });
    }
  });

  it('takes a signal through its channel and ends with its own status', async () => {
    const before = (await readdir(tmpdir())).filter((e) => e.startsWith('vxlab-bgtest-'));
    const r = await child(['signal', hosts.hostsFile, node, 'SIGTERM', 'sleep', '1000']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ exitCode: 143 });
    expect(await hosts.processesOn(node, 'sleep')).toEqual([]);
    // The stand-in harness leaves nothing of its own behind either.
    expect((await readdir(tmpdir())).filter((e) => e.startsWith('vxlab-bgtest-') && before.every((b) => b !== e))).toEqual([]);
  });

  describe('a command that carries the marker its success would leave', () => {
    const markerDir = '/run/vxlab-marktest';
    const mark = async (text: string, path: string, argv: string[], verify = '') => {
      const file = join(tmpdir(), `vxlab-marktext-${process.pid}`);
      await writeFile(file, text);
      try {
        const r = await child(['mark', hosts.hostsFile, node, `${path}=${file}=${verify}`, ...argv]);
        expect(r.exitCode, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { exitCode: number; marked: boolean; stderr: string };
      } finally {
        await rm(file, { force: true });
      }
    };
    const listing = () => hosts.onHost(node, ['ls', '-A', markerDir]);
    beforeAll(() => hosts.onHost(node, ['mkdir', '-p', markerDir]));

    it('puts it in place after the exit 0, whole, and says so', async () => {
      // Larger than a pipe's buffer and than one argument may be: it goes on stdin.
      const text = JSON.stringify({ owned: 'x'.repeat(300_000) });
      const r = await mark(text, `${markerDir}/a.json`, ['sh', '-c', 'echo said >&2']);
      expect(r).toEqual({ exitCode: 0, marked: 'marked', stderr: 'said\n' });
      expect(await hosts.onHost(node, ['cat', `${markerDir}/a.json`])).toBe(text);
      expect(await hosts.onHost(node, ['stat', '-c', '%a', `${markerDir}/a.json`])).toBe('600');
      expect(await listing()).toBe('a.json');
    });

    it('leaves the marker as it was when the program fails, and no draft behind', async () => {
      const r = await mark('{"b":2}', `${markerDir}/a.json`, ['sh', '-c', 'exit 3']);
      expect(r).toEqual({ exitCode: 3, marked: 'no', stderr: '' });
      expect(await hosts.onHost(node, ['cat', `${markerDir}/a.json`])).not.toBe('{"b":2}');
      expect(await listing()).toBe('a.json');
    });

    it('says it did not when the marker cannot be put in place (the harness then writes it itself)', async () => {
      const r = await mark('{"c":3}', `${markerDir}/missing/a.json`, ['true']);
      expect(r).toMatchObject({ exitCode: 0, marked: 'no' });
      expect(await listing()).toBe('a.json');
    });

    it('leaves the marker as it was when the host does not bear out an exit 0, and says so', async () => {
      // The condition the harness builds for `ip link add` of a device the host then lacks (namesShownCondition).
      const r = await mark('{"e":5}', `${markerDir}/a.json`, ['true'], "ip link show dev 'vxlab-none0' >/dev/null 2>&1");
      expect(r).toEqual({ exitCode: 0, marked: 'unverified', stderr: '' });
      expect(await hosts.onHost(node, ['cat', `${markerDir}/a.json`])).not.toBe('{"e":5}');
      expect(await listing()).toBe('a.json');
      const shown = await mark('{"f":6}', `${markerDir}/a.json`, ['true'], "ip link show dev 'lo' >/dev/null 2>&1 && [ ! -e '/run/netns/vxlab-none' ]");
      expect(shown.marked).toBe('marked');
    });

    it('keeps the program\'s umask: only the marker is written 0600', async () => {
      const r = await mark('{"d":4}', `${markerDir}/d.json`, ['sh', '-c', 'umask >&2']);
      expect(r.marked).toBe('marked');
      expect(r.stderr).toMatch(/^0[0-7]{3}\n$/);
      expect(r.stderr).not.toBe('0077\n');
    });
  });

  describe('a sequence of commands in one round trip (a step\'s batch)', () => {
    const dir = '/run/vxlab-partstest';
    const specFile = async (spec: { parts: RemotePart[]; timeoutMs?: number; keep?: boolean }) => {
      const file = join(tmpdir(), `vxlab-partspec-${process.pid}-${Math.random().toString(36).slice(2)}`);
      await writeFile(file, JSON.stringify(spec));
      return file;
    };
    const runParts = async (spec: { parts: RemotePart[]; timeoutMs?: number }) => {
      const file = await specFile(spec);
      try {
        const r = await child(['parts', hosts.hostsFile, node, file]);
        expect(r.exitCode, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { exitCode: number; outcomes?: PartOutcome[]; stdout: string; stderr: string };
      } finally {
        await rm(file, { force: true });
      }
    };
    const onHost = (argv: string[]) => hosts.onHost(node, argv);
    beforeAll(() => onHost(['mkdir', '-p', dir]));

    it('runs the parts in order, each with its own status and input, and stops at the first that fails', async () => {
      const r = await runParts({ parts: [
        { argv: ['sh', '-c', 'cat; echo one; echo e1 >&2'], input: 'in1\n' },
        { argv: ['sh', '-c', 'echo two; exit 3'] },
        { argv: ['touch', `${dir}/never`] },
      ] });
      expect(r).toEqual({ exitCode: 3, outcomes: [{ exitCode: 0, marked: 'no' }, { exitCode: 3, marked: 'no' }], stdout: 'in1\none\ntwo\n', stderr: 'e1\n' });
      expect(await onHost(['ls', '-A', dir])).toBe('');
    });

    it('puts each part\'s marker in place after that part\'s exit 0, and leaves no draft of a part never reached', async () => {
      const path = `${dir}/m.json`;
      const r = await runParts({ parts: [
        { argv: ['true'], mark: { path, text: '{"n":1}' } },
        // The next part sees the first one's marker already in place.
        { argv: ['cat', path] },
        { argv: ['sh', '-c', 'exit 4'], mark: { path, text: '{"n":3}' } },
        { argv: ['true'], mark: { path, text: '{"n":4}' } },
      ] });
      expect(r).toMatchObject({ exitCode: 4, outcomes: [{ exitCode: 0, marked: 'marked' }, { exitCode: 0, marked: 'no' }, { exitCode: 4, marked: 'no' }], stdout: '{"n":1}' });
      expect(await onHost(['cat', path])).toBe('{"n":1}');
      expect(await onHost(['ls', '-A', dir])).toBe('m.json');
    });

    it('stops after a part whose exit 0 the host does not bear out: the later markers would claim its names', async () => {
      const path = `${dir}/u.json`;
      const r = await runParts({ parts: [
        { argv: ['true'], mark: { path, text: '{"u":1}', verify: "ip link show dev 'vxlab-none0' >/dev/null 2>&1" } },
        { argv: ['true'], mark: { path, text: '{"u":2}' } },
      ] });
      expect(r).toMatchObject({ exitCode: 0, outcomes: [{ exitCode: 0, marked: 'unverified' }] });
      expect(await onHost(['ls', '-A', dir])).not.toMatch(/u\.json/);
    });

    it('takes the deadline\'s signals in the part that runs, and stops there', async () => {
      const r = await runParts({ parts: [{ argv: ['true'] }, { argv: ['sleep', '1000'] }, { argv: ['touch', `${dir}/after`] }], timeoutMs: 5000 });
      expect(r.outcomes?.[0]).toEqual({ exitCode: 0, marked: 'no' });
      expect(r.outcomes).toHaveLength(2);
      expect([130, 137]).toContain(r.exitCode);
      expect(await hosts.processesOn(node, 'sleep')).toEqual([]);
      expect(await onHost(['ls', '-A', dir])).not.toMatch(/after/);
    });

    it('ends, whichever part runs, when the harness that started it is SIGKILLed', async () => {
      const file = await specFile({ keep: true, parts: [{ argv: ['true'] }, { argv: ['sleep', '1000'] }, { argv: ['touch', `${dir}/after-kill`] }] });
      const run = child(['parts', hosts.hostsFile, node, file]);
      const said = await Promise.race([outputUntil(run, '\n'), run.then((r) => `ended: ${String(r.stderr)}`)]);
      const local = /started (\S+)/.exec(said)?.[1];
      expect(local, said).toBeDefined();
      try {
        expect(await sleepsOnceThere(1)).toHaveLength(1);
        run.kill('SIGKILL');
        await run;
        expect(await sleepsOnceThere(0)).toEqual([]);
        expect(await onHost(['ls', '-A', dir])).not.toMatch(/after-kill/);
      } finally {
        for (const pid of await hosts.processesOn(node, 'sleep')) process.kill(pid, 'SIGKILL');
        await rm(local!, { recursive: true, force: true });
        await rm(file, { force: true });
      }
    });
  });
});
