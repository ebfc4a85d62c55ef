// Labs of any size (issue 12): generated nodes, per-node templates in steps and checks, checks
// that range over nodes, and the positioned errors of each.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../util/errors.ts';
import { concurrentChecks } from '../runner.ts';
import { loadScenario, parseLabText } from './resolve.ts';
import { expandTemplate, parseTemplate, TemplateError } from './template.ts';

const dir = mkdtempSync(join(tmpdir(), 'vxlab-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const labsDir = join(dir, 'labs');
mkdirSync(labsDir);

const LAB_HEAD = 'title: t\nsource: s\ndiagram: d\nunderlay: { subnet: 192.168.8.0/24 }\n';
const generated = (count: number, extra = '') => `${LAB_HEAD}generate:\n  count: ${count}\n  name: "node{{ node.index }}"\n  nic: { name: enp0s8, firstAddress: 192.168.8.100/24, mtu: 1450 }\n${extra}`;

function labProblems(text: string): string[] {
  try {
    parseLabText('x', 'x.yaml', text);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => `${i.line}:${i.col}: ${i.path ? `${i.path} ` : ''}${i.message}`);
    throw error;
  }
  return [];
}

writeFileSync(join(labsDir, 'five.yaml'), generated(5));

async function scenario(text: string) {
  const file = join(dir, 's.yaml');
  writeFileSync(file, `lab: five\ntitle: t\ntutorial: s\nexplain: e\n${text}`);
  return loadScenario(file, { labsDir });
}

async function problems(text: string): Promise<string[]> {
  try {
    await scenario(text);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => `${i.line}:${i.col}: ${i.path} ${i.message}`);
    throw error;
  }
  return [];
}

describe('templates', () => {
  const node = { name: 'node7', index: 7, address: '192.168.8.107', nic: 'enp0s8', mtu: 1500 };
  it('expand node fields and index arithmetic', () => {
    const t = parseTemplate('ip addr add 10.20.{{node.index}}.{{ node.index + 2 }}/24 dev {{ node.nic }} # {{ node.address }} {{ node.index - 7 }}');
    expect(expandTemplate(t, { node }).text).toBe('ip addr add 10.20.7.9/24 dev enp0s8 # 192.168.8.107 0');
  });
  it('map an offset in the expansion back to the raw text', () => {
    const t = parseTemplate('dst {{ peer.address }} x');
    const e = expandTemplate(t, { peer: node });
    expect(e.text).toBe('dst 192.168.8.107 x');
    expect(e.rawOffset(e.text.indexOf('168'))).toBe(4);
    expect(e.rawOffset(e.text.length - 1)).toBe(t.raw.length - 1);
  });
  it.each([
    ['{{ node.index', 0, 'without its closing'],
    ['a {{ nodes.index }}', 2, 'nodes is not known here'],
    ['a {{ node.colour }}', 2, 'node.colour is not a field'],
    ['a {{ node.name + 1 }}', 2, 'only index takes'],
    ['a {{ 1 + 1 }}', 2, 'expected {{ VARIABLE.FIELD }}'],
  ])('refuse %s at its offset', (text, index, message) => {
    try {
      parseTemplate(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).index).toBe(index);
      expect((error as TemplateError).message).toContain(message);
    }
  });
});

