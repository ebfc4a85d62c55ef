// A state check reads its table again and again: `contains` may come true at any reading, while
// `lacks` and `only` must hold at every reading until the window ends, and fail on an empty table
// or an absent device. The node's exec replays a scripted sequence of `bridge -j fdb show` answers.
import { describe, expect, it } from 'vitest';
import type { StartedLab } from '../backends/types.ts';
import type { StateProbe } from '../lab/model.ts';
import type { ExecResult } from '../util/process.ts';
import { holdsThroughout, runState, stateWindowMs } from './state.ts';

const DEFAULT = { mac: '00:00:00:00:00:00', ifname: 'vxlan0', dst: '192.168.8.101', flags: ['self'], state: 'permanent' };
const LEARNED = { mac: '4e:e9:90:34:2e:b5', ifname: 'vxlan0', dst: '192.168.8.101', flags: ['self'], state: '' };

/** A node whose fdb reads as `answers` in turn, the last one repeated; counts the reads. */
function lab(answers: object[][]): { lab: StartedLab; reads: () => number } {
  let reads = 0;
  const node = {
    name: 'node0',
    exec: async (): Promise<ExecResult> => {
      const answer = answers[Math.min(reads++, answers.length - 1)]!;
      return { exitCode: 0, stdout: JSON.stringify(answer), stderr: '', durationMs: 1, timedOut: false };
    },
    start: () => {
      throw new Error('not used');
    },
  };
  return { lab: { backend: 'scripted', node: () => node, accessHints: () => [], down: async () => undefined, [Symbol.asyncDispose]: async () => undefined }, reads: () => reads };
}

const probe = (expect: StateProbe['expect'], timeoutSeconds = 0.3): StateProbe => ({ node: 'node0', table: 'fdb', timeoutSeconds, expect });

