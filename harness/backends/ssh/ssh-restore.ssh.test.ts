// The third attack's findings on markers, clean and restore (issue 13), closed: each test is a way
// `clean` or teardown undid what was not the dead run's, and now holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../scenario/resolve.ts';
import { stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

/** One sshd lab per test: a restore that undid the wrong thing would break its hosts. */
function onFreshHosts(title: string, body: (hosts: SshdHosts) => Promise<void>): void {
  describe.skipIf(missing !== undefined)(title, () => {
    let hosts: SshdHosts;
    beforeAll(async () => {
      hosts = await SshdHosts.build(await loadLab('three-nodes'));
    });
    afterAll(() => hosts?.stop());
    it('holds', () => body(hosts));
  });
}

onFreshHosts('`clean` for a dead run does not delete a live run\'s device that has the same name (the dead run never made it)', async (hosts) => {
  // A run killed after its markers were written, before its steps made vxlan0.
  const dead = hosts.startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'lab-up' } });
  await stderrUntil(dead, PAUSED);
  dead.kill('SIGKILL');
  await dead;
  // Another run of the same scenario, live and holding between its steps (node0's vxlan0 made).
  const live = hosts.startCli(['p2p', '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  await stderrUntil(live, PAUSED);
  const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
  const links = (await hosts.state('node0')).links!.join('\n');
  live.kill('SIGINT');
  const run = await live;
  expect(links, clean.stdout + clean.stderr + String(run.stderr)).toContain('ifname="vxlan0"');
  // Said, not silent: what the dead run's restore left to the live run.
  expect(clean.stderr).toMatch(/device vxlan0.*live run.*skipped/);
  expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
  // The live run's own teardown still deletes it, and the dead run's marker is gone.
  const after = await hosts.state('node0');
  expect(after.links!.join('\n')).not.toContain('ifname="vxlan0"');
  expect(after.run ?? []).not.toContain('vxlab');
});
