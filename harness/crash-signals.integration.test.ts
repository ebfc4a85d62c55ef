// Interrupts at random moments: SIGINT or SIGTERM always tears the lab down, bails out in TAP
// and exits 130 or 143, wherever in the run it lands.
import { afterAll, describe, expect, it } from 'vitest';
import { hostSnapshot, labResidue, outputUntil, runIdOf, startCli } from './testing/host.ts';
import { busyScenario, delays } from './testing/moments.ts';
import { parseTap } from './testing/tap.ts';

const busy = busyScenario();
afterAll(busy.remove);

describe('SIGINT and SIGTERM at random moments', () => {
  it('tear the lab down, bail out in TAP and exit 130 or 143, 20 times over', async () => {
    const before = await hostSnapshot();
    const failures: string[] = [];
    let i = 0;
    for (const delay of delays(424242, 20, 1000)) {
      const signal = i++ % 2 === 0 ? 'SIGINT' : 'SIGTERM';
      const child = startCli([busy.file, '--reporter', 'tap']);
      // From the first line of TAP on, the run has its handlers; then pick a moment.
      await outputUntil(child, '# vxlab run');
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill(signal);
      const result = await child;
      const stdout = String(result.stdout);
      const lastLine = stdout.trimEnd().split('\n').at(-1);
      const tap = await parseTap(stdout);
      const left = await labResidue(runIdOf(stdout));
      const expectedCode = signal === 'SIGINT' ? 130 : 143;
      if (result.exitCode !== expectedCode || lastLine !== `Bail out! interrupted by ${signal}; the lab was torn down` || tap.extra.length > 0 || left.length > 0) {
        failures.push(`${signal} after ${delay} ms: exit ${result.exitCode}, last line ${JSON.stringify(lastLine)}, extra ${tap.extra.length}, left ${left.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await hostSnapshot()).toEqual(before);
  }, 300_000);
});

