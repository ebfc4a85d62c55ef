// Issue 14 on the real kernel, through the command line: a reader that goes away, special files
// as scenario paths, runaway command output, labs that cannot work, and labs of many nodes.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, SCENARIOS_DIR } from './scenario/resolve.ts';
import { cliArgv, hostSnapshot, labResidue, runCli, runIdOf } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

const work = mkdtempSync(join(tmpdir(), 'vxlab-robust-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A lab file of `count` nodes on 192.168.8.0/24, from .10 on. */
function labOf(count: number): string {
  const nodes = Array.from({ length: count }, (_, i) => `  node${i}: { nic: { name: eth0, address: 192.168.8.${10 + i}/24 } }`);
  return ['title: many nodes', 'source: a test of issue 14', 'diagram: one switch', 'underlay: { subnet: 192.168.8.0/24 }', 'nodes:', ...nodes, ''].join('\n');
}

/** A copy of the project whose labs/ also holds `extraLabs`: the CLI finds labs in its own labs/ only. */
function projectWithLabs(extraLabs: Record<string, string>): string {
  const copy = mkdtempSync(join(work, 'project-'));
  for (const entry of ['harness', 'labs', 'scenarios', 'package.json', 'tsconfig.json', 'dist']) cpSync(join(PROJECT_ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'));
  for (const [name, text] of Object.entries(extraLabs)) writeFileSync(join(copy, 'labs', `${name}.yaml`), text);
  return copy;
}

/** `vxlab ARGS | head -N` in bash, as a user types it: the exit code is vxlab's own (PIPESTATUS). */
function cliIntoHead(args: string[], lines: number) {
  return execa('bash', ['-c', `"$@" | head -${lines}; exit "\${PIPESTATUS[0]}"`, 'bash', ...cliArgv(args)], {
    cwd: PROJECT_ROOT,
    reject: false,
    env: { NO_COLOR: '1' },
    timeout: 120_000,
  });
}

describe('a reader that goes away (| head -5)', () => {
  it('tears the lab down as for an interrupt, and exits 141 without a stack trace', async () => {
    const before = await hostSnapshot();
    const result = await cliIntoHead(['p2p', '--reporter', 'tap'], 5);
    expect(result.stdout.split('\n')).toHaveLength(5);
    expect(result.stdout).toMatch(/^TAP version 14\n1\.\.1\n# vxlab run vx[0-9a-f]+ on the netns backend\n# Subtest: p2p\n {4}ok 1 - /);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(141);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  });

  it('does the same for the readable reporter', async () => {
    const result = await cliIntoHead(['p2p', '--reporter', 'pretty'], 1);
    expect(result.stdout).toMatch(/^vxlab · netns backend · run vx[0-9a-f]+ · 1 scenario$/);
    expect([result.exitCode, result.stderr]).toEqual([141, '']);
    expect(await labResidue(/ · run (vx[0-9a-f]+) · /.exec(result.stdout)![1]!)).toEqual([]);
  });
});

describe('a lab of more than 10 nodes', () => {
  it('runs without a MaxListenersExceededWarning: no listener is added per node', async () => {
    const project = projectWithLabs({ 'twelve-nodes': labOf(12) });
    const scenario = join(work, 'twelve.yaml');
    const steps = Array.from({ length: 12 }, (_, i) => `  - node: node${i}\n    run:\n      - ip link set dev eth0 mtu 1400`).join('\n');
    writeFileSync(scenario, `lab: twelve-nodes\ntitle: Twelve nodes\ntutorial: none\nexplain: Many nodes at once.\nsteps:\n${steps}\nchecks:\n  - ping: { from: node0, to: 192.168.8.21, count: 1 }\n`);
    const result = await execa(process.execPath, cliArgv([scenario, '--reporter', 'tap'], project).slice(1), { cwd: project, reject: false });
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
    expect(result.stderr).toBe('');
    expect(await parseTap(result.stdout)).toMatchObject({ ok: true, pass: 1, extra: [] });
    expect(result.exitCode).toBe(0);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
  });
});

describe('a lab that cannot work', () => {
  const broken = (nic: string) => labOf(2).replace('name: eth0, address: 192.168.8.10/24', nic);
  const labs = {
    'nic-lo': broken('name: lo, address: 192.168.8.10/24'),
    'mac-multicast': broken('name: eth0, address: 192.168.8.10/24, mac: "01:00:5e:00:00:01"'),
    'at-network': broken('name: eth0, address: 192.168.8.0/24'),
    'at-broadcast': broken('name: eth0, address: 192.168.8.255/24'),
  };

  it.each(Object.keys(labs))('%s: is refused at load with file:line:col and exit 2, and nothing is built', async (lab) => {
    const project = projectWithLabs(labs);
    const scenario = join(work, `uses-${lab}.yaml`);
    writeFileSync(scenario, `lab: ${lab}\ntitle: t\ntutorial: none\nexplain: e\nsteps:\n  - node: node0\n    run:\n      - ip link show\nchecks:\n  - ping: { from: node0, to: 192.168.8.11, count: 1 }\n`);
    const cli = (args: string[]) => execa(process.execPath, cliArgv(args, project).slice(1), { cwd: project, reject: false });
    const validated = await cli(['validate', scenario]);
    expect(validated.stderr).toMatch(new RegExp(`^labs/${lab}\\.yaml:6:\\d+: nodes\\.node0\\.nic\\.(name|mac|address) expected `));
    expect(validated.exitCode).toBe(2);
    const run = await cli([scenario, '--reporter', 'tap']);
    expect(run.stdout).toMatch(/^TAP version 14\nBail out! invalid scenario: /);
    expect(run.stdout).not.toContain('# vxlab run');
    expect(run.exitCode).toBe(2);
  });
});

describe('special files as scenario and lab paths', () => {
  it('validate and run refuse a FIFO, /dev/zero, a directory and a huge file at once, with exit 2, naming each', async () => {
    const dir = mkdtempSync(join(work, 'special-'));
    await execa('mkfifo', [join(dir, 'fifo.yaml')]);
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    mkdirSync(join(dir, 'directory.yaml'));
    writeFileSync(join(dir, 'huge.yaml'), '');
    truncateSync(join(dir, 'huge.yaml'), 64 * 1024 ** 2);
    const files = ['fifo.yaml', 'zero.yaml', 'directory.yaml', 'huge.yaml'].map((f) => join(dir, f));
    const validated = await runCli(['validate', ...files]);
    expect(validated.stderr.trimEnd().split('\n')).toEqual([
      `${files[0]}: is a FIFO, not a regular file`,
      `${files[1]}: is a character device (through a symbolic link to /dev/zero), not a regular file`,
      `${files[2]}: is a directory, not a regular file`,
      `${files[3]}: is more than the 1 MiB vxlab reads from a file (67108864 bytes)`,
    ]);
    expect(validated.exitCode).toBe(2);
    const run = await runCli([files[0]!, '--reporter', 'tap']);
    expect(run).toMatchObject({ exitCode: 2, stdout: `TAP version 14\nBail out! invalid scenario: ${files[0]}: is a FIFO, not a regular file\n` });
  });

  it("refuses a scenario whose lab file is a FIFO, naming the lab's file", async () => {
    const project = projectWithLabs({});
    await execa('mkfifo', [join(project, 'labs', 'fifo-lab.yaml')]);
    const scenario = join(work, 'uses-fifo-lab.yaml');
    writeFileSync(scenario, 'lab: fifo-lab\ntitle: t\ntutorial: none\nexplain: e\nsteps: [{ node: node0, run: [ip link show] }]\nchecks: [{ ping: { from: node0, to: 10.0.0.1 } }]\n');
    const result = await execa(process.execPath, cliArgv(['validate', scenario], project).slice(1), { cwd: project, reject: false, timeout: 60_000 });
    expect(result).toMatchObject({ exitCode: 2, stderr: 'labs/fifo-lab.yaml: is a FIFO, not a regular file' });
  });
});

describe('a command that floods its output', () => {
  it("keeps the head and the tail of what it printed, says how much was cut, and bounds the TAP", async () => {
    // node1 answers every echo request sent with TTL 1 with "Time to live exceeded", so ping
    // prints one line per packet whatever the load: 2,400 lines, about 130 KB, then exits 1 for
    // want of a reply. (A timed flood was load-bound: a late reply makes ping wait 10 ms.)
    const file = join(work, 'p2p-flood.yaml');
    const p2p = readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8');
    const flood = [
      '  - node: node1',
      '    run:',
      '      - sysctl -w net.ipv4.ip_forward=1',
      '      - sysctl -w net.ipv4.icmp_ratelimit=0',
      '      - ip route add 10.99.0.0/16 via 192.168.8.100',
      '  - node: node0',
      '    timeoutSeconds: 120',
      '    run:',
      '      - ip route add 10.99.0.0/16 via 192.168.8.101',
      // every 2 ms: the least a user other than root may ask for (a node's commands run as nobody)
      '      - ping -n -t 1 -W 1 -i 0.002 -c 2400 10.99.0.1',
    ];
    writeFileSync(file, p2p.replace('checks:\n', `${flood.join('\n')}\nchecks:\n`));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(result.exitCode).toBe(1);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    const output = /\n {6}output: \|-\n((?: {8}.*\n| *\n)+)/.exec(result.stdout)?.[1]?.replace(/^ {6,8}/gm, '');
    expect(output).toBeDefined();
    expect(output).toMatch(/^PING 10\.99\.0\.1 \(10\.99\.0\.1\) 56\(84\) bytes of data\.\nFrom 192\.168\.8\.101 icmp_seq=1 Time to live exceeded\n/);
    const [head, cut, tail] = output!.split(/\n\.\.\. (\d+ (?:KiB|MiB)) cut \.\.\.\n/);
    expect(Number.parseInt(cut!)).toBeGreaterThan(0);
    // The first and the last 32 KiB of what ping wrote: the tail holds the last answers and ping's
    // statistics. The report trims the output's trailing newlines, and this regex gives one back:
    // ping ends on one newline, or (seen here without an rtt line) on an empty line, a byte fewer.
    expect(Buffer.byteLength(head!)).toBe(32 * 1024);
    expect(32 * 1024 - Buffer.byteLength(tail!)).toBeGreaterThanOrEqual(0);
    expect(32 * 1024 - Buffer.byteLength(tail!)).toBeLessThanOrEqual(1);
    // iputils adds `pipe N` when N echoes were in flight at once: seen in CI under load (ae9b94c).
    expect(tail).toMatch(/\nFrom 192\.168\.8\.101 icmp_seq=\d+ Time to live exceeded\n\n--- 10\.99\.0\.1 ping statistics ---\n2400 packets transmitted, 0 received, \+\d+ errors, 100% packet loss, time \d+ms\n(?:pipe \d+\n)?$/);
    expect(result.stdout.length).toBeLessThan(100_000);
  });
});
