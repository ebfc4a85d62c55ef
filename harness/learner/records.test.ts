// Lab records are files in a directory of the user's own; still, what they say is never a path.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runningLab } from '../commands/lab-client.ts';
import { pollUntil } from '../util/poll.ts';
import { holdFlockElsewhere } from '../testing/flock-holder.ts';
import { harnessIdentity } from '../backends/harness-identity.ts';
import { claimLab, ensureLabsDir, forgetDeadLabs, holdClaim, labsDir, listRecords, refuseOddLabFiles, releaseLab } from './records.ts';
import { UsageError } from '../util/errors.ts';

let root: string;
const saved = { labs: process.env.VXLAB_LABS_DIR, xdg: process.env.XDG_RUNTIME_DIR };
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vxlab-records-'));
});
afterEach(() => {
  if (saved.labs === undefined) delete process.env.VXLAB_LABS_DIR;
  else process.env.VXLAB_LABS_DIR = saved.labs;
  if (saved.xdg === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = saved.xdg;
  rmSync(root, { recursive: true, force: true });
});

describe('lab records', () => {
  it('a dead record whose name holds ../ deletes nothing outside the labs directory, and is not listed', async () => {
    const labs = join(root, 'labs');
    mkdirSync(labs, { mode: 0o700 });
    writeFileSync(join(root, 'precious.json'), '{}');
    writeFileSync(join(labs, 'x.json'), JSON.stringify({ name: '../precious', harnessPid: 999_999_999, harnessStart: 1, nodes: [] }));
    process.env.VXLAB_LABS_DIR = labs;
    expect(await listRecords()).toEqual([]);
    await forgetDeadLabs();
    expect(existsSync(join(root, 'precious.json'))).toBe(true);
  });

  it('a user who is not root gets no fixed directory in /tmp that another user could make first', () => {
    delete process.env.VXLAB_LABS_DIR;
    delete process.env.XDG_RUNTIME_DIR;
    const getuid = process.getuid;
    process.getuid = () => 12_346;
    try {
      expect(labsDir()).toBe('/tmp/vxlab-12346/labs');
      process.env.XDG_RUNTIME_DIR = '/run/user/12346';
      expect(labsDir()).toBe('/run/user/12346/vxlab/labs');
    } finally {
      process.getuid = getuid;
    }
  });

  it('refuses a labs directory that others can reach, or that is a symbolic link', async () => {
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    process.env.VXLAB_LABS_DIR = open;
    await expect(ensureLabsDir()).rejects.toThrow(/can be reached by other users \(mode 777\)/);
    const link = join(root, 'link');
    mkdirSync(join(root, 'real'), { mode: 0o700 });
    symlinkSync(join(root, 'real'), link);
    process.env.VXLAB_LABS_DIR = link;
    await expect(ensureLabsDir()).rejects.toThrow(/is not a directory \(a symbolic link\?\)/);
  });

  it('lets one claim of a lab through while its claimant lives, and takes over a dead claimant\'s', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    await claimLab('p2p');
    await expect(claimLab('p2p')).rejects.toThrow(/lab p2p is being brought up by another `up` \(PID \d+\)/);
    writeFileSync(join(root, 'labs', 'p2p.lock'), JSON.stringify({ harnessPid: 999_999_999, harnessStart: 1 }));
    await expect(claimLab('p2p')).resolves.toBeUndefined();
  });

  it('never takes a live claim, even beside a dead record (a takeover killed half-way leaves that)', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    await claimLab('p2p');
    writeFileSync(join(root, 'labs', 'p2p.json'), JSON.stringify({ name: 'p2p', harnessPid: 999_999_999, harnessStart: 1, nodes: [], runId: 'vxdead' }));
    await expect(claimLab('p2p')).rejects.toThrow(/being brought up by another `up`/);
    // status and clean forget the dead record, and leave the live claim alone.
    expect((await forgetDeadLabs()).map((r) => r.name)).toEqual(['p2p']);
    expect(existsSync(join(root, 'labs', 'p2p.lock'))).toBe(true);
    await expect(claimLab('p2p')).rejects.toThrow(/being brought up by another `up`/);
  });

  it('a supervisor takes over only its own `up`\'s claim; an owner releases only what is still its own', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    const lock = join(root, 'labs', 'p2p.lock');
    const up = { harnessPid: 999_999_998, harnessStart: 7 }; // its `up`, killed since
    const other = { harnessPid: 999_999_997, harnessStart: 8 };
    writeFileSync(lock, JSON.stringify(other));
    // Another `up` took the lab over after ours died: this supervisor must not build it too.
    await expect(holdClaim('p2p', up)).rejects.toThrow('lab p2p was claimed by another `up` after the one that started this supervisor ended');
    await expect(holdClaim('p2p', undefined)).rejects.toThrow(/claimed by another `up`/);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual(other);
    writeFileSync(lock, JSON.stringify(up));
    await holdClaim('p2p', up);
    const me = await harnessIdentity();
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual(me);
    // A failed `up` (owners: itself and its supervisor) leaves another's claim, record and log alone.
    writeFileSync(lock, JSON.stringify(other));
    writeFileSync(join(root, 'labs', 'p2p.json'), JSON.stringify({ name: 'p2p', ...other, nodes: [], runId: 'vxother' }));
    writeFileSync(join(root, 'labs', 'p2p.log'), 'theirs');
    await releaseLab('p2p', [up, me]);
    expect(readdirSync(join(root, 'labs')).sort()).toEqual(['.claims.lock', 'p2p.json', 'p2p.lock', 'p2p.log']);
    // Its own, it removes whole.
    writeFileSync(lock, JSON.stringify(me));
    writeFileSync(join(root, 'labs', 'p2p.json'), JSON.stringify({ name: 'p2p', ...me, nodes: [], runId: 'vxmine' }));
    await releaseLab('p2p', [up, me]);
    expect(readdirSync(join(root, 'labs'))).toEqual(['.claims.lock']);
  });

  it('takes a symbolic link or a FIFO as no one\'s claim (following neither), and names a directory', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    writeFileSync(join(root, 'precious'), 'keep');
    symlinkSync(join(root, 'precious'), join(root, 'labs', 'p2p.lock'));
    await claimLab('p2p');
    expect(readFileSync(join(root, 'precious'), 'utf8')).toBe('keep');
    await execa('mkfifo', [join(root, 'labs', 'fifo.lock')]);
    await claimLab('fifo');
    mkdirSync(join(root, 'labs', 'dir.lock'));
    await expect(claimLab('dir')).rejects.toThrow(`${join(root, 'labs', 'dir.lock')} is a directory, not a lab's claim: remove it`);
  });

  it('reads no record through a FIFO or a link (a FIFO would block the process where no signal ends it)', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    await execa('mkfifo', [join(root, 'labs', 'ff.json')]);
    writeFileSync(join(root, 'outside.json'), JSON.stringify({ name: 'ext', harnessPid: 999_999_999, harnessStart: 1, nodes: [] }));
    symlinkSync(join(root, 'outside.json'), join(root, 'labs', 'ext.json'));
    expect(await listRecords()).toEqual([]);
    expect(await forgetDeadLabs()).toEqual([]);
  });

  it('status and clean remove what dead processes left beside the records, and nothing of the living', async () => {
    const labs = join(root, 'labs');
    process.env.VXLAB_LABS_DIR = labs;
    await ensureLabsDir();
    const dead = JSON.stringify({ harnessPid: 999_999_999, harnessStart: 1 });
    // An `up` killed before its supervisor wrote a record; an `up` and a supervisor killed between writing a file and naming it.
    writeFileSync(join(labs, 'p2p.lock'), dead);
    for (const tmp of ['p2p.lock.999999999.0.tmp', 'p2p.lock.999999999.tmp', 'p2p.json.999999999.tmp']) writeFileSync(join(labs, tmp), dead);
    // The living: a claim of an `up` at work, its temporary file, a record's; and what only looks like leftovers.
    await claimLab('live');
    for (const kept of [`live.lock.${process.pid}.0.tmp`, `x.json.${process.pid}.tmp`, 'notes.tmp']) writeFileSync(join(labs, kept), '');
    mkdirSync(join(labs, 'd.lock.999999999.tmp'));
    expect(await forgetDeadLabs()).toEqual([]);
    expect(readdirSync(labs).sort()).toEqual(['.claims.lock', 'd.lock.999999999.tmp', 'live.lock', `live.lock.${process.pid}.0.tmp`, 'notes.tmp', `x.json.${process.pid}.tmp`]);
  });

  it("takes the claims lock only when something of the dead is there: a live writer's file does not make status wait", async () => {
    const labs = join(root, 'labs');
    process.env.VXLAB_LABS_DIR = labs;
    await ensureLabsDir();
    await claimLab('live');
    writeFileSync(join(labs, `p2p.lock.${process.pid}.0.tmp`), '');
    // Held elsewhere (a stopped `up`, say): a sweep that took it would wait 60 s, then fail (the 33rd attack).
    const holder = await holdFlockElsewhere(join(labs, '.claims.lock'));
    try {
      await expect(forgetDeadLabs()).resolves.toEqual([]);
    } finally {
      process.kill(-holder.pid, 'SIGKILL');
    }
    expect(readdirSync(labs).sort()).toEqual(['.claims.lock', 'live.lock', `p2p.lock.${process.pid}.0.tmp`]);
  }, 90_000);

  it("refuses to bring a lab up where a directory, or a log that is no file, would fail it later; an owner's release leaves a directory alone", async () => {
    const labs = join(root, 'labs');
    process.env.VXLAB_LABS_DIR = labs;
    await ensureLabsDir();
    await expect(refuseOddLabFiles('p2p')).resolves.toBeUndefined();
    for (const [file, kind, what] of [['p2p.json', 'a directory', 'record'], ['p2p.sock', 'a directory', 'socket'], ['p2p.log', 'a directory', 'log']] as const) {
      mkdirSync(join(labs, file));
      await expect(refuseOddLabFiles('p2p')).rejects.toThrow(new UsageError(`${join(labs, file)} is ${kind}, where lab p2p keeps its ${what}: remove it`));
      await releaseLab('p2p', [await harnessIdentity()]);
      expect(existsSync(join(labs, file))).toBe(true);
      rmSync(join(labs, file), { recursive: true });
    }
    await execa('mkfifo', [join(labs, 'p2p.log')]);
    await expect(refuseOddLabFiles('p2p')).rejects.toThrow(`${join(labs, 'p2p.log')} is a FIFO, where lab p2p keeps its log: remove it`);
    rmSync(join(labs, 'p2p.log'));
    symlinkSync('/etc/hostname', join(labs, 'p2p.log'));
    await expect(refuseOddLabFiles('p2p')).rejects.toThrow(`${join(labs, 'p2p.log')} is a symbolic link, where lab p2p keeps its log: remove it`);
    rmSync(join(labs, 'p2p.log'));
    // What a lab that ended leaves is no obstacle: a stale record, socket file and log.
    for (const file of ['p2p.json', 'p2p.sock', 'p2p.log']) writeFileSync(join(labs, file), '');
    await expect(refuseOddLabFiles('p2p')).resolves.toBeUndefined();
  });

  it('stops waiting for the claims lock when it is interrupted', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    writeFileSync(join(root, 'labs', 'p2p.lock'), JSON.stringify({ harnessPid: 999_999_999, harnessStart: 1 }));
    const holder = await holdFlockElsewhere(join(root, 'labs', '.claims.lock'));
    try {
      const interrupt = new AbortController();
      const claiming = claimLab('p2p', interrupt.signal);
      interrupt.abort(new Error('interrupted'));
      await expect(claiming).rejects.toThrow('interrupted');
    } finally {
      process.kill(-holder.pid, 'SIGKILL');
    }
  });

  it('gives a dead claimant\'s lab to exactly one of six `up`s that find it at once', async () => {
    // Without the claims lock, the second to remove a dead claim could remove the first's new one
    // and both came up: two winners in 7 to 9 of these 20 rounds.
    process.env.VXLAB_LABS_DIR = join(root, 'labs');
    await ensureLabsDir();
    const rounds = 20;
    for (let round = 0; round < rounds; round++) writeFileSync(join(root, 'labs', `race-${round}.lock`), JSON.stringify({ harnessPid: 999_999_999, harnessStart: 1 }));
    const contenders = Array.from({ length: 6 }, () => execa(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testing', 'claim-rounds.ts'), String(rounds), '150'], { env: process.env, timeout: 90_000, stdin: 'pipe' }));
    const printed = contenders.map(() => '');
    contenders.forEach((c, i) => c.stdout!.on('data', (chunk: Buffer) => (printed[i] += chunk.toString())));
    const linesOf = (i: number) => printed[i]!.split('\n').filter(Boolean);
    // The rounds start once all six are ready, so that every claim of a round is made at once.
    await pollUntil(() => (contenders.every((_, i) => linesOf(i).length >= 1) ? true : undefined), { timeoutMs: 60_000, what: 'six contenders ready' });
    const startAt = Date.now() + 200;
    for (const c of contenders) c.stdin!.write(`${startAt}\n`);
    // Each stays alive (its claims live) until every one has played every round.
    await pollUntil(() => (contenders.every((_, i) => linesOf(i).length > rounds) ? true : undefined), { timeoutMs: 60_000, what: 'every contender to play every round' });
    for (const c of contenders) c.stdin!.end();
    await Promise.all(contenders);
    const winners = Array.from({ length: rounds }, (_, round) => contenders.filter((_, i) => linesOf(i).includes(`${round} won`)).length);
    expect(winners.join(' ')).toBe(Array.from({ length: rounds }, () => 1).join(' '));
  });
});

