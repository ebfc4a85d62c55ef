// `ablate` for real: each scenario is run again without each command (or step) on fresh labs.
// Command by command over three scenarios and a vacuous check found; step by step over the scale
// scenarios is ablate-scale.integration.test.ts, over every tutorial scenario
// ablate-all.integration.test.ts (files of their own, so the integration project's workers run them at once).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SCENARIOS_DIR } from './scenario/resolve.ts';
import { hostSnapshot, runCli } from './testing/host.ts';
import { parseTap, pointsByScenario } from './testing/tap.ts';

describe('ablate', () => {
  it('by command, on three scenarios: every check depends on some command or says why not', async () => {
    const before = await hostSnapshot();
    const started = Date.now();
    const result = await runCli(['ablate', 'p2p', 'dstport-mismatch', 'p2p-mtu', '--reporter', 'tap', '--jobs', '3'], { timeoutMs: 290_000 });
    expect(result.stderr).toBe('');
    expect(await parseTap(result.stdout)).toMatchObject({ ok: true, extra: [] });
    expect(result.exitCode).toBe(0);
    // Without node0's `ip link add`, its other two commands fail and are skipped; every check flips.
    expect(result.stdout).toContain('    # without 1.1 (node0: ip link add vxlan0 type vxlan id 42 dstport 4789 remote 192.168.8.101 local 192.168.8.100 dev enp0s8): checks 1 2 3 4 5 6 fail; also skipped steps[0].run[1], steps[0].run[2]\n');
    // node1's VTEP makes node0's learned fdb entry, and nothing else of node0's.
    expect(result.stdout).toContain("    ok 5 - node0 learned node1's vxlan0 MAC behind node1's underlay address - depends on 1.1\n");
    expect(result.stdout).toMatch(/^ {4}ok 1 - ip addr show dev eth0: the VM's own NIC has MTU 1446 and 10\.10\.10\.11\/24 # SKIP ablation: none: /m);
    expect(Object.keys(pointsByScenario(result.stdout))).toEqual(['p2p', 'dstport-mismatch', 'p2p-mtu']);
    console.log(`ablate by command over 3 scenarios: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await hostSnapshot()).toEqual(before);
  }, 300_000);

  it('finds a vacuous check and exits 1: one no step makes true, unmarked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vxlab-ablate-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'p2p-mtu-unmarked.yaml');
    const text = readFileSync(join(SCENARIOS_DIR, 'p2p-mtu.yaml'), 'utf8');
    writeFileSync(file, text.replace(/\n {4}ablation:\n {6}none: [^\n]*/, ''));
    expect(readFileSync(file, 'utf8')).not.toContain('ablation:');
    const result = await runCli(['ablate', file, '--by', 'step']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("check  1  ip addr show dev eth0: the VM's own NIC has MTU 1446 and 10.10.10.11/24\n          VACUOUS: it passes without any one step, so no step is shown to make it hold\n");
    expect(result.stdout).toMatch(/\nnot ok: 1 vacuous check\n$/);
  }, 120_000);
});
