// Eleventh stranger's attack (issue 13), the strand variant of ssh-attack11-altname.ssh.test.ts:
// the same four steps with the management interface (mgmt, which carries the ssh connection)
// in place of the lab NIC. The steps are let through; node0 stops answering (ssh: No route to
// host), the run exits 255 after a 60 s wait and cannot restore node0: the host is stranded.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('strand: a stale name made an altname of mgmt does not give the steps the NIC', async (hosts) => {
  const file = join(hosts.dir, 'altname.yaml');
  await writeFile(file, scenarioText('altname', onNode0([
    'ip link add va type veth peer name vb',
    'ip link del va',
    'ip link property add dev mgmt altname vb',
    'ip link set dev vb down',
  ])));
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const nic = (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'dev', 'mgmt'])) as { flags: string[]; altnames?: string[] }[])[0]!;
  expect({ up: nic.flags.includes('UP'), altnames: nic.altnames ?? [] }, run.stdout + run.stderr).toEqual({ up: true, altnames: [] });
});
