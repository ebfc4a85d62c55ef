// Twelfth stranger's attack (issue 13): a sysctl value the kernel reads as the same number but
// spelled otherwise (`01`, `0x1`: proc_dointvec reads base 0) was not one of "the values the steps
// write" to theirSysctls (a string compare after white space), so at teardown the key read as set
// since by the host's owner ("not ours, left alone") and was never put back: `sysctl -w
// net.ipv4.ip_forward=01` left the host forwarding between all its interfaces, with exit 0 and
// no leftover named. Now the policy takes numbers in plain decimal only (refused at load, exit 2).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a forwarding sysctl written as 01 never leaves the host forwarding', async (hosts) => {
  const read = async () => (await hosts.onHost('node0', ['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.enp0s8.forwarding'])).trim().split('\n');
  const before = await read();
  const file = join(hosts.dir, 'spelling.yaml');
  await writeFile(file, scenarioText('spelling', onNode0(['sysctl -w net.ipv4.ip_forward=01'])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await read();
  expect({ before, after }, `exit ${run.exitCode}\n${run.stdout}${run.stderr}`).toEqual({ before: ['0', '0', '0'], after: ['0', '0', '0'] });
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toMatch(/spelling\.yaml:8:\d+: .*writes "01" to net\.ipv4\.ip_forward, a number the kernel may read as another/);
});
