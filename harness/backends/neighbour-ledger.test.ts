import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harnessIdentity } from './harness-identity.ts';
import { openLedger, type NeighbourLedger } from './neighbour-ledger.ts';

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratchDir = () => scratch[scratch.push(mkdtempSync(join(tmpdir(), 'vxlab-ledger-test-'))) - 1]!;
const open = async (dir = scratchDir()) => (await openLedger(dir))!;
const names = (ledger: NeighbourLedger) => readdirSync(ledger.dir).sort();
const liveScenarios = (ledger: NeighbourLedger) => ledger.locked(async (live) => live.map((e) => `${e.scenario}:${e.entries}`).sort());

describe('the neighbour ledger', () => {
  it('keeps one entry per lab, releases it, and takes its lock only while deciding', async () => {
    const ledger = await open();
    const a = await ledger.locked(async () => ledger.add('p2p', 12));
    await ledger.locked(async () => ledger.add('scale-multicast-100', 596));
    expect(await liveScenarios(ledger)).toEqual(['p2p:12', 'scale-multicast-100:596']);
    expect(names(ledger)).not.toContain('lock');
    await ledger.remove(a);
    expect(await liveScenarios(ledger)).toEqual(['scale-multicast-100:596']);
  });

  it("drops a dead run's entry and a broken one (a crash leaves them; nothing waits on them)", async () => {
    const ledger = await open();
    const me = await harnessIdentity();
    // The same PID with another start time is another process: this one's is gone.
    writeFileSync(join(ledger.dir, '1-0-aa.json'), JSON.stringify({ ...me, harnessStart: me.harnessStart + 1, scenario: 'dead', entries: 900 }));
    writeFileSync(join(ledger.dir, '1-1-bb.json'), '{"harnessPid": 1, "scen');
    writeFileSync(join(ledger.dir, 'notes.txt'), 'not an entry');
    await ledger.locked(async () => ledger.add('alive', 5));
    expect(await liveScenarios(ledger)).toEqual(['alive:5']);
    expect(names(ledger).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(names(ledger)).toContain('notes.txt');
  });

  it("takes over a lock left by a run killed while holding it, and waits for a live one's", async () => {
    const ledger = await open();
    const me = await harnessIdentity();
    writeFileSync(join(ledger.dir, 'lock'), `${me.harnessPid}.${me.harnessStart + 1}`);
    expect(await liveScenarios(ledger)).toEqual([]);
    expect(names(ledger)).not.toContain('lock');

    // Held by this (live) process: the next decision waits until it is released.
    writeFileSync(join(ledger.dir, 'lock'), `${me.harnessPid}.${me.harnessStart}`);
    let decided = false;
    const waiting = ledger.locked(async () => (decided = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(decided).toBe(false);
    rmSync(join(ledger.dir, 'lock'));
    await waiting;
    expect(decided).toBe(true);
  });

  it('decisions under the lock never overlap, even from many at once', async () => {
    const ledger = await open();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ledger.locked(async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await ledger.add(`lab${i}`, 1);
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(await liveScenarios(ledger)).toHaveLength(20);
  });

  it('is not used in a directory others may write to', async () => {
    const dir = scratchDir();
    chmodSync(dir, 0o777);
    expect(await openLedger(dir)).toBeUndefined();
  });
});
