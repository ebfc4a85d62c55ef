// Interrupts at named moments: SIGINT or SIGTERM always tears the lab down, ends the scenario's
// subtest not ok naming where it landed, bails out in TAP and exits 130 or 143.
import { describe, expect, it } from 'vitest';
import { hostSnapshot, labResidue, runIdOf, startCli, stderrUntil } from './testing/host.ts';
import { MOMENTS, PAUSED, pausedRun } from './testing/moments.ts';
import { parseTap } from './testing/tap.ts';

describe('SIGINT and SIGTERM at named moments', () => {
  it.each(MOMENTS.flatMap((m) => (['SIGINT', 'SIGTERM'] as const).map((signal) => ({ ...m, signal }))))(
    '$signal at $pauseAt: the subtest ends not ok naming the moment, TAP bails out, the lab is torn down',
    async ({ pauseAt, trace, points, signal }) => {
      const before = await hostSnapshot();
      const { child } = await pausedRun(pauseAt, trace);
      child.kill(signal);
      const result = await child;
      const stdout = String(result.stdout);
      const where = trace.slice(trace.indexOf(': ') + 2);
      expect(result.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(stdout).toContain(`    not ok ${points + 1} - interrupted ${where}\n`);
      expect(stdout).toMatch(new RegExp(`\n {4}1\\.\\.${points + 1}\nnot ok 1 - p2p\nBail out! interrupted by ${signal}; the lab was torn down\n$`));
      // A strict parser reads it as failed, also one that ignores the bail-out.
      expect(await parseTap(stdout)).toMatchObject({ ok: false, bailout: `interrupted by ${signal}; the lab was torn down`, extra: [] });
      expect(await parseTap(stdout.replace(/^Bail out!.*\n/m, ''))).toMatchObject({ ok: false, extra: [] });
      expect(await labResidue(runIdOf(stdout))).toEqual([]);
      expect(await hostSnapshot()).toEqual(before);
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)('%s before the CLI was even loaded: the entry kept it, and the run bails out in TAP', async (signal) => {
    const child = startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'load' } });
    expect((await stderrUntil(child, PAUSED)).trimEnd()).toBe(`vxlab trace: load: before the CLI was loaded${PAUSED.trimEnd()}`);
    child.kill(signal);
    const result = await child;
    expect(result.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(String(result.stdout)).toBe(`TAP version 14\nBail out! interrupted by ${signal}; the lab was torn down\n`);
  });

  it('before the run began: still TAP, read as failed, ending with Bail out!', async () => {
    const child = startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'start' } });
    expect((await stderrUntil(child, PAUSED)).trimEnd()).toBe(`vxlab trace: start p2p: before the run began${PAUSED.trimEnd()}`);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(String(result.stdout)).toBe('TAP version 14\nBail out! interrupted by SIGTERM; the lab was torn down\n');
    expect(await parseTap(String(result.stdout))).toMatchObject({ ok: false, bailout: 'interrupted by SIGTERM; the lab was torn down', extra: [] });
  });
});

