// A stand-in harness for connection.ssh.test.ts, run in the tests' management namespace: it opens
// one master to NODE of HOSTS_FILE and starts ARGV there as a background program (a capture's way).
//   keep:   prints `started DIR` and waits to be killed (the test SIGKILLs it, as a harness dies);
//   signal: sends SIGNAL through the program's channel and prints its exit as JSON;
//   mark:   runs ARGV to its end with a marker to put in place on success: SIGNAL is then
//           `PATH=FILE=VERIFY`, the marker's path on the host, a local file holding its text and
//           the condition that must hold there (may be empty); prints
//           the exit, `marked` and stderr as JSON;
//   parts:  SIGNAL is a local JSON file `{ parts: RemotePart[], timeoutMs?, keep? }`: runs the parts
//           in one round trip (execParts) and prints the exit, outcomes, stdout and stderr as JSON;
//           with `keep`, starts them, prints `started DIR` and waits to be killed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshConnection, type RemotePart } from '../connection.ts';
import { hostFor, readHostsFile } from '../hosts.ts';

const [mode, hostsFile, node, signal, ...argv] = process.argv.slice(2);
const config = await readHostsFile(hostsFile!);
const dir = await mkdtemp(join(tmpdir(), 'vxlab-bgtest-'));
const conn = new SshConnection(hostFor(config, node!)!, { controlPath: join(dir, 'm'), ...(config.sshConfigText !== undefined ? { configFile: await writeConfig(dir, config.sshConfigText) } : {}) });
await conn.open();
if (mode === 'parts') {
  const { readFile } = await import('node:fs/promises');
  const spec = JSON.parse(await readFile(signal!, 'utf8')) as { parts: RemotePart[]; timeoutMs?: number; keep?: boolean };
  if (spec.keep) {
    void conn.execParts(spec.parts, { timeoutMs: 600_000 });
    process.stdout.write(`started ${dir}\n`);
    await new Promise(() => undefined);
  }
  const r = await conn.execParts(spec.parts, spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {});
  process.stdout.write(`${JSON.stringify({ exitCode: r.exitCode, outcomes: r.outcomes, stdout: r.stdout, stderr: r.stderr })}\n`);
  await conn.close();
  await rm(dir, { recursive: true, force: true });
} else if (mode === 'mark') {
  const [path, file, verify] = signal!.split('=') as [string, string, string | undefined];
  const { readFile } = await import('node:fs/promises');
  const r = await conn.exec(argv, { mark: { path, text: await readFile(file, 'utf8'), ...(verify ? { verify } : {}) } });
  process.stdout.write(`${JSON.stringify({ exitCode: r.exitCode, marked: r.marked, stderr: r.stderr })}\n`);
  await conn.close();
  await rm(dir, { recursive: true, force: true });
} else if (mode === 'keep') {
  conn.start(argv);
  process.stdout.write(`started ${dir}\n`);
  await new Promise(() => undefined);
} else {
  const program = conn.start(argv);
  program.signal(signal as NodeJS.Signals);
  const result = await program.exited;
  process.stdout.write(`${JSON.stringify({ exitCode: result.exitCode })}\n`);
  await conn.close();
  await rm(dir, { recursive: true, force: true });
}

async function writeConfig(into: string, text: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = join(into, 'ssh_config');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}
