// Thirteenth stranger's attack (issue 13): around the twelfth's fix (numbers in plain decimal).
// proc_dointvec reads as many integers as the key holds (one for ip_forward) and, under
// kernel.sysctl_writes_strict=1 (the default), ignores the rest: `sysctl -w 'net.ipv4.ip_forward=1 0'`
// writes 1 (procps reports "= 1 0", exit 0; checked in `unshare --net`). Every word is plain
// decimal, so sysctlValueProblem lets it through; the run records "1 0" as the value it writes,
// and theirSysctls (normal(): white space folded, nothing more) reads the 1 found at teardown as
// the host owner's, set since: "not ours, left alone". The host is left forwarding, exit 0.
// Same with any trailing word: `1 junk` writes 1 too (checked in `unshare --net`). The value
// recorded should be what the kernel reads back, or a value with more words than the key holds refused.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a forwarding sysctl written as "1 0" never leaves the host forwarding', async (hosts) => {
  const read = async () => (await hosts.onHost('node0', ['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv4.conf.enp0s8.forwarding'])).trim().split('\n');
  const before = await read();
  const file = join(hosts.dir, 'trailing.yaml');
  await writeFile(file, scenarioText('trailing', onNode0(["sysctl -w 'net.ipv4.ip_forward=1 0'"])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await read();
  const clean = await hosts.runCli(['clean']);
  expect({ before, after }, `exit ${run.exitCode}\n${run.stdout}${run.stderr}\nclean ${clean.exitCode}: ${clean.stdout}${clean.stderr}`).toEqual({ before: ['0', '0', '0'], after: ['0', '0', '0'] });
});
