// The file formats, as zod schemas: the single source of truth for validation, for the types
// the loader hands on, and for the JSON Schema that editors use (see json-schema.ts).
import * as z from 'zod';
import { INTERFACE_NAME_PATTERN, INTERFACE_NAME_RULE, isInterfaceName, NETNS_NAME_PATTERN, netnsNameProblem } from '../policy/values.ts';
import { deviceMacProblem } from '../lab/mac.ts';

// zod compiles a fast path for each object schema with `new Function` at its first parse; a run
// parses each file once, and the compiling cost more than it saved (about 8 ms of each start; issue 12).
// Global: the ssh hosts file, markers and the learner's protocol parse without it too.
z.config({ jitless: true });

const NAME = /^[a-z][a-z0-9-]{0,14}$/;

export const interfaceName = z
  .string()
  .regex(INTERFACE_NAME_PATTERN, { error: `expected ${INTERFACE_NAME_RULE}`, abort: true })
  .refine(isInterfaceName, { error: `expected ${INTERFACE_NAME_RULE}` });
export const nodeName = z.string().regex(NAME, { error: 'expected a node name: a lowercase letter, then up to 14 lowercase letters, digits or "-"' });
export const netnsName = z
  .string()
  .regex(NETNS_NAME_PATTERN, { error: 'expected a namespace name of letters, digits, ".", "-" or "_"', abort: true })
  .refine((name) => netnsNameProblem(name) === undefined, { error: 'expected a namespace name, not a number, "." or ".." (those could name the host\'s)' });
