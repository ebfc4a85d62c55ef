import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { ValidationError } from '../util/errors.ts';
import { listScenarioNames, loadLab, loadScenario } from './resolve.ts';

const dir = mkdtempSync(join(tmpdir(), 'vxlab-resolve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a scenario file and returns the validation messages it produces (file name stripped). */
async function problems(name: string, text: string): Promise<string[]> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  try {
    await loadScenario(file);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => `${i.line ?? '-'}:${i.col ?? '-'}: ${i.path ? `${i.path} ` : ''}${i.message}`);
    throw error;
  }
  return [];
}

const HEAD = `lab: three-nodes
title: t
tutorial: s
explain: e
`;
const STEP = `steps:
  - node: node0
    run:
      - ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8
`;
const CHECK = `checks:
  - ping: { from: node0, to: 10.20.1.3 }
`;

describe('the scenarios in scenarios/', async () => {
  const names = await listScenarioNames();
  it('include the four core labs', () => {
    expect(names).toEqual(expect.arrayContaining(['p2p', 'multicast', 'bridge-netns', 'proxy-arp']));
  });
  it.each(names)('%s loads and resolves', async (name) => {
    const scenario = await loadScenario(name);
    expect(scenario.name).toBe(name);
    expect(scenario.checks.length).toBeGreaterThan(0);
    for (const step of scenario.steps) for (const command of step.commands) expect(command.argv.length).toBeGreaterThan(1);
  });
});

