// Fifteenth stranger's attack: `ip -n ns1 netns add ns3` is planned (node-changes lists ns3, so
// load lets it through; `ip netns exec ns1 ip netns add ns2` is refused at load) but neither the
// host scope nor the run's ownership (scopeAfterRun) follows it: ip creates /run/netns/ns3 in the
// HOST's /run (the bind mount itself stays in ip's own slave mount namespace and dies with it), so
// the host keeps an empty /run/netns/ns3 that `ip netns list` shows, owned by no run: teardown
// says "guest namespace ns3: ... not ours, left alone" and the run passes (exit 0).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

onFreshHosts('namespaces added from inside a guest are gone after the run', async (hosts) => {
  const file = join(hosts.dir, 'nested-netns.yaml');
  await writeFile(file, scenarioText('nested netns', onNode0(['ip netns add ns1', 'ip -n ns1 netns add ns3'])));
  const done = await hosts.runCli([file, '--reporter', 'tap']);
  const evidence = `exit ${done.exitCode}\n${done.stdout}\n${done.stderr}`;
  const list = await hosts.onHost('node0', ['sh', '-c', 'ip netns list; ls -la /run/netns 2>&1; true']);
  expect(list, evidence).not.toMatch(/ns[123]/);
});