export const macAddress = z.mac({ error: 'expected a MAC address such as 4e:e9:90:34:2e:b5' });
/** A MAC a device can carry: the kernel refuses multicast, broadcast and all-zero ones. */
export const deviceMac = macAddress.refine((mac) => deviceMacProblem(mac) === undefined, {
  error: (issue) => `expected a unicast MAC address that a device can carry, got ${String(issue.input)}, ${deviceMacProblem(String(issue.input))}`,
});
export const ipv4 = z.ipv4({ error: 'expected an IPv4 address such as 10.20.1.3' });
export const cidr = z.cidrv4({ error: 'expected an IPv4 address with prefix length such as 192.168.8.100/24' });
const text = z.string().trim().min(1, { error: 'expected non-empty text' });
/** Text with a per-node value in it, such as `{{ peer.address }}` (see scenario/template.ts). */
export const templated = z.string().regex(/\{\{/, { error: 'expected a template with {{ ... }}' });
const nodeRef = z.union([nodeName, templated], { error: 'expected a node name, or a template such as {{ node.name }}' });
/** Steps and checks that range over nodes: `forEach: node` repeats them for every node of the lab. */
const forEachSchema = z.enum(['node']).describe('Repeat this for every node of the lab, with {{ node.name }}, {{ node.index }}, {{ node.address }}... set to it.');

// ---------------------------------------------------------------- labs (labs/*.yaml)

export const labNicSchema = z.strictObject({
  name: interfaceName
    .refine((name) => name !== 'lo', { error: 'expected a NIC name other than lo: every node already has its loopback device lo' })
    .describe('The underlay NIC as the tutorial names it (enp0s8, eth0).'),
  address: cidr.describe("The node's underlay address with prefix length."),
  mtu: z.number().int().min(68).max(65535).default(1500).describe('Underlay MTU; 1500 unless the tutorial says otherwise.'),
  mac: deviceMac.optional().describe("Fixes the NIC's MAC address."),
});

export const labNodeSchema = z.strictObject({
  nic: labNicSchema,
  macs: z
    .record(interfaceName, deviceMac)
    .optional()
    .describe('MAC addresses to pin on interfaces the steps create, applied right after the command that creates them.'),
});

/** The most nodes one lab may have (see the README on the neighbour table for what fits). */
export const MAX_LAB_NODES = 1000;

export const labGenerateSchema = z.strictObject({
  count: z.number().int().min(1).max(MAX_LAB_NODES).describe('How many nodes to generate.'),
  name: z.string().min(1).describe('The name pattern, with {{ node.index }} (from 0): "node{{ node.index }}".'),
  nic: z.strictObject({
    name: labNicSchema.shape.name,
    firstAddress: cidr.describe("The first node's underlay address with prefix length; node i gets the i-th address after it."),
    mtu: labNicSchema.shape.mtu,
  }),
});

export const labFileSchema = z.strictObject({
  title: text,
  source: text.describe('Which tutorial setting this reproduces.'),
  diagram: text.describe('A topology diagram, shown to learners.'),
  underlay: z.strictObject({ subnet: cidr.describe('The L2 segment joining every node.') }),
  generate: labGenerateSchema.optional().describe('Nodes made from a count: a name pattern, consecutive addresses, one NIC name and MTU. They come before `nodes`.'),
  nodes: z.record(nodeName, labNodeSchema).optional(),
});

// ---------------------------------------------------------------- matchers

/** A value to compare: equal, a list whose items must all be present, or one of several. */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const matchValue = z.union([
  scalar,
  z.array(scalar).describe('every item must be present in the actual list'),
  z.strictObject({ anyOf: z.array(scalar).min(1) }).describe('the actual value must be one of these'),
], { error: 'expected a value, a list of values, or { anyOf: [...] }' });
const m = matchValue.optional();

/** A number in a range, or `{ anyOf: [...] }` of such numbers. */
const rangedValue = (min: number, max: number, what: string) => {
  const n = z.number().int().min(min).max(max);
  return z.union([n, z.strictObject({ anyOf: z.array(n).min(1) })], { error: `expected ${what} from ${min} to ${max}, or { anyOf: [...] }` }).optional();
};
const vniValue = rangedValue(0, 16_777_215, 'a VNI');
const portValue = rangedValue(0, 65_535, 'a UDP port');

export const fdbEntrySchema = z.strictObject({ mac: m, dev: m, dst: m, via: m, vni: m, port: m, master: m, state: m, flags: m, srcVni: m, nhid: m });
export const neighEntrySchema = z.strictObject({ dst: m, dev: m, lladdr: m, state: m });
export const routeEntrySchema = z.strictObject({ dst: m, dev: m, proto: m, scope: m, src: m, via: m, metric: m, type: m });
export const bridgeLinkEntrySchema = z.strictObject({ dev: m, master: m, state: m, mtu: m, cost: m, priority: m });
export const addrEntrySchema = z.strictObject({ dev: m, address: m, family: m, scope: m, mtu: m, state: m, mac: m, flags: m });
export const vxlanInfoSchema = z.strictObject({
  id: m, group: m, remote: m, local: m, dev: m, port: m, learning: m, proxy: m, l2miss: m, l3miss: m, ttl: m, ageing: m,
});
export const linkEntrySchema = z.strictObject({
  dev: m, mtu: m, address: m, state: m, flags: m, master: m, kind: m, vxlan: vxlanInfoSchema.optional(),
});

const ethMatch = z.strictObject({ src: m, dst: m, type: m });
const ipMatch = z.strictObject({ src: m, dst: m, protocol: m, ttl: m, df: m, length: m, multicast: m.describe('true when the destination is a group (224.0.0.0/4)') });
const udpMatch = z.strictObject({ srcPort: portValue, dstPort: portValue, length: m });
const arpMatch = z.strictObject({ op: m, senderMac: m, senderIp: m, targetMac: m, targetIp: m });
const icmpMatch = z.strictObject({ type: m, code: m, id: m, seq: m });
const vxlanMatch = z.strictObject({ flags: rangedValue(0, 255, 'a flags byte'), vni: vniValue });
const frameFields = { eth: ethMatch.optional(), arp: arpMatch.optional(), ip: ipMatch.optional(), udp: udpMatch.optional(), icmp: icmpMatch.optional() };
export const packetMatchSchema = z.strictObject({
  ...frameFields,
  vxlan: vxlanMatch.optional(),
  inner: z.strictObject(frameFields).optional().describe('The Ethernet frame inside the VXLAN header.'),
});

export const countSchema = z.union([
  z.number().int().min(0).describe('exactly this many'),
  z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }),
], { error: 'expected a count: a whole number, or { min: N, max: N }' });

// ---------------------------------------------------------------- checks

export const pingSpecSchema = z.strictObject({
  from: nodeRef,
  netns: netnsName.optional().describe('Ping from this namespace inside the node (e.g. vm0).'),
  to: z.union([ipv4, templated], { error: 'expected an IPv4 address such as 10.20.1.3, or a template such as 10.20.{{ peer.index }}.1' })
    .describe('An address; with {{ peer.* }} in it, every other node\'s, pinged at once.'),
  count: z.number().int().min(1).max(100).default(3),
  expect: z.enum(['reachable', 'unreachable']).default('reachable'),
  size: z.number().int().min(0).max(65507).optional().describe('ICMP payload size in bytes (ping -s).'),
  dontFragment: z.boolean().optional().describe('Set the DF bit and never fragment (ping -M do).'),
  timeoutSeconds: z.number().min(1).max(60).optional(),
});

