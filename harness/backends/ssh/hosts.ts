// Where each lab node lives: the hosts file (YAML) or `vagrant ssh-config`, read into one shape.
//
//   ssh_config: ./ssh_config        # optional: ssh -F instead of ~/.ssh/config; only the keywords
//                                   # ssh-config.ts allows (no Match, Include, *Command, forwardings)
//   nodes:
//     node0: vagrant@192.168.121.10 # short form: [user@]host[:port]
//     node1: { host: 10.0.0.2, user: me, port: 2222, identity: ~/.ssh/id_ed25519, sudo: true }
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { ValidationError, type ValidationIssue } from '../../util/errors.ts';
import { readRegularFile } from '../../util/read-regular-file.ts';
import { parseYaml, type PathSegment } from '../../scenario/yaml-source.ts';
import { checkedSshConfig } from './ssh-config.ts';

export interface SshHost {
  /** The lab node this host plays. */
  node: string;
  /** What ssh connects to: a name from ssh_config or an address. */
  host: string;
  user?: string;
  port?: number;
  identity?: string;
  /** Run commands through `sudo -n` (the login user is not root). */
  sudo: boolean;
}

export interface HostsConfig {
  /** Where the hosts came from, for messages. */
  source: string;
  /**
   * An ssh_config's text (the hosts file's `ssh_config`, or vagrant's), checked by ssh-config.ts,
   * written to the run's private directory and used with -F; undefined: ssh reads ~/.ssh/config.
   */
  sshConfigText?: string;
  hosts: SshHost[];
}

// A name ssh would not read as an option, and nothing a shell would touch (ssh gets argv anyway).
const HOST_NAME = /^[A-Za-z0-9_.:%[\]-]+$/;
const hostName = z.string().regex(HOST_NAME, 'must be a host name or address (letters, digits, . - _ : [ ])').refine((s) => !s.startsWith('-'), 'must not start with -');
const userName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a user name');
const port = z.number().int().min(1).max(65535);

const SHORT = /^(?:([^@\s]+)@)?([^@:\s]+|\[[^\]\s]+\])(?::(\d+))?$/;

const shortEntry = z.string().regex(SHORT, 'expected [user@]host[:port]');
const longEntry = z.strictObject({ host: hostName, user: userName.optional(), port: port.optional(), identity: z.string().min(1).optional(), sudo: z.boolean().optional() });
// Picked by the value's type, so an error names the field at fault rather than "no union member".
const hostEntry = z.custom<unknown>().pipe(z.any()).transform((v, ctx) => {
  const schema = typeof v === 'string' ? shortEntry : longEntry;
  const r = schema.safeParse(v);
  if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
  return r.success ? r.data : z.NEVER;
});

const hostsFile = z.strictObject({
  ssh_config: z.string().min(1).optional(),
  nodes: z.record(z.string().min(1), hostEntry).refine((r) => Object.keys(r).length > 0, 'name at least one node'),
});

function expandPath(path: string, base: string): string {
  if (path === '~' || path.startsWith('~/')) return `${homedir()}${path.slice(1)}`;
  return isAbsolute(path) ? path : resolve(base, path);
}

export async function readHostsFile(file: string): Promise<HostsConfig> {
  const text = await readRegularFile(file).catch((error: Error) => {
    throw new ValidationError([{ file, path: '', message: `cannot be read: ${error.message}` }]);
  });
  const source = parseYaml(file, text);
  if (Array.isArray(source)) throw new ValidationError(source);
  const parsed = hostsFile.safeParse(source.value);
  if (!parsed.success) {
    const issues: ValidationIssue[] = parsed.error.issues.map((i) => source.issue(i.path as PathSegment[], i.message));
    throw new ValidationError(issues);
  }
  const base = dirname(resolve(file));
  const hosts: SshHost[] = [];
  for (const [node, entry] of Object.entries(parsed.data.nodes)) {
    if (typeof entry === 'string') {
      const m = SHORT.exec(entry)!;
      const host = m[2]!.replace(/^\[(.*)\]$/, '$1');
      const issue = !HOST_NAME.test(host) || host.startsWith('-') ? 'a host name or address' : m[1] !== undefined && !userName.safeParse(m[1]).success ? 'a user name before @' : undefined;
      if (issue) throw new ValidationError([source.issue(['nodes', node], `expected ${issue}`)]);
      const portNumber = m[3] === undefined ? undefined : Number(m[3]);
      if (portNumber !== undefined && !port.safeParse(portNumber).success) throw new ValidationError([source.issue(['nodes', node], 'expected a port from 1 to 65535')]);
      hosts.push({ node, host, sudo: false, ...(m[1] ? { user: m[1] } : {}), ...(portNumber ? { port: portNumber } : {}) });
    } else {
      hosts.push({
        node, host: entry.host, sudo: entry.sudo ?? false,
        ...(entry.user ? { user: entry.user } : {}), ...(entry.port ? { port: entry.port } : {}),
        ...(entry.identity ? { identity: expandPath(entry.identity, base) } : {}),
      });
    }
  }
  if (parsed.data.ssh_config === undefined) return { source: file, hosts };
  const configFile = expandPath(parsed.data.ssh_config, base);
  const configText = await readRegularFile(configFile).catch((error: Error) => {
    throw new ValidationError([source.issue(['ssh_config'], `names ${configFile}, which cannot be read: ${error.message}`)]);
  });
  return { source: file, hosts, sshConfigText: checkedSshConfig(configText, configFile, 'hosts-file') };
}

/** The host that plays `node`, or an error naming the hosts file and the nodes it has. */
export function hostFor(config: HostsConfig, node: string): SshHost | undefined {
  return config.hosts.find((h) => h.node === node);
}
