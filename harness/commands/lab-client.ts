// What `exec`, `shell`, `check` and `down` share: find a running lab and talk to its supervisor.
import { request, type Reply, type Request } from '../learner/protocol.ts';
import { ensureLabsDir, isLabName, readRecord, socketPath, type LabRecord } from '../learner/records.ts';
import { isAlive } from '../backends/harness-identity.ts';
import { UsageError } from '../util/errors.ts';

export async function runningLab(name: string): Promise<LabRecord> {
  if (!isLabName(name)) throw new UsageError(`${JSON.stringify(name)} is not a lab name (a scenario's name, e.g. multicast)`);
  // exec, shell, check, down: the socket is trusted only in a directory only this user (and root) controls.
  const record = (await ensureLabsDir({ create: false })) ? await readRecord(name) : undefined;
  if (!record) throw new UsageError(`no lab ${name} is up: start it with \`npm run lab -- up ${name}\` (see \`npm run lab -- status\`)`);
  if (!(await isAlive(record))) throw new UsageError(`lab ${name}'s supervisor (PID ${record.harnessPid}) is gone: \`npm run lab -- clean\` removes what it left, \`status\` forgets it`);
  return record;
}

export async function ask(name: string, req: Request, onReply: (reply: Reply) => void): Promise<void> {
  await runningLab(name);
  let failure: string | undefined;
  await request(socketPath(name), req, (reply) => {
    if (reply.type === 'error') failure = reply.message;
    else onReply(reply);
  });
  if (failure !== undefined) throw new Error(failure);
}