export const runSpecSchema = z.strictObject({ node: nodeName, commands: z.array(text).min(1) });
export const actionSchema = z.strictObject({ ping: pingSpecSchema.optional(), run: runSpecSchema.optional() });

export const captureSpecSchema = z.strictObject({
  node: nodeName,
  interface: interfaceName,
  filter: text.optional().describe('A tcpdump (BPF) filter, verbatim.'),
  during: z.array(actionSchema).min(1).describe('What to do while capturing.'),
  expect: z
    .array(z.strictObject({ that: text, match: packetMatchSchema, count: countSchema }))
    .min(1),
});

/** An entry: a mapping of fields, or a line of iproute2's text output as the tutorial prints it. */
const tableEntry = <T extends z.ZodType>(entry: T) =>
  z.union([entry, z.string().min(1)], { error: 'expected a mapping of fields or a line of the command\'s output' });

const tableSchema = <T extends z.ZodType>(entryObject: T) => {
  const entry = tableEntry(entryObject);
  return z.strictObject({
    dev: interfaceName.optional().describe('Only entries of this device.'),
    contains: z.array(entry).optional().describe('Each must match some entry.'),
    lacks: z.array(entry).optional().describe('None may match any entry.'),
    only: z.array(entry).optional().describe('Every entry must match one of these.'),
  });
};

export const STATE_TABLES = ['fdb', 'neigh', 'link', 'route', 'bridgeLink', 'addr'] as const;
export type StateTable = (typeof STATE_TABLES)[number];

export const stateSpecSchema = z.strictObject({
  node: nodeRef,
  netns: netnsName.optional(),
  timeoutSeconds: z.number().min(0).max(60).optional().describe('Keep re-reading until the expectation holds or this passes (default 3).'),
  fdb: tableSchema(fdbEntrySchema).optional().describe('bridge fdb show'),
  neigh: tableSchema(neighEntrySchema).optional().describe('ip neigh show'),
  link: tableSchema(linkEntrySchema).optional().describe('ip -d link show'),
  route: tableSchema(routeEntrySchema).optional().describe('ip route show'),
  bridgeLink: tableSchema(bridgeLinkEntrySchema).optional().describe('bridge link show'),
  addr: tableSchema(addrEntrySchema).optional().describe('ip addr show'),
});

export const ablationSchema = z
  .strictObject({ none: text.describe('Why no step of the scenario is what makes this check hold.') })
  .describe('`ablate`: this check depends on no step by design; say why (`ablation: { none: REASON }`).');

export const checkSchema = z.strictObject({
  name: text.optional().describe('What the check shows, in the words a learner would use.'),
  ablation: ablationSchema.optional(),
  forEach: forEachSchema.optional(),
  ping: pingSpecSchema.optional(),
  capture: captureSpecSchema.optional(),
  state: stateSpecSchema.optional(),
});

// ---------------------------------------------------------------- scenarios (scenarios/*.yaml)

export const stepSchema = z.strictObject({
  node: nodeName.optional().describe('The node that runs this step (or forEach: node).'),
  forEach: forEachSchema.optional(),
  run: z.array(z.string()).min(1).describe("The tutorial's commands, verbatim, one per entry; {{ node.* }} is the step's node, and a command with {{ peer.* }} runs once per other node."),
  timeoutSeconds: z.number().min(1).max(600).optional().describe('How long each command may take before the lab counts as broken (default 30).'),
});

export const scenarioFileSchema = z.strictObject({
  lab: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected the name of a lab in labs/' }),
  title: text,
  tutorial: text.describe('The tutorial section this reproduces.'),
  explain: text.describe('What a learner should take away.'),
  nodes: z
    .record(nodeName, z.strictObject({ macs: z.record(interfaceName, deviceMac) }))
    .optional()
    .describe("Per-node additions to the lab for this scenario."),
  steps: z.array(stepSchema).min(1),
  checks: z.array(checkSchema).min(1),
});

export type LabFile = z.output<typeof labFileSchema>;
export type ScenarioFile = z.output<typeof scenarioFileSchema>;
export type PingSpec = z.output<typeof pingSpecSchema>;
export type CaptureSpec = z.output<typeof captureSpecSchema>;
export type StateSpec = z.output<typeof stateSpecSchema>;
export type CheckSpec = z.output<typeof checkSchema>;
export type MatchValue = z.output<typeof matchValue>;
export type PacketMatch = z.output<typeof packetMatchSchema>;
export type Count = z.output<typeof countSchema>;
export type ActionSpec = z.output<typeof actionSchema>;
