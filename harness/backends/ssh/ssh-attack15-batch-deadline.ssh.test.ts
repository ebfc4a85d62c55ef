// Fifteenth stranger's attack, second trigger of the same hole (ssh-attack15-batch-exit): a batch
// that ends without `Command failed -:N` owns nothing. A step's deadline (or the user's Ctrl-C, or
// SIGTERM) ending a batch mid-way is such an end: exit 130/137, every line that already ran (and
// made devices) is owned by nobody, and teardown leaves those devices on the host as "not ours".
// Here the deadline ends a batch whose last line never ends (`ip monitor link`, let through on
// ssh hosts); no parse error needed.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { linkNames, onFreshHosts, scenarioText } from './testing/fresh-hosts.ts';

const step = `  - node: node0
    timeoutSeconds: 2
    run:
      - ip link add va type veth peer name vb
      - ip monitor link`;

onFreshHosts('a batch ended by the step\'s deadline: teardown still deletes what its earlier lines made', async (hosts) => {
  const file = join(hosts.dir, 'batch-deadline.yaml');
  await writeFile(file, scenarioText('batch deadline', step));
  const done = await hosts.runCli([file, '--reporter', 'tap']);
  const evidence = `exit ${done.exitCode}\n${done.stdout}\n${done.stderr}`;
  const left = (await linkNames(hosts, 'node0')).filter((d) => ['va', 'vb'].includes(d));
  expect(left, evidence).toEqual([]);
});
