// Fifteenth stranger's attack, the other way round: some iproute2 commands end the whole process
// with exit(0) from inside a batch: `ip maddr add|del` (ipmaddr.c: the ioctl, then exit(0)),
// `ip link xstats type bridge|bond help`. The batch's later lines never run, yet the batch exits 0,
// so scopeAfterRun counts every line as done: the run owns `wg0`, which it never made (the step
// even passes). A wg0 another tool (a VPN) brings up afterwards is deleted by the run's teardown,
// or by `clean` after a SIGKILL (the marker was rewritten with wg0): the fourteenth attack's
// planned-name hole, back through the ownership that closed it. (As found; now each batch line
// that makes a name runs alone on ssh hosts, and the tests below show the run owns what it made.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { heldAtMoment, linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

const steps = scenarioText('batch exit 0', onNode0(['ip link add va type veth peer name vb', 'ip maddr add 01:00:5e:00:00:01 dev va', 'ip link add wg0 type veth peer name wg0x']), onNode0(['ip link show dev va']));

/** Runs the steps held at step 2, then `end`; whether the run had made wg0 while held, and what is left of it after. */
async function after(hosts: SshdHosts, end: (run: ReturnType<SshdHosts['startCli']>) => Promise<string>) {
  const file = join(hosts.dir, 'exit0.yaml');
  await writeFile(file, steps);
  const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
  expect(await heldAtMoment(run)).toBe(true);
  const madeByRun = (await linkNames(hosts, 'node0')).includes('wg0');
  const evidence = await end(run);
  const links = await linkNames(hosts, 'node0');
  return { madeByRun, left: ['va', 'vb', 'wg0', 'wg0x'].filter((d) => links.includes(d)), evidence };
}

// Fixed: on ssh hosts a batch line that makes a name runs alone (batchParts), so `ip maddr`'s
// exit(0) no longer swallows the lines after it: wg0 is the run's for real, and what the run
// owns is what is there, deleted at teardown and by clean alike.
onFreshHosts('a batch line after one that ends ip with exit 0 still runs, and the run owns and deletes what it made (teardown)', async (hosts) => {
  const { madeByRun, left, evidence } = await after(hosts, async (run) => {
    run.kill('SIGTERM');
    const done = await run;
    return String(done.stdout) + String(done.stderr);
  });
  expect({ madeByRun, left }, evidence).toEqual({ madeByRun: true, left: [] });
});

onFreshHosts('a batch line after one that ends ip with exit 0 still runs, and the run owns and deletes what it made (clean after a SIGKILL)', async (hosts) => {
  const { madeByRun, left, evidence } = await after(hosts, async (run) => {
    run.kill('SIGKILL');
    await run;
    const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
    return clean.stdout + clean.stderr;
  });
  expect({ madeByRun, left }, evidence).toEqual({ madeByRun: true, left: [] });
});