describe('generated labs', () => {
  it('make count nodes from the pattern, with consecutive addresses, one NIC name and MTU', () => {
    const lab = parseLabText('x', 'x.yaml', generated(100));
    expect(lab.nodes).toHaveLength(100);
    expect(lab.nodes[0]).toEqual({ name: 'node0', nic: { name: 'enp0s8', address: '192.168.8.100', prefixLength: 24, mtu: 1450 }, macs: {} });
    expect(lab.nodes[99]!.name).toBe('node99');
    expect(lab.nodes[99]!.nic.address).toBe('192.168.8.199');
  });
  it('come before hand-written nodes, which may join them', () => {
    const lab = parseLabText('x', 'x.yaml', generated(2, 'nodes:\n  extra:\n    nic: { name: eth0, address: 192.168.8.10/24 }\n'));
    expect(lab.nodes.map((n) => n.name)).toEqual(['node0', 'node1', 'extra']);
  });
  it.each([
    ['a range past the subnet', generated(200), ['8:38: generate.nic.firstAddress expected room for 200 consecutive addresses from 192.168.8.100 in the underlay subnet 192.168.8.0/24, whose last host is 192.168.8.254; got 155 at most']],
    ['a pattern without the index', generated(3).replace('node{{ node.index }}', 'node'), ['7:9: generate.name expected a pattern with {{ node.index }} in it, so that 3 nodes get distinct names; got "node"']],
    ['a pattern reading a peer', generated(3).replace('node{{ node.index }}', 'n{{ peer.index }}'), ['7:11: generate.name has `{{ peer.index }}`: peer is not known here; expected {{ VARIABLE.FIELD }} with VARIABLE one of node and FIELD one of name, index, address, nic, mtu (index may add or subtract a number: {{ node.index + 1 }})']],
    ['a pattern making bad names', generated(2).replace('node{{ node.index }}', 'Node{{ node.index }}'), ['7:9: generate.name makes node "Node0": expected a node name, a lowercase letter, then up to 14 lowercase letters, digits or "-"', '7:9: generate.name makes node "Node1": expected a node name, a lowercase letter, then up to 14 lowercase letters, digits or "-"']],
    ['a generated name repeated by hand', generated(2, 'nodes:\n  node1:\n    nic: { name: eth0, address: 192.168.8.10/24 }\n'), ['10:3: nodes.node1 makes node "node1" twice; node names must differ']],
    ['an address taken twice', generated(2, 'nodes:\n  extra:\n    nic: { name: eth0, address: 192.168.8.101/24 }\n'), ['11:33: nodes.extra.nic.address repeats 192.168.8.101, already the address of node1']],
    ['too many nodes', generated(1001), ['6:10: generate.count expected a number <= 1000, got number 1001']],
  ])('refuse %s with its position', (_what, text, expected) => {
    expect(labProblems(text)).toEqual(expected);
  });
});

const CHECKS = 'checks:\n  - ping: { from: node0, to: 10.20.1.3 }\n';

