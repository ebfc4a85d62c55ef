// Eighteenth stranger's attack (a lead): a file in /run/vxlab that is not a marker vxlab can read
// (cut short, edited by hand) was skipped in silence by preflight and by `clean`, though it may be
// a live run's. Now preflight refuses the host (exit 3) and `clean` names it as not restored.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('a marker vxlab cannot read stops preflight and is named by clean', async (hosts) => {
  await hosts.onHost('node0', ['sh', '-c', 'mkdir -p /run/vxlab && printf "{\\"runId\\": \\"vxcut" > /run/vxlab/vxcut.json']);
  const file = join(hosts.dir, 'plain.yaml');
  await writeFile(file, scenarioText('plain', onNode0(['ip link show dev enp0s8'])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(3);
  expect(run.stdout + run.stderr).toMatch(/node0: \/run\/vxlab\/vxcut\.json on \S+ is not a marker vxlab can read/);
  const clean = await hosts.runCli(['clean']);
  expect(clean.exitCode, clean.stdout + clean.stderr).not.toBe(0);
  expect(clean.stdout + clean.stderr).toMatch(/vxcut\.json is not a marker vxlab can read/);
  // Gone, the host is usable again.
  await hosts.onHost('node0', ['rm', '/run/vxlab/vxcut.json']);
  const again = await hosts.runCli([file, '--reporter', 'tap']);
  expect(again.exitCode, again.stdout + again.stderr).toBe(0);
});
