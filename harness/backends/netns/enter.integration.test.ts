// vxlab-enter (enter.c) against nsenter and setpriv, on a real lab: a program entered either way
// is in the same namespaces with the same user, groups and capabilities; exits, signals and
// failures come back the same; and the program dies with whoever entered it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedLab } from '../types.ts';
import { loadLab } from '../../scenario/resolve.ts';
import { pollUntil } from '../../util/poll.ts';
import { newRunId } from '../../util/run-id.ts';
import { processStartTime } from '../harness-identity.ts';
import { nodeCapabilities } from '../node-user.ts';
import { NetnsBackend } from './backend.ts';
import { ENTER_PROGRAM, enterProgram } from './enter.ts';
import { NODE_ENV, enterArgv } from './sandbox.ts';
import { runCli } from '../../testing/host.ts';

let lab: StartedLab;
const needs = { guestNamespaces: false, sysctlWrites: false };
const capabilities = nodeCapabilities(needs);
const ways = [
  { way: 'vxlab-enter', enter: ENTER_PROGRAM },
  { way: 'nsenter and setpriv', enter: undefined },
] as const;

/** node1's holder, as the harness passes it to vxlab-enter. */
let node1: { pid: number; start: number };

beforeAll(async () => {
  lab = await new NetnsBackend().up(await loadLab('three-nodes'), { runId: newRunId(), nodeNeeds: new Map([['node1', needs]]) });
  const pid = holderPid('node1');
  node1 = { pid, start: (await processStartTime(pid))! };
});
afterAll(() => lab?.down());

/** The host PID of a node's holder, from the shell hint that names it. */
function holderPid(node: string): number {
  const hint = lab.accessHints().find((h) => h.startsWith(`${node}:`))!;
  return Number(/-t (\d+)/.exec(hint)![1]);
}

const argvFor = (enter: string | undefined, argv: string[]) => enterArgv(node1, capabilities, false, argv, enter);

