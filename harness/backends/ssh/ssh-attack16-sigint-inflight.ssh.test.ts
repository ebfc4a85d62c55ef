// Sixteenth stranger's attack: Ctrl-C (SIGINT) while a creating command is in flight. The ssh
// connection's exec, once the run's signal is aborted, waits for the program to end and then throws
// the abort's reason whatever the program's exit was: `ip link add` that already made its device
// (exit 0 on the host) is thrown away, SshNode.run never reaches scopeAfterRun/recordMade, and the
// device is owned by nobody. Teardown (in the same, live harness) then leaves it on the host as
// "changed during the run but not by its steps: not ours, left alone". No SIGKILL needed: the
// harness is alive and had the exit status in hand. Now a command interrupted under way owns what
// it would make (SshNode.run), and teardown deletes those of its names that are there.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const ATTEMPTS = 10;

onFreshHosts('Ctrl-C while an `ip link add ... type veth` is in flight: teardown still deletes the device it made', async (hosts) => {
  const outcomes: string[] = [];
  let leaked: string[] = [];
  for (let i = 0; i < ATTEMPTS && leaked.length === 0; i++) {
    const pairs = Array.from({ length: 20 }, (_, k) => [`zq${i}a${String(k).padStart(2, '0')}`, `zq${i}b${String(k).padStart(2, '0')}`] as const);
    const names: string[] = pairs.flat();
    const file = join(hosts.dir, `sigint-${i}.yaml`);
    await writeFile(file, scenarioText('sigint in flight', onNode0(pairs.map(([a, b]) => `ip link add ${a} type veth peer name ${b}`))));
    const child = hosts.startCli([file, '--reporter', 'tap']);
    // Once the steps have made some devices, a moment later, different each attempt (not a wait: where the interrupt lands).
    await pollUntil(async () => ((await linkNames(hosts, 'node0')).filter((n) => names.includes(n)).length >= 2 ? true : undefined), { what: 'the steps to make their first devices', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
    child.kill('SIGINT');
    const run = await child;
    const left = (await linkNames(hosts, 'node0')).filter((n) => names.includes(n));
    outcomes.push(`attempt ${i}: exit ${run.exitCode}, left ${left.join(' ') || 'none'}\n  stderr tail: ${String(run.stderr).slice(-400)}`);
    if (left.length > 0) {
      // The marker went with teardown (nothing of the run's was left, as it counts): clean cannot help.
      const markers = await hosts.onHost('node0', ['sh', '-c', 'ls -A /run/vxlab 2>/dev/null; true']);
      const clean = await hosts.runCli(['clean']);
      const after = (await linkNames(hosts, 'node0')).filter((n) => names.includes(n));
      outcomes.push(`  markers left on node0: ${markers.trim() || 'none'}; clean: exit ${clean.exitCode} ${clean.stdout.trim()} ${clean.stderr.trim()}; still on node0 after clean: ${after.join(' ') || 'none'}`);
      leaked = after;
    }
  }
  expect(leaked, outcomes.join('\n')).toEqual([]);
}, { timeoutMs: 250_000 });
