// The ssh backend for real: Debian's sshd in namespaces this test builds (testing/sshd-hosts.ts),
// the real ssh client, the harness itself run in the management namespace. Every scenario gives
// the same TAP, check for check, as on the netns backend; every host comes back as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPromise } from 'execa';
import { execa } from 'execa';
import { loadLab, loadScenario, listScenarioNames, PROJECT_ROOT } from '../../scenario/resolve.ts';
import { CLI, hostSnapshot, runCli } from '../../testing/host.ts';
import { failingPoints, parseTap, pointsByScenario } from '../../testing/tap.ts';
import { SshdHosts, sshdMissing } from './testing/sshd-hosts.ts';

const missing = await sshdMissing();

describe('the test sshd', () => {
  it.runIf(process.env.VXLAB_SSH_TESTS === 'required')('is installed (CI requires the ssh tests to run)', () => {
    expect(missing).toBeUndefined();
  });
});

/** The CLI in the hosts' management namespace, where the harness reaches them. */
function startSshCli(hosts: SshdHosts, args: string[]): ResultPromise<{ reject: false }> {
  return execa(hosts.inMgmt[0]!, [...hosts.inMgmt.slice(1), process.execPath, CLI, ...args, '--backend', 'ssh', '--hosts', hosts.hostsFile], {
    cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1' }, stripFinalNewline: false, timeout: 280_000,
  }) as ResultPromise<{ reject: false }>;
}

async function runSshCli(hosts: SshdHosts, args: string[]) {
  const r = await startSshCli(hosts, args);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function scenariosOf(lab: string): Promise<string[]> {
  const names = await listScenarioNames();
  const labs = await Promise.all(names.map(async (n) => (await loadScenario(n)).lab.name));
  return names.filter((_, i) => labs[i] === lab);
}

const rootBefore = missing ? undefined : await hostSnapshot();
afterAll(async () => {
  if (rootBefore) expect(await hostSnapshot()).toEqual(rootBefore);
});

describe.skipIf(missing !== undefined).each(['three-nodes', 'two-vms', 'three-vms'])('the ssh backend on %s hosts', (labName) => {
  let hosts: SshdHosts;
  beforeAll(async () => {
    hosts = await SshdHosts.build(await loadLab(labName));
  });
  afterAll(() => hosts?.stop());

  it('gives every scenario of the lab the same results as the netns backend, check for check, and restores every host', async () => {
    const names = await scenariosOf(labName);
    expect(names.length).toBeGreaterThan(0);
    const before = await hosts.states();
    const [netns, ssh] = await Promise.all([runCli([...names, '--reporter', 'tap']), runSshCli(hosts, [...names, '--reporter', 'tap'])]);
    // Either side's failing points with their evidence, before the two are compared point by point.
    expect({ netns: failingPoints(netns.stdout), ssh: failingPoints(ssh.stdout) }).toEqual({ netns: [], ssh: [] });
    expect(ssh.stdout).toMatch(/^# vxlab run vx[0-9a-f]+ on the ssh backend$/m);
    expect(await parseTap(ssh.stdout)).toMatchObject({ ok: true, fail: 0, extra: [] });
    const fromNetns = pointsByScenario(netns.stdout);
    expect(Object.keys(fromNetns)).toEqual(names);
    expect(pointsByScenario(ssh.stdout)).toEqual(fromNetns);
    expect([netns.exitCode, ssh.exitCode]).toEqual([0, 0]);
    // Nothing the steps do shows up as another tool's change (a side effect on the NIC would, and would stay).
    expect(ssh.stderr).not.toMatch(/not ours/);
    expect(await hosts.states()).toEqual(before);
  }, 300_000);
});
