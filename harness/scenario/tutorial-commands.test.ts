// Every configuration command the tutorials type stands verbatim in some scenario.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarioNames, loadScenario, PROJECT_ROOT } from './resolve.ts';
import { isConfiguration, tutorialCommands } from './tutorial-commands.ts';

const SEEDS = join(PROJECT_ROOT, '..', 'shared', 'seeds');
const FIXTURE = readFileSync(new URL('./fixtures/tutorial-commands.txt', import.meta.url), 'utf8');

function fixtureBySeed(): Map<string, string[]> {
  const bySeed = new Map<string, string[]>();
  let current = '';
  for (const line of FIXTURE.split('\n')) {
    if (line.startsWith('## ')) bySeed.set((current = line.slice(3)), []);
    else if (line && !line.startsWith('#')) bySeed.get(current)!.push(line);
  }
  return bySeed;
}

/** The seed's one typo, corrected as LABS.md asks (and as proxy-arp's explanation says). */
const CORRECTIONS: Record<string, string> = {
  'ip neigh add 192.168.1.4 lladdr 4e:e9:90:34:2e:b5 dev vxlan0': 'ip neigh add 192.168.1.4 lladdr 4e:e9:90:34:2e:b5 dev vxlan1',
};

describe('tutorialCommands', () => {
  it('joins continuation lines and keeps only configuration commands', () => {
    const text = 'root@node0:~# ip link add vxlan0 type vxlan \\\n    id 42 \\\n    dev enp0s8\nroot@node0:~# ping 10.20.1.3\n[root@test-1 ~]# bridge fdb\n[root@test-1 ~]# ip netns exec vm0 ip addr show\n[root@test-1 ~]# ip netns exec vm0 ip link set lo up\n';
    expect(tutorialCommands(text)).toEqual(['ip link add vxlan0 type vxlan id 42 dev enp0s8', 'ip netns exec vm0 ip link set lo up']);
    expect(isConfiguration('bridge fdb append 00:00:00:00:00:00 dev vxlan1 dst 10.10.10.9')).toBe(true);
    expect(isConfiguration('ip route')).toBe(false);
  });

  // CI (.ci/run) sets VXLAB_TUTORIALS=required: missing tutorials then fail instead of skipping.
  it.runIf(process.env.VXLAB_TUTORIALS === 'required')('finds the tutorials in ../shared/seeds (CI requires them)', () => {
    expect(existsSync(SEEDS), `${SEEDS} is missing: clone the tutorials beside the project`).toBe(true);
  });

  it.skipIf(!existsSync(SEEDS))('reads the same commands from ../shared/seeds as the fixture lists', () => {
    const fromSeeds = new Map(readdirSync(SEEDS).sort().map((f) => [f, tutorialCommands(readFileSync(join(SEEDS, f), 'utf8'))]));
    expect(fromSeeds).toEqual(fixtureBySeed());
  });
});

describe('the scenarios', async () => {
  const scenarios = await Promise.all((await listScenarioNames()).map((n) => loadScenario(n)));
  const typed = new Set(scenarios.flatMap((s) => s.steps.flatMap((step) => step.commands.map((c) => c.text))));
  const wanted = [...new Set([...fixtureBySeed().values()].flat())].map((c) => CORRECTIONS[c] ?? c);

  it('list the tutorials\' commands (at least 30 distinct ones)', () => {
    expect(wanted.length).toBeGreaterThanOrEqual(30);
  });

  it.each(wanted)('type `%s` verbatim somewhere', (command) => {
    expect(typed).toContain(command);
  });

  it('say where they corrected the tutorial', () => {
    expect(scenarios.find((s) => s.name === 'proxy-arp')!.explain).toMatch(/`dev vxlan0`, a typo: its device is vxlan1/);
  });
});
