// A learner's way through a lab, on the real kernel: `up --bare`, the tutorial's commands typed
// with `exec` and `shell`, `check`, `status`, `down` (the supervisor itself: learner-supervisor.integration.test.ts).
import { describe, expect, it } from 'vitest';
import { loadScenario } from './scenario/resolve.ts';
import { labResidue, residueAfterPolling, residueOfHarness, startCli } from './testing/host.ts';
import { learnerLabs } from './testing/learner-labs.ts';
import { parseTap } from './testing/tap.ts';
import { tokenize } from './policy/command-line.ts';

const { env, cli, record } = learnerLabs('multicast');

/** The multicast scenario's commands, node by node, as a learner types them. */
async function tutorialCommands(): Promise<{ node: string; text: string }[]> {
  const scenario = await loadScenario('multicast');
  return scenario.steps.flatMap((s) => s.commands.map((c) => ({ node: s.node, text: c.text })));
}

async function typeWithExec(commands: { node: string; text: string }[]): Promise<void> {
  for (const { node, text } of commands) {
    const r = await cli(['exec', 'multicast', node, '--', ...tokenize(text).map((t) => t.value)]);
    expect(r.exitCode, `${node}: ${text}\n${r.stderr}`).toBe(0);
  }
}

describe('up --bare, the tutorial typed with exec, then check', () => {
  it('passes when every command was typed, and down leaves nothing', async () => {
    const up = await cli(['up', 'multicast', '--bare']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('lab multicast is up (bare');
    const { runId, harnessPid } = record();
    // Bare: no step ran, so node0 has no vxlan0 yet.
    const bare = await cli(['exec', 'multicast', 'node0', '--', 'ip', 'link', 'show', 'vxlan0']);
    expect(bare.exitCode).toBe(1);
    expect(bare.stderr).toContain('does not exist');

    await typeWithExec(await tutorialCommands());
    const status = await cli(['status']);
    expect(status.stdout).toMatch(new RegExp(`^multicast +netns +bare +node0,node1,node2 +\\d+ (?:s|min) +${harnessPid}$`, 'm'));

    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode, check.stdout).toBe(0);
    expect(await parseTap(check.stdout)).toMatchObject({ ok: true, pass: 1, fail: 0, extra: [] });
    expect(check.stdout.match(/^ {4}ok \d+ - /gm)).toHaveLength(8);
    // Again: the first check's pings warmed the ARP caches, which `check` empties first, so the
    // capture that counts node0's ARP request still sees it.
    const again = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(again.exitCode, again.stdout).toBe(0);

    const down = await cli(['down', 'multicast']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await residueAfterPolling(() => labResidue(runId), 'the lab to be gone', 5000)).toEqual([]);
    expect(await residueOfHarness(harnessPid)).toEqual([]);
    expect((await cli(['status'])).stdout).toBe('no lab is up (start one with `npm run lab -- up NAME`)\n');
  });

  it('fails with one command left out, and names that command and what it would have made', async () => {
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const { harnessPid } = record();
    const commands = await tutorialCommands();
    const left = commands.findIndex((c) => c.node === 'node2' && c.text === 'ip link set vxlan0 up');
    expect(left).toBeGreaterThan(0);
    await typeWithExec(commands.filter((_, i) => i !== left));

    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode).toBe(1);
    const tap = await parseTap(check.stdout);
    expect(tap.ok).toBe(false);
    expect(check.stdout).toContain('not ok 6 - node0 reaches 10.20.1.4');
    expect(check.stdout).toContain('looks missing:\n        - "node2: `ip link set vxlan0 up` looks missing or wrong: link vxlan0 is down, expected up');
    // Only the command left out is named: every other one left its mark.
    expect(check.stdout.match(/looks missing or wrong/g)?.length).toBe(check.stdout.match(/^ {4}not ok/gm)?.length);
    // The model answer's own lab is gone again.
    await cli(['down', 'multicast']);
    expect(await residueAfterPolling(() => residueOfHarness(harnessPid), 'the labs to be gone', 5000)).toEqual([]);
  });
});

describe('shell and exec', () => {
  it("shell shows the tutorial's prompt and runs each line through the policy; exec refuses what the policy refuses", async () => {
    expect((await cli(['up', 'multicast'])).exitCode).toBe(0);
    const child = startCli(['shell', 'multicast', 'node1'], { env });
    child.stdin?.end('ip -br addr show dev vxlan0\nsudo ip -br link show dev enp0s8\ncat /etc/shadow\nip link show | head\nexit\n');
    const shell = await child;
    expect(String(shell.stdout)).toMatch(/^root@node1:~# vxlan0 +UNKNOWN +10\.20\.1\.3\/24 [^\n]*\nroot@node1:~# enp0s8@\S+ +UP /);
    expect(String(shell.stdout).match(/root@node1:~# /g)).toHaveLength(5);
    expect(String(shell.stderr)).toContain('vxlab refused to run `cat /etc/shadow` on node1: `cat` runs "cat", which is not allowed');
    expect(String(shell.stderr)).toContain('this line has `|` (a pipe or `||` operator)');

    const refused = await cli(['exec', 'multicast', 'node0', '--', 'tcpdump', '-w', '/etc/x', '-i', 'enp0s8']);
    expect(refused.exitCode).toBe(126);
    expect(refused.stderr).toContain('vxlab refused to run');
    // `up` without --bare ran the steps: the checks pass straight away.
    const check = await cli(['check', 'multicast', '--reporter', 'tap']);
    expect(check.exitCode, check.stdout).toBe(0);
  });

  it('says what is wrong with a lab that is not up or a node that does not exist', async () => {
    const none = await cli(['exec', 'multicast', 'node0', '--', 'ip', 'link']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('no lab multicast is up: start it with `npm run lab -- up multicast`');
    expect((await cli(['up', 'multicast', '--bare'])).exitCode).toBe(0);
    const again = await cli(['up', 'multicast', '--bare']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('lab multicast is already up');
    const badNode = await cli(['exec', 'multicast', 'node9', '--', 'ip', 'link']);
    expect(badNode.exitCode).toBe(2);
    expect(badNode.stderr).toContain('lab multicast has no node node9; its nodes: node0, node1, node2');
    const badName = await cli(['exec', '../x', 'node0', '--', 'ip', 'link']);
    expect(badName.exitCode).toBe(2);
  });
});
