// A CommonJS preload for a child Node (`node -r FILE ...`), written for one test file and removed after it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Registers the file's before/after hooks; the returned function gives the preload's path once they ran. */
export function usePreload(lines: readonly string[]): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vxlab-preload-'));
    await writeFile(join(dir, 'preload.cjs'), lines.join('\n'));
  });
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));
  return () => {
    if (!dir) throw new Error('the preload is written before the tests run');
    return join(dir, 'preload.cjs');
  };
}
