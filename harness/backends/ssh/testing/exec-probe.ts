// Test fixture, run by a test in the management namespace: builds a scenario's lab on the ssh
// hosts without running its steps, runs each given command through the node's own executor (the
// SshNode the runner uses, policy and host scope in front), prints each exit code and stderr as
// JSON on stdout, and tears the lab down. Usage: exec-probe.ts HOSTS SCENARIO '[[node, argv], ...]'
import { nodeChanges } from '../../../lab/node-changes.ts';
import { loadScenario } from '../../../scenario/resolve.ts';
import { newRunId } from '../../../util/run-id.ts';
import { createBackend } from '../../registry.ts';

const [hosts, name, commands] = process.argv.slice(2);
const backend = await createBackend('ssh', { hosts: hosts! });
const scenario = await loadScenario(name!, { onHosts: true });
const changes = nodeChanges(scenario);
await backend.preflight?.([{ lab: scenario.lab, changes }]);
const lab = await backend.up(scenario.lab, { runId: newRunId(), changes });
const results: { exitCode: number | undefined; stderr: string }[] = [];
try {
  for (const [node, argv] of JSON.parse(commands!) as [string, string[]][]) {
    const r = await lab.node(node).exec(argv);
    results.push({ exitCode: r.exitCode, stderr: r.stderr });
  }
} finally {
  await lab.down();
}
process.stdout.write(JSON.stringify(results));
