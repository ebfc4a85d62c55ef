// The loader a program names, read from its ELF headers, and the libraries vxlab then lists for a
// node's tree: the same as `ldd` says, for this machine's own programs.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readInterpreter } from './elf-interpreter.ts';
import { locatePrograms } from './node-tree-host.ts';
import { parseLdd } from './node-tree.ts';
import { PROJECT_ROOT } from '../scenario/project-root.ts';

const bytes = (path: string) => new Uint8Array(readFileSync(path));

describe('readInterpreter', () => {
  it('reads the loader of a dynamic program, as `file` names it', async () => {
    const ip = bytes('/usr/sbin/ip');
    const named = /interpreter (\S+?),/.exec((await execa('file', ['-L', '/usr/sbin/ip'], { reject: false })).stdout)?.[1];
    const reading = readInterpreter(ip);
    expect(reading).toEqual({ interpreter: expect.stringMatching(/^\/lib.*ld-linux.*\.so\.\d$/) });
    if (named) expect(reading).toEqual({ interpreter: named });
  });

  it('asks for more bytes when the headers lie past the ones it was given, then reads them', () => {
    const ip = bytes('/usr/sbin/ip');
    let size = 80;
    const asked: number[] = [];
    for (let reading = readInterpreter(ip.subarray(0, size)); 'needBytes' in reading; reading = readInterpreter(ip.subarray(0, size))) {
      expect(reading.needBytes).toBeGreaterThan(size);
      asked.push((size = reading.needBytes));
    }
    expect(asked.length).toBeGreaterThan(0);
    expect(readInterpreter(ip.subarray(0, size))).toEqual(readInterpreter(ip));
    expect(readInterpreter(ip.subarray(0, 4096))).toEqual(readInterpreter(ip));
  });

  it('names no loader for a script, a non-ELF file, or a program linked statically', () => {
    expect(readInterpreter(bytes('/usr/bin/ldd'))).toEqual({ interpreter: undefined });
    expect(readInterpreter(new TextEncoder().encode('\x7fELF'))).toEqual({ interpreter: undefined });
    // An ELF header whose program headers have no PT_INTERP (a 64-bit little-endian header, one PT_LOAD).
    const head = new Uint8Array(64 + 56);
    head.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    const view = new DataView(head.buffer);
    view.setBigUint64(32, 64n, true);
    view.setUint16(54, 56, true);
    view.setUint16(56, 1, true);
    view.setUint32(64, 1, true);
    expect(readInterpreter(head)).toEqual({ interpreter: undefined });
  });
});

describe('locatePrograms', () => {
  it('lists the same libraries as ldd for the programs a node runs', async () => {
    const names = ['ip', 'bridge', 'ping', 'tcpdump', 'sysctl', 'tc', 'setpriv'];
    const programs = await locatePrograms(names, 'install it');
    for (const program of programs) {
      const ldd = (await execa('ldd', [program.path], { reject: false })).stdout;
      expect(parseLdd(program.ldd).sort(), program.path).toEqual(parseLdd(ldd).sort());
      expect(parseLdd(program.ldd).length, program.path).toBeGreaterThan(1);
    }
  });

  it('passes over what in PATH is no regular file (a FIFO, a device, a directory), to the program further on, and is not stopped by it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-odd-path-'));
    try {
      await execa('mkfifo', [join(dir, 'ip')]);
      await execa('mknod', [join(dir, 'bridge'), 'c', '1', '3']);
      await mkdir(join(dir, 'ping'));
      for (const name of ['ip', 'bridge', 'ping']) await chmod(join(dir, name), 0o755);
      // In a child: a blocking open would stop its whole process, which only a deadline can tell.
      const script = `import { locatePrograms } from './harness/backends/node-tree-host.ts';\nconsole.log(JSON.stringify(await locatePrograms(['ip', 'bridge', 'ping'], 'install it')));`;
      const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { PATH: `${dir}:${process.env.PATH ?? ''}` }, reject: false, timeout: 20_000 });
      expect(r.timedOut, r.stderr).toBe(false);
      expect(r.exitCode, r.stderr).toBe(0);
      const found = JSON.parse(r.stdout) as { path: string; ldd: string }[];
      for (const [i, name] of ['ip', 'bridge', 'ping'].entries()) {
        expect(found[i]!.path, name).not.toContain(dir);
        expect(found[i]!.path.endsWith(`/${name}`), found[i]!.path).toBe(true);
        expect(parseLdd(found[i]!.ldd).length, name).toBeGreaterThan(1);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
