// The baseline for the node sandbox's cost: the same lab built the way vxlab built it before
// nodes were sandboxes (issue 10), with plain `unshare --net --mount` holders, a private /run and
// the same underlay batches. Only `npm run bench` builds it, to measure side by side.
import { execa, type ResultPromise } from 'execa';
import { readFile, readlink } from 'node:fs/promises';
import { underlayPlan } from '../harness/backends/netns/backend.ts';
import type { Lab } from '../harness/lab/model.ts';
import { pollUntil } from '../harness/util/poll.ts';
import { execArgv } from '../harness/util/process.ts';

async function holder(label: string): Promise<{ pid: number; child: ResultPromise }> {
  const child = execa('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--mount', '--propagation', 'private', '--', 'cat'], { stdin: 'pipe', stdout: 'ignore', reject: false });
  const pid = child.pid!;
  const own = await readlink('/proc/self/ns/net');
  await pollUntil(
    async () => ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'cat' && (await readlink(`/proc/${pid}/ns/net`).catch(() => own)) !== own) || undefined,
    { what: `holder ${label}`, timeoutMs: 5000 },
  );
  await execArgv(['nsenter', '-t', String(pid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'mode=0755,size=4m', label, '/run']);
  return { pid, child };
}

/** Builds the lab unsandboxed and returns its teardown. */
export async function upUnsandboxed(lab: Lab): Promise<() => Promise<void>> {
  const holders = await Promise.all(['switch', ...lab.nodes.map((n) => n.name)].map((n) => holder(`vxlab-bench-${n}`)));
  const [sw, ...nodes] = holders;
  const batch = (pid: number, lines: string[]) => execArgv(['nsenter', '-t', String(pid), '-n', '--', 'ip', '-batch', '-'], { input: `${lines.join('\n')}\n` });
  const plan = underlayPlan(lab, sw!.pid);
  await batch(sw!.pid, plan.switchBefore);
  await Promise.all(lab.nodes.map((n, i) => batch(nodes[i]!.pid, plan.perNode.get(n.name)!)));
  await batch(sw!.pid, plan.switchAfter);
  return async () => {
    for (const h of holders) h.child.kill('SIGKILL');
    await Promise.all(holders.map((h) => h.child));
  };
}
