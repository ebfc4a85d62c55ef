// A stand-in harness for ssh-restore-marker.ssh.test.ts, run in the tests' management namespace:
// on NODE of HOSTS_FILE it writes a marker, makes a device zz0 the "run" owns, and restores the
// host with the marker going in the restore's round trip. Prints the result and whether the
// marker is there after, as JSON. MODE `gone`: zz0 is deleted by hand before the restore; `netns`:
// the run owns a guest namespace zzns too (and with it /run/netns, which the host lacked).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection } from '../connection.ts';
import { readHostState, restoreHost } from '../host-io.ts';
import { hostFor, readHostsFile } from '../hosts.ts';

const [hostsFile, node, mode] = process.argv.slice(2);
const config = await readHostsFile(hostsFile!);
const dir = await mkdtemp(join(tmpdir(), 'vxlab-restoretest-'));
const configFile = config.sshConfigText === undefined ? undefined : join(dir, 'ssh_config');
if (configFile) await writeFile(configFile, config.sshConfigText!, { mode: 0o600 });
const conn = new SshConnection(hostFor(config, node!)!, { controlPath: join(dir, 'm'), ...(configFile ? { configFile } : {}) });
try {
  await conn.open();
  const path = '/run/vxlab/vxrestoretest.json';
  const write = (text: string) => conn.plainExec(['sh', '-c', `mkdir -p /run/vxlab && cat > ${path}`], text);
  await write('{"first":1}');
  const before = await readHostState(conn, []);
  await conn.plainExec(['ip', 'link', 'add', 'zz0', 'type', 'veth', 'peer', 'name', 'zz1']);
  if (mode === 'gone') await conn.plainExec(['ip', 'link', 'del', 'zz0']);
  if (mode === 'netns') await conn.plainExec(['ip', 'netns', 'add', 'zzns']);
  const owned = { interfaces: ['zz0'], namespaces: mode === 'netns' ? ['zzns'] : [] };
  const result = await restoreHost(conn, before, owned, { path, putBack: () => write('{"putBack":1}').then(() => undefined) });
  const after = await readHostState(conn, []);
  if (mode === 'netns' && (after.netnsDir || after.namespaces.length > 0 || after.links.zz0)) throw new Error(`not restored: ${JSON.stringify(after.namespaces)} /run/netns ${after.netnsDir}`);
  const marker = (await conn.plainExec(['sh', '-c', `cat ${path} 2>/dev/null || echo none`])).stdout.trim();
  process.stdout.write(`${JSON.stringify({ left: result.left, markerRemoved: result.markerRemoved, marker })}\n`);
  await conn.plainExec(['rm', '-rf', '/run/vxlab']);
} finally {
  await conn.close();
  await rm(dir, { recursive: true, force: true });
}
