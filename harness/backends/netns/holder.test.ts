import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { holderArgv, launcherScript } from './holder.ts';
import { closeInheritedFds } from './sandbox.ts';
import { markerFromLabel } from './marker.ts';

describe('launcherScript', () => {
  const script = launcherScript([['setpriv', '--', 'bwrap', "it's"], ['setpriv', '--', 'bwrap', 'b'], ['setpriv', '--', 'bwrap', 'c']]);
  const lines = script.trimEnd().split('\n');

  it('first closes every fd it was not given: 0-2, its script and each holder\'s socket stay', () => {
    expect(lines[0]).toBe(closeInheritedFds([3, 4, 5]));
    expect(lines[0]).toContain('case " 0 1 2 3 4 5 " in');
  });

  it('gives each holder its own socket as stdin, stdout and fd 3, and closes every other holder\'s', () => {
    expect(lines[1]).toBe(`'setpriv' '--' 'bwrap' 'it'\\''s' 0<&3 1>&3 4<&- 5<&- 3>&3 &`);
    expect(lines[2]).toBe("'setpriv' '--' 'bwrap' 'b' 0<&4 1>&4 3<&- 5<&- 3>&4 4<&- &");
    expect(lines[3]).toBe("'setpriv' '--' 'bwrap' 'c' 0<&5 1>&5 3<&- 4<&- 3>&5 5<&- &");
  });

  it('then closes its own copies (a holder\'s socket closes with its sandbox alone) and waits', () => {
    expect(lines.slice(4)).toEqual(['exec 3<&- 4<&- 5<&-', 'wait']);
  });

  it('lets no fd it inherited reach a holder (one at 9 here), and keeps the holder\'s own', async () => {
    const stdio = fdTable(10, [2, 3, 9]);
    const fds = await fdsListed(launcherScript(LISTS_ITS_FDS), stdio);
    expect(fds).toEqual(expect.arrayContaining([0, 1, 2, 3]));
    expect(fds).not.toContain(9);
    // Without the first line, fd 9 reaches it: the test can fail.
    expect(await fdsListed(launcherScript(LISTS_ITS_FDS).split('\n').slice(1).join('\n'), stdio)).toContain(9);
  });

  it('keeps its script open when an inherited fd took 255 (bash then reads it from below), and closes that one', async () => {
    const fds = await fdsListed(launcherScript(LISTS_ITS_FDS), fdTable(256, [2, 3, 255]));
    expect(fds).toEqual(expect.arrayContaining([0, 1, 2, 3]));
    expect(fds).not.toContain(255);
  });
});

/** A "holder" that lists its fds on its stdout, which is its socket (fd 3 of the launcher). */
const LISTS_ITS_FDS = [['sh', '-c', 'for f in /proc/self/fd/*; do echo "${f##*/}"; done']];

/** A child's stdio of `size` fds: pipes at `open` (fd 3 is the one holder's socket), nothing elsewhere. */
const fdTable = (size: number, open: number[]) => Array.from({ length: size }, (_, fd) => (open.includes(fd) ? 'pipe' : 'ignore') as 'pipe' | 'ignore');

const scratch = mkdtempSync(join(tmpdir(), 'vxlab-holder-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fds the holder listed, with `script` run as vxlab runs holders.sh. */
async function fdsListed(script: string, stdio: ('pipe' | 'ignore')[]): Promise<number[]> {
  const file = join(mkdtempSync(join(scratch, 'run-')), 'holders.sh');
  writeFileSync(file, script);
  const child = spawn('bash', [file], { stdio });
  let listed = '';
  child.stdio[3]!.on('data', (chunk: Buffer) => (listed += chunk.toString()));
  await new Promise((resolve) => child.once('close', resolve));
  return listed.trim().split('\n').map(Number);
}

describe('holderArgv', () => {
  it('labels the sandbox, dies with the launcher, and in rootless mode drops what bwrap would refuse', () => {
    const spec = (rootless: boolean) => ({ label: 'vxlab-vx01-node0', plan: { hostname: 'node0', root: '/tmp/r', rootless, procKind: () => undefined }, owner: { runId: 'vx01', node: 'node0' } });
    const harness = { harnessPid: 4242, harnessStart: 99 };
    const argv = holderArgv(spec(false), harness);
    expect(argv.slice(0, 5)).toEqual(['setpriv', '--pdeathsig', 'KILL', '--', 'bwrap']);
    expect(argv.join(' ')).toContain('--clearenv --setenv VXLAB_NODE vxlab-vx01-node0 --setenv VXLAB_HARNESS 4242.99');
    expect(holderArgv(spec(true), harness).join(' ')).toContain('setpriv --pdeathsig KILL --inh-caps -all --ambient-caps -all -- bwrap');
    // With vxlab-enter, it gives the parent-death signal; rootless mode still needs setpriv's capability drop.
    expect(holderArgv(spec(false), harness, '/p/dist/vxlab-enter').slice(0, 4)).toEqual(['/p/dist/vxlab-enter', '--pdeathsig', '--', 'bwrap']);
    expect(holderArgv(spec(true), harness, '/p/dist/vxlab-enter').join(' ')).toContain('setpriv --pdeathsig KILL --inh-caps -all --ambient-caps -all -- bwrap');
  });
});

describe('markerFromLabel', () => {
  it("reads run, node and harness from a sandbox's label, and nothing from a label that is not whole", () => {
    expect(markerFromLabel('vxlab-vx01ab-test-1', '4242.99')).toEqual({ runId: 'vx01ab', node: 'test-1', harnessPid: 4242, harnessStart: 99 });
    expect(markerFromLabel('vxlab-vx01ab-node0', undefined)).toBeUndefined();
    expect(markerFromLabel('vxlab-vx01ab-node0', '4242')).toBeUndefined();
    expect(markerFromLabel('someone-else', '1.1')).toBeUndefined();
  });
});