describe('the directories above the labs directory', () => {
  it('refuses a parent others may write to (unless sticky, as /tmp), a symbolically linked parent, and another user\'s', async () => {
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    process.env.VXLAB_LABS_DIR = join(open, 'labs');
    await expect(ensureLabsDir()).rejects.toThrow(`the labs directory ${join(open, 'labs')} is under ${open}, which can be written by other users (mode 777)`);
    // Refused before anything is made there.
    expect(existsSync(join(open, 'labs'))).toBe(false);
    chmodSync(open, 0o1777);
    await expect(ensureLabsDir()).resolves.toBe(true);
    mkdirSync(join(root, 'real'), { mode: 0o700 });
    symlinkSync(join(root, 'real'), join(root, 'link'));
    process.env.VXLAB_LABS_DIR = join(root, 'link', 'deeper', 'labs');
    await expect(ensureLabsDir()).rejects.toThrow(`is under ${join(root, 'link')}, which is a symbolic link`);
    expect(existsSync(join(root, 'real', 'deeper'))).toBe(false);
    if (process.getuid?.() === 0) {
      const theirs = join(root, 'theirs');
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, 4242, 4242);
      process.env.VXLAB_LABS_DIR = join(theirs, 'labs');
      await expect(ensureLabsDir()).rejects.toThrow(`is under ${theirs}, which belongs to uid 4242, neither root nor you (uid 0)`);
    }
  });

  it('status and clean (listing), exec, shell, check and down (finding a lab) check the whole chain too', async () => {
    // A whole record, in a labs directory reached through a symbolic link.
    mkdirSync(join(root, 'real', 'labs'), { recursive: true, mode: 0o700 });
    writeFileSync(join(root, 'real', 'labs', 'p2p.json'), JSON.stringify({ name: 'p2p', harnessPid: 999_999_999, harnessStart: 1, nodes: [] }));
    symlinkSync(join(root, 'real'), join(root, 'link'));
    process.env.VXLAB_LABS_DIR = join(root, 'link', 'labs');
    await expect(listRecords()).rejects.toThrow(/which is a symbolic link/);
    await expect(forgetDeadLabs()).rejects.toThrow(/which is a symbolic link/);
    await expect(runningLab('p2p')).rejects.toThrow(/which is a symbolic link/);
    expect(existsSync(join(root, 'real', 'labs', 'p2p.json'))).toBe(true);
    // The same directory reached directly is fine: the record is read (and found dead).
    process.env.VXLAB_LABS_DIR = join(root, 'real', 'labs');
    expect((await listRecords()).map((r) => r.record.name)).toEqual(['p2p']);
    await expect(runningLab('p2p')).rejects.toThrow(/supervisor \(PID 999999999\) is gone/);
  });

  it('a labs directory that does not exist means no lab is up, and reading verbs make nothing', async () => {
    process.env.VXLAB_LABS_DIR = join(root, 'none', 'labs');
    expect(await listRecords()).toEqual([]);
    await expect(runningLab('p2p')).rejects.toThrow(/no lab p2p is up/);
    expect(existsSync(join(root, 'none'))).toBe(false);
  });
});
