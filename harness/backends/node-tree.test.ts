import { describe, expect, it } from 'vitest';
import { parseLdd, splitLdd, treeFiles } from './node-tree.ts';

const LDD_IP = `	linux-vdso.so.1 (0x00007f8b8f6d0000)
	libbpf.so.1 => /lib/x86_64-linux-gnu/libbpf.so.1 (0x00007f8b8f570000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8b8f347000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f8b8f6d2000)
`;
const LDD_SH = `	linux-vdso.so.1 (0x00007ffd6a1f2000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f5b1c3d1000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f5b1c5d6000)
`;

describe('parseLdd', () => {
  it('lists the libraries and the loader, not the vDSO', () => {
    expect(parseLdd(LDD_IP)).toEqual(['/lib/x86_64-linux-gnu/libbpf.so.1', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });

  it('finds nothing in a static program', () => {
    expect(parseLdd('\tnot a dynamic executable\n')).toEqual([]);
  });
});

describe('treeFiles', () => {
  it('takes every program and each shared library once', () => {
    const files = treeFiles([{ path: '/usr/sbin/ip', ldd: LDD_IP }, { path: '/usr/bin/sh', ldd: LDD_SH }]);
    expect(files.map((f) => f.path)).toEqual([
      '/lib/x86_64-linux-gnu/libbpf.so.1', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2', '/usr/bin/sh', '/usr/sbin/ip',
    ]);
  });
});

describe('treeFiles with a target', () => {
  it('puts a program where the tree wants it, its libraries where ldd says', () => {
    const files = treeFiles([{ path: '/usr/bin/cat', ldd: LDD_SH, target: '/.vxlab/holder' }]);
    expect(files).toContainEqual({ path: '/.vxlab/holder', source: '/usr/bin/cat', mode: 0o755 });
    expect(files.map((f) => f.path)).not.toContain('/usr/bin/cat');
  });
});

describe('splitLdd', () => {
  it("cuts one ldd's output over several programs into each program's part", () => {
    const output = `/usr/sbin/ip:\n${LDD_IP}/usr/bin/sh:\n${LDD_SH}/usr/bin/static:\n\tnot a dynamic executable\n`;
    const parts = splitLdd(output, ['/usr/sbin/ip', '/usr/bin/sh', '/usr/bin/static']);
    expect(parseLdd(parts.get('/usr/sbin/ip')!)).toEqual(parseLdd(LDD_IP));
    expect(parseLdd(parts.get('/usr/bin/sh')!)).toEqual(parseLdd(LDD_SH));
    expect(parseLdd(parts.get('/usr/bin/static')!)).toEqual([]);
  });

  it('takes the whole output for one program (ldd then prints no header)', () => {
    expect(splitLdd(LDD_IP, ['/usr/sbin/ip']).get('/usr/sbin/ip')).toBe(LDD_IP);
  });
});
