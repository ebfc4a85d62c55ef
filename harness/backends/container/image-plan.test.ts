import { describe, expect, it } from 'vitest';
import { imageTag } from './image-plan.ts';

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
