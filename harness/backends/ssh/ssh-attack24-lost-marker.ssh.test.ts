// Twenty-fourth stranger's attack: a connection lost during a step whose first part (a rename)
// had run. The wrapper had put the marker naming a2 in place, but the harness could not read it
// then (the host unreachable for longer than its minute of tries), so the run's record kept a1;
// once the host answered, teardown restored from that record and removed the marker, the one
// record naming the run's a2, which stayed for good. Now a lost connection leaves the record
// unsure, and teardown reads the host's marker again first (or leaves the host, marker and all,
// to `clean`).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { stderrUntil } from '../../testing/host.ts';
import { pollUntil } from '../../util/poll.ts';
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a rename whose end a lost connection hid: teardown reads the host\'s marker and takes the run\'s a2', async (hosts) => {
  const file = join(hosts.dir, 'lost-rename.yaml');
  await writeFile(file, scenarioText('lost rename', onNode0(['ip link add a1 type bridge']), onNode0(['ip link set dev a1 name a2', 'ip monitor link'])));
  const child = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_TRACE: '1' } });
  let exited = false;
  void child.then(() => (exited = true), () => (exited = true));
  // The moment: the rename ran (its marker in place) and the batch's monitor blocks.
  await pollUntil(async () => (exited || ((await linkNames(hosts, 'node0')).includes('a2') && (await hosts.processesOn('node0', 'ip')).length > 0) ? true : undefined), { what: 'the rename and the monitor on node0', timeoutMs: 60_000, maxIntervalMs: 20 });
  expect(exited).toBe(false);
  expect(await hosts.onHost('node0', ['sh', '-c', 'cat /run/vxlab/*.json'])).toContain('"a2"');
  const [ns, ...nsArgs] = hosts.inMgmt;
  // node0 drops off the management network and its master dies: the harness cannot read its marker.
  await execa(ns!, [...nsArgs, 'ip', 'link', 'set', 'dev', 'h0m', 'down']);
  const master = await execa('pkill', ['-KILL', '-f', `ssh .*-S /tmp/vxlab-ssh-${child.pid}-[^ ]*/m0 .*-M -N`], { reject: false });
  expect(master.exitCode).toBe(0);
  // Back once the harness has given up reading it and its teardown has begun.
  await stderrUntil(child, 'vxlab trace: teardown');
  await execa(ns!, [...nsArgs, 'ip', 'link', 'set', 'dev', 'h0m', 'up']);
  const run = await child;
  const links = await linkNames(hosts, 'node0');
  const markers = await hosts.onHost('node0', ['sh', '-c', 'ls -A /run/vxlab 2>/dev/null; true']);
  const said = `run ${run.exitCode}:\n${String(run.stdout)}${String(run.stderr)}\nnode0 links after: ${links.join(' ')}\n/run/vxlab after: ${markers || '(empty)'}`;
  for (const d of ['a1', 'a2']) if (links.includes(d)) await hosts.onHost('node0', ['ip', 'link', 'del', d]);
  expect(links, said).not.toContain('a2');
  expect(links, said).not.toContain('a1');
  expect(markers, said).toBe('');
}, { timeoutMs: 240_000 });