describe('a state check with lacks', () => {
  it('fails when the entry it lacks appears after a first good reading', async () => {
    const scripted = lab([[DEFAULT], [DEFAULT], [DEFAULT, LEARNED]]);
    const outcome = await runState(probe({ dev: 'vxlan0', contains: [{ mac: '00:00:00:00:00:00' }], lacks: [{ mac: '4e:e9:90:34:2e:b5' }] }), { lab: scripted.lab });
    expect(outcome.status).toBe('fail');
    expect(outcome.reason).toMatch(/^has \{"mac":"4e:e9:90:34:2e:b5".*which matches \{"mac":"4e:e9:90:34:2e:b5"\}$/);
    expect(scripted.reads()).toBe(3);
  });

  it('passes only after reading for its whole window', async () => {
    const scripted = lab([[DEFAULT]]);
    const started = performance.now();
    const outcome = await runState(probe({ dev: 'vxlan0', contains: [{ mac: '00:00:00:00:00:00' }], lacks: [{ mac: '4e:e9:90:34:2e:b5' }] }), { lab: scripted.lab });
    expect(outcome.status).toBe('pass');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(scripted.reads()).toBeGreaterThan(1);
    expect(outcome.diagnostics.reads).toBe(scripted.reads());
  });

  it('fails on an empty table, and on a device with no entry', async () => {
    expect(await runState(probe({ contains: [{ mac: '00:00:00:00:00:00' }], lacks: [{ state: 'permanent' }] }), { lab: lab([[]]).lab })).toMatchObject({
      status: 'fail',
      reason: 'the table is empty, so lacks and only prove nothing (and 1 more)',
    });
    const gone = await runState(probe({ lacks: [{ dev: 'vxlan1', state: 'permanent' }], contains: [{ mac: '00:00:00:00:00:00' }] }), { lab: lab([[DEFAULT]]).lab });
    expect(gone).toMatchObject({ status: 'fail', reason: 'no entry of device vxlan1: the device is missing, or its table is empty' });
  });
});

describe('a state check with only', () => {
  it('fails when its device is absent, instead of holding for no entries', async () => {
    const outcome = await runState(probe({ dev: 'vxlan9', contains: [{ mac: '00:00:00:00:00:00' }], only: [{ state: 'permanent' }] }), { lab: lab([[DEFAULT]]).lab });
    expect(outcome).toMatchObject({ status: 'fail', reason: 'no entry of device vxlan9: the device is missing, or its table is empty (and 1 more)' });
  });

  it('fails when a learned entry shows up at a later reading', async () => {
    const outcome = await runState(probe({ dev: 'vxlan0', contains: [{ mac: '00:00:00:00:00:00' }], only: [{ state: 'permanent' }] }), { lab: lab([[DEFAULT], [DEFAULT, LEARNED]]).lab });
    expect(outcome).toMatchObject({ status: 'fail', reason: expect.stringMatching(/"state":"dynamic".*which none of the expected entries allows$/) });
  });
});

describe('a state check with contains only', () => {
  it('ends at its first good reading', async () => {
    const scripted = lab([[], [DEFAULT]]);
    expect((await runState(probe({ contains: [{ mac: '00:00:00:00:00:00' }] }, 3), { lab: scripted.lab })).status).toBe('pass');
    expect(scripted.reads()).toBe(2);
  });

  it('has a window of 3 s unless told, and 1 s when it has lacks or only', () => {
    expect([stateWindowMs({ table: 'fdb', expect: { contains: [] } }), stateWindowMs({ table: 'fdb', expect: { lacks: [] } }), stateWindowMs({ table: 'neigh', expect: { only: [] }, timeoutSeconds: 5 })]).toEqual([3000, 1000, 5000]);
  });
});

/** A node whose every reading is `rows`; counts its readings and the monitors asked of it (none start). */
function steadyLab(rows: object[]): { lab: StartedLab; reads: () => number; monitors: () => number } {
  let reads = 0;
  let monitors = 0;
  const node = {
    name: 'node0',
    exec: async (): Promise<ExecResult> => {
      reads++;
      return { exitCode: 0, stdout: JSON.stringify(rows), stderr: '', durationMs: 1, timedOut: false };
    },
    start: () => {
      monitors++;
      throw new Error('no monitor here');
    },
  };
  const lab: StartedLab = { backend: 'scripted', node: () => node, accessHints: () => [], down: async () => undefined, [Symbol.asyncDispose]: async () => undefined };
  return { lab, reads: () => reads, monitors: () => monitors };
}

describe('a state check of the link table', () => {
  it('judges lacks at its first good reading: only commands change a link\'s attributes, nothing learns them', async () => {
    const vxlan = { ifname: 'vxlan0', mtu: 1450, operstate: 'UNKNOWN', linkinfo: { info_kind: 'vxlan', info_data: { id: 42, group: '239.1.1.1', port: 4789 } } };
    const scripted = steadyLab([vxlan]);
    const spec: StateProbe = { node: 'node0', table: 'link', expect: { contains: [{ dev: 'vxlan0', vxlan: { group: '239.1.1.1' } }], lacks: [{ dev: 'vxlan0', vxlan: { remote: '192.168.8.101' } }] } };
    expect(holdsThroughout(spec)).toBe(false);
    expect((await runState(spec, { lab: scripted.lab })).status).toBe('pass');
    expect(scripted.reads()).toBe(1);
  });
});

describe('a state check of the neighbour table', () => {
  it('reads every 100 ms without a monitor: the kernel moves neighbours to DELAY without announcing it', async () => {
    const scripted = steadyLab([{ dst: '10.20.1.3', dev: 'vxlan0', lladdr: '4e:e9:90:34:2e:b5', state: ['REACHABLE'] }]);
    const spec: StateProbe = { node: 'node0', table: 'neigh', timeoutSeconds: 0.5, expect: { contains: [{ dst: '10.20.1.3' }], lacks: [{ dst: '10.20.1.3', state: 'DELAY' }] } };
    const outcome = await runState(spec, { lab: scripted.lab });
    expect(outcome.status, JSON.stringify(outcome)).toBe('pass');
    expect(scripted.monitors()).toBe(0);
    expect(scripted.reads()).toBeGreaterThanOrEqual(5);
    expect(outcome.diagnostics.watchedBy).toBe('nothing: read every 100 ms');
  });
});
