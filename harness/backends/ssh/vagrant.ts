// `--hosts vagrant[:DIR]`: the Vagrantfile's VMs as ssh hosts, from `vagrant ssh-config` in DIR.
// Vagrant's own ssh_config is used as written (ssh -F) once it passes ssh-config.ts's allowlist,
// so its StrictHostKeyChecking no and UserKnownHostsFile /dev/null apply only where vagrant says so.
import { execArgv } from '../../util/process.ts';
import { PrerequisiteError } from '../../util/errors.ts';
import type { HostsConfig } from './hosts.ts';
import { checkedSshConfig } from './ssh-config.ts';

export interface SshConfigBlock {
  host: string;
  options: Map<string, string>;
}

/** The `Host` blocks of an ssh_config as vagrant prints it (keywords case-insensitive, `Key value` or `Key=value`). */
export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'host') blocks.push({ host: value, options: new Map() });
    else blocks.at(-1)?.options.set(key, value);
  }
  return blocks;
}

/** The hosts config vagrant's output gives: each VM plays the lab node of its name, through sudo. */
export function vagrantHosts(text: string, source: string): HostsConfig {
  const blocks = parseSshConfig(text).filter((b) => b.options.has('hostname'));
  if (blocks.length === 0) throw new PrerequisiteError(`${source} printed no host`, 'run `vagrant up` in that directory first');
  return { source, sshConfigText: checkedSshConfig(text, source, 'vagrant'), hosts: blocks.map((b) => ({ node: b.host, host: b.host, sudo: b.options.get('user') !== 'root' })) };
}

/** Runs `vagrant ssh-config` in `dir`. */
export async function readVagrantHosts(dir: string, signal?: AbortSignal): Promise<HostsConfig> {
  const result = await execArgv(['vagrant', 'ssh-config'], { timeoutMs: 120_000, ...(signal ? { signal } : {}), cwd: dir });
  const source = `vagrant ssh-config in ${dir}`;
  if (result.exitCode === 127) throw new PrerequisiteError('vagrant is not installed', 'install vagrant, or give --hosts FILE');
  if (result.exitCode !== 0) throw new PrerequisiteError(`${source} failed: ${result.stderr.trim().split('\n')[0] ?? ''}`, 'run `vagrant up` there (the VMs must be running), or give --hosts FILE');
  return vagrantHosts(result.stdout, source);
}
