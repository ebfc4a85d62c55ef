// A test file's guard: the root namespace after each test is as it was before it.
import { afterEach, beforeEach, expect } from 'vitest';
import { hostSnapshot } from './host.ts';

/** Asserts after each test of the file that the root namespace is as it was before it (`cleanUp` runs first, e.g. a `down`). */
export function hostUnchangedAroundEachTest(cleanUp?: () => Promise<unknown>): void {
  let before: Record<string, unknown>;
  beforeEach(async () => {
    before = await hostSnapshot();
  });
  afterEach(async () => {
    await cleanUp?.();
    expect(await hostSnapshot()).toEqual(before);
  });
}
