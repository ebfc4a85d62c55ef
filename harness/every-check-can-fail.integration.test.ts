// Issue 11 on the real kernel: what a capture decodes and judges, and what a lacks needs, in
// whole scenario runs. Each scenario is p2p, changed where the point is made.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCENARIOS_DIR } from './scenario/resolve.ts';
import { hostSnapshot, labResidue, runCli, runIdOf } from './testing/host.ts';
import { parseTap } from './testing/tap.ts';

const work = mkdtempSync(join(tmpdir(), 'vxlab-checks-'));
const P2P = readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8');

function scenario(name: string, text: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** p2p's steps with `checks` of our own. */
const p2pWith = (checks: string) => `${P2P.slice(0, P2P.indexOf('checks:'))}checks:\n${checks}`;

afterAll(() => rmSync(work, { recursive: true, force: true }));

let before: Record<string, unknown>;
beforeEach(async () => {
  before = await hostSnapshot();
});
afterEach(async () => {
  expect(await hostSnapshot()).toEqual(before);
});

describe('VXLAN is decoded on the port the lab uses', () => {
  it('p2p moved to UDP 4790 still sees its ARP and ICMP inside VNI 42, and the run passes', async () => {
    const file = scenario('p2p-on-4790', P2P.replaceAll('4789', '4790'));
    expect(readFileSync(file, 'utf8')).toContain('dstport 4790 remote 192.168.8.101');
    const result = await runCli([file, '--reporter', 'tap']);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(result.stdout).toMatch(/ {4}ok 2 - the first ping's ARP request, ARP reply and ICMP echo cross the underlay in VXLAN VNI 42 on UDP 4790\n/);
    expect(result.exitCode, result.stdout).toBe(0);
  });
});

describe('during is judged', () => {
  it('a command that fails and a ping against its expect each fail their capture, with output', async () => {
    const witness = '      expect:\n        - that: the ARP request\n          match: { vxlan: { vni: 42 }, inner: { arp: { op: request } } }\n          count: { min: 1 }\n';
    const file = scenario('p2p-during', p2pWith(
      '  - name: a flush of a device that does not exist\n    capture:\n      node: node1\n      interface: enp0s8\n      filter: udp port 4789\n      during:\n'
      + '        - run: { node: node0, commands: ["ip neigh flush dev vxlan9"] }\n        - ping: { from: node0, to: 10.20.1.3, count: 1 }\n' + witness
      + '  - name: a ping to node2, which p2p never set up, expected to be answered\n    capture:\n      node: node1\n      interface: enp0s8\n      filter: udp port 4789\n      during:\n'
      + '        - run: { node: node0, commands: ["ip neigh flush dev vxlan0"] }\n        - ping: { from: node0, to: 10.20.1.3, count: 1 }\n        - ping: { from: node0, to: 10.20.1.4, count: 1, timeoutSeconds: 1 }\n' + witness,
    ));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(result.exitCode, result.stdout).toBe(1);
    expect(await parseTap(result.stdout)).toMatchObject({ ok: false, extra: [] });
    expect(result.stdout).toMatch(/ {4}not ok 1 - a flush of a device that does not exist\n {6}---\n {6}message: 'during: node0: ip neigh flush dev vxlan9 failed with exit code \d+: Cannot find device "vxlan9"'/);
    expect(result.stdout).toMatch(/ {4}not ok 2 - a ping to node2[^\n]*\n {6}---\n {6}message: "during: ping from node0 to 10\.20\.1\.4 expected 1 replies from 10\.20\.1\.4, got 0 of \d+ echo requests answered"\n/);
    expect(result.stdout).toMatch(/ {6}output: \|-\n {8}PING 10\.20\.1\.4 \(10\.20\.1\.4\) 56\(84\) bytes of data\.\n/);
  });
});

describe('lacks needs what it is about', () => {
  it('fails when its device does not exist, where it used to hold for lack of entries', async () => {
    const file = scenario('p2p-lacks-gone', p2pWith(
      '  - name: vxlan9 has no remote\n    state:\n      node: node0\n      link:\n        contains: [ { dev: vxlan0 } ]\n        lacks: [ { dev: vxlan9, vxlan: { remote: 192.168.8.102 } } ]\n'
      + '  - name: vxlan0 has no remote 192.168.8.102, all through its window\n    state:\n      node: node0\n      link:\n        contains: [ { dev: vxlan0 } ]\n        lacks: [ { dev: vxlan0, vxlan: { remote: 192.168.8.102 } } ]\n',
    ));
    const result = await runCli([file, '--reporter', 'tap']);
    expect(await labResidue(runIdOf(result.stdout))).toEqual([]);
    expect(result.stdout).toMatch(/ {4}not ok 1 - vxlan9 has no remote\n {6}---\n {6}message: "no entry of device vxlan9: the device is missing, or its table is empty"/);
    expect(result.stdout).toMatch(/ {4}ok 2 - vxlan0 has no remote 192\.168\.8\.102, all through its window\n/);
    expect(result.exitCode).toBe(1);
  });
});
