// Twenty-second stranger's attack: Ctrl-C while a step deletes devices. An interrupted command
// (or batch) owned what it would leave on success, which for a delete drops the name: a delete
// the host never ran left its device, called "not ours" by teardown and unknown to clean. Now a
// command whose outcome is unknown owns every name before and after it (backend.ts everyName).
// Shown for a batch (one step, one round trip: SshNode.runParts) and for lone deletes (runNaming).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { pollUntil } from '../../util/poll.ts';
import type { SshdHosts } from './testing/sshd-hosts.ts';
import { linkNames, onFreshHosts, onNode0, scenarioText } from './testing/fresh-hosts.ts';

const ATTEMPTS = 4;

/** Runs each attempt's scenario, Ctrl-C once its deletes have begun; what each left on node0 of its veths. */
async function interruptedWhileDeleting(hosts: SshdHosts, scenario: (ends: string[]) => string, deleting: (step: number) => boolean): Promise<{ interrupted: number; left: string[]; said: string }> {
  const said: string[] = [];
  let interrupted = 0;
  const left: string[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const ends = Array.from({ length: 20 }, (_, k) => `zd${i}x${String(k).padStart(2, '0')}`);
    const names = ends.flatMap((n) => [n, `${n}p`]);
    const file = join(hosts.dir, `sigint-del-${i}.yaml`);
    await writeFile(file, scenario(ends));
    const child = hosts.startCli([file, '--reporter', 'tap']);
    let most = 0;
    let exited = false;
    void child.then(() => (exited = true), () => (exited = true));
    // The moment: every pair made, and some of them deleted already.
    await pollUntil(async () => {
      if (exited) return true;
      const n = (await linkNames(hosts, 'node0')).filter((x) => names.includes(x)).length;
      most = Math.max(most, n);
      return most === names.length && n <= most - 4 ? true : undefined;
    }, { what: 'the steps to delete their first devices', timeoutMs: 60_000, maxIntervalMs: 5 });
    if (!exited) child.kill('SIGINT');
    const run = await child;
    // The moment this is about: Ctrl-C with a step that deletes under way.
    const at = /interrupted at step (\d+) of/.exec(String(run.stdout) + String(run.stderr));
    if (run.exitCode === 130 && at && deleting(Number(at[1]))) interrupted++;
    const after = (await linkNames(hosts, 'node0')).filter((n) => names.includes(n));
    said.push(`attempt ${i}: exit ${run.exitCode}, left ${after.join(' ') || 'none'}\n${String(run.stdout).slice(-1500)}${String(run.stderr).slice(-1500)}`);
    left.push(...after);
    for (const n of after.filter((x) => !x.endsWith('p'))) await hosts.onHost('node0', ['ip', 'link', 'del', n]);
  }
  return { interrupted, left, said: said.join('\n') };
}

onFreshHosts('Ctrl-C during a batch that makes then deletes devices leaves none of them', async (hosts) => {
  // One step, one round trip: twenty pairs made, ten deleted, then a line that blocks (ip monitor),
  // then the other ten deletes, which never run: the ten pairs left are the run's all the same.
  const ends = Array.from({ length: 20 }, (_, k) => `zb${String(k).padStart(2, '0')}`);
  const names = ends.flatMap((n) => [n, `${n}p`]);
  const file = join(hosts.dir, 'sigint-batch.yaml');
  const lines = [...ends.map((n) => `ip link add ${n} type veth peer name ${n}p`), ...ends.slice(0, 10).map((n) => `ip link del ${n}`), 'ip monitor link', ...ends.slice(10).map((n) => `ip link del ${n}`)];
  await writeFile(file, scenarioText('sigint in a batch', onNode0(lines)));
  const child = hosts.startCli([file, '--reporter', 'tap']);
  let exited = false;
  void child.then(() => (exited = true), () => (exited = true));
  // The moment: the first ten deleted, the monitor running (its ip process), the rest not yet.
  await pollUntil(async () => {
    if (exited) return true;
    const n = (await linkNames(hosts, 'node0')).filter((x) => names.includes(x)).length;
    return n === 20 && (await hosts.processesOn('node0', 'ip')).length > 0 ? true : undefined;
  }, { what: 'the batch\'s first deletes and its monitor', timeoutMs: 60_000, maxIntervalMs: 10 });
  expect(exited).toBe(false);
  child.kill('SIGINT');
  const run = await child;
  const left = (await linkNames(hosts, 'node0')).filter((n) => names.includes(n));
  const said = `exit ${run.exitCode}, left ${left.join(' ') || 'none'}\n${String(run.stdout)}${String(run.stderr)}`;
  for (const n of left.filter((x) => !x.endsWith('p'))) await hosts.onHost('node0', ['ip', 'link', 'del', n]);
  expect(run.exitCode, said).toBe(130);
  expect(left, said).toEqual([]);
}, { timeoutMs: 180_000 });

onFreshHosts('Ctrl-C during a lone `ip link del` step leaves none of the devices', async (hosts) => {
  const r = await interruptedWhileDeleting(hosts, (ends) => scenarioText('sigint lone delete in flight', ...ends.map((n) => onNode0([`ip link add ${n} type veth peer name ${n}p`])), ...ends.map((n) => onNode0([`ip link del ${n}`]))), (step) => step > 20);
  expect(r.interrupted, r.said).toBeGreaterThan(0);
  expect(r.left, r.said).toEqual([]);
}, { timeoutMs: 300_000 });