describe('steps and checks over nodes', () => {
  const STEP = 'steps:\n  - forEach: node\n    run:\n      - ip link add vxlan0 type vxlan id 42 dstport 4789 local {{ node.address }} dev enp0s8\n      - bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst {{ peer.address }}\n      - ip addr add 10.20.1.{{ node.index + 2 }}/24 dev vxlan0\n';
  it('forEach: node makes one step per node, and a peer line one command per other node', async () => {
    const s = await scenario(`${STEP}checks:\n  - ping: { from: node0, to: 10.20.1.3 }\n`);
    expect(s.steps.map((st) => st.node)).toEqual(['node0', 'node1', 'node2', 'node3', 'node4']);
    expect(s.steps[2]!.commands.map((c) => c.text)).toEqual([
      'ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.8.102 dev enp0s8',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.100',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.101',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.103',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.8.104',
      'ip addr add 10.20.1.4/24 dev vxlan0',
    ]);
    expect(s.steps[2]!.commands[1]!.origin).toBe('steps[0].run[1] (on node2, for peer node0)');
  });

  it('a ping to {{ peer.* }} becomes one check of pings to every other node', async () => {
    const s = await scenario(`${STEP}checks:\n  - ping: { from: node1, to: "10.20.1.{{ peer.index + 2 }}", count: 1 }\n`);
    expect(s.checks).toHaveLength(1);
    const check = s.checks[0]!;
    expect(check.kind).toBe('pings');
    if (check.kind !== 'pings') return;
    expect(check.name).toBe('node1 reaches every other node (4)');
    expect(check.specs.map((p) => `${p.from}>${p.to}`)).toEqual(['node1>10.20.1.2', 'node1>10.20.1.4', 'node1>10.20.1.5', 'node1>10.20.1.6']);
  });

  it('forEach: node on a check makes one check per node, and peer list items one entry per peer', async () => {
    const s = await scenario(`${STEP}checks:\n  - name: "{{ node.name }} has its peers"\n    forEach: node\n    state:\n      node: "{{ node.name }}"\n      fdb:\n        contains:\n          - "00:00:00:00:00:00 dev vxlan0 dst {{ peer.address }} self permanent"\n        lacks: [ { dst: "{{ node.address }}" } ]\n`);
    expect(s.checks.map((c) => c.name)).toEqual(['node0 has its peers', 'node1 has its peers', 'node2 has its peers', 'node3 has its peers', 'node4 has its peers']);
    const last = s.checks[4]!;
    if (last.kind !== 'state') throw new Error('expected a state check');
    expect(last.spec.node).toBe('node4');
    expect(last.spec.expect.contains?.map((e) => e.dst)).toEqual(['192.168.8.100', '192.168.8.101', '192.168.8.102', '192.168.8.103']);
    expect(last.spec.expect.lacks).toEqual([{ dst: '192.168.8.104' }]);
  });

  it('marks where a forEach check was written, and reads ablation: none from the check as written, not from its expanded position', async () => {
    const s = await scenario(`${STEP}checks:\n  - name: "{{ node.name }} has its peers"\n    forEach: node\n    state:\n      node: "{{ node.name }}"\n      fdb:\n        contains: [ { dst: "{{ peer.address }}" } ]\n  - name: own NIC\n    ablation: { none: the lab's own NIC }\n    ping: { from: node0, to: 192.168.8.101 }\n`);
    expect(s.checks.map((c) => [c.name, c.template, c.ablationNone])).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => [`node${i} has its peers`, 'checks[0]', undefined]),
      ['own NIC', undefined, "the lab's own NIC"],
    ]);
    // State checks in a row (here one template's expansions) run together; anything else runs alone.
    expect(concurrentChecks(s.checks, 0)).toHaveLength(5);
    expect(concurrentChecks(s.checks, 3)).toHaveLength(2);
    expect(concurrentChecks(s.checks, 5)).toHaveLength(1);
  });

  it.each([
    ['a policy problem in a template points into the template and names the node',
      'steps:\n  - forEach: node\n    run:\n      - ip link add vxlan0 type vxlan id 42 dstport 4789 local {{ node.address }} dev enp0s8; true\n' + CHECKS,
      // col 93 is the `;` in the raw text, past the template: the offsets map back.
      /^8:93: steps\[0\]\.run\[0\] has `;` .* \(on node0: `ip link add .* local 192\.168\.8\.100 dev enp0s8; true`\)$/],
    ['a bad template in a command', 'steps:\n  - forEach: node\n    run:\n      - ip addr add 10.0.0.{{ node.idx }}/24 dev enp0s8\n' + CHECKS, /^8:28: steps\[0\]\.run\[0\] has `\{\{ node\.idx \}\}`: node\.idx is not a field/],
    ['both node and forEach', 'steps:\n  - node: node0\n    forEach: node\n    run: [ "ip link set lo up" ]\n' + CHECKS, /^6:5: steps\[0\] expected exactly one of node \(a node name\) and forEach: node/],
    ['a check named alike for every node', 'steps:\n  - forEach: node\n    run: [ "ip link set lo up" ]\n  - node: node0\n    run: [ "ip link set lo up" ]\ncheckz: 1\n', /checkz is not a known key/],
    ['forEach on a check whose name has no template', 'steps:\n  - node: node0\n    run: [ "ip link set lo up" ]\nchecks:\n  - name: same\n    forEach: node\n    ping: { from: "{{ node.name }}", to: 10.0.0.1 }\n', /^9:5: checks\[0\] is named "same" like checks\[0\]; give one of them a distinct name \(a check with forEach: node needs \{\{ node\.name \}\} in its name\)$/],
    ['a peer template that does not make an address', 'steps:\n  - node: node0\n    run: [ "ip link set lo up" ]\nchecks:\n  - ping: { from: node0, to: "10.20.1.{{ peer.name }}" }\n', /^9:30: checks\[0\]\.ping\.to expected an IPv4 address for peer node1, got 10\.20\.1\.node1$/],
  ])('refuse %s, at its line:col', async (_what, text, expected) => {
    const found = await problems(text);
    expect(found.some((l) => expected.test(l)), found.join('\n')).toBe(true);
  });

  it('report a template problem once, not once per node', async () => {
    const found = await problems('steps:\n  - forEach: node\n    run:\n      - ip addr add 10.0.0.{{ node.idx }}/24 dev enp0s8\n' + CHECKS);
    expect(found.filter((l) => l.includes('node.idx'))).toHaveLength(1);
  });
});
