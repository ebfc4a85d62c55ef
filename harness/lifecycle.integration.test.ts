// What happens when things go wrong, on the real kernel: failed checks, failed commands, bad
// input, interrupts (missing prerequisites and rootless runs: prerequisites.integration.test.ts).
// Every path must leave the host as it was.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, SCENARIOS_DIR } from './scenario/resolve.ts';
import { labResidue, outputUntil, runCli, runIdOf, startCli, stderrUntil } from './testing/host.ts';
import { hostUnchangedAroundEachTest } from './testing/host-guard.ts';
import { parseTap } from './testing/tap.ts';

const work = mkdtempSync(join(tmpdir(), 'vxlab-lifecycle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function scenarioCopy(name: string, edit: (text: string) => string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8')));
  return file;
}

hostUnchangedAroundEachTest();

describe('a check that fails', () => {
  it('is reported as not ok with expected, got and evidence, and the run exits 1', async () => {
    // node0 points `remote` at a peer that does not exist.
    const file = scenarioCopy('p2p-wrong-remote', (t) => t.replace('remote 192.168.8.101 local 192.168.8.100', 'remote 192.168.8.199 local 192.168.8.100'));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(1);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    const tap = await parseTap(result.stdout);
    expect(tap).toMatchObject({ ok: false, fail: 1, extra: [] });
    expect(result.stdout).toContain('not ok 1 - p2p-wrong-remote');
    expect(result.stdout).toMatch(/ {4}not ok 3 - node0 reaches 10\.20\.1\.3\n {6}---\n {6}node: node0\n {6}command: ping -n -c 3 -i 0\.002 -W 5 10\.20\.1\.3\n {6}expected: 3 replies from 10\.20\.1\.3\n {6}got: 0 of 3 echo requests answered\n/);
    // The capture on node1 saw nothing of what it expected, and says so.
    expect(result.stdout).toMatch(/not ok 2 - the first ping's ARP request[^\n]*\n {6}---\n {6}message: "an ARP request who-has 10\.20\.1\.3[^"]*: expected exactly 1, got 0/);
    // The peer that does exist is untouched by the mistake: node1 still has its own settings.
    expect(result.stdout).toMatch(/not ok 1 - vxlan0 on node0[\s\S]*?remote: 192\.168\.8\.199/);
  });
});

describe('a command that fails', () => {
  it('breaks the lab: not ok with the node, step, command and stderr; checks skipped; exit 1', async () => {
    const file = scenarioCopy('p2p-bad-command', (t) => t.replace('      - ip addr add 10.20.1.3/24 dev vxlan0', '      - ip addr add 10.20.1.3/24 dev vxlan9'));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(1);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(result.stdout).toContain(
      '    not ok 1 - the lab builds\n      ---\n      message: step 2 failed on node1\n      node: node1\n      at: steps[1].run[1]\n      command: ip addr add 10.20.1.3/24 dev vxlan9\n      exitCode: 1\n      output: Cannot find device "vxlan9"\n      ...\n',
    );
    expect(result.stdout).toContain('    ok 2 - vxlan0 on node0 is a VXLAN device with VNI 42, UDP port 4789 and node1 as its remote # SKIP the lab did not build\n');
    expect(await parseTap(result.stdout)).toMatchObject({ ok: false, extra: [] });
  });
});

describe('a command that hangs', () => {
  it('fails the build at its deadline with what it printed, and never hangs the run', async () => {
    // A ping without a count, to an address nobody has: it would run forever.
    const file = scenarioCopy('p2p-hangs', (t) =>
      t.replace('checks:\n', '  - node: node0\n    timeoutSeconds: 2\n    run:\n      - ping -n 10.20.1.77\nchecks:\n'),
    );
    // No wall-clock bound (a loaded CI machine is slow): the deadline's own report below, and vitest's timeout for a hang.
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(1);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(result.stdout).toContain(
      '    not ok 1 - the lab builds\n      ---\n      message: step 3 on node0 timed out after 2 s\n      node: node0\n      at: steps[2].run[0]\n      command: ping -n 10.20.1.77\n      exitCode: "none: stopped at its deadline"\n      output: |-\n        PING 10.20.1.77 (10.20.1.77) 56(84) bytes of data.\n',
    );
    // Stopped like Ctrl-C, so ping flushed what it had to say.
    expect(result.stdout).toMatch(/\d+ packets transmitted, 0 received, 100% packet loss/);
  });

  it('ends, at its deadline, the children a batch forked too (ip netns exec ... ip monitor)', async () => {
    // Both commands run as one `ip -batch -`, which forks `ip netns exec` and waits for it forever.
    const file = scenarioCopy('p2p-batch-hangs', (t) =>
      t.replace('checks:\n', '  - node: node0\n    timeoutSeconds: 2\n    run:\n      - ip netns add vm0\n      - ip netns exec vm0 ip monitor\nchecks:\n'),
    );
    // No wall-clock bound (a loaded CI machine is slow): the deadline's own report below, and vitest's timeout for a hang.
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('    not ok 1 - the lab builds\n      ---\n      message: step 3 on node0 timed out after 2 s\n      node: node0\n');
    expect(result.stdout).toContain('ip netns exec vm0 ip monitor');
    expect(result.stdout).toContain('not ok 1 - p2p-batch-hangs');
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
  });
});

describe('an invalid scenario', () => {
  it('exits 2 with file:line:column, builds nothing, and shows no stack trace', async () => {
    const file = scenarioCopy('p2p-invalid', (t) => t.replace('id 42 dstport 4789 remote 192.168.8.100', 'id 42 dstport 4789 remote 192.168.8.100; reboot').replace('expect: unreachable', 'expect: sometimes'));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+: steps\\[1\\]\\.run\\[0\\] has \`;\` \\(a command separator\\)`)),
      expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+: checks\\[5\\]\\.ping\\.expect expected one of "reachable", "unreachable", got "sometimes"$`)),
    ]);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    // Refused before any run began: no run id, so nothing was built.
    expect(result.stdout).toMatch(/^TAP version 14\nBail out! invalid scenario: [^\n]*\n$/);
  });

  it('exits 2 for an unknown scenario name or option', async () => {
    expect(await runCli(['no-such-scenario'])).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/no-such-scenario\.yaml: does not exist/) });
    expect(await runCli(['p2p', '--backend', 'qemu'])).toMatchObject({ exitCode: 2, stderr: 'vxlab: backend "qemu" is not supported; supported backends are netns, container, ssh\n' });
    expect((await runCli(['p2p', '--bogus'])).exitCode).toBe(2);
  });
});

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s in the middle of the steps', (signal, code) => {
  it(`tears the lab down, ends the subtest not ok at that step, bails out in TAP and exits ${code}`, async () => {
    // Held between step 1 and step 2 (VXLAB_PAUSE_AT), so the signal lands there and nowhere else.
    const child = startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    const header = outputUntil(child, '# vxlab run');
    expect((await stderrUntil(child, '\n')).trim()).toBe('vxlab trace: step:2 p2p: at step 2 of 2 (on node1) (paused until interrupted)');
    const runId = runIdOf(await header);
    expect(await labResidue(runId)).not.toEqual([]);
    child.kill(signal);
    const result = await child;
    expect(result.exitCode).toBe(code);
    expect(await labResidue(runId)).toEqual([]);
    expect(String(result.stdout)).toMatch(new RegExp(`# Subtest: p2p\n {4}not ok 1 - interrupted at step 2 of 2 \\(on node1\\)\n[\\s\\S]* {4}1\\.\\.1\nnot ok 1 - p2p\nBail out! interrupted by ${signal}; the lab was torn down\n$`));
    expect(await parseTap(String(result.stdout))).toMatchObject({ ok: false, bailout: `interrupted by ${signal}; the lab was torn down`, extra: [] });
  });
});

