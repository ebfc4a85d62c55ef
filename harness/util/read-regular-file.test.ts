import { describe, expect, it } from 'vitest';
import { readRegularFile } from './read-regular-file.ts';

describe('readRegularFile', () => {
  it('reads a regular file as text', async () => {
    expect(await readRegularFile(new URL('../../package.json', import.meta.url).pathname)).toContain('"name": "vxlab"');
  });

  it('stops one byte past the limit even when the size says 0, as /proc files do', async () => {
    await expect(readRegularFile('/proc/self/status', 100)).rejects.toThrow('is more than the 100 bytes vxlab reads from a file');
    expect(await readRegularFile('/proc/self/status')).toMatch(/^Name:/);
  });
});
