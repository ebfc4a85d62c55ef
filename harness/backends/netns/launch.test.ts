import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pollUntil } from '../../util/poll.ts';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { exitFromStatus, groupScript, ProgramLauncher, STANDING_SCRIPT, STANDING_SLOTS, standingRequest, type ExitOutcome, type Launch } from './launch.ts';
import { closeInheritedFds } from './sandbox.ts';

// Every directory this file's tests write in, removed after them.
const scratch = mkdtempSync(join(tmpdir(), 'vxlab-launch-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const runDir = () => mkdtempSync(join(scratch, 'group-'));

describe('a group of programs from one bash', () => {
  it('gives each program its own fds, quoted argv, and closes every other program\'s', () => {
    const script = groupScript([{ argv: ['ip', "it's"], hasInput: false }, { argv: ['ip', '-batch', '-'], hasInput: true }]);
    expect(script.split('\n')).toEqual([
      closeInheritedFds([3, 4, 6, 7, 8]),
      `( set -m; 'ip' 'it'\\''s' 0</dev/null 1>&3 2>&4 3>&- 4>&- & pid=$!; exec 3>&- 4>&-; echo "start 0 $pid"; wait "$pid"; echo "end 0 $?" ) 0</dev/null 2>/dev/null 6>&- 7>&- 8>&- &`,
      `( set -m; 'ip' '-batch' '-' 0<&8 1>&6 2>&7 6>&- 7>&- 8>&- & pid=$!; exec 6>&- 7>&- 8>&-; echo "start 1 $pid"; wait "$pid"; echo "end 1 $?" ) 0</dev/null 2>/dev/null 3>&- 4>&- &`,
      'exec 3>&- 4>&- 6>&- 7>&- 8>&-',
      'wait',
      '',
    ]);
  });

  it('reports the end of every program, those killed by a signal at the same moment included', async () => {
    // bash 5.2's `wait -n` loop (the group script until 4 Dec) reported 3-5 of 10 programs
    // SIGKILLed at once, and the run that had killed them (an interrupt) waited for the rest forever.
    const launcher = new ProgramLauncher(runDir());
    const launches = await Promise.all(Array.from({ length: 12 }, () => launcher.launch(['sleep', '30'], undefined)));
    await Promise.all(launches.map((l) => l.leaderKnown));
    for (const l of launches.slice(0, 10)) process.kill(-l.leader!, 'SIGKILL');
    const ended = await Promise.all(launches.slice(0, 10).map((l) => Promise.race([l.exit, new Promise((resolve) => setTimeout(() => resolve('not reported within 5 s'), 5000))])));
    expect(ended).toEqual(Array.from({ length: 10 }, () => ({ code: null, signal: 'SIGKILL' })));
    for (const l of launches.slice(10)) process.kill(-l.leader!, 'SIGTERM');
    expect(await Promise.all(launches.slice(10).map((l) => l.exit))).toEqual([{ code: null, signal: 'SIGTERM' }, { code: null, signal: 'SIGTERM' }]);
    await Promise.all(launches.map((l) => l.closed));
  });

  it('gives each program of a group its own output, input and exit status, and no other program\'s socket', async () => {
    const launcher = new ProgramLauncher(runDir());
    // Asked for in one turn: one bash starts them all.
    const script = (i: number) => `cat; echo out ${i}; echo err ${i} >&2; for fd in /proc/self/fd/*; do [ \${fd##*/} -gt 2 ] && case $(readlink $fd) in socket:*) echo "socket at \${fd##*/}" >&2;; esac; done; exit ${i}`;
    const launches = [0, 1, 2].map((i) => launcher.launch(['sh', '-c', script(i)], i === 1 ? 'input 1\n' : undefined));
    const results = await Promise.all(launches.map(async (l) => collect(await l)));
    results.forEach((r, i) => {
      expect(r.exit).toEqual({ code: i, signal: null });
      expect(r.stdout).toBe(`${i === 1 ? 'input 1\n' : ''}out ${i}\n`);
      // Not another program's sockets, not the group's control channel (vxlab-enter closes the rest: enter.integration.test.ts).
      expect(r.stderr).toBe(`err ${i}\n`);
    });
    // Three leaders, three process groups.
    expect(new Set(results.map((r) => r.leader)).size).toBe(3);
  });

  it('lets no fd its bash inherited reach a program (one at 9 here), as the standing launcher does', async () => {
    const list = ['sh', '-c', 'for f in /proc/self/fd/*; do echo "${f##*/}"; done'];
    // A group of two, run as vxlab runs it: fds 3, 4, 6, 7 are the programs' sockets, 9 is inherited.
    const file = join(runDir(), 'group.sh');
    writeFileSync(file, groupScript([{ argv: list, hasInput: false }, { argv: list, hasInput: false }]));
    const group = spawn('bash', [file], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'pipe', 'pipe', 'ignore', 'pipe'] });
    let listed = '';
    group.stdio[3]!.on('data', (chunk: Buffer) => (listed += chunk.toString()));
    await new Promise((resolve) => group.once('close', resolve));
    expect(listed.trim().split('\n').map(Number)).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(listed.trim().split('\n').map(Number)).not.toContain(9);
    // The standing launcher, with an fd inherited past its slots.
    const stdio = Array.from({ length: 61 }, (_, fd) => (fd <= 5 || fd === 60 ? 'pipe' : 'ignore') as 'pipe' | 'ignore');
    const standing = spawn('bash', ['-c', STANDING_SCRIPT], { stdio });
    let seen = '';
    standing.stdio[3]!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const request = standingRequest(0, list, false, STANDING_SLOTS);
    standing.stdin!.end(`${Buffer.byteLength(request)}\n${request}`);
    await new Promise((resolve) => standing.once('close', resolve));
    expect(seen.trim().split('\n').map(Number)).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(seen.trim().split('\n').map(Number)).not.toContain(60);
  });

  it('reports each exit status', async () => {
    const items = [{ argv: ['sh', '-c', 'exit 3'], hasInput: false }, { argv: ['sleep', '0.2'], hasInput: false }, { argv: ['sh', '-c', 'exit 5'], hasInput: false }];
    const open = [3, 4, 6, 7, 9, 10].map((fd) => `exec ${fd}>/dev/null`).join('\n');
    const r = await execa('bash', ['-c', `${open}\n${groupScript(items)}`]);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('end ')).sort()).toEqual(['end 0 3', 'end 1 0', 'end 2 5']);
  });

  it('reads bash\'s 128+N as killed by signal N', () => {
    expect(exitFromStatus(0)).toEqual({ code: 0, signal: null });
    expect(exitFromStatus(2)).toEqual({ code: 2, signal: null });
    expect(exitFromStatus(137)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitFromStatus(130)).toEqual({ code: null, signal: 'SIGINT' });
  });
});