describe('a run held at a moment (VXLAB_PAUSE_AT)', () => {
  it('goes on where it was when SIGUSR2 resumes it, and passes', async () => {
    const child = startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'capture:2' } });
    const seen = outputUntil(child, 'ok 1 - ');
    expect((await stderrUntil(child, '\n')).trim()).toBe('vxlab trace: capture:2 p2p: in check 2 of 6, capturing on node1 enp0s8 (paused until interrupted)');
    // Held after its first check: the lab is surely still up, whatever the machine's load.
    await seen;
    child.kill('SIGUSR2');
    const result = await child;
    expect(await parseTap(String(result.stdout))).toMatchObject({ ok: true, fail: 0, extra: [] });
    expect(String(result.stdout).match(/^ {4}ok \d+ - /gm)).toHaveLength(6);
    expect(result.exitCode).toBe(0);
  });

  it('ignores a SIGUSR2 once the pause is over, rather than dying of it mid-run', async () => {
    // p2p with a last check that holds the run 5 s, so the second SIGUSR2 lands mid-run.
    const dir = mkdtempSync(join(tmpdir(), 'vxlab-pause-'));
    const file = join(dir, 'p2p-long.yaml');
    const p2p = readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8').trimEnd();
    writeFileSync(file, `${p2p}\n  - name: a last check that waits 5 s\n    ping: { from: node0, to: 10.20.1.77, count: 1, expect: unreachable, timeoutSeconds: 5 }\n`);
    try {
      const child = startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'capture:2' } });
      const sixth = outputUntil(child, 'ok 6 - ');
      await stderrUntil(child, '(paused until interrupted)\n');
      child.kill('SIGUSR2');
      await sixth;
      child.kill('SIGUSR2');
      const result = await child;
      expect(String(result.stdout).match(/^ {4}ok \d+ - /gm)).toHaveLength(7);
      expect(result.exitCode, String(result.stderr)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the malformed-input corpus through the command line', () => {
  const corpus = join(PROJECT_ROOT, 'harness', 'scenario', 'fixtures', 'bad-scenarios');
  const files = readdirSync(corpus).filter((f) => f.endsWith('.yaml')).map((f) => join(corpus, f));

  it('validate: exit 2, every file named with its position, no stack trace', async () => {
    const result = await runCli(['validate', ...files]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    for (const file of files) {
      const shown = file.slice(PROJECT_ROOT.length + 1);
      const expectsPosition = !file.endsWith('binary.yaml');
      expect(result.stderr, shown).toMatch(new RegExp(`^${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${expectsPosition ? ':\\d+:\\d+' : ''}: `, 'm'));
    }
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('run: exit 2 before any run begins, so nothing is built', async () => {
    const result = await runCli([...files, '--reporter', 'tap']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(/^TAP version 14\nBail out! invalid scenario: [^\n]*\n$/);
    expect(result.stdout).not.toContain('# vxlab run');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('the other commands', () => {
  it('list names every scenario with its title', async () => {
    const result = await runCli(['list']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^bridge-netns +\d+ checks {2}A bridge joins VXLAN/m);
    expect(result.stdout).toMatch(/^p2p + 6 checks {2}Point-to-point VXLAN between node0 and node1 {2}\(seed 000/m);
  });

  it('validate accepts good files and rejects bad ones with exit 2', async () => {
    const bad = scenarioCopy('p2p-validate', (t) => t.replace('id 42 dstport 4789 remote 192.168.8.100', 'id 42 dstport 4789 remote 192.168.8.100 && curl x'));
    expect(await runCli(['validate', join(SCENARIOS_DIR, 'p2p.yaml')])).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/p2p\.yaml: ok \(2 steps, 6 checks, lab three-nodes\)/) });
    const result = await runCli(['validate', join(SCENARIOS_DIR, 'p2p.yaml'), bad]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/p2p-validate\.yaml:\d+:\d+: steps\[1\]\.run\[0\] has `&`/);
  });

  it('the readable reporter shows the commands and a summary', async () => {
    const result = await runCli(['p2p', '--reporter', 'pretty']);
    expect(result.exitCode).toBe(0);
    expect(await labResidue(/ · run (vx[0-9a-f]+) · /.exec(result.stdout)![1]!)).toEqual([]);
    expect(result.stdout).toContain('  node0 # ip link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8\n');
    expect(result.stdout).toMatch(/ {2}✓ node0 reaches 10\.20\.1\.3 \d+ ms\n/);
    expect(result.stdout).toMatch(/\n6 passed, 0 failed in [\d.]+ m?s\n$/);
  });
});
