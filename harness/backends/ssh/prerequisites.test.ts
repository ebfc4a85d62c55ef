// The ssh backend's local prerequisites (the OpenSSH client, setpriv), looked up in PATH rather
// than spawned: missing, they end the run with exit 3 and what to install, before any host is tried.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../testing/host.ts';

describe('the ssh backend without its local programs', () => {
  it('exits 3 naming what to install, and tries no host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vxlab-ssh-prereq-'));
    try {
      // PATH holds node only (the CLI itself), so neither ssh nor setpriv is found.
      await symlink(process.execPath, join(dir, 'node'));
      const hosts = join(dir, 'hosts.yaml');
      await writeFile(hosts, 'nodes:\n  node0: 192.0.2.10\n  node1: 192.0.2.11\n  node2: 192.0.2.12\n');
      const r = await runCli(['multicast', '--backend', 'ssh', '--hosts', hosts], { env: { PATH: dir } });
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/ssh and setpriv are not installed/);
      expect(r.stderr).toMatch(/install openssh-client and util-linux/);
      expect(r.stderr).not.toMatch(/192\.0\.2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
