// Helpers of the ssh tests that attack or restore hosts: a scenario file's text around some steps,
// and a fresh set of sshd hosts per test, since one that got through or undid the wrong thing
// would break the hosts it ran on.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../../scenario/resolve.ts';
import { stderrUntil } from '../../../testing/host.ts';
import { PAUSED } from '../../../testing/moments.ts';
import { SshdHosts, sshdMissing } from './sshd-hosts.ts';

const missing = await sshdMissing();

type HostsOptions = NonNullable<Parameters<typeof SshdHosts.build>[1]>;

/** A three-nodes scenario with these steps (YAML, from `  - node:` on; several joined by lines) and one ping check. */
export const scenarioText = (title: string, ...steps: string[]) => `lab: three-nodes
title: ${title}
tutorial: none
explain: none
steps:
${steps.join('\n')}
checks:
  - ping: { from: node0, to: 192.168.8.101 }
`;

/** The steps' YAML for commands run on one node. */
export const onNode = (node: string, run: readonly string[]) => `  - node: ${node}\n    run:\n${run.map((line) => `      - ${line}\n`).join('').trimEnd()}`;

/** The steps' YAML for commands run on node0. */
export const onNode0 = (run: readonly string[]) => onNode('node0', run);

/** One test on sshd hosts of its own, built before it and stopped after. */
export function onFreshHosts(title: string, body: (hosts: SshdHosts) => Promise<void>, options: HostsOptions & { timeoutMs?: number } = {}): void {
  const { timeoutMs, ...build } = options;
  describe.skipIf(missing !== undefined)(title, () => {
    let hosts: SshdHosts;
    beforeAll(async () => {
      hosts = await SshdHosts.build(await loadLab('three-nodes'), build);
    });
    afterAll(() => hosts?.stop());
    it('holds', () => body(hosts), timeoutMs);
  });
}

/** Whether a run started with VXLAB_PAUSE_AT got to its moment (false: it ended first). */
export const heldAtMoment = (child: ReturnType<SshdHosts['startCli']>): Promise<boolean> =>
  Promise.race([stderrUntil(child, PAUSED).then(() => true), child.then(() => false)]);

/** The names of a host's links in its own namespace. */
export async function linkNames(hosts: SshdHosts, node: string): Promise<string[]> {
  return (JSON.parse(await hosts.onHost(node, ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
}

/** A host's MAC address on one of its links. */
export async function macOf(hosts: SshdHosts, node: string, dev: string): Promise<string> {
  return (JSON.parse(await hosts.onHost(node, ['ip', '-j', 'link', 'show', 'dev', dev])) as { address: string }[])[0]!.address;
}

/** The port of the lab switch (br0, in the management namespace) it has learned a MAC address behind; `none` if it has not. */
export async function switchPortOf(hosts: SshdHosts, mac: string): Promise<string> {
  const r = await execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), 'bridge', '-j', 'fdb', 'show', 'br', 'br0'], { reject: false });
  return (JSON.parse(String(r.stdout) || '[]') as { mac: string; ifname: string }[]).find((f) => f.mac === mac)?.ifname ?? 'none';
}

/** The device a host's routing sends packets for this address out of. */
export async function routeDev(hosts: SshdHosts, node: string, address: string): Promise<string> {
  return (JSON.parse(await hosts.onHost(node, ['ip', '-j', 'route', 'get', address])) as { dev: string }[])[0]!.dev;
}

/**
 * Two tests that a wg0 the host's owner brings up (a stand-in for a VPN's tunnel) outlives a run
 * whose steps name a wg0 that is not the host's: the run held at step 2, then SIGTERM (the owner's
 * wg0 made while it is held), or SIGKILL and `clean` (the owner's wg0 made in between).
 */
export function ownersWg0Survives(what: string, steps: string): void {
  const ownersWg0 = (hosts: SshdHosts) => hosts.onHost('node0', ['ip', 'link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0p']);
  const after = async (hosts: SshdHosts, end: (run: ReturnType<SshdHosts['startCli']>) => Promise<string>) => {
    const file = join(hosts.dir, 'wg0.yaml');
    await writeFile(file, steps);
    const run = hosts.startCli([file, '--reporter', 'tap'], { env: { VXLAB_PAUSE_AT: 'step:2' } });
    expect(await heldAtMoment(run)).toBe(true);
    const evidence = await end(run);
    const links = await linkNames(hosts, 'node0');
    const left = ['wg0', 'wg0p'].filter((d) => links.includes(d));
    if (left.length > 0) await hosts.onHost('node0', ['ip', 'link', 'del', 'wg0']);
    expect(left, evidence).toEqual(['wg0', 'wg0p']);
  };
  onFreshHosts(`the run's own teardown leaves another tool's wg0 made while it ran (${what})`, (hosts) =>
    after(hosts, async (run) => {
      await ownersWg0(hosts);
      run.kill('SIGTERM');
      const done = await run;
      return String(done.stdout) + String(done.stderr);
    }));
  onFreshHosts(`clean after a SIGKILL leaves another tool's wg0 made since (${what})`, (hosts) =>
    after(hosts, async (run) => {
      run.kill('SIGKILL');
      await run;
      await ownersWg0(hosts);
      const clean = await hosts.runCli(['clean', '--backend', 'ssh', '--hosts', hosts.hostsFile], { ssh: false });
      return clean.stdout + clean.stderr;
    }));
}

/**
 * Runs a scenario file on the hosts, then `clean`, and reads node0's links before, after the run
 * and after clean; `said` is both commands' exits and output, for messages.
 */
export async function runThenClean(hosts: SshdHosts, file: string): Promise<{ exitCode: number | undefined; before: string[]; after: string[]; afterClean: string[]; said: string }> {
  const before = await linkNames(hosts, 'node0');
  const run = await hosts.runCli([file, '--reporter', 'tap']);
  const after = await linkNames(hosts, 'node0');
  const clean = await hosts.runCli(['clean']);
  const afterClean = await linkNames(hosts, 'node0');
  const said = `run ${run.exitCode}:\n${run.stdout}${run.stderr}\nclean ${clean.exitCode}:\n${clean.stdout}${clean.stderr}`;
  return { exitCode: run.exitCode, before, after, afterClean, said };
}

/**
 * One test on fresh hosts: each case's steps (on node0; node1 only reads) are refused at load,
 * exit 2 with its reason, and `stateOf` (what the steps would have changed) reads the same after
 * each as before any.
 */
export function refusedAtLoad(title: string, cases: readonly (readonly [string, readonly string[], RegExp])[], stateOf: (hosts: SshdHosts) => Promise<string>, options: HostsOptions & { timeoutMs?: number } = {}): void {
  onFreshHosts(title, async (hosts) => {
    const before = await stateOf(hosts);
    for (const [what, steps, reason] of cases) {
      const file = join(hosts.dir, 'refused.yaml');
      await writeFile(file, scenarioText(what, onNode0(steps), onNode('node1', ['ip link show dev enp0s8'])));
      const run = await hosts.runCli([file, '--reporter', 'tap']);
      const said = `${what}: exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
      expect(run.exitCode, said).toBe(2);
      expect(run.stderr, said).toMatch(reason);
      expect(await stateOf(hosts), said).toBe(before);
    }
  }, { timeoutMs: 120_000, ...options });
}
