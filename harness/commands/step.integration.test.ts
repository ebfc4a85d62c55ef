// --step on a real lab: after each step the run shows what changed on the node and waits for
// Enter; nothing further happens until a line arrives on stdin.
import { describe, expect, it } from 'vitest';
import { parseTap } from '../testing/tap.ts';
import { labResidue, runIdOf, startCli } from '../testing/host.ts';
import { pollUntil } from '../util/poll.ts';

const PROMPT = 'press Enter for the next step\n';
const count = (text: string, part: string) => text.split(part).length - 1;

describe('npm run lab -- p2p --step', () => {
  it('pauses after each step until Enter and shows what the step added on its node', async () => {
    const child = startCli(['p2p', '--step', '--reporter', 'tap']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const prompts = (n: number) => pollUntil(() => (count(stderr, PROMPT) >= n ? true : undefined), { what: `prompt ${n}`, timeoutMs: 60_000 });

    await prompts(1);
    // Paused: step 2 has not run, and no check has.
    expect(stderr).not.toContain('step 2 changed');
    expect(stdout).not.toMatch(/ok 1 - /);
    expect(stderr).toContain('step 1 changed on node0:\n  link:\n    + dev vxlan0 mtu 1450 ');
    expect(stderr).toMatch(/kind vxlan vxlan \{id 42 remote 192\.168\.8\.101 local 192\.168\.8\.100 dev enp0s8 port 4789 /);
    expect(stderr).toMatch(/addr:\n(?: {4}\+ .*\n)*? {4}\+ dev vxlan0 .*address 10\.20\.1\.2\/24 family inet scope global\n/);
    expect(stderr).toContain('  fdb:\n    + mac 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.101 via enp0s8 state permanent flags self\n');

    child.stdin!.write('\n');
    await prompts(2);
    expect(stderr).toContain('step 2 changed on node1:');
    expect(stderr).toContain('    + mac 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.100 via enp0s8 state permanent flags self\n');
    expect(stdout).not.toMatch(/ok 1 - /);

    child.stdin!.end('\n');
    const result = await child;
    expect(await parseTap(String(result.stdout))).toMatchObject({ ok: true, fail: 0 });
    expect(result.exitCode).toBe(0);
    expect(await labResidue(runIdOf(String(result.stdout)))).toEqual([]);
  });

  it('with stdin at its end, goes on without waiting, and shows what moved into a guest namespace', async () => {
    const child = startCli(['bridge-netns', '--step', '--reporter', 'tap']);
    child.stdin!.end();
    const result = await child;
    const stderr = String(result.stderr);
    expect(stderr).toContain('step 2 changed on test-2:');
    // The veth moved into vm0 shows up there, renamed, with its address; veth1 became a port of br0.
    expect(stderr).toMatch(/netns vm0 addr:\n(?: {4}[-+] .*\n)*? {4}\+ dev eth0 .*address 192\.168\.1\.3\/24 family inet scope global\n/);
    expect(stderr).toMatch(/ {2}link:\n(?: {4}[-+] .*\n)*? {4}\+ dev veth1 .*master br0/);
    expect(result.exitCode).toBe(0);
  });

  it('Ctrl-C while it waits tears the lab down and exits 130', async () => {
    const child = startCli(['multicast', '--step', '--reporter', 'tap']);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await pollUntil(() => (stderr.includes(PROMPT) ? true : undefined), { what: 'the first prompt', timeoutMs: 60_000 });
    child.kill('SIGINT');
    const result = await child;
    expect(String(result.stdout)).toContain('Bail out! interrupted by SIGINT; the lab was torn down');
    expect(result.exitCode).toBe(130);
    expect(await labResidue(runIdOf(String(result.stdout)))).toEqual([]);
  });
});
