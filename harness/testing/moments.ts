// For tests that kill or interrupt a run at random moments.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS_DIR } from '../scenario/resolve.ts';

/** Deterministic delays, so a failure names a moment that can be replayed. */
export function* delays(seed: number, count: number, maxMs: number) {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield Math.floor((x / 2 ** 31) * maxMs);
  }
}

/**
 * p2p with a last check that waits 60 s for a reply that never comes: p2p alone is over in well
 * under a second (issue 12), so a kill at a random moment up to 1 s lands while the run is
 * starting, building, running steps or checks, never after it ended.
 */
export function busyScenario(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vxlab-busy-'));
  const file = join(dir, 'p2p-busy.yaml');
  writeFileSync(file, `${readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8').trimEnd()}\n  - ping: { from: node0, to: 10.20.1.77, expect: unreachable, count: 1, timeoutSeconds: 60 }\n`);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