describe('a program asked for alone, from the lab\'s standing bash', () => {
  it('is started by a request that gives it its slot\'s fds, closes the later slots\' and its own', () => {
    expect(standingRequest(0, ['ip', "it's"], false, 2)).toBe(
      `( set -m; 'ip' 'it'\\''s' 0</dev/null 1>&3 2>&4 3>&- 4>&- 5>&- & pid=$!; exec 3>&- 4>&- 5>&-; echo "start 0 $pid"; wait "$pid"; echo "end 0 $?" ) 0</dev/null 2>/dev/null 6>&- 7>&- 8>&- &\nexec 3>&- 4>&- 5>&-\n`,
    );
    expect(standingRequest(1, ['cat'], true, 2)).toBe(
      `( set -m; 'cat' 0<&8 1>&6 2>&7 6>&- 7>&- 8>&- & pid=$!; exec 6>&- 7>&- 8>&-; echo "start 1 $pid"; wait "$pid"; echo "end 1 $?" ) 0</dev/null 2>/dev/null  &\nexec 6>&- 7>&- 8>&-\n`,
    );
  });

  it('keeps each program\'s own output, input, exit status and fds, across more programs than one bash has slots', async () => {
    const launcher = new ProgramLauncher(tmpdir());
    try {
      const results = [];
      // One after another, as a scenario's single commands come: each a launch of its own.
      for (let i = 0; i < STANDING_SLOTS + 2; i++) {
        const input = i % 3 === 0 ? `input ${i}\n` : undefined;
        // Every fd above 2 that is a socket: none may be (another slot's, or the launcher's own).
        const script = `cat; echo out ${i}; echo err ${i} >&2; for fd in /proc/self/fd/*; do case $(readlink $fd) in socket:*) [ \${fd##*/} -gt 2 ] && echo "socket at \${fd##*/}" >&2;; esac; done; exit ${i % 5}`;
        results.push(await collect(await launcher.launch(['sh', '-c', script], input)));
      }
      results.forEach((r, i) => {
        expect(r.exit).toEqual({ code: i % 5, signal: null });
        expect(r.stdout).toBe(`${i % 3 === 0 ? `input ${i}\n` : ''}out ${i}\n`);
        // Its own sockets as 0-2 and no other: not another slot's, not the launcher's.
        expect(r.stderr).toBe(`err ${i}\n`);
        expect(r.leader).toBeGreaterThan(0);
      });
    } finally {
      launcher.end();
    }
  });

  it('reports a program killed by a signal as killed, and its group is its own', async () => {
    const launcher = new ProgramLauncher(tmpdir());
    try {
      const launch = await launcher.launch(['sleep', '30'], undefined);
      await launch.leaderKnown;
      // The program leads a process group of its own: the group's SIGKILL reaches it, and nothing else.
      expect(readFileSync(`/proc/${launch.leader}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]).toBe(String(launch.leader));
      process.kill(-launch.leader!, 'SIGKILL');
      expect(await launch.exit).toEqual({ code: null, signal: 'SIGKILL' });
      await launch.closed;
    } finally {
      launcher.end();
    }
  });
});

describe('the standing launcher\'s requests', () => {
  // From the 26th stranger's attack: bash reads a request by its length in bytes (`read -N` under
  // an unexported LC_ALL=C) and evals it; every word must arrive byte for byte, and nothing run.
  const dir = mkdtempSync(join(tmpdir(), 'vxlab-words-'));
  const witness = join(dir, 'ran');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nasty = [
    "it's", 'a\nb', 'é', '😀x', '\uD800', 'x\uDFFF', `'$(touch ${witness})'`, `\`touch ${witness}\``, '\\', "\\'", "'", "''", '\r\n',
    `"; touch ${witness}; "`, `\n(touch ${witness})\n`, 'é'.repeat(60000), '\u00a0', '\u2028', '*', '~', '$IFS', '!!', '%s',
  ];

  it('carry every word intact, multi-byte and long ones included, and run nothing else', async () => {
    const launcher = new ProgramLauncher(tmpdir());
    try {
      for (let round = 0; round < 5; round++) {
        const words = nasty.map((w, i) => ((round + i) % 2 ? w : `${w}${'ü'.repeat(round)}`));
        const r = await collect(await launcher.launch(['printf', '%s\\0', ...words], undefined));
        expect(r.stderr).toBe('');
        // Lone surrogates become U+FFFD on the way out of JavaScript, as they would in any argv.
        expect(r.stdout.split('\0').slice(0, -1)).toEqual(words.map((w) => Buffer.from(w, 'utf8').toString('utf8')));
      }
      expect(existsSync(witness)).toBe(false);
    } finally {
      launcher.end();
    }
  });
});

describe('a standing launcher that was killed', () => {
  it('still reports the programs it had started, and the next program goes to a new one', async () => {
    const launcher = new ProgramLauncher(tmpdir());
    try {
      const running = await launcher.launch(['sleep', '30'], undefined);
      await running.leaderKnown;
      // sleep's parent is its wrapper subshell, whose parent is the standing bash.
      const bash = parentOf(parentOf(running.leader!));
      expect(readFileSync(`/proc/${bash}/cmdline`, 'utf8')).toContain('read -r -N');
      process.kill(bash, 'SIGKILL');
      // Gone from /proc once Node has reaped it, which is when it emits the child's 'exit'.
      await pollUntil(() => (existsSync(`/proc/${bash}`) ? undefined : true), { what: 'the standing bash to be reaped', timeoutMs: 5000 });
      const next = await collect(await launcher.launch(['sh', '-c', 'echo after'], undefined));
      expect(next).toMatchObject({ stdout: 'after\n', exit: { code: 0, signal: null } });
      process.kill(-running.leader!, 'SIGKILL');
      expect(await running.exit).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      launcher.end();
    }
  });
});

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function collect(launch: Launch): Promise<{ stdout: string; stderr: string; exit: ExitOutcome; leader: number | undefined }> {
  // Decoded whole: a multi-byte character may straddle two chunks.
  const text = (stream: NodeJS.ReadableStream) => new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const [stdout, stderr, exit] = await Promise.all([text(launch.stdout), text(launch.stderr), launch.exit]);
  await launch.closed;
  return { stdout, stderr, exit, leader: launch.leader };
}
