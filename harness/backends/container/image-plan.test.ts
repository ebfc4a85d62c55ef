import { describe, expect, it } from 'vitest';
import { imageFiles, imageTag, parseLdd } from './image-plan.ts';

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

describe('imageFiles', () => {
  it('takes every program and each shared library once', () => {
    const files = imageFiles([{ path: '/usr/sbin/ip', ldd: LDD_IP }, { path: '/usr/bin/sh', ldd: LDD_SH }]);
    expect(files.map((f) => f.path)).toEqual([
      '/lib/x86_64-linux-gnu/libbpf.so.1', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2', '/usr/bin/sh', '/usr/sbin/ip',
    ]);
  });
});

describe('imageTag', () => {
  const files = [{ path: '/usr/sbin/ip', content: Buffer.from('ip 6.1') }];

  it('is the same for the same bytes', () => {
    expect(imageTag(files)).toBe(imageTag([{ path: '/usr/sbin/ip', content: Buffer.from('ip 6.1') }]));
    expect(imageTag(files)).toMatch(/^vxlab-node:[0-9a-f]{12}$/);
  });

  it('changes when a program changes (a host upgrade) or moves', () => {
    expect(imageTag([{ path: '/usr/sbin/ip', content: Buffer.from('ip 6.2') }])).not.toBe(imageTag(files));
    expect(imageTag([{ path: '/usr/bin/ip', content: Buffer.from('ip 6.1') }])).not.toBe(imageTag(files));
  });
});
