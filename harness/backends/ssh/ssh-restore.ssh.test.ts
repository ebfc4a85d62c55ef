// The third attack's findings on markers, clean and restore (issue 13), closed: each test is a way
// `clean` or teardown undid what was not the dead run's, and now holds.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../scenario/resolve.ts';
import { CLI, stderrUntil } from '../../testing/host.ts';
import { PAUSED } from '../../testing/moments.ts';
import { onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';

const scenario = (steps: string) => scenarioText('restore', steps);


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
  // Said, not silent. The dead run's marker names only what its steps made (none: killed at lab-up),
  // so vxlan0 is another's to it: left alone, and named.
  expect(clean.stderr).toMatch(/device vxlan0: .*not ours, left alone/);
  expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
  // The live run's own teardown still deletes it, and the dead run's marker is gone.
  const after = await hosts.state('node0');
  expect(after.links!.join('\n')).not.toContain('ifname="vxlan0"');
  expect(after.run ?? []).not.toContain('vxlab');
});

onFreshHosts('a hosts file that maps two nodes to one host is refused in preflight (both would keep one marker there)', async (hosts) => {
  // node0's host also has node1's NIC address, so each node alone would pass.
  await hosts.onHost('node0', ['ip', 'addr', 'add', '192.168.8.101/24', 'dev', 'enp0s8']);
  const hostsFile = join(hosts.dir, 'shared.yaml');
  await writeFile(hostsFile, 'ssh_config: ./ssh_config\nnodes:\n  node0: 10.200.0.10\n  node1: 10.200.0.10\n  node2: 10.200.0.12\n');
  const file = join(hosts.dir, 'shared-host.yaml');
  await writeFile(file, scenario('  - node: node0\n    run:\n      - ip link add bra type bridge\n  - node: node1\n    run:\n      - ip link add brb type bridge\n  - node: node2\n    run:\n      - ip link show dev enp0s8\n'));
  const before = await hosts.state('node0');
  const run = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), process.execPath, CLI, file, '--reporter', 'tap', '--backend', 'ssh', '--hosts', hostsFile], {
    cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1' },
  });
  expect(run.exitCode, run.stdout + run.stderr).toBe(3);
  expect(run.stdout + run.stderr).toMatch(/node0 and node1 are one host \(10\.200\.0\.10, 10\.200\.0\.10/);
  expect(await hosts.state('node0')).toEqual(before);
});

