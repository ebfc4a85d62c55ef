// Runs without what vxlab needs (a program, the privileges) and as an unprivileged user, on the
// real kernel: each says what is missing, or runs in a user namespace of its own, and leaves the
// host as it was. (Split from lifecycle.integration.test.ts, so the two run side by side.)
import { chmodSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PROJECT_ROOT } from './scenario/resolve.ts';
import { hostUnchangedAroundEachTest } from './testing/host-guard.ts';
import { cliArgv, hostSnapshot, labResidue, runCli, runIdOf } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

hostUnchangedAroundEachTest();

describe('a missing prerequisite', () => {
  it.each([
    ['tcpdump', 'tcpdump is not installed; install it: apt-get install -y tcpdump'],
    ['ping', 'ping is not installed; install it: apt-get install -y iputils-ping'],
  ])('exits 3 without %s, with one line naming it and how to install it, and skips in TAP', async (absent, line) => {
    // A PATH with everything but one tool.
    const bin = mkdtempSync(join(tmpdir(), 'vxlab-bin-'));
    onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
    for (const tool of ['ip', 'bridge', 'ping', 'tcpdump', 'unshare', 'nsenter', 'setpriv', 'mount', 'cat'].filter((t) => t !== absent)) {
      const path = (await execa('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      symlinkSync(path, join(bin, tool));
    }
    const result = await runCli(['p2p', '--reporter', 'tap'], { env: { PATH: bin } });
    expect(result).toMatchObject({
      exitCode: 3,
      stderr: `vxlab: ${line}\n`,
      stdout: `TAP version 14\n1..0 # SKIP ${line.split(';')[0]}\n`,
    });
  });

  it('exits 3 without the privileges when rootless mode is off, naming what to do', async () => {
    // uid 0 with an empty bounding set: no capabilities, yet the checkout stays readable.
    const cli = ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--', ...cliArgv(['p2p', '--reporter', 'tap'])];
    const result = await execa(cli[0]!, cli.slice(1), { reject: false, stripFinalNewline: false, env: { VXLAB_ROOTLESS: '0' } });
    const missing = 'CAP_NET_ADMIN and CAP_SYS_ADMIN are needed to build network namespaces, and this process lacks them (rootless mode is off: VXLAB_ROOTLESS=0)';
    expect(result.stderr).toBe(`vxlab: ${missing}; run it as root: sudo npm run lab -- NAME\n`);
    expect(result.stdout).toBe(`TAP version 14\n1..0 # SKIP ${missing}\n`);
    expect(result.exitCode).toBe(3);
  });
});

describe('rootless', () => {
  it('runs a scenario as an unprivileged user, inside a user namespace of its own', async () => {
    const before = await hostSnapshot();
    // A copy the unprivileged user can read: CI clones into a directory only root may enter.
    const copy = mkdtempSync(join(tmpdir(), 'vxlab-rootless-'));
    chmodSync(copy, 0o755);
    for (const entry of ['harness', 'labs', 'scenarios', 'schema', 'package.json', 'tsconfig.json', 'node_modules', 'dist']) {
      cpSync(join(PROJECT_ROOT, entry), join(copy, entry), { recursive: true, verbatimSymlinks: true });
    }
    const cli = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', ...cliArgv(['multicast', '--reporter', 'tap'], copy)];
    const result = await execa(cli[0]!, cli.slice(1), { cwd: copy, reject: false, env: { HOME: copy } });
    rmSync(copy, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    expect(await parseTap(result.stdout)).toMatchObject({ ok: true, pass: 1, extra: [] });
    expect(result.exitCode).toBe(0);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });
});
