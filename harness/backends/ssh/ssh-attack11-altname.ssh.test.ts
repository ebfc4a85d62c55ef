// Eleventh stranger's attack (issue 13): the host scope keeps a name after the device that had it
// is gone without a step naming it (a veth's peer goes with `ip link del` of its other end), and
// `ip link property add dev NIC altname NAME` is read with iplink_parse's grammar (the last bare
// word, the altname, taken as the device), so it passes when NAME is such a stale name of the
// run's. The kernel then resolves NAME to the host's NIC: every later step "on a device the steps
// create" (`ip link set dev vb down`, `ip link del vb`, an address, a move to a guest namespace)
// acts on the NIC. Checked by hand in `unshare --net` (kernel 6.18, iproute2 6.1.0): with a veth
// standing in for enp0s8, the four steps below leave enp0s8 DOWN with "altname vb", and a further
// `ip link del vb` deletes enp0s8. With the management interface (mgmt, which carries the ssh
// connection) in its place, node0 stops answering (ssh: No route to host), the run exits 255
// after a 60 s wait and cannot restore node0: the host is stranded.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

for (const device of ['enp0s8', 'mgmt']) {
  onFreshHosts(`a stale name of the run made an altname of the host's ${device} does not give the steps that device`, async (hosts) => {
    const file = join(hosts.dir, 'altname.yaml');
    await writeFile(file, scenarioText('altname', onNode0([
      'ip link add va type veth peer name vb',
      'ip link del va',
      `ip link property add dev ${device} altname vb`,
      'ip link set dev vb down',
    ])));
    const run = await hosts.runCli([file, '--reporter', 'tap']);
    const link = (JSON.parse(await hosts.onHost('node0', ['ip', '-j', 'link', 'show', 'dev', device])) as { flags: string[]; altnames?: string[] }[])[0]!;
    expect({ up: link.flags.includes('UP'), altnames: link.altnames ?? [] }, run.stdout + run.stderr).toEqual({ up: true, altnames: [] });
    // Refused at load: `ip link property` on an ssh host, and vb gone from the scope with va.
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/altname\.yaml:\d+:\d+: steps\[0\]\.run\[2\] `ip link property` adds or removes a device's altnames/);
  });
}
