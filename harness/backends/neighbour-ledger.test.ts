import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../scenario/resolve.ts';
import { harnessIdentity } from './harness-identity.ts';
import { openLedger, type NeighbourLedger } from './neighbour-ledger.ts';
import { pollUntil } from '../util/poll.ts';
import { holdFlockElsewhere } from '../testing/flock-holder.ts';

/** PIDs whose parent is `pid`, from /proc. */
const childrenOf = (pid: number) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      const stat = (() => {
        try {
          return readFileSync(`/proc/${p}/stat`, 'utf8');
        } catch {
          return '';
        }
      })();
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    })
    .map(Number);

/** Another process holding the ledger's lock, once it holds it. */
const holdLockElsewhere = (ledger: NeighbourLedger) => holdFlockElsewhere(join(ledger.dir, 'lock'));

/** A process's command name; '' once it is gone. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The flock this process started to wait for the lock (not the holder's). */
const ourFlock = (holderPid: number, notThese: readonly number[] = [], timeoutMs = 5000) =>
  pollUntil(() => childrenOf(process.pid).find((pid) => pid !== holderPid && !notThese.includes(pid) && commOf(pid) === 'flock'), { what: 'our flock', timeoutMs });

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratchDir = () => scratch[scratch.push(mkdtempSync(join(tmpdir(), 'vxlab-ledger-test-'))) - 1]!;
const open = async (dir = scratchDir()) => (await openLedger(dir))!;
const names = (ledger: NeighbourLedger) => readdirSync(ledger.dir).sort();
const liveScenarios = (ledger: NeighbourLedger) => ledger.locked(async (live) => live.map((e) => `${e.scenario}:${e.entries}`).sort());

