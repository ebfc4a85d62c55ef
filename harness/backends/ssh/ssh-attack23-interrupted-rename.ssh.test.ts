// Twenty-third stranger's attack: after Ctrl-C a run owned every name any part of the step under
// way would leave, parts never reached included, so teardown deleted a wg0 the host's owner
// brought up while the step's first part ran (a rename to wg0 that never ran). Now an interrupt
// stops the parts through the channel and the wrapper still says how each ended (execParts); only
// when it cannot (the connection lost) does the host's marker say which names the run holds.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';

/** Step 2's first part runs on node0: step 1's a1 is there (preflight's own reads ran ip before it), and an ip process. */
const monitorRuns = async (hosts: SshdHosts) => (await linkNames(hosts, 'node0')).includes('a1') && (await hosts.processesOn('node0', 'ip')).length > 0;

/**
 * Runs a scenario whose step 2 is one batch, a plain line that blocks (ip monitor) then a rename
 * of the run's a1 to wg0 (a part of its own); `end` acts once the monitor runs and the host's owner
 * has brought up its own wg0 (a VPN's, say: preflight could not see it). The run's end and node0's
 * links after, the owner's wg0 and the run's a1 removed by the test after they are read.
 */
async function interruptedBatch(hosts: SshdHosts, end: (run: ReturnType<SshdHosts['startCli']>) => Promise<void>): Promise<{ exitCode: number | undefined; links: string[]; said: string }> {
  const file = join(hosts.dir, 'rename.yaml');
  await writeFile(file, scenarioText('interrupted rename', onNode0(['ip link add a1 type veth peer name a1p']), onNode0(['ip monitor link', 'ip link set dev a1 name wg0'])));
  const child = hosts.startCli([file, '--reporter', 'tap']);
  let exited = false;
  void child.then(() => (exited = true), () => (exited = true));
  await pollUntil(async () => (exited || (await monitorRuns(hosts)) ? true : undefined), { what: 'step 2\'s ip monitor on node0', timeoutMs: 60_000, maxIntervalMs: 20 });
  expect(exited).toBe(false);
  await hosts.onHost('node0', ['ip', 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0p']);
  await end(child);
  const run = await child;
  const links = await linkNames(hosts, 'node0');
  const said = `run ${run.exitCode}:\n${String(run.stdout)}${String(run.stderr)}\nnode0 links after: ${links.join(' ')}`;
  for (const d of ['wg0', 'a1']) if (links.includes(d)) await hosts.onHost('node0', ['ip', 'link', 'del', d]);
  return { exitCode: run.exitCode, links, said };
}

onFreshHosts('Ctrl-C before a batch\'s rename ran leaves the owner\'s wg0, and the run\'s own device goes', async (hosts) => {
  const { exitCode, links, said } = await interruptedBatch(hosts, async (run) => void run.kill('SIGINT'));
  expect(exitCode, said).toBe(130);
  expect(said).toMatch(/interrupted at step 2 of 2/);
  expect(links, said).toEqual(expect.arrayContaining(['wg0', 'wg0p']));
  expect(links, said).not.toContain('a1');
  expect(links, said).not.toContain('a1p');
}, { timeoutMs: 180_000 });

onFreshHosts('a connection lost during a batch: the run holds what the host\'s marker says, and teardown takes only that', async (hosts) => {
  const { links, said } = await interruptedBatch(hosts, async (run) => {
    // The moment: node0's master connection dies under the batch (its channel's ssh exits 255).
    const master = await execa('pkill', ['-KILL', '-f', `ssh .*-S /tmp/vxlab-ssh-${run.pid}-[^ ]*/m0 .*-M -N`], { reject: false });
    expect(master.exitCode).toBe(0);
  });
  expect(said).toMatch(/not ok .*step 2|step 2.*(failed|broke)|255/);
  expect(links, said).toEqual(expect.arrayContaining(['wg0', 'wg0p']));
  expect(links, said).not.toContain('a1');
  // Nothing of vxlab's is left there, the marker drafts of the wrapper the lost connection ended included.
  expect(await hosts.onHost('node0', ['sh', '-c', 'ls -A /run/vxlab 2>/dev/null; true']), said).toBe('');
}, { timeoutMs: 180_000 });