describe('a valid scenario', () => {
  it('resolves names, defaults and the lab', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, HEAD + STEP + CHECK);
    const scenario = await loadScenario(file);
    expect(scenario.name).toBe('ok');
    expect(scenario.lab.name).toBe('three-nodes');
    expect(scenario.lab.nodes.map((n) => n.name)).toEqual(['node0', 'node1', 'node2']);
    expect(scenario.steps[0]!.commands[0]!.argv.slice(0, 4)).toEqual(['ip', 'link', 'add', 'vxlan0']);
    expect(scenario.checks[0]).toMatchObject({ kind: 'ping', name: 'node0 reaches 10.20.1.3', spec: { count: 3, expect: 'reachable' } });
  });

  it('reads state expectations written as the tutorial\'s output lines', async () => {
    const file = join(dir, 'lines.yaml');
    writeFileSync(file, HEAD + STEP + 'checks:\n  - state:\n      node: node0\n      fdb:\n        contains:\n          - 00:00:00:00:00:00 dev vxlan0 dst 239.1.1.1 via enp0s8 self permanent\n          - { mac: "00:00:00:00:00:00" }\n');
    const check = (await loadScenario(file)).checks[0]!;
    expect(check.kind === 'state' && check.spec).toEqual({
      node: 'node0',
      table: 'fdb',
      expect: { contains: [{ mac: '00:00:00:00:00:00', dev: 'vxlan0', dst: '239.1.1.1', via: 'enp0s8', flags: ['self'], state: 'permanent' }, { mac: '00:00:00:00:00:00' }] },
    });
  });

  it('keeps a multi-line command as one argument vector', async () => {
    const file = join(dir, 'multiline.yaml');
    writeFileSync(file, `${HEAD}steps:\n  - node: node0\n    run:\n      - |-\n        ip link add vxlan0 type vxlan \\\n            id 42 dev enp0s8\n${CHECK}`);
    const scenario = await loadScenario(file);
    expect(scenario.steps[0]!.commands[0]).toMatchObject({ text: 'ip link add vxlan0 type vxlan id 42 dev enp0s8', argv: ['ip', 'link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '42', 'dev', 'enp0s8'] });
  });
});

describe('an invalid scenario', () => {
  it.each([
    ['unknown top-level key', HEAD + STEP + CHECK + 'colour: red\n', ['11:1: colour is not a known key; expected one of lab, title, tutorial, explain, nodes, steps, checks']],
    ['unknown key in a ping', HEAD + STEP + 'checks:\n  - ping: { from: node0, to: 10.20.1.3, cuont: 2 }\n', ['10:41: checks[0].ping.cuont is not a known key; expected one of from, netns, to, count, expect, size, dontFragment, timeoutSeconds']],
    ['missing title', HEAD.replace('title: t\n', '') + STEP + CHECK, ['1:1: title is missing: expected string']],
    ['invalid IP', HEAD + STEP + 'checks:\n  - ping: { from: node0, to: 10.20.1.300 }\n', ['10:30: checks[0].ping.to expected an IPv4 address such as 10.20.1.3, or a template such as 10.20.{{ peer.index }}.1, got "10.20.1.300"']],
    ['expect not in the enum', HEAD + STEP + 'checks:\n  - ping: { from: node0, to: 10.20.1.3, expect: maybe }\n', ['10:49: checks[0].ping.expect expected one of "reachable", "unreachable", got "maybe"']],
    ['count out of range', HEAD + STEP + 'checks:\n  - ping: { from: node0, to: 10.20.1.3, count: 1000 }\n', ['10:48: checks[0].ping.count expected a number <= 100, got number 1000']],
    ['unknown node in a step', HEAD + STEP.replace('node: node0', 'node: node9') + CHECK, ['6:11: steps[0].node names node "node9", which lab three-nodes does not have; its nodes are node0, node1, node2']],
    ['unknown lab', HEAD.replace('three-nodes', 'four-nodes') + STEP + CHECK, [expect.stringMatching(/^1:6: lab names lab "four-nodes", which does not exist; known labs are .*three-nodes.*two-vms/)]],
    ['forbidden program', HEAD + STEP.replace('ip link add vxlan0 type vxlan id 42 dstport 4789 group 239.1.1.1 dev enp0s8', 'bash -c reboot') + CHECK, ['8:9: steps[0].run[0] runs "bash", which is not allowed; allowed programs are ip, bridge, ping, tcpdump, sysctl, tc']],
    ['a shell operator, pointed at exactly', HEAD + STEP.replace('dev enp0s8', 'dev enp0s8; reboot') + CHECK, [expect.stringMatching(/^8:84: steps\[0\]\.run\[0\] has `;` \(a command separator\)/)]],
    ['command substitution', HEAD + STEP.replace('id 42', 'id $(id -u)') + CHECK, [expect.stringMatching(/^8:42: steps\[0\]\.run\[0\] has `\$`/)]],
    ['two kinds in one check', HEAD + STEP + 'checks:\n  - ping: { from: node0, to: 10.20.1.3 }\n    state: { node: node0, fdb: { contains: [] } }\n', ['10:5: checks[0] expected exactly one of ping, capture, state; got ping, state']],
    ['a state check without a table', HEAD + STEP + 'checks:\n  - state: { node: node0 }\n', ['10:12: checks[0].state expected exactly one table of fdb, neigh, link, route, bridgeLink, addr; got none']],
    ['a typo in a packet field', HEAD + STEP + 'checks:\n  - capture:\n      node: node1\n      interface: enp0s8\n      during: [ { ping: { from: node0, to: 10.20.1.3 } } ]\n      expect:\n        - that: x\n          match: { vxlan: { vin: 42 } }\n          count: 1\n', ['16:29: checks[0].capture.expect[0].match.vxlan.vin is not a known key; expected one of flags, vni']],
    ['a bad count', HEAD + STEP + 'checks:\n  - capture:\n      node: node1\n      interface: enp0s8\n      during: [ { ping: { from: node0, to: 10.20.1.3 } } ]\n      expect:\n        - that: x\n          match: { vxlan: { vni: 42 } }\n          count: { min: 3, max: 1 }\n', ['17:18: checks[0].capture.expect[0].count expected min <= max, got min 3 and max 1']],
    ['an interface name over 15 characters', HEAD + STEP + 'checks:\n  - state: { node: node0, link: { dev: averyveryverylongname, contains: [] } }\n', [expect.stringMatching(/^10:40: checks\[0\]\.state\.link\.dev expected an interface name of 1 to 15/)]],
    ['a MAC pin for an interface no step creates', HEAD + 'nodes:\n  node0:\n    macs: { veth9: "4e:e9:90:34:2e:b5" }\n' + STEP + CHECK, ['7:13: nodes.node0.macs.veth9 pins a MAC on veth9, but no step on node0 creates it with `ip link add`']],
    ['a bad MAC', HEAD + 'nodes:\n  node0:\n    macs: { vxlan0: "4e:e9:90:34:2e" }\n' + STEP + CHECK, ['7:21: nodes.node0.macs.vxlan0 expected a MAC address such as 4e:e9:90:34:2e:b5, got "4e:e9:90:34:2e"']],
    ['no steps', HEAD + 'steps: []\n' + CHECK, ['5:8: steps expected at least 1 item, got 0']],
    ['an output line that does not read', HEAD + STEP + 'checks:\n  - state: { node: node0, route: { contains: ["10.0.0.0/8 dev eth0 shiny"] } }\n', ['10:47: checks[0].state.route.contains[0] does not read as an ip route line: "shiny" is not a word of ip route\'s output']],
    ['an output line for a table without text lines', HEAD + STEP + 'checks:\n  - state: { node: node0, link: { contains: ["vxlan0 mtu 1450"] } }\n', ['10:46: checks[0].state.link.contains[0] link expectations are written as mappings; text lines work for fdb, route, neigh']],
    ['a list where a mapping belongs', HEAD + STEP + 'checks:\n  - ping: [node0]\n', ['10:11: checks[0].ping expected object, got a list']],
  ])('%s', async (_what, text, expected) => {
    expect(await problems('bad', text)).toEqual(expected);
  });

  it('reports YAML syntax errors with their position', async () => {
    expect(await problems('syntax', 'lab: [three-nodes\ntitle: x\n')).toEqual([expect.stringMatching(/^\d+:\d+: is not valid YAML: /)]);
  });

  it('reports a repeated key', async () => {
    expect(await problems('dup', HEAD + 'title: again\n' + STEP + CHECK)).toEqual([expect.stringMatching(/^5:1: is not valid YAML: Map keys must be unique/)]);
  });

  it('reports empty and binary files', async () => {
    expect(await problems('empty', '')).toEqual(['1:1: is empty; expected a YAML mapping']);
    expect(await problems('binary', 'lab: \u0000\u0001')).toEqual(['-:-: is not a text file (it contains NUL bytes); expected YAML']);
    expect(await problems('scalar', 'just text\n')).toEqual(['1:1: expected a YAML mapping at the top level']);
  });

  it('names the file in every issue', async () => {
    const file = join(dir, 'named.yaml');
    writeFileSync(file, HEAD + STEP + 'checks:\n  - ping: { from: node0, to: nowhere }\n');
    await expect(loadScenario(file)).rejects.toThrow(`${file}:10:30: checks[0].ping.to expected an IPv4 address`);
  });

  it('says a missing file does not exist', async () => {
    await expect(loadScenario('no-such-scenario')).rejects.toThrow(/no-such-scenario\.yaml: does not exist/);
  });
});

describe('labs', () => {
  it('resolve addresses and MTUs', async () => {
    const lab = await loadLab('two-vms');
    expect(lab.nodes).toEqual([
      { name: 'test-1', nic: { name: 'eth0', address: '10.10.10.11', prefixLength: 24, mtu: 1446, mac: 'fa:16:3e:0c:e3:c6' }, macs: {} },
      { name: 'test-2', nic: { name: 'eth0', address: '10.10.10.9', prefixLength: 24, mtu: 1446, mac: 'fa:16:3e:50:61:0d' }, macs: {} },
    ]);
  });

  it('refuse addresses outside the subnet and repeated ones', async () => {
    const labs = mkdtempSync(join(tmpdir(), 'vxlab-labs-'));
    onTestFinished(() => rmSync(labs, { recursive: true, force: true }));
    writeFileSync(
      join(labs, 'bad.yaml'),
      'title: t\nsource: s\ndiagram: d\nunderlay: { subnet: 10.0.0.0/24 }\nnodes:\n  a: { nic: { name: eth0, address: 10.0.1.1/24 } }\n  b: { nic: { name: eth0, address: 10.0.1.1/24 } }\n',
    );
    const error = await loadLab('bad', { labsDir: labs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => `${i.line}:${i.col}: ${i.path} ${i.message}`)).toEqual([
      '6:36: nodes.a.nic.address expected an address inside the underlay subnet 10.0.0.0/24, got 10.0.1.1/24',
      '7:36: nodes.b.nic.address expected an address inside the underlay subnet 10.0.0.0/24, got 10.0.1.1/24',
      '7:36: nodes.b.nic.address repeats 10.0.1.1, already the address of a',
    ]);
  });
});