describe('the neighbour ledger', () => {
  it('keeps one entry per lab and releases it; the lock is one file that stays', async () => {
    const ledger = await open();
    const a = await ledger.locked(async () => ledger.add('p2p', 12));
    await ledger.locked(async () => ledger.add('scale-multicast-100', 596));
    expect(await liveScenarios(ledger)).toEqual(['p2p:12', 'scale-multicast-100:596']);
    expect(names(ledger).filter((n) => !n.endsWith('.json'))).toEqual(['lock']);
    await ledger.remove(a);
    expect(await liveScenarios(ledger)).toEqual(['scale-multicast-100:596']);
  });

  it("drops a dead run's entry, a broken one, and anything named like an entry that is not a regular file", async () => {
    const ledger = await open();
    const me = await harnessIdentity();
    // The same PID with another start time is another process: this one's is gone.
    writeFileSync(join(ledger.dir, '1-0-aa.json'), JSON.stringify({ ...me, harnessStart: me.harnessStart + 1, scenario: 'dead', entries: 900 }));
    writeFileSync(join(ledger.dir, '1-1-bb.json'), '{"harnessPid": 1, "scen');
    // A FIFO would block a plain read forever, with the lock held.
    await execa('mkfifo', [join(ledger.dir, '1-2-cc.json')]);
    mkdirSync(join(ledger.dir, '1-3-dd.json'));
    symlinkSync(join(ledger.dir, '1-0-aa.json'), join(ledger.dir, '1-4-ee.json'));
    writeFileSync(join(ledger.dir, 'notes.txt'), 'not an entry');
    await ledger.locked(async () => ledger.add('alive', 5));
    expect(await liveScenarios(ledger)).toEqual(['alive:5']);
    expect(names(ledger).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(names(ledger)).toContain('notes.txt');
    expect((await ledger.forgetDead()).map((e) => e.scenario)).toEqual([]);
  });

  it('refuses a lock that is not a regular file (a FIFO would block flock forever) or is a link, naming it', async () => {
    const ledger = await open();
    await execa('mkfifo', [join(ledger.dir, 'lock')]);
    await expect(ledger.locked(async () => 'decided')).rejects.toThrow(`the neighbour ledger's lock ${join(ledger.dir, 'lock')} is not a regular file: remove it`);
    rmSync(join(ledger.dir, 'lock'));
    const target = join(scratchDir(), 'elsewhere');
    symlinkSync(target, join(ledger.dir, 'lock'));
    await expect(ledger.locked(async () => 'decided')).rejects.toThrow(`the neighbour ledger's lock ${join(ledger.dir, 'lock')} cannot be opened`);
    expect(existsSync(target)).toBe(false);
  });

  it('holds the lock itself: with every child it started killed mid-decision, another flock still cannot take it', async () => {
    const ledger = await open();
    const lock = join(ledger.dir, 'lock');
    await ledger.locked(async () => {
      for (const pid of childrenOf(process.pid)) process.kill(pid, 'SIGKILL');
      expect((await execa('flock', ['--nonblock', lock, 'true'], { reject: false })).exitCode).toBe(1);
    });
    expect((await execa('flock', ['--nonblock', lock, 'true'], { reject: false })).exitCode).toBe(0);
  });

  it('forgetDead names the entries of runs that are gone, and keeps the live ones', async () => {
    const ledger = await open();
    const me = await harnessIdentity();
    await ledger.locked(async () => ledger.add('alive', 5));
    writeFileSync(join(ledger.dir, '1-0-aa.json'), JSON.stringify({ ...me, harnessStart: me.harnessStart + 1, scenario: 'killed', entries: 30 }));
    expect((await ledger.forgetDead()).map((e) => `${e.scenario}:${e.entries}`)).toEqual(['killed:30']);
    expect(await liveScenarios(ledger)).toEqual(['alive:5']);
  });

  it('waits while another process holds the lock, and the kernel frees it when that process is killed', async () => {
    const ledger = await open();
    const holder = await holdLockElsewhere(ledger);
    let decided = false;
    const waiting = ledger.locked(async () => (decided = true));
    // Our first flock gave up after its 1 s and a second one waits: the lock was waited for, not taken.
    const first = await ourFlock(holder.pid);
    await ourFlock(holder.pid, [first], 10_000);
    expect(decided).toBe(false);
    process.kill(-holder.pid, 'SIGKILL');
    await waiting;
    expect(decided).toBe(true);
  });

  it('a flock stopped while it waits does not stop the wait: it is killed, and the next one takes the freed lock', async () => {
    const ledger = await open();
    const holder = await holdLockElsewhere(ledger);
    let decided = false;
    const waiting = ledger.locked(async () => (decided = true));
    const ours = await ourFlock(holder.pid);
    process.kill(ours, 'SIGSTOP');
    process.kill(-holder.pid, 'SIGKILL');
    const started = performance.now();
    await waiting;
    expect(decided).toBe(true);
    // Its attempt's 1 s and 2 s more, then the next flock: never the stopped one's forever.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(childrenOf(process.pid)).not.toContain(ours);
  });

  it('an interrupt while waiting for the lock ends the wait at once, and leaves no lock child', async () => {
    const ledger = await open();
    const holder = await holdLockElsewhere(ledger);
    const controller = new AbortController();
    const waiting = ledger.locked(async () => 'decided', controller.signal);
    await ourFlock(holder.pid);
    controller.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    process.kill(-holder.pid, 'SIGKILL');
    // Our own lock child is gone: the lock is free for the next decision at once.
    expect(await ledger.locked(async () => 'decided')).toBe('decided');
  });

  it('decisions never overlap, from four processes at once', async () => {
    const dir = scratchDir();
    // Each process marks itself inside, counts who else is, and leaves, 25 times.
    const script = `
      import { openLedger } from ${JSON.stringify(join(PROJECT_ROOT, 'harness/backends/neighbour-ledger.ts'))};
      import { readdirSync, rmSync, writeFileSync } from 'node:fs';
      const ledger = await openLedger(${JSON.stringify(dir)});
      let overlaps = 0;
      for (let i = 0; i < 25; i++) {
        await ledger.locked(async () => {
          writeFileSync(${JSON.stringify(dir)} + '/inside-' + process.pid, '');
          await new Promise((r) => setTimeout(r, 1));
          overlaps += readdirSync(${JSON.stringify(dir)}).filter((n) => n.startsWith('inside-')).length - 1;
          rmSync(${JSON.stringify(dir)} + '/inside-' + process.pid);
        });
      }
      console.log(overlaps);`;
    const runs = await Promise.all(Array.from({ length: 4 }, () => execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT })));
    expect(runs.map((r) => r.stdout.trim())).toEqual(['0', '0', '0', '0']);
  });

  it('refuses a directory others may write to, a link in its place, or one another user owns', async () => {
    const open777 = scratchDir();
    chmodSync(open777, 0o777);
    await expect(openLedger(open777)).rejects.toThrow(/can be written by other users \(mode 777\)/);
    const link = join(scratchDir(), 'ledger');
    symlinkSync(scratchDir(), link);
    await expect(openLedger(link)).rejects.toThrow(/is not a directory \(a symbolic link\?\)/);
    // Root can write it, so it would be used: but its owner could change what runs read there.
    const others = scratchDir();
    chownSync(others, 65534, 65534);
    await expect(openLedger(others)).rejects.toThrow(/belongs to uid 65534, not to you \(uid 0\)/);
  });
});
