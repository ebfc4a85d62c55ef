import { describe, expect, it } from 'vitest';
import { namespacesHeld } from './kernel-settle.ts';

describe('namespacesHeld', () => {
  it("reads the net_namespace slab's objects in use, the first figure of SLUB's line", () => {
    expect(namespacesHeld(() => '119 N0=119\n')).toBe(119);
  });

  it('is undefined where the kernel does not say (no SLUB sysfs, or an odd line)', () => {
    expect(namespacesHeld(() => { throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); })).toBeUndefined();
    expect(namespacesHeld(() => 'N0=3\n')).toBeUndefined();
  });
});