/** Runs argv with the environment node programs get (vxlab-enter searches its PATH), to its end. */
function spawnToEnd(argv: string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { env: NODE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}
const run = (enter: string | undefined, argv: string[]) => spawnToEnd(argvFor(enter, argv));

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function commOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The program a way started: the child of the process spawned (both ways fork into the PID namespace). */
function programOf(launcher: ChildProcess): Promise<string> {
  return pollUntil(() => readdirSync('/proc').find((e) => /^\d+$/.test(e) && parentOf(e) === launcher.pid && readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'ip'), { what: 'the entered program', timeoutMs: 5000 });
}

/** What the kernel says of a process's credentials and namespaces. */
function identity(pid: string): Record<string, string> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const fields = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'];
  const found = Object.fromEntries(fields.map((f) => [f, new RegExp(`^${f}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? 'absent']));
  for (const ns of ['net', 'mnt', 'pid', 'uts', 'ipc', 'user', 'cgroup']) found[`ns ${ns}`] = readlinkSync(`/proc/${pid}/ns/${ns}`);
  return found;
}

const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
const gone = (pid: string) => pollUntil(() => (parentOf(pid) === undefined ? true : undefined), { what: `process ${pid} gone`, timeoutMs: 5000 });

describe('vxlab-enter', () => {
  it('was built by npm run build, answers its probe, and is what nodes are entered with here', async () => {
    expect(await enterProgram()).toBe(ENTER_PROGRAM);
  });

  it('leaves a program exactly as nsenter and setpriv do: the node\'s namespaces, nobody, only the node\'s capabilities', async () => {
    const seen: Record<string, string>[] = [];
    for (const { enter } of ways) {
      const launcher = spawn(argvFor(enter, ['ip', 'monitor'])[0]!, argvFor(enter, ['ip', 'monitor']).slice(1), { env: NODE_ENV, stdio: 'ignore' });
      try {
        seen.push(identity(await programOf(launcher)));
      } finally {
        launcher.kill('SIGKILL');
      }
    }
    const holder = String(holderPid('node1'));
    const expected = {
      Uid: '65534\t65534\t65534\t65534', Gid: '65534\t65534\t65534\t65534', Groups: '',
      // CAP_NET_ADMIN (12) and CAP_NET_RAW (13) in every set, the ambient one included: 0x3000.
      CapInh: '0000000000003000', CapPrm: '0000000000003000', CapEff: '0000000000003000', CapBnd: '0000000000003000', CapAmb: '0000000000003000',
      NoNewPrivs: '1',
    };
    expect(seen[0]).toMatchObject(expected);
    for (const ns of ['net', 'mnt', 'pid', 'uts', 'ipc']) expect(seen[0]![`ns ${ns}`]).toBe(readlinkSync(`/proc/${holder}/ns/${ns}`));
    // The host's user and cgroup namespaces, as with nsenter.
    expect(seen[0]!['ns user']).toBe(readlinkSync('/proc/self/ns/user'));
    expect(seen[0]).toEqual(seen[1]);
  });

  it.each(ways)('$way: the program\'s exit code, a program not there (127) or not runnable (126), its output', async ({ enter }) => {
    const link = await run(enter, ['ip', '-o', 'link', 'show', 'enp0s8']);
    expect(link).toMatchObject({ exitCode: 0 });
    expect(link.stdout).toMatch(/^\d+: enp0s8@/);
    const missing = await run(enter, ['ip', 'link', 'show', 'nothing']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('"nothing"');
    for (const argv of [['sh', '-c', 'id'], ['/bin/sh'], ['cat', '/etc/passwd'], ['']]) {
      const absent = await run(enter, argv);
      expect(absent.exitCode, argv.join(' ')).toBe(127);
      expect(absent.stderr).toMatch(/failed to execute .*: No such file or directory/);
    }
    const directory = await run(enter, ['/tmp']);
    expect(directory.exitCode).toBe(126);
    expect(directory.stderr).toMatch(/failed to execute \/tmp: Permission denied/);
  });

  it.each(ways)('$way: ends with the signal that killed the program, and the program dies with it', async ({ enter }) => {
    const argv = argvFor(enter, ['ip', 'monitor']);
    const killed = spawn(argv[0]!, argv.slice(1), { env: NODE_ENV, stdio: 'ignore' });
    const end = exited(killed);
    process.kill(Number(await programOf(killed)), 'SIGTERM');
    expect(await end).toEqual({ code: null, signal: 'SIGTERM' });
    const orphaned = spawn(argv[0]!, argv.slice(1), { env: NODE_ENV, stdio: 'ignore' });
    const program = await programOf(orphaned);
    orphaned.kill('SIGKILL');
    // setpriv's --pdeathsig KILL, and vxlab-enter's own.
    expect(await gone(program)).toBe(true);
  });

  it('lets no fd but stdin, stdout and stderr into the node (one vxlab inherited is the host\'s)', async () => {
    // fd 9 open in vxlab-enter, as an fd left open by whoever started vxlab would be.
    const child = spawn(ENTER_PROGRAM, argvFor(ENTER_PROGRAM, ['ip', '-batch', '/proc/self/fdinfo/9']).slice(1), { env: NODE_ENV, stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.once('close', resolve));
    expect(stderr).toMatch(/Cannot open file "\/proc\/self\/fdinfo\/9" for reading: No such file or directory/);
    expect(exitCode).not.toBe(0);
    // The same program reads the fd's info when it is open (and takes its first line for a command): the check above can fail.
    const control = spawn('ip', ['-batch', '/proc/self/fdinfo/9'], { stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'] });
    let said = '';
    control.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    await new Promise((resolve) => control.once('close', resolve));
    expect(said).toMatch(/Object "pos:" is unknown/);
  });

  it('refuses its own bad arguments with 125 and runs nothing', async () => {
    const holder = node1;
    const [pid, start] = [String(holder.pid), String(holder.start)];
    const base = [pid, start, '12288', '65534'];
    const cases = [
      { argv: [ENTER_PROGRAM, ...base, 'ip', 'link'], says: /usage/ },
      { argv: [ENTER_PROGRAM, 'x1', start, '12288', '65534', '--', 'ip', 'link'], says: /expects a number for PID/ },
      { argv: [ENTER_PROGRAM, pid, '', '12288', '65534', '--', 'ip', 'link'], says: /expects a number for START/ },
      { argv: [ENTER_PROGRAM, pid, start, '0x3000', '65534', '--', 'ip', 'link'], says: /expects a number for CAPS/ },
      { argv: [ENTER_PROGRAM, pid, start, '12288', 'nobody', '--', 'ip', 'link'], says: /expects a number for UID/ },
      { argv: [ENTER_PROGRAM, '4194304000', start, '12288', '65534', '--', 'ip', 'link'], says: /expects a process for PID/ },
      { argv: [ENTER_PROGRAM, ...base, '--'], says: /usage/ },
      // The holder's PID with another start time, or another process's PID with the holder's: not the holder.
      { argv: [ENTER_PROGRAM, pid, String(holder.start + 1), '12288', '65534', '--', 'ip', 'link'], says: /refuses a holder that is not the one it was given/ },
      { argv: [ENTER_PROGRAM, String(process.pid), start, '12288', '65534', '--', 'ip', 'link'], says: /refuses a holder that is not the one it was given/ },
    ];
    for (const { argv, says } of cases) {
      const r = await spawnToEnd(argv);
      expect(r.exitCode, argv.join(' ')).toBe(125);
      expect(r.stderr).toMatch(says);
      expect(r.stdout).toBe('');
    }
    // A process that is gone: its namespaces cannot be opened.
    const dead = spawn('true');
    await exited(dead);
    const r = await spawnToEnd([ENTER_PROGRAM, String(dead.pid), start, '12288', '65534', '--', 'ip', 'link']);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/cannot open \/proc\/\d+: No such file or directory/);
  });

  it('never leaves a program behind when it is killed while starting it (the 37th attack: 11 of 400 before)', async () => {
    const holder = node1;
    const pidns = readlinkSync(`/proc/${holder.pid}/ns/pid`);
    const inNode = () => readdirSync('/proc').filter((e) => /^\d+$/.test(e) && readlinkSafe(`/proc/${e}/ns/pid`) === pidns && commOf(e) === 'ip');
    expect(inNode()).toEqual([]);
    // SIGKILL after 0 to 39 turns of a busy loop: spread over the fork, the privilege drop and the exec.
    // Then one run left alone: the loop did run vxlab-enter, into node1.
    const script = 'for i in $(seq 300); do "$0" "$1" "$2" 12288 65534 -- ip monitor & p=$!; for ((j = 0; j < i % 40; j++)); do :; done; kill -9 $p; done; wait; exec "$0" "$1" "$2" 12288 65534 -- ip -o link show enp0s8';
    const loop = await spawnToEnd(['bash', '-c', script, ENTER_PROGRAM, String(holder.pid), String(holder.start)]);
    expect(loop.exitCode, loop.stderr).toBe(0);
    expect(loop.stdout).toMatch(/^\d+: enp0s8@/);
    // A program that got its parent-death signal set dies with its parent; give the kernel a moment to deliver it.
    await pollUntil(() => (inNode().length === 0 ? true : undefined), { what: 'no ip left in node1', timeoutMs: 3000 }).catch(() => undefined);
    expect(inNode()).toEqual([]);
  });
});

describe('vxlab-enter for vxlab\'s own plumbing', () => {
  it('--pdeathsig: the program gets SIGKILL when the one who started it dies', async () => {
    // A bash that starts the program and then waits: killing that bash must end the program.
    const parent = spawn('bash', ['-c', `"$0" --pdeathsig -- ip monitor & wait`, ENTER_PROGRAM], { stdio: 'ignore' });
    const program = await pollUntil(() => readdirSync('/proc').find((e) => /^\d+$/.test(e) && parentOf(e) === parent.pid && readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'ip'), { what: 'ip monitor under bash', timeoutMs: 5000 });
    expect(readFileSync(`/proc/${program}/status`, 'utf8')).toMatch(/^Uid:\s+0\s/m);
    parent.kill('SIGKILL');
    await gone(program);
    // Nothing else changed: no namespace joined.
    const ran = await spawnToEnd([ENTER_PROGRAM, '--pdeathsig', '--', 'ip', '-o', 'link', 'show', 'lo']);
    expect(ran.exitCode).toBe(0);
  });

  it('--net PID: the host\'s program, as root, in that network namespace alone', async () => {
    const holder = holderPid('node1');
    const launched = spawn(ENTER_PROGRAM, ['--net', String(holder), '--', 'ip', 'monitor'], { stdio: 'ignore' });
    try {
      // No fork: the program is the process spawned.
      await pollUntil(() => (readFileSync(`/proc/${launched.pid}/comm`, 'utf8').trim() === 'ip' ? true : undefined), { what: 'ip monitor', timeoutMs: 5000 });
      const seen = identity(String(launched.pid));
      expect(seen['ns net']).toBe(readlinkSync(`/proc/${holder}/ns/net`));
      for (const ns of ['mnt', 'pid', 'uts', 'ipc']) expect(seen[`ns ${ns}`]).toBe(readlinkSync(`/proc/self/ns/${ns}`));
      expect(seen.Uid).toBe('0\t0\t0\t0');
    } finally {
      launched.kill('SIGKILL');
    }
    const bad = await spawnToEnd([ENTER_PROGRAM, '--net', 'x', '--', 'ip', 'link']);
    expect(bad.exitCode).toBe(125);
    expect(bad.stderr).toMatch(/expects a number for PID/);
  });
});

describe('a run', () => {
  /** The programs a run started in its nodes, as VXLAB_TRACE_SPAWNS shows them, by how they entered. */
  const entered = (stderr: string) => {
    const spawns = stderr.split('\n').filter((l) => l.startsWith('vxlab-spawn '));
    return {
      byEnter: spawns.filter((l) => l.includes(`${ENTER_PROGRAM} `)).length,
      // Only a node's programs enter the mount namespace; the underlay's nsenter joins the network alone.
      byNsenter: spawns.filter((l) => / nsenter -t \d+ --net --mount /.test(l)).length,
    };
  };

  it('enters its nodes with vxlab-enter, and with nsenter and setpriv under VXLAB_ENTER=nsenter, passing either way', async () => {
    const fast = await runCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_TRACE_SPAWNS: '1' } });
    expect(fast.exitCode, fast.stderr).toBe(0);
    expect(fast.stdout).toMatch(/^ok 1 - p2p$/m);
    const fastWays = entered(fast.stderr);
    expect(fastWays.byEnter).toBeGreaterThan(5);
    expect(fastWays.byNsenter).toBe(0);
    const other = await runCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_TRACE_SPAWNS: '1', VXLAB_ENTER: 'nsenter' } });
    expect(other.exitCode, other.stderr).toBe(0);
    expect(other.stdout).toMatch(/^ok 1 - p2p$/m);
    // Not the same count: state checks poll until their window closes.
    const otherWays = entered(other.stderr);
    expect(otherWays.byEnter).toBe(0);
    expect(otherWays.byNsenter).toBeGreaterThan(5);
  });
});
